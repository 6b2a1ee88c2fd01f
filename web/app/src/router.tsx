// router.tsx — a small client-side router over the History API: the app has a dozen
// screens and needs nothing more. nginx serves index.html for exactly these path prefixes
// (nginx/menhir.conf, "The browser app"); keep APP_ROUTES and that list in step.
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

export const APP_ROUTES = [
  "login",
  "signup",
  "documents",
  "jobs",
  "members",
  "settings",
  "audit",
  "api-keys",
  "profile",
  "forgot-password",
  "reset-password",
  "verify-email",
  "confirm-email",
  "accept-invitation",
];

const EVENT = "menhir:navigate";

function subscribe(cb: () => void): () => void {
  window.addEventListener("popstate", cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener("popstate", cb);
    window.removeEventListener(EVENT, cb);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query string; re-renders on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const full = useSyncExternalStore(subscribe, snapshot);
  const q = full.indexOf("?");
  return {
    path: q < 0 ? full : full.slice(0, q),
    query: new URLSearchParams(q < 0 ? "" : full.slice(q)),
  };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

/** PATTERN like "/documents/:id" against PATH: the parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.replace(/\/+$/, "").split("/");
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i] ?? "";
    const got = s[i] ?? "";
    if (want.startsWith(":")) {
      if (!got) return null;
      params[want.slice(1)] = decodeURIComponent(got);
    } else if (want !== got) {
      return null;
    }
  }
  return params;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}

export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

/** Sets document.title for the screen (screen readers announce it on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Menhir` : "Menhir";
  }, [title]);
}
