/* validate.c - the generic rules for input values: one definition each (see validate.h). */
#include "core/validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/email.h"

int mh_is_uuid(const char *s)
{
	if (s == NULL)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

const char *mh_check_uuid(const char *s)
{
	return mh_is_uuid(s) ? NULL : "must be a UUID";
}

const char *mh_check_email(const char *s)
{
	/* The project's one rule (core/email.c, RFC 5321 dot-atom, ASCII only). */
	return s != NULL ? mh_email_check(s) : "must be an e-mail address (name@example.com)";
}

const char *mh_check_slug(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 63)
		return "must be 1 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && i > 0 && i < n - 1)))
			return "may hold only a-z, 0-9 and inner dashes";
	return NULL;
}

long mh_text_length(const char *s)
{
	long n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		/* C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F in UTF-8. */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return -1;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

const char *mh_check_text(struct mh_arena *a, const char *s, size_t min, size_t max)
{
	long n = s ? mh_text_length(s) : -1;
	const char *m;

	if (n < 0)
		return "must not contain control characters";
	if ((size_t)n >= min && (max == 0 || (size_t)n <= max))
		return NULL;
	if (min == 1 && n == 0)
		return "must not be empty";
	if (max == 0)
		m = a ? mh_arena_sprintf(a, "must be at least %zu characters", min) : NULL;
	else if (min == 0)
		m = a ? mh_arena_sprintf(a, "must be at most %zu characters", max) : NULL;
	else
		m = a ? mh_arena_sprintf(a, "must be %zu to %zu characters", min, max) : NULL;
	return m ? m : (size_t)n < min ? "is too short" : "is too long";
}

const char *mh_check_enum(struct mh_arena *a, const char *s, const char *const *values,
                          size_t *index)
{
	size_t n, len = 0;
	char *m, *p;

	for (n = 0; values[n] != NULL; n++) {
		if (s != NULL && strcmp(values[n], s) == 0) {
			*index = n;
			return NULL;
		}
		len += strlen(values[n]) + 4;
	}
	/* "must be one of: a, b, c" */
	if (a == NULL || (m = mh_arena_alloc(a, len + 20)) == NULL)
		return "is not one of the accepted values";
	p = m + strlen(strcpy(m, "must be one of: "));
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		p += strlen(strcpy(p, values[i]));
	}
	return m;
}

const char *mh_check_integer(struct mh_arena *a, const char *s, long long min, long long max,
                             long long *out)
{
	const char *p = s;
	char *end;
	long long v;
	const char *m;

	if (p != NULL && *p == '-')
		p++;
	/* strtoll alone would take " 7", "+7" and "7 ": only digits are an integer here. */
	if (p == NULL || !isdigit((unsigned char)*p))
		goto out;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		goto out;
	*out = v;
	return NULL;
out:
	m = a ? mh_arena_sprintf(a, "must be an integer from %lld to %lld", min, max) : NULL;
	return m ? m : "must be an integer in the accepted range";
}

const char *mh_check_boolean(const char *s, int *out)
{
	if (s != NULL && strcmp(s, "true") == 0)
		*out = 1;
	else if (s != NULL && strcmp(s, "false") == 0)
		*out = 0;
	else
		return "must be true or false";
	return NULL;
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

const char *mh_check_timestamp(const char *s)
{
	static const char shape[] = "must be an RFC 3339 timestamp (2024-05-01T10:00:00Z)";
	int y, mo, d, h, mi, sec;
	const char *p;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return shape;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return shape;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return shape;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return NULL;
	if ((*p == '+' || *p == '-') && p[3] == ':' && p[6] == '\0' && digits(p + 1, 2) >= 0 &&
	    digits(p + 1, 2) <= 23 && digits(p + 4, 2) >= 0 && digits(p + 4, 2) <= 59)
		return NULL;
	return shape;
}

const char *mh_check_https_url(struct mh_arena *a, const char *s, size_t max)
{
	static const char shape[] = "must be an absolute https URL (https://host/path)";
	const char *host, *end, *p, *m;
	size_t n = s ? strlen(s) : 0;

	if (s == NULL || strncasecmp(s, "https://", 8) != 0)
		return shape;
	if (max > 0 && n > max) {
		m = a ? mh_arena_sprintf(a, "must be at most %zu characters", max) : NULL;
		return m ? m : "is too long";
	}
	for (p = s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return "must be visible ASCII (percent-encode anything else)";
	if (strchr(s, '#') != NULL)
		return "must not have a fragment";
	host = s + 8;
	end = host + strcspn(host, "/?");
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return "must not carry a user name or password";
	/* host[:port]; a bracketed IPv6 literal keeps its colons. */
	p = host;
	if (*p == '[') {
		p = memchr(p, ']', (size_t)(end - p));
		if (p == NULL || p == host + 1)
			return shape;
		p++;
	} else {
		while (p < end && *p != ':')
			p++;
		if (p == host)
			return shape;
	}
	if (p < end) {
		long port = 0;

		if (*p != ':' || p + 1 == end)
			return shape;
		for (p++; p < end; p++) {
			if (!isdigit((unsigned char)*p) || (port = port * 10 + (*p - '0')) > 65535)
				return shape;
		}
		if (port == 0)
			return shape;
	}
	return NULL;
}

const char *mh_lower(struct mh_arena *a, const char *s)
{
	char *out;
	const char *p;

	for (p = s; *p && !(*p >= 'A' && *p <= 'Z'); p++)
		;
	if (*p == '\0')
		return s;
	if ((out = mh_arena_strdup(a, s)) == NULL)
		return NULL;
	for (char *q = out + (p - s); *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return out;
}
