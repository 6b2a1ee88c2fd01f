/* internal.h - what the jobs module's files share; private to src/modules/jobs/. */
#ifndef JOBS_INTERNAL_H
#define JOBS_INTERNAL_H

#include "core/db.h"
#include "core/http.h"
#include "modules/jobs/jobs.h"

#define JOBS_PAGE_DEFAULT 20
#define JOBS_PAGE_MAX 100

/* A validated GET /jobs. NULL members are absent filters / page one. */
struct jobs_list_query {
	int limit;
	const char *status;
	const char *document_id;
	const char *after_key; /* created_at of the last row of the previous page */
	const char *after_id;
};

/* ---- validate.c: each *_or_reply answers 400/404 itself and returns 0 on bad input ---- */

/* The :id parameter lower-cased, or NULL having answered 404 (a malformed id names no job). */
const char *jobs_id_or_reply(struct mh_request *req, struct mh_response *res);
/* Rejects any query parameter (routes that take none). */
int jobs_no_query_or_reply(struct mh_request *req, struct mh_response *res);
int jobs_list_query_or_reply(struct mh_request *req, struct mh_response *res,
			     struct jobs_list_query *out);
/* The opaque cursor for the page after (key, id) under q's filters. */
const char *jobs_cursor(struct mh_arena *a, const struct jobs_list_query *q, const char *key,
			const char *id);

/* ---- repo.c ----------------------------------------------------------------------------- */

extern const struct mh_db_statement jobs_statements[];
/* The list statement serving q's filters (each walks its own index). */
const char *jobs_list_statement(const struct jobs_list_query *q);

/* ---- service.c: the route handlers ------------------------------------------------------ */

int jobs_get(struct mh_request *req, struct mh_response *res);
int jobs_list(struct mh_request *req, struct mh_response *res);
int jobs_cancel(struct mh_request *req, struct mh_response *res);
int jobs_retry(struct mh_request *req, struct mh_response *res);

/* ---- render.c: the module's hook for `menhir work`'s status changes (live events) ---- */

void jobs_on_status(const struct mh_job *job, const struct pg_result *r, int row,
		    struct mh_arena *a);

/* ---- stream.c: GET /jobs/:id/events, live status through nginx (core/events.h) ------- */

int jobs_stream(struct mh_request *req, struct mh_response *res);
extern const struct mh_db_statement jobs_stream_statements[];

#endif
