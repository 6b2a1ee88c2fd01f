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
enum shown { SHOWN_DOCUMENT, SHOWN_WEBHOOK, SHOWN_COUNT };
static const char *const shown_payload[SHOWN_COUNT] = {"document_id", "webhook_url"};

/* The job's members in the API's order, and where each comes from. */
enum source {
	TEXT,    /* a queue column, as a JSON string (null for SQL NULL) */
	JSON,    /* a queue column that is JSON already: numbers, the result (null for NULL) */
	PAYLOAD, /* a member of the payload (enum shown) */
};
static const struct member {
	const char *name;
	enum source source;
	int index;
} members[] = {
        {"id", TEXT, MH_JOB_ID},
        {"kind", TEXT, MH_JOB_KIND},
        {"status", TEXT, MH_JOB_STATUS},
        {"document_id", PAYLOAD, SHOWN_DOCUMENT},
        {"attempts", JSON, MH_JOB_ATTEMPTS},
        {"max_attempts", JSON, MH_JOB_MAX_ATTEMPTS},
        {"run_at", TEXT, MH_JOB_RUN_AT},
        {"result", JSON, MH_JOB_RESULT},
        {"error", TEXT, MH_JOB_ERROR},
        {"webhook_url", PAYLOAD, SHOWN_WEBHOOK},
        {"created_by", TEXT, MH_JOB_CREATED_BY},
        {"created_at", TEXT, MH_JOB_CREATED_AT},
        {"updated_at", TEXT, MH_JOB_UPDATED_AT},
        {"finished_at", TEXT, MH_JOB_FINISHED_AT},
};

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
	for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++) {
		const struct member *m = &members[i];
		const char *v = m->source == PAYLOAD            ? shown[m->index]
		                : PQgetisnull(r, row, m->index) ? NULL
		                                                : PQgetvalue(r, row, m->index);

		mh_buf_puts(b, i == 0 ? "{\"" : ",\"");
		mh_buf_puts(b, m->name);
		mh_buf_puts(b, "\":");
		if (v == NULL)
			mh_buf_puts(b, "null");
		else if (m->source == JSON)
			mh_buf_puts(b, v);
		else
			mh_buf_json_cstr(b, v);
	}
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
