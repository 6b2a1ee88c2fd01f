/* service.c - the signed-in user's profile: read it, rename, change the password (which
 * revokes every other session at once). */
#include "modules/users/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/password.h"
#include "core/revocation.h"
#include "modules/auth/auth.h"

/* The user object (without its closing brace): id, email, name, times, tenant, role and
 * every tenant the user belongs to. */
static void put_me(struct mh_request *req, struct mh_buf *b, const PGresult *me,
		   const PGresult *tenants)
{
	static const char *const me_names[] = { "id", "email", "name", "created_at",
						"updated_at" };
	static const char *const tenant_names[] = { "id", "role", "name", "slug" };

	mh_buf_putc(b, '{');
	mh_db_put_fields(b, me, 0, me_names, 5);
	mh_buf_puts(b, ",\"tenant_id\":");
	mh_buf_json_cstr(b, req->principal.tenant_id);
	mh_buf_puts(b, ",\"role\":");
	mh_buf_json_cstr(b, PQgetvalue(me, 0, 5));
	mh_buf_puts(b, ",\"tenants\":[");
	for (int i = 0; tenants != NULL && i < PQntuples(tenants); i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		mh_db_put_row(b, tenants, i, tenant_names, 4);
	}
	mh_buf_putc(b, ']');
}

int users_me_get(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *me;
	int qm, qt, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	qm = mh_tx_query(&tx, "users_me", NULL, 0);
	qt = mh_tx_query(&tx, "users_tenants", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	me = mh_tx_result(&tx, qm);
	if (me == NULL || PQntuples(me) != 1)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_me(req, &res->body, me, mh_tx_result(&tx, qt));
	mh_buf_puts(&res->body, "}}");
	res->status = 200;
	return 0;
}

int users_me_update(struct mh_request *req, struct mh_response *res, const char *name,
		    const char *password, const char *current_password)
{
	struct mh_tx tx;
	const PGresult *me, *lock, *ver;
	const char *token = NULL, *token_hash = NULL, *hash = NULL, *family = NULL;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);
	int qm, qt, qv = -1, rc;
	long long version = 0;

	if (p == NULL)
		return -1;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if (password != NULL) {
		/* Round trip 1: the current hash and version, the row locked until commit. */
		int ql = mh_tx_query(&tx, "users_lock_me", NULL, 0);

		rc = mh_tx_fetch(&tx);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		lock = mh_tx_result(&tx, ql);
		if (lock == NULL || PQntuples(lock) != 1)
			return -1;
		if (mh_password_verify(PQgetvalue(lock, 0, 0), current_password,
				       strlen(current_password)) != 1) {
			mh_tx_rollback(&tx);
			struct mh_error_detail d = { "current_password", "is incorrect" };
			return mh_reply_error_details(req, res, 403, "invalid_credentials",
						      "the current password is incorrect", &d, 1);
		}
		hash = auth_password_hash(req, password);
		family = auth_session_new(req->arena);
		if (hash == NULL || family == NULL ||
		    auth_refresh_new(req->arena, &token, &token_hash) < 0)
			return -1;
		/* The revocation comes before the commit: if Redis cannot take it, nothing
		 * changes and the client hears 503. The row lock makes version + 1 exactly the
		 * version auth_revoke_all() sets below. */
		version = strtoll(PQgetvalue(lock, 0, 1), NULL, 10) + 1;
		if (mh_revocation_set_min_version(req, req->principal.user_id, version) < 0) {
			mh_tx_rollback(&tx);
			return mh_reply_unavailable(req, res, "the token revocation service");
		}
		p[0] = token_hash;
		p[1] = family;
		p[2] = mh_arena_sprintf(req->arena, "%d", auth_refresh_ttl());
		mh_tx_query(&tx, "users_set_password", &hash, 1);
		qv = mh_tx_query(&tx, "users_revoke_all", NULL, 0);
		auth_client_note_queue(&tx);
		mh_tx_query(&tx, "users_refresh_issue", p, 3);
		auth_audit_queue(&tx, "password_changed", req->principal.user_id);
	}
	if (name != NULL) {
		mh_tx_query(&tx, "users_set_name", &name, 1);
		auth_audit_queue(&tx, "profile_updated", req->principal.user_id);
	}
	qm = mh_tx_query(&tx, "users_me", NULL, 0);
	qt = mh_tx_query(&tx, "users_tenants", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	me = mh_tx_result(&tx, qm);
	if (me == NULL || PQntuples(me) != 1)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_me(req, &res->body, me, mh_tx_result(&tx, qt));
	if (password != NULL) {
		/* This session continues with a fresh access token and refresh cookie; every
		 * other one is dead. */
		struct auth_grant g = { req->principal.user_id, req->principal.tenant_id,
					PQgetvalue(me, 0, 5), version, family };

		ver = mh_tx_result(&tx, qv);
		if (ver != NULL && PQntuples(ver) == 1)
			g.token_version = strtoll(PQgetvalue(ver, 0, 0), NULL, 10);
		mh_buf_putc(&res->body, ',');
		if (auth_access_token_json(req, &g, &res->body) < 0)
			return -1;
		auth_set_refresh_cookie(req, res, token);
	}
	mh_buf_puts(&res->body, "}}");
	res->status = 200;
	return 0;
}
