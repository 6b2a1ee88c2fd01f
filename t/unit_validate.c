/* unit_validate.c - the generic value rules of core/validate.c, one behaviour per test. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/validate.h"

static struct mh_arena a;
static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 1024), 0);
}
static void teardown(void)
{
	mh_arena_destroy(&a);
}
TestSuite(validate, .init = setup, .fini = teardown);

Test(validate, uuid_is_8_4_4_4_12_hex_in_either_case)
{
	cr_assert(mh_is_uuid("6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b"));
	cr_assert(mh_is_uuid("6B1F3E2A-9C4D-4E5F-8A7B-1C2D3E4F5A6B"));
	cr_assert_not(mh_is_uuid("6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6"));
	cr_assert_not(mh_is_uuid("6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6bb"));
	cr_assert_not(mh_is_uuid("6b1f3e2a9c4d-4e5f-8a7b-1c2d3e4f5a6b-"));
	cr_assert_not(mh_is_uuid("6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6g"));
	cr_assert_not(mh_is_uuid(""));
	cr_assert_not(mh_is_uuid(NULL));
	cr_assert_str_eq(mh_check_uuid("x"), "must be a UUID");
}

Test(validate, email_is_the_cores_one_rule)
{
	cr_assert_null(mh_check_email("ann@example.com"));
	cr_assert_null(mh_check_email("a.b+tag@mail.example.org"));
	cr_assert_not_null(mh_check_email("ann.example.com"));
	cr_assert_not_null(mh_check_email("@example.com"));
	cr_assert_not_null(mh_check_email("ann@@example.com"));
	cr_assert_not_null(mh_check_email("ann@localhost"));
	cr_assert_not_null(mh_check_email("ann@exa..mple.com"));
	cr_assert_not_null(mh_check_email("ann@-example.com"));
	cr_assert_not_null(mh_check_email("an n@example.com"));
	cr_assert_not_null(mh_check_email("ann@exa_mple.com"));
}

Test(validate, email_length_is_bounded)
{
	char local[80], addr[300];

	memset(local, 'a', 65);
	local[65] = '\0';
	strcpy(addr, local);
	strcat(addr, "@example.com");
	cr_assert_not_null(mh_check_email(addr), "a 65-character local part passed");
	memset(addr, 'a', 250);
	strcpy(addr + 40, "@");
	memset(addr + 41, 'b', 210);
	strcpy(addr + 251, ".com");
	cr_assert_str_eq(mh_check_email(addr), "must be at most 254 characters");
}

Test(validate, slug_is_lower_case_letters_digits_and_inner_dashes)
{
	cr_assert_null(mh_check_slug("acme-2"));
	cr_assert_null(mh_check_slug("a"));
	cr_assert_not_null(mh_check_slug("-acme"));
	cr_assert_not_null(mh_check_slug("acme-"));
	cr_assert_not_null(mh_check_slug("Acme"));
	cr_assert_not_null(mh_check_slug("ac me"));
	cr_assert_not_null(mh_check_slug(""));
}

Test(validate, slug_is_at_most_63_characters)
{
	char s[65];

	memset(s, 'a', 63);
	s[63] = '\0';
	cr_assert_null(mh_check_slug(s));
	s[63] = 'a';
	s[64] = '\0';
	cr_assert_str_eq(mh_check_slug(s), "must be 1 to 63 characters");
}

Test(validate, text_length_counts_characters_not_bytes)
{
	/* Three characters, six bytes. */
	cr_assert_eq(mh_text_length("\xc3\xa9\xc3\xa9\xc3\xa9"), 3);
	cr_assert_null(mh_check_text(&a, "\xc3\xa9\xc3\xa9\xc3\xa9", 1, 3));
	cr_assert_str_eq(mh_check_text(&a, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 1, 3),
	                 "must be 1 to 3 characters");
}

Test(validate, text_refuses_c0_del_and_c1_controls)
{
	cr_assert_str_eq(mh_check_text(&a, "a\nb", 0, 10), "must not contain control characters");
	cr_assert_not_null(mh_check_text(&a, "a\x7f", 0, 10));
	cr_assert_not_null(mh_check_text(&a, "a\xc2\x85", 0, 10)); /* NEL */
	cr_assert_null(mh_check_text(&a, "a\xc2\xa0", 0, 10));     /* NBSP is text */
}

Test(validate, text_messages_name_the_bounds)
{
	cr_assert_str_eq(mh_check_text(&a, "", 1, 200), "must not be empty");
	cr_assert_str_eq(mh_check_text(&a, "abc", 0, 2), "must be at most 2 characters");
	cr_assert_str_eq(mh_check_text(&a, "ab", 3, 0), "must be at least 3 characters");
	cr_assert_null(mh_check_text(&a, "a long text with no upper bound", 3, 0));
	cr_assert_str_eq(mh_check_text(NULL, "abc", 0, 2), "is too long");
}

Test(validate, enum_finds_the_index_and_lists_the_choices)
{
	static const char *const v[] = {"draft", "published", "archived", NULL};
	size_t i = 99;

	cr_assert_null(mh_check_enum(&a, "published", v, &i));
	cr_assert_eq(i, 1);
	cr_assert_str_eq(mh_check_enum(&a, "Draft", v, &i),
	                 "must be one of: draft, published, archived");
	cr_assert_not_null(mh_check_enum(NULL, "x", v, &i));
}

Test(validate, integer_is_digits_within_the_range)
{
	long long v = 0;

	cr_assert_null(mh_check_integer(&a, "100", 1, 100, &v));
	cr_assert_eq(v, 100);
	cr_assert_null(mh_check_integer(&a, "-5", -10, 10, &v));
	cr_assert_eq(v, -5);
	cr_assert_str_eq(mh_check_integer(&a, "101", 1, 100, &v),
	                 "must be an integer from 1 to 100");
	cr_assert_not_null(mh_check_integer(&a, "0", 1, 100, &v));
}

Test(validate, integer_refuses_what_strtol_would_forgive)
{
	long long v = 7;
	static const char *const bad[] = {
	        "", " 5", "+5", "5 ", "5x", "0x10", "1e2", "99999999999999999999", "-", "--1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not_null(mh_check_integer(&a, bad[i], -100, 100, &v), "%s passed",
		                   bad[i]);
	cr_assert_eq(v, 7, "a refused value was stored");
}

Test(validate, boolean_is_true_or_false_only)
{
	int b = -1;

	cr_assert_null(mh_check_boolean("true", &b));
	cr_assert_eq(b, 1);
	cr_assert_null(mh_check_boolean("false", &b));
	cr_assert_eq(b, 0);
	cr_assert_not_null(mh_check_boolean("1", &b));
	cr_assert_not_null(mh_check_boolean("True", &b));
	cr_assert_not_null(mh_check_boolean("", &b));
}

Test(validate, timestamp_is_rfc3339_with_a_zone)
{
	cr_assert_null(mh_check_timestamp("2024-05-01T10:00:00Z"));
	cr_assert_null(mh_check_timestamp("2024-05-01T10:00:00.123456Z"));
	cr_assert_null(mh_check_timestamp("2024-05-01t10:00:00+02:00"));
	cr_assert_null(mh_check_timestamp("2016-12-31T23:59:60Z")); /* a leap second */
	cr_assert_not_null(mh_check_timestamp("2024-05-01T10:00:00"));
	cr_assert_not_null(mh_check_timestamp("2024-05-01 10:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("2024-05-01T10:00:00.Z"));
	cr_assert_not_null(mh_check_timestamp("2024-05-01T10:00:00+0200"));
	cr_assert_not_null(mh_check_timestamp("2024-05-01T10:00:00Zjunk"));
}

Test(validate, timestamp_dates_exist_on_the_calendar)
{
	cr_assert_null(mh_check_timestamp("2024-02-29T00:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("2023-02-29T00:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("1900-02-29T00:00:00Z"));
	cr_assert_null(mh_check_timestamp("2000-02-29T00:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("2024-04-31T00:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("2024-13-01T00:00:00Z"));
	cr_assert_not_null(mh_check_timestamp("2024-05-01T24:00:00Z"));
}

Test(validate, https_url_shape)
{
	cr_assert_null(mh_check_https_url(&a, "https://example.com", 2000));
	cr_assert_null(mh_check_https_url(&a, "https://example.com:8443/hook?x=1", 2000));
	cr_assert_null(mh_check_https_url(&a, "HTTPS://[2001:db8::1]/x", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "http://example.com", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https:///path", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://user:pw@example.com/", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://example.com/#top", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://exa mple.com/", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://example.com:0/", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://example.com:65536/", 2000));
	cr_assert_not_null(mh_check_https_url(&a, "https://example.com:/", 2000));
}

Test(validate, https_url_length_is_bounded)
{
	cr_assert_str_eq(mh_check_https_url(&a, "https://example.com/abc", 20),
	                 "must be at most 20 characters");
}

Test(validate, lower_copies_only_when_it_must)
{
	const char *same = "ann@example.com";

	cr_assert_eq(mh_lower(&a, same), same);
	cr_assert_str_eq(mh_lower(&a, "Ann@Example.COM"), "ann@example.com");
}
