/* internal.h - what the webhooks module's files share (not for other modules). */
#ifndef WEBHOOKS_INTERNAL_H
#define WEBHOOKS_INTERNAL_H

#include "core/config.h"
#include "core/cursor.h"
#include "core/db.h"
#include "core/http.h"
#include "core/queue.h"
#include "modules/webhooks/webhooks.h"

#define WEBHOOKS_PAGE_DEFAULT 50
#define WEBHOOKS_PAGE_MAX 100

/* The job kind that delivers one webhook (deliver.c). */
#define WEBHOOKS_KIND "webhook.deliver"

/* repo.c */
extern const struct mh_db_statement webhooks_statements[];
/* Columns of webhooks_delivery_load after the reported job's MH_QUEUE_JOB_COLUMNS. */
enum {
	WEBHOOKS_LOAD_SECRET = MH_JOB_NCOLUMNS, /* the tenant's secret, NULL when none */
	WEBHOOKS_LOAD_CREATED_AT,              /* the delivery job's created_at: the event's */
};

/* The module's configuration keys (settings.c): the core loads them and hands them over at
 * start-up and on every reload, before workers or runners fork. */
struct webhooks_settings {
	int webhook_allow_private; /* http and private targets allowed (tests, development) */
	int webhook_timeout;       /* milliseconds for one delivery */
	int webhook_max_attempts;
};
extern struct webhooks_settings webhooks_settings;
extern const struct mh_settings webhooks_config;


/* service.c: each answers the client. */
int webhooks_secret_rotate(struct mh_request *req, struct mh_response *res);
int webhooks_secret_show(struct mh_request *req, struct mh_response *res);
int webhooks_deliveries_list(struct mh_request *req, struct mh_response *res,
			     const char *job_id, const struct mh_page *page);

/* deliver.c: one signed POST. */
struct webhooks_post {
	const char *url;
	const char *body;
	size_t len;
	const char *signature; /* the Menhir-Signature value */
	const char *event_id;
	int allow_private; /* http and private addresses allowed (tests, development) */
	int timeout_ms;
	/* Set by webhooks_http_post: */
	long status;            /* the receiver's HTTP status; 0 when there was no answer */
	const char *error_code; /* no answer: "timeout", "address_refused", "tls_error"... */
	const char *error;      /* no answer: a static message without the URL */
	long long duration_ms;
};
/* POSTs p->body to p->url with the signature, event id, User-Agent Menhir-Webhooks/1, no
 * redirects, no proxy, https only unless allow_private, refusing to connect to a forbidden
 * address unless allow_private; reads at most a few KiB of the answer. Returns 0 when the
 * receiver answered (any status), -1 otherwise (error_code and error say why). Uses one
 * libcurl handle per process, made on first call. */
int webhooks_http_post(struct webhooks_post *p);

/* deliver.c: the kind that POSTs a job's result, and the hook that queues it. */
extern const struct mh_job_kind webhooks_job_kinds[];
int webhooks_on_job_finished(const struct mh_job *job, const char *status,
			     const char *result_json, struct mh_tx *tx);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc webhooks_doc;

#endif
