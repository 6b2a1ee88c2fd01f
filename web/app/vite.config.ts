// vite.config.ts — the production build nginx serves (no dev server in production).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Absolute URLs: index.html is also served for deep links such as /documents/<id>.
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Inlining would put code in data: URLs; the CSP allows scripts from 'self' only.
    assetsInlineLimit: 0,
    // The module preload helper would otherwise be an inline script in index.html.
    modulePreload: { polyfill: false },
    sourcemap: false,
    rollupOptions: {
      output: {
        // Hex content hashes: nginx/menhir.conf caches `name.<8+ hex>.ext` for a year.
        hashCharacters: "hex",
        entryFileNames: "assets/[name].[hash].js",
        chunkFileNames: "assets/[name].[hash].js",
        assetFileNames: "assets/[name].[hash][extname]",
      },
    },
  },
});
