/* job.c - the mail.send job kind: render the message from its template, hand it to the SMTP
 * server, record the attempt. A refusal or a network error is retried by the queue (backoff
 * with jitter, dead after mail_max_attempts); a 5xx refusal is permanent. The attempt's row
 * is committed whatever the outcome, with the job's new status (core/queue.h). */
#include "modules/mail/internal.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/log.h"

static const char *payload_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Queues the attempt's row and, once the message is sent or never will be, the scrubbing of
 * its variables (they hold a usable token). */
static void record(struct mh_job_run *run, const struct mh_job *job, const char *template,
                   const char *outcome, long code, const char *error, long long ms, int last)
{
	struct mh_arena *a = run->req->arena;
	const char **p = mh_arena_alloc(a, sizeof(*p) * 7);

	if (p == NULL)
		return;
	p[0] = job->id;
	p[1] = mh_arena_sprintf(a, "%d", job->attempt);
	p[2] = template ? template : "";
	p[3] = outcome;
	p[4] = code > 0 ? mh_arena_sprintf(a, "%ld", code) : NULL;
	p[5] = error;
	p[6] = ms >= 0 ? mh_arena_sprintf(a, "%lld", ms) : NULL;
	mh_tx_query(run->tx, "mail_attempt_record", p, 7);
	if (last)
		mh_tx_query(run->tx, "mail_scrub", &job->id, 1);
}

static enum mh_job_outcome fail_with(struct mh_job_run *run, enum mh_job_outcome o,
                                     const char *code, const char *message)
{
	run->error_code = code;
	run->error = message;
	return o;
}

static enum mh_job_outcome send_run(const struct mh_job *job, struct mh_job_run *run)
{
	struct mh_arena *a = run->req->arena;
	const char *to = payload_str(job->payload, "to");
	const char *name = payload_str(job->payload, "template");
	const struct mail_template *t = name ? mail_template_find(name) : NULL;
	struct json_object *vars = NULL;
	struct mail_send s;
	int last = job->attempt >= job->max_attempts;

	json_object_object_get_ex(job->payload, "vars", &vars);
	if (to == NULL || t == NULL || strchr(to, '\r') || strchr(to, '\n') || strchr(to, '>') ||
	    !json_object_is_type(vars, json_type_object)) {
		record(run, job, name, "failed", 0, "bad_payload", -1, 1);
		return fail_with(run, MH_JOB_FAILED, "bad_payload",
		                 "a message needs to, a known template and its vars");
	}
	memset(&s, 0, sizeof(s));
	s.from = mail_settings.mail_from;
	s.to = to;
	s.message = mail_message_build(a, mail_settings.mail_from, mail_settings.mail_from_name, to,
	                               mail_render(a, t->subject, vars, MAIL_HEADER),
	                               mail_render(a, t->text, vars, MAIL_TEXT),
	                               mail_render(a, t->html, vars, MAIL_HTML), job->id);
	if (s.message == NULL)
		return fail_with(run, MH_JOB_RETRY, "internal_error", "out of memory");
	if (mail_smtp_send(&s) < 0) {
		const char *e = mh_arena_sprintf(a, "%s: %s", s.error_code, s.error);

		record(run, job, name, s.permanent ? "failed" : "retry", s.smtp_code, e,
		       s.duration_ms, last || s.permanent);
		mh_log(MH_LOG_WARN, "mail_not_sent", "job %s attempt %d: %s (smtp %ld)", job->id,
		       job->attempt, e ? e : s.error_code, s.smtp_code);
		return fail_with(run, s.permanent ? MH_JOB_FAILED : MH_JOB_RETRY, s.error_code,
		                 s.error);
	}
	record(run, job, name, "sent", s.smtp_code, NULL, s.duration_ms, 1);
	run->result_json = mh_arena_sprintf(a, "{\"smtp_code\":%ld,\"attempt\":%d}", s.smtp_code,
	                                    job->attempt);
	return MH_JOB_SUCCEEDED;
}

/* Delivery attempts older than jobs_keep_days (the count is the job's result). */
static enum mh_job_outcome cleanup_run(const struct mh_job *job, struct mh_job_run *run)
{
	const char **p = mh_arena_alloc(run->req->arena, sizeof(*p));
	const PGresult *r;
	int q;

	(void)job;
	if (p == NULL)
		return fail_with(run, MH_JOB_RETRY, "internal_error", "out of memory");
	p[0] = mail_keep_days;
	q = mh_tx_query(run->tx, "mail_cleanup", p, 1);
	if (q < 0 || mh_tx_fetch(run->tx) != MH_DB_OK || (r = mh_tx_result(run->tx, q)) == NULL ||
	    PQntuples(r) != 1)
		return fail_with(run, MH_JOB_RETRY, "database_error", "the cleanup failed");
	run->result_json = mh_arena_sprintf(run->req->arena, "{\"mail_attempts\":%s}",
	                                    PQgetvalue(r, 0, 0));
	return MH_JOB_SUCCEEDED;
}

/* System jobs: no tenant, no creator. A message's max_attempts comes from the enqueuer; the
 * cleanup runs every jobs_cleanup_every seconds (mail_init sets it before the fork). */
struct mh_job_kind mail_job_kinds[] = {
        {.name = MAIL_KIND, .run = send_run, .system = 1},
        {.name = "mail.cleanup", .run = cleanup_run, .max_attempts = 3, .system = 1, .every_seconds = 3600},
        {0},
};
