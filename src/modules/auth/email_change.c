/* email_change.c - changing one's e-mail address: the signed-in user asks with their current
 * password; a single-use link (256 random bits, only its SHA-256 stored, valid a day) goes to
 * the new address and a notice without any secret to the old one; the address changes only
 * when the link comes back, and then every session of the user ends, as after a password
 * change (schema 0030). No answer says whether the new address has an account. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/auth.h"
#include "core/log.h"
#include "core/password.h"
#include "core/revocation.h"
#include "core/tx_run.h"
#include "modules/mail/mail.h"

#define CHANGE_TTL (24 * 3600)

/* 202 {"data":{"status":"queued"}}: what every accepted request hears, whoever the new
 * address belongs to and whether a mail went out. */
static int queued(struct mh_response *res)
{
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{\"status\":\"queued\"}}");
	res->status = 202;
	return 0;
}

/* Checks current_password against the locked row of q. 1 when it is right; 0 having rolled
 * back and replied (403, or an error). */
static int password_right_or_reply(struct mh_request *req, struct mh_response *res,
                                   struct mh_tx *tx, int q, const char *current_password,
                                   const char **email)
{
	struct mh_error_detail d = {"current_password", "is incorrect"};
	const PGresult *r;
	int rc = mh_tx_fetch(tx);

	if (rc != MH_DB_OK) {
		mh_db_reply_error(req, res, tx, rc);
		return 0;
	}
	r = mh_tx_result(tx, q);
	if (r == NULL || PQntuples(r) != 1) {
		/* A deleted or disabled account whose token still verifies. */
		mh_tx_rollback(tx);
		mh_reply_error(req, res, 401, "unauthenticated", "this account no longer exists");
		return 0;
	}
	if (mh_password_verify(PQgetvalue(r, 0, 0), current_password, strlen(current_password)) !=
	    1) {
		mh_tx_rollback(tx);
		mh_reply_error_details(req, res, 403, "invalid_credentials",
		                       "the current password is incorrect", &d, 1);
		return 0;
	}
	*email = PQgetvalue(r, 0, 1);
	return 1;
}

int auth_email_change_request(struct mh_request *req, struct mh_response *res, const char *email,
                              const char *current_password)
{
	const char *current = NULL, *token, **p;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	/* Counted before the password check: it also bounds guessing with a stolen token. */
	rc = auth_mail_ip_limit_or_reply(req, res);
	if (rc <= 0)
		return rc;
	p = mh_arena_alloc(req->arena, sizeof(*p) * 6);
	if (p == NULL)
		return -1;
	/* The user's own context, no tenant: the account is not any tenant's. */
	if (!mh_tx_begin_or_reply(&tx, req, res, MH_TX_READ_WRITE | MH_TX_WITHOUT_TENANT))
		return 0;
	/* Round trip 1: the password hash, the row locked until commit. */
	q = mh_tx_query(&tx, "auth_email_change_lock", NULL, 0);
	if (!password_right_or_reply(req, res, &tx, q, current_password, &current))
		return 0;
	if (strcmp(current, email) == 0) {
		struct mh_error_detail d = {"email", "is already your address"};

		mh_tx_rollback(&tx);
		return mh_reply_error_details(req, res, 400, "validation_failed",
		                              "that is already your address", &d, 1);
	}
	/* The cooldowns are taken only once the password is right, so a mistyped one does
	 * not hold up the next try. The user's own is theirs to hear about (429); the new
	 * address's, which keeps anyone from mailing one address over and over through many
	 * accounts, is silent: the answer is the same 202 and nothing is queued. */
	rc = auth_mail_cooldown_take(req, "email_change", req->principal.user_id);
	if (rc == 0) {
		const char *v = mh_arena_sprintf(req->arena, "%d", auth_settings.mail_cooldown);

		mh_tx_rollback(&tx);
		if (v != NULL)
			mh_response_header(res, "Retry-After", v);
		return mh_reply_error(req, res, 429, "too_many_requests",
		                      "a change was requested moments ago; check the new inbox");
	}
	if (rc < 0)
		return -1;
	rc = auth_mail_cooldown_take(req, "email_to", email);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		mh_tx_rollback(&tx);
		return queued(res);
	}
	if (auth_refresh_new(req->arena, &token, &p[1]) < 0 ||
	    (p[2] = mh_arena_sprintf(req->arena, "%d", CHANGE_TTL)) == NULL ||
	    (p[3] = mail_link(req->arena, "confirm-email", token)) == NULL)
		return -1;
	p[0] = email;
	p[4] = mh_address_client(req);
	p[5] = req->request_id;
	q = mh_tx_query(&tx, "auth_email_change_request", p, 6);
	rc = mh_tx_end_or_reply(&tx, res, mh_tx_commit, NULL, q, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	return queued(res);
}

/* What the holder of a link hears for each outcome of auth_email_change_confirm but
 * "changed" (schema 0030). */
static int confirm_refused(struct mh_request *req, struct mh_response *res, const char *outcome)
{
	if (strcmp(outcome, "stale") == 0)
		return mh_reply_error(
		        req, res, 410, "link_superseded",
		        "this change was replaced or cancelled (a newer request, or a "
		        "password change); ask for the change again");
	if (strcmp(outcome, "taken") == 0)
		return mh_reply_error(req, res, 409, "email_taken",
		                      "an account with this e-mail already exists");
	return mh_reply_error(req, res, 400, "invalid_token",
	                      "this link is invalid, expired or already used");
}

int auth_email_change_confirm(struct mh_request *req, struct mh_response *res, const char *token)
{
	const char *refresh, *family = auth_session_new(req->arena), *tenant = NULL, *outcome;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 8);
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	if (!auth_token_shape_ok(token))
		return confirm_refused(req, res, "invalid");
	/* The link is the proof; an access token sent along only asks for the confirming
	 * session to go on (it must be valid, like any token presented). */
	if (mh_header(req, "authorization") != NULL) {
		if (!mh_auth_authenticate_or_reply(req, res))
			return 0;
		tenant = req->principal.tenant_id;
	}
	if (p == NULL || family == NULL || auth_refresh_new(req->arena, &refresh, &p[3]) < 0 ||
	    (p[0] = auth_token_hash_param(req->arena, token)) == NULL)
		return -1;
	p[1] = req->principal.user_id ? req->principal.user_id : "";
	p[2] = tenant ? tenant : "";
	p[4] = family;
	p[5] = mh_arena_sprintf(req->arena, "%d", auth_refresh_ttl());
	p[6] = mh_address_client(req);
	p[7] = req->request_id;
	if (p[5] == NULL)
		return -1;
	/* Kept open: the revocation below must be recorded before the commit. */
	rc = auth_tx_without_tenant_or_reply(
	        req, res, &tx, &(struct mh_tx_query){"auth_email_change_confirm", p, 8},
	        mh_tx_fetch, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	outcome = PQgetvalue(r, 0, 0);
	if (strcmp(outcome, "changed") != 0) {
		mh_tx_rollback(&tx);
		return confirm_refused(req, res, outcome);
	}
	/* Every access token of the user dies once Redis has the new floor, recorded before
	 * the commit (the row is locked: the version is exact): if Redis cannot take it,
	 * nothing changes, the client hears 503 and the link still works. */
	if (mh_revocation_set_min_version(req, PQgetvalue(r, 0, 1),
	                                  strtoll(PQgetvalue(r, 0, 2), NULL, 10)) < 0) {
		mh_tx_rollback(&tx);
		return mh_reply_unavailable(req, res, "the token revocation service");
	}
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if (PQgetisnull(r, 0, 3)) {
		res->status = 204;
		return 0;
	}
	/* The confirming session goes on as a new one; every other session has ended. */
	{
		struct auth_grant g = {PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 3),
		                       PQgetvalue(r, 0, 4), strtoll(PQgetvalue(r, 0, 2), NULL, 10),
		                       family};

		req->principal.tenant_id = g.tenant_id;
		return auth_session_reply(req, res, 200, &g, refresh, NULL);
	}
}
