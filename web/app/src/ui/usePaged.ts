// usePaged.ts — a keyset-paged list from the API for a screen: the first page (again when the
// inputs change, or on reload), further pages by cursor ("load more"). Answers that belong to
// an older first page are dropped, and one further page is asked for at a time.
import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";
import { asProblem, type ApiProblem } from "../api/client";

/** One page of a list route's answer. */
export interface Page<T> {
  data: T[];
  next_cursor?: string | null;
}

export interface Paged<T> {
  /** "more": a further page is on its way; "error": the first page failed (no items) or a
   * further one did (the items stay, and `more` tries it again). */
  state: "loading" | "ok" | "more" | "error";
  items: T[];
  /** For a screen's own changes to what it shows (a created, changed or removed item). */
  setItems: Dispatch<SetStateAction<T[]>>;
  /** The next page's cursor; null at the end. */
  cursor: string | null;
  problem: ApiProblem | null;
  reload: () => void;
  more: () => void;
}

/** PAGE(null) is the first page, PAGE(cursor) the one after; it throws an ApiProblem on
 * failure (as `call` does). The list starts again whenever a value in DEPS changes. */
export function usePaged<T>(page: (after: string | null) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<Paged<T>["state"]>("loading");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [attempt, setAttempt] = useState(0);
  // The page function of the latest render: "load more" asks with the inputs shown now.
  const latest = useRef(page);
  latest.current = page;
  const seq = useRef(0);
  const fetching = useRef(false);

  useEffect(() => {
    const mine = ++seq.current;
    fetching.current = false;
    setState("loading");
    setItems([]);
    setCursor(null);
    latest.current(null).then(
      (r) => {
        if (mine !== seq.current) return;
        setItems(r.data);
        setCursor(r.next_cursor ?? null);
        setState("ok");
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setProblem(asProblem(e));
        setState("error");
      },
    );
    return () => {
      seq.current++;
    };
  }, [...deps, attempt]);

  const more = useCallback(() => {
    if (!cursor || fetching.current) return;
    const mine = seq.current;
    fetching.current = true;
    setState("more");
    latest.current(cursor).then(
      (r) => {
        if (mine !== seq.current) return;
        fetching.current = false;
        setItems((old) => [...old, ...r.data]);
        setCursor(r.next_cursor ?? null);
        setState("ok");
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        fetching.current = false;
        setProblem(asProblem(e));
        setState("error");
      },
    );
  }, [cursor]);

  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  return { state, items, setItems, cursor, problem, reload, more };
}

/** The query's cursor for the page after AFTER (none for the first page). */
export function cursorParam(after: string | null): { cursor?: string } {
  return after ? { cursor: after } : {};
}
