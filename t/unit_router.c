/* unit_router.c - route matching, parameters, 404 vs 405, clashes. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/input.h"
#include "core/router.h"

static int h(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct mh_field title[] = {{"title", MH_T_STRING, .max = 10}, {0}};
static const struct mh_field doc_body = {"Doc", MH_T_OBJECT, .fields = title};
static const struct mh_field id[] = {{"id", MH_T_STRING, .max = 64}, {0}};
static const struct mh_field id_file[] = {
        {"id", MH_T_STRING, .max = 64}, {"file_id", MH_T_STRING, .max = 64}, {0}};

static const struct mh_route doc_routes[] = {
        {MH_GET, "/api/v1/docs", h, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_POST, "/api/v1/docs", h, 0, MH_ROLE_MEMBER, .body = &doc_body},
        {MH_GET, "/api/v1/docs/:id", h, 0, MH_ROLE_VIEWER, id, .doc = NULL},
        {MH_GET, "/api/v1/docs/new", h, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_GET, "/api/v1/docs/:id/files/:file_id", h, 0, MH_ROLE_VIEWER, id_file, .doc = NULL},
        {MH_GET, "/api/v1/secret", h, MH_TEST_ONLY, MH_ROLE_NONE, .doc = NULL},
        {0},
};
static const struct mh_module docs = {.name = "docs", .routes = doc_routes};
static const struct mh_module *const mods[] = {&docs, NULL};

static struct mh_arena a;
static void setup(void)
{
	char err[256];
	mh_arena_init(&a, 1024);
	cr_assert_eq(mh_router_build(mods, 0, err, sizeof(err)), 0, "%s", err);
}
static void teardown(void)
{
	mh_arena_destroy(&a);
	mh_router_free();
}
TestSuite(router, .init = setup, .fini = teardown);

static enum mh_match match(unsigned m, const char *path, const struct mh_route **r,
                           struct mh_kv **kv, size_t *n, unsigned *allowed)
{
	size_t index;

	return mh_router_match(&a, m, path, r, &index, kv, n, allowed);
}

Test(router, static_and_parameter_routes)
{
	const struct mh_route *r = NULL;
	struct mh_kv *kv;
	size_t n;
	unsigned allowed;

	cr_assert_eq(match(MH_GET, "/api/v1/docs", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(r, &doc_routes[0]);
	cr_assert_eq(match(MH_POST, "/api/v1/docs", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(r, &doc_routes[1]);
	cr_assert_eq(match(MH_GET, "/api/v1/docs/42", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(kv[0].key, "id");
	cr_assert_str_eq(kv[0].value, "42");
	cr_assert_eq(match(MH_GET, "/api/v1/docs/7/files/9", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(kv[1].key, "file_id");
	cr_assert_str_eq(kv[1].value, "9");
}

Test(router, static_segment_beats_parameter)
{
	const struct mh_route *r = NULL;
	struct mh_kv *kv;
	size_t n;
	unsigned allowed;

	cr_assert_eq(match(MH_GET, "/api/v1/docs/new", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(r, &doc_routes[3]);
	cr_assert_eq(n, 0);
}

Test(router, not_found_and_method_not_allowed)
{
	const struct mh_route *r = NULL;
	struct mh_kv *kv;
	size_t n;
	unsigned allowed;

	cr_assert_eq(match(MH_GET, "/api/v1/nope", &r, &kv, &n, &allowed), MH_MATCH_NOT_FOUND);
	cr_assert_eq(match(MH_GET, "/api/v1/docs/", &r, &kv, &n, &allowed), MH_MATCH_NOT_FOUND);
	cr_assert_eq(match(MH_GET, "api/v1/docs", &r, &kv, &n, &allowed), MH_MATCH_NOT_FOUND);
	cr_assert_eq(match(MH_DELETE, "/api/v1/docs", &r, &kv, &n, &allowed), MH_MATCH_METHOD);
	cr_assert_str_eq(mh_router_allow_header(&a, allowed), "GET, HEAD, POST");
	cr_assert_eq(match(0, "/api/v1/docs", &r, &kv, &n, &allowed), MH_MATCH_METHOD);
}

Test(router, head_is_served_by_get)
{
	const struct mh_route *r = NULL;
	struct mh_kv *kv;
	size_t n;
	unsigned allowed;

	cr_assert_eq(match(MH_HEAD, "/api/v1/docs/1", &r, &kv, &n, &allowed), MH_MATCH_OK);
	cr_assert_eq(r, &doc_routes[2]);
}

Test(router, test_only_routes_are_absent_unless_enabled)
{
	const struct mh_route *r = NULL;
	struct mh_kv *kv;
	size_t n;
	unsigned allowed;
	char err[256];

	cr_assert_eq(match(MH_GET, "/api/v1/secret", &r, &kv, &n, &allowed), MH_MATCH_NOT_FOUND);
	cr_assert_eq(mh_router_build(mods, 1, err, sizeof(err)), 0);
	cr_assert_eq(match(MH_GET, "/api/v1/secret", &r, &kv, &n, &allowed), MH_MATCH_OK);
}

static const struct mh_field x[] = {{"x", MH_T_STRING, .max = 9}, {0}};
static const struct mh_field y[] = {{"y", MH_T_STRING, .max = 9}, {0}};
static const struct mh_route clash_routes[] = {
        {MH_GET, "/a/:x", h, 0, MH_ROLE_NONE, x, .doc = NULL},
        {MH_GET, "/a/:y", h, 0, MH_ROLE_NONE, y, .doc = NULL},
        {0},
};
static const struct mh_module clash = {.name = "clash", .routes = clash_routes};

Test(router, clashing_routes_refuse_to_start)
{
	const struct mh_module *const bad[] = {&clash, NULL};
	char err[256] = "";

	cr_assert_eq(mh_router_build(bad, 0, err, sizeof(err)), -1);
	cr_assert(strstr(err, "clashes") != NULL, "%s", err);
}

static const struct mh_route undeclared_routes[] = {
        {MH_GET, "/a/:x", h, 0, MH_ROLE_NONE, .doc = NULL},
        {0},
};
static const struct mh_module undeclared = {.name = "undeclared", .routes = undeclared_routes};

Test(router, a_path_parameter_without_a_declaration_refuses_to_start)
{
	const struct mh_module *const bad[] = {&undeclared, NULL};
	char err[256] = "";

	cr_assert_eq(mh_router_build(bad, 0, err, sizeof(err)), -1);
	cr_assert(strstr(err, "GET /a/:x") != NULL, "%s", err);
}

Test(router, the_plan_counts_each_routes_declared_input)
{
	cr_assert_eq(mh_router_plan(1)->nbody, 1);
	cr_assert_eq(mh_router_plan(2)->npath, 1);
	cr_assert_eq(mh_router_plan(4)->npath, 2);
	cr_assert_eq(mh_router_plan(0)->npath + mh_router_plan(0)->nquery, 0);
	cr_assert_eq(mh_router_plan(999)->npath, 0, "an index outside the table");
}
