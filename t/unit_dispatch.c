/* unit_dispatch.c - the request path of core/dispatch.c, one behaviour per test: a real
 * FastCGI request (t/fcgi_client.c over a unix socket) through mh_dispatch with a small route
 * table, no stack needed. Each answer is checked for status, error code and what reached the
 * handler. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "core/dispatch.h"
#include "core/input.h"
#include "core/router.h"
#include "fcgi_client.h"

/* What the last handler saw, for the tests to read. */
static char seen[256];
static int calls;

static int h_ping(struct mh_request *req, struct mh_response *res)
{
	calls++;
	return mh_reply_data(req, res, 200, "{\"ok\":true}");
}

enum { THING_NAME, THING_COUNT };
static const struct mh_field thing_members[] = {
        [THING_NAME] = {"name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 5},
        [THING_COUNT] = {"count", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 9, .def = 3},
        {0},
};
static const struct mh_field thing_body = {"Thing", MH_T_OBJECT, .fields = thing_members};

static int h_create(struct mh_request *req, struct mh_response *res)
{
	calls++;
	snprintf(seen, sizeof(seen), "%s/%lld", mh_in_body(req, THING_NAME)->s,
	         mh_in_body(req, THING_COUNT)->i);
	return mh_reply_data(req, res, 201, "{}");
}

static const struct mh_field id_param[] = {
        {"id", MH_T_UUID, .not_found = "no such thing"},
        {0},
};
enum { GET_VERBOSE };
static const struct mh_field get_query[] = {
        [GET_VERBOSE] = {"verbose", MH_T_BOOLEAN, MH_DEFAULT, .def = 0},
        {0},
};

static int h_get(struct mh_request *req, struct mh_response *res)
{
	calls++;
	snprintf(seen, sizeof(seen), "%s/%lld", mh_in_path(req, 0)->s,
	         mh_in_query(req, GET_VERBOSE)->i);
	return mh_reply_data(req, res, 200, "{}");
}

static int h_fail(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	calls++;
	return -1;
}

static const struct mh_route routes[] = {
        {MH_GET, "/ping", h_ping, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_POST, "/things", h_create, MH_PUBLIC, MH_ROLE_NONE, .body = &thing_body},
        {MH_GET, "/things/:id", h_get, MH_PUBLIC, MH_ROLE_NONE, id_param, get_query, .doc = NULL},
        {MH_GET, "/secret", h_ping, 0, MH_ROLE_VIEWER, .query = get_query},
        {MH_GET, "/internal", h_ping, MH_PUBLIC | MH_INTERNAL, MH_ROLE_NONE, .doc = NULL},
        {MH_GET, "/fail", h_fail, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {0},
};
static const struct mh_module mod = {.name = "unit", .routes = routes};
static const struct mh_module *const mods[] = {&mod, NULL};

static struct mh_arena arena;
static struct mh_config cfg;
static char sock[108];
static int listen_fd = -1;

static void setup(void)
{
	char err[256];

	cr_assert_eq(mh_arena_init(&arena, 64 * 1024), 0);
	cr_assert_eq(mh_router_build(mods, 0, err, sizeof(err)), 0, "%s", err);
	cfg.body_limit = 64;
	cfg.upload_limit = 64;
	snprintf(sock, sizeof(sock), "/tmp/mh-unit-dispatch-%ld.sock", (long)getpid());
	unlink(sock);
	cr_assert_eq(FCGX_Init(), 0);
	listen_fd = FCGX_OpenSocket(sock, 8);
	cr_assert(listen_fd >= 0, "cannot listen on %s", sock);
	calls = 0;
	seen[0] = '\0';
}

static void teardown(void)
{
	close(listen_fd);
	unlink(sock);
	mh_router_free();
	mh_arena_destroy(&arena);
}
TestSuite(dispatch, .init = setup, .fini = teardown);

struct client {
	const char *const *params;
	const char *body;
	size_t len;
	struct fcgi_reply reply;
	int rc;
};

static void *client_main(void *arg)
{
	struct client *c = arg;

	c->rc = t_fcgi_request(sock, c->params, c->body, c->len, &c->reply);
	return NULL;
}

/* Sends method path?query with body (content type ct; NULL: none) and serves it once. */
static void serve(const char *method, const char *path, const char *query, const char *ct,
                  const char *body, const char *remote, struct fcgi_reply *out)
{
	char clen[32];
	const char *params[] = {
	        "REQUEST_METHOD",
	        method,
	        "DOCUMENT_URI",
	        path,
	        "QUERY_STRING",
	        query,
	        "REMOTE_ADDR",
	        remote ? remote : "127.0.0.1",
	        "REQUEST_ID",
	        "unit-dispatch-1",
	        "CONTENT_LENGTH",
	        clen,
	        "CONTENT_TYPE",
	        ct ? ct : "",
	        NULL,
	};
	struct client c = {.params = params, .body = body, .len = body ? strlen(body) : 0};
	FCGX_Request fr;
	pthread_t t;

	snprintf(clen, sizeof(clen), "%zu", c.len);
	cr_assert_eq(pthread_create(&t, NULL, client_main, &c), 0);
	cr_assert_eq(FCGX_InitRequest(&fr, listen_fd, 0), 0);
	cr_assert_eq(FCGX_Accept_r(&fr), 0);
	mh_dispatch(&fr, &arena, &cfg);
	FCGX_Finish_r(&fr);
	mh_arena_reset(&arena);
	pthread_join(t, NULL);
	cr_assert_eq(c.rc, 0, "no answer for %s %s", method, path);
	*out = c.reply;
}

/* The error code of an answer ("" for none). */
static const char *error_of(const struct fcgi_reply *r, char *buf, size_t len)
{
	json_object *root = json_tokener_parse(r->body), *e;

	snprintf(buf, len, "%s",
	         root && json_object_object_get_ex(root, "error", &e) ? json_object_get_string(e)
	                                                              : "");
	json_object_put(root);
	return buf;
}

static void expect_error(const struct fcgi_reply *r, int status, const char *code)
{
	char buf[64];

	cr_assert_eq(r->status, status, "status %d, want %d: %s", r->status, status, r->body);
	cr_assert_str_eq(error_of(r, buf, sizeof(buf)), code, "%s", r->body);
	cr_assert_eq(calls, 0, "the handler ran");
}

Test(dispatch, a_valid_request_reaches_the_handler)
{
	struct fcgi_reply r;

	serve("GET", "/ping", "", NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(r.body, "{\"data\":{\"ok\":true}}");
	cr_assert_eq(calls, 1);
	t_fcgi_free(&r);
}

Test(dispatch, the_request_id_comes_back_in_header_and_body)
{
	struct fcgi_reply r;

	serve("GET", "/nowhere", "", NULL, NULL, NULL, &r);
	cr_assert(strstr(r.headers, "X-Request-Id: unit-dispatch-1") != NULL, "%s", r.headers);
	cr_assert(strstr(r.body, "\"request_id\":\"unit-dispatch-1\"") != NULL, "%s", r.body);
	t_fcgi_free(&r);
}

Test(dispatch, an_unknown_path_is_404)
{
	struct fcgi_reply r;

	serve("GET", "/nowhere", "", NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	t_fcgi_free(&r);
}

Test(dispatch, another_method_is_405_with_allow)
{
	struct fcgi_reply r;

	serve("DELETE", "/ping", "", NULL, NULL, NULL, &r);
	expect_error(&r, 405, "method_not_allowed");
	cr_assert(strstr(r.headers, "Allow: GET, HEAD") != NULL, "%s", r.headers);
	t_fcgi_free(&r);
}

Test(dispatch, an_internal_route_refuses_an_outside_address)
{
	struct fcgi_reply r;

	serve("GET", "/internal", "", NULL, NULL, "203.0.113.9", &r);
	expect_error(&r, 403, "forbidden");
	t_fcgi_free(&r);
}

Test(dispatch, a_protected_route_asks_for_a_token_before_looking_at_the_input)
{
	struct fcgi_reply r;

	/* Bad input on a route the caller may not use says nothing about its declarations. */
	serve("GET", "/secret", "zzz=1", NULL, NULL, NULL, &r);
	expect_error(&r, 401, "unauthenticated");
	t_fcgi_free(&r);
}

Test(dispatch, a_body_over_the_limit_is_413)
{
	struct fcgi_reply r;
	char body[100];

	memset(body, ' ', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	serve("POST", "/things", "", "application/json", body, NULL, &r);
	expect_error(&r, 413, "payload_too_large");
	t_fcgi_free(&r);
}

Test(dispatch, a_body_on_a_route_without_one_is_400)
{
	struct fcgi_reply r;

	serve("GET", "/ping", "", "application/json", "{}", NULL, &r);
	expect_error(&r, 400, "bad_request");
	t_fcgi_free(&r);
}

Test(dispatch, a_body_of_another_media_type_is_415)
{
	struct fcgi_reply r;

	serve("POST", "/things", "", "text/plain", "name=a", NULL, &r);
	expect_error(&r, 415, "unsupported_media_type");
	t_fcgi_free(&r);
}

Test(dispatch, malformed_json_is_400_invalid_json)
{
	struct fcgi_reply r;

	serve("POST", "/things", "", "application/json", "{\"name\":", NULL, &r);
	expect_error(&r, 400, "invalid_json");
	t_fcgi_free(&r);
}

Test(dispatch, a_json_array_is_not_an_object_body)
{
	struct fcgi_reply r;

	serve("POST", "/things", "", "application/json", "[1]", NULL, &r);
	expect_error(&r, 400, "invalid_json");
	t_fcgi_free(&r);
}

Test(dispatch, a_member_given_twice_is_400_naming_it)
{
	struct fcgi_reply r;

	serve("POST", "/things", "", "application/json", "{\"name\":\"a\",\"name\":\"b\"}", NULL,
	      &r);
	expect_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"name\"") != NULL, "%s", r.body);
	t_fcgi_free(&r);
}

Test(dispatch, a_malformed_query_string_is_400_bad_request)
{
	struct fcgi_reply r;

	serve("GET", "/ping", "a=%zz", NULL, NULL, NULL, &r);
	expect_error(&r, 400, "bad_request");
	t_fcgi_free(&r);
}

Test(dispatch, a_route_without_declared_query_refuses_any)
{
	struct fcgi_reply r;

	serve("GET", "/ping", "zzz=1", NULL, NULL, NULL, &r);
	expect_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"zzz\"") != NULL, "%s", r.body);
	t_fcgi_free(&r);
}

Test(dispatch, query_and_body_problems_are_one_400)
{
	struct fcgi_reply r;

	serve("POST", "/things", "x=1", "application/json", "{\"count\":0,\"y\":2}", NULL, &r);
	expect_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"x\"") && strstr(r.body, "\"field\":\"y\"") &&
	                  strstr(r.body, "\"field\":\"count\"") &&
	                  strstr(r.body, "\"field\":\"name\""),
	          "%s", r.body);
	t_fcgi_free(&r);
}

Test(dispatch, a_path_parameter_that_names_nothing_is_404)
{
	struct fcgi_reply r;

	serve("GET", "/things/42", "", NULL, NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	cr_assert(strstr(r.body, "no such thing") != NULL, "%s", r.body);
	t_fcgi_free(&r);
}

Test(dispatch, the_handler_reads_checked_typed_values)
{
	struct fcgi_reply r;

	serve("GET", "/things/6B1F3E2A-9C4D-4E5F-8A7B-1C2D3E4F5A6B", "verbose=true", NULL, NULL,
	      NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(seen, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b/1");
	t_fcgi_free(&r);
}

Test(dispatch, an_absent_member_reaches_the_handler_as_its_default)
{
	struct fcgi_reply r;

	serve("POST", "/things", "", "application/json", "{\"name\":\"ab\"}", NULL, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_str_eq(seen, "ab/3");
	t_fcgi_free(&r);
}

Test(dispatch, a_failing_handler_is_500)
{
	struct fcgi_reply r;
	char buf[64];

	serve("GET", "/fail", "", NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 500, "%s", r.body);
	cr_assert_str_eq(error_of(&r, buf, sizeof(buf)), "internal_error");
	cr_assert_eq(calls, 1);
	t_fcgi_free(&r);
}
