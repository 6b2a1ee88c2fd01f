/* render.c - a job as the jobs API shows it (GET /jobs/:id, lists, live events, webhook
 * bodies), from the queue's columns (core/queue.h). */
#include "modules/jobs/internal.h"

#include <stdio.h>

#include <json-c/json.h>

#include "core/events.h"
#include "core/queue.h"

/* The payload's members the API shows at the top level of every job (null when absent):
 * the processing module's document and any job's webhook target (modules/webhooks). The
 * rest of the payload stays private to the job's module. */
static const char *const shown_payload[] = {"document_id", "webhook_url"};
enum { SHOWN_DOCUMENT, SHOWN_WEBHOOK, SHOWN_COUNT };

static void put_string_or_null(struct mh_buf *b, const char *s)
{
	if (s == NULL)
		mh_buf_puts(b, "null");
	else
		mh_buf_json_cstr(b, s);
}

/* The row's column col as a JSON string, or null. */
static void put_column(struct mh_buf *b, const PGresult *r, int row, int col)
{
	put_string_or_null(b, PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col));
}

void jobs_put(struct mh_buf *b, const PGresult *r, int row)
{
	struct json_object *payload = json_tokener_parse(
	        PQgetisnull(r, row, MH_JOB_PAYLOAD) ? "{}" : PQgetvalue(r, row, MH_JOB_PAYLOAD));
	const char *shown[SHOWN_COUNT] = {NULL, NULL};

	for (int i = 0; i < SHOWN_COUNT; i++) {
		struct json_object *v;

		if (payload != NULL && json_object_object_get_ex(payload, shown_payload[i], &v) &&
		    json_object_is_type(v, json_type_string))
			shown[i] = json_object_get_string(v);
	}
	mh_buf_puts(b, "{\"id\":");
	put_column(b, r, row, MH_JOB_ID);
	mh_buf_puts(b, ",\"kind\":");
	put_column(b, r, row, MH_JOB_KIND);
	mh_buf_puts(b, ",\"status\":");
	put_column(b, r, row, MH_JOB_STATUS);
	mh_buf_puts(b, ",\"document_id\":");
	put_string_or_null(b, shown[SHOWN_DOCUMENT]);
	/* Numbers and the result (jsonb's text) are already JSON. */
	mh_buf_printf(b, ",\"attempts\":%s,\"max_attempts\":%s,\"run_at\":",
	              PQgetvalue(r, row, MH_JOB_ATTEMPTS), PQgetvalue(r, row, MH_JOB_MAX_ATTEMPTS));
	put_column(b, r, row, MH_JOB_RUN_AT);
	mh_buf_puts(b, ",\"result\":");
	mh_buf_puts(b, PQgetisnull(r, row, MH_JOB_RESULT) ? "null"
	                                                  : PQgetvalue(r, row, MH_JOB_RESULT));
	mh_buf_puts(b, ",\"error\":");
	put_column(b, r, row, MH_JOB_ERROR);
	mh_buf_puts(b, ",\"webhook_url\":");
	put_string_or_null(b, shown[SHOWN_WEBHOOK]);
	mh_buf_puts(b, ",\"created_by\":");
	put_column(b, r, row, MH_JOB_CREATED_BY);
	mh_buf_puts(b, ",\"created_at\":");
	put_column(b, r, row, MH_JOB_CREATED_AT);
	mh_buf_puts(b, ",\"updated_at\":");
	put_column(b, r, row, MH_JOB_UPDATED_AT);
	mh_buf_puts(b, ",\"finished_at\":");
	put_column(b, r, row, MH_JOB_FINISHED_AT);
	mh_buf_putc(b, '}');
	if (payload != NULL)
		json_object_put(payload); /* after the last use of shown[], which point into it */
}

void jobs_publish(struct mh_arena *a, const PGresult *r, int row)
{
	struct mh_buf b;
	char channel[64];

	if (r == NULL || row >= PQntuples(r))
		return;
	snprintf(channel, sizeof(channel), "job-%s", PQgetvalue(r, row, MH_JOB_ID));
	mh_buf_init(&b, a, 512);
	jobs_put(&b, r, row);
	if (!b.failed)
		mh_events_publish(channel, b.data, b.len);
}

void jobs_on_status(const struct mh_job *job, const struct pg_result *r, int row,
                    struct mh_arena *a)
{
	(void)job; /* the channel is the job's: subscribing is authorized per job */
	jobs_publish(a, r, row);
}
