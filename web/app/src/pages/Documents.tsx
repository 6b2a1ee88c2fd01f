// Documents.tsx — the documents list: search, tag and status filters, sort, keyset
// "load more", and (admins) deleted documents to restore.
import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import { atLeast, DOCUMENT_STATUSES, type DocumentSort, type DocumentStatus } from "../api/types";
import { useAuth } from "../auth/context";
import { Link, useTitle } from "../router";
import { AnyOrOneOf, Badge, PageHeader, When } from "../ui/kit";
import { PagedList } from "../ui/PagedList";
import { cursorParam, usePaged } from "../ui/usePaged";

interface Filters {
  q: string;
  tag: string;
  status: "" | DocumentStatus;
  sort: DocumentSort;
  deleted: boolean;
}

const SORTS: { value: DocumentSort; label: string }[] = [
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "-updated_at", label: "Recently updated" },
  { value: "title", label: "Title A–Z" },
];

export function DocumentsPage() {
  useTitle("Documents");
  const { role, session } = useAuth();
  const [draft, setDraft] = useState<Filters>({ q: "", tag: "", status: "", sort: "-created_at", deleted: false });
  const [filters, setFilters] = useState<Filters>(draft);
  const docs = usePaged(
    (after: string | null) =>
      call(
        api.GET("/api/v1/documents", {
          params: {
            query: {
              limit: 20,
              sort: filters.sort,
              ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
              ...(filters.tag.trim() ? { tag: filters.tag.trim() } : {}),
              ...(filters.status ? { status: filters.status } : {}),
              ...(filters.deleted ? { include_deleted: true } : {}),
              ...cursorParam(after),
            },
          },
        }),
      ),
    [filters, session?.tenantId],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const filtered = filters.q || filters.tag || filters.status || filters.deleted;

  return (
    <>
      <PageHeader title="Documents">
        {atLeast(role, "member") && (
          <Link to="/documents/new" className="btn btn-primary">
            New document
          </Link>
        )}
      </PageHeader>
      <form className="filters" role="search" aria-label="Filter documents" onSubmit={apply}>
        <div className="field field-grow">
          <label htmlFor="f-q">Search</label>
          <input id="f-q" type="search" placeholder="Words, “a phrase”, -exclude" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="f-tag">Tag</label>
          <input id="f-tag" value={draft.tag} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as Filters["status"] })}>
            <AnyOrOneOf values={DOCUMENT_STATUSES} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-sort">Sort</label>
          <select id="f-sort" value={draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value as DocumentSort })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        {atLeast(role, "admin") && (
          <div className="field field-check">
            <input id="f-deleted" type="checkbox" checked={draft.deleted} onChange={(e) => setDraft({ ...draft, deleted: e.target.checked })} />
            <label htmlFor="f-deleted">Include deleted</label>
          </div>
        )}
        <button type="submit" className="btn">
          Apply
        </button>
      </form>

      <PagedList
        list={docs}
        loading="Loading documents…"
        empty={
          filtered ? (
            <p>No document matches these filters.</p>
          ) : (
            <>
              <p>No documents yet.</p>
              {atLeast(role, "member") && (
                <p>
                  <Link to="/documents/new">Create the first one</Link>
                </p>
              )}
            </>
          )
        }
      >
        {(items) => (
          <ul className="doc-list" aria-label="Documents">
            {items.map((d) => (
              <li key={d.id} className={d.deleted_at ? "doc-item doc-deleted" : "doc-item"}>
                <div className="doc-main">
                  <Link to={`/documents/${d.id}`} className="doc-title">
                    {d.title}
                  </Link>
                  <div className="doc-meta">
                    <Badge value={d.deleted_at ? "deleted" : d.status} />
                    {d.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </div>
                </div>
                <div className="doc-date">
                  Updated <When at={d.updated_at} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </PagedList>
    </>
  );
}
