/* openapi.c - builds the OpenAPI 3.1 document from the modules' route tables (see
 * openapi.h); the framework's own part (info, the error envelope, shared responses and
 * headers) is in openapi_base.c. */
#include "core/openapi.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/input.h"
#include "core/openapi_base.h"
#include "core/ratelimit.h"

#define REF_SCHEMAS   "#/components/schemas/"
#define REF_RESPONSES "#/components/responses/"
#define REF_HEADERS   "#/components/headers/"
/* A UUID as the API writes it (lower case), and as it reads one (either case). */
#define UUID_OUT "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#define UUID_IN  "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

struct gen {
	json_object *schemas; /* components/schemas, filled as routes and modules name them */
	json_object *headers; /* components/headers */
	json_object *opids;   /* operation ids seen, to refuse a repeat */
	int input;            /* writing what a client sends (parameters, bodies) */
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (g->failed++)
		return; /* the first reason is the one to fix */
	va_start(ap, fmt);
	vsnprintf(g->err, g->errlen, fmt, ap);
	va_end(ap);
}

static json_object *str(const char *s)
{
	return json_object_new_string(s);
}

static void add(json_object *o, const char *key, json_object *v)
{
	if (v != NULL)
		json_object_object_add(o, key, v);
}

static void add_str(json_object *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(o, key, str(s));
}

/* JSON text from a declaration; what names it, for the error. */
static json_object *parse(struct gen *g, const char *what, const char *text)
{
	enum json_tokener_error e = json_tokener_success;
	json_object *o = json_tokener_parse_verbose(text, &e);

	if (e != json_tokener_success) {
		fail(g, "%s: not JSON (%s): %.60s", what, json_tokener_error_desc(e), text);
		return NULL;
	}
	return o;
}

static json_object *ref(const char *prefix, const char *name)
{
	json_object *o = json_object_new_object();
	char buf[256];

	snprintf(buf, sizeof(buf), "%s%s", prefix, name);
	add_str(o, "$ref", buf);
	return o;
}

/* ---- Schemas from declarations --------------------------------------------------------- */

static json_object *field_schema(struct gen *g, const struct mh_field *f);

/* "type": t, or [t, "null"] under MH_NULLABLE. */
static void add_type(json_object *s, const struct mh_field *f, const char *t)
{
	if (f->flags & MH_NULLABLE) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, str(t));
		json_object_array_add(a, str("null"));
		add(s, "type", a);
	} else {
		add_str(s, "type", t);
	}
}

static void add_int(json_object *s, const char *key, long long v)
{
	add(s, key, json_object_new_int64(v));
}

static void string_schema(struct gen *g, json_object *s, const struct mh_field *f)
{
	add_type(s, f, "string");
	switch (f->type) {
	case MH_T_UUID:
		add_str(s, "format", "uuid");
		add_str(s, "pattern", g->input ? UUID_IN : UUID_OUT);
		return;
	case MH_T_SLUG:
		add_int(s, "minLength", 1);
		add_int(s, "maxLength", 63);
		add_str(s, "pattern", "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$");
		return;
	case MH_T_EMAIL:
		add_str(s, "format", "email");
		add_int(s, "minLength", 3);
		add_int(s, "maxLength", 254);
		return;
	case MH_T_TIMESTAMP: add_str(s, "format", "date-time"); return;
	case MH_T_URL:
		add_str(s, "format", "uri");
		add_str(s, "pattern", "^[Hh][Tt][Tt][Pp][Ss]://");
		break;
	case MH_T_CURSOR: add_str(s, "pattern", "^[A-Za-z0-9_=-]+$"); break;
	default: break;
	}
	/* Lengths in characters, as JSON Schema counts them; a byte bound is at least as many
	 * characters, so maxLength stays a true upper bound. */
	if (f->min > 0)
		add_int(s, "minLength", f->min);
	if (f->max > 0)
		add_int(s, "maxLength", f->max);
	add_str(s, "pattern", f->pattern);
}

static void enum_schema(json_object *s, const struct mh_field *f)
{
	json_object *v = json_object_new_array();
	size_t n = 0;

	add_type(s, f, "string");
	for (; f->values != NULL && f->values[n] != NULL; n++)
		json_object_array_add(v, str(f->values[n]));
	if (n == 1 && !(f->flags & MH_NULLABLE)) {
		add(s, "const", json_object_get(json_object_array_get_idx(v, 0)));
		json_object_put(v);
		return;
	}
	if (f->flags & MH_NULLABLE)
		json_object_array_add(v, NULL);
	add(s, "enum", v);
	if ((f->flags & MH_DEFAULT) && f->def >= 0 && (size_t)f->def < n)
		add_str(s, "default", f->values[f->def]);
}

static void object_schema(struct gen *g, json_object *s, const struct mh_field *f)
{
	json_object *props = json_object_new_object(), *required = json_object_new_array();

	add_type(s, f, "object");
	for (const struct mh_field *m = f->fields; m != NULL && m->name != NULL; m++) {
		add(props, m->name, field_schema(g, m));
		if (m->flags & MH_REQUIRED)
			json_object_array_add(required, str(m->name));
	}
	if (json_object_array_length(required) > 0)
		add(s, "required", required);
	else
		json_object_put(required);
	if (!(f->flags & MH_OPEN))
		add(s, "additionalProperties", json_object_new_boolean(0));
	if (json_object_object_length(props) > 0)
		add(s, "properties", props);
	else
		json_object_put(props);
	if (f->min > 0)
		add_int(s, "minProperties", f->min);
	if (f->max > 0)
		add_int(s, "maxProperties", f->max);
}

static json_object *field_schema(struct gen *g, const struct mh_field *f)
{
	json_object *s;

	if (f->schema != NULL)
		return parse(g, f->name ? f->name : "schema", f->schema);
	s = json_object_new_object();
	if (f->ref != NULL) {
		json_object *r = ref(REF_SCHEMAS, f->ref);

		if (f->flags & MH_NULLABLE) {
			json_object *one = json_object_new_array(),
			            *null = json_object_new_object();

			add_str(null, "type", "null");
			json_object_array_add(one, r);
			json_object_array_add(one, null);
			add(s, "oneOf", one);
		} else {
			json_object_put(s);
			s = r;
		}
		add_str(s, "description", f->description);
		return s;
	}
	switch (f->type) {
	case MH_T_INTEGER:
		add_type(s, f, "integer");
		if (f->min != 0 || f->max != 0)
			add_int(s, "minimum", f->min);
		if (f->max > f->min)
			add_int(s, "maximum", f->max);
		if (f->flags & MH_DEFAULT)
			add_int(s, "default", f->def);
		break;
	case MH_T_BOOLEAN:
		add_type(s, f, "boolean");
		if (f->flags & MH_DEFAULT)
			add(s, "default", json_object_new_boolean(f->def != 0));
		break;
	case MH_T_ENUM: enum_schema(s, f); break;
	case MH_T_OBJECT: object_schema(g, s, f); break;
	case MH_T_ARRAY:
		add_type(s, f, "array");
		if (f->items != NULL)
			add(s, "items", field_schema(g, f->items));
		if (f->min > 0)
			add_int(s, "minItems", f->min);
		if (f->max > 0)
			add_int(s, "maxItems", f->max);
		if (f->flags & MH_UNIQUE)
			add(s, "uniqueItems", json_object_new_boolean(1));
		break;
	default: string_schema(g, s, f); break;
	}
	add_str(s, "description", f->description);
	if (f->example != NULL) {
		json_object *ex = json_object_new_array();

		json_object_array_add(ex, parse(g, f->name ? f->name : "example", f->example));
		add(s, "examples", ex);
	}
	return s;
}

/* Puts f under components/schemas/<f->name>; the same name twice must mean the same. */
static void component(struct gen *g, const struct mh_field *f)
{
	json_object *s = field_schema(g, f), *old;

	if (json_object_object_get_ex(g->schemas, f->name, &old)) {
		if (!json_object_equal(old, s))
			fail(g, "schema %s is declared twice, differently", f->name);
		json_object_put(s);
		return;
	}
	add(g->schemas, f->name, s);
}

/* ---- Responses ------------------------------------------------------------------------ */

/* {"allOf": [Error, {"properties": {"error": {"const" | "enum": codes}}}]} */
static json_object *error_schema(const char *codes)
{
	json_object *s = json_object_new_object(), *all = json_object_new_array();
	json_object *narrow = json_object_new_object(), *props = json_object_new_object();
	json_object *code = json_object_new_object(), *list = json_object_new_array();
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", codes);
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		json_object_array_add(list, str(t));
	if (json_object_array_length(list) == 1) {
		add(code, "const", json_object_get(json_object_array_get_idx(list, 0)));
		json_object_put(list);
	} else {
		add(code, "enum", list);
	}
	add(props, "error", code);
	add(narrow, "properties", props);
	json_object_array_add(all, ref(REF_SCHEMAS, "Error"));
	json_object_array_add(all, narrow);
	add(s, "allOf", all);
	return s;
}

static json_object *response_headers(struct gen *g, const char *tokens)
{
	json_object *h = json_object_new_object();
	char buf[512], *save = NULL;
	int own_request_id = 0;

	snprintf(buf, sizeof(buf), "%s", tokens ? tokens : "");
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		if (strcmp(t, "-") == 0 || strncmp(t, "X-Request-Id", 12) == 0)
			own_request_id = 1;
	if (!own_request_id)
		add(h, "X-Request-Id", ref(REF_HEADERS, "X-Request-Id"));
	snprintf(buf, sizeof(buf), "%s", tokens ? tokens : "");
	for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		const char *name = t, *comp = t;

		if (strcmp(t, "-") == 0)
			continue;
		if (eq != NULL) {
			*eq = '\0';
			comp = eq + 1;
		}
		if (strcmp(name, "X-Request-Id-Optional") == 0)
			name = "X-Request-Id";
		if (!json_object_object_get_ex(g->headers, comp, NULL))
			fail(g, "response header %s names no components/headers entry", comp);
		add(h, name, ref(REF_HEADERS, comp));
	}
	if (json_object_object_length(h) == 0) {
		json_object_put(h);
		return NULL;
	}
	return h;
}

static json_object *response_of(struct gen *g, const char *op, const struct mh_doc_response *r)
{
	json_object *o = json_object_new_object(), *media, *content;
	char what[160];

	snprintf(what, sizeof(what), "%s %d", op, r->status);
	add_str(o, "description", r->description ? r->description : "");
	add(o, "headers", response_headers(g, r->headers));
	if (r->content != NULL) {
		add(o, "content", parse(g, what, r->content));
		return o;
	}
	if (r->schema == NULL && r->errors == NULL)
		return o;
	media = json_object_new_object();
	content = json_object_new_object();
	add(media, "schema", r->errors ? error_schema(r->errors) : ref(REF_SCHEMAS, r->schema));
	if (r->example != NULL)
		add(media, "example", parse(g, what, r->example));
	add(content, r->media ? r->media : "application/json", media);
	add(o, "content", content);
	return o;
}

/* The framework's response for status on route r, or NULL when r cannot give it. */
static json_object *standard_response(const struct mh_route *r, int status)
{
	unsigned flags = r->doc ? r->doc->flags : 0;
	int pub = (r->flags & MH_PUBLIC) != 0;

	switch (status) {
	case 400: return ref(REF_RESPONSES, "BadRequest");
	case 401: return pub ? NULL : ref(REF_RESPONSES, "Unauthorized");
	case 403:
		if (r->flags & MH_INTERNAL)
			return ref(REF_RESPONSES, "Forbidden");
		return pub ? NULL : ref(REF_RESPONSES, "AuthForbidden");
	case 405: return ref(REF_RESPONSES, "MethodNotAllowed");
	case 413: return ref(REF_RESPONSES, "PayloadTooLarge");
	case 415:
		return r->body || (r->flags & MH_RAW_BODY)
		               ? ref(REF_RESPONSES, "UnsupportedMediaType")
		               : NULL;
	case 429:
		if (mh_ratelimit_route_applies(r))
			return ref(REF_RESPONSES, "TenantRateLimited");
		return (flags & MH_DOC_NOT_RATE_LIMITED) ? NULL : ref(REF_RESPONSES, "RateLimited");
	case 500: return ref(REF_RESPONSES, "InternalError");
	case 502: return ref(REF_RESPONSES, "BadGateway");
	case 503:
		return (flags & MH_DOC_NO_DEPENDENCY) ? NULL
		                                      : ref(REF_RESPONSES, "ServiceUnavailable");
	case 504: return ref(REF_RESPONSES, "GatewayTimeout");
	default: return NULL;
	}
}

/* A path parameter that names nothing answers 404 with its own words. */
static json_object *not_found_response(const struct mh_route *r)
{
	json_object *o = json_object_new_object(), *h = json_object_new_object();
	json_object *content = json_object_new_object(), *media = json_object_new_object();
	char text[512] = "";

	for (const struct mh_field *p = r->params; p != NULL && p->name != NULL; p++) {
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n, "%s%s", n ? "; or " : "",
		         p->not_found ? p->not_found : "no such resource");
	}
	if (text[0] >= 'a' && text[0] <= 'z')
		text[0] = (char)(text[0] - 'a' + 'A');
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
	         " (a malformed value names nothing either).");
	add_str(o, "description", text);
	add(h, "X-Request-Id", ref(REF_HEADERS, "X-Request-Id"));
	add(o, "headers", h);
	add(media, "schema", error_schema("not_found"));
	add(content, "application/json", media);
	add(o, "content", content);
	return o;
}

/* A route under the tenant's rate limit answers with the RateLimit fields whenever the
 * tenant has a limit (core/ratelimit.h). */
static void add_rate_limit_headers(json_object *resp)
{
	json_object *h;

	if (!json_object_object_get_ex(resp, "headers", &h)) {
		h = json_object_new_object();
		add(resp, "headers", h);
	}
	add(h, "RateLimit-Policy", ref(REF_HEADERS, "RateLimit-Policy"));
	add(h, "RateLimit", ref(REF_HEADERS, "RateLimit"));
}

static int by_status(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static json_object *responses_of(struct gen *g, const struct mh_route *r, const char *op)
{
	static const int framework[] = {400, 401, 403, 404, 405, 413, 415, 429, 500, 502, 503, 504};
	int statuses[64];
	size_t n = 0;
	json_object *o = json_object_new_object();
	const struct mh_doc_response *d = r->doc ? r->doc->responses : NULL;

	for (size_t i = 0; i < sizeof(framework) / sizeof(framework[0]); i++)
		statuses[n++] = framework[i];
	for (; d != NULL && d->status != 0 && n < 64; d++) {
		size_t k;

		for (k = 0; k < n && statuses[k] != d->status; k++)
			;
		if (k == n)
			statuses[n++] = d->status;
	}
	qsort(statuses, n, sizeof(statuses[0]), by_status);
	for (size_t i = 0; i < n; i++) {
		json_object *resp = NULL;
		char key[8];

		for (d = r->doc ? r->doc->responses : NULL; d != NULL && d->status != 0; d++)
			if (d->status == statuses[i])
				resp = response_of(g, op, d);
		if (resp == NULL && statuses[i] == 404 && r->params != NULL &&
		    r->params->name != NULL)
			resp = not_found_response(r);
		if (resp == NULL)
			resp = standard_response(r, statuses[i]);
		if (resp == NULL)
			continue;
		if (statuses[i] < 400 && mh_ratelimit_route_applies(r))
			add_rate_limit_headers(resp);
		snprintf(key, sizeof(key), "%d", statuses[i]);
		add(o, key, resp);
	}
	return o;
}

/* ---- Operations ------------------------------------------------------------------------ */

static json_object *parameter(struct gen *g, const struct mh_field *f, const char *in)
{
	json_object *p = json_object_new_object(), *schema = field_schema(g, f);

	add_str(p, "name", f->name);
	add_str(p, "in", in);
	add(p, "required",
	    json_object_new_boolean(strcmp(in, "path") == 0 || (f->flags & MH_REQUIRED)));
	/* The words go on the parameter, where renderers show them. */
	if (f->description != NULL) {
		add_str(p, "description", f->description);
		json_object_object_del(schema, "description");
	} else if (strcmp(in, "path") == 0) {
		add_str(p, "description",
		        f->type == MH_T_UUID ? "A malformed id is a 404 like an unknown one."
		                             : "An unknown value is a 404.");
	}
	if (f->flags & MH_REPEATABLE) {
		json_object *a = json_object_new_object();

		add_str(a, "type", "array");
		add(a, "items", schema);
		schema = a;
		add_str(p, "style", "form");
		add(p, "explode", json_object_new_boolean(1));
	}
	add(p, "schema", schema);
	return p;
}

static json_object *parameters_of(struct gen *g, const struct mh_route *r, const char *op)
{
	json_object *a = json_object_new_array();

	g->input = 1;
	for (const struct mh_field *f = r->params; f != NULL && f->name != NULL; f++)
		json_object_array_add(a, parameter(g, f, "path"));
	for (const struct mh_field *f = r->query; f != NULL && f->name != NULL; f++)
		json_object_array_add(a, parameter(g, f, "query"));
	if (r->doc != NULL && r->doc->parameters != NULL) {
		json_object *more = parse(g, op, r->doc->parameters);

		for (size_t i = 0; more != NULL && i < json_object_array_length(more); i++)
			json_object_array_add(a,
			                      json_object_get(json_object_array_get_idx(more, i)));
		json_object_put(more);
	}
	g->input = 0;
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static json_object *request_body_of(struct gen *g, const struct mh_route *r, const char *op)
{
	json_object *rb, *content, *media;

	if (r->doc != NULL && r->doc->request_body != NULL)
		return parse(g, op, r->doc->request_body);
	if (r->body == NULL)
		return NULL;
	rb = json_object_new_object();
	content = json_object_new_object();
	media = json_object_new_object();
	g->input = 1;
	if (r->body->name != NULL) {
		component(g, r->body);
		add(media, "schema", ref(REF_SCHEMAS, r->body->name));
	} else {
		add(media, "schema", field_schema(g, r->body));
	}
	g->input = 0;
	if (r->doc != NULL && r->doc->request_example != NULL)
		add(media, "example", parse(g, op, r->doc->request_example));
	add(content, "application/json", media);
	add(rb, "required", json_object_new_boolean(1));
	add(rb, "content", content);
	return rb;
}

static json_object *operation(struct gen *g, const struct mh_module *m, const struct mh_route *r)
{
	const struct mh_route_doc *d = r->doc;
	json_object *op = json_object_new_object(), *tags = json_object_new_array(), *sec;
	const char *tag = d->tag ? d->tag : m->doc && m->doc->tag ? m->doc->tag : m->name;

	if (json_object_object_get_ex(g->opids, d->operation_id, NULL))
		fail(g, "operationId %s is used twice", d->operation_id);
	add(g->opids, d->operation_id, json_object_new_boolean(1));
	add_str(op, "operationId", d->operation_id);
	json_object_array_add(tags, str(tag));
	add(op, "tags", tags);
	add_str(op, "summary", d->summary);
	add_str(op, "description", d->description);
	sec = json_object_new_array();
	if (!(r->flags & MH_PUBLIC)) {
		json_object *bearer = json_object_new_object();

		add(bearer, "bearerAuth", json_object_new_array());
		json_object_array_add(sec, bearer);
	}
	if (r->flags & MH_API_KEY) {
		json_object *key = json_object_new_object();

		add(key, "apiKeyAuth", json_object_new_array());
		json_object_array_add(sec, key);
	}
	add(op, "security", sec);
	if (r->min_role != MH_ROLE_NONE)
		add_str(op, "x-min-role", mh_role_name(r->min_role));
	if (r->flags & MH_INTERNAL)
		add(op, "x-internal", json_object_new_boolean(1));
	add(op, "parameters", parameters_of(g, r, d->operation_id));
	add(op, "requestBody", request_body_of(g, r, d->operation_id));
	add(op, "responses", responses_of(g, r, d->operation_id));
	return op;
}

/* "/a/:id" as OpenAPI writes it: "/a/{id}". */
static void openapi_path(const char *pattern, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = pattern; *p != '\0' && n + 3 < len; p++) {
		if (*p == ':' && (p == pattern || p[-1] == '/')) {
			out[n++] = '{';
			for (p++; *p != '\0' && *p != '/' && n + 2 < len; p++)
				out[n++] = *p;
			out[n++] = '}';
			p--;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void lower(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[i] = '\0';
}

static void add_paths(struct gen *g, const struct mh_module *const *modules, json_object *paths)
{
	for (size_t k = 0; modules[k] != NULL; k++) {
		const struct mh_module *m = modules[k];

		for (const struct mh_route *r = m->routes; r->pattern != NULL; r++) {
			char path[512], method[16];
			json_object *item;

			if (r->flags & MH_TEST_ONLY)
				continue;
			if (r->doc == NULL || r->doc->operation_id == NULL) {
				fail(g, "route %s %s has no doc (operation id, responses)",
				     mh_method_name(r->method), r->pattern);
				continue;
			}
			openapi_path(r->pattern, path, sizeof(path));
			if (!json_object_object_get_ex(paths, path, &item)) {
				item = json_object_new_object();
				add(paths, path, item);
			}
			lower(mh_method_name(r->method), method, sizeof(method));
			add(item, method, operation(g, m, r));
		}
	}
}

/* ---- The document ---------------------------------------------------------------------- */

static json_object *tags_of(const struct mh_module *const *modules)
{
	json_object *a = json_object_new_array(), *seen = json_object_new_object();

	for (size_t k = 0; modules[k] != NULL; k++) {
		const struct mh_module *m = modules[k];
		const char *name = m->doc && m->doc->tag ? m->doc->tag : m->name;
		json_object *t;
		int documented = 0;

		for (const struct mh_route *r = m->routes; r->pattern != NULL; r++)
			documented |= !(r->flags & MH_TEST_ONLY);
		if (!documented || json_object_object_get_ex(seen, name, NULL))
			continue;
		add(seen, name, json_object_new_boolean(1));
		t = json_object_new_object();
		add_str(t, "name", name);
		add_str(t, "description", m->doc ? m->doc->description : NULL);
		json_object_array_add(a, t);
	}
	json_object_put(seen);
	return a;
}

/* Merges the members of JSON object text into o. */
static void merge(struct gen *g, json_object *o, const char *what, const char *text)
{
	json_object *more = parse(g, what, text);

	if (more == NULL)
		return;
	json_object_object_foreach(more, key, val)
	{
		if (json_object_object_get_ex(o, key, NULL))
			fail(g, "%s: %s is declared twice", what, key);
		add(o, key, json_object_get(val));
	}
	json_object_put(more);
}

static json_object *components_of(struct gen *g, const struct mh_module *const *modules)
{
	json_object *c = json_object_new_object();

	(void)modules;
	add(c, "securitySchemes", parse(g, "securitySchemes", mh_openapi_base_security));
	add(c, "schemas", json_object_get(g->schemas));
	add(c, "responses", parse(g, "responses", mh_openapi_base_responses));
	add(c, "headers", json_object_get(g->headers));
	return c;
}

int mh_openapi_write(const struct mh_module *const *modules, FILE *out, char *err, size_t errlen)
{
	struct gen g = {.err = err, .errlen = errlen};
	json_object *root = json_object_new_object(), *paths = json_object_new_object();
	json_object *webhooks = json_object_new_object();
	const char *text;
	int rc = -1;

	g.schemas = json_object_new_object();
	g.headers = json_object_new_object();
	g.opids = json_object_new_object();
	merge(&g, g.schemas, "schemas", mh_openapi_base_schemas);
	merge(&g, g.headers, "headers", mh_openapi_base_headers);
	for (size_t k = 0; modules[k] != NULL; k++) {
		const struct mh_module_doc *d = modules[k]->doc;

		if (d != NULL && d->headers != NULL)
			merge(&g, g.headers, modules[k]->name, d->headers);
		if (d != NULL && d->webhooks != NULL)
			merge(&g, webhooks, modules[k]->name, d->webhooks);
	}
	/* Module schemas first, so a request body's component follows its module's. */
	for (size_t k = 0; modules[k] != NULL; k++)
		for (size_t i = 0;
		     modules[k]->doc && modules[k]->doc->schemas && modules[k]->doc->schemas[i];
		     i++)
			component(&g, modules[k]->doc->schemas[i]);
	add_paths(&g, modules, paths);
	add_str(root, "openapi", "3.1.0");
	add(root, "info", parse(&g, "info", mh_openapi_base_info));
	add(root, "servers", parse(&g, "servers", mh_openapi_base_servers));
	add(root, "tags", tags_of(modules));
	add(root, "paths", paths);
	add(root, "components", components_of(&g, modules));
	if (json_object_object_length(webhooks) > 0)
		add(root, "webhooks", webhooks);
	else
		json_object_put(webhooks);
	if (g.failed)
		goto out;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                                    JSON_C_TO_STRING_SPACED |
	                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || fputs(text, out) == EOF || fputc('\n', out) == EOF) {
		snprintf(err, errlen, "cannot write the document");
		goto out;
	}
	rc = 0;
out:
	json_object_put(root);
	json_object_put(g.schemas);
	json_object_put(g.headers);
	json_object_put(g.opids);
	return rc;
}
