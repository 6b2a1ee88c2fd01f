// useSubmit.ts — one form's (or button's) call to the API: busy while it runs, then either a
// notice (what the action returned) or the API's problem. The problem's per-field messages go
// under their fields (`fields`); a problem with none is for an alert above the form (`general`).
import { useState, type FormEvent } from "react";
import { asProblem, type ApiProblem } from "../api/client";

export interface Submit {
  busy: boolean;
  problem: ApiProblem | null;
  /** Field name → the API's message for it. */
  fields: Record<string, string>;
  /** The problem when no field has a message: the one an alert shows. */
  general: ApiProblem | null;
  notice: string | null;
  /** Run ACTION: clears the last problem and notice; a string it returns becomes the notice. */
  run: (action: () => Promise<string | void>) => Promise<void>;
  /** An onSubmit handler that runs ACTION instead of the browser's submission. */
  submit: (action: () => Promise<string | void>) => (e: FormEvent) => void;
}

/** EXPLAIN rewords a problem for this form (a field message for a known code, say). */
export function useSubmit(explain: (p: ApiProblem) => ApiProblem = (p) => p): Submit {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (action: () => Promise<string | void>) => {
    setBusy(true);
    setProblem(null);
    setNotice(null);
    try {
      const said = await action();
      if (typeof said === "string") setNotice(said);
    } catch (e) {
      setProblem(explain(asProblem(e)));
    }
    setBusy(false);
  };
  const fields = problem?.fields ?? {};
  return {
    busy,
    problem,
    fields,
    general: problem && Object.keys(fields).length === 0 ? problem : null,
    notice,
    run,
    submit: (action) => (e) => {
      e.preventDefault();
      void run(action);
    },
  };
}
