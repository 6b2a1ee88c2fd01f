/* input.c - checks a request against its route's declared input (see input.h) and keeps the
 * typed values for the handler. */
#include "core/input.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/module.h"
#include "core/validate.h"

/* Problems one answer lists; a request with more gets the first ones. */
#define MAX_DETAILS 32
/* The longest path a detail names ("parameters.k", "tags[3]"). */
#define PATH_MAX_LEN 200
/* JSON nesting the checker follows (the parser allows no more anyway). */
#define MAX_DEPTH 32
/* A cursor nobody issued is longer than this. */
#define CURSOR_MAX_DEFAULT 2048

struct mh_check {
	struct mh_arena *a;
	struct mh_error_detail *d;
	size_t max, n; /* n counts every problem, stored or not */
	char path[PATH_MAX_LEN + 1];
	size_t plen;
	int depth;
};

static const struct mh_value absent;

static const struct mh_value *value_at(const struct mh_value *v, size_t n, size_t i)
{
	return v != NULL && i < n ? &v[i] : &absent;
}

const struct mh_value *mh_in_path(const struct mh_request *req, size_t i)
{
	return value_at(req->in_path, req->nin_path, i);
}

const struct mh_value *mh_in_query(const struct mh_request *req, size_t i)
{
	return value_at(req->in_query, req->nin_query, i);
}

const struct mh_value *mh_in_body(const struct mh_request *req, size_t i)
{
	return value_at(req->in_body, req->nin_body, i);
}

struct mh_arena *mh_check_arena(struct mh_check *c)
{
	return c->a;
}

void mh_check_add(struct mh_check *c, const char *field, const char *message)
{
	const char *path;

	if (c->n++ >= c->max)
		return;
	/* Allocated on the first problem: a valid request never pays for it. */
	if (c->d == NULL && (c->d = mh_arena_alloc(c->a, sizeof(*c->d) * c->max)) == NULL) {
		c->max = 0;
		return;
	}
	if (field == NULL)
		/* The value being checked itself; "$" is the whole body. */
		path = c->plen ? mh_arena_strndup(c->a, c->path, c->plen) : "$";
	else if (field[0] == '\0')
		/* A member named "" (JSON allows it): quoted, so the path is never empty. */
		path = c->plen ? mh_arena_sprintf(c->a, "%.*s.\"\"", (int)c->plen, c->path)
		               : "\"\"";
	else if (c->plen == 0)
		path = mh_arena_strdup(c->a, field);
	else
		path = mh_arena_sprintf(c->a, "%.*s.%s", (int)c->plen, c->path, field);
	c->d[c->n - 1].field = path ? path : "$";
	c->d[c->n - 1].message = message;
}

/* Descends into member name (or "[i]" when name is NULL); returns the old length to restore
 * with leave(). A path too long to write stays at its parent. */
static size_t enter(struct mh_check *c, const char *name, size_t index)
{
	size_t old = c->plen;
	int n;

	if (name != NULL)
		n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
		             c->plen ? "." : "", name);
	else
		n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", index);
	if (n < 0 || (size_t)n >= sizeof(c->path) - c->plen)
		c->path[c->plen] = '\0';
	else
		c->plen += (size_t)n;
	return old;
}

static void leave(struct mh_check *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* A problem with the value at the current path. */
static void problem(struct mh_check *c, const char *message)
{
	mh_check_add(c, NULL, message);
}

/* ---- Scalars, from text (path and query) or from a JSON string ------------------------- */

static const char *check_length(struct mh_check *c, const struct mh_field *f, const char *s)
{
	const char *unit = (f->flags & MH_BYTES) ? "bytes" : "characters", *m;
	long long n = 0;

	if (!(f->flags & MH_RAW_TEXT) && mh_text_length(s) < 0)
		return "must not contain control characters";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((f->flags & MH_BYTES) || (*p & 0xc0) != 0x80)
			n++;
	if (n >= f->min && (f->max == 0 || n <= f->max))
		return NULL;
	if (n == 0 && f->min == 1)
		return "must not be empty";
	if (f->min == 0)
		m = mh_arena_sprintf(c->a, "must be at most %lld %s", f->max, unit);
	else
		m = mh_arena_sprintf(c->a, "must be %lld to %lld %s", f->min, f->max, unit);
	return m ? m : n < f->min ? "is too short" : "is too long";
}

/* base64url (padding allowed), the shape of every cursor this API hands out. */
static const char *check_cursor(struct mh_check *c, const struct mh_field *f, const char *s)
{
	size_t n = strlen(s), max = f->max ? (size_t)f->max : CURSOR_MAX_DEFAULT;

	(void)c;
	if (n == 0 || n > max)
		return "is not a cursor this list returned";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '='))
			return "is not a cursor this list returned";
	return NULL;
}

/* Checks the text s as f's type into out. Returns NULL or the problem. */
static const char *check_text_value(struct mh_check *c, const struct mh_field *f, const char *s,
                                    struct mh_value *out)
{
	const char *m = NULL;
	size_t index;
	int b;

	out->s = s;
	switch (f->type) {
	case MH_T_STRING: m = check_length(c, f, s); break;
	case MH_T_INTEGER: m = mh_check_integer(c->a, s, f->min, f->max, &out->i); break;
	case MH_T_BOOLEAN:
		if ((m = mh_check_boolean(s, &b)) == NULL)
			out->i = b;
		break;
	case MH_T_ENUM:
		if ((m = mh_check_enum(c->a, s, f->values, &index)) == NULL) {
			out->i = (long long)index;
			out->s = f->values[index];
		}
		break;
	case MH_T_UUID: m = mh_check_uuid(s); break;
	case MH_T_SLUG: m = mh_check_slug(s); break;
	case MH_T_EMAIL: m = mh_check_email(s); break;
	case MH_T_TIMESTAMP: m = mh_check_timestamp(s); break;
	case MH_T_URL: m = mh_check_https_url(c->a, s, (size_t)f->max); break;
	case MH_T_CURSOR: m = check_cursor(c, f, s); break;
	default: m = "has a type this endpoint cannot read"; break;
	}
	if (m == NULL && f->check != NULL)
		m = f->check(c->a, s);
	if (m == NULL && (f->type == MH_T_UUID || f->type == MH_T_EMAIL || (f->flags & MH_LOWER)) &&
	    (out->s = mh_lower(c->a, s)) == NULL)
		m = "could not be read (out of memory)";
	return m;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void check_json(struct mh_check *c, const struct mh_field *f, struct json_object *v,
                       struct mh_value *out);

static const char *type_message(enum mh_type t)
{
	switch (t) {
	case MH_T_INTEGER: return "must be an integer";
	case MH_T_BOOLEAN: return "must be true or false";
	case MH_T_OBJECT: return "must be an object";
	case MH_T_ARRAY: return "must be an array";
	default: return "must be a string";
	}
}

/* The members of obj against f->fields; values (top level only) receives each member's. */
static void check_object(struct mh_check *c, const struct mh_field *f, struct json_object *obj,
                         struct mh_value *values)
{
	size_t nmembers = (size_t)json_object_object_length(obj);
	const struct mh_field *m;
	size_t i;

	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		for (m = f->fields; m != NULL && m->name != NULL; m++)
			if (strcmp(m->name, key) == 0)
				break;
		if ((m == NULL || m->name == NULL) && !(f->flags & MH_OPEN))
			mh_check_add(c, key, "unknown field");
	}
	for (i = 0, m = f->fields; m != NULL && m->name != NULL; m++, i++) {
		struct json_object *v = NULL;
		struct mh_value scratch, *out = values ? &values[i] : &scratch;
		int has = json_object_object_get_ex(obj, m->name, &v);
		size_t old;

		memset(out, 0, sizeof(*out));
		if (!has) {
			if (m->flags & MH_REQUIRED)
				mh_check_add(c, m->name, "is required");
			else if (m->flags & MH_DEFAULT)
				out->i = m->def;
			continue;
		}
		old = enter(c, m->name, 0);
		check_json(c, m, v, out);
		leave(c, old);
	}
	if ((f->min > 0 && nmembers < (size_t)f->min) ||
	    (f->max > 0 && nmembers > (size_t)f->max)) {
		const char *msg;

		if (f->min == 1 && f->max == 0)
			msg = "must have at least one member";
		else
			msg = mh_arena_sprintf(c->a, "must have %lld to %lld members", f->min,
			                       f->max);
		problem(c, msg ? msg : "has the wrong number of members");
	}
	if (f->check_object != NULL)
		f->check_object(c, obj);
}

static int same_string(struct json_object *x, struct json_object *y)
{
	return json_object_is_type(x, json_type_string) &&
	       json_object_is_type(y, json_type_string) &&
	       json_object_get_string_len(x) == json_object_get_string_len(y) &&
	       memcmp(json_object_get_string(x), json_object_get_string(y),
	              (size_t)json_object_get_string_len(x)) == 0;
}

static void check_array(struct mh_check *c, const struct mh_field *f, struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	if ((f->min > 0 && n < (size_t)f->min) || (f->max > 0 && n > (size_t)f->max)) {
		const char *msg =
		        f->min > 0 ? mh_arena_sprintf(c->a, "must have %lld to %lld items", f->min,
		                                      f->max)
		                   : mh_arena_sprintf(c->a, "must have at most %lld items", f->max);
		problem(c, msg ? msg : "has the wrong number of items");
		return; /* an oversized array is not worth walking */
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct mh_value scratch;
		size_t old = enter(c, NULL, i);

		memset(&scratch, 0, sizeof(scratch));
		if (f->items != NULL)
			check_json(c, f->items, e, &scratch);
		if (f->flags & MH_UNIQUE)
			for (size_t j = 0; j < i; j++)
				if (same_string(e, json_object_array_get_idx(arr, j))) {
					problem(c, "repeats an earlier item");
					break;
				}
		leave(c, old);
	}
}

static const char *range_message(struct mh_check *c, const struct mh_field *f)
{
	const char *m =
	        mh_arena_sprintf(c->a, "must be an integer from %lld to %lld", f->min, f->max);

	return m ? m : "must be an integer in the accepted range";
}

static void check_json(struct mh_check *c, const struct mh_field *f, struct json_object *v,
                       struct mh_value *out)
{
	const char *m = NULL;

	out->present = 1;
	out->json = v;
	if (v == NULL) {
		if (f->flags & MH_NULLABLE)
			out->is_null = 1;
		else
			problem(c, "must not be null");
		return;
	}
	if (++c->depth > MAX_DEPTH) {
		problem(c, "is nested too deeply");
		goto out;
	}
	switch (f->type) {
	case MH_T_INTEGER:
		if (!json_object_is_type(v, json_type_int)) {
			m = type_message(f->type);
		} else {
			out->i = json_object_get_int64(v);
			if (out->i < f->min || out->i > f->max)
				m = range_message(c, f);
		}
		break;
	case MH_T_BOOLEAN:
		if (!json_object_is_type(v, json_type_boolean))
			m = type_message(f->type);
		else
			out->i = json_object_get_boolean(v);
		break;
	case MH_T_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			m = type_message(f->type);
		else
			check_object(c, f, v, NULL);
		break;
	case MH_T_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			m = type_message(f->type);
		else
			check_array(c, f, v);
		break;
	default:
		if (!json_object_is_type(v, json_type_string))
			m = type_message(f->type);
		else if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			m = "must not contain NUL characters";
		else
			m = check_text_value(c, f, json_object_get_string(v), out);
		break;
	}
	if (m != NULL)
		problem(c, m);
out:
	c->depth--;
}

/* ---- Requests -------------------------------------------------------------------------- */

/* The query against the route's declarations: unknown and repeated names, then values. */
static void check_query(struct mh_check *c, const struct mh_request *req,
                        const struct mh_field *decl, struct mh_value *values, size_t ndecl)
{
	for (size_t q = 0; q < req->nquery; q++) {
		const char *key = req->query[q].key;
		struct mh_value *v;
		const char *m;
		size_t i;

		for (i = 0; i < ndecl; i++)
			if (strcmp(decl[i].name, key) == 0)
				break;
		if (i == ndecl) {
			mh_check_add(c, key, "unknown query parameter");
			continue;
		}
		v = &values[i];
		if (v->present && !(decl[i].flags & MH_REPEATABLE)) {
			if (v->n++ == 1)
				mh_check_add(c, key, "given more than once");
			continue;
		}
		if (v->present) {
			/* Rare: a repeatable parameter given again. Keep every value in order. */
			struct mh_value *all = mh_arena_alloc(c->a, sizeof(*all) * (v->n + 1));

			if (all == NULL) {
				mh_check_add(c, key, "could not be read (out of memory)");
				continue;
			}
			if (v->n == 1)
				all[0] = *v;
			else
				memcpy(all, v->each, sizeof(*all) * v->n);
			memset(&all[v->n], 0, sizeof(*all));
			all[v->n].present = 1;
			m = check_text_value(c, &decl[i], req->query[q].value, &all[v->n]);
			if (m != NULL)
				mh_check_add(c, key, m);
			v->each = all;
			v->n++;
			continue;
		}
		v->present = 1;
		v->n = 1;
		v->each = v;
		m = check_text_value(c, &decl[i], req->query[q].value, v);
		if (m != NULL)
			mh_check_add(c, key, m);
	}
	for (size_t i = 0; i < ndecl; i++) {
		if (values[i].present)
			continue;
		if (decl[i].flags & MH_REQUIRED)
			mh_check_add(c, decl[i].name, "is required");
		else if (decl[i].flags & MH_DEFAULT)
			values[i].i = decl[i].def;
	}
}

/* A path parameter that does not fit its declaration names nothing: 404. */
static int check_path_or_reply(struct mh_request *req, struct mh_response *res, struct mh_check *c,
                               const struct mh_field *decl, size_t n)
{
	for (size_t i = 0; i < n && i < req->nparams; i++) {
		struct mh_value *v = &req->in_path[i];

		v->present = 1;
		if (check_text_value(c, &decl[i], req->params[i].value, v) != NULL) {
			mh_reply_error(req, res, 404, "not_found",
			               decl[i].not_found ? decl[i].not_found : "no such resource");
			return 0;
		}
	}
	return 1;
}

int mh_input_check_or_reply(struct mh_request *req, struct mh_response *res,
                            const struct mh_input_plan *plan)
{
	const struct mh_route *r = req->route;
	struct mh_check c;

	/* Nothing declared and nothing sent: the common case costs nothing. */
	if (plan->npath == 0 && plan->nquery == 0 && req->nquery == 0 && r->body == NULL)
		return 1;
	memset(&c, 0, sizeof(c));
	c.a = req->arena;
	if (plan->npath > 0) {
		req->in_path = mh_arena_calloc(req->arena, plan->npath, sizeof(*req->in_path));
		if (req->in_path == NULL)
			return -1;
		req->nin_path = plan->npath;
		if (!check_path_or_reply(req, res, &c, r->params, plan->npath))
			return 0;
	}
	c.max = MAX_DETAILS;
	if (plan->nquery > 0 && (req->in_query = mh_arena_calloc(req->arena, plan->nquery,
	                                                         sizeof(*req->in_query))) == NULL)
		return -1;
	req->nin_query = plan->nquery;
	check_query(&c, req, r->query, req->in_query, plan->nquery);
	if (r->body != NULL) {
		if (plan->nbody > 0 &&
		    (req->in_body = mh_arena_calloc(req->arena, plan->nbody,
		                                    sizeof(*req->in_body))) == NULL)
			return -1;
		req->nin_body = plan->nbody;
		check_object(&c, r->body, req->json, req->in_body);
	}
	if (c.n == 0)
		return 1;
	if (c.d == NULL)
		return -1; /* the arena is exhausted */
	mh_reply_error_details(req, res, 400, "validation_failed", MH_INPUT_INVALID, c.d,
	                       c.n < c.max ? c.n : c.max);
	return 0;
}

size_t mh_input_check_json(struct mh_arena *a, const struct mh_field *f, struct json_object *v,
                           struct mh_error_detail *details, size_t max, size_t *n)
{
	struct mh_check c;
	struct mh_value out;

	memset(&c, 0, sizeof(c));
	memset(&out, 0, sizeof(out));
	c.a = a;
	c.d = details;
	c.max = max;
	if (f->type == MH_T_OBJECT && v != NULL && json_object_is_type(v, json_type_object))
		check_object(&c, f, v, NULL);
	else
		check_json(&c, f, v, &out);
	*n = c.n < max ? c.n : max;
	return c.n;
}

int mh_reply_invalid(struct mh_request *req, struct mh_response *res, const char *field,
                     const char *message)
{
	struct mh_error_detail d = {field, message};

	return mh_reply_error_details(req, res, 400, "validation_failed", MH_INPUT_INVALID, &d, 1);
}

/* ---- Declarations, checked once at start-up ------------------------------------------------ */

static int decl_error(char *err, size_t errlen, const struct mh_route *r, const char *what,
                      const char *name)
{
	snprintf(err, errlen, "route %s %s: %s%s%s", mh_method_name(r->method), r->pattern, what,
	         name ? " " : "", name ? name : "");
	return -1;
}

/* One field of a request declaration; in_json: a body member (objects and arrays allowed). */
static int field_ok(const struct mh_route *r, const struct mh_field *f, int in_json, int depth,
                    char *err, size_t errlen)
{
	if (depth > MAX_DEPTH)
		return decl_error(err, errlen, r, "declaration nested too deeply at", f->name);
	switch (f->type) {
	case MH_T_STRING:
	case MH_T_URL:
		/* Every string a client sends has a bound. */
		if (f->max <= 0 || f->min < 0 || f->min > f->max)
			return decl_error(err, errlen, r, "unbounded or inverted string", f->name);
		break;
	case MH_T_INTEGER:
		if (f->min >= f->max)
			return decl_error(err, errlen, r, "integer without a range", f->name);
		break;
	case MH_T_ENUM:
		if (f->values == NULL || f->values[0] == NULL)
			return decl_error(err, errlen, r, "enum without values", f->name);
		break;
	case MH_T_OBJECT:
		if (!in_json)
			return decl_error(err, errlen, r, "an object outside the body", f->name);
		if (f->fields == NULL && !(f->flags & MH_OPEN))
			return decl_error(err, errlen, r, "object without members", f->name);
		for (const struct mh_field *m = f->fields; m && m->name; m++) {
			for (const struct mh_field *o = f->fields; o < m; o++)
				if (strcmp(o->name, m->name) == 0)
					return decl_error(err, errlen, r, "member declared twice",
					                  m->name);
			if (field_ok(r, m, 1, depth + 1, err, errlen) < 0)
				return -1;
		}
		break;
	case MH_T_ARRAY:
		if (!in_json)
			return decl_error(err, errlen, r, "an array outside the body", f->name);
		if (f->items == NULL || f->max <= 0)
			return decl_error(err, errlen, r, "array without element or bound",
			                  f->name);
		return field_ok(r, f->items, 1, depth + 1, err, errlen);
	case MH_T_END: return decl_error(err, errlen, r, "field without a type", f->name);
	default: break;
	}
	if (f->schema != NULL)
		return decl_error(err, errlen, r, "a documentation-only schema on input", f->name);
	return 0;
}

/* A list of path or query parameters: scalars, distinct names. Returns the count or -1. */
static int params_ok(const struct mh_route *r, const struct mh_field *list, char *err,
                     size_t errlen)
{
	int n = 0;

	for (const struct mh_field *f = list; f != NULL && f->name != NULL; f++, n++) {
		for (const struct mh_field *o = list; o < f; o++)
			if (strcmp(o->name, f->name) == 0)
				return decl_error(err, errlen, r, "parameter declared twice",
				                  f->name);
		if (field_ok(r, f, 0, 0, err, errlen) < 0)
			return -1;
		if (n == 255)
			return decl_error(err, errlen, r, "too many parameters", NULL);
	}
	return n;
}

int mh_input_plan(const struct mh_route *r, struct mh_input_plan *plan, char *err, size_t errlen)
{
	const char *p = r->pattern;
	int n, k = 0;

	memset(plan, 0, sizeof(*plan));
	if ((n = params_ok(r, r->params, err, errlen)) < 0)
		return -1;
	plan->npath = (unsigned char)n;
	/* Each ":name" of the pattern, in order, is the next declared path parameter. */
	while ((p = strchr(p, ':')) != NULL) {
		size_t len = strcspn(++p, "/");

		if (k >= n || strlen(r->params[k].name) != len ||
		    strncmp(r->params[k].name, p, len) != 0)
			return decl_error(err, errlen, r, "path parameters not declared in order",
			                  k < n ? r->params[k].name : NULL);
		if (r->params[k].flags & (MH_REPEATABLE | MH_DEFAULT))
			return decl_error(err, errlen, r, "a path parameter is always one value",
			                  r->params[k].name);
		k++;
	}
	if (k != n)
		return decl_error(err, errlen, r, "path parameter not in the pattern",
		                  r->params[k].name);
	if ((n = params_ok(r, r->query, err, errlen)) < 0)
		return -1;
	plan->nquery = (unsigned char)n;
	if (r->body != NULL) {
		if (r->body->type != MH_T_OBJECT)
			return decl_error(err, errlen, r, "the body must be an object", NULL);
		if ((r->body->flags & MH_OPEN) && !(r->flags & MH_TEST_ONLY))
			return decl_error(err, errlen, r, "an open body on a real route", NULL);
		if (field_ok(r, r->body, 1, 0, err, errlen) < 0)
			return -1;
		n = 0;
		for (const struct mh_field *f = r->body->fields; f && f->name; f++)
			n++;
		if (n > 255)
			return decl_error(err, errlen, r, "too many body members", NULL);
		plan->nbody = (unsigned char)n;
	}
	if (r->body != NULL && (r->flags & MH_RAW_BODY))
		return decl_error(err, errlen, r, "a raw body and a JSON body", NULL);
	return 0;
}
