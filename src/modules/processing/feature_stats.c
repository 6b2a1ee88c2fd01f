/* feature_stats.c - the stats feature: words, characters, sentences, paragraphs and reading
 * time of a document (the counting rules are text.h's). */
#include "modules/processing/features.h"

#include <string.h>

#include "modules/processing/text.h"

static int stats_validate(struct json_object *params, struct mh_arena *a,
                          struct feature_params *out, struct feature_errors *e)
{
	static const char *const names[] = {NULL};

	memset(out, 0, sizeof(*out));
	out->canonical = "{}";
	return feature_check_members(params, names, a, e);
}

/*
 * {"words", "characters" (code points), "characters_no_spaces", "sentences", "paragraphs",
 *  "bytes", "reading_time_seconds"}. Reading time is words at TEXT_WORDS_PER_MINUTE, rounded
 * UP to whole seconds: seconds keep short texts distinguishable (a 30-word note reads in 9 s,
 * not "1 minute"), and rounding up means any text with a word takes at least one second.
 */
static int stats_run(const char *body, size_t len, const struct feature_params *p,
                     struct mh_arena *a, struct feature_result *out)
{
	size_t words = 0, chars = 0, visible = 0, sentences = 0, pos = 0;
	unsigned long long seconds;
	struct text_span span;

	(void)p;
	(void)a;
	while (text_next_word(body, len, &pos, &span))
		words++;
	for (pos = 0; pos < len; chars++) {
		uint32_t cp;
		size_t n = text_decode((const unsigned char *)body + pos, len - pos, &cp);

		if (n == 0)
			return feature_fail(out, "invalid_utf8",
			                    "the document body is not valid UTF-8 text");
		if (text_classify(cp) != TEXT_SPACE)
			visible++;
		pos += n;
	}
	for (pos = 0; text_next_sentence(body, len, &pos, &span);)
		sentences++;
	seconds = ((unsigned long long)words * 60 + TEXT_WORDS_PER_MINUTE - 1) /
	          TEXT_WORDS_PER_MINUTE;
	mh_buf_printf(&out->json,
	              "{\"words\":%zu,\"characters\":%zu,\"characters_no_spaces\":%zu,"
	              "\"sentences\":%zu,\"paragraphs\":%zu,\"bytes\":%zu,"
	              "\"reading_time_seconds\":%llu}",
	              words, chars, visible, sentences, text_paragraphs(body, len), len, seconds);
	return 0;
}

const struct processing_feature feature_stats = {
        .name = "stats",
        .description = "words, characters, sentences, paragraphs and reading time",
        .validate = stats_validate,
        .run = stats_run,
        .rewrites_document = 0,
        .min_role = MH_ROLE_MEMBER,
};
