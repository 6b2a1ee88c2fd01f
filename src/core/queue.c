/* queue.c - queueing jobs from a transaction, reading claimed rows, and finding their kinds. */
#include "core/queue.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"
#include "core/log.h"

/* The parameters of mh_queue_enqueue, by position. */
enum { P_KIND, P_PAYLOAD, P_UNIQUE_KEY, P_DELAY, P_MAX_ATTEMPTS, P_COUNT };

/* The job is the caller's: tenant and creator come from the transaction's context
 * (app_enter), never from parameters, so a request cannot queue work for someone else.
 * The INSERT policy adds member+ and created_by = the caller. */
static const struct mh_db_statement queue_statements[] = {
        {"mh_queue_enqueue",
         "INSERT INTO jobs AS j (tenant_id, created_by, kind, payload, unique_key, run_at,"
         "                       max_attempts)"
         " VALUES ((SELECT app_tenant_id()), (SELECT app_user_id()), $1,"
         "         coalesce($2::jsonb, '{}'), $3, now() + make_interval(secs => $4::int),"
         "         $5::int)"
         " RETURNING " MH_QUEUE_JOB_COLUMNS,
         P_COUNT},
        {NULL, NULL, 0},
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
	max_attempts = spec->max_attempts > 0   ? spec->max_attempts
	               : kind->max_attempts > 0 ? kind->max_attempts
	                                        : 5;
	p = mh_arena_alloc(tx->req->arena, sizeof(*p) * P_COUNT);
	if (p == NULL)
		return MH_DB_ERROR;
	p[P_KIND] = spec->kind;
	p[P_PAYLOAD] = spec->payload_json;
	p[P_UNIQUE_KEY] = spec->unique_key;
	p[P_DELAY] = mh_arena_sprintf(tx->req->arena, "%d", spec->delay_seconds);
	p[P_MAX_ATTEMPTS] = mh_arena_sprintf(tx->req->arena, "%d", max_attempts);
	if (p[P_DELAY] == NULL || p[P_MAX_ATTEMPTS] == NULL)
		return MH_DB_ERROR;
	return mh_tx_query(tx, "mh_queue_enqueue", p, P_COUNT);
}

static const char *text_or(const PGresult *r, int row, int col, const char *none)
{
	return PQgetisnull(r, row, col) ? none : PQgetvalue(r, row, col);
}

int mh_queue_job_from_row(struct mh_arena *arena, const PGresult *r, int row, struct mh_job *job)
{
	struct json_object *payload;

	memset(job, 0, sizeof(*job));
	if (r == NULL || row >= PQntuples(r) || PQnfields(r) < MH_JOB_NCOLUMNS)
		return -1;
	job->id = PQgetvalue(r, row, MH_JOB_ID);
	job->kind = PQgetvalue(r, row, MH_JOB_KIND);
	job->tenant_id = text_or(r, row, MH_JOB_TENANT_ID, "");
	job->created_by = text_or(r, row, MH_JOB_CREATED_BY, "");
	job->attempt = atoi(PQgetvalue(r, row, MH_JOB_ATTEMPTS));
	job->max_attempts = atoi(PQgetvalue(r, row, MH_JOB_MAX_ATTEMPTS));
	payload = json_tokener_parse(text_or(r, row, MH_JOB_PAYLOAD, "{}"));
	if (payload != NULL && !json_object_is_type(payload, json_type_object)) {
		json_object_put(payload);
		payload = NULL;
	}
	if (payload == NULL)
		payload = json_object_new_object();
	job->payload = mh_json_defer(arena, payload);
	return job->payload != NULL ? 0 : -1;
}
