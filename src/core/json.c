/* json.c - request-body JSON parsing whose result the request arena frees. */
#include "core/json.h"

#include "core/query.h"

static void put_object(void *p)
{
	json_object_put(p);
}

struct json_object *mh_json_defer(struct mh_arena *a, struct json_object *obj)
{
	if (obj != NULL && mh_arena_defer(a, put_object, obj) < 0)
		return NULL;
	return obj;
}

/* json-c's strict mode still takes 'single-quoted' object keys; outside a
 * double-quoted string a quote character is never valid JSON. */
static int has_bare_single_quote(const char *s, size_t len)
{
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
		} else if (s[i] == '"') {
			in_string = 1;
		} else if (s[i] == '\'') {
			return 1;
		}
	}
	return 0;
}

struct json_object *mh_json_parse(struct mh_arena *a, const char *body, size_t len,
				  const char **err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t consumed;

	if (len == 0) {
		*err = "the request body is empty";
		return NULL;
	}
	/* json-c accepts some invalid UTF-8; reject it here so what reaches a
	 * handler (and PostgreSQL, which would refuse it) is always valid text. */
	if (!mh_utf8_valid(body, len)) {
		*err = "the request body is not valid UTF-8";
		return NULL;
	}
	if (has_bare_single_quote(body, len)) {
		*err = "the request body is not valid JSON";
		return NULL;
	}
	tok = json_tokener_new_ex(MH_JSON_MAX_DEPTH);
	if (tok == NULL) {
		*err = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	consumed = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_success && obj == NULL) {
		*err = "the request body must be a JSON object";
		return NULL;
	}
	if (jerr != json_tokener_success || obj == NULL) {
		json_object_put(obj);
		*err = jerr == json_tokener_error_depth ? "the JSON body is nested too deeply"
		       : jerr == json_tokener_continue  ? "the JSON body is truncated"
							: "the request body is not valid JSON";
		return NULL;
	}
	while (consumed < len && (body[consumed] == ' ' || body[consumed] == '\n' ||
				  body[consumed] == '\r' || body[consumed] == '\t'))
		consumed++;
	if (consumed != len) {
		json_object_put(obj);
		*err = "the request body has data after the JSON value";
		return NULL;
	}
	return mh_json_defer(a, obj);
}
