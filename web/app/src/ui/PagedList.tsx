// PagedList.tsx — how every paged list of the app looks: loading, failed (with a retry),
// empty, the items (as the screen draws them, or as a table of a row each), and "load more"
// while there is a next page.
import type { ComponentProps, ReactNode } from "react";
import { DataTable } from "./DataTable";
import { Empty, ErrorState, Loading } from "./kit";
import type { Paged } from "./usePaged";

interface ListProps<T> {
  list: Paged<T>;
  /** The loading line, e.g. "Loading members…". */
  loading: string;
  /** What an empty list says. */
  empty: ReactNode;
}

export function PagedList<T>({ list, loading, empty, children }: ListProps<T> & { children: (items: T[]) => ReactNode }) {
  const { state, items, problem, cursor } = list;
  const shown = state === "ok" || state === "more";
  return (
    <>
      {state === "loading" && <Loading label={loading} />}
      {state === "error" && problem && items.length === 0 && <ErrorState problem={problem} onRetry={list.reload} />}
      {shown && items.length === 0 && <Empty>{empty}</Empty>}
      {items.length > 0 && children(items)}
      {/* A further page failed: what was loaded stays, and the retry asks for that page again. */}
      {state === "error" && problem && items.length > 0 && <ErrorState problem={problem} onRetry={list.more} />}
      {cursor && shown && (
        <div className="load-more">
          <button type="button" className="btn" onClick={list.more} disabled={state === "more"}>
            {state === "more" ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </>
  );
}

/** A paged list shown as a DataTable: ROW draws one item's <tr> (with its key). */
export function PagedTable<T>({
  list,
  loading,
  empty,
  row,
  ...table
}: ListProps<T> & Omit<ComponentProps<typeof DataTable>, "children"> & { row: (item: T) => ReactNode }) {
  return (
    <PagedList list={list} loading={loading} empty={empty}>
      {(items) => <DataTable {...table}>{items.map((item) => row(item))}</DataTable>}
    </PagedList>
  );
}
