// session.ts — the signed-in session: the access token in memory only, silent refresh
// through the HttpOnly refresh cookie, and one refresh at a time across every tab.
//
// The access token never touches localStorage, sessionStorage, a cookie or a URL: a page
// reload starts with no token and asks POST /api/v1/auth/refresh (the cookie, scoped to
// /api/v1/auth, SameSite=Strict) for a new one. The refresh token rotates on every use and
// the server revokes a whole family when a rotated token comes back (outside a short grace
// window), so two tabs must never refresh with the same cookie at the same time: the Web
// Locks API serializes refreshes across tabs, and a BroadcastChannel hands the fresh token to
// the tabs that were waiting, so they do not refresh again.
import type { Role, Session } from "../api/types";

export interface CurrentSession {
  accessToken: string;
  /** Epoch ms at which the access token expires (client clock). */
  expiresAt: number;
  userId: string;
  tenantId: string;
  role: Role;
}

type Listener = (s: CurrentSession | null) => void;

type Message =
  | { type: "session"; session: CurrentSession; at: number }
  | { type: "signed-out" };

const LOCK = "menhir-refresh";
/** Refresh this long before the token expires (and never later than at 80 % of its life). */
const EARLY_MS = 60_000;

let current: CurrentSession | null = null;
let inFlight: Promise<CurrentSession | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
/** When this tab last received a session from another tab (see refreshLocked). */
let lastBroadcastAt = 0;
const listeners = new Set<Listener>();
const channel: BroadcastChannel | null =
  typeof BroadcastChannel === "function" ? new BroadcastChannel("menhir-session") : null;

channel?.addEventListener("message", (ev: MessageEvent<Message>) => {
  const msg = ev.data;
  if (msg.type === "session") {
    lastBroadcastAt = Date.now();
    apply(msg.session);
  } else if (msg.type === "signed-out") {
    apply(null);
  }
});

function apply(s: CurrentSession | null): void {
  current = s;
  clearTimeout(timer);
  if (s) {
    const life = s.expiresAt - Date.now();
    const wait = Math.max(5_000, Math.min(life - EARLY_MS, life * 0.8));
    timer = setTimeout(() => void refresh(), wait);
  }
  for (const l of listeners) l(s);
}

/** Make SESSION (a token answer of login, signup, refresh, switch-tenant or a password
 * change) the current one, in this tab and in every other tab. */
export function adopt(data: Pick<Session, "access_token" | "expires_in" | "user_id" | "tenant_id" | "role">): CurrentSession {
  const s: CurrentSession = {
    accessToken: data.access_token,
    expiresAt: Date.now() + data.expires_in * 1000,
    userId: data.user_id,
    tenantId: data.tenant_id,
    role: data.role,
  };
  apply(s);
  channel?.postMessage({ type: "session", session: s, at: Date.now() } satisfies Message);
  return s;
}

/** Forget the session here and in every tab (after logout, or when refresh is refused). */
export function signedOut(): void {
  apply(null);
  channel?.postMessage({ type: "signed-out" } satisfies Message);
}

export function session(): CurrentSession | null {
  return current;
}

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** A usable access token: the current one, or a refreshed one when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  if (current && current.expiresAt - Date.now() > 10_000) return current.accessToken;
  const s = await refresh();
  return s?.accessToken ?? null;
}

/** Get a new access token with the refresh cookie. One call at a time in this tab and
 * across tabs; resolves to null (and signs this tab out) when the server refuses the cookie. */
export function refresh(): Promise<CurrentSession | null> {
  if (!inFlight) {
    inFlight = (async () => {
      const startedAt = Date.now();
      const run = () => refreshLocked(startedAt);
      try {
        if (navigator.locks) return await navigator.locks.request(LOCK, run);
        return await run();
      } finally {
        inFlight = null;
      }
    })();
  }
  return inFlight;
}

async function refreshLocked(startedAt: number): Promise<CurrentSession | null> {
  // Another tab refreshed while this one waited for the lock: its token is ours too, and
  // the cookie we would send has already been rotated by it.
  if (current && lastBroadcastAt >= startedAt && current.expiresAt - Date.now() > EARLY_MS) {
    return current;
  }
  let res: Response;
  try {
    res = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch {
    return current; // offline: keep what we have, the next call tries again
  }
  if (res.status === 401 || res.status === 403) {
    // Only this tab: another tab may have just logged in with a new cookie.
    apply(null);
    return null;
  }
  if (!res.ok) return current;
  const body = (await res.json()) as { data: Session };
  return adopt(body.data);
}

/** Log out this session: revokes the refresh family and the access token, clears the cookie. */
export async function logout(): Promise<void> {
  const token = current?.accessToken;
  try {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } finally {
    signedOut();
  }
}
