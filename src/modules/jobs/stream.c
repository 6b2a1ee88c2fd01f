/* stream.c - GET /api/v1/jobs/:id/events: a job's status changes as Server-Sent Events.
 * Menhir only decides whether the caller may see the job (RLS, one read-only round trip);
 * nginx's nchan then holds the stream (core/events.h), so an open stream costs an nginx
 * connection, never a FastCGI worker. Events are published by render.c (jobs_publish), from
 * the requests that change a job and from `menhir work` (jobs_on_status). */
#include "modules/jobs/internal.h"

#include <strings.h>

#include <libpq-fe.h>

#include "core/db.h"
#include "core/events.h"
#include "core/input.h"

const struct mh_db_statement jobs_stream_statements[] = {
        /* By id alone: RLS shows the row only to the job's tenant (never a system job). */
        {"jobs_stream_visible", "SELECT 1 FROM jobs j WHERE j.id = $1::uuid", 1},
        {NULL, NULL, 0},
};

/* nchan answers a subscriber that does not ask for text/event-stream with a bare 403, so the
 * route says what is wrong instead (EventSource always sends it). */
static int accepts_event_stream(const struct mh_request *req)
{
	const char *accept = mh_header(req, "accept");
	size_t n = sizeof("text/event-stream") - 1;

	for (const char *p = accept; p != NULL && *p != '\0'; p++)
		if (strncasecmp(p, "text/event-stream", n) == 0)
			return 1;
	return 0;
}

/* GET /api/v1/jobs/:id/events (viewer+) 200 text/event-stream through nginx; 404 a job the
 * caller cannot see; 406 no Accept: text/event-stream. */
int jobs_stream(struct mh_request *req, struct mh_response *res)
{
	const char *params[1], *channel;
	const PGresult *r;
	struct mh_tx tx;
	int idx, rc;

	params[0] = mh_in_path(req, 0)->s;
	if (!accepts_event_stream(req))
		return mh_reply_error(req, res, 406, "not_acceptable",
		                      "this endpoint answers text/event-stream only; send "
		                      "Accept: text/event-stream");
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	idx = mh_tx_query(&tx, "jobs_stream_visible", params, 1);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r == NULL || PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such job");
	channel = mh_arena_sprintf(req->arena, "job-%s", params[0]);
	if (channel == NULL)
		return -1;
	return mh_events_redirect(req, res, channel);
}
