/* unit_input.c - the declared-input checker of core/input.c, one behaviour per test: what a
 * route declares, what a request is refused for, and the values a handler reads. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/input.h"
#include "core/json.h"
#include "core/module.h"
#include "core/query.h"

static int h(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const char *const colours[] = {"red", "green", "blue", NULL};

enum { Q_LIMIT, Q_COLOUR, Q_OWNER, Q_FLAG, Q_TAG, Q_WHEN };
static const struct mh_field query[] = {
        [Q_LIMIT] = {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 100, .def = 20},
        [Q_COLOUR] = {"colour", MH_T_ENUM, .values = colours},
        [Q_OWNER] = {"owner_id", MH_T_UUID},
        [Q_FLAG] = {"flag", MH_T_BOOLEAN, MH_DEFAULT, .def = 0},
        [Q_TAG] = {"tag", MH_T_STRING, MH_REPEATABLE, .min = 1, .max = 5},
        [Q_WHEN] = {"since", MH_T_TIMESTAMP},
        {0},
};

static const struct mh_field id[] = {
        {"id", MH_T_UUID, .not_found = "no such thing"},
        {0},
};

static const struct mh_field tag = {"tag", MH_T_STRING, .min = 1, .max = 3};
static const struct mh_field point_members[] = {
        {"x", MH_T_INTEGER, MH_REQUIRED, .min = -9, .max = 9},
        {0},
};
enum { B_TITLE, B_TAGS, B_EMAIL, B_POINT, B_NOTE, B_SITE, B_ON };
static const struct mh_field body_members[] = {
        [B_TITLE] = {"title", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 10},
        [B_TAGS] = {"tags", MH_T_ARRAY, MH_UNIQUE, .max = 3, .items = &tag},
        [B_EMAIL] = {"email", MH_T_EMAIL},
        [B_POINT] = {"point", MH_T_OBJECT, .fields = point_members},
        [B_NOTE] = {"note", MH_T_STRING, MH_NULLABLE, .max = 5},
        [B_SITE] = {"site", MH_T_URL, .max = 100},
        [B_ON] = {"on", MH_T_BOOLEAN},
        {0},
};
static const struct mh_field body = {"Thing", MH_T_OBJECT, .fields = body_members};

static const struct mh_route routes[] = {
        {MH_GET, "/things", h, MH_PUBLIC, MH_ROLE_NONE, .query = query},
        {MH_PATCH, "/things/:id", h, MH_PUBLIC, MH_ROLE_NONE, id, .body = &body},
        {0},
};

static struct mh_arena a;
/* Where mh_json_parse names a duplicated member (unused here). */
static const char *fld;
static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 4096), 0);
}
static void teardown(void)
{
	mh_arena_destroy(&a);
}
TestSuite(input, .init = setup, .fini = teardown);

/* Runs route r's check over a query string, a path parameter and a JSON body. Returns what
 * mh_input_check_or_reply returned; res holds the answer. */
static int run(const struct mh_route *r, const char *qs, const char *path_id, const char *json,
               struct mh_request *req, struct mh_response *res)
{
	struct mh_input_plan plan;
	const char *err = NULL;
	char e[256];
	int nq;

	memset(req, 0, sizeof(*req));
	memset(res, 0, sizeof(*res));
	req->arena = &a;
	req->route = r;
	req->request_id = "test";
	mh_buf_init(&res->body, &a, 512);
	cr_assert_eq(mh_input_plan(r, &plan, e, sizeof(e)), 0, "%s", e);
	nq = mh_query_parse(&a, qs, &req->query, &err);
	cr_assert(nq >= 0, "%s", err);
	req->nquery = (size_t)nq;
	if (path_id != NULL) {
		req->params = mh_arena_alloc(&a, sizeof(*req->params));
		req->params[0].key = "id";
		req->params[0].value = path_id;
		req->nparams = 1;
	}
	if (json != NULL) {
		req->json = mh_json_parse(&a, json, strlen(json), &err, &fld);
		cr_assert_not_null(req->json, "%s: %s", json, err);
	}
	return mh_input_check_or_reply(req, res, &plan);
}

/* 1 when the answer's details hold {field, message containing what}. */
static int has(const struct mh_response *res, const char *field, const char *what)
{
	json_object *root = json_tokener_parse(mh_buf_cstr((struct mh_buf *)&res->body)), *d;
	int found = 0;

	if (root != NULL && json_object_object_get_ex(root, "details", &d))
		for (size_t i = 0; i < json_object_array_length(d) && !found; i++) {
			json_object *x = json_object_array_get_idx(d, i), *f, *m;
			found = json_object_object_get_ex(x, "field", &f) &&
			        json_object_object_get_ex(x, "message", &m) &&
			        strcmp(json_object_get_string(f), field) == 0 &&
			        strstr(json_object_get_string(m), what) != NULL;
		}
	json_object_put(root);
	return found;
}

static size_t ndetails(const struct mh_response *res)
{
	json_object *root = json_tokener_parse(mh_buf_cstr((struct mh_buf *)&res->body)), *d;
	size_t n = 0;

	if (root != NULL && json_object_object_get_ex(root, "details", &d))
		n = json_object_array_length(d);
	json_object_put(root);
	return n;
}

static void expect_400(const struct mh_response *res)
{
	cr_assert_eq(res->status, 400);
	cr_assert_str_eq(res->error_code, "validation_failed");
}

/* ---- query ---------------------------------------------------------------------------- */

Test(input, valid_query_reaches_the_handler_with_typed_values)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(
	        run(&routes[0],
	            "limit=7&colour=blue&owner_id=6B1F3E2A-9C4D-4E5F-8A7B-1C2D3E4F5A6B&flag=true"
	            "&since=2024-05-01T10:00:00Z",
	            NULL, NULL, &req, &res),
	        1);
	cr_assert_eq(mh_in_query(&req, Q_LIMIT)->i, 7);
	cr_assert_eq(mh_in_query(&req, Q_COLOUR)->i, 2);
	cr_assert_str_eq(mh_in_query(&req, Q_COLOUR)->s, "blue");
	cr_assert_str_eq(mh_in_query(&req, Q_OWNER)->s, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b",
	                 "UUIDs reach the handler lower-cased");
	cr_assert_eq(mh_in_query(&req, Q_FLAG)->i, 1);
	cr_assert_str_eq(mh_in_query(&req, Q_WHEN)->s, "2024-05-01T10:00:00Z");
}

Test(input, absent_parameters_take_their_defaults)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0], "", NULL, NULL, &req, &res), 1);
	cr_assert_not(mh_in_query(&req, Q_LIMIT)->present);
	cr_assert_eq(mh_in_query(&req, Q_LIMIT)->i, 20);
	cr_assert_eq(mh_in_query(&req, Q_FLAG)->i, 0);
	cr_assert_null(mh_in_query(&req, Q_COLOUR)->s);
}

Test(input, unknown_query_parameter_is_400_naming_it)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0], "zzz=1", NULL, NULL, &req, &res), 0);
	expect_400(&res);
	cr_assert(has(&res, "zzz", "unknown query parameter"));
}

Test(input, a_route_that_declares_no_query_refuses_any)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "x=1", "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b",
	                 "{\"title\":\"t\"}", &req, &res),
	             0);
	expect_400(&res);
	cr_assert(has(&res, "x", "unknown query parameter"));
}

Test(input, repeated_parameter_is_400_once)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0], "limit=1&limit=2&limit=3", NULL, NULL, &req, &res), 0);
	expect_400(&res);
	cr_assert(has(&res, "limit", "given more than once"));
	cr_assert_eq(ndetails(&res), 1);
}

Test(input, repeatable_parameter_keeps_every_value_in_order)
{
	struct mh_request req;
	struct mh_response res;
	const struct mh_value *t;

	cr_assert_eq(run(&routes[0], "tag=a&tag=bb&tag=ccc", NULL, NULL, &req, &res), 1);
	t = mh_in_query(&req, Q_TAG);
	cr_assert_eq(t->n, 3);
	cr_assert_str_eq(t->each[0].s, "a");
	cr_assert_str_eq(t->each[1].s, "bb");
	cr_assert_str_eq(t->each[2].s, "ccc");
}

Test(input, bad_values_are_named_each_with_its_rule)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0],
	                 "limit=0&colour=pink&owner_id=x&flag=yes&tag=toolong&since=yesterday",
	                 NULL, NULL, &req, &res),
	             0);
	expect_400(&res);
	cr_assert(has(&res, "limit", "from 1 to 100"));
	cr_assert(has(&res, "colour", "red, green, blue"));
	cr_assert(has(&res, "owner_id", "UUID"));
	cr_assert(has(&res, "flag", "true or false"));
	cr_assert(has(&res, "tag", "1 to 5 characters"));
	cr_assert(has(&res, "since", "RFC 3339"));
	cr_assert_eq(ndetails(&res), 6, "one answer lists every problem");
}

Test(input, integer_parameters_are_digits_only)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0], "limit=5x", NULL, NULL, &req, &res), 0);
	cr_assert(has(&res, "limit", "integer"));
	cr_assert_eq(run(&routes[0], "limit=+5", NULL, NULL, &req, &res), 0);
	cr_assert_eq(run(&routes[0], "limit=", NULL, NULL, &req, &res), 0);
}

/* ---- path ------------------------------------------------------------------------------ */

Test(input, a_path_parameter_that_does_not_fit_is_404)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", "not-a-uuid", "{\"title\":\"t\"}", &req, &res), 0);
	cr_assert_eq(res.status, 404);
	cr_assert(strstr(mh_buf_cstr(&res.body), "no such thing") != NULL);
}

Test(input, path_parameters_reach_the_handler_lower_cased)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", "6B1F3E2A-9C4D-4E5F-8A7B-1C2D3E4F5A6B",
	                 "{\"title\":\"t\"}", &req, &res),
	             1);
	cr_assert_str_eq(mh_in_path(&req, 0)->s, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
}

/* ---- body ------------------------------------------------------------------------------ */

#define ID "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b"

Test(input, valid_body_reaches_the_handler_with_typed_values)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID,
	                 "{\"title\":\"Hi\",\"tags\":[\"a\",\"b\"],\"email\":\"Ann@Example.com\","
	                 "\"point\":{\"x\":-3},\"note\":null,\"on\":false}",
	                 &req, &res),
	             1);
	cr_assert_str_eq(mh_in_body(&req, B_TITLE)->s, "Hi");
	cr_assert_eq(json_object_array_length(mh_in_body(&req, B_TAGS)->json), 2);
	cr_assert_str_eq(mh_in_body(&req, B_EMAIL)->s, "ann@example.com");
	cr_assert(mh_in_body(&req, B_NOTE)->present && mh_in_body(&req, B_NOTE)->is_null);
	cr_assert(mh_in_body(&req, B_ON)->present);
	cr_assert_eq(mh_in_body(&req, B_ON)->i, 0);
	cr_assert_not(mh_in_body(&req, B_SITE)->present);
}

Test(input, unknown_members_are_400_at_every_depth)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID,
	                 "{\"title\":\"t\",\"zzz\":1,\"point\":{\"x\":1,\"y\":2}}", &req, &res),
	             0);
	expect_400(&res);
	cr_assert(has(&res, "zzz", "unknown field"));
	cr_assert(has(&res, "point.y", "unknown field"));
}

Test(input, wrong_json_types_are_named)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID,
	                 "{\"title\":5,\"tags\":\"a\",\"point\":[],\"on\":\"true\",\"note\":7}",
	                 &req, &res),
	             0);
	cr_assert(has(&res, "title", "must be a string"));
	cr_assert(has(&res, "tags", "must be an array"));
	cr_assert(has(&res, "point", "must be an object"));
	cr_assert(has(&res, "on", "true or false"));
	cr_assert(has(&res, "note", "must be a string"));
}

Test(input, array_items_are_named_by_index)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(
	        run(&routes[1], "", ID, "{\"title\":\"t\",\"tags\":[\"a\",\"\",7]}", &req, &res),
	        0);
	cr_assert(has(&res, "tags[1]", "must not be empty"));
	cr_assert(has(&res, "tags[2]", "must be a string"));
}

Test(input, unique_arrays_refuse_a_repeat)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"t\",\"tags\":[\"a\",\"b\",\"a\"]}", &req,
	                 &res),
	             0);
	cr_assert(has(&res, "tags[2]", "repeats"));
}

Test(input, array_bounds_are_checked_before_the_items)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"t\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}",
	                 &req, &res),
	             0);
	cr_assert(has(&res, "tags", "at most 3 items"));
	cr_assert_eq(ndetails(&res), 1);
}

Test(input, required_members_and_null_are_problems)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID, "{\"point\":{},\"email\":null}", &req, &res), 0);
	cr_assert(has(&res, "title", "is required"));
	cr_assert(has(&res, "point.x", "is required"));
	cr_assert(has(&res, "email", "must not be null"));
}

Test(input, strings_are_bounded_in_characters_and_free_of_controls_and_nul)
{
	struct mh_request req;
	struct mh_response res;

	/* Ten two-byte characters fit; eleven do not. */
	cr_assert_eq(
	        run(&routes[1], "", ID,
	            "{\"title\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	            "\\u00e9\"}",
	            &req, &res),
	        1);
	cr_assert_eq(
	        run(&routes[1], "", ID,
	            "{\"title\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	            "\\u00e9\\u00e9\"}",
	            &req, &res),
	        0);
	cr_assert(has(&res, "title", "1 to 10 characters"));
	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"a\\nb\"}", &req, &res), 0);
	cr_assert(has(&res, "title", "control characters"));
	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"a\\u0000b\"}", &req, &res), 0);
	cr_assert(has(&res, "title", "NUL"));
}

Test(input, formats_email_and_https_url_are_checked)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID,
	                 "{\"title\":\"t\",\"email\":\"nope\",\"site\":\"http://example.com\"}",
	                 &req, &res),
	             0);
	cr_assert(has(&res, "email", "e-mail"));
	cr_assert(has(&res, "site", "https"));
}

Test(input, integers_in_json_are_integers_in_range)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"t\",\"point\":{\"x\":1.0}}", &req, &res),
	             0);
	cr_assert(has(&res, "point.x", "must be an integer"));
	cr_assert_eq(run(&routes[1], "", ID, "{\"title\":\"t\",\"point\":{\"x\":10}}", &req, &res),
	             0);
	cr_assert(has(&res, "point.x", "from -9 to 9"));
}

static const struct mh_field some_members[] = {
        {"a", MH_T_BOOLEAN, .max = 0},
        {"b", MH_T_BOOLEAN, .max = 0},
        {0},
};
static const struct mh_field some = {"Some", MH_T_OBJECT, .min = 1, .fields = some_members};

Test(input, an_empty_object_that_needs_a_member_is_a_problem_of_the_whole_body)
{
	struct mh_error_detail d[2];
	size_t n;
	const char *err;

	cr_assert_eq(
	        mh_input_check_json(&a, &some, mh_json_parse(&a, "{}", 2, &err, &fld), d, 2, &n),
	        1);
	cr_assert_str_eq(d[0].field, "$");
	cr_assert_str_eq(d[0].message, "must have at least one member");
	cr_assert_eq(mh_input_check_json(&a, &some,
	                                 mh_json_parse(&a, "{\"b\":true}", 10, &err, &fld), d, 2,
	                                 &n),
	             0);
}

Test(input, a_member_named_empty_is_written_quoted)
{
	struct mh_error_detail d[2];
	size_t n;
	const char *err;

	cr_assert_eq(mh_input_check_json(&a, &some, mh_json_parse(&a, "{\"\":1}", 6, &err, &fld), d,
	                                 2, &n),
	             1);
	cr_assert_str_eq(d[0].field, "\"\"");
}

Test(input, query_and_body_problems_come_in_one_answer)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[1], "q=1", ID, "{\"tags\":[1]}", &req, &res), 0);
	expect_400(&res);
	cr_assert(has(&res, "q", "unknown query parameter"));
	cr_assert(has(&res, "title", "is required"));
	cr_assert(has(&res, "tags[0]", "must be a string"));
}

Test(input, the_answer_lists_at_most_32_problems)
{
	struct mh_request req;
	struct mh_response res;
	char qs[1024] = "";

	for (int i = 0; i < 50; i++)
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), "%su%d=1", i ? "&" : "", i);
	cr_assert_eq(run(&routes[0], qs, NULL, NULL, &req, &res), 0);
	cr_assert_eq(ndetails(&res), 32);
}

/* ---- module rules ------------------------------------------------------------------------ */

static const char *no_bob(struct mh_arena *ar, const char *s)
{
	(void)ar;
	return strcmp(s, "bob") == 0 ? "must not be bob" : NULL;
}

static void a_needs_b(struct mh_check *c, struct json_object *o)
{
	if (json_object_object_get_ex(o, "a", NULL) && !json_object_object_get_ex(o, "b", NULL))
		mh_check_add(c, "b", "is required with a");
}

static const struct mh_field ab_members[] = {
        {"a", MH_T_STRING, .max = 5, .check = no_bob},
        {"b", MH_T_STRING, .max = 5},
        {0},
};
static const struct mh_field ab_inner = {"inner", MH_T_OBJECT, .fields = ab_members,
                                         .check_object = a_needs_b};
static const struct mh_field ab_outer_members[] = {
        {"inner", MH_T_OBJECT, .fields = ab_members, .check_object = a_needs_b},
        {0},
};
static const struct mh_field ab_outer = {"Outer", MH_T_OBJECT, .fields = ab_outer_members};

static size_t check_json(const struct mh_field *f, const char *json, struct mh_error_detail *d,
                         size_t max)
{
	const char *err;
	struct json_object *v = mh_json_parse(&a, json, strlen(json), &err, &fld);
	size_t n;

	cr_assert_not_null(v, "%s", err);
	return mh_input_check_json(&a, f, v, d, max, &n);
}

Test(input, a_field_check_adds_the_modules_rule)
{
	struct mh_error_detail d[4];

	cr_assert_eq(check_json(&ab_inner, "{\"a\":\"bob\",\"b\":\"x\"}", d, 4), 1);
	cr_assert_str_eq(d[0].field, "a");
	cr_assert_str_eq(d[0].message, "must not be bob");
}

Test(input, an_object_check_reports_under_the_objects_path)
{
	struct mh_error_detail d[4];

	cr_assert_eq(check_json(&ab_outer, "{\"inner\":{\"a\":\"x\"}}", d, 4), 1);
	cr_assert_str_eq(d[0].field, "inner.b");
	cr_assert_str_eq(d[0].message, "is required with a");
}

Test(input, an_object_check_runs_beside_the_members_problems)
{
	struct mh_error_detail d[4];

	/* a breaks its own rule and the object's rule still speaks: one answer, both. */
	cr_assert_eq(check_json(&ab_inner, "{\"a\":\"bob\"}", d, 4), 2);
}

Test(input, check_json_counts_past_its_room)
{
	struct mh_error_detail d[1];
	size_t n;
	const char *err;
	struct json_object *v = mh_json_parse(&a, "{\"x\":1,\"y\":2,\"z\":3}", 19, &err, &fld);

	cr_assert_eq(mh_input_check_json(&a, &ab_inner, v, d, 1, &n), 3);
	cr_assert_eq(n, 1);
}

/* ---- declarations ---------------------------------------------------------------------- */

static int plan_of(const struct mh_route *r, char *err, size_t len)
{
	struct mh_input_plan p;

	return mh_input_plan(r, &p, err, len);
}

Test(input, declarations_refuse_unbounded_strings)
{
	static const struct mh_field q[] = {{"s", MH_T_STRING, .min = 0}, {0}};
	const struct mh_route r = {MH_GET, "/x", h, 0, MH_ROLE_NONE, .query = q};
	char err[256];

	cr_assert_eq(plan_of(&r, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unbounded") != NULL, "%s", err);
}

Test(input, declarations_refuse_path_parameters_out_of_order)
{
	static const struct mh_field p[] = {
	        {"b", MH_T_UUID, .not_found = "x"}, {"a", MH_T_UUID, .not_found = "x"}, {0}};
	const struct mh_route r = {MH_GET, "/x/:a/:b", h, 0, MH_ROLE_NONE, p, .doc = NULL};
	char err[256];

	cr_assert_eq(plan_of(&r, err, sizeof(err)), -1);
	cr_assert(strstr(err, "in order") != NULL, "%s", err);
}

Test(input, declarations_refuse_a_path_parameter_the_pattern_lacks)
{
	static const struct mh_field p[] = {
	        {"a", MH_T_UUID, .not_found = "x"}, {"b", MH_T_UUID, .not_found = "x"}, {0}};
	const struct mh_route r = {MH_GET, "/x/:a", h, 0, MH_ROLE_NONE, p, .doc = NULL};
	char err[256];

	cr_assert_eq(plan_of(&r, err, sizeof(err)), -1);
}

Test(input, declarations_refuse_a_name_twice)
{
	static const struct mh_field q[] = {
	        {"n", MH_T_BOOLEAN, .max = 0}, {"n", MH_T_BOOLEAN, .max = 0}, {0}};
	const struct mh_route r = {MH_GET, "/x", h, 0, MH_ROLE_NONE, .query = q};
	char err[256];

	cr_assert_eq(plan_of(&r, err, sizeof(err)), -1);
	cr_assert(strstr(err, "twice") != NULL, "%s", err);
}

Test(input, declarations_refuse_an_open_body_outside_test_routes)
{
	static const struct mh_field open = {"Any", MH_T_OBJECT, .flags = MH_OPEN};
	const struct mh_route r = {MH_POST, "/x", h, 0, MH_ROLE_NONE, .body = &open};
	const struct mh_route t = {MH_POST, "/x", h, MH_TEST_ONLY, MH_ROLE_NONE, .body = &open};
	char err[256];

	cr_assert_eq(plan_of(&r, err, sizeof(err)), -1);
	cr_assert_eq(plan_of(&t, err, sizeof(err)), 0, "%s", err);
}

Test(input, declarations_refuse_integers_without_a_range_and_empty_enums)
{
	static const char *const none[] = {NULL};
	static const struct mh_field i[] = {{"i", MH_T_INTEGER, .min = 0, .max = 0}, {0}};
	static const struct mh_field e[] = {{"e", MH_T_ENUM, .values = none}, {0}};
	const struct mh_route ri = {MH_GET, "/x", h, 0, MH_ROLE_NONE, .query = i};
	const struct mh_route re = {MH_GET, "/x", h, 0, MH_ROLE_NONE, .query = e};
	char err[256];

	cr_assert_eq(plan_of(&ri, err, sizeof(err)), -1);
	cr_assert_eq(plan_of(&re, err, sizeof(err)), -1);
}

Test(input, the_plan_counts_the_declarations)
{
	struct mh_input_plan p;
	char err[256];

	cr_assert_eq(mh_input_plan(&routes[0], &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.nquery, 6);
	cr_assert_eq(mh_input_plan(&routes[1], &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.npath, 1);
	cr_assert_eq(p.nbody, 7);
}

Test(input, an_index_past_the_declaration_is_absent)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(run(&routes[0], "", NULL, NULL, &req, &res), 1);
	cr_assert_not(mh_in_query(&req, 99)->present);
	cr_assert_not(mh_in_body(&req, 0)->present);
	cr_assert_not(mh_in_path(&req, 0)->present);
}

Test(input, reply_invalid_is_the_same_400)
{
	struct mh_request req;
	struct mh_response res;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.arena = &a;
	req.request_id = "test";
	mh_buf_init(&res.body, &a, 256);
	cr_assert_eq(mh_reply_invalid(&req, &res, "cursor", "is stale"), 0);
	expect_400(&res);
	cr_assert(has(&res, "cursor", "is stale"));
}
