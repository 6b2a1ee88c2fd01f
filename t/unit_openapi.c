/* unit_openapi.c - the OpenAPI generator of core/openapi.c on a small module table: what it
 * derives from the declarations and flags, what it takes from the docs, what it refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/input.h"
#include "core/openapi.h"

static int h(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const char *const kinds[] = {"a", "b", NULL};

static const struct mh_field id[] = {
        {"id", MH_T_UUID, .not_found = "no such thing"},
        {0},
};
static const struct mh_field list_query[] = {
        {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 50, .def = 10,
         .description = "Page size."},
        {"tag", MH_T_STRING, MH_REPEATABLE, .min = 1, .max = 9},
        {0},
};
static const struct mh_field body_members[] = {
        {"name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 20},
        {"kind", MH_T_ENUM, .values = kinds},
        {0},
};
static const struct mh_field body = {"ThingCreate", MH_T_OBJECT, .fields = body_members};

static const struct mh_field thing_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"gone_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED | MH_NULLABLE},
        {0},
};
static const struct mh_field thing = {"Thing", MH_T_OBJECT, .fields = thing_members};
static const struct mh_field *const schemas[] = {&thing, NULL};
static const struct mh_module_doc module_doc = {
        .tag = "things",
        .description = "Things.",
        .schemas = schemas,
        .headers = "{\"X-Thing\": {\"description\": \"d\", \"schema\": {\"type\": \"string\"}}}",
};

static const struct mh_doc_response get_responses[] = {
        {200, "The thing.", "Thing", .headers = "X-Thing", .example = "{\"id\": \"x\"}"},
        {409, "Busy.", .errors = "busy taken"},
        {0},
};
static const struct mh_route_doc list_doc = {.operation_id = "listThings", .summary = "List"};
static const struct mh_route_doc create_doc = {.operation_id = "createThing",
                                               .request_example = "{\"name\": \"n\"}"};
static const struct mh_route_doc get_doc = {.operation_id = "getThing",
                                            .flags = MH_DOC_NOT_RATE_LIMITED | MH_DOC_NO_DEPENDENCY,
                                            .responses = get_responses};
static const struct mh_route_doc ping_doc = {.operation_id = "pingThing"};

static const struct mh_route routes[] = {
        {MH_GET, "/things", h, 0, MH_ROLE_VIEWER, .query = list_query, .doc = &list_doc},
        {MH_POST, "/things", h, 0, MH_ROLE_ADMIN, .body = &body, .doc = &create_doc},
        {MH_GET, "/things/:id", h, MH_PUBLIC, MH_ROLE_NONE, id, .doc = &get_doc},
        {MH_GET, "/things/test", h, MH_TEST_ONLY, MH_ROLE_NONE, .doc = NULL},
        {MH_GET, "/internal", h, MH_PUBLIC | MH_INTERNAL, MH_ROLE_NONE, .doc = &ping_doc},
        {0},
};
static const struct mh_module things = {.name = "things", .routes = routes, .doc = &module_doc};
static const struct mh_module *const mods[] = {&things, NULL};

/* The generated document, parsed (or NULL with err set). */
static json_object *generate(const struct mh_module *const *m, char *err, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	json_object *doc = NULL;

	cr_assert(f != NULL);
	if (mh_openapi_write(m, f, err, len) == 0) {
		fclose(f);
		doc = json_tokener_parse(text);
		cr_assert(doc != NULL, "not JSON: %.200s", text);
	} else {
		fclose(f);
	}
	free(text);
	return doc;
}

static json_object *at(json_object *o, const char *path)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "|", &save); k && o; k = strtok_r(NULL, "|", &save)) {
		json_object *next = NULL;

		if (json_object_is_type(o, json_type_array))
			next = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &next))
			next = NULL;
		o = next;
	}
	return o;
}

static const char *str_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static json_object *doc;
static void setup(void)
{
	char err[256] = "";

	doc = generate(mods, err, sizeof(err));
	cr_assert(doc != NULL, "%s", err);
}
static void teardown(void)
{
	json_object_put(doc);
}
TestSuite(openapi, .init = setup, .fini = teardown);

Test(openapi, paths_and_methods_come_from_the_table_without_test_routes)
{
	cr_assert_not_null(at(doc, "paths|/things|get"));
	cr_assert_not_null(at(doc, "paths|/things|post"));
	cr_assert_not_null(at(doc, "paths|/things/{id}|get"));
	cr_assert_null(at(doc, "paths|/things/test"));
	cr_assert_str_eq(str_at(doc, "openapi"), "3.1.0");
}

Test(openapi, security_role_and_internal_come_from_the_flags)
{
	cr_assert_eq(json_object_array_length(at(doc, "paths|/things|get|security")), 1);
	cr_assert_not_null(at(doc, "paths|/things|get|security|0|bearerAuth"));
	cr_assert_eq(json_object_array_length(at(doc, "paths|/things/{id}|get|security")), 0);
	cr_assert_str_eq(str_at(doc, "paths|/things|post|x-min-role"), "admin");
	cr_assert_null(at(doc, "paths|/things/{id}|get|x-min-role"));
	cr_assert(json_object_get_boolean(at(doc, "paths|/internal|get|x-internal")));
}

Test(openapi, parameters_come_from_the_declarations)
{
	json_object *limit = at(doc, "paths|/things|get|parameters|0");
	json_object *tag = at(doc, "paths|/things|get|parameters|1");
	json_object *path = at(doc, "paths|/things/{id}|get|parameters|0");

	cr_assert_str_eq(str_at(limit, "in"), "query");
	cr_assert_str_eq(str_at(limit, "description"), "Page size.");
	cr_assert_eq(json_object_get_int(at(limit, "schema|maximum")), 50);
	cr_assert_eq(json_object_get_int(at(limit, "schema|default")), 10);
	cr_assert_str_eq(str_at(tag, "schema|type"), "array", "a repeatable parameter is a list");
	cr_assert_eq(json_object_get_int(at(tag, "schema|items|maxLength")), 9);
	cr_assert_str_eq(str_at(path, "in"), "path");
	cr_assert(json_object_get_boolean(at(path, "required")));
	cr_assert_str_eq(str_at(path, "schema|format"), "uuid");
}

Test(openapi, a_named_body_becomes_a_component_with_its_example)
{
	json_object *rb = at(doc, "paths|/things|post|requestBody|content|application/json");
	json_object *c = at(doc, "components|schemas|ThingCreate");

	cr_assert_str_eq(str_at(rb, "schema|$ref"), "#/components/schemas/ThingCreate");
	cr_assert_str_eq(str_at(rb, "example|name"), "n");
	cr_assert_str_eq(str_at(c, "required|0"), "name");
	cr_assert_not(json_object_get_boolean(at(c, "additionalProperties")));
	cr_assert_str_eq(str_at(c, "properties|kind|enum|1"), "b");
}

Test(openapi, the_framework_errors_follow_the_route)
{
	json_object *list = at(doc, "paths|/things|get|responses");
	json_object *create = at(doc, "paths|/things|post|responses");
	json_object *get = at(doc, "paths|/things/{id}|get|responses");

	cr_assert_not_null(at(list, "401"));
	cr_assert_str_eq(str_at(list, "403|$ref"), "#/components/responses/AuthForbidden");
	cr_assert_null(at(list, "404"), "no path parameter, no 404");
	cr_assert_null(at(list, "415"), "no body, no 415");
	cr_assert_not_null(at(create, "415"));
	cr_assert_null(at(get, "401"), "public");
	cr_assert_null(at(get, "429"), "not rate-limited");
	cr_assert_null(at(get, "503"), "no dependency");
	cr_assert_str_eq(str_at(at(doc, "paths|/internal|get|responses"), "403|$ref"),
	                 "#/components/responses/Forbidden");
	cr_assert(strstr(str_at(get, "404|description"), "No such thing") != NULL);
}

Test(openapi, doc_responses_name_schemas_errors_and_headers)
{
	json_object *get = at(doc, "paths|/things/{id}|get|responses");

	cr_assert_str_eq(str_at(get, "200|content|application/json|schema|$ref"),
	                 "#/components/schemas/Thing");
	cr_assert_str_eq(str_at(get, "200|headers|X-Thing|$ref"), "#/components/headers/X-Thing");
	cr_assert_str_eq(str_at(get, "200|headers|X-Request-Id|$ref"),
	                 "#/components/headers/X-Request-Id");
	cr_assert_str_eq(
	        str_at(get, "409|content|application/json|schema|allOf|1|properties|error|enum|1"),
	        "taken");
}

Test(openapi, module_schemas_and_tags_are_components)
{
	cr_assert_str_eq(str_at(doc, "components|schemas|Thing|properties|gone_at|type|1"), "null");
	cr_assert_str_eq(str_at(doc, "tags|0|name"), "things");
	cr_assert_str_eq(str_at(doc, "paths|/things|get|tags|0"), "things");
	cr_assert_not_null(at(doc, "components|schemas|Error"), "the framework's part is there");
}

Test(openapi, the_output_is_the_same_every_time)
{
	char *a = NULL, *b = NULL, err[256];
	size_t na = 0, nb = 0;
	FILE *f = open_memstream(&a, &na), *g = open_memstream(&b, &nb);

	cr_assert_eq(mh_openapi_write(mods, f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_openapi_write(mods, g, err, sizeof(err)), 0, "%s", err);
	fclose(f);
	fclose(g);
	cr_assert(na == nb && memcmp(a, b, na) == 0);
	cr_assert_eq(a[na - 1], '\n');
	free(a);
	free(b);
}

/* ---- what it refuses ---------------------------------------------------------------------- */

static void expect_refusal(const struct mh_route *r, const struct mh_module_doc *d, const char *why)
{
	const struct mh_module m = {.name = "bad", .routes = r, .doc = d};
	const struct mh_module *const list[] = {&m, NULL};
	char err[256] = "";

	cr_assert_null(generate(list, err, sizeof(err)), "generated despite: %s", why);
	cr_assert(strstr(err, why) != NULL, "\"%s\" lacks \"%s\"", err, why);
}

Test(openapi, a_route_without_a_doc_is_refused)
{
	static const struct mh_route r[] = {{MH_GET, "/x", h, 0, MH_ROLE_NONE, .doc = NULL}, {0}};

	expect_refusal(r, NULL, "has no doc");
}

Test(openapi, an_operation_id_twice_is_refused)
{
	static const struct mh_route r[] = {
	        {MH_GET, "/x", h, 0, MH_ROLE_NONE, .doc = &list_doc},
	        {MH_GET, "/y", h, 0, MH_ROLE_NONE, .doc = &list_doc},
	        {0},
	};

	expect_refusal(r, NULL, "used twice");
}

Test(openapi, json_text_that_does_not_parse_is_refused)
{
	static const struct mh_route_doc bad = {.operation_id = "bad",
	                                        .request_example = "{\"name\": "};
	static const struct mh_route r[] = {
	        {MH_POST, "/x", h, 0, MH_ROLE_NONE, .body = &body, .doc = &bad},
	        {0},
	};

	expect_refusal(r, NULL, "not JSON");
}

Test(openapi, a_schema_named_twice_differently_is_refused)
{
	static const struct mh_field other = {"Thing", MH_T_BOOLEAN, .max = 0};
	static const struct mh_field *const both[] = {&thing, &other, NULL};
	static const struct mh_module_doc d = {.schemas = both};
	static const struct mh_route r[] = {
	        {MH_GET, "/x", h, 0, MH_ROLE_NONE, .doc = &ping_doc},
	        {0},
	};

	expect_refusal(r, &d, "declared twice");
}

Test(openapi, an_unknown_response_header_is_refused)
{
	static const struct mh_doc_response resp[] = {
	        {200, "ok", .headers = "X-Nowhere"},
	        {0},
	};
	static const struct mh_route_doc d = {.operation_id = "hdr", .responses = resp};
	static const struct mh_route r[] = {
	        {MH_GET, "/x", h, 0, MH_ROLE_NONE, .doc = &d},
	        {0},
	};

	expect_refusal(r, NULL, "X-Nowhere");
}
