/* it_rls.c - tenant isolation enforced by PostgreSQL itself, for menhir_app. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "helpers.h"

#define TENANT_A "0000000a-0000-4000-8000-00000000000a"
#define TENANT_B "0000000b-0000-4000-8000-00000000000b"
#define ROW_A1 "a1a1a1a1-0000-4000-8000-000000000001"
#define ROW_A2 "a2a2a2a2-0000-4000-8000-000000000002"
#define ROW_B1 "b1b1b1b1-0000-4000-8000-000000000003"

/* Fixtures are written by the superuser, the one role RLS does not apply to. */
static void seed(void)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	PQclear(t_pg_ok(su, "DELETE FROM tenants WHERE id IN ('" TENANT_A "', '" TENANT_B "')"));
	PQclear(t_pg_ok(su, "INSERT INTO tenants (id, name, slug) VALUES"
			    " ('" TENANT_A "', 'Tenant A', 'rls-tenant-a'),"
			    " ('" TENANT_B "', 'Tenant B', 'rls-tenant-b')"));
	PQclear(t_pg_ok(su, "INSERT INTO audit_log (id, tenant_id, action) VALUES"
			    " ('" ROW_A1 "', '" TENANT_A "', 'a.first'),"
			    " ('" ROW_A2 "', '" TENANT_A "', 'a.second'),"
			    " ('" ROW_B1 "', '" TENANT_B "', 'b.secret')"));
	PQfinish(su);
}

TestSuite(rls, .init = seed);

static PGconn *app_in_tenant(const char *tenant)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");
	char sql[256];

	PQclear(t_pg_ok(c, "BEGIN"));
	snprintf(sql, sizeof(sql), "SELECT set_config('app.tenant_id', '%s', true)", tenant);
	PQclear(t_pg_ok(c, sql));
	return c;
}

static int count(PGconn *c, const char *sql)
{
	PGresult *r = t_pg_ok(c, sql);
	int n = atoi(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

Test(rls, app_role_cannot_bypass_rls)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");
	PGresult *r = t_pg_ok(c, "SELECT rolsuper, rolbypassrls FROM pg_roles"
				 " WHERE rolname = current_user");

	cr_assert_str_eq(PQgetvalue(r, 0, 0), "f");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "f");
	PQclear(r);
	r = t_pg_ok(c, "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'audit_log'");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	PQfinish(c);
}

Test(rls, tenant_sees_only_its_rows_without_a_where_clause)
{
	PGconn *c = app_in_tenant(TENANT_A);

	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log"), 2);
	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log WHERE tenant_id <> '" TENANT_A "'"),
		     0);
	cr_assert_eq(count(c, "SELECT count(*) FROM tenants"), 1);
	PQfinish(c);
}

Test(rls, no_tenant_set_sees_nothing)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");

	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log"), 0);
	cr_assert_eq(count(c, "SELECT count(*) FROM tenants"), 0);
	PQfinish(c);
}

Test(rls, row_security_off_is_refused)
{
	PGconn *c = app_in_tenant(TENANT_A);
	char state[6];

	PQclear(t_pg_ok(c, "SET LOCAL row_security = off"));
	/* With row_security off, a query that RLS would filter is an error for
	 * a role that cannot bypass RLS: never a way around the policy. */
	cr_assert_str_eq(t_pg_state(c, "SELECT count(*) FROM audit_log", state), "42501");
	PQfinish(c);
}

Test(rls, another_tenants_row_by_id_is_invisible_and_untouchable)
{
	PGconn *c = app_in_tenant(TENANT_A);
	char state[6];
	PGresult *r;

	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log WHERE id = '" ROW_B1 "'"), 0);
	cr_assert_eq(count(c, "SELECT count(*) FROM tenants WHERE id = '" TENANT_B "'"), 0);
	r = t_pg_ok(c, "UPDATE tenants SET name = 'pwned' WHERE id = '" TENANT_B "'");
	cr_assert_str_eq(PQcmdTuples(r), "0");
	PQclear(r);
	/* Writing a row into another tenant fails the policy's WITH CHECK. */
	cr_assert_str_eq(t_pg_state(c, "INSERT INTO audit_log (tenant_id, action)"
				       " VALUES ('" TENANT_B "', 'forged')",
				    state),
			 "42501");
	PQfinish(c);
}

Test(rls, app_cannot_rewrite_history)
{
	PGconn *c = app_in_tenant(TENANT_A);
	char state[6];

	cr_assert_str_eq(t_pg_state(c, "DELETE FROM audit_log", state), "42501");
	PQfinish(c);
}

Test(rls, tenant_setting_does_not_survive_the_transaction)
{
	PGconn *c = app_in_tenant(TENANT_A);
	PGresult *r;

	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log"), 2);
	PQclear(t_pg_ok(c, "COMMIT"));
	r = t_pg_ok(c, "SELECT coalesce(current_setting('app.tenant_id', true), '')");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "");
	PQclear(r);
	cr_assert_eq(count(c, "SELECT count(*) FROM audit_log"), 0);
	PQfinish(c);
}

/* The framework's own transaction (pipelined BEGIN + set_config + query +
 * COMMIT) under each tenant context, through nginx and a worker. */
static void ids_seen(const char *tenant, char *out, size_t outlen)
{
	struct http_response r;
	char path[200];
	json_object *root, *data;

	snprintf(path, sizeof(path), "/api/v1/test/audit%s%s", tenant ? "?tenant_id=" : "",
		 tenant ? tenant : "");
	t_get(path, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_tokener_parse(r.body);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	out[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		json_object *id;
		json_object_object_get_ex(json_object_array_get_idx(data, i), "id", &id);
		strncat(out, json_object_get_string(id), outlen - strlen(out) - 2);
		strcat(out, ",");
	}
	json_object_put(root);
	t_http_free(&r);
}

Test(rls, framework_transaction_sets_the_tenant_context)
{
	char seen[1024];

	ids_seen(TENANT_A, seen, sizeof(seen));
	cr_assert(strstr(seen, ROW_A1) && strstr(seen, ROW_A2), "A sees %s", seen);
	cr_assert(strstr(seen, ROW_B1) == NULL, "A sees B's row: %s", seen);
	ids_seen(TENANT_B, seen, sizeof(seen));
	cr_assert_str_eq(seen, ROW_B1 ",");
	/* Same worker connections, next request: nothing leaks from before. */
	ids_seen(NULL, seen, sizeof(seen));
	cr_assert_str_eq(seen, "");
}
