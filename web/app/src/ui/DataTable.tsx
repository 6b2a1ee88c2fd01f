// DataTable.tsx — the app's tables of records: scrolled sideways on a narrow screen, named by
// a caption for screen readers, a header row of column names, and (optionally) a last column
// of row actions whose name only screen readers hear.
import type { ReactNode } from "react";
import { When } from "./kit";

export function DataTable({
  caption,
  className,
  columns,
  actions = false,
  children,
}: {
  caption: string;
  /** Added to "table", for a table's own column widths. */
  className?: string;
  columns: string[];
  actions?: boolean;
  /** The rows. */
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className ? `table ${className}` : "table"}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A cell with a date and time (a dash for none). */
export function WhenCell({ at }: { at: string | null | undefined }) {
  return (
    <td>
      <When at={at} />
    </td>
  );
}

/** A row's small action button; screen readers also hear what it acts on (OF), as a row's
 * buttons otherwise all sound alike. */
export function RowAction({ label, of, onClick }: { label: string; of: string; onClick: () => void }) {
  return (
    <button type="button" className="btn btn-small btn-ghost" onClick={onClick}>
      {label}
      <span className="visually-hidden"> {of}</span>
    </button>
  );
}
