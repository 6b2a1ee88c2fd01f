/* features.c - the one table of processing features, and what their validators share. */
#include "modules/processing/features.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "modules/processing/processing.h"
#include "modules/processing/text.h"

const struct processing_feature *const processing_features[] = {
        &feature_stats,
        &feature_keywords,
        &feature_summary,
        &feature_redact,
};
const size_t processing_nfeatures = sizeof(processing_features) / sizeof(processing_features[0]);
/* The same names, in the same order, as the words a route declares a feature with (an enum
 * is static data, so it cannot be read off the table above); t/unit_features.c checks that
 * the two lists agree. */
const char *const processing_feature_names[] = {"stats", "keywords", "summary", "redact", NULL};

const struct processing_feature *processing_feature_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < processing_nfeatures; i++)
		if (strcmp(processing_features[i]->name, name) == 0)
			return processing_features[i];
	return NULL;
}

int processing_feature_run(const struct processing_feature *f, const char *body, size_t len,
                           const struct feature_params *p, struct mh_arena *a,
                           struct feature_result *out)
{
	memset(out, 0, sizeof(*out));
	mh_buf_init(&out->json, a, 256);
	if (!text_valid_utf8(body, len))
		return feature_fail(out, "invalid_utf8",
		                    "the document body is not valid UTF-8 text");
	if (f->run(body, len, p, a, out) < 0)
		return -1;
	if (mh_buf_cstr(&out->json) == NULL)
		return feature_fail(out, "out_of_memory", "the result did not fit in memory");
	return 0;
}

void feature_error_add(struct feature_errors *e, const char *field, const char *message)
{
	if (e->n < FEATURE_MAX_ERRORS) {
		e->d[e->n].field = field;
		e->d[e->n].message = message;
		e->n++;
	}
}

int feature_check_members(struct json_object *params, const char *const *names, struct mh_arena *a,
                          struct feature_errors *e)
{
	size_t before = e->n;

	if (params == NULL)
		return 0;
	json_object_object_foreach(params, key, val)
	{
		const char *const *n;

		(void)val;
		for (n = names; *n != NULL && strcmp(*n, key) != 0; n++)
			;
		if (*n == NULL) {
			const char *field = mh_arena_sprintf(a, "parameters.%s", key);

			feature_error_add(e, field ? field : "parameters", "unknown parameter");
		}
	}
	return e->n > before ? -1 : 0;
}

int feature_int_param(struct json_object *params, const struct feature_int *spec, int *out,
                      struct feature_errors *e)
{
	struct json_object *v;
	int64_t n;

	*out = spec->def;
	if (params == NULL || !json_object_object_get_ex(params, spec->name, &v))
		return 0;
	/* An integer literal only: 3.0, "3" and true are refused, not converted. json-c
	 * saturates integers beyond int64, which the range check then refuses. */
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n >= spec->min && n <= spec->max) {
			*out = (int)n;
			return 0;
		}
	}
	feature_error_add(e, spec->field, spec->message);
	return -1;
}

int feature_fail(struct feature_result *out, const char *code, const char *message)
{
	out->error_code = code;
	out->error = message;
	return -1;
}
