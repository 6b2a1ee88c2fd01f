/* unit_query.c - query-string decoding. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/query.h"

static struct mh_arena a;
static void setup(void) { mh_arena_init(&a, 1024); }
static void teardown(void) { mh_arena_destroy(&a); }
TestSuite(query, .init = setup, .fini = teardown);

Test(query, decodes_pairs_plus_and_percent)
{
	struct mh_kv *kv;
	const char *err = NULL;
	int n = mh_query_parse(&a, "q=hello+world&tag=a%2Fb&flag&empty=&caf%C3%A9=1", &kv, &err);

	cr_assert_eq(n, 5);
	cr_assert_str_eq(kv[0].key, "q");
	cr_assert_str_eq(kv[0].value, "hello world");
	cr_assert_str_eq(kv[1].value, "a/b");
	cr_assert_str_eq(kv[2].key, "flag");
	cr_assert_str_eq(kv[2].value, "");
	cr_assert_str_eq(kv[3].value, "");
	cr_assert_str_eq(kv[4].key, "caf\xc3\xa9");
}

Test(query, empty_and_stray_ampersands)
{
	struct mh_kv *kv;
	const char *err = NULL;

	cr_assert_eq(mh_query_parse(&a, "", &kv, &err), 0);
	cr_assert_eq(mh_query_parse(&a, NULL, &kv, &err), 0);
	cr_assert_eq(mh_query_parse(&a, "&&a=1&", &kv, &err), 1);
}

Test(query, rejects_malformed_input)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%00", "a=%ff", "=1",
					   "a=%ED%A0%80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_kv *kv;
		const char *err = NULL;
		cr_assert_eq(mh_query_parse(&a, bad[i], &kv, &err), -1, "accepted %s", bad[i]);
		cr_assert_not_null(err);
	}
}

Test(query, caps_the_number_of_parameters)
{
	char qs[4096] = "";
	struct mh_kv *kv;
	const char *err = NULL;

	for (int i = 0; i <= MH_QUERY_MAX_PARAMS; i++)
		strcat(qs, "a=1&");
	cr_assert_eq(mh_query_parse(&a, qs, &kv, &err), -1);
}
