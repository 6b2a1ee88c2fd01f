/* account.c - the account flows that go through the user's mailbox: password reset (forgot,
 * then reset with the mailed token), e-mail verification (at signup, resend, verify), and the
 * policy for what an unverified address may do. Each mailed token is 256 random bits that
 * only the mail carries; the database keeps its SHA-256 (schema 0009). */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/address.h"
#include "core/log.h"
#include "core/revocation.h"
#include "core/tx_run.h"
#include "modules/mail/mail.h"

#define RESET_TTL  (30 * 60)
#define VERIFY_TTL (7 * 24 * 3600)

int auth_token_shape_ok(const char *token)
{
	size_t n = 0;

	for (; token[n]; n++)
		if (!((token[n] >= 'A' && token[n] <= 'Z') ||
		      (token[n] >= 'a' && token[n] <= 'z') ||
		      (token[n] >= '0' && token[n] <= '9') || token[n] == '-' || token[n] == '_'))
			return 0;
	return n == 43;
}

static int invalid_token(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_error(req, res, 400, "invalid_token",
	                      "this link is invalid, expired or already used");
}

/* {"link": …} as the template variables of a mail carrying token to page. */
static const char *link_vars(struct mh_arena *a, const char *page, const char *token)
{
	const char *link = mail_link(a, page, token);
	struct mh_buf b;

	if (link == NULL)
		return NULL;
	mh_buf_init(&b, a, 256);
	mh_buf_puts(&b, "{\"link\":");
	mh_buf_json_cstr(&b, link);
	mh_buf_putc(&b, '}');
	return mh_buf_cstr(&b);
}

/* ---- Password reset ------------------------------------------------------------------------- */

int auth_password_forgot(struct mh_request *req, struct mh_response *res, const char *email)
{
	const struct mh_tx_query s = {"auth_forgot_queue", &email, 1};
	const PGresult *r;
	int rc;

	rc = auth_mail_ip_limit_or_reply(req, res);
	if (rc <= 0)
		return rc;
	/* From here on the same steps whoever the address belongs to: the cooldown is keyed by
	 * the address as typed, and the queued job looks the account up later, off the request
	 * path. Neither the answer nor its time can tell whether the address has an account. */
	rc = auth_mail_cooldown_take(req, "forgot", email);
	if (rc < 0)
		return -1;
	if (rc == 1 && (rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, NULL, &s, &r)) <= 0)
		return rc;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{\"status\":\"accepted\"}}");
	res->status = 202;
	return 0;
}

/* The job auth.password_reset: for an address with an account, a token and its mail, in one
 * transaction; for any other address, nothing. The job's result does not say which. */
static enum mh_job_outcome forgot_run(const struct mh_job *job, struct mh_job_run *run)
{
	struct mh_arena *a = run->req->arena;
	struct json_object *v;
	/* The parameters outlive this function: the runner sends them with its COMMIT. */
	const char *token, *hash, **p = mh_arena_alloc(a, sizeof(*p) * 4);

	if (p == NULL)
		return MH_JOB_RETRY;
	if (!json_object_object_get_ex(job->payload, "email", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		run->error_code = "bad_payload";
		run->error = "a reset request needs an email";
		return MH_JOB_FAILED;
	}
	if (auth_refresh_new(a, &token, &hash) < 0 ||
	    (p[3] = link_vars(a, "reset-password", token)) == NULL) {
		run->error_code = "internal_error";
		run->error = "out of memory";
		return MH_JOB_RETRY;
	}
	p[0] = json_object_get_string(v);
	p[1] = hash;
	p[2] = mh_arena_sprintf(a, "%d", RESET_TTL);
	mh_tx_query(run->tx, "auth_reset_issue", p, 4);
	return MH_JOB_SUCCEEDED;
}

/* The periodic auth.cleanup: spent reset and verification tokens, and invitations settled
 * more than jobs_keep_days ago (the counts are the job's result). */
static enum mh_job_outcome cleanup_run(const struct mh_job *job, struct mh_job_run *run)
{
	const char **p = mh_arena_alloc(run->req->arena, sizeof(*p));
	const PGresult *r;
	int q;

	(void)job;
	if (p == NULL)
		return MH_JOB_RETRY;
	p[0] = auth_keep_days;
	q = mh_tx_query(run->tx, "auth_accounts_cleanup", p, 1);
	if (q < 0 || mh_tx_fetch(run->tx) != MH_DB_OK || (r = mh_tx_result(run->tx, q)) == NULL ||
	    PQntuples(r) != 1) {
		run->error_code = "database_error";
		run->error = "the cleanup failed";
		return MH_JOB_RETRY;
	}
	run->result_json = PQgetvalue(r, 0, 0);
	return MH_JOB_SUCCEEDED;
}

/* jobs_keep_days as the cleanup's parameter; auth_init sets it, and the cleanup's period
 * (jobs_cleanup_every), before the fork (`menhir work` takes a new configuration on
 * restart). */
char auth_keep_days[16];

/* System jobs. */
struct mh_job_kind auth_job_kinds[] = {
        {.name = "auth.password_reset", .run = forgot_run, .system = 1},
        {.name = "auth.cleanup",
         .run = cleanup_run,
         .max_attempts = 3,
         .system = 1,
         .every_seconds = 3600},
        {0},
};

int auth_password_reset(struct mh_request *req, struct mh_response *res, const char *token,
                        const char *password)
{
	const char *hash, **p;
	const PGresult *r;
	int rc;

	if (!auth_token_shape_ok(token))
		return invalid_token(req, res);
	if ((hash = auth_password_hash(req, password)) == NULL)
		return -1;
	p = mh_arena_alloc(req->arena, sizeof(*p) * 4);
	if (p == NULL || (p[0] = auth_token_hash_param(req->arena, token)) == NULL)
		return -1;
	p[1] = hash;
	p[2] = mh_address_client(req);
	p[3] = req->request_id;
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, NULL,
	                         &(struct mh_tx_query){"auth_password_reset", p, 4}, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return invalid_token(req, res);
	req->principal.user_id = PQgetvalue(r, 0, 0);
	/* The password is set and every refresh token revoked; every access token dies once
	 * Redis has the new floor. If it cannot take it, the client hears 503: the token is
	 * spent, so the owner asks for another mail (logout-all also raises the floor). */
	if (mh_revocation_set_min_version(req, PQgetvalue(r, 0, 0),
	                                  strtoll(PQgetvalue(r, 0, 2), NULL, 10)) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	if (auth_lockout_clear(req, PQgetvalue(r, 0, 1)) < 0)
		mh_log(MH_LOG_WARN, "lockout_not_cleared", "request %s: after a password reset",
		       req->request_id);
	res->status = 204;
	return 0;
}

/* ---- E-mail verification -------------------------------------------------------------------- */

int auth_verify_queue(struct mh_tx *tx, const char *email)
{
	struct mh_arena *a = tx->req->arena;
	const char *token, **p = mh_arena_alloc(a, sizeof(*p) * 4);

	if (p == NULL || auth_refresh_new(a, &token, &p[1]) < 0 ||
	    (p[3] = link_vars(a, "verify-email", token)) == NULL ||
	    (p[2] = mh_arena_sprintf(a, "%d", VERIFY_TTL)) == NULL)
		return MH_DB_ERROR;
	p[0] = email;
	return mh_tx_query(tx, "auth_verify_issue", p, 4);
}

int auth_email_verify(struct mh_request *req, struct mh_response *res, const char *token)
{
	const char *p[3] = {NULL, mh_address_client(req), req->request_id};
	const struct mh_tx_query s = {"auth_email_verify", p, 3};
	const PGresult *r;
	int rc;

	if (!auth_token_shape_ok(token))
		return invalid_token(req, res);
	if ((p[0] = auth_token_hash_param(req->arena, token)) == NULL)
		return -1;
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, NULL, &s, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return invalid_token(req, res);
	res->status = 204;
	return 0;
}

int auth_email_verify_resend(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	rc = auth_mail_ip_limit_or_reply(req, res);
	if (rc <= 0)
		return rc;
	rc = auth_mail_cooldown_take(req, "verify", req->principal.user_id);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		const char *v = mh_arena_sprintf(req->arena, "%d", auth_settings.mail_cooldown);

		if (v != NULL)
			mh_response_header(res, "Retry-After", v);
		return mh_reply_error(req, res, 429, "too_many_requests",
		                      "a verification mail was sent moments ago; check your inbox");
	}
	/* The user's own context (auth_verify_issue reads app_user_id()), any tenant. */
	if (!mh_tx_begin_or_reply(&tx, req, res, MH_TX_READ_WRITE | MH_TX_WITHOUT_TENANT))
		return 0;
	rc = mh_tx_end_or_reply(&tx, res, mh_tx_commit, NULL, auth_verify_queue(&tx, NULL), &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{\"status\":");
	mh_buf_json_cstr(&res->body, PQgetvalue(r, 0, 0));
	mh_buf_puts(&res->body, "}}");
	res->status = 202;
	return 0;
}

/* ---- The policy ---------------------------------------------------------------------------------
 */

int auth_unverified_denied(const char *action)
{
	const char *p = auth_settings.unverified_deny;
	size_t n = strlen(action);

	while (*p) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, " ,");
		if (len == n && strncmp(p, action, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

int auth_verified_or_reply(struct mh_request *req, struct mh_response *res, const char *action)
{
	const struct mh_tx_query s = {"auth_email_verified", NULL, 0};
	const PGresult *r;
	int rc;

	if (!auth_unverified_denied(action))
		return 1;
	/* The user's own address, whichever tenant the request is for. */
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_ONLY | MH_TX_WITHOUT_TENANT, NULL, &s, &r);
	if (rc == 0)
		return 0;
	if (rc > 0 && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		return 1;
	mh_reply_error(req, res, 403, "email_unverified",
	               "confirm your e-mail address first (POST /api/v1/auth/email/verify/resend"
	               " sends the link again)");
	return 0;
}
