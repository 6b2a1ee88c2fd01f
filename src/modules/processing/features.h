/* features.h - the processing features: pure functions of a document's body (no database,
 * no request), registered in one table (features.c). The route, the job and the fuzz target
 * all go through processing_feature_find(), so a feature exists in exactly one place. */
#ifndef PROCESSING_FEATURES_H
#define PROCESSING_FEATURES_H

#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/http.h"
#include "core/module.h"

struct json_object;

#define FEATURE_MAX_ERRORS 8

/* Problems with a feature's parameters, for one 422 reply (fields "parameters.<name>"). */
struct feature_errors {
	struct mh_error_detail d[FEATURE_MAX_ERRORS];
	size_t n;
};

/* Validated parameters, defaults applied; each feature reads its own members. */
struct feature_params {
	int k;         /* keywords: how many terms, 1..50 (default 10) */
	int sentences; /* summary: how many sentences, 1..20 (default 3) */
	/* The parameters as canonical JSON text (sorted members, defaults included), so that
	 * {} and {"k":10} are the same work: what the job's payload and unique key carry. */
	const char *canonical;
};

/* What a run produced. */
struct feature_result {
	struct mh_buf json; /* the feature's result: one JSON object */
	/* Features that rewrite the document: the new body (NUL-terminated, in the arena) and
	 * whether it differs from the old one. */
	const char *body;
	size_t body_len;
	int changed;
	/* When run fails: a machine-readable code ("invalid_utf8", "out_of_memory") and a
	 * message for jobs.error. */
	const char *error_code;
	const char *error;
};

struct processing_feature {
	const char *name;        /* [a-z][a-z0-9_]*, the tenant_features key */
	const char *description; /* one line, for GET /tenants/current/features */
	/* Checks params (a JSON object, or NULL for none) into out; unknown members and bad
	 * values go into e. Returns 0, or -1 when e has details (or the arena is exhausted,
	 * with e empty). */
	int (*validate)(struct json_object *params, struct mh_arena *a, struct feature_params *out,
	                struct feature_errors *e);
	/* Runs on body[0..len), allocating from a; fills out (whose json buffer it initialises).
	 * Returns 0, or -1 with out->error_code set. Deterministic: the same input always
	 * gives the same bytes. */
	int (*run)(const char *body, size_t len, const struct feature_params *p, struct mh_arena *a,
	           struct feature_result *out);
	int rewrites_document; /* 1: the result is a new version of the document */
	/* The least role that may ask for it, checked by the service (the route needs member).
	 * Every feature so far is member; the job runs with member (routes.c), so a feature
	 * needing more would also need that check in run.c. */
	enum mh_role min_role;
};

/* The registered features, in the order GET /tenants/current/features lists them. */
extern const struct processing_feature *const processing_features[];
extern const size_t processing_nfeatures;
/* Their names, NULL-terminated, in the same order (for the routes' declarations). */
extern const char *const processing_feature_names[];

/* The feature called name, or NULL. */
const struct processing_feature *processing_feature_find(const char *name);

/* Runs f: validates body as UTF-8 first (failing with "invalid_utf8"), then f->run. */
int processing_feature_run(const struct processing_feature *f, const char *body, size_t len,
                           const struct feature_params *p, struct mh_arena *a,
                           struct feature_result *out);

/* ---- For the feature files -------------------------------------------------------------- */

extern const struct processing_feature feature_stats, feature_keywords, feature_summary,
        feature_redact;

/* Adds one detail (ignored once full). */
void feature_error_add(struct feature_errors *e, const char *field, const char *message);

/* Refuses members of params (may be NULL) not in names (NULL-terminated) with a detail
 * "parameters.<name>": "unknown parameter". Returns 0, or -1 when it added any. */
int feature_check_members(struct json_object *params, const char *const *names, struct mh_arena *a,
                          struct feature_errors *e);

/* An integer parameter: every parameter so far has this shape. */
struct feature_int {
	const char *name;  /* "k" */
	const char *field; /* "parameters.k", for the detail */
	int min, max, def;
	const char *message; /* "must be an integer from 1 to 50" */
};
/* Sets *out from params (may be NULL), or to the default when absent. Returns 0, or -1
 * having added a detail when the member is not an integer literal in [min, max]. */
int feature_int_param(struct json_object *params, const struct feature_int *spec, int *out,
                      struct feature_errors *e);

/* Fails a run: sets out's error and returns -1. */
int feature_fail(struct feature_result *out, const char *code, const char *message);

#endif
