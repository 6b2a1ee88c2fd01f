// events.ts — a job's live status from GET /api/v1/jobs/:id/events (Server-Sent Events via
// nginx's nchan). EventSource cannot send Authorization, so this reads the stream with fetch:
// bearer token in the header, and Last-Event-ID on every reconnect so nothing is missed or
// repeated. It stops at the job's final status or when SIGNAL aborts.
import { accessToken, refresh } from "../auth/session";
import { FINAL_JOB_STATUSES, type Job } from "./types";

export interface WatchOptions {
  signal: AbortSignal;
  onJob: (job: Job) => void;
  /** Told about (re)connections, for a "live" indicator. */
  onState?: (state: "connecting" | "live" | "retrying") => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Follow job ID until it reaches a final status; resolves with that job (or null if aborted). */
export async function watchJob(id: string, opts: WatchOptions): Promise<Job | null> {
  const { signal } = opts;
  let lastEventId: string | undefined;
  let backoff = 500;
  while (!signal.aborted) {
    opts.onState?.("connecting");
    try {
      const token = await accessToken();
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const res = await fetch(`/api/v1/jobs/${encodeURIComponent(id)}/events`, {
        headers,
        signal,
        cache: "no-store",
      });
      if (res.status === 401) {
        if (!(await refresh())) return null;
        continue;
      }
      // Gone, not ours, or refused for good: reconnecting would not change the answer.
      if ([403, 404, 406].includes(res.status)) return null;
      if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
      opts.onState?.("live");
      backoff = 500;
      const done = await readStream(res.body, (eventId, data) => {
        if (eventId) lastEventId = eventId;
        const job = JSON.parse(data) as Job;
        opts.onJob(job);
        return FINAL_JOB_STATUSES.includes(job.status) ? job : null;
      });
      if (done) return done;
    } catch (e) {
      if (signal.aborted) return null;
    }
    // The stream ended (nginx closes it after 15 minutes) or failed: reconnect.
    opts.onState?.("retrying");
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, 10_000);
  }
  return null;
}

/** Parse an event stream; ON_EVENT returns a value to stop with it. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (id: string | undefined, data: string) => Job | null,
): Promise<Job | null> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let id: string | undefined;
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) {
            const stop = onEvent(id, data.join("\n"));
            if (stop) return stop;
          }
          id = undefined;
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "data") data.push(value);
          else if (field === "id") id = value;
        }
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
