/* email.c - the one rule for an e-mail address that comes in, and its normal form. */
#include "core/email.h"

#include <string.h>

#define BAD_SHAPE "must be an e-mail address with one @ (name@example.com)"

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext: what an atom of a Dot-string may hold. */
static int is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* s[0..len): atom *("." atom). */
static const char *check_local(const char *s, size_t len)
{
	if (len == 0 || len > MH_EMAIL_LOCAL_MAX)
		return "the part before the @ must be 1 to 64 characters";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && i > 0 && i + 1 < len && s[i + 1] != '.')
			continue;
		if (!is_atext(c))
			return "the part before the @ may hold only ASCII letters, digits, "
			       "!#$%&'*+-/=?^_`{|}~ and single dots between them";
	}
	return NULL;
}

/* s[0..len): LDH labels joined by dots, at least two, the last one not all digits. */
static const char *check_domain(const char *s, size_t len)
{
	static const char msg[] = "the part after the @ must be a domain name in ASCII "
	                          "(example.com; an internationalised one in its xn-- form)";
	size_t label = 0, labels = 0;
	int letter = 0;

	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > MH_EMAIL_LABEL_MAX || s[i - 1] == '-')
				return msg;
			labels++;
			label = 0;
			if (i < len)
				letter = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && !(c == '-' && label > 0))
			return msg;
		letter |= is_alpha(c);
		label++;
	}
	if (labels < 2 || !letter)
		return msg;
	return NULL;
}

const char *mh_email_check(const char *s)
{
	size_t len = strlen(s);
	const char *at = strchr(s, '@'), *m;

	if (len > MH_EMAIL_MAX)
		return "must be at most 254 characters";
	if (at == NULL || strchr(at + 1, '@') != NULL) {
		/* An @ inside the local part needs quotes, which the rule leaves out. */
		return BAD_SHAPE;
	}
	if ((m = check_local(s, (size_t)(at - s))) != NULL)
		return m;
	return check_domain(at + 1, len - (size_t)(at + 1 - s));
}

const char *mh_email_normalize(struct mh_arena *a, const char *in, const char **out)
{
	const char *m = mh_email_check(in);
	char *lower;

	if (m != NULL)
		return m;
	lower = mh_arena_strdup(a, in);
	if (lower == NULL)
		return "could not be read (out of memory)";
	/* ASCII only (checked above), so this is the whole of case folding. */
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	*out = lower;
	return NULL;
}
