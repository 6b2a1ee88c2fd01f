/* it_contract.c - the API contract: doc/openapi.json is exactly what `menhir openapi`
 * generates and what nginx serves; it matches the live route table (both ways); every
 * route refuses unknown, repeated and mistyped input as its declarations say; real
 * responses through nginx conform to the spec's response schemas; and the JSON-schema
 * subset checker the rest relies on works. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "fcgi_client.h"
#include "helpers.h"
#include "jsonschema.h"

/* ---- the schema checker ------------------------------------------------- */

/* Validates the JSON text inst against the JSON text schema (its own root for
 * $refs). Returns 0/-1 like js_validate, the reason in err. */
static int check(const char *schema, const char *inst, char *err, size_t errlen)
{
	json_object *s = json_tokener_parse(schema), *i = json_tokener_parse(inst);
	int rc;

	cr_assert(s != NULL, "bad test schema %s", schema);
	cr_assert(i != NULL || strcmp(inst, "null") == 0, "bad test instance %s", inst);
	rc = js_validate(s, s, i, err, errlen);
	json_object_put(s);
	json_object_put(i);
	return rc;
}

#define VALID(schema, inst)                                                                        \
	do {                                                                                       \
		char e_[512];                                                                      \
		cr_expect_eq(check(schema, inst, e_, sizeof(e_)), 0, "%s should accept %s: %s",    \
		             schema, inst, e_);                                                    \
	} while (0)
#define INVALID(schema, inst, why)                                                                 \
	do {                                                                                       \
		char e_[512];                                                                      \
		cr_expect_eq(check(schema, inst, e_, sizeof(e_)), -1, "%s should reject %s",       \
		             schema, inst);                                                        \
		cr_expect(strstr(e_, why) != NULL, "reason \"%s\" lacks \"%s\"", e_, why);         \
	} while (0)

Test(jsonschema, type_names_arrays_and_null)
{
	VALID("{\"type\":\"string\"}", "\"x\"");
	INVALID("{\"type\":\"string\"}", "1", "not of type");
	VALID("{\"type\":\"integer\"}", "3");
	VALID("{\"type\":\"integer\"}", "3.0");
	INVALID("{\"type\":\"integer\"}", "3.5", "not of type");
	VALID("{\"type\":\"number\"}", "3.5");
	VALID("{\"type\":[\"string\",\"null\"]}", "null");
	VALID("{\"type\":[\"string\",\"null\"]}", "\"a\"");
	INVALID("{\"type\":[\"string\",\"null\"]}", "false", "not of type");
	INVALID("{\"type\":\"object\"}", "[]", "array is not of type");
	VALID("{\"type\":\"boolean\"}", "true");
	VALID("true", "{\"anything\":1}");
	INVALID("false", "1", "schema false");
}

Test(jsonschema, objects_required_and_additional_properties)
{
	const char *s =
	        "{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false,"
	        "\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"}}}";

	VALID(s, "{\"a\":\"x\"}");
	VALID(s, "{\"a\":\"x\",\"b\":2}");
	INVALID(s, "{\"b\":2}", "required property \"a\" is missing");
	INVALID(s, "{\"a\":\"x\",\"c\":1}", "property \"c\" is not allowed");
	INVALID(s, "{\"a\":1}", "$.a: integer is not of type");
	VALID("{\"additionalProperties\":{\"type\":\"integer\"}}", "{\"x\":1,\"y\":2}");
	INVALID("{\"additionalProperties\":{\"type\":\"integer\"}}", "{\"x\":\"1\"}", "$.x");
	/* Keywords for objects do not constrain other types. */
	VALID("{\"required\":[\"a\"]}", "\"not an object\"");
}

Test(jsonschema, arrays_items_and_counts)
{
	const char *s = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,"
	                "\"items\":{\"type\":\"object\",\"required\":[\"f\"]}}";

	VALID(s, "[{\"f\":1}]");
	INVALID(s, "[]", "fewer than minItems");
	INVALID(s, "[{\"f\":1},{\"f\":1},{\"f\":1}]", "more than maxItems");
	INVALID(s, "[{\"f\":1},{\"g\":1}]", "$[1]: required property \"f\"");
}

Test(jsonschema, enum_const_strings_and_numbers)
{
	VALID("{\"enum\":[\"a\",1,null]}", "1");
	VALID("{\"enum\":[\"a\",1,null]}", "1.0");
	VALID("{\"enum\":[\"a\",1,null]}", "null");
	INVALID("{\"enum\":[\"a\",1,null]}", "\"b\"", "is not one of");
	VALID("{\"const\":{\"k\":[1,2]}}", "{\"k\":[1,2]}");
	INVALID("{\"const\":{\"k\":[1,2]}}", "{\"k\":[2,1]}", "is not the constant");
	VALID("{\"minLength\":2,\"maxLength\":3}", "\"\\u00e9\\u00e9\""); /* code points */
	INVALID("{\"minLength\":2}", "\"\\u00e9\"", "below minLength");
	INVALID("{\"maxLength\":3}", "\"abcd\"", "above maxLength");
	VALID("{\"minimum\":1,\"maximum\":5}", "5");
	INVALID("{\"minimum\":1}", "0", "below minimum");
	INVALID("{\"maximum\":5}", "5.5", "above maximum");
	INVALID("{\"exclusiveMinimum\":1}", "1", "exclusiveMinimum");
	INVALID("{\"exclusiveMaximum\":1}", "1", "exclusiveMaximum");
	VALID("{\"pattern\":\"^[a-z_]+$\"}", "\"not_found\"");
	INVALID("{\"pattern\":\"^[a-z_]+$\"}", "\"Not Found\"", "does not match pattern");
}

Test(jsonschema, refs_and_combinators)
{
	const char *doc =
	        "{\"$defs\":{"
	        "\"Id\":{\"type\":\"string\",\"minLength\":1},"
	        "\"Obj\":{\"type\":\"object\",\"properties\":{\"id\":{\"$ref\":\"#/$defs/Id\"}}}},"
	        "\"allOf\":[{\"$ref\":\"#/$defs/Obj\"},{\"required\":[\"id\"]}]}";

	VALID(doc, "{\"id\":\"x\"}");
	INVALID(doc, "{\"id\":\"\"}", "$.id: length 0");
	INVALID(doc, "{}", "required property \"id\"");
	VALID("{\"$defs\":{\"a~b/c\":{\"const\":7}},\"$ref\":\"#/$defs/a~0b~1c\"}", "7");
	INVALID("{\"$defs\":{\"a~b/c\":{\"const\":7}},\"$ref\":\"#/$defs/a~0b~1c\"}", "8",
	        "constant 7");
	INVALID("{\"$ref\":\"#/nowhere\"}", "1", "unresolvable $ref #/nowhere");
	VALID("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":3}]}", "4");
	INVALID("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "4",
	        "no branch of anyOf");
	VALID("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "4");
	INVALID("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}", "4",
	        "matches 2 branches");
	INVALID("{\"oneOf\":[{\"type\":\"string\"}]}", "4", "matches 0 branches");
	INVALID("{\"not\":{\"type\":\"integer\"}}", "4", "under \"not\"");
	VALID("{\"not\":{\"type\":\"integer\"}}", "\"4\"");
	/* A $ref cycle is reported, not followed forever. */
	INVALID("{\"$ref\":\"#\"}", "1", "deeper than");
}

Test(jsonschema, unique_items_and_member_counts)
{
	VALID("{\"uniqueItems\":true}", "[\"a\",\"b\"]");
	INVALID("{\"uniqueItems\":true}", "[\"a\",\"b\",\"a\"]", "items 0 and 2 are equal");
	VALID("{\"uniqueItems\":false}", "[1,1]");
	VALID("{\"minProperties\":1}", "{\"a\":1}");
	INVALID("{\"minProperties\":1}", "{}", "fewer than minProperties");
	INVALID("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", "more than maxProperties");
}

Test(jsonschema, unsupported_keywords_fail_loudly)
{
	/* Silently ignoring these would make every response "valid". */
	INVALID("{\"patternProperties\":{\"^x\":false}}", "{\"xa\":1}",
	        "unsupported schema keyword \"patternProperties\"");
	INVALID("{\"anyOf\":[{\"nullable\":true}]}", "1",
	        "unsupported schema keyword \"nullable\"");
	VALID("{\"description\":\"d\",\"example\":1,\"x-anything\":2,\"format\":\"uuid\"}", "1");
}

/* ---- the spec itself ------------------------------------------------------ */

static json_object *spec(void)
{
	json_object *s = t_contract_spec();

	cr_assert(s != NULL, "cannot read the spec at %s", t_contract_spec_path());
	return s;
}

Test(spec, is_openapi_31_with_the_conventions)
{
	json_object *s = spec(), *v;
	char err[512];

	v = js_resolve_ref(s, "#/openapi");
	cr_assert(v != NULL && strncmp(json_object_get_string(v), "3.1.", 4) == 0);
	v = js_resolve_ref(s, "#/components/securitySchemes/bearerAuth");
	cr_assert(v != NULL, "no bearerAuth security scheme");
	cr_assert_str_eq(json_object_get_string(js_resolve_ref(v, "#/type")), "http");
	cr_assert_str_eq(json_object_get_string(js_resolve_ref(v, "#/scheme")), "bearer");
	cr_assert_str_eq(json_object_get_string(js_resolve_ref(v, "#/bearerFormat")), "JWT");

	/* The error envelope: exactly DESIGN.md's shape. */
	v = js_resolve_ref(s, "#/components/schemas/Error");
	cr_assert(v != NULL);
	json_object *good = json_tokener_parse(
	        "{\"error\":\"validation_failed\",\"message\":\"m\",\"details\":[{\"field\":\"f\","
	        "\"message\":\"m\"}],\"request_id\":\"0123456789abcdef0123456789abcdef\"}");
	json_object *extra = json_tokener_parse(
	        "{\"error\":\"x\",\"message\":\"m\",\"request_id\":\"r\",\"stack\":\"...\"}");
	json_object *no_rid = json_tokener_parse("{\"error\":\"x\",\"message\":\"m\"}");
	cr_expect_eq(js_validate(s, v, good, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(js_validate(s, v, extra, err, sizeof(err)), -1);
	cr_expect_eq(js_validate(s, v, no_rid, err, sizeof(err)), -1);
	json_object_put(good);
	json_object_put(extra);
	json_object_put(no_rid);
}

/* Walks every object of the spec: each $ref must resolve, and every example
 * next to a schema (media types, headers) must satisfy it. */
static int walk(json_object *root, json_object *o, char *where, size_t wlen, char *err,
                size_t errlen)
{
	json_object *v, *schema, *example;

	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (walk(root, json_object_array_get_idx(o, i), where, wlen, err, errlen) <
			    0)
				return -1;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	if (json_object_object_get_ex(o, "$ref", &v) && json_object_is_type(v, json_type_string) &&
	    js_resolve_ref(root, json_object_get_string(v)) == NULL) {
		snprintf(err, errlen, "%s: $ref %s does not resolve", where,
		         json_object_get_string(v));
		return -1;
	}
	if (json_object_object_get_ex(o, "schema", &schema) &&
	    json_object_object_get_ex(o, "example", &example)) {
		char e[512];

		if (js_validate(root, schema, example, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: example does not match its schema: %s", where,
			         e);
			return -1;
		}
	}
	json_object_object_foreach(o, key, val)
	{
		size_t n = strlen(where);

		snprintf(where + n, wlen - n, "/%s", key);
		if (walk(root, val, where, wlen, err, errlen) < 0)
			return -1;
		where[n] = '\0';
	}
	return 0;
}

Test(spec, refs_resolve_and_examples_match_their_schemas)
{
	char where[1024] = "#", err[1536] = "";

	cr_assert_eq(walk(spec(), spec(), where, sizeof(where), err, sizeof(err)), 0, "%s", err);
}

/* ---- the spec is generated ------------------------------------------------------------ */

/* What `menhir openapi` prints (malloc'd, *len bytes). */
static char *generated(size_t *len)
{
	char cmd[4200], *out = NULL;
	size_t cap = 0, n = 0, got;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' openapi", t_env("MENHIR_TEST_BIN"));
	p = popen(cmd, "r");
	cr_assert(p != NULL, "popen %s: %s", cmd, strerror(errno));
	do {
		if (n + 65536 > cap) {
			cap = cap ? 2 * cap : 1 << 20;
			out = realloc(out, cap);
			cr_assert(out != NULL);
		}
		got = fread(out + n, 1, cap - n - 1, p);
		n += got;
	} while (got > 0);
	out[n] = '\0';
	st = pclose(p);
	cr_assert_eq(st, 0, "%s exited with status %d", cmd, st);
	cr_assert(n > 1000, "%s printed only %zu bytes", cmd, n);
	*len = n;
	return out;
}

/* The line (from 1) where a and b first differ; 0 when they are equal. */
static size_t first_difference(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t line = 1;

	for (size_t i = 0; i < alen || i < blen; i++) {
		if (i >= alen || i >= blen || a[i] != b[i])
			return line;
		line += a[i] == '\n';
	}
	return 0;
}

Test(generated, doc_openapi_json_is_exactly_what_menhir_openapi_prints)
{
	size_t len, flen = 0;
	char *doc = generated(&len), *file = NULL;
	FILE *f = fopen(t_contract_spec_path(), "rb");

	cr_assert(f != NULL, "cannot open %s", t_contract_spec_path());
	file = malloc(len + 2);
	cr_assert(file != NULL);
	flen = fread(file, 1, len + 1, f);
	fclose(f);
	cr_expect(flen == len && memcmp(file, doc, len) == 0,
	          "%s is not what `menhir openapi` prints (first difference at line %zu): "
	          "run `./menhir openapi > doc/openapi.json` and commit it",
	          t_contract_spec_path(), first_difference(file, flen, doc, len));
	free(file);
	free(doc);
}

/* ---- spec <-> route table ------------------------------------------------- */

static const char *const http_methods[] = {"get",  "put",     "post",  "delete",
                                           "head", "options", "patch", "trace"};

/* "/a/:id" -> "/a/{id}" */
static void to_openapi(const char *pattern, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 3 < len; p++) {
		if (*p == ':' && (p == pattern || p[-1] == '/')) {
			out[n++] = '{';
			for (p++; *p && *p != '/' && n + 2 < len; p++)
				out[n++] = *p;
			out[n++] = '}';
			p--;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void add_line(char *report, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void add_line(char *report, size_t len, const char *fmt, ...)
{
	size_t n = strlen(report);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(report + n, len - n, fmt, ap);
	va_end(ap);
}

static int bool_field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_get_boolean(v);
}

/* 1 when a security requirement list names scheme. */
static int has_scheme(json_object *security, const char *scheme)
{
	for (size_t i = 0; i < json_object_array_length(security); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(security, i), scheme, NULL))
			return 1;
	return 0;
}

/* Compares the route table (the JSON `menhir routes` prints) with the spec,
 * both ways. Test-only routes are not part of the contract and are skipped.
 * Also checks what the two must agree on beyond existence: a public route
 * declares `security: []`, a protected one a non-empty security list (with apiKeyAuth
 * exactly when the route takes API keys); a route
 * that takes a JSON body documents a requestBody; an internal route is marked
 * x-internal. Returns the number of mismatches, each a line in report. */
static int compare_routes(json_object *routes, json_object *s, char *report, size_t len)
{
	json_object *paths = NULL;
	int bad = 0;

	report[0] = '\0';
	if (!json_object_object_get_ex(s, "paths", &paths) ||
	    !json_object_is_type(paths, json_type_object)) {
		add_line(report, len, "spec has no paths\n");
		return 1;
	}
	/* routes -> spec */
	for (size_t i = 0; i < json_object_array_length(routes); i++) {
		json_object *r = json_object_array_get_idx(routes, i), *item, *op, *v;
		const char *method = json_object_get_string(js_resolve_ref(r, "#/method"));
		const char *pattern = json_object_get_string(js_resolve_ref(r, "#/pattern"));
		char path[1024], m[16], what[1100];
		size_t k;

		if (bool_field(r, "test_only"))
			continue;
		to_openapi(pattern, path, sizeof(path));
		for (k = 0; method[k] && k + 1 < sizeof(m); k++)
			m[k] = (char)tolower((unsigned char)method[k]);
		m[k] = '\0';
		snprintf(what, sizeof(what), "%s %s", method, pattern);
		if (!json_object_object_get_ex(paths, path, &item) ||
		    !json_object_object_get_ex(item, m, &op)) {
			add_line(report, len, "route %s has no operation in the spec (%s)\n", what,
			         path);
			bad++;
			continue;
		}
		if (!json_object_object_get_ex(op, "security", &v) ||
		    !json_object_is_type(v, json_type_array)) {
			add_line(report, len, "%s: the operation declares no security list\n",
			         what);
			bad++;
		} else if (bool_field(r, "public") != (json_object_array_length(v) == 0)) {
			add_line(report, len, "%s: %s\n", what,
			         bool_field(r, "public")
			                 ? "the route is public but the spec requires security"
			                 : "the route needs authentication but the spec says "
			                   "security: []");
			bad++;
		}
		/* A route that takes API keys lists apiKeyAuth among its schemes, and only
		 * such a route. */
		if (v != NULL && json_object_is_type(v, json_type_array) &&
		    bool_field(r, "api_key") != has_scheme(v, "apiKeyAuth")) {
			add_line(report, len, "%s: %s\n", what,
			         bool_field(r, "api_key")
			                 ? "the route takes API keys but the spec lacks apiKeyAuth"
			                 : "the spec offers apiKeyAuth but the route refuses keys");
			bad++;
		}
		/* An upload route (raw_body) documents its body too, with the file types. */
		if ((bool_field(r, "json_body") || bool_field(r, "raw_body")) !=
		    json_object_object_get_ex(op, "requestBody", NULL)) {
			add_line(report, len, "%s: %s\n", what,
			         bool_field(r, "json_body") || bool_field(r, "raw_body")
			                 ? "the route takes a JSON body the spec does not document"
			                 : "the spec documents a requestBody the route does not "
			                   "take");
			bad++;
		}
		if (bool_field(r, "internal") != bool_field(op, "x-internal")) {
			add_line(report, len, "%s: %s\n", what,
			         "internal in the route table and x-internal in the spec disagree");
			bad++;
		}
		if (!json_object_object_get_ex(op, "responses", &v) ||
		    json_object_object_length(v) == 0) {
			add_line(report, len, "%s: the operation documents no responses\n", what);
			bad++;
		}
	}
	/* spec -> routes */
	json_object_object_foreach(paths, path, item)
	{
		for (size_t k = 0; k < sizeof(http_methods) / sizeof(*http_methods); k++) {
			int found = 0;

			if (!json_object_object_get_ex(item, http_methods[k], NULL))
				continue;
			for (size_t i = 0; i < json_object_array_length(routes) && !found; i++) {
				json_object *r = json_object_array_get_idx(routes, i);
				char p[1024];

				if (bool_field(r, "test_only"))
					continue;
				to_openapi(json_object_get_string(js_resolve_ref(r, "#/pattern")),
				           p, sizeof(p));
				found = strcmp(p, path) == 0 &&
				        strcasecmp(json_object_get_string(
				                           js_resolve_ref(r, "#/method")),
				                   http_methods[k]) == 0;
			}
			if (!found) {
				char up[16];
				size_t n;

				for (n = 0; http_methods[k][n]; n++)
					up[n] = (char)toupper((unsigned char)http_methods[k][n]);
				up[n] = '\0';
				add_line(report, len, "spec operation %s %s has no route\n", up,
				         path);
				bad++;
			}
		}
	}
	return bad;
}

/* The route table of the binary under test. */
static json_object *live_routes(int test_routes)
{
	char cmd[4200], out[1 << 16];
	size_t n = 0, got;
	FILE *p;
	int st;
	json_object *routes;

	snprintf(cmd, sizeof(cmd), "MENHIR_ENABLE_TEST_ROUTES=%s '%s' routes",
	         test_routes ? "true" : "false", t_env("MENHIR_TEST_BIN"));
	p = popen(cmd, "r");
	cr_assert(p != NULL, "popen %s: %s", cmd, strerror(errno));
	while ((got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(p);
	cr_assert_eq(st, 0, "%s exited with status %d", cmd, st);
	routes = json_tokener_parse(out);
	cr_assert(routes != NULL && json_object_is_type(routes, json_type_array),
	          "%s printed no JSON array: %.200s", cmd, out);
	return routes;
}

Test(routes, every_route_is_in_the_spec_and_every_operation_is_a_route)
{
	json_object *routes = live_routes(0);
	char report[8192];
	int bad = compare_routes(routes, spec(), report, sizeof(report));

	cr_assert(json_object_array_length(routes) >= 4, "suspiciously few routes");
	cr_assert_eq(bad, 0, "doc/openapi.json and the route table disagree:\n%s", report);
	json_object_put(routes);
}

Test(routes, test_only_routes_stay_out_of_the_contract)
{
	json_object *routes = live_routes(1), *paths = js_resolve_ref(spec(), "#/paths");
	int test_only = 0;
	char report[8192];

	for (size_t i = 0; i < json_object_array_length(routes); i++) {
		json_object *r = json_object_array_get_idx(routes, i);
		char p[1024];

		if (!bool_field(r, "test_only"))
			continue;
		test_only++;
		to_openapi(json_object_get_string(js_resolve_ref(r, "#/pattern")), p, sizeof(p));
		cr_expect(!json_object_object_get_ex(paths, p, NULL),
		          "test-only route %s is documented in the public spec", p);
	}
	cr_expect(test_only > 0, "the stack runs with test routes, yet none was listed");
	/* And with them listed, the comparison still holds: they are skipped. */
	cr_expect_eq(compare_routes(routes, spec(), report, sizeof(report)), 0, "%s", report);
	json_object_put(routes);
}

/* The comparison must really fail both ways, or the test above proves nothing. */
Test(routes, the_comparison_reports_drift_both_ways)
{
	json_object *routes = live_routes(0), *copy = NULL, *paths, *op, *r;
	char report[8192];

	cr_assert_eq(json_object_deep_copy(spec(), &copy, NULL), 0);
	paths = js_resolve_ref(copy, "#/paths");

	/* A spec path with no route. */
	json_object_object_add(paths, "/api/v1/ghosts/{id}",
	                       json_tokener_parse("{\"get\":{\"security\":[],\"responses\":{"
	                                          "\"200\":{\"description\":\"x\"}}}}"));
	cr_expect_eq(compare_routes(routes, copy, report, sizeof(report)), 1, "%s", report);
	cr_expect(strstr(report, "spec operation GET /api/v1/ghosts/{id} has no route") != NULL,
	          "%s", report);

	/* ...which a route of that shape (":id") satisfies. */
	r = json_tokener_parse("{\"method\":\"GET\",\"pattern\":\"/api/v1/ghosts/:id\","
	                       "\"public\":true,\"json_body\":false,\"internal\":false,"
	                       "\"test_only\":false}");
	json_object_array_add(routes, r);
	cr_expect_eq(compare_routes(routes, copy, report, sizeof(report)), 0, "%s", report);

	/* A route with no operation. */
	json_object_object_del(js_resolve_ref(copy, "#/paths/~1api~1v1~1ping"), "get");
	cr_expect_eq(compare_routes(routes, copy, report, sizeof(report)), 1, "%s", report);
	cr_expect(strstr(report, "route GET /api/v1/ping has no operation in the spec") != NULL,
	          "%s", report);

	/* A method the spec lists on a path that exists, but the router lacks. */
	op = json_tokener_parse(
	        "{\"security\":[],\"responses\":{\"204\":{\"description\":\"x\"}}}");
	json_object_object_add(js_resolve_ref(copy, "#/paths/~1healthz"), "delete", op);
	cr_expect_eq(compare_routes(routes, copy, report, sizeof(report)), 2, "%s", report);
	cr_expect(strstr(report, "spec operation DELETE /healthz has no route") != NULL, "%s",
	          report);

	/* Security that contradicts the route's public flag. */
	json_object_object_add(js_resolve_ref(copy, "#/paths/~1healthz/get"), "security",
	                       json_tokener_parse("[{\"bearerAuth\":[]}]"));
	cr_expect_eq(compare_routes(routes, copy, report, sizeof(report)), 3, "%s", report);
	cr_expect(strstr(report,
	                 "GET /healthz: the route is public but the spec requires security") !=
	                  NULL,
	          "%s", report);
	json_object_put(copy);
	json_object_put(routes);
}

/* ---- declared input: what every route refuses ------------------------------------------ */

/* s with $refs followed. */
static json_object *deref(json_object *s)
{
	json_object *r;

	for (int i = 0; i < 8 && s != NULL && json_object_object_get_ex(s, "$ref", &r); i++)
		s = js_resolve_ref(spec(), json_object_get_string(r));
	return s;
}

static json_object *member(json_object *o, const char *name)
{
	json_object *v = NULL;

	return o != NULL && json_object_object_get_ex(o, name, &v) ? v : NULL;
}

/* The first type a schema names ("string" for a bare enum). */
static const char *type_of(json_object *schema)
{
	json_object *t = member(schema, "type");

	if (t != NULL && json_object_is_type(t, json_type_array))
		t = json_object_array_get_idx(t, 0);
	return t != NULL ? json_object_get_string(t) : "string";
}

/* A path value the declaration accepts, so that the request reaches the input check. */
static void path_value(json_object *param, char *out, size_t len)
{
	json_object *schema = deref(member(param, "schema")), *e = member(schema, "enum");

	if (e != NULL)
		snprintf(out, len, "%s", json_object_get_string(json_object_array_get_idx(e, 0)));
	else
		snprintf(out, len, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
}

/* A query value that the declared type refuses (URL-safe), or NULL for free text that any
 * value fits. */
static const char *wrong_query_value(json_object *schema, char *buf, size_t len)
{
	json_object *f = member(schema, "format"), *max = member(schema, "maxLength");
	const char *t = type_of(schema);

	if (member(schema, "enum") != NULL || member(schema, "const") != NULL)
		return "zzz-not-one-of-them";
	if (strcmp(t, "integer") == 0)
		return "abc";
	if (strcmp(t, "boolean") == 0)
		return "maybe";
	if (f != NULL && strcmp(json_object_get_string(f), "uuid") == 0)
		return "not-a-uuid";
	if (f != NULL && strcmp(json_object_get_string(f), "date-time") == 0)
		return "yesterday";
	if (member(schema, "pattern") != NULL)
		return "%21%21"; /* "!!" fits no pattern this API declares */
	if (max != NULL && (size_t)json_object_get_int(max) + 1 < len) {
		size_t n = (size_t)json_object_get_int(max) + 1;

		memset(buf, 'x', n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* 1 when r is the dispatcher's 400 validation_failed with a detail for field whose
 * message holds what ("" for any). */
static int names_field(const struct http_response *r, const char *field, const char *what)
{
	json_object *root = json_tokener_parse(r->body), *e, *d;
	int found = 0;

	if (r->status == 400 && root != NULL && json_object_object_get_ex(root, "error", &e) &&
	    strcmp(json_object_get_string(e), "validation_failed") == 0 &&
	    json_object_object_get_ex(root, "details", &d))
		for (size_t i = 0; i < json_object_array_length(d) && !found; i++) {
			json_object *x = json_object_array_get_idx(d, i);
			found = strcmp(json_object_get_string(member(x, "field")), field) == 0 &&
			        strstr(json_object_get_string(member(x, "message")), what) != NULL;
		}
	json_object_put(root);
	return found;
}

struct probe {
	const char *method;
	const char *token;
	int json_body;
	char path[1024];
};

/* Sends the probe with query (may be "") and body (JSON routes: "{}" when NULL) and checks
 * the 400 names field. Returns 1, or 0 with a line in report. */
static int refused(const struct probe *p, const char *query, const char *body, const char *field,
                   const char *what, char *report, size_t len)
{
	struct http_response r;
	char url[4096];
	int ok;

	snprintf(url, sizeof(url), "%s%s%s", p->path, query[0] ? "?" : "", query);
	t_auth_request(p->method, url, p->token, NULL, NULL,
	               p->json_body ? (body ? body : "{}") : NULL, &r);
	ok = names_field(&r, field, what);
	if (!ok)
		add_line(report, len, "%s %.100s: wanted a 400 naming %s, got %ld %.200s\n",
		         p->method, url, field, r.status, r.body);
	t_http_free(&r);
	return ok;
}

/*
 * For every route of the contract: one unknown query parameter, one unknown body member
 * (routes with a JSON body), one value of the wrong type (the first declared query
 * parameter, else the first body member) and one repeated parameter (routes with a query);
 * each must be the dispatcher's 400 naming the field, for a caller the route lets in.
 */
Test(input, every_route_refuses_unknown_repeated_and_mistyped_input)
{
	json_object *routes = live_routes(0), *paths = js_resolve_ref(spec(), "#/paths");
	struct t_session s;
	char report[16384] = "", buf[4096];
	int n = 0, unknown = 0, members = 0, typed = 0, repeated = 0, bodies = 0, queries = 0;
	int bad = 0;

	t_auth_signup(&s, "contract-input");
	for (size_t i = 0; i < json_object_array_length(routes); i++) {
		json_object *r = json_object_array_get_idx(routes, i), *item, *op, *params, *rb;
		json_object *first_query = NULL, *props = NULL;
		const char *pattern = json_object_get_string(js_resolve_ref(r, "#/pattern"));
		struct probe p = {.method = json_object_get_string(js_resolve_ref(r, "#/method")),
		                  .token = bool_field(r, "public") ? NULL : s.access,
		                  .json_body = bool_field(r, "json_body")};
		char oapath[1024], m[16];
		size_t k, at = 0;

		if (bool_field(r, "test_only"))
			continue;
		to_openapi(pattern, oapath, sizeof(oapath));
		for (k = 0; p.method[k] && k + 1 < sizeof(m); k++)
			m[k] = (char)tolower((unsigned char)p.method[k]);
		m[k] = '\0';
		cr_assert(json_object_object_get_ex(paths, oapath, &item) &&
		                  json_object_object_get_ex(item, m, &op),
		          "%s %s is not in the spec", p.method, pattern);
		n++;
		/* The path, each parameter filled with a value its declaration accepts. */
		params = member(op, "parameters");
		for (const char *c = pattern; *c && at + 64 < sizeof(p.path); c++) {
			if (*c != ':') {
				p.path[at++] = *c;
				continue;
			}
			size_t nl = strcspn(c + 1, "/");
			for (k = 0; params && k < json_object_array_length(params); k++) {
				json_object *x = json_object_array_get_idx(params, k);
				if (strcmp(json_object_get_string(member(x, "in")), "path") == 0 &&
				    strlen(json_object_get_string(member(x, "name"))) == nl &&
				    strncmp(json_object_get_string(member(x, "name")), c + 1, nl) ==
				            0)
					path_value(x, buf, sizeof(buf));
			}
			at += (size_t)snprintf(p.path + at, sizeof(p.path) - at, "%s", buf);
			c += nl;
		}
		p.path[at] = '\0';
		for (k = 0; params && k < json_object_array_length(params) && !first_query; k++) {
			json_object *x = json_object_array_get_idx(params, k);
			if (strcmp(json_object_get_string(member(x, "in")), "query") == 0)
				first_query = x;
		}
		rb = member(op, "requestBody");
		if (p.json_body)
			props = member(
			        deref(member(member(member(rb, "content"), "application/json"),
			                     "schema")),
			        "properties");

		/* Unknown query parameter. */
		unknown += refused(&p, "zzz_unknown=1", NULL, "zzz_unknown", "unknown", report,
		                   sizeof(report));
		/* Unknown body member. */
		if (p.json_body) {
			bodies++;
			members += refused(&p, "", "{\"zzz_member\":1}", "zzz_member", "unknown",
			                   report, sizeof(report));
		}
		/* Wrong type: the first query parameter that has one, else the first member. */
		if (first_query != NULL &&
		    wrong_query_value(deref(member(first_query, "schema")), buf, sizeof(buf))) {
			const char *name = json_object_get_string(member(first_query, "name"));
			char q[4200];

			snprintf(q, sizeof(q), "%s=%s", name,
			         wrong_query_value(deref(member(first_query, "schema")), buf,
			                           sizeof(buf)));
			typed += refused(&p, q, NULL, name, "", report, sizeof(report));
		} else if (props != NULL && json_object_object_length(props) > 0) {
			struct json_object_iterator it = json_object_iter_begin(props);
			const char *name = json_object_iter_peek_name(&it);
			json_object *schema = deref(json_object_iter_peek_value(&it));
			const char *t = type_of(schema);
			char body[512];

			snprintf(body, sizeof(body), "{\"%s\":%s}", name,
			         strcmp(t, "string") == 0 ? "12345" : "\"x\"");
			typed += refused(&p, "", body, name, "", report, sizeof(report));
		} else if (first_query != NULL || p.json_body) {
			add_line(report, sizeof(report), "%s %s: no input to mistype\n", p.method,
			         pattern);
		}
		/* Repeated parameter. */
		if (first_query != NULL) {
			const char *name = json_object_get_string(member(first_query, "name"));
			char q[512];

			queries++;
			snprintf(q, sizeof(q), "%s=1&%s=1", name, name);
			repeated += refused(&p, q, NULL, name, "more than once", report,
			                    sizeof(report));
		}
	}
	bad = (n - unknown) + (bodies - members) + (queries - repeated);
	fprintf(stderr,
	        "input contract: %d routes; unknown parameter %d/%d, unknown member %d/%d, wrong "
	        "type %d, repeated parameter %d/%d\n",
	        n, unknown, n, members, bodies, typed, repeated, queries);
	cr_log_info("input contract: %d routes; unknown parameter %d/%d, unknown member %d/%d, "
	            "wrong type %d, repeated parameter %d/%d",
	            n, unknown, n, members, bodies, typed, repeated, queries);
	cr_expect(n >= 40, "only %d routes in the contract", n);
	cr_expect(typed > 0 && queries > 0 && bodies > 0, "nothing to probe");
	cr_expect_eq(bad, 0, "%s", report);
	cr_expect(report[0] == '\0', "%s", report);
	json_object_put(routes);
}

/* ---- real responses against the spec ------------------------------------------- */

static char *content_type(const struct http_response *r)
{
	char *ct = t_header(r, "Content-Type");

	return ct ? ct : strdup("");
}

/* Asserts that r is what the spec documents for (method, pattern, r->status). */
static void expect_conforms(const char *method, const char *pattern, const struct http_response *r)
{
	char err[2048], *ct = content_type(r);

	cr_expect_eq(t_contract_validate_ex(method, pattern, r->status, ct, r->headers, r->body,
	                                    err, sizeof(err)),
	             0, "%s", err);
	free(ct);
}

/* The same against a shared response of components/responses. */
static void expect_component(const char *name, const struct http_response *r)
{
	char ref[256], err[2048], *ct = content_type(r);
	json_object *resp;

	snprintf(ref, sizeof(ref), "#/components/responses/%s", name);
	resp = js_resolve_ref(spec(), ref);
	cr_assert(resp != NULL, "the spec has no %s", ref);
	cr_expect_eq(
	        t_contract_check_response(spec(), resp, ct, r->headers, r->body, err, sizeof(err)),
	        0, "%s: %s", name, err);
	free(ct);
}

Test(responses, documented_routes_answer_as_documented)
{
	static const char *const routes[] = {"/healthz", "/readyz", "/api/v1/ping"};

	for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
		struct http_response r;

		t_get(routes[i], &r);
		cr_expect_eq(r.status, 200, "GET %s: %ld %s", routes[i], r.status, r.body);
		expect_conforms("GET", routes[i], &r);
		t_http_free(&r);
	}
}

Test(responses, the_validation_catches_a_drifted_body)
{
	char err[512];

	cr_expect_eq(t_contract_validate("GET", "/api/v1/ping", 200,
	                                 "{\"data\":{\"status\":\"ok\"}}", err, sizeof(err)),
	             0, "%s", err);
	cr_expect_eq(t_contract_validate("GET", "/api/v1/ping", 200,
	                                 "{\"data\":{\"status\":\"ok\",\"extra\":1}}", err,
	                                 sizeof(err)),
	             -1);
	cr_expect(strstr(err, "\"extra\" is not allowed") != NULL, "%s", err);
	cr_expect_eq(t_contract_validate("GET", "/readyz", 418, "{}", err, sizeof(err)), -1);
	cr_expect(strstr(err, "does not document status 418") != NULL, "%s", err);
	cr_expect_eq(t_contract_validate("GET", "/nowhere", 200, "{}", err, sizeof(err)), -1);
	cr_expect_eq(
	        t_contract_validate("GET", "/readyz", 503,
	                            "{\"error\":\"oops\",\"message\":\"m\",\"request_id\":\"r\"}",
	                            err, sizeof(err)),
	        -1, "503 with an undocumented error code passed");
	cr_expect_eq(t_contract_validate_ex("GET", "/api/v1/ping", 200, "text/html", NULL,
	                                    "{\"data\":{\"status\":\"ok\"}}", err, sizeof(err)),
	             -1);
	cr_expect(strstr(err, "not documented") != NULL, "%s", err);
	/* A required header that is missing. */
	cr_expect_eq(t_contract_validate_ex("GET", "/api/v1/ping", 405, "application/json",
	                                    "X-Request-Id: abc\r\n",
	                                    "{\"error\":\"method_not_allowed\",\"message\":\"m\","
	                                    "\"request_id\":\"abc\"}",
	                                    err, sizeof(err)),
	             -1);
	cr_expect(strstr(err, "required header Allow is missing") != NULL, "%s", err);
}

Test(responses, unknown_path_is_the_documented_404)
{
	struct http_response r;

	t_get("/api/v1/no-such-thing", &r);
	cr_expect_eq(r.status, 404, "%ld %s", r.status, r.body);
	expect_component("NotFound", &r);
	t_http_free(&r);
}

Test(responses, wrong_method_is_the_documented_405)
{
	static const char *const cases[][2] = {
	        {"POST", "/api/v1/ping"}, {"DELETE", "/healthz"}, {"PUT", "/readyz"}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_response r;
		char *allow;

		cr_assert_eq(t_http(cases[i][0], cases[i][1], NULL, NULL, 0, &r), 0);
		cr_expect_eq(r.status, 405, "%s %s: %ld", cases[i][0], cases[i][1], r.status);
		allow = t_header(&r, "Allow");
		cr_expect(allow != NULL && strcmp(allow, "GET, HEAD") == 0, "Allow %s",
		          allow ? allow : "(none)");
		free(allow);
		/* Documented on the operations the path does have. */
		expect_conforms("GET", cases[i][1], &r);
		t_http_free(&r);
	}
}

Test(responses, bad_requests_are_documented_400_and_413)
{
	struct http_response r;
	size_t big = 1048576 + 16;
	char *body = malloc(big);

	t_get("/api/v1/ping?a=%zz", &r);
	cr_expect_eq(r.status, 400, "%ld %s", r.status, r.body);
	expect_conforms("GET", "/api/v1/ping", &r);
	t_http_free(&r);

	cr_assert_eq(t_http("GET", "/healthz", "application/json", "{}", 2, &r), 0);
	cr_expect_eq(r.status, 400, "%ld %s", r.status, r.body);
	expect_conforms("GET", "/healthz", &r);
	t_http_free(&r);

	/* Above Menhir's body_limit, below nginx's client_max_body_size: Menhir's 413. */
	memset(body, ' ', big);
	cr_assert_eq(t_http("GET", "/api/v1/ping", "application/json", body, big, &r), 0);
	cr_expect_eq(r.status, 413, "%ld %.200s", r.status, r.body);
	expect_conforms("GET", "/api/v1/ping", &r);
	t_http_free(&r);
	free(body);
}

Test(responses, readyz_is_ready_not_503)
{
	struct http_response r;

	cr_assert(t_wait_status("/readyz", 200, 10000), "/readyz never answered 200");
	t_get("/readyz", &r);
	cr_expect_eq(r.status, 200, "%ld %s", r.status, r.body);
	expect_conforms("GET", "/readyz", &r);
	/* The 503 shape the spec documents, as Menhir writes it. */
	{
		char err[1024];

		cr_expect_eq(
		        t_contract_validate_ex(
		                "GET", "/readyz", 503, "application/json",
		                "Retry-After: 5\r\nX-Request-Id: "
		                "0123456789abcdef0123456789abcdef\r\n",
		                "{\"error\":\"not_ready\",\"message\":\"a dependency is "
		                "unavailable; retry later\",\"details\":[{\"field\":\"postgres\","
		                "\"message\":\"unreachable\"}],\"request_id\":"
		                "\"0123456789abcdef0123456789abcdef\"}",
		                err, sizeof(err)),
		        0, "%s", err);
	}
	t_http_free(&r);
}

/* ---- /metrics, straight on the FastCGI socket ------------------------------- */

/* A scrape as a host-local scraper (or nginx) would send it, from remote_addr,
 * turned into an http_response. */
static void fcgi_get(const char *path, const char *remote_addr, struct http_response *out)
{
	const char *const params[] = {
	        "REQUEST_METHOD",
	        "GET",
	        "DOCUMENT_URI",
	        path,
	        "REQUEST_URI",
	        path,
	        "QUERY_STRING",
	        "",
	        "REMOTE_ADDR",
	        remote_addr,
	        "SERVER_PROTOCOL",
	        "HTTP/1.1",
	        "REQUEST_ID",
	        "0123456789abcdef0123456789abcdef",
	        NULL,
	};
	char sock[4096];
	struct fcgi_reply r;

	snprintf(sock, sizeof(sock), "%s/menhir.sock", t_env("MENHIR_TEST_STATE"));
	cr_assert_eq(t_fcgi_get(sock, params, &r), 0, "cannot reach %s", sock);
	memset(out, 0, sizeof(*out));
	out->status = r.status;
	out->headers = r.headers ? r.headers : strdup("");
	out->headers_len = strlen(out->headers);
	out->body = r.body ? r.body : strdup("");
	out->body_len = strlen(out->body);
}

Test(metrics, internal_scrape_is_documented_prometheus_text)
{
	struct http_response r;
	char *ct;

	fcgi_get("/metrics", "127.0.0.1", &r);
	cr_expect_eq(r.status, 200, "%ld %.200s", r.status, r.body);
	ct = t_header(&r, "Content-Type");
	cr_expect(ct != NULL && strncmp(ct, "text/plain", 10) == 0, "Content-Type %s",
	          ct ? ct : "(none)");
	cr_expect(strstr(r.body, "# TYPE ") != NULL, "no Prometheus TYPE line: %.200s", r.body);
	free(ct);
	expect_conforms("GET", "/metrics", &r);
	t_http_free(&r);
}

Test(metrics, outside_address_gets_the_documented_403)
{
	struct http_response r;

	fcgi_get("/metrics", "203.0.113.9", &r);
	cr_expect_eq(r.status, 403, "%ld %.200s", r.status, r.body);
	expect_conforms("GET", "/metrics", &r);
	t_http_free(&r);
}

Test(metrics, through_nginx_from_loopback_is_the_documented_200)
{
	struct http_response r;

	t_get("/metrics", &r);
	cr_expect_eq(r.status, 200, "%ld %.200s", r.status, r.body);
	expect_conforms("GET", "/metrics", &r);
	t_http_free(&r);
}

/* ---- the spec and the docs page as nginx serves them ------------------------------ */

Test(served, openapi_json_is_the_generated_document_byte_for_byte)
{
	struct http_response r;
	size_t len;
	char *doc = generated(&len), *ct;

	t_get("/api/v1/openapi.json", &r);
	cr_assert_eq(r.status, 200, "%ld %.200s", r.status, r.body);
	ct = t_header(&r, "Content-Type");
	cr_expect(ct != NULL && strncmp(ct, "application/json", 16) == 0, "Content-Type %s",
	          ct ? ct : "(none)");
	free(ct);
	cr_expect(r.body_len == len && memcmp(r.body, doc, len) == 0,
	          "the served spec (%zu bytes) is not what `menhir openapi` prints (%zu bytes): "
	          "first difference at line %zu",
	          r.body_len, len, first_difference(r.body, r.body_len, doc, len));
	free(doc);
	t_http_free(&r);
}

Test(served, docs_page_loads_the_local_bundle)
{
	static const char *const pages[] = {"/docs", "/docs/"};

	for (size_t i = 0; i < 2; i++) {
		struct http_response r;
		char *ct, *csp;

		t_get(pages[i], &r);
		cr_assert_eq(r.status, 200, "GET %s: %ld", pages[i], r.status);
		ct = t_header(&r, "Content-Type");
		cr_expect(ct != NULL && strncmp(ct, "text/html", 9) == 0, "Content-Type %s",
		          ct ? ct : "(none)");
		cr_expect(strstr(r.body, "src=\"/docs/redoc.standalone.js\"") != NULL,
		          "%s does not load the bundle", pages[i]);
		cr_expect(strstr(r.body, "/api/v1/openapi.json") != NULL,
		          "%s does not point Redoc at the spec", pages[i]);
		cr_expect(strstr(r.body, "//cdn") == NULL && strstr(r.body, "https://") == NULL,
		          "%s loads something from outside", pages[i]);
		/* Redoc needs inline styles and a blob: worker, on this page only. */
		csp = t_header(&r, "Content-Security-Policy");
		cr_expect(csp != NULL && strstr(csp, "worker-src 'self' blob:") != NULL &&
		                  strstr(csp, "frame-ancestors 'none'") != NULL,
		          "CSP %s", csp ? csp : "(none)");
		free(csp);
		free(ct);
		t_http_free(&r);
	}
}

Test(served, docs_bundle_is_served)
{
	struct http_response r;
	char *ct;

	t_get("/docs/redoc.standalone.js", &r);
	cr_assert_eq(r.status, 200, "%ld (did script/bootstrap install web/vendor/redoc?)",
	             r.status);
	ct = t_header(&r, "Content-Type");
	cr_expect(ct != NULL && strstr(ct, "javascript") != NULL, "Content-Type %s",
	          ct ? ct : "(none)");
	cr_expect(r.body_len > 100000, "bundle is only %zu bytes", r.body_len);
	free(ct);
	t_http_free(&r);
}

Test(served, api_csp_stays_strict)
{
	struct http_response r;
	char *csp;

	t_get("/api/v1/ping", &r);
	csp = t_header(&r, "Content-Security-Policy");
	cr_expect(csp != NULL && strstr(csp, "default-src 'self'") != NULL &&
	                  strstr(csp, "unsafe-inline") == NULL && strstr(csp, "blob:") == NULL,
	          "CSP %s", csp ? csp : "(none)");
	free(csp);
	t_http_free(&r);
}
