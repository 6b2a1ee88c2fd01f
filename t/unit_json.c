/* unit_json.c - strict request-body parsing. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/json.h"

static struct mh_arena a;
static void setup(void) { mh_arena_init(&a, 1024); }
static void teardown(void) { mh_arena_destroy(&a); }
TestSuite(json, .init = setup, .fini = teardown);

static struct json_object *parse(const char *s, const char **err)
{
	*err = NULL;
	return mh_json_parse(&a, s, strlen(s), err);
}

Test(json, parses_an_object_and_frees_it_with_the_arena)
{
	const char *err;
	struct json_object *o = parse(" {\"a\": [1, 2, {\"b\": null}]}\n", &err), *v;

	cr_assert_not_null(o, "%s", err);
	cr_assert(json_object_object_get_ex(o, "a", &v));
	cr_assert_eq(json_object_array_length(v), 3);
	/* No json_object_put here: the arena's reset (teardown) releases it, and
	 * LeakSanitizer would report it otherwise. */
}

Test(json, rejects_what_is_not_strict_json)
{
	static const char *const bad[] = { "", "{", "{\"a\":1}}", "{\"a\":1} x", "{a:1}",
					   "{'a':1}", "{\"a\":01}", "/*c*/{}", "{\"a\":\"\xff\"}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err;
		cr_assert_null(parse(bad[i], &err), "accepted %s", bad[i]);
		cr_assert_not_null(err);
	}
}

Test(json, rejects_deep_nesting)
{
	char s[200] = "";
	const char *err;

	for (int i = 0; i < MH_JSON_MAX_DEPTH + 5; i++)
		strcat(s, "[");
	cr_assert_null(parse(s, &err));
}
