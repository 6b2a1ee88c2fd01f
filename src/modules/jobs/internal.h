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

/* The statuses a job goes through (NULL-terminated, as ?status= declares them). */
extern const char *const jobs_statuses[];
/* GET /jobs's query, as routes.c declares it. */
enum { JOBS_LIST_LIMIT, JOBS_LIST_CURSOR, JOBS_LIST_STATUS, JOBS_LIST_DOCUMENT };

/* ---- cursor.c --------------------------------------------------------------------------- */

/* The opaque cursor for the page after (key, id) under q's filters. */
const char *jobs_cursor(struct mh_arena *a, const struct jobs_list_query *q, const char *key,
			const char *id);
/* Sets q->after_key and q->after_id from c; -1 when c is not a cursor of q's filters. */
int jobs_cursor_read(struct mh_arena *a, const char *c, struct jobs_list_query *q);

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

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc jobs_doc;

#endif
