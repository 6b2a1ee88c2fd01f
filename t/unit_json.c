/* unit_json.c - strict request-body parsing. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/json.h"

static struct mh_arena a;
static void setup(void) { mh_arena_init(&a, 1024); }
static void teardown(void) { mh_arena_destroy(&a); }
TestSuite(json, .init = setup, .fini = teardown);

static const char *field;

static struct json_object *parse(const char *s, const char **err)
{
	*err = NULL;
	return mh_json_parse(&a, s, strlen(s), err, &field);
}

/* The path parse() reports for a body that must be refused for a duplicate. */
static const char *duplicate_in(const char *s)
{
	const char *err;

	cr_assert_null(parse(s, &err), "accepted %s", s);
	cr_assert_not_null(field, "%s: refused (%s) without naming the member", s, err);
	return field;
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

Test(json, a_member_given_twice_is_refused_with_its_name)
{
	cr_assert_str_eq(duplicate_in("{\"title\":\"first\",\"title\":\"second\"}"), "title");
}

Test(json, member_names_are_compared_after_unescaping)
{
	cr_assert_str_eq(duplicate_in("{\"title\":1,\"\\u0074itle\":2}"), "title");
	cr_assert_str_eq(duplicate_in("{\"caf\xc3\xa9\":1,\"caf\\u00e9\":2}"), "caf\xc3\xa9");
}

Test(json, a_nested_duplicate_is_named_by_its_path)
{
	cr_assert_str_eq(duplicate_in("{\"parameters\":{\"k\":1,\"n\":2,\"k\":3}}"),
	                 "parameters.k");
	cr_assert_str_eq(duplicate_in("{\"items\":[{\"a\":1},{\"b\":1,\"b\":2}]}"), "items[1].b");
}

Test(json, the_same_name_in_different_objects_is_fine)
{
	const char *err;

	cr_assert_not_null(
	        parse("{\"a\":{\"x\":1},\"b\":{\"x\":1},\"x\":[{\"x\":1},{\"x\":2}]}", &err), "%s",
	        err);
	cr_assert_not_null(parse("{\"a\":1,\"A\":2,\"a \":3}", &err), "%s", err);
}

Test(json, an_object_with_many_members_is_checked_without_false_duplicates)
{
	static char s[400000];
	size_t n = 0;
	const char *err;

	s[n++] = '{';
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
	s[n++] = '}';
	s[n] = '\0';
	cr_assert_not_null(parse(s, &err), "%s", err);
	memcpy(s + n - 1, ",\"k12345\":0}", 13);
	cr_assert_str_eq(duplicate_in(s), "k12345");
}

Test(json, a_lone_surrogate_escape_is_refused)
{
	static const char *const bad[] = {
	        "{\"a\":\"\\ud800\"}",        /* high, at the end of the string */
	        "{\"a\":\"\\udc00\"}",        /* low, alone */
	        "{\"a\":\"\\ud800x\"}",       /* high, then a character */
	        "{\"a\":\"\\ud800\\u0041\"}", /* high, then an escape that is not a low half */
	        "{\"a\":\"\\ud800\\ud800\"}", /* two highs */
	        "{\"\\ud800\":1}",            /* in a member name */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err;

		cr_assert_null(parse(bad[i], &err), "accepted %s", bad[i]);
		cr_assert(strstr(err, "surrogate") != NULL, "%s: %s", bad[i], err);
		cr_assert_null(field);
	}
}

Test(json, a_surrogate_pair_is_one_character)
{
	const char *err;
	struct json_object *o = parse("{\"a\":\"\\ud83d\\ude00\"}", &err), *v;

	cr_assert_not_null(o, "%s", err);
	cr_assert(json_object_object_get_ex(o, "a", &v));
	cr_assert_str_eq(json_object_get_string(v), "\xf0\x9f\x98\x80");
}

Test(json, media_type_is_application_json_in_utf8)
{
	static const char *const ok[] = {
	        "application/json",
	        "Application/JSON",
	        "application/json; charset=utf-8",
	        "application/json;charset=UTF-8",
	        "application/json ; charset=\"utf-8\"",
	        "application/json; charset=Utf-8 ",
	        "application/json;",
	        "application/json; foo=bar; charset=utf-8",
	};
	static const char *const bad[] = {
	        "application/json; charset=latin1",
	        "application/json; charset=\"iso-8859-1\"",
	        "application/json; charset=utf-16",
	        "application/json; charset=utf8",
	        "application/json; charset=utf-8; charset=latin1",
	        "application/jsonx",
	        "application/json-patch+json",
	        "text/json",
	        "application/json; charset",
	        "application/json; charset=",
	        "application/json; charset=\"utf-8",
	        "application/json junk",
	        "",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(mh_json_media_type_ok(ok[i]), "refused %s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!mh_json_media_type_ok(bad[i]), "accepted %s", bad[i]);
	cr_assert(!mh_json_media_type_ok(NULL));
}

Test(json, running_out_of_memory_is_reported_not_mistaken_for_bad_json)
{
	const char *err;

	a.limit = a.bytes_in_use + 1;
	cr_assert_null(parse("{\"a\":1}", &err));
	cr_assert_str_eq(err, "out of memory");
	cr_assert_null(field);
	a.limit = 0;
}

static int deleted;

static void count_delete(struct json_object *o, void *userdata)
{
	(void)o;
	(void)userdata;
	deleted++;
}

/* mh_json_defer takes the object in every case: one the arena cannot take is put at once
 * (exactly once), and one it takes is put by the reset, not before. */
Test(json, an_object_the_arena_cannot_take_is_put_at_once_not_leaked)
{
	struct json_object *o = json_object_new_object();

	cr_assert_not_null(o);
	json_object_set_userdata(o, NULL, count_delete);
	deleted = 0;
	cr_assert_not_null(mh_arena_alloc(&a, 16)); /* a limit of 0 would mean none */
	a.limit = a.bytes_in_use;
	cr_assert_null(mh_json_defer(&a, o));
	cr_assert_eq(deleted, 1, "the object was %s", deleted ? "put twice" : "leaked");
	a.limit = 0;

	o = json_object_new_object();
	cr_assert_not_null(o);
	json_object_set_userdata(o, NULL, count_delete);
	deleted = 0;
	cr_assert_eq(mh_json_defer(&a, o), o);
	cr_assert_eq(deleted, 0);
	mh_arena_reset(&a);
	cr_assert_eq(deleted, 1);
}
