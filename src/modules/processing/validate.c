/* validate.c - everything the processing module accepts from a client, checked before any
 * service code runs: the process body (feature, its parameters, webhook_url), the
 * Idempotency-Key header, the :feature of the features routes and their body. Unknown or
 * misplaced input is a 400 with one detail per problem; a well-formed body with bad values is
 * a 422 with one detail per field (the feature's own parameter checks included). */
#include "modules/processing/internal.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/idempotency.h"
#include "modules/auth/auth.h"
#include "modules/webhooks/webhooks.h"

static int reply_400(struct mh_request *req, struct mh_response *res, const char *message,
                     const struct auth_errors *e)
{
	mh_reply_error_details(req, res, 400, "bad_request", message, e->d, e->n);
	return 0;
}

int processing_no_query_or_reply(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = {NULL};

	return auth_query_or_reply(req, res, none);
}

int processing_no_body_or_reply(struct mh_request *req, struct mh_response *res)
{
	if (req->body_len == 0)
		return 1;
	mh_reply_error(req, res, 400, "bad_request", "this endpoint takes no request body");
	return 0;
}

/* Members of req->json outside names (NULL-terminated): a 400, replied here. */
static int members_or_reply(struct mh_request *req, struct mh_response *res,
                            const char *const *names)
{
	struct auth_errors e = {.n = 0};

	json_object_object_foreach(req->json, key, val)
	{
		const char *const *n;

		(void)val;
		for (n = names; *n != NULL && strcmp(*n, key) != 0; n++)
			;
		if (*n == NULL)
			auth_error_add(&e, key, "unknown field");
	}
	return e.n ? reply_400(req, res, "the body has fields this endpoint does not accept", &e)
	           : 1;
}

/* A string member without NUL bytes, or NULL with a detail. */
static const char *string_member(struct json_object *v, const char *field, struct auth_errors *e)
{
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		auth_error_add(e, field, "must be a string");
		return NULL;
	}
	return json_object_get_string(v);
}

static const char *feature_names_message(void)
{
	static char message[200];

	if (message[0] == '\0') {
		size_t n = (size_t)snprintf(message, sizeof(message), "unknown feature; one of");

		for (size_t i = 0; i < processing_nfeatures && n < sizeof(message); i++)
			n += (size_t)snprintf(message + n, sizeof(message) - n, "%s %s",
			                      i ? "," : "", processing_features[i]->name);
	}
	return message;
}

/* feature, parameters and webhook_url into out; problems into e. */
static int check_body(struct mh_request *req, struct processing_request *out, struct auth_errors *e)
{
	struct json_object *v, *params = NULL;
	struct feature_errors fe = {.n = 0};
	const char *name = NULL, *why;

	if (!json_object_object_get_ex(req->json, "feature", &v))
		auth_error_add(e, "feature", "is required");
	else if ((name = string_member(v, "feature", e)) != NULL &&
	         (out->feature = processing_feature_find(name)) == NULL)
		auth_error_add(e, "feature", feature_names_message());
	if (json_object_object_get_ex(req->json, "parameters", &params) &&
	    !json_object_is_type(params, json_type_object)) {
		auth_error_add(e, "parameters", "must be an object");
		params = NULL;
	}
	if (out->feature != NULL &&
	    out->feature->validate(params, req->arena, &out->params, &fe) < 0) {
		if (fe.n == 0)
			return -1; /* the arena is exhausted */
		for (size_t i = 0; i < fe.n; i++)
			auth_error_add(e, fe.d[i].field, fe.d[i].message);
	}
	if (json_object_object_get_ex(req->json, "webhook_url", &v) &&
	    (out->webhook_url = string_member(v, "webhook_url", e)) != NULL &&
	    webhooks_target_check(out->webhook_url, &why) < 0)
		auth_error_add(e, "webhook_url", why ? why : "is not an acceptable webhook URL");
	return 0;
}

int processing_request_or_reply(struct mh_request *req, struct mh_response *res,
                                struct processing_request *out)
{
	static const char *const fields[] = {"feature", "parameters", "webhook_url", NULL};
	struct auth_errors e = {.n = 0};
	const char *id = mh_param(req, "id");
	int rc;

	memset(out, 0, sizeof(*out));
	/* A malformed id names no document: 404, like any id that is not there. */
	if (id == NULL || !auth_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such document");
		return 0;
	}
	if ((out->document_id = auth_lower(req->arena, id)) == NULL)
		return -1;
	if (!processing_no_query_or_reply(req, res) || !members_or_reply(req, res, fields))
		return 0;
	if ((rc = mh_idempotency_key_or_reply(req, res, &out->idempotency_key, &out->body_hash)) <= 0)
		return rc;
	if (check_body(req, out, &e) < 0)
		return -1;
	return auth_errors_reply_if_any(req, res, &e) ? 0 : 1;
}

const struct processing_feature *processing_feature_or_reply(struct mh_request *req,
                                                             struct mh_response *res)
{
	const struct processing_feature *f = processing_feature_find(mh_param(req, "feature"));

	if (f == NULL)
		mh_reply_error(req, res, 404, "not_found", "no such feature");
	return f;
}

int processing_enabled_or_reply(struct mh_request *req, struct mh_response *res, int *enabled)
{
	static const char *const fields[] = {"enabled", NULL};
	struct auth_errors e = {.n = 0};
	struct json_object *v;

	if (!members_or_reply(req, res, fields))
		return 0;
	if (!json_object_object_get_ex(req->json, "enabled", &v))
		auth_error_add(&e, "enabled", "is required");
	else if (!json_object_is_type(v, json_type_boolean))
		auth_error_add(&e, "enabled", "must be true or false");
	else
		*enabled = json_object_get_boolean(v);
	return auth_errors_reply_if_any(req, res, &e) ? 0 : 1;
}
