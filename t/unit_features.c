/* unit_features.c - the processing features as pure functions: the tokenizer's rules
 * (text.h), each feature on ASCII, multi-byte text, empty and huge bodies, invalid UTF-8,
 * parameter validation, determinism, and redact's false positives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "modules/processing/features.h"
#include "modules/processing/processing.h"
#include "modules/processing/text.h"

static struct mh_arena a;
static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 64 * 1024), 0);
}
static void teardown(void)
{
	mh_arena_destroy(&a);
}
TestSuite(text, .init = setup, .fini = teardown);
TestSuite(features, .init = setup, .fini = teardown);

#define MIB (1024 * 1024)

/* ---- Helpers ----------------------------------------------------------------------------- */

/* Validates params (JSON text or NULL) for the named feature; returns the error count. */
static size_t check(const char *feature, const char *params_json, struct feature_params *p,
                    struct feature_errors *e)
{
	const struct processing_feature *f = processing_feature_find(feature);
	json_object *params = params_json ? json_tokener_parse(params_json) : NULL;
	int rc;

	cr_assert(f != NULL, "no feature %s", feature);
	cr_assert(params_json == NULL || params != NULL, "bad test JSON %s", params_json);
	memset(e, 0, sizeof(*e));
	rc = f->validate(params, &a, p, e);
	cr_assert_eq(rc<0, e->n> 0, "%s %s: rc %d with %zu details", feature,
	             params_json ? params_json : "(none)", rc, e->n);
	/* The details must outlive the JSON object (they name its keys). */
	for (size_t i = 0; i < e->n; i++)
		e->d[i].field = mh_arena_strdup(&a, e->d[i].field);
	json_object_put(params);
	return e->n;
}

/* Runs a feature with params (JSON text or NULL); returns the result object (owned by the
 * caller), or NULL with *code set when the run failed. */
static json_object *run_ex(const char *feature, const char *body, size_t len,
                           const char *params_json, struct feature_result *out, const char **code)
{
	const struct processing_feature *f = processing_feature_find(feature);
	struct feature_params p;
	struct feature_errors e;
	json_object *r;

	cr_assert_eq(check(feature, params_json, &p, &e), 0, "%s: %s %s", feature,
	             e.n ? e.d[0].field : "", e.n ? e.d[0].message : "");
	if (processing_feature_run(f, body, len, &p, &a, out) < 0) {
		cr_assert(out->error_code != NULL && out->error != NULL);
		*code = out->error_code;
		return NULL;
	}
	*code = NULL;
	r = json_tokener_parse(mh_buf_cstr(&out->json));
	cr_assert(r != NULL && json_object_is_type(r, json_type_object), "%s: not an object: %s",
	          feature, mh_buf_cstr(&out->json));
	return r;
}

static json_object *run(const char *feature, const char *body, const char *params_json)
{
	struct feature_result out;
	const char *code;
	json_object *r = run_ex(feature, body, strlen(body), params_json, &out, &code);

	cr_assert(r != NULL, "%s failed: %s", feature, code);
	return r;
}

static const char *redact(const char *body, json_object **result)
{
	struct feature_result out;
	const char *code;
	json_object *r = run_ex("redact", body, strlen(body), NULL, &out, &code);

	cr_assert(r != NULL, "redact failed: %s", code);
	cr_assert_eq(strlen(out.body), out.body_len);
	if (result != NULL)
		*result = r;
	else
		json_object_put(r);
	return out.body;
}

static long long num(json_object *o, const char *path)
{
	json_object *v = o;
	char key[64];
	const char *p = path;

	/* "counts.email": one level of nesting is all the tests need. */
	while (*p) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		cr_assert(json_object_object_get_ex(v, key, &v), "no %s in %s", path,
		          json_object_to_json_string(o));
		p += n + (p[n] == '.');
	}
	return json_object_get_int64(v);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

/* The words of s, folded, joined by '|'. */
static const char *words(const char *s)
{
	struct mh_buf b;
	struct text_span w;
	size_t pos = 0, len = strlen(s);
	char *folded = mh_arena_alloc(&a, len + 1);

	mh_buf_init(&b, &a, 64);
	while (text_next_word(s, len, &pos, &w)) {
		if (b.len)
			mh_buf_putc(&b, '|');
		mh_buf_append(&b, folded, text_fold_word(s, w, folded));
	}
	return mh_buf_cstr(&b);
}

/* The sentences of s joined by '|'. */
static const char *sentences(const char *s)
{
	struct mh_buf b;
	struct text_span span;
	size_t pos = 0;

	mh_buf_init(&b, &a, 64);
	while (text_next_sentence(s, strlen(s), &pos, &span)) {
		if (b.len)
			mh_buf_putc(&b, '|');
		mh_buf_append(&b, s + span.start, span.end - span.start);
	}
	return mh_buf_cstr(&b);
}

/* A body of about `size` bytes made of unit repeated. */
static char *repeat(const char *unit, size_t size)
{
	size_t n = strlen(unit), count = size / n;
	char *s = mh_arena_alloc(&a, count * n + 1);

	for (size_t i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[count * n] = '\0';
	return s;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

static const char *const invalid_utf8[] = {
        "trunc\xe2\x82",            /* a 3-byte sequence cut short at the end */
        "mid\xe2\x82 dle",          /* ... and in the middle */
        "over\xc0\xaflong",         /* overlong '/' */
        "over\xe0\x80\xaflong",     /* overlong '/' in three bytes */
        "over\xf0\x80\x80\xaflong", /* and in four */
        "sur\xed\xa0\x80rogate",    /* U+D800 */
        "lone \xed\xbf\xbf low",    /* U+DFFF */
        "big\xf4\x90\x80\x80",      /* past U+10FFFF */
        "cont\x80inuation",         /* a continuation byte alone */
        "byte \xff",                /* never in UTF-8 */
        "emoji cut \xf0\x9f\x98",   /* 😀 without its last byte */
};

Test(text, utf8_validity)
{
	static const char mixed[] = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";

	cr_assert(text_valid_utf8("", 0));
	cr_assert(text_valid_utf8("plain ascii", 11));
	cr_assert(text_valid_utf8(mixed, sizeof(mixed) - 1));
	cr_assert(text_valid_utf8("nul\0inside", 10), "NUL is well-formed UTF-8");
	for (size_t i = 0; i < sizeof(invalid_utf8) / sizeof(invalid_utf8[0]); i++)
		cr_assert(!text_valid_utf8(invalid_utf8[i], strlen(invalid_utf8[i])),
		          "accepted invalid #%zu", i);
}

Test(text, decode)
{
	uint32_t cp;

	cr_assert_eq(text_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
	cr_assert_eq(cp, 0xE9);
	cr_assert_eq(text_decode((const unsigned char *)"\xe6\x97\xa5", 3, &cp), 3);
	cr_assert_eq(cp, 0x65E5);
	cr_assert_eq(text_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	cr_assert_eq(cp, 0x1F600);
	cr_assert_eq(text_decode((const unsigned char *)"\xf0\x9f\x98\x80", 3, &cp), 0);
}

/* ---- Words and folding ----------------------------------------------------------------- */

Test(text, ascii_words_and_joiners)
{
	cr_assert_str_eq(words("Hello, world!  foo_bar"), "hello|world|foo|bar");
	cr_assert_str_eq(words("don't stop: it's 3.14 or 1,000 (or 2.)"),
	                 "don't|stop|it's|3.14|or|1,000|or|2");
	cr_assert_str_eq(words("state-of-the-art"), "state|of|the|art");
	cr_assert_str_eq(words("'quoted' a'"), "quoted|a");
	cr_assert_str_eq(words(""), "");
	cr_assert_str_eq(words(" \t\n ... !!! "), "");
}

Test(text, multibyte_words)
{
	/* Accented Latin, German, a typographic apostrophe, Cyrillic, Greek: letters. */
	cr_assert_str_eq(words("Café naïve Straße l\xe2\x80\x99\xc3\xa9t\xc3\xa9"),
	                 "café|naïve|straße|l'été");
	cr_assert_str_eq(words("Привет мир, Καλημέρα"), "привет|мир|καλημέρα");
	/* Han: one word per ideograph; kana runs are words. */
	cr_assert_str_eq(words("日本語のテキスト"), "日|本|語|のテキスト");
	/* Emoji, symbols and Unicode punctuation separate words. */
	cr_assert_str_eq(words("a😀b c—d e\xc2\xa0"
	                       "f «g» h…i"),
	                 "a|b|c|d|e|f|g|h|i");
	/* A combining accent stays inside its word. */
	cr_assert_str_eq(words("cafe\xcc\x81 ok"), "cafe\xcc\x81|ok");
}

Test(text, case_folding)
{
	cr_assert_str_eq(words("HELLO World"), "hello|world");
	cr_assert_str_eq(words("ÉCOLE ÀÇÑÖØÞ"), "école|àçñöøþ");
	cr_assert_str_eq(words("ŁÓDŹ ĄĘ ŒUVRE Ÿ"), "łódź|ąę|œuvre|ÿ");
	cr_assert_str_eq(words("İSTANBUL"), "istanbul");
	/* ß has no simple capital folding; capital ẞ folds to it; ſ is s. */
	cr_assert_str_eq(words("Straße STRAẞE ſun"), "straße|straße|sun");
	cr_assert_str_eq(words("ΣΟΦΙΑ σοφιας МОСКВА ЁЛКА"), "σοφια|σοφιασ|москва|ёлка");
	cr_assert_eq(text_fold(0xD7), 0xD7, "× is not a capital");
	cr_assert_eq(text_fold(0x0131), 0x0131, "dotless ı stays");
	cr_assert_eq(text_fold(0x0149), 0x0149);
	cr_assert_eq(text_fold(0x0139), 0x013A);
	cr_assert_eq(text_fold(0x017D), 0x017E);
}

Test(text, classes)
{
	cr_assert_eq(text_classify('a'), TEXT_LETTER);
	cr_assert_eq(text_classify('7'), TEXT_LETTER);
	cr_assert_eq(text_classify('\n'), TEXT_SPACE);
	cr_assert_eq(text_classify(0xA0), TEXT_SPACE);
	cr_assert_eq(text_classify(0x3000), TEXT_SPACE);
	cr_assert_eq(text_classify(0xE9), TEXT_LETTER);
	cr_assert_eq(text_classify(0x4E2D), TEXT_IDEOGRAPH);
	cr_assert_eq(text_classify(0x1F600), TEXT_OTHER);
	cr_assert_eq(text_classify(0x2014), TEXT_OTHER);
	cr_assert_eq(text_classify(0), TEXT_OTHER);
}

Test(text, stop_words_and_terms)
{
	cr_assert(text_is_stop_word("the", 3));
	cr_assert(text_is_stop_word("don't", 5));
	cr_assert(text_is_stop_word("yourselves", 10));
	cr_assert(text_is_stop_word("a", 1));
	cr_assert(!text_is_stop_word("th", 2));
	cr_assert(!text_is_stop_word("theme", 5));
	cr_assert(!text_is_stop_word("", 0));
	cr_assert(text_is_term("menhir", 6));
	cr_assert(!text_is_term("the", 3));
	cr_assert(!text_is_term("x", 1), "one letter is not a term");
	cr_assert(!text_is_term("2024", 4), "numbers are not terms");
	cr_assert(!text_is_term("3.14", 4));
	cr_assert(text_is_term("h2o", 3));
	cr_assert(text_is_term("\xe8\xaa\x9e", 3), "one ideograph is a term");
	cr_assert(text_is_term("\xc3\xa9t\xc3\xa9", 5));
}

/* ---- Sentences and paragraphs ---------------------------------------------------------- */

Test(text, sentences)
{
	cr_assert_str_eq(sentences("One. Two! Three? Four"), "One.|Two!|Three?|Four");
	cr_assert_str_eq(sentences("Pi is 3.14 exactly. Yes"), "Pi is 3.14 exactly.|Yes");
	cr_assert_str_eq(sentences("Really?! Yes...  ok"), "Really?!|Yes...|ok");
	cr_assert_str_eq(sentences("He said \"stop.\" Then left."), "He said \"stop.\"|Then left.");
	cr_assert_str_eq(sentences("(See above.) Next"), "(See above.)|Next");
	cr_assert_str_eq(sentences("Title\n\nBody text here.\nSame sentence? No."),
	                 "Title|Body text here.|Same sentence?|No.");
	cr_assert_str_eq(sentences("日本語です。次の文！終わり"), "日本語です。|次の文！|終わり");
	cr_assert_str_eq(sentences("a.b.c"), "a.b.c");
	cr_assert_str_eq(sentences("... !!! ?"), "", "no sentence without a word");
	cr_assert_str_eq(sentences(""), "");
	cr_assert_str_eq(sentences("  Trailing space.   "), "Trailing space.");
	cr_assert_str_eq(sentences("Crlf one.\r\n\r\nTwo"), "Crlf one.|Two");
}

Test(text, paragraphs)
{
	cr_assert_eq(text_paragraphs("", 0), 0);
	cr_assert_eq(text_paragraphs("\n\n \n", 4), 0);
	cr_assert_eq(text_paragraphs("one line", 8), 1);
	cr_assert_eq(text_paragraphs("a\nb\n\nc", 6), 2);
	cr_assert_eq(text_paragraphs("a\n\n\n\nb\n \t\nc\n", 12), 3);
	cr_assert_eq(text_paragraphs("a\r\n\r\nb", 6), 2);
	cr_assert_eq(text_paragraphs("a\r\rb", 4), 2);
	cr_assert_eq(text_paragraphs("\xc2\xa0\nx", 4), 1, "a line of NBSP is blank");
}

Test(text, term_table_grows_and_counts)
{
	struct text_terms t;
	char w[32];

	cr_assert_eq(text_terms_init(&t, &a), 0);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(w, sizeof(w), "term%d", i);

			cr_assert(text_terms_add(&t, w, (size_t)n) != NULL);
		}
	cr_assert_eq(t.count, 5000);
	cr_assert_geq(t.cap, 10000);
	for (int i = 0; i < 5000; i += 499) {
		int n = snprintf(w, sizeof(w), "term%d", i);
		const struct text_term *e = text_terms_find(&t, w, (size_t)n);

		cr_assert(e != NULL && e->count == 3, "term%d", i);
	}
	cr_assert_null(text_terms_find(&t, "term5000", 8));
}

/* ---- The table ----------------------------------------------------------------------------- */

Test(features, the_declared_names_are_the_tables_names_in_order)
{
	size_t n = 0;

	for (; processing_feature_names[n] != NULL; n++)
		cr_assert_str_eq(processing_feature_names[n], processing_features[n]->name);
	cr_assert_eq(n, processing_nfeatures, "a feature the routes' declarations do not list");
}

Test(features, registry)
{
	const char *names[] = {"stats", "keywords", "summary", "redact"};

	cr_assert_eq(processing_nfeatures, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct processing_feature *f = processing_feature_find(names[i]);

		cr_assert(f != NULL && strcmp(f->name, names[i]) == 0);
		cr_assert_eq(processing_features[i], f, "listed in order");
		cr_assert(f->validate != NULL && f->run != NULL && f->description != NULL);
		cr_assert_eq(f->min_role, MH_ROLE_MEMBER);
		cr_assert_eq(f->rewrites_document, strcmp(names[i], "redact") == 0);
	}
	cr_assert_null(processing_feature_find("Stats"));
	cr_assert_null(processing_feature_find("translate"));
	cr_assert_null(processing_feature_find(""));
	cr_assert_null(processing_feature_find(NULL));
}

/* ---- Parameters ------------------------------------------------------------------------- */

Test(features, parameters_defaults_and_canonical_form)
{
	struct feature_params p;
	struct feature_errors e;

	cr_assert_eq(check("stats", NULL, &p, &e), 0);
	cr_assert_str_eq(p.canonical, "{}");
	cr_assert_eq(check("stats", "{}", &p, &e), 0);
	cr_assert_eq(check("redact", "{}", &p, &e), 0);
	cr_assert_str_eq(p.canonical, "{}");
	cr_assert_eq(check("keywords", NULL, &p, &e), 0);
	cr_assert_eq(p.k, 10);
	cr_assert_str_eq(p.canonical, "{\"k\":10}");
	cr_assert_eq(check("keywords", "{\"k\":10}", &p, &e), 0);
	cr_assert_str_eq(p.canonical, "{\"k\":10}", "the default and the explicit are one");
	cr_assert_eq(check("keywords", "{\"k\":1}", &p, &e), 0);
	cr_assert_eq(p.k, 1);
	cr_assert_eq(check("keywords", "{\"k\":50}", &p, &e), 0);
	cr_assert_str_eq(p.canonical, "{\"k\":50}");
	cr_assert_eq(check("summary", "{}", &p, &e), 0);
	cr_assert_eq(p.sentences, 3);
	cr_assert_str_eq(p.canonical, "{\"sentences\":3}");
	cr_assert_eq(check("summary", "{\"sentences\":20}", &p, &e), 0);
	cr_assert_eq(p.sentences, 20);
}

Test(features, parameters_refused)
{
	static const struct {
		const char *feature, *params, *field;
	} cases[] = {
	        {"stats", "{\"k\":3}", "parameters.k"},
	        {"redact", "{\"mask\":\"x\"}", "parameters.mask"},
	        {"keywords", "{\"k\":0}", "parameters.k"},
	        {"keywords", "{\"k\":51}", "parameters.k"},
	        {"keywords", "{\"k\":-1}", "parameters.k"},
	        {"keywords", "{\"k\":\"3\"}", "parameters.k"},
	        {"keywords", "{\"k\":3.0}", "parameters.k"},
	        {"keywords", "{\"k\":true}", "parameters.k"},
	        {"keywords", "{\"k\":null}", "parameters.k"},
	        {"keywords", "{\"k\":99999999999999999999}", "parameters.k"},
	        {"keywords", "{\"k\":4294967306}", "parameters.k"}, /* 10 after a 32-bit cut */
	        {"keywords", "{\"K\":3}", "parameters.K"},
	        {"summary", "{\"sentences\":0}", "parameters.sentences"},
	        {"summary", "{\"sentences\":21}", "parameters.sentences"},
	        {"summary", "{\"k\":3}", "parameters.k"},
	};
	struct feature_params p;
	struct feature_errors e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(check(cases[i].feature, cases[i].params, &p, &e), 1, "%s %s",
		             cases[i].feature, cases[i].params);
		cr_assert_str_eq(e.d[0].field, cases[i].field);
		cr_assert(strlen(e.d[0].message) > 0);
	}
	/* Every problem is reported at once. */
	cr_assert_eq(check("summary", "{\"sentences\":0,\"x\":1,\"y\":2}", &p, &e), 3);
}

/* ---- Invalid UTF-8: every feature fails the same clear way ------------------------------ */

Test(features, invalid_utf8_fails_every_feature)
{
	for (size_t f = 0; f < processing_nfeatures; f++)
		for (size_t i = 0; i < sizeof(invalid_utf8) / sizeof(invalid_utf8[0]); i++) {
			struct feature_result out;
			const char *code;
			json_object *r = run_ex(processing_features[f]->name, invalid_utf8[i],
			                        strlen(invalid_utf8[i]), NULL, &out, &code);

			cr_assert_null(r, "%s accepted invalid #%zu", processing_features[f]->name,
			               i);
			cr_assert_str_eq(code, "invalid_utf8");
			cr_assert_null(out.body, "no rewrite of an invalid body");
		}
}

/* ---- stats ----------------------------------------------------------------------------------- */

Test(features, stats_ascii)
{
	json_object *r =
	        run("stats", "The quick brown fox. It jumps!\n\nSecond paragraph here.", NULL);

	cr_assert_eq(num(r, "words"), 9);
	cr_assert_eq(num(r, "sentences"), 3);
	cr_assert_eq(num(r, "paragraphs"), 2);
	cr_assert_eq(num(r, "characters"), 54);
	cr_assert_eq(num(r, "characters_no_spaces"), 45);
	cr_assert_eq(num(r, "bytes"), 54);
	/* 9 words at 200 a minute: 2.7 s, rounded up. */
	cr_assert_eq(num(r, "reading_time_seconds"), 3);
	cr_assert_eq(json_object_object_length(r), 7);
	json_object_put(r);
}

Test(features, stats_multibyte)
{
	json_object *r = run("stats", "Café naïve 日本語 😀 Straße.", NULL);

	cr_assert_eq(num(r, "words"), 6, "café naïve 日 本 語 straße");
	cr_assert_eq(num(r, "characters"), 24, "code points, not bytes");
	cr_assert_eq(num(r, "characters_no_spaces"), 20);
	cr_assert_eq(num(r, "bytes"), 36);
	cr_assert_eq(num(r, "sentences"), 1);
	cr_assert_eq(num(r, "paragraphs"), 1);
	cr_assert_eq(num(r, "reading_time_seconds"), 2);
	json_object_put(r);
}

Test(features, stats_empty)
{
	json_object *r = run("stats", "", NULL);

	cr_assert_str_eq(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
	                 "{\"words\":0,\"characters\":0,\"characters_no_spaces\":0,\"sentences\":0,"
	                 "\"paragraphs\":0,\"bytes\":0,\"reading_time_seconds\":0}");
	json_object_put(r);
}

Test(features, stats_reading_time_rounds_up)
{
	json_object *r = run("stats", "one", NULL);

	cr_assert_eq(num(r, "reading_time_seconds"), 1, "0.3 s is 1 s");
	json_object_put(r);
	r = run("stats", repeat("word ", 200 * 5), NULL);
	cr_assert_eq(num(r, "words"), 200);
	cr_assert_eq(num(r, "reading_time_seconds"), 60, "exactly a minute");
	json_object_put(r);
}

Test(features, stats_huge, .timeout = 30)
{
	/* 1 MiB of 16-byte lines of 3 words and 1 sentence; no blank line: one paragraph. */
	char *body = repeat("Lorem ipsum do.\n", MIB);
	json_object *r = run("stats", body, NULL);

	cr_assert_eq(num(r, "bytes"), MIB);
	cr_assert_eq(num(r, "words"), MIB / 16 * 3);
	cr_assert_eq(num(r, "sentences"), MIB / 16);
	cr_assert_eq(num(r, "paragraphs"), 1);
	cr_assert_eq(num(r, "reading_time_seconds"), (MIB / 16 * 3 * 60 + 199) / 200);
	json_object_put(r);
}

/* ---- keywords ------------------------------------------------------------------------------ */

static const char *pets = "Cats are great pets. Dogs are loyal pets. The weather is nice today. "
                          "Cats and dogs can live together as pets. Rain.";

/* "term:count,…" of a keywords result. */
static const char *keyword_list(json_object *r)
{
	json_object *list;
	struct mh_buf b;

	cr_assert(json_object_object_get_ex(r, "keywords", &list));
	mh_buf_init(&b, &a, 64);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *k = json_object_array_get_idx(list, i);

		mh_buf_printf(&b, "%s%s:%lld", i ? "," : "", str(k, "term"), num(k, "count"));
	}
	return mh_buf_cstr(&b);
}

Test(features, keywords_ascii)
{
	json_object *r = run("keywords", pets, "{\"k\":3}");

	/* "are", "the", "and", "as" are stop words; cats and dogs tie: alphabetical. */
	cr_assert_str_eq(keyword_list(r), "pets:3,cats:2,dogs:2");
	cr_assert_eq(num(r, "k"), 3);
	cr_assert_eq(num(r, "distinct_terms"), 11);
	json_object_put(r);
}

Test(features, keywords_ties_are_alphabetical_and_default_k)
{
	json_object *r = run("keywords",
	                     "delta alpha charlie bravo echo foxtrot golf hotel india "
	                     "juliet kilo lima alpha",
	                     NULL);

	cr_assert_str_eq(keyword_list(r), "alpha:2,bravo:1,charlie:1,delta:1,echo:1,foxtrot:1,"
	                                  "golf:1,hotel:1,india:1,juliet:1");
	cr_assert_eq(num(r, "k"), 10);
	json_object_put(r);
}

Test(features, keywords_fold_case_and_skip_non_terms)
{
	json_object *r = run("keywords", "Apple APPLE apple the THE The a 2024 2024 x x x", NULL);

	cr_assert_str_eq(keyword_list(r), "apple:3");
	json_object_put(r);
}

Test(features, keywords_multibyte)
{
	json_object *r =
	        run("keywords", "École école ÉCOLE Straße STRASSE strasse 語 語 😀 😀 😀 naïve", NULL);

	/* Byte order breaks ties: "naïve" < "strasse" < "straße" < "語". */
	cr_assert_str_eq(keyword_list(r), "école:3,strasse:2,語:2,naïve:1,straße:1");
	json_object_put(r);
}

Test(features, keywords_empty_and_stop_words_only)
{
	json_object *r = run("keywords", "", NULL);

	cr_assert_str_eq(keyword_list(r), "");
	cr_assert_eq(num(r, "distinct_terms"), 0);
	json_object_put(r);
	r = run("keywords", "the and of it is", NULL);
	cr_assert_str_eq(keyword_list(r), "");
	json_object_put(r);
}

Test(features, keywords_huge_distinct_terms, .timeout = 30)
{
	struct mh_buf b;
	json_object *r;
	int i;

	/* About 1 MiB of distinct terms and one repeated every 100th word. */
	mh_buf_init(&b, &a, MIB + 64);
	for (i = 0; b.len < MIB - 32; i++)
		mh_buf_printf(&b, i % 100 == 0 ? "menhir " : "term%d ", i);
	r = run("keywords", mh_buf_cstr(&b), "{\"k\":2}");
	cr_assert_eq(num(r, "distinct_terms"), i - (i + 99) / 100 + 1);
	cr_assert_str_eq(keyword_list(r),
	                 mh_arena_sprintf(&a, "menhir:%d,term1:1", (i + 99) / 100));
	json_object_put(r);
}

/* ---- summary ------------------------------------------------------------------------------- */

/* The chosen sentences' indexes, "0,1,3". */
static const char *summary_indexes(json_object *r)
{
	json_object *list;
	struct mh_buf b;

	cr_assert(json_object_object_get_ex(r, "sentences", &list));
	mh_buf_init(&b, &a, 64);
	for (size_t i = 0; i < json_object_array_length(list); i++)
		mh_buf_printf(&b, "%s%lld", i ? "," : "",
		              num(json_object_array_get_idx(list, i), "index"));
	return mh_buf_cstr(&b);
}

Test(features, summary_picks_highest_in_original_order)
{
	/* Scores: 6/4, 6/4, 3/5, 9/8, 1/1 (term frequencies over the sentence's words). */
	json_object *r = run("summary", pets, "{\"sentences\":3}");

	cr_assert_str_eq(summary_indexes(r), "0,1,3");
	cr_assert_str_eq(str(r, "summary"), "Cats are great pets. Dogs are loyal pets. Cats and "
	                                    "dogs can live together as pets.");
	cr_assert_eq(num(r, "total_sentences"), 5);
	cr_assert_eq(num(r, "requested"), 3);
	json_object_put(r);

	r = run("summary", pets, "{\"sentences\":1}");
	cr_assert_str_eq(summary_indexes(r), "0", "a tie goes to the earlier sentence");
	json_object_put(r);
	r = run("summary", pets, "{\"sentences\":4}");
	cr_assert_str_eq(summary_indexes(r), "0,1,3,4");
	json_object_put(r);
}

Test(features, summary_scores_are_reported)
{
	json_object *r = run("summary", pets, "{\"sentences\":1}"), *list, *first, *score;

	cr_assert(json_object_object_get_ex(r, "sentences", &list));
	first = json_object_array_get_idx(list, 0);
	cr_assert(json_object_object_get_ex(first, "score", &score));
	cr_assert_float_eq(json_object_get_double(score), 1.5, 1e-9);
	cr_assert_str_eq(str(first, "text"), "Cats are great pets.");
	json_object_put(r);
}

Test(features, summary_default_and_short_documents)
{
	json_object *r = run("summary", "Only one sentence here", NULL);

	cr_assert_str_eq(summary_indexes(r), "0");
	cr_assert_eq(num(r, "requested"), 3);
	cr_assert_str_eq(str(r, "summary"), "Only one sentence here");
	json_object_put(r);
	r = run("summary", "", NULL);
	cr_assert_str_eq(summary_indexes(r), "");
	cr_assert_str_eq(str(r, "summary"), "");
	cr_assert_eq(num(r, "total_sentences"), 0);
	json_object_put(r);
}

Test(features, summary_multibyte)
{
	json_object *r = run("summary",
	                     "日本語の文章です。東京は大きい都市です。東京と日本の話。"
	                     "Ça va? L\xe2\x80\x99\xc3\xa9t\xc3\xa9 est là.",
	                     "{\"sentences\":2}");

	cr_assert_eq(num(r, "total_sentences"), 5);
	/* 日 本 です 東 京 appear twice: sentences 0 and 2 score 9/7, sentence 1 10/8, the
	 * French ones 1; the single kana の, は, と are not terms. */
	cr_assert_str_eq(summary_indexes(r), "0,2");
	cr_assert_str_eq(str(r, "summary"), "日本語の文章です。 東京と日本の話。");
	json_object_put(r);
}

Test(features, summary_huge, .timeout = 30)
{
	char *body = repeat("Menhirs are standing stones. ", MIB);
	json_object *r = run("summary", body, "{\"sentences\":20}");

	cr_assert_eq(num(r, "total_sentences"), MIB / 29);
	cr_assert_str_eq(summary_indexes(r), "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19");
	json_object_put(r);
}

/* ---- redact -------------------------------------------------------------------------------- */

Test(features, redact_emails)
{
	json_object *r;

	cr_assert_str_eq(redact("Mail john.doe+tag@example.co.uk today.", &r),
	                 "Mail [email] today.");
	cr_assert_eq(num(r, "counts.email"), 1);
	cr_assert_eq(num(r, "redactions"), 1);
	cr_assert(json_object_get_boolean(json_object_object_get(r, "changed")));
	json_object_put(r);
	cr_assert_str_eq(redact("a@b.com, c_d@e-f.org; <x%y@z.io>", NULL),
	                 "[email], [email]; <[email]>");
	cr_assert_str_eq(redact("Write to a@b.com.", NULL), "Write to [email].");
	cr_assert_str_eq(redact("first.last@sub.domain.example", NULL), "[email]");
	/* Not addresses: no dot in the domain, a one-letter or numeric TLD, nothing before @. */
	cr_assert_str_eq(redact("user@localhost a@b.c x@1.23 @handle me@ .@x.com", NULL),
	                 "user@localhost a@b.c x@1.23 @handle me@ .@x.com");
}

Test(features, redact_phones)
{
	static const char *const phones[] = {
	        "+1 (555) 123-4567", "(555) 123-4567", "555-123-4567",   "555-1234",
	        "+44 20 7946 0958",  "030 1234567",    "06 12 34 56 78", "0301234567",
	        "+4930123456",       "+49-30-1234567", "(030)1234567",
	};

	for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		const char *body = mh_arena_sprintf(&a, "Call %s now.", phones[i]);
		json_object *r;

		cr_assert_str_eq(redact(body, &r), "Call [phone] now.", "%s", phones[i]);
		cr_assert_eq(num(r, "counts.phone"), 1);
		json_object_put(r);
	}
}

Test(features, redact_cards)
{
	static const char *const cards[] = {
	        "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",
	        "5555 5555 5555 4444", "378282246310005",     "4000 0566 5566 5556",
	};

	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		const char *body = mh_arena_sprintf(&a, "Card: %s, thanks", cards[i]);
		json_object *r;

		cr_assert_str_eq(redact(body, &r), "Card: [card], thanks", "%s", cards[i]);
		cr_assert_eq(num(r, "counts.card"), 1);
		cr_assert_eq(num(r, "counts.phone"), 0);
		json_object_put(r);
	}
}

Test(features, redact_false_positives_stay)
{
	static const char *const keep[] = {
	        "Due 2024-01-15 at 10:30.",
	        "Born 15-01-1990, moved 2019-2024.",
	        "Version 1.2.3, build 10.0.19041.1, host 192.168.100.200.",
	        "Card-like but not Luhn: 1234 5678 9012 3456 and 1234567812345678.",
	        "Total 1,234,567.89 EUR, 3.50 each, ratio 1/2, id 1700000000.",
	        "Room 42, page 7, 2 cats, item #12345.",
	        "Model X1234567 and ABC-1234567.",
	        "Too many digits: 12345678901234567890123 for either.",
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_object *r;

		cr_assert_str_eq(redact(keep[i], &r), keep[i]);
		cr_assert_eq(num(r, "redactions"), 0, "%s", keep[i]);
		cr_assert(!json_object_get_boolean(json_object_object_get(r, "changed")));
		json_object_put(r);
	}
}

Test(features, redact_mixed_counts_and_multibyte)
{
	json_object *r;
	const char *body = "Écrivez à marie@exemple.fr ou appelez le 06 12 34 56 78 — merci 😀\n"
	                   "Carte 4111 1111 1111 1111; bureau +33 1 23 45 67 89; 日本語 a@b.jp";

	cr_assert_str_eq(redact(body, &r), "Écrivez à [email] ou appelez le [phone] — merci 😀\n"
	                                   "Carte [card]; bureau [phone]; 日本語 [email]");
	cr_assert_eq(num(r, "counts.email"), 2);
	cr_assert_eq(num(r, "counts.phone"), 2);
	cr_assert_eq(num(r, "counts.card"), 1);
	cr_assert_eq(num(r, "redactions"), 5);
	cr_assert_eq(num(r, "bytes_before"), (long long)strlen(body));
	json_object_put(r);
}

Test(features, redact_email_beats_digits_inside_it)
{
	cr_assert_str_eq(redact("555-123-4567@example.com and 0301234567@x.org", NULL),
	                 "[email] and [email]");
	cr_assert_str_eq(redact("call 555 123 4567 or 123@x.com", NULL), "call [phone] or [email]");
}

Test(features, redact_empty_and_nothing_to_mask)
{
	json_object *r;

	cr_assert_str_eq(redact("", &r), "");
	cr_assert_eq(num(r, "redactions"), 0);
	json_object_put(r);
	cr_assert_str_eq(redact("Nothing personal here.", NULL), "Nothing personal here.");
}

Test(features, redact_huge, .timeout = 30)
{
	static const char unit[] = "Contact ann@example.org or 555-123-4567 today. ";
	char *body = repeat(unit, MIB);
	size_t units = MIB / (sizeof(unit) - 1);
	json_object *r;
	const char *out = redact(body, &r);

	cr_assert_eq(num(r, "counts.email"), (long long)units);
	cr_assert_eq(num(r, "counts.phone"), (long long)units);
	cr_assert_eq(strlen(out), units * strlen("Contact [email] or [phone] today. "));
	cr_assert_eq(strncmp(out, "Contact [email] or [phone] today. Contact", 41), 0);
	json_object_put(r);
}

/* ---- Determinism ---------------------------------------------------------------------------- */

Test(features, same_input_same_bytes)
{
	const char *body = "Zeta alpha beta. Beta gamma alpha! Alpha? x@y.com 555-123-4567. "
	                   "Ünïcödé 日本 😀.";

	for (size_t f = 0; f < processing_nfeatures; f++) {
		struct feature_result one, two;
		const char *code;
		json_object *r1 =
		        run_ex(processing_features[f]->name, body, strlen(body), NULL, &one, &code);
		json_object *r2 =
		        run_ex(processing_features[f]->name, body, strlen(body), NULL, &two, &code);

		cr_assert(r1 != NULL && r2 != NULL);
		cr_assert_str_eq(mh_buf_cstr(&one.json), mh_buf_cstr(&two.json));
		cr_assert_eq(one.body == NULL, two.body == NULL);
		if (one.body != NULL)
			cr_assert_str_eq(one.body, two.body);
		json_object_put(r1);
		json_object_put(r2);
	}
}
