/* deliver.c - webhook deliveries: the end-of-job hook that queues one, the job kind that
 * sends it, and the HTTP POST itself (libcurl).
 *
 * A delivery is a job of its own (kind webhook.deliver), queued in the transaction that gives
 * the reported job its final status, so it exists if and only if that status does, and it
 * inherits the queue's retries: backoff with jitter, dead after webhook_max_attempts. Every
 * attempt leaves a webhook_deliveries row, committed with the attempt's outcome.
 *
 * Any non-2xx answer is retried, like Stripe: a 4xx from a receiver is as often a deploy in
 * progress or a misrouted proxy as a real refusal, and an event the receiver never took
 * is worse than a few more requests. The event id (evt_<delivery job id>) is the same on
 * every attempt, so receivers can drop a repeat.
 *
 * The target is a tenant's choice, so the POST must not become a way into our network:
 * besides the URL check, every address libcurl is about to connect to is checked in the
 * open-socket callback (a name may resolve to 127.0.0.1 after the check, DNS rebinding), no
 * redirect is followed, only https is spoken (http too when webhook_allow_private), and no
 * proxy from the environment is used (it would be the address checked instead). */
#include "modules/webhooks/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "core/curl_easy.h"
#include "core/log.h"
#include "core/scoreboard.h"
#include "core/trace.h"
#include "core/validate.h"
#include "modules/jobs/jobs.h"

/* What a receiver may answer before we stop reading; the body is not used. */
#define RESPONSE_READ_MAX (16 * 1024)

/* One easy handle per runner process, made on first use (so never in `menhir serve`) and
 * reset between deliveries: it keeps its connection cache and TLS session cache. */
static CURL *curl;

struct post_state {
	int allow_private;
	int refused; /* an address was refused by the open-socket callback */
	size_t received;
};

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct post_state *st = clientp;
	const unsigned char *bytes;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (a->family == AF_INET)
		bytes = (const unsigned char *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
	else if (a->family == AF_INET6)
		bytes = ((const struct sockaddr_in6 *)&a->addr)->sin6_addr.s6_addr;
	else
		bytes = NULL;
	if (bytes == NULL || (!st->allow_private && webhooks_address_forbidden(a->family, bytes))) {
		st->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t discard(char *data, size_t size, size_t n, void *clientp)
{
	struct post_state *st = clientp;

	(void)data;
	st->received += size * n;
	return st->received > RESPONSE_READ_MAX ? 0 : size * n; /* 0 ends the transfer */
}

/* The transport's code (core/curl_easy.h), or the delivery's own. */
static const char *curl_error_code(CURLcode rc)
{
	const char *code = mh_curl_error_code(rc);

	if (code != NULL)
		return code;
	return rc == CURLE_UNSUPPORTED_PROTOCOL ? "protocol_refused" : "network_error";
}

int webhooks_http_post(struct webhooks_post *p)
{
	struct post_state st = { .allow_private = p->allow_private };
	struct curl_slist *h = NULL, *h2;
	char sig[WEBHOOKS_SIGNATURE_SIZE + 32], evt[128], tp[MH_TRACEPARENT_SIZE + 16];
	char trace[MH_TRACEPARENT_SIZE];
	int64_t started = mh_now_us();
	long status = 0;
	CURLcode rc;

	p->status = 0;
	p->error_code = NULL;
	p->error = NULL;
	if (mh_curl_easy_reuse(&curl) < 0 ||
	    mh_curl_easy_setup(curl, p->allow_private ? "http,https" : "https", (long)p->timeout_ms,
	                       NULL) < 0) {
		p->error_code = "internal_error";
		p->error = "cannot start the HTTP client";
		return -1;
	}
	snprintf(sig, sizeof(sig), "Menhir-Signature: %s", p->signature);
	snprintf(evt, sizeof(evt), "Menhir-Event-Id: %s", p->event_id);
	const char *lines[5] = {"Content-Type: application/json", sig, evt,
	                        "Expect:" /* no 100-continue round trip */};
	size_t nlines = 4;
	/* The trace of the request that queued the reported job, with this delivery's span as
	 * parent (W3C Trace Context), so the receiver's logs join ours. */
	if (mh_trace_traceparent(trace)[0] != '\0') {
		snprintf(tp, sizeof(tp), "traceparent: %s", trace);
		lines[nlines++] = tp;
	}
	for (size_t i = 0; i < nlines; i++) {
		if ((h2 = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			p->error_code = "internal_error";
			p->error = "out of memory";
			return -1;
		}
		h = h2;
	}
	curl_easy_setopt(curl, CURLOPT_URL, p->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "Menhir-Webhooks/1");
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, p->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &st);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	p->duration_ms = (mh_now_us() - started) / 1000;
	if (st.refused && status == 0) {
		p->error_code = "address_refused";
		p->error = "the host resolved to a private, loopback or reserved address";
		return -1;
	}
	/* A receiver that talks too much still answered: its status counts. */
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status > 0)) {
		p->error_code = curl_error_code(rc);
		/* libcurl's generic text, never its error buffer: that one can quote the URL. */
		p->error = curl_easy_strerror(rc);
		return -1;
	}
	p->status = status;
	return 0;
}

/* ---- The job kind ------------------------------------------------------------------------- */

static const char *payload_str(const struct mh_job *job, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(job->payload, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Queues the attempt's row: it is committed whatever the outcome (core/queue.h). */
static void record(struct mh_job_run *run, const char *job_id, const char *url, int attempt,
		   long status, const char *error, long long duration_ms)
{
	struct mh_arena *a = run->req->arena;
	const char **p = mh_arena_alloc(a, sizeof(*p) * 6);

	if (p == NULL)
		return;
	p[0] = job_id;
	p[1] = url;
	p[2] = mh_arena_sprintf(a, "%d", attempt);
	p[3] = status > 0 ? mh_arena_sprintf(a, "%ld", status) : NULL;
	p[4] = error ? mh_arena_strndup(a, error, strnlen(error, 2000)) : NULL;
	p[5] = duration_ms >= 0 ? mh_arena_sprintf(a, "%lld", duration_ms) : NULL;
	mh_tx_query(run->tx, "webhooks_delivery_record", p, 6);
}

static enum mh_job_outcome fail_with(struct mh_job_run *run, enum mh_job_outcome o,
				     const char *code, const char *message)
{
	run->error_code = code;
	run->error = message;
	return o;
}

static enum mh_job_outcome deliver_run(const struct mh_job *job, struct mh_job_run *run)
{
	struct mh_arena *a = run->req->arena;
	const char *job_id = payload_str(job, "job_id"), *event = payload_str(job, "event");
	const char *url = payload_str(job, "url"), *secret, *why, *p[2];
	struct webhooks_post post;
	struct mh_buf body;
	const PGresult *r;
	char sig[WEBHOOKS_SIGNATURE_SIZE];
	int q;

	if (job_id == NULL || !mh_is_uuid(job_id) || event == NULL || url == NULL ||
	    strncmp(event, "job.", 4) != 0)
		return fail_with(run, MH_JOB_FAILED, "bad_payload",
				 "a delivery needs job_id, event and url");
	p[0] = job->id;
	p[1] = job_id;
	q = mh_tx_query(run->tx, "webhooks_delivery_load", p, 2);
	if (q < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return fail_with(run, MH_JOB_RETRY, "database_error", "cannot read the job");
	r = mh_tx_result(run->tx, q);
	if (r == NULL || PQntuples(r) != 1 || PQgetisnull(r, 0, MH_JOB_ID))
		return fail_with(run, MH_JOB_FAILED, "job_gone", "the job no longer exists");
	secret = PQgetisnull(r, 0, WEBHOOKS_LOAD_SECRET) ? NULL
							 : PQgetvalue(r, 0, WEBHOOKS_LOAD_SECRET);
	if (secret == NULL) {
		record(run, job_id, url, job->attempt, 0, "no_webhook_secret", -1);
		return fail_with(run, MH_JOB_FAILED, "no_webhook_secret",
				 "the tenant has no webhook secret (POST "
				 "/api/v1/tenants/current/webhook-secret)");
	}
	/* Checked again: the rules or the configuration may have changed since it was queued. */
	if (webhooks_url_check(url, webhooks_settings.webhook_allow_private, &why) < 0) {
		const char *m = mh_arena_sprintf(a, "the URL %s", why);
		record(run, job_id, url, job->attempt, 0, mh_arena_sprintf(a, "url_refused: %s", m),
		       -1);
		return fail_with(run, MH_JOB_FAILED, "url_refused", m);
	}

	mh_buf_init(&body, a, 1024);
	mh_buf_printf(&body, "{\"id\":\"evt_%s\",\"type\":", job->id);
	mh_buf_json_cstr(&body, event);
	mh_buf_puts(&body, ",\"created_at\":");
	mh_buf_json_cstr(&body, PQgetvalue(r, 0, WEBHOOKS_LOAD_CREATED_AT));
	mh_buf_puts(&body, ",\"data\":");
	jobs_put(&body, r, 0);
	mh_buf_putc(&body, '}');
	if (mh_buf_cstr(&body) == NULL ||
	    webhooks_sign(secret, (long long)time(NULL), body.data, body.len, sig) < 0)
		return fail_with(run, MH_JOB_RETRY, "internal_error", "cannot sign the event");

	memset(&post, 0, sizeof(post));
	post.url = url;
	post.body = body.data;
	post.len = body.len;
	post.signature = sig;
	post.event_id = mh_arena_sprintf(a, "evt_%s", job->id);
	post.allow_private = webhooks_settings.webhook_allow_private;
	post.timeout_ms = webhooks_settings.webhook_timeout;
	if (post.event_id == NULL)
		return fail_with(run, MH_JOB_RETRY, "internal_error", "out of memory");

	if (webhooks_http_post(&post) < 0) {
		const char *e = mh_arena_sprintf(a, "%s: %s", post.error_code, post.error);
		record(run, job_id, url, job->attempt, 0, e, post.duration_ms);
		return fail_with(run, MH_JOB_RETRY, post.error_code, post.error);
	}
	if (post.status < 200 || post.status > 299) {
		const char *m = mh_arena_sprintf(a, "the receiver answered %ld", post.status);
		record(run, job_id, url, job->attempt, post.status,
		       mh_arena_sprintf(a, "http_status: %s", m), post.duration_ms);
		return fail_with(run, MH_JOB_RETRY, "http_status", m);
	}
	record(run, job_id, url, job->attempt, post.status, NULL, post.duration_ms);
	run->result_json = mh_arena_sprintf(a, "{\"status_code\":%ld,\"attempt\":%d}", post.status,
					    job->attempt);
	return MH_JOB_SUCCEEDED;
}

/* The creator's current role must still be viewer+ in the tenant (app_enter): a delivery
 * for someone removed from the tenant fails like their requests would. max_attempts comes
 * from the enqueuer (webhook_max_attempts). */
const struct mh_job_kind webhooks_job_kinds[] = {
	{ .name = WEBHOOKS_KIND, .run = deliver_run, .min_role = MH_ROLE_VIEWER },
	{ 0 },
};

/* ---- The hook ----------------------------------------------------------------------------- */

int webhooks_on_job_finished(const struct mh_job *job, const char *status,
			     const char *result_json, struct mh_tx *tx)
{
	struct mh_job_spec spec;
	struct json_object *v;
	struct mh_buf b;

	(void)result_json; /* the delivery renders the job as it is when it is sent */
	if (!json_object_object_get_ex(job->payload, WEBHOOKS_PAYLOAD_URL, &v) ||
	    !json_object_is_type(v, json_type_string) || strcmp(job->kind, WEBHOOKS_KIND) == 0)
		return 0;
	mh_buf_init(&b, tx->req->arena, 256);
	mh_buf_puts(&b, "{\"job_id\":");
	mh_buf_json_cstr(&b, job->id);
	mh_buf_printf(&b, ",\"event\":\"job.%s\",\"url\":", status);
	mh_buf_json_cstr(&b, json_object_get_string(v));
	mh_buf_putc(&b, '}');
	memset(&spec, 0, sizeof(spec));
	spec.kind = WEBHOOKS_KIND;
	spec.payload_json = mh_buf_cstr(&b);
	spec.max_attempts = webhooks_settings.webhook_max_attempts;
	if (spec.payload_json == NULL)
		return -1;
	return mh_queue_enqueue(tx, &spec) < 0 ? -1 : 0;
}
