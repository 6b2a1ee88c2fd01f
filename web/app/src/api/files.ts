// files.ts — attachments: upload with progress (XMLHttpRequest: fetch reports no upload
// progress) and download through the bearer token (a plain link cannot send it).
import { accessToken, refresh } from "../auth/session";
import { authedRequest, problem, type ApiProblem } from "./client";
import type { DocumentFile } from "./types";

/** The types Menhir accepts, by file extension, for files the browser gives no type. */
const BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  zip: "application/zip",
  docx: "application/zip",
  xlsx: "application/zip",
  odt: "application/zip",
  txt: "text/plain; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

export function contentTypeOf(file: File): string {
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  const t = file.type.split(";")[0]?.trim() ?? "";
  if (t.startsWith("text/")) return `${t}; charset=utf-8`;
  return t || BY_EXTENSION[ext] || "application/octet-stream";
}

function send(
  docId: string,
  file: File,
  token: string | null,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(
      "POST",
      `/api/v1/documents/${encodeURIComponent(docId)}/files?name=${encodeURIComponent(file.name)}`,
    );
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", contentTypeOf(file));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader("Retry-After") });
    };
    xhr.onerror = () => reject(new Error("upload failed"));
    xhr.send(file);
  });
}

export async function uploadFile(
  docId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<{ file?: DocumentFile; problem?: ApiProblem }> {
  let token = await accessToken();
  let r = await send(docId, file, token, onProgress);
  if (r.status === 401 && token) {
    token = (await refresh())?.accessToken ?? null;
    if (token) r = await send(docId, file, token, onProgress);
  }
  if (r.status === 201) return { file: (r.body as { data: DocumentFile }).data };
  const headers = new Headers(r.retryAfter ? { "Retry-After": r.retryAfter } : {});
  return { problem: problem(r.body, new Response(null, { status: r.status, headers })) };
}

/** Fetch the file with the token and hand it to the browser as a download named NAME. */
export async function downloadFile(docId: string, fileId: string, name: string): Promise<ApiProblem | null> {
  const res = await authedRequest(
    `/api/v1/documents/${encodeURIComponent(docId)}/files/${encodeURIComponent(fileId)}`,
  );
  if (!res.ok) {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    return problem(body, res);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return null;
}
