/* feature_keywords.c - the keywords feature: the k most frequent terms of a document, stop
 * words left out (text_is_term), ties broken alphabetically so the answer is deterministic. */
#include "modules/processing/features.h"

#include <stdlib.h>
#include <string.h>

#include "modules/processing/text.h"

static const struct feature_int k_param = {
        "k", "parameters.k", 1, 50, 10, "must be an integer from 1 to 50",
};

static int keywords_validate(struct json_object *params, struct mh_arena *a,
                             struct feature_params *out, struct feature_errors *e)
{
	static const char *const names[] = {"k", NULL};
	int bad = feature_check_members(params, names, a, e);

	memset(out, 0, sizeof(*out));
	bad |= feature_int_param(params, &k_param, &out->k, e);
	if (bad)
		return -1;
	out->canonical = mh_arena_sprintf(a, "{\"k\":%d}", out->k);
	return out->canonical == NULL ? -1 : 0;
}

/* More frequent first; equal counts in byte order of the folded term (code point order). */
static int by_count_then_term(const void *x, const void *y)
{
	const struct text_term *a = x, *b = y;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* {"k", "distinct_terms", "keywords": [{"term", "count"}, …]} (at most k entries). */
static int keywords_run(const char *body, size_t len, const struct feature_params *p,
                        struct mh_arena *a, struct feature_result *out)
{
	struct text_terms t;
	struct text_term *all;
	size_t n = 0, shown;

	if (text_count_terms(body, len, a, &t) < 0 ||
	    (all = mh_arena_alloc(a, (t.count + 1) * sizeof(*all))) == NULL)
		return feature_fail(out, "out_of_memory",
		                    "the document's terms did not fit in memory");
	for (size_t i = 0; i < t.cap; i++)
		if (t.slots[i].s != NULL)
			all[n++] = t.slots[i];
	qsort(all, n, sizeof(*all), by_count_then_term);
	shown = n < (size_t)p->k ? n : (size_t)p->k;
	mh_buf_printf(&out->json, "{\"k\":%d,\"distinct_terms\":%zu,\"keywords\":[", p->k, n);
	for (size_t i = 0; i < shown; i++) {
		mh_buf_puts(&out->json, i ? ",{\"term\":" : "{\"term\":");
		mh_buf_json_string(&out->json, all[i].s, all[i].len);
		mh_buf_printf(&out->json, ",\"count\":%u}", (unsigned)all[i].count);
	}
	mh_buf_puts(&out->json, "]}");
	return 0;
}

const struct processing_feature feature_keywords = {
        .name = "keywords",
        .description =
                "the k most frequent terms, English stop words left out (k: 1-50, default 10)",
        .validate = keywords_validate,
        .run = keywords_run,
        .rewrites_document = 0,
        .min_role = MH_ROLE_MEMBER,
};
