/* queue.c - queueing jobs from a transaction, rendering them, and finding their kinds. */
#include "core/queue.h"

#include <stdio.h>
#include <string.h>

#include "core/events.h"
#include "core/log.h"

const char *const mh_queue_job_fields[] = {
	"id",	  "kind",	  "status",	  "document_id", "attempts",	"max_attempts",
	"run_at", "result",	  "error",	  "webhook_url", "created_by",	"created_at",
	"updated_at", "finished_at",
};
const int mh_queue_job_nfields = (int)(sizeof(mh_queue_job_fields) / sizeof(*mh_queue_job_fields));
#define RESULT_COLUMN 7

/* The job is the caller's: tenant and creator come from the transaction's context
 * (app_enter), never from parameters, so a request cannot queue work for someone else.
 * The INSERT policy adds member+ and created_by = the caller. */
static const struct mh_db_statement queue_statements[] = {
	{ "mh_queue_enqueue",
	  "INSERT INTO jobs AS j (tenant_id, created_by, kind, document_id, payload, unique_key,"
	  "                       webhook_url, run_at, max_attempts)"
	  " VALUES ((SELECT app_tenant_id()), (SELECT app_user_id()), $1, $2::uuid,"
	  "         coalesce($3::jsonb, '{}'), $4, $5, now() + make_interval(secs => $6::int),"
	  "         $7::int)"
	  " RETURNING " MH_QUEUE_JOB_COLUMNS,
	  7 },
	{ NULL, NULL, 0 },
};

int mh_queue_init(void)
{
	return mh_db_register(queue_statements);
}

const struct mh_job_kind *mh_queue_kind(const char *name)
{
	for (size_t m = 0; mh_modules[m] != NULL; m++) {
		const struct mh_job_kind *k = mh_modules[m]->job_kinds;
		for (; k != NULL && k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				return k;
	}
	return NULL;
}

int mh_queue_enqueue(struct mh_tx *tx, const struct mh_job_spec *spec)
{
	const struct mh_job_kind *kind = mh_queue_kind(spec->kind);
	const char **p;
	int max_attempts;

	if (kind == NULL || kind->system) {
		mh_log(MH_LOG_ERROR, "queue", "no tenant job kind named %s", spec->kind);
		return MH_DB_ERROR;
	}
	max_attempts = spec->max_attempts > 0 ? spec->max_attempts
		       : kind->max_attempts > 0 ? kind->max_attempts
						: 5;
	p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 7);
	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = spec->kind;
	p[1] = spec->document_id;
	p[2] = spec->payload_json;
	p[3] = spec->unique_key;
	p[4] = spec->webhook_url;
	p[5] = mh_arena_sprintf(tx->req->arena, "%d", spec->delay_seconds);
	p[6] = mh_arena_sprintf(tx->req->arena, "%d", max_attempts);
	if (p[5] == NULL || p[6] == NULL)
		return MH_DB_ERROR;
	return mh_tx_query(tx, "mh_queue_enqueue", p, 7);
}

void mh_queue_put_job(struct mh_buf *b, const PGresult *r, int row)
{
	mh_buf_putc(b, '{');
	for (int c = 0; c < mh_queue_job_nfields; c++) {
		mh_buf_puts(b, c == 0 ? "\"" : ",\"");
		mh_buf_puts(b, mh_queue_job_fields[c]);
		mh_buf_puts(b, "\":");
		if (PQgetisnull(r, row, c))
			mh_buf_puts(b, "null");
		else if (c == RESULT_COLUMN)
			mh_buf_puts(b, PQgetvalue(r, row, c)); /* jsonb's text: already JSON */
		else if (c == 4 || c == 5)
			mh_buf_puts(b, PQgetvalue(r, row, c)); /* attempts, max_attempts: numbers */
		else
			mh_buf_json_cstr(b, PQgetvalue(r, row, c));
	}
	mh_buf_putc(b, '}');
}

void mh_queue_publish(struct mh_arena *a, const char *tenant_id, const PGresult *r, int row)
{
	struct mh_buf b;
	char channel[64];

	(void)tenant_id; /* the channel is the job's: subscribing is authorized per job */
	if (r == NULL || row >= PQntuples(r))
		return;
	snprintf(channel, sizeof(channel), "job-%s", PQgetvalue(r, row, 0));
	mh_buf_init(&b, a, 512);
	mh_queue_put_job(&b, r, row);
	if (!b.failed)
		mh_events_publish(channel, b.data, b.len);
}
