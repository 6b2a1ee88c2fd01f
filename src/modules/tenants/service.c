/* service.c - the current tenant, its members (with the owner rules enforced in the
 * database, schema 0003) and its audit log, each in one pipelined transaction. */
#include "modules/tenants/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "core/address.h"
#include "core/page_list.h"
#include "modules/auth/auth.h"

/* ---- JSON rows ----------------------------------------------------------------------------- */

static void put_tenant(struct mh_buf *b, const PGresult *r)
{
	static const char *const names[] = { "id", "name", "slug", "created_at", "updated_at",
					     "role" };

	mh_db_put_row(b, r, 0, names, 6);
}

static void put_member(struct mh_buf *b, const PGresult *r, int i)
{
	static const char *const names[] = { "user_id", "email", "name", "role", "joined_at" };

	mh_db_put_row(b, r, i, names, 5);
}

static void put_audit(struct mh_buf *b, const PGresult *r, int i)
{
	static const char *const names[] = { "id", "actor_id", "action", "target",
					     "ip", "request_id", "created_at" };

	mh_db_put_row(b, r, i, names, 7);
}

/* Custom SQLSTATEs of schema 0003 first, then the framework's mapping. */
static int reply_db_error(struct mh_request *req, struct mh_response *res, struct mh_tx *tx,
			  int rc)
{
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MH404") == 0)
		return mh_reply_error(req, res, 404, "not_found", "no such member in this tenant");
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MH409") == 0)
		return mh_reply_error(req, res, 409, "last_owner",
				      "a tenant needs at least one owner; promote another first");
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "23505") == 0)
		return mh_reply_error(req, res, 409, "conflict",
				      "this already exists (slug taken, or already a member)");
	return mh_db_reply_error(req, res, tx, rc);
}

/* ---- Handlers' services -------------------------------------------------------------------- */

/* {"data": the tenant} from a statement's single row; 404 when there is none. */
static int reply_tenant(struct mh_request *req, struct mh_response *res, const PGresult *r)
{
	if (r == NULL || PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such tenant");
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_tenant(&res->body, r);
	mh_buf_putc(&res->body, '}');
	res->status = 200;
	return 0;
}

int tenants_get(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	int q, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "tenants_get", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	return reply_tenant(req, res, mh_tx_result(&tx, q));
}

int tenants_update(struct mh_request *req, struct mh_response *res, const char *name,
		   const char *slug)
{
	struct mh_tx tx;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 2);
	const char *target;
	int q, rc;

	if (p == NULL)
		return -1;
	p[0] = name;
	p[1] = slug;
	target = mh_arena_sprintf(req->arena, "%s%s%s%s", name ? "name " : "", name ? name : "",
				  slug ? " slug " : "", slug ? slug : "");
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "tenants_update", p, 2);
	auth_audit_queue(&tx, "tenant_updated", target);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	return reply_tenant(req, res, mh_tx_result(&tx, q));
}

int tenants_members_list(struct mh_request *req, struct mh_response *res,
			 const struct mh_page *page)
{
	static const struct mh_page_list members = {
		"tenants_members_first", "tenants_members_after", put_member, 4, 0, reply_db_error,
	};

	return mh_page_list(req, res, &members, page);
}

int tenants_audit_list(struct mh_request *req, struct mh_response *res,
		       const struct mh_page *page)
{
	static const struct mh_page_list audit = {
		"tenants_audit_first", "tenants_audit_after", put_audit, 6, 0, reply_db_error,
	};

	return mh_page_list(req, res, &audit, page);
}

/* One member-changing statement; replies with the member row (status) or 204. */
static int member_write(struct mh_request *req, struct mh_response *res, const char *stmt,
			const char **p, int np, int status)
{
	struct mh_tx tx;
	const PGresult *r;
	int q, rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, stmt, p, np);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if (status == 204) {
		res->status = 204;
		return 0;
	}
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_member(&res->body, r, 0);
	mh_buf_putc(&res->body, '}');
	res->status = status;
	return 0;
}

int tenants_members_set_role(struct mh_request *req, struct mh_response *res,
			     const char *user_id, const char *role)
{
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 4);

	if (p == NULL)
		return -1;
	p[0] = user_id;
	p[1] = role;
	p[2] = mh_address_client(req);
	p[3] = req->request_id;
	return member_write(req, res, "tenants_members_set_role", p, 4, 200);
}

int tenants_members_remove(struct mh_request *req, struct mh_response *res,
			   const char *user_id)
{
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);

	if (p == NULL)
		return -1;
	p[0] = user_id;
	p[1] = mh_address_client(req);
	p[2] = req->request_id;
	return member_write(req, res, "tenants_members_remove", p, 3, 204);
}
