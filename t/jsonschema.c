/* jsonschema.c - a small JSON Schema subset checker and the API contract
 * (see jsonschema.h). */
#include "jsonschema.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JS_MAX_DEPTH 64

struct js_ctx {
	json_object *root;
	char *err;
	size_t errlen;
	int quiet;  /* inside anyOf/oneOf/not: branch failures are not the error */
	int broken; /* the schema itself is unusable: that message stands */
};

static int fail(struct js_ctx *c, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct js_ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->quiet || c->broken || c->err == NULL || c->errlen == 0)
		return -1;
	n = snprintf(c->err, c->errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Keywords that only annotate. */
static const char *const annotations[] = {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "title",
        "description",
        "default",
        "examples",
        "example",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "discriminator",
        "xml",
        "externalDocs",
        NULL,
};
static const char *const supported[] = {
        "$ref",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        NULL,
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

json_object *js_resolve_ref(json_object *root, const char *ref)
{
	json_object *cur = root;
	const char *p;

	if (ref == NULL || ref[0] != '#')
		return NULL;
	p = ref + 1;
	while (*p == '/') {
		char tok[256];
		size_t n = 0;

		p++;
		while (*p != '\0' && *p != '/') {
			char ch = *p++;

			if (ch == '~' && (*p == '0' || *p == '1'))
				ch = *p++ == '0' ? '~' : '/';
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = ch;
		}
		tok[n] = '\0';
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, tok, &cur))
				return NULL;
		} else if (json_object_is_type(cur, json_type_array)) {
			char *end;
			long i = strtol(tok, &end, 10);

			if (*end != '\0' || i < 0 || (size_t)i >= json_object_array_length(cur))
				return NULL;
			cur = json_object_array_get_idx(cur, (size_t)i);
		} else {
			return NULL;
		}
	}
	return *p == '\0' ? cur : NULL;
}

static int is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static int type_matches(const char *t, json_object *v)
{
	if (strcmp(t, "null") == 0)
		return v == NULL || json_object_is_type(v, json_type_null);
	if (v == NULL)
		return 0;
	if (strcmp(t, "object") == 0)
		return json_object_is_type(v, json_type_object);
	if (strcmp(t, "array") == 0)
		return json_object_is_type(v, json_type_array);
	if (strcmp(t, "string") == 0)
		return json_object_is_type(v, json_type_string);
	if (strcmp(t, "boolean") == 0)
		return json_object_is_type(v, json_type_boolean);
	if (strcmp(t, "number") == 0)
		return is_number(v);
	if (strcmp(t, "integer") == 0) {
		double d;

		if (json_object_is_type(v, json_type_int))
			return 1;
		if (!json_object_is_type(v, json_type_double))
			return 0;
		d = json_object_get_double(v);
		return isfinite(d) && d == floor(d);
	}
	return -1; /* not a type name */
}

static const char *type_name(json_object *v)
{
	if (v == NULL)
		return "null";
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_double: return "number";
	case json_type_int: return "integer";
	case json_type_object: return "object";
	case json_type_array: return "array";
	case json_type_string: return "string";
	}
	return "?";
}

/* JSON equality as the spec defines it: 1 and 1.0 are equal. */
static int json_equal(json_object *a, json_object *b)
{
	if (a == NULL || b == NULL)
		return type_matches("null", a) && type_matches("null", b);
	if (is_number(a) && is_number(b)) {
		if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	return json_object_equal(a, b);
}

static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int validate(struct js_ctx *c, json_object *schema, json_object *v, const char *path,
                    int depth);

static double num(json_object *v)
{
	return json_object_get_double(v);
}

static int validate_object(struct js_ctx *c, json_object *schema, json_object *v, const char *path,
                           int depth)
{
	json_object *props = NULL, *req, *addl, *kw;
	size_t n;
	char sub[512];

	if (!json_object_is_type(v, json_type_object))
		return 0;
	n = (size_t)json_object_object_length(v);
	if (json_object_object_get_ex(schema, "minProperties", &kw) && (double)n < num(kw))
		return fail(c, path, "%zu members, fewer than minProperties %g", n, num(kw));
	if (json_object_object_get_ex(schema, "maxProperties", &kw) && (double)n > num(kw))
		return fail(c, path, "%zu members, more than maxProperties %g", n, num(kw));
	json_object_object_get_ex(schema, "properties", &props);
	if (json_object_object_get_ex(schema, "required", &req)) {
		for (size_t i = 0; i < json_object_array_length(req); i++) {
			const char *name =
			        json_object_get_string(json_object_array_get_idx(req, i));

			if (!json_object_object_get_ex(v, name, NULL))
				return fail(c, path, "required property \"%s\" is missing", name);
		}
	}
	json_object_object_foreach(v, key, val)
	{
		json_object *ps = NULL;

		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (props != NULL && json_object_object_get_ex(props, key, &ps)) {
			if (validate(c, ps, val, sub, depth + 1) < 0)
				return -1;
		} else if (json_object_object_get_ex(schema, "additionalProperties", &addl)) {
			if (json_object_is_type(addl, json_type_boolean)) {
				if (!json_object_get_boolean(addl))
					return fail(c, path, "property \"%s\" is not allowed", key);
			} else if (validate(c, addl, val, sub, depth + 1) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

static int validate_array(struct js_ctx *c, json_object *schema, json_object *v, const char *path,
                          int depth)
{
	json_object *kw;
	size_t n;
	char sub[512];

	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	if (json_object_object_get_ex(schema, "minItems", &kw) && (double)n < num(kw))
		return fail(c, path, "%zu items, fewer than minItems %g", n, num(kw));
	if (json_object_object_get_ex(schema, "maxItems", &kw) && (double)n > num(kw))
		return fail(c, path, "%zu items, more than maxItems %g", n, num(kw));
	if (json_object_object_get_ex(schema, "uniqueItems", &kw) && json_object_get_boolean(kw))
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (json_object_equal(json_object_array_get_idx(v, i),
				                      json_object_array_get_idx(v, j)))
					return fail(c, path, "items %zu and %zu are equal (uniqueItems)",
					            j, i);
	if (json_object_object_get_ex(schema, "items", &kw)) {
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (validate(c, kw, json_object_array_get_idx(v, i), sub, depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

static int validate_string(struct js_ctx *c, json_object *schema, json_object *v, const char *path)
{
	json_object *kw;
	const char *s;
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	len = utf8_length(s);
	if (json_object_object_get_ex(schema, "minLength", &kw) && (double)len < num(kw))
		return fail(c, path, "length %zu is below minLength %g", len, num(kw));
	if (json_object_object_get_ex(schema, "maxLength", &kw) && (double)len > num(kw))
		return fail(c, path, "length %zu is above maxLength %g", len, num(kw));
	if (json_object_object_get_ex(schema, "pattern", &kw)) {
		regex_t re;
		int rc = regcomp(&re, json_object_get_string(kw), REG_EXTENDED | REG_NOSUB);

		if (rc != 0)
			return fail(c, path, "schema pattern \"%s\" is not a POSIX extended regex",
			            json_object_get_string(kw));
		rc = regexec(&re, s, 0, NULL, 0);
		regfree(&re);
		if (rc != 0)
			return fail(c, path, "\"%.80s\" does not match pattern %s", s,
			            json_object_get_string(kw));
	}
	return 0;
}

static int validate_number(struct js_ctx *c, json_object *schema, json_object *v, const char *path)
{
	json_object *kw;
	double d;

	if (!is_number(v))
		return 0;
	d = num(v);
	if (json_object_object_get_ex(schema, "minimum", &kw) && d < num(kw))
		return fail(c, path, "%g is below minimum %g", d, num(kw));
	if (json_object_object_get_ex(schema, "maximum", &kw) && d > num(kw))
		return fail(c, path, "%g is above maximum %g", d, num(kw));
	if (json_object_object_get_ex(schema, "exclusiveMinimum", &kw) && d <= num(kw))
		return fail(c, path, "%g is not above exclusiveMinimum %g", d, num(kw));
	if (json_object_object_get_ex(schema, "exclusiveMaximum", &kw) && d >= num(kw))
		return fail(c, path, "%g is not below exclusiveMaximum %g", d, num(kw));
	return 0;
}

/* Number of branches of the array kw that v matches (branch errors are not
 * reported: the caller words the failure). */
static int count_matches(struct js_ctx *c, json_object *branches, json_object *v, const char *path,
                         int depth)
{
	int quiet = c->quiet, matched = 0;

	c->quiet = 1;
	for (size_t i = 0; i < json_object_array_length(branches) && !c->broken; i++)
		if (validate(c, json_object_array_get_idx(branches, i), v, path, depth + 1) == 0)
			matched++;
	c->quiet = quiet;
	return c->broken ? -1 : matched;
}

static int validate(struct js_ctx *c, json_object *schema, json_object *v, const char *path,
                    int depth)
{
	json_object *kw;

	if (depth > JS_MAX_DEPTH)
		return fail(c, path, "schema nesting deeper than %d ($ref cycle?)", JS_MAX_DEPTH);
	if (json_object_is_type(schema, json_type_boolean))
		return json_object_get_boolean(schema) ? 0 : fail(c, path, "schema false");
	if (!json_object_is_type(schema, json_type_object))
		return fail(c, path, "schema is not an object");

	json_object_object_foreach(schema, key, val)
	{
		(void)val;
		if (strncmp(key, "x-", 2) != 0 && !in_list(supported, key) &&
		    !in_list(annotations, key)) {
			int quiet = c->quiet;

			c->quiet = 0; /* a broken schema is always the error */
			fail(c, path, "unsupported schema keyword \"%s\"", key);
			c->quiet = quiet;
			c->broken = 1;
			return -1;
		}
	}

	if (json_object_object_get_ex(schema, "$ref", &kw)) {
		json_object *target = js_resolve_ref(c->root, json_object_get_string(kw));

		if (target == NULL)
			return fail(c, path, "unresolvable $ref %s", json_object_get_string(kw));
		if (validate(c, target, v, path, depth + 1) < 0)
			return -1;
	}
	if (json_object_object_get_ex(schema, "type", &kw)) {
		int ok = 0;

		if (json_object_is_type(kw, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(kw); i++)
				ok |= type_matches(json_object_get_string(
				                           json_object_array_get_idx(kw, i)),
				                   v) == 1;
		} else {
			ok = type_matches(json_object_get_string(kw), v) == 1;
		}
		if (!ok)
			return fail(c, path, "%s is not of type %s", type_name(v),
			            json_object_to_json_string(kw));
	}
	if (json_object_object_get_ex(schema, "const", &kw) && !json_equal(kw, v))
		return fail(c, path, "%.80s is not the constant %.80s",
		            v ? json_object_to_json_string(v) : "null",
		            json_object_to_json_string(kw));
	if (json_object_object_get_ex(schema, "enum", &kw)) {
		int ok = 0;

		for (size_t i = 0; i < json_object_array_length(kw) && !ok; i++)
			ok = json_equal(json_object_array_get_idx(kw, i), v);
		if (!ok)
			return fail(c, path, "%.80s is not one of %.120s",
			            v ? json_object_to_json_string(v) : "null",
			            json_object_to_json_string(kw));
	}
	if (validate_object(c, schema, v, path, depth) < 0 ||
	    validate_array(c, schema, v, path, depth) < 0 ||
	    validate_string(c, schema, v, path) < 0 || validate_number(c, schema, v, path) < 0)
		return -1;
	if (json_object_object_get_ex(schema, "allOf", &kw)) {
		for (size_t i = 0; i < json_object_array_length(kw); i++)
			if (validate(c, json_object_array_get_idx(kw, i), v, path, depth + 1) < 0)
				return -1;
	}
	if (json_object_object_get_ex(schema, "anyOf", &kw)) {
		int n = count_matches(c, kw, v, path, depth);

		if (n < 0)
			return -1;
		if (n == 0)
			return fail(c, path, "matches no branch of anyOf");
	}
	if (json_object_object_get_ex(schema, "oneOf", &kw)) {
		int n = count_matches(c, kw, v, path, depth);

		if (n < 0)
			return -1;
		if (n != 1)
			return fail(c, path, "matches %d branches of oneOf, not exactly one", n);
	}
	if (json_object_object_get_ex(schema, "not", &kw)) {
		json_object *one = json_object_new_array();
		int n;

		json_object_array_add(one, json_object_get(kw));
		n = count_matches(c, one, v, path, depth);
		json_object_put(one);
		if (n < 0)
			return -1;
		if (n != 0)
			return fail(c, path, "matches the schema under \"not\"");
	}
	return 0;
}

int js_validate(json_object *root, json_object *schema, json_object *instance, char *err,
                size_t errlen)
{
	struct js_ctx c = {root, err, errlen, 0, 0};

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return validate(&c, schema, instance, "$", 0);
}

/* ---- the contract ------------------------------------------------------- */

static json_object *spec;
static char spec_path[4096];
static pthread_once_t spec_once = PTHREAD_ONCE_INIT;

static void load_spec(void)
{
	const char *v = getenv("MENHIR_TEST_OPENAPI");

	if (v != NULL && *v != '\0') {
		snprintf(spec_path, sizeof(spec_path), "%s", v);
	} else if ((v = getenv("MENHIR_TEST_SCHEMA_DIR")) != NULL && *v != '\0') {
		snprintf(spec_path, sizeof(spec_path), "%s/../doc/openapi.json", v);
	} else {
		snprintf(spec_path, sizeof(spec_path), "doc/openapi.json");
	}
	spec = json_object_from_file(spec_path);
	if (spec == NULL)
		fprintf(stderr, "jsonschema: cannot read %s: %s\n", spec_path,
		        json_util_get_last_err() ? json_util_get_last_err() : "?");
}

json_object *t_contract_spec(void)
{
	pthread_once(&spec_once, load_spec);
	return spec;
}

const char *t_contract_spec_path(void)
{
	pthread_once(&spec_once, load_spec);
	return spec_path;
}

/* Follows $ref chains (responses, headers) to the object they name. */
static json_object *deref(json_object *root, json_object *o)
{
	json_object *r;

	for (int i = 0; i < 16 && o != NULL && json_object_object_get_ex(o, "$ref", &r); i++)
		o = js_resolve_ref(root, json_object_get_string(r));
	return o;
}

/* "/a/:id/b" -> "/a/{id}/b" */
static void openapi_path(const char *pattern, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 3 < outlen; p++) {
		if (*p == ':' && (p == pattern || p[-1] == '/')) {
			out[n++] = '{';
			p++;
			while (*p && *p != '/' && n + 2 < outlen)
				out[n++] = *p++;
			out[n++] = '}';
			p--;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

json_object *t_contract_response(json_object *root, const char *method, const char *pattern,
                                 long status, char *err, size_t errlen)
{
	json_object *paths, *item, *op, *responses, *r = NULL;
	char path[1024], m[16], code[32];
	size_t i;

	if (root == NULL) {
		snprintf(err, errlen, "no spec loaded (%s)", t_contract_spec_path());
		return NULL;
	}
	openapi_path(pattern, path, sizeof(path));
	for (i = 0; method[i] && i + 1 < sizeof(m); i++)
		m[i] = (char)tolower((unsigned char)method[i]);
	m[i] = '\0';
	if (!json_object_object_get_ex(root, "paths", &paths) ||
	    !json_object_object_get_ex(paths, path, &item)) {
		snprintf(err, errlen, "spec has no path %s", path);
		return NULL;
	}
	item = deref(root, item);
	if (item == NULL || !json_object_object_get_ex(item, m, &op) ||
	    !json_object_object_get_ex(op, "responses", &responses)) {
		snprintf(err, errlen, "spec has no operation %s %s", method, path);
		return NULL;
	}
	snprintf(code, sizeof(code), "%ld", status);
	if (!json_object_object_get_ex(responses, code, &r)) {
		snprintf(code, sizeof(code), "%ldXX", status / 100);
		if (!json_object_object_get_ex(responses, code, &r))
			json_object_object_get_ex(responses, "default", &r);
	}
	if (r == NULL) {
		snprintf(err, errlen, "%s %s does not document status %ld", method, path, status);
		return NULL;
	}
	r = deref(root, r);
	if (r == NULL)
		snprintf(err, errlen, "%s %s %ld: unresolvable $ref", method, path, status);
	return r;
}

/* The media type without parameters, lower-cased: "text/plain; x=1" -> "text/plain". */
static void media_base(const char *ct, char *out, size_t outlen)
{
	size_t n = 0;

	while (*ct == ' ')
		ct++;
	for (; *ct && *ct != ';' && *ct != ' ' && n + 1 < outlen; ct++)
		out[n++] = (char)tolower((unsigned char)*ct);
	out[n] = '\0';
}

static int is_json_media(const char *base)
{
	size_t n = strlen(base);

	return strcmp(base, "application/json") == 0 ||
	       (n > 5 && strcmp(base + n - 5, "+json") == 0);
}

/* Parameters of a media type, normalised ("version=0.0.4;charset=utf-8"). */
static void media_params(const char *ct, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p = strchr(ct, ';');

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p++; *p && n + 1 < outlen; p++)
		if (*p != ' ')
			out[n++] = (char)tolower((unsigned char)*p);
	out[n] = '\0';
}

/* Value of header name in a raw CRLF block, or NULL (malloc'd). */
static char *raw_header(const char *headers, const char *name)
{
	size_t n = strlen(name);
	const char *line = headers;

	while (line != NULL && *line != '\0') {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
			const char *v = line + n + 1;

			while (*v == ' ')
				v++;
			return strndup(v, len - (size_t)(v - line));
		}
		line = eol ? eol + 2 : NULL;
	}
	return NULL;
}

static int check_headers(json_object *root, json_object *resp, const char *headers, char *err,
                         size_t errlen)
{
	json_object *hs;

	if (headers == NULL || !json_object_object_get_ex(resp, "headers", &hs))
		return 0;
	json_object_object_foreach(hs, name, h0)
	{
		json_object *h = deref(root, h0), *req, *schema, *inst;
		char *val;
		int rc;

		if (h == NULL) {
			snprintf(err, errlen, "header %s: unresolvable $ref", name);
			return -1;
		}
		val = raw_header(headers, name);
		if (val == NULL) {
			if (json_object_object_get_ex(h, "required", &req) &&
			    json_object_get_boolean(req)) {
				snprintf(err, errlen, "required header %s is missing", name);
				return -1;
			}
			continue;
		}
		if (!json_object_object_get_ex(h, "schema", &schema)) {
			free(val);
			continue;
		}
		/* Header values are strings on the wire: an integer schema gets a
		 * number when the value is all digits. */
		{
			json_object *s = deref(root, schema), *t;
			char *end;
			long long ll = strtoll(val, &end, 10);

			if (s != NULL && json_object_object_get_ex(s, "type", &t) &&
			    strcmp(json_object_get_string(t), "integer") == 0 && *val &&
			    *end == '\0')
				inst = json_object_new_int64(ll);
			else
				inst = json_object_new_string(val);
		}
		rc = js_validate(root, schema, inst, err, errlen);
		if (rc < 0) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "header %s: %s", name, err);
			snprintf(err, errlen, "%s", tmp);
		}
		json_object_put(inst);
		free(val);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int t_contract_check_response(json_object *root, json_object *resp, const char *content_type,
                              const char *headers, const char *body, char *err, size_t errlen)
{
	json_object *content, *media = NULL, *schema, *inst;
	char want[128], have[128], wparams[256], hparams[256];
	int rc;

	err[0] = '\0';
	if (!json_object_object_get_ex(resp, "content", &content)) {
		if (body != NULL && *body != '\0') {
			snprintf(err, errlen, "the spec documents no body, got %.80s", body);
			return -1;
		}
		return check_headers(root, resp, headers, err, errlen);
	}
	if (content_type == NULL)
		content_type = "";
	media_base(content_type, have, sizeof(have));
	media_params(content_type, hparams, sizeof(hparams));
	json_object_object_foreach(content, key, val)
	{
		media_base(key, want, sizeof(want));
		media_params(key, wparams, sizeof(wparams));
		if (strcmp(want, have) == 0 &&
		    (wparams[0] == '\0' || strcmp(wparams, hparams) == 0)) {
			media = val;
			break;
		}
	}
	if (media == NULL) {
		snprintf(err, errlen, "content type \"%s\" is not documented (%.200s)",
		         content_type, json_object_to_json_string(content));
		return -1;
	}
	if (check_headers(root, resp, headers, err, errlen) < 0)
		return -1;
	if (!json_object_object_get_ex(media, "schema", &schema))
		return 0;
	if (is_json_media(have)) {
		enum json_tokener_error jerr;

		inst = json_tokener_parse_verbose(body ? body : "", &jerr);
		if (inst == NULL && jerr != json_tokener_success) {
			snprintf(err, errlen, "body is not JSON (%s): %.80s",
			         json_tokener_error_desc(jerr), body ? body : "");
			return -1;
		}
	} else {
		inst = json_object_new_string(body ? body : "");
	}
	rc = js_validate(root, schema, inst, err, errlen);
	json_object_put(inst);
	return rc;
}

int t_contract_validate_ex(const char *method, const char *pattern, long status,
                           const char *content_type, const char *headers, const char *body,
                           char *err, size_t errlen)
{
	json_object *root = t_contract_spec(), *resp;
	char tmp[1024];

	err[0] = '\0';
	resp = t_contract_response(root, method, pattern, status, err, errlen);
	if (resp == NULL)
		return -1;
	if (t_contract_check_response(root, resp, content_type, headers, body, err, errlen) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s %s %ld: %s", method, pattern, status, err);
	snprintf(err, errlen, "%s", tmp);
	return -1;
}

int t_contract_validate(const char *method, const char *pattern, long status, const char *body,
                        char *err, size_t errlen)
{
	return t_contract_validate_ex(method, pattern, status, "application/json", NULL, body, err,
	                              errlen);
}
