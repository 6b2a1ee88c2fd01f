/* service.c - invitations: create (and mail), list, revoke, accept; each one pipelined
 * transaction. */
#include "modules/invitations/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/auth.h"
#include "core/page_list.h"
#include "modules/auth/auth.h"
#include "modules/mail/mail.h"

struct invitations_settings invitations_settings;

static void put_invitation(struct mh_buf *b, const PGresult *r, int i)
{
	static const char *const names[] = {"id",          "email",      "role",
	                                    "status",      "invited_by", "expires_at",
	                                    "accepted_at", "created_at"};

	mh_db_put_row(b, r, i, names, 8);
}

static int reply_db_error(struct mh_request *req, struct mh_response *res, struct mh_tx *tx, int rc)
{
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MH403") == 0)
		return mh_reply_error(req, res, 403, "forbidden",
		                      "only an owner can invite an owner");
	return mh_db_reply_error(req, res, tx, rc);
}

int invitations_create(struct mh_request *req, struct mh_response *res, const char *email,
                       const char *role)
{
	const char *token, **p = mh_arena_alloc(req->arena, sizeof(*p) * 7), *loc;
	const PGresult *r;
	int rc;

	if (!auth_verified_or_reply(req, res, "invite"))
		return 0;
	rc = auth_rate_limit_or_reply(req, res, "invite", req->principal.tenant_id,
	                              invitations_settings.invite_max, 3600);
	if (rc <= 0)
		return rc;
	if (p == NULL || auth_refresh_new(req->arena, &token, &p[2]) < 0)
		return -1;
	p[0] = email;
	p[1] = role;
	p[3] = mh_arena_sprintf(req->arena, "%d", INVITATIONS_TTL);
	p[4] = mail_link(req->arena, "accept-invitation", token);
	p[5] = mh_address_client(req);
	p[6] = req->request_id;
	if (p[3] == NULL || p[4] == NULL)
		return -1;
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, reply_db_error,
	                         &(struct mh_tx_query){"invitations_create", p, 7}, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	loc = mh_arena_sprintf(req->arena, "/api/v1/tenants/current/invitations/%s",
	                       PQgetvalue(r, 0, 0));
	if (loc == NULL || mh_response_header(res, "Location", loc) < 0)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_invitation(&res->body, r, 0);
	mh_buf_putc(&res->body, '}');
	res->status = 201;
	return 0;
}

int invitations_list(struct mh_request *req, struct mh_response *res, const struct mh_page *page)
{
	static const struct mh_page_list invitations = {
	        "invitations_first", "invitations_after", put_invitation, 7, 0, NULL};

	return mh_page_list(req, res, &invitations, page);
}

int invitations_revoke(struct mh_request *req, struct mh_response *res, const char *id)
{
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	if (!mh_tx_begin_or_reply(&tx, req, res, MH_TX_READ_WRITE))
		return 0;
	/* Kept open: the audit row is queued only for an invitation that was pending. */
	rc = mh_tx_end_or_reply(&tx, res, mh_tx_fetch, NULL,
	                        mh_tx_query(&tx, "invitations_revoke", &id, 1), &r);
	if (rc <= 0)
		return rc;
	/* Nothing pending with this id in the tenant (another tenant's id finds nothing). */
	if (PQntuples(r) != 1) {
		mh_tx_rollback(&tx);
		return mh_reply_error(req, res, 404, "not_found",
		                      "no pending invitation with this id");
	}
	auth_audit_queue(&tx, "invitation_revoked", id);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	res->status = 204;
	return 0;
}

/* What the invitee hears for each outcome of invitation_accept (schema 0009). */
static int accept_reply(struct mh_request *req, struct mh_response *res, const PGresult *r,
                        const char *family, const char *refresh_token)
{
	const char *outcome = PQgetvalue(r, 0, 0);

	if (strcmp(outcome, "invalid") == 0)
		return mh_reply_error(
		        req, res, 400, "invalid_token",
		        "this invitation is invalid, expired, revoked or already used");
	if (strcmp(outcome, "login") == 0)
		return mh_reply_error(req, res, 401, "login_required",
		                      "log in as the invited address, then accept the invitation");
	if (strcmp(outcome, "password") == 0) {
		struct mh_error_detail d = {"password", "is required to create your account"};
		return mh_reply_error_details(req, res, 400, "validation_failed",
		                              "choose a password for your new account", &d, 1);
	}
	req->principal.tenant_id = PQgetvalue(r, 0, 2);
	if (strcmp(outcome, "created") == 0) {
		struct auth_grant g = {PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
		                       PQgetvalue(r, 0, 3), strtoll(PQgetvalue(r, 0, 4), NULL, 10),
		                       family};

		req->principal.user_id = g.user_id;
		return auth_session_reply(req, res, 201, &g, refresh_token, NULL);
	}
	/* joined / member: the logged-in user keeps their session; they switch to the tenant
	 * when they choose to (POST /auth/switch-tenant). */
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{\"outcome\":");
	mh_buf_json_cstr(&res->body, outcome);
	mh_buf_puts(&res->body, ",\"tenant_id\":");
	mh_buf_json_cstr(&res->body, PQgetvalue(r, 0, 2));
	mh_buf_puts(&res->body, ",\"role\":");
	mh_buf_json_cstr(&res->body, PQgetvalue(r, 0, 3));
	mh_buf_puts(&res->body, "}}");
	res->status = 200;
	return 0;
}

int invitations_accept(struct mh_request *req, struct mh_response *res, const char *token,
                       const char *password, const char *name)
{
	const char *refresh, *family = auth_session_new(req->arena);
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 9);
	const struct mh_tx_query s = {"invitations_accept", p, 9};
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	if (!auth_token_shape_ok(token))
		return mh_reply_error(
		        req, res, 400, "invalid_token",
		        "this invitation is invalid, expired, revoked or already used");
	/* A logged-in invitee presents their access token: it names who consents. */
	if (mh_header(req, "authorization") != NULL && !mh_auth_authenticate_or_reply(req, res))
		return 0;
	if (p == NULL || family == NULL || auth_refresh_new(req->arena, &refresh, &p[4]) < 0 ||
	    (p[0] = auth_token_hash_param(req->arena, token)) == NULL)
		return -1;
	p[1] = req->principal.user_id ? req->principal.user_id : "";
	/* A password is hashed only for a new account: never set on an existing one here. */
	p[2] = password && p[1][0] == '\0' ? auth_password_hash(req, password) : "";
	p[3] = name ? name : "";
	p[5] = family;
	p[6] = mh_arena_sprintf(req->arena, "%d", auth_refresh_ttl());
	p[7] = mh_address_client(req);
	p[8] = req->request_id;
	if (p[2] == NULL || p[6] == NULL)
		return -1;
	/* No tenant context: the definer function reads the invitation by its token (and a new
	 * account's first session records its client, as a login's does). */
	rc = auth_tx_without_tenant_or_reply(req, res, &tx, &s, mh_tx_commit, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	return accept_reply(req, res, r, family, refresh);
}
