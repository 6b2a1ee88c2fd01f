/* it_logs.c - log lines: one JSON object per request, joined to nginx's by the
 * request id, and never a credential (script/test greps the logs afterwards
 * for the values in secrets.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "helpers.h"
#include "secrets.h"

/* Sends every kind of secret a client can send, on good and bad requests. */
Test(logs, requests_carrying_secrets)
{
	const char *body = "{\"password\":\"" T_SECRET_BODY "\"}";
	struct http_response r;

	cr_assert_eq(t_http_ex(NULL, "GET", "/api/v1/ping?access_token=" T_SECRET_QUERY,
			       "Authorization: Bearer " T_SECRET_BEARER, NULL, NULL, 0, &r),
		     0);
	/* ping takes no query: refused, and neither the name nor the value is logged. */
	cr_assert_eq(r.status, 400);
	t_http_free(&r);
	cr_assert_eq(t_http_ex(NULL, "GET", "/api/v1/nope?password=" T_SECRET_QUERY,
			       "Cookie: refresh=" T_SECRET_COOKIE, NULL, NULL, 0, &r),
		     0);
	cr_assert_eq(r.status, 404);
	t_http_free(&r);
	cr_assert_eq(t_http_ex(NULL, "POST", "/api/v1/test/echo",
			       "Authorization: Bearer " T_SECRET_BEARER, "application/json", body,
			       strlen(body), &r),
		     0);
	cr_assert_eq(r.status, 200);
	t_http_free(&r);
	cr_assert_eq(t_http_ex(NULL, "POST", "/api/v1/test/echo", NULL, "application/json",
			       "{\"password\":\"" T_SECRET_BODY "\"", 12 + strlen(T_SECRET_BODY) + 1,
			       &r),
		     0);
	cr_assert_eq(r.status, 400);
	t_http_free(&r);
}

/* Finds the JSON line of `file` whose request_id is rid; NULL if none. */
static json_object *line_for(const char *file, const char *rid)
{
	FILE *f = fopen(file, "r");
	char line[8192];
	json_object *found = NULL;

	cr_assert(f != NULL, "cannot open %s", file);
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		json_object *o, *v;
		if (strstr(line, rid) == NULL)
			continue;
		o = json_tokener_parse(line);
		cr_assert(o != NULL, "not a JSON line: %s", line);
		if (json_object_object_get_ex(o, "request_id", &v) &&
		    strcmp(json_object_get_string(v), rid) == 0)
			found = o;
		else
			json_object_put(o);
	}
	fclose(f);
	return found;
}

Test(logs, one_json_line_per_request_in_both_logs)
{
	struct http_response r;
	char *rid, path[1024];
	json_object *app = NULL, *web = NULL, *v;
	struct timespec pause = { 0, 100 * 1000000L };

	t_get("/api/v1/nope", &r);
	rid = t_header(&r, "X-Request-Id");
	cr_assert(rid != NULL);
	/* nginx writes its access line once the response is sent: wait for it (up to 15 s). */
	for (int i = 0; i < 150 && (app == NULL || web == NULL); i++) {
		snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
		if (app == NULL)
			app = line_for(path, rid);
		snprintf(path, sizeof(path), "%s/nginx/access.log", t_env("MENHIR_TEST_STATE"));
		if (web == NULL)
			web = line_for(path, rid);
		nanosleep(&pause, NULL);
	}
	cr_assert(app != NULL, "menhir logged no line for %s", rid);
	cr_assert(web != NULL, "nginx logged no JSON line for %s", rid);
	static const char *const fields[] = { "time", "level", "method", "path", "route", "status",
					      "duration_us", "bytes", "db_round_trips", "tenant_id",
					      "user_id" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cr_assert(json_object_object_get_ex(app, fields[i], NULL), "no %s", fields[i]);
	cr_assert(json_object_object_get_ex(app, "status", &v) && json_object_get_int(v) == 404);
	cr_assert(json_object_object_get_ex(web, "status", &v) && json_object_get_int(v) == 404);
	json_object_put(app);
	json_object_put(web);
	free(rid);
	t_http_free(&r);
}

/* ---- Tracing (W3C traceparent) ----------------------------------------------------- */

/* A fresh 32-hex trace id, so no earlier line of the logs can match. */
static void fresh_trace_id(char out[33])
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");
	char uuid[64];
	size_t n = 0;

	cr_assert(f != NULL && fgets(uuid, sizeof(uuid), f) != NULL);
	fclose(f);
	for (const char *p = uuid; *p && n < 32; p++)
		if (*p != '-' && *p != '\n')
			out[n++] = *p;
	out[n] = '\0';
	cr_assert_eq(n, 32);
}

/* The trace_id of the line of `file` whose request_id is rid, waiting for nginx to
 * write it; returns a malloc'd string ("" when the line has none). */
static char *trace_of(const char *name, const char *rid)
{
	struct timespec pause = {0, 100 * 1000000L};
	char path[1024];
	json_object *o = NULL, *v;
	char *out;

	snprintf(path, sizeof(path), "%s/%s", t_env("MENHIR_TEST_STATE"), name);
	for (int i = 0; i < 150 && o == NULL; i++) {
		o = line_for(path, rid);
		if (o == NULL)
			nanosleep(&pause, NULL);
	}
	cr_assert(o != NULL, "%s has no line for %s", name, rid);
	out = strdup(json_object_object_get_ex(o, "trace_id", &v) ? json_object_get_string(v) : "");
	json_object_put(o);
	return out;
}

/* Sends GET path with the given traceparent header line (or none); returns the request
 * id (malloc'd). */
static char *traced_get(const char *path, const char *header, long want_status)
{
	struct http_response r;
	char *rid;

	cr_assert_eq(t_http_ex(NULL, "GET", path, header, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, want_status, "%ld %s", r.status, r.body);
	rid = t_header(&r, "X-Request-Id");
	cr_assert(rid != NULL);
	t_http_free(&r);
	return rid;
}

Test(logs, a_callers_traceparent_names_the_trace_in_both_logs)
{
	char tid[33], header[160], *rid, *app, *web;

	fresh_trace_id(tid);
	snprintf(header, sizeof(header), "traceparent: 00-%s-00f067aa0ba902b7-01", tid);
	rid = traced_get("/api/v1/ping", header, 200);
	app = trace_of("menhir.log", rid);
	web = trace_of("nginx/access.log", rid);
	cr_assert_str_eq(app, tid, "menhir logged trace %s", app);
	cr_assert_str_eq(web, tid, "nginx logged trace %s", web);
	free(app);
	free(web);
	free(rid);
}

/* No traceparent, or one Menhir must not trust (W3C: restart the trace): nginx starts one
 * whose trace id is the request id. */
Test(logs, without_a_valid_traceparent_nginx_starts_a_trace_named_by_the_request_id)
{
	static const char *const headers[] = {
	        NULL,
	        "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01",
	        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
	        "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
	        "traceparent: ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
	        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
	};

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *rid = traced_get("/api/v1/ping", headers[i], 200), *app, *web;

		app = trace_of("menhir.log", rid);
		web = trace_of("nginx/access.log", rid);
		cr_assert_str_eq(app, rid, "case %zu: menhir logged trace %s for request %s", i,
		                 app, rid);
		cr_assert_str_eq(web, rid, "case %zu: nginx logged trace %s", i, web);
		free(app);
		free(web);
		free(rid);
	}
}

/* Not only the access line: whatever a request makes Menhir log carries its trace. */
Test(logs, every_line_a_request_writes_carries_its_trace)
{
	char tid[33], header[160], path[1024], line[8192], *rid;
	struct timespec pause = {0, 100 * 1000000L};
	int lines = 0;

	fresh_trace_id(tid);
	snprintf(header, sizeof(header), "traceparent: 00-%s-00f067aa0ba902b7-01", tid);
	/* More headers than a response holds: the dispatcher logs response_header_dropped. */
	rid = traced_get("/api/v1/test/headers?n=40", header, 500);
	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	for (int i = 0; i < 150 && lines < 2; i++) {
		FILE *f = fopen(path, "r");

		cr_assert(f != NULL);
		lines = 0;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, rid) != NULL) {
				cr_assert(strstr(line, tid) != NULL, "a line without the trace: %s",
				          line);
				lines++;
			}
		fclose(f);
		if (lines < 2)
			nanosleep(&pause, NULL);
	}
	cr_assert_geq(lines, 2, "expected the dropped-header line and the request line");
	free(rid);
}
