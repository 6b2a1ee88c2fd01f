/* unit_email.c - the one e-mail rule (src/core/email.c): RFC 5321 dot-atom, ASCII only,
 * and the lower-cased normal form. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/email.h"

static void accepts(const char *s)
{
	const char *m = mh_email_check(s);

	cr_assert_null(m, "refused %s: %s", s, m);
}

static void refuses(const char *s)
{
	cr_assert_not_null(mh_email_check(s), "accepted %s", s);
}

Test(email, ordinary_addresses_are_accepted)
{
	accepts("name@example.com");
	accepts("first.last+tag@mail.example.co.uk");
	accepts("o'brien@example.ie");
	accepts("a!#$%&'*+-/=?^_`{|}~z@example.com");
	accepts("1@2.example");
	accepts("x@a-b.example");
	accepts("Ann@Example.COM");
}

Test(email, markup_and_quoting_are_refused)
{
	refuses("<script>@b.test");
	refuses("a<b>c@b.test");
	refuses("\"quoted\"@b.test");
	refuses("a b@b.test");
	refuses("a,b@b.test");
	refuses("a\\b@b.test");
	refuses("a;b@b.test");
}

Test(email, a_non_ascii_local_part_is_refused_look_alikes_included)
{
	/* U+0430 CYRILLIC SMALL LETTER A, not 'a'. */
	refuses("\xd0\xb0"
	        "dmin@example.com");
	refuses("j\xc3\xb6rg@example.com");
}

Test(email, a_non_ascii_domain_is_refused_and_its_a_label_accepted)
{
	const char *m = mh_email_check("anna@b\xc3\xbc"
	                               "cher.example");

	cr_assert_not_null(m);
	cr_assert(strstr(m, "xn--") != NULL, "the message says how to write it: %s", m);
	accepts("anna@xn--bcher-kva.example");
}

Test(email, dots_in_the_local_part_only_between_characters)
{
	refuses(".a@b.test");
	refuses("a.@b.test");
	refuses("a..b@b.test");
	refuses(".@b.test");
	accepts("a.b.c@b.test");
}

Test(email, the_domain_is_dns_labels_with_a_dot_and_a_non_numeric_tld)
{
	refuses("a@localhost");
	refuses("a@-b.test");
	refuses("a@b-.test");
	refuses("a@b..test");
	refuses("a@.b.test");
	refuses("a@b.test.");
	refuses("a@b_c.test");
	refuses("a@[192.0.2.1]");
	refuses("a@192.0.2.1");
	refuses("a@");
}

Test(email, exactly_one_at_sign)
{
	refuses("ab.test");
	refuses("a@b@c.test");
	refuses("@b.test");
	refuses("");
}

Test(email, length_limits_are_rfc_5321s)
{
	char s[400];

	memset(s, 'l', 64);
	strcpy(s + 64, "@b.test");
	accepts(s);
	memset(s, 'l', 65);
	strcpy(s + 65, "@b.test");
	refuses(s);
	/* A label of 63 is fine, 64 is not. */
	strcpy(s, "a@");
	memset(s + 2, 'd', 63);
	strcpy(s + 65, ".test");
	accepts(s);
	memset(s + 2, 'd', 64);
	strcpy(s + 66, ".test");
	refuses(s);
	/* 254 octets in all, not 255: a@ + labels of 63 and dots + "test". */
	strcpy(s, "a@");
	for (int i = 0; i < 3; i++) {
		memset(s + 2 + 64 * i, 'd', 63);
		s[2 + 64 * i + 63] = '.';
	}
	memset(s + 194, 'e', 56);
	strcpy(s + 250, "test");
	cr_assert_eq(strlen(s), 254);
	accepts(s);
	memmove(s + 1, s, 255);
	s[0] = 'a';
	cr_assert_eq(strlen(s), 255);
	refuses(s);
}

Test(email, the_normal_form_is_the_address_lower_cased)
{
	struct mh_arena a;
	const char *out = NULL;

	cr_assert_eq(mh_arena_init(&a, 1024), 0);
	cr_assert_null(mh_email_normalize(&a, "Ann.Lee+News@Example.COM", &out));
	cr_assert_str_eq(out, "ann.lee+news@example.com");
	mh_arena_destroy(&a);
}

Test(email, normalising_a_refused_address_says_why_and_leaves_out_alone)
{
	struct mh_arena a;
	const char *out = "untouched";

	cr_assert_eq(mh_arena_init(&a, 1024), 0);
	cr_assert_not_null(mh_email_normalize(&a, "<script>@b.test", &out));
	cr_assert_str_eq(out, "untouched");
	mh_arena_destroy(&a);
}
