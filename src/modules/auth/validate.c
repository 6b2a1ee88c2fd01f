/* validate.c - strict request bodies and the input rules shared by the auth, tenants and
 * users modules (e-mail, password, names, UUIDs, slugs). */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <ctype.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "core/cursor.h"
#include "core/email.h"
#include "core/password.h"

void auth_error_add(struct auth_errors *e, const char *field, const char *message)
{
	if (e->n < AUTH_MAX_ERRORS) {
		e->d[e->n].field = field;
		e->d[e->n].message = message;
		e->n++;
	}
}

int auth_errors_reply_if_any(struct mh_request *req, struct mh_response *res,
			     const struct auth_errors *e)
{
	if (e->n == 0)
		return 0;
	mh_reply_error_details(req, res, 422, "validation_failed", "some fields are invalid",
			       e->d, e->n);
	return 1;
}

int auth_fields_or_reply(struct mh_request *req, struct mh_response *res,
			 const struct auth_field *fields, size_t nfields, struct auth_errors *errors)
{
	struct mh_error_detail unknown[AUTH_MAX_ERRORS];
	size_t nunknown = 0;

	memset(errors, 0, sizeof(*errors));
	json_object_object_foreach(req->json, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == nfields && nunknown < AUTH_MAX_ERRORS) {
			unknown[nunknown].field = mh_arena_strdup(req->arena, key);
			unknown[nunknown].message = "unknown field";
			nunknown++;
		}
	}
	if (nunknown > 0) {
		mh_reply_error_details(req, res, 400, "bad_request",
				       "the request body has fields this endpoint does not take",
				       unknown, nunknown);
		return 0;
	}
	for (size_t i = 0; i < nfields; i++) {
		struct json_object *v;

		*fields[i].value = NULL;
		if (!json_object_object_get_ex(req->json, fields[i].name, &v) || v == NULL) {
			if (fields[i].required)
				auth_error_add(errors, fields[i].name, "is required");
			continue;
		}
		if (!json_object_is_type(v, json_type_string)) {
			auth_error_add(errors, fields[i].name, "must be a string");
			continue;
		}
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
			auth_error_add(errors, fields[i].name, "must not contain NUL characters");
			continue;
		}
		*fields[i].value = json_object_get_string(v);
	}
	return 1;
}

int auth_query_or_reply(struct mh_request *req, struct mh_response *res,
			const char *const *names)
{
	for (size_t i = 0; i < req->nquery; i++) {
		const char *const *n;

		for (n = names; *n != NULL; n++)
			if (strcmp(*n, req->query[i].key) == 0)
				break;
		if (*n == NULL) {
			struct mh_error_detail d = { req->query[i].key, "unknown query parameter" };
			mh_reply_error_details(req, res, 400, "bad_request",
					       "the query has parameters this endpoint does not take",
					       &d, 1);
			return 0;
		}
	}
	return 1;
}

/* Characters (UTF-8 code points) in s; -1 when it holds a control character. */
static long text_length(const char *s)
{
	long n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

const char *auth_check_email(const char *s)
{
	return mh_email_check(s); /* the core's one rule (core/email.h) */
}

const char *auth_check_password(const char *s)
{
	long n = 0;

	if (strlen(s) > MH_PASSWORD_MAX_LENGTH)
		return "must be at most 1024 bytes";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	if (n < MH_PASSWORD_MIN_LENGTH)
		return "must be at least 12 characters";
	return NULL;
}

const char *auth_check_text(const char *s, size_t max, int nonempty)
{
	long n = text_length(s);

	if (n < 0)
		return "must not contain control characters";
	if (nonempty && n == 0)
		return "must not be empty";
	if ((size_t)n > max)
		return max == 200 ? "must be at most 200 characters" : "is too long";
	return NULL;
}

char *auth_lower(struct mh_arena *a, const char *s)
{
	char *out = mh_arena_strdup(a, s);

	for (char *p = out; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

int auth_is_uuid(const char *s)
{
	return mh_is_uuid(s);
}

const char *auth_check_slug(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return "must be 1 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && i > 0 && i < n - 1)))
			return "may hold only a-z, 0-9 and inner dashes";
	return NULL;
}

char *auth_slug_from_name(struct mh_arena *a, const char *name)
{
	char *out = mh_arena_alloc(a, 57);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p && n < 56; p++) {
		if (isalnum(*p) && *p < 0x80)
			out[n++] = (char)tolower(*p);
		else if (n > 0 && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	return n > 0 ? out : mh_arena_strdup(a, "tenant");
}

char *auth_sha256_hex(struct mh_arena *a, const char *s, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *out = mh_arena_alloc(a, 2 * SHA256_DIGEST_LENGTH + 1);
	static const char hex[] = "0123456789abcdef";

	if (out == NULL)
		return NULL;
	SHA256((const unsigned char *)s, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * SHA256_DIGEST_LENGTH] = '\0';
	return out;
}
