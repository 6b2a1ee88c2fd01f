// useLoad.ts — load something from the API for a screen: loading, loaded or failed, and
// a reload. Stale answers (the inputs changed meanwhile) are dropped.
import { useCallback, useEffect, useRef, useState } from "react";
import { networkProblem, type ApiProblem } from "../api/client";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; problem: ApiProblem }
  | { state: "ok"; data: T };

/** LOAD returns the data or throws an ApiProblem-shaped object. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void, (t: T) => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: "loading" });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setValue({ state: "loading" });
    load().then(
      (data) => mine === seq.current && setValue({ state: "ok", data }),
      (e: unknown) => {
        if (mine !== seq.current) return;
        const p = e && typeof e === "object" && "code" in e ? (e as ApiProblem) : networkProblem(e);
        setValue({ state: "error", problem: p });
      },
    );
  }, deps);
  useEffect(run, [run]);
  const set = useCallback((data: T) => setValue({ state: "ok", data }), []);
  return [value, run, set];
}
