/* page_list.c - one page of a keyset-paginated list (page_list.h). */
#include "core/page_list.h"

/* The statement asked for limit + 1 rows, so a full page knows whether another follows
 * without counting. */
static void put_page(struct mh_request *req, struct mh_response *res,
                     const struct mh_page_list *list, const PGresult *r, int limit)
{
	struct mh_buf *b = &res->body;
	int n = PQntuples(r), shown = n > limit ? limit : n;

	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		list->put(b, r, i);
	}
	mh_buf_puts(b, "],\"next_cursor\":");
	if (n > limit)
		mh_buf_json_cstr(b,
		                 mh_page_cursor(req->arena, PQgetvalue(r, shown - 1, list->ts_col),
		                                PQgetvalue(r, shown - 1, list->id_col)));
	else
		mh_buf_puts(b, "null");
	mh_buf_putc(b, '}');
	res->status = 200;
}

int mh_page_list(struct mh_request *req, struct mh_response *res, const struct mh_page_list *list,
                 const struct mh_page *page)
{
	const char *p[3] = {mh_arena_sprintf(req->arena, "%d", page->limit + 1), page->after_ts,
	                    page->after_id};
	struct mh_tx_query s = {list->first, p, 1};
	const PGresult *r;
	int rc;

	if (p[0] == NULL)
		return -1;
	if (page->after_ts != NULL) {
		s.name = list->after;
		s.nparams = 3;
	}
	/* The parameters live in this frame: the transaction ends before it returns. */
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_ONLY, list->reply, &s, &r);
	if (rc <= 0)
		return rc;
	put_page(req, res, list, r, page->limit);
	return 0;
}
