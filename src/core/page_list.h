/* page_list.h - one page of a keyset-paginated list: the statement that reads it and the
 * {"data":[…],"next_cursor":…} answer. */
#ifndef MH_PAGE_LIST_H
#define MH_PAGE_LIST_H

#include "core/buf.h"
#include "core/cursor.h"
#include "core/tx_run.h"

/* A list, declared once by the module that serves it. */
struct mh_page_list {
	const char *first; /* page one: $1 the limit + 1 */
	const char *after; /* after a cursor: $1 the limit + 1, $2 after_ts, $3 after_id */
	void (*put)(struct mh_buf *b, const PGresult *r, int row); /* a row as a JSON value */
	int ts_col, id_col;    /* the row's position, which the next page's cursor holds */
	mh_tx_reply_fn *reply; /* how a failure is answered (NULL: mh_db_reply_error) */
};

/* Answers 200 with the page of list that page names (its first page without a cursor), read
 * in a read-only transaction of its own: at most page->limit rows, newest first, and the
 * cursor of the page after it (null on the last one). Returns 0, also having answered a
 * failure; -1 out of memory or without a result (the caller answers 500). */
int mh_page_list(struct mh_request *req, struct mh_response *res, const struct mh_page_list *list,
                 const struct mh_page *page);

#endif
