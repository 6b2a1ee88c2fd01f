// client.ts — the typed API client (openapi-fetch over the types generated from
// doc/openapi.json) with the bearer token attached, and one refresh-and-retry on a 401.
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { accessToken, refresh, session } from "../auth/session";

/** fetch with the current access token; on a 401 refresh once and send the request again. */
export async function authedFetch(input: Request): Promise<Response> {
  const again = input.clone();
  const token = await accessToken();
  if (token) input.headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(input);
  if (res.status !== 401 || !token) return res;
  const fresh = await refresh();
  if (!fresh) return res;
  again.headers.set("Authorization", `Bearer ${fresh.accessToken}`);
  return fetch(again);
}

/** Paths, never operation ids: `api.GET("/api/v1/documents", …)`. */
export const api = createClient<paths>({ baseUrl: "", fetch: authedFetch });

/** A public client for the routes that take no token (signup, login). */
export const publicApi = createClient<paths>({ baseUrl: "" });

export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  /** Field → message, from the envelope's `details`. */
  fields: Record<string, string>;
  retryAfter?: number;
}

interface Envelope {
  error?: string;
  message?: string;
  details?: { field: string; message: string }[];
}

/** The error envelope of a failed response as something a screen can show. */
export function problem(error: unknown, response: Response | undefined): ApiProblem {
  const env = (error ?? {}) as Envelope;
  const fields: Record<string, string> = {};
  for (const d of env.details ?? []) fields[d.field] = fields[d.field] ? `${fields[d.field]}; ${d.message}` : d.message;
  const ra = response?.headers.get("Retry-After");
  return {
    status: response?.status ?? 0,
    code: env.error ?? (response ? `http_${response.status}` : "network_error"),
    message:
      env.message ??
      (response ? `The server answered ${response.status}.` : "The server could not be reached."),
    fields,
    retryAfter: ra && /^\d+$/.test(ra) ? Number(ra) : undefined,
  };
}

/** A thrown fetch failure (offline, aborted) as a problem. */
export function networkProblem(e: unknown): ApiProblem {
  return {
    status: 0,
    code: "network_error",
    message: e instanceof Error ? `The server could not be reached (${e.message}).` : "The server could not be reached.",
    fields: {},
  };
}

/** The signed-in user's id (for "own document / own job" rules shown in the UI). */
export function myUserId(): string | undefined {
  return session()?.userId;
}

/** Raw fetch with the bearer token (streams, downloads); same retry rule as the client. */
export function authedRequest(url: string, init: RequestInit = {}): Promise<Response> {
  return authedFetch(new Request(url, init));
}

/** The data of an openapi-fetch call, or throw its problem (for useLoad and handlers). */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await pending;
  } catch (e) {
    throw networkProblem(e);
  }
  if (r.error !== undefined || !r.response.ok) throw problem(r.error, r.response);
  return r.data as T;
}

/** The problem a handler caught (an ApiProblem thrown by call, or anything else). */
export function asProblem(e: unknown): ApiProblem {
  return e && typeof e === "object" && "code" in e && "fields" in e ? (e as ApiProblem) : networkProblem(e);
}
