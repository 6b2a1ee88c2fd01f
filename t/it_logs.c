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
	/* nginx writes its access line once the response is sent: allow a moment. */
	for (int i = 0; i < 30 && (app == NULL || web == NULL); i++) {
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
