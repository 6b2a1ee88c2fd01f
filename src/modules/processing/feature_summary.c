/* feature_summary.c - the summary feature: an extractive summary, the n highest-scoring
 * sentences of a document in their original order.
 *
 * A sentence's score is the sum, over its words that are terms (text_is_term: stop words,
 * numbers and one-letter words do not count), of that term's frequency in the whole
 * document, divided by the sentence's number of words (all of them). Dividing by the length
 * keeps long sentences from winning merely by being long, and a sentence made of stop words
 * scores 0. Scores are compared exactly (cross-multiplied integers), equal scores prefer the
 * earlier sentence, so the choice never depends on floating point. */
#include "modules/processing/features.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/processing/text.h"

static const struct feature_int sentences_param = {
        "sentences", "parameters.sentences", 1, 20, 3, "must be an integer from 1 to 20",
};

static int summary_validate(struct json_object *params, struct mh_arena *a,
                            struct feature_params *out, struct feature_errors *e)
{
	static const char *const names[] = {"sentences", NULL};
	int bad = feature_check_members(params, names, a, e);

	memset(out, 0, sizeof(*out));
	bad |= feature_int_param(params, &sentences_param, &out->sentences, e);
	if (bad)
		return -1;
	out->canonical = mh_arena_sprintf(a, "{\"sentences\":%d}", out->sentences);
	return out->canonical == NULL ? -1 : 0;
}

struct scored {
	struct text_span span;
	size_t index;
	uint64_t sum;   /* score numerator: term frequencies */
	uint64_t words; /* score denominator */
};

/* Higher score first (sum/words compared as sum1*words2 vs sum2*words1: both factors stay
 * below 2^40 for a 1 MiB body, so the products fit), then the earlier sentence. */
static int by_score(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;
	uint64_t l = a->sum * b->words, r = b->sum * a->words;

	if (l != r)
		return l > r ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int by_index(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;

	return a->index < b->index ? -1 : a->index > b->index;
}

/* Scores the sentence s (fills sum and words) with the document's term counts. */
static void score(const char *body, const struct text_terms *t, char *scratch, struct scored *s)
{
	size_t pos = s->span.start;
	struct text_span w;

	s->sum = 0;
	s->words = 0;
	while (text_next_word(body, s->span.end, &pos, &w)) {
		size_t n = text_fold_word(body, w, scratch);
		const struct text_term *term;

		s->words++;
		if (text_is_term(scratch, n) && (term = text_terms_find(t, scratch, n)) != NULL)
			s->sum += term->count;
	}
}

/* The chosen sentences joined by a space, as one JSON string. */
static int put_joined(struct mh_buf *json, struct mh_arena *a, const char *body,
                      const struct scored *chosen, size_t n)
{
	struct mh_buf joined;

	mh_buf_init(&joined, a, 256);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			mh_buf_putc(&joined, ' ');
		mh_buf_append(&joined, body + chosen[i].span.start,
		              chosen[i].span.end - chosen[i].span.start);
	}
	if (joined.failed)
		return -1;
	mh_buf_json_string(json, joined.data, joined.len);
	return 0;
}

/* {"requested", "total_sentences", "summary": the chosen sentences joined by a space,
 *  "sentences": [{"index", "score", "text"}, …] in document order}. */
static int summary_run(const char *body, size_t len, const struct feature_params *p,
                       struct mh_arena *a, struct feature_result *out)
{
	struct text_terms t;
	struct text_span span;
	struct scored *all;
	char *scratch;
	size_t n = 0, pos = 0, chosen;

	while (text_next_sentence(body, len, &pos, &span))
		n++;
	if (text_count_terms(body, len, a, &t) < 0 ||
	    (scratch = mh_arena_alloc(a, len + 1)) == NULL ||
	    (all = mh_arena_alloc(a, (n + 1) * sizeof(*all))) == NULL)
		return feature_fail(out, "out_of_memory",
		                    "the document's sentences did not fit in memory");
	for (size_t i = 0, q = 0; i < n && text_next_sentence(body, len, &q, &all[i].span); i++) {
		all[i].index = i;
		score(body, &t, scratch, &all[i]);
	}
	qsort(all, n, sizeof(*all), by_score);
	chosen = n < (size_t)p->sentences ? n : (size_t)p->sentences;
	qsort(all, chosen, sizeof(*all), by_index);

	mh_buf_printf(&out->json,
	              "{\"requested\":%d,\"total_sentences\":%zu,\"summary\":", p->sentences, n);
	if (put_joined(&out->json, a, body, all, chosen) < 0)
		return feature_fail(out, "out_of_memory", "the summary did not fit in memory");
	mh_buf_puts(&out->json, ",\"sentences\":[");
	for (size_t i = 0; i < chosen; i++) {
		double s = all[i].words ? (double)all[i].sum / (double)all[i].words : 0.0;

		mh_buf_printf(&out->json, "%s{\"index\":%zu,\"score\":%.4f,\"text\":", i ? "," : "",
		              all[i].index, s);
		mh_buf_json_string(&out->json, body + all[i].span.start,
		                   all[i].span.end - all[i].span.start);
		mh_buf_putc(&out->json, '}');
	}
	mh_buf_puts(&out->json, "]}");
	return 0;
}

const struct processing_feature feature_summary = {
        .name = "summary",
        .description =
                "extractive summary: the n highest-scoring sentences in their original order "
                "(sentences: 1-20, default 3)",
        .validate = summary_validate,
        .run = summary_run,
        .rewrites_document = 0,
        .min_role = MH_ROLE_MEMBER,
};
