/* feature_redact.c - the redact feature: a copy of the body with e-mail addresses, phone
 * numbers and card-like numbers masked as [email], [phone] and [card]; the job stores it as
 * a new version of the document.
 *
 * What counts (ASCII patterns; everything else is copied byte for byte):
 * - e-mail: local@domain, local part of letters, digits and ._%+-, domain of two labels or
 *   more whose last one (the TLD) is at least two letters;
 * - card: 13 to 19 digits, optionally grouped by single spaces or dashes, that pass the Luhn
 *   check (a 16-digit number failing it stays);
 * - phone: 7 to 15 digits, optionally after + (country code), grouped by single spaces or
 *   dashes, with an area code in parentheses allowed. A run without any separator counts
 *   only after + or with a leading 0 (a trunk prefix), so ids and timestamps stay. Dots are
 *   not separators: 10.0.19041.1 and 192.168.1.10 stay. Dates (2024-01-15, 15-01-2024) and
 *   year ranges (2019-2024) stay.
 * A number glued to a letter, or to . , / : - followed by a digit (3.50, 10:30, 1/2), is part
 * of something else and stays. Masking errs toward privacy: a long grouped number that is
 * none of the exceptions above (an ISBN, say) may be masked as a phone number. */
#include "modules/processing/features.h"

#include <string.h>

enum kind { KIND_EMAIL, KIND_PHONE, KIND_CARD, KIND__MAX };
static const char *const masks[KIND__MAX] = {"[email]", "[phone]", "[card]"};
static const char *const kind_names[KIND__MAX] = {"email", "phone", "card"};

struct hit {
	size_t start, end;
	enum kind kind;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

static int is_local_char(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_domain_char(char c)
{
	return is_alnum(c) || c == '-';
}

/* The e-mail address around the '@' at s[at], not starting before from: 1 with its span. */
static int email_at(const char *s, size_t len, size_t from, size_t at, struct hit *h)
{
	size_t l = at, r = at + 1, dot = 0;

	while (l > from && is_local_char(s[l - 1]))
		l--;
	while (l < at && s[l] == '.')
		l++;
	if (l == at)
		return 0;
	/* Labels joined by single dots; the address ends before a dot that starts nothing. */
	for (;;) {
		size_t start = r;

		while (r < len && is_domain_char(s[r]))
			r++;
		if (r == start)
			return 0;
		if (r + 1 < len && s[r] == '.' && is_domain_char(s[r + 1])) {
			dot = r++;
			continue;
		}
		break;
	}
	while (r > at + 1 && s[r - 1] == '-')
		r--;
	if (dot == 0 || dot + 3 > r)
		return 0;
	for (size_t i = dot + 1; i < r; i++)
		if (!is_alpha(s[i]))
			return 0;
	h->start = l;
	h->end = r;
	h->kind = KIND_EMAIL;
	return 1;
}

/* A run of digit groups, as parse_number read it. */
struct number {
	size_t end;
	int digits, groups, separators, plus, paren;
	int glen[3];  /* digits in each of the first three groups */
	long gval[3]; /* and their values (when short enough) */
	char d[19];   /* the first 19 digits */
};

/*
 * Reads ["+"] group (sep group)* at s[i], where a group is digits or "(" digits ")" and sep
 * is one space or dash (none needed after a parenthesis), never reaching limit. Returns 1
 * with n filled, 0 when no group starts at i.
 */
static int parse_number(const char *s, size_t limit, size_t i, struct number *n)
{
	size_t p = i;

	memset(n, 0, sizeof(*n));
	if (p < limit && s[p] == '+') {
		n->plus = 1;
		p++;
	}
	for (;;) {
		int paren = p < limit && s[p] == '(';
		size_t q = p + (size_t)paren, start = q;
		long value = 0;

		while (q < limit && is_digit(s[q]))
			q++;
		if (q == start || (paren && (q >= limit || s[q] != ')')))
			break;
		for (size_t k = start; k < q; k++, n->digits++) {
			if (n->digits < (int)sizeof(n->d))
				n->d[n->digits] = s[k];
			if (q - start <= 9)
				value = value * 10 + (s[k] - '0');
		}
		if (n->groups < 3) {
			n->glen[n->groups] = (int)(q - start);
			n->gval[n->groups] = value;
		}
		n->groups++;
		n->paren |= paren;
		p = q + (size_t)paren;
		n->end = p;
		q = p;
		if (q < limit && (s[q] == ' ' || s[q] == '-'))
			q++;
		if (q < limit &&
		    (is_digit(s[q]) || (s[q] == '(' && q + 1 < limit && is_digit(s[q + 1])))) {
			n->separators += q > p;
			p = q;
			continue;
		}
		break;
	}
	return n->groups > 0;
}

static int luhn_ok(const struct number *n)
{
	int sum = 0;

	for (int i = n->digits - 1, k = 0; i >= 0; i--, k++) {
		int d = n->d[i] - '0';

		if (k % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

static int looks_like_date(const struct number *n)
{
	return !n->plus && !n->paren && n->groups >= 3 &&
	       ((n->glen[0] == 4 && n->glen[1] == 2 && n->glen[2] == 2) ||
	        (n->glen[0] == 2 && n->glen[1] == 2 && n->glen[2] == 4));
}

static int looks_like_years(const struct number *n)
{
	return !n->plus && !n->paren && n->groups == 2 && n->glen[0] == 4 && n->glen[1] == 4 &&
	       n->gval[0] >= 1000 && n->gval[0] <= 2999 && n->gval[1] >= 1000 && n->gval[1] <= 2999;
}

/* A number glued to what precedes s[i] belongs to something else (v1, 3.14, 10:30). */
static int starts_clean(const char *s, size_t i)
{
	char c = i > 0 ? s[i - 1] : ' ';

	return !is_alnum(c) && c != '_' && c != '.' && c != ',' && c != '/' && c != ':' &&
	       c != '-' && c != '+' && c != '@';
}

static int ends_clean(const char *s, size_t len, size_t end)
{
	char c = end < len ? s[end] : ' ';

	if (is_alnum(c) || c == '_' || c == '@')
		return 0;
	return !((c == '.' || c == ',' || c == '/' || c == ':' || c == '-') && end + 1 < len &&
	         is_digit(s[end + 1]));
}

/* The card or phone number starting at s[i] (before limit): 1 with its span. *skip is where
 * scanning resumes either way, so no suffix of a refused number is tried again. */
static int number_at(const char *s, size_t len, size_t limit, size_t i, struct hit *h, size_t *skip)
{
	struct number n;

	*skip = i + 1;
	if (!(is_digit(s[i]) || ((s[i] == '+' || s[i] == '(') && i + 1 < limit &&
	                         (is_digit(s[i + 1]) || s[i + 1] == '('))))
		return 0;
	if (!starts_clean(s, i) || !parse_number(s, limit, i, &n))
		return 0;
	*skip = n.end > i ? n.end : i + 1;
	if (!ends_clean(s, len, n.end))
		return 0;
	h->start = i;
	h->end = n.end;
	if (n.digits >= 13 && n.digits <= 19 && !n.plus && !n.paren && luhn_ok(&n)) {
		h->kind = KIND_CARD;
		return 1;
	}
	if (n.digits < 7 || n.digits > 15 || looks_like_date(&n) || looks_like_years(&n))
		return 0;
	if (!n.plus && !n.paren && n.separators == 0 && s[i] != '0')
		return 0;
	h->kind = KIND_PHONE;
	return 1;
}

/* The next e-mail address at or after from, or none (start = len). */
static struct hit next_email(const char *s, size_t len, size_t from)
{
	struct hit h = {len, len, KIND_EMAIL};

	for (const char *at = memchr(s + from, '@', len - from); at != NULL;
	     at = memchr(at + 1, '@', len - (size_t)(at + 1 - s))) {
		if (email_at(s, len, from, (size_t)(at - s), &h))
			return h;
	}
	h.start = h.end = len;
	return h;
}

/* {"redactions", "counts": {"email", "phone", "card"}, "changed", "bytes_before",
 *  "bytes_after"}; out->body is the masked copy. */
static int redact_run(const char *body, size_t len, const struct feature_params *p,
                      struct mh_arena *a, struct feature_result *out)
{
	struct mh_buf copy;
	struct hit email = next_email(body, len, 0), h;
	size_t counts[KIND__MAX] = {0}, copied = 0, i = 0, skip;

	(void)p;
	mh_buf_init(&copy, a, len + 64);
	while (i < len) {
		if (i == email.start) {
			h = email;
			email = next_email(body, len, email.end);
		} else if (!number_at(body, len, email.start, i, &h, &skip)) {
			i = skip;
			continue;
		}
		mh_buf_append(&copy, body + copied, h.start - copied);
		mh_buf_puts(&copy, masks[h.kind]);
		counts[h.kind]++;
		copied = i = h.end;
	}
	mh_buf_append(&copy, body + copied, len - copied);
	if ((out->body = mh_buf_cstr(&copy)) == NULL)
		return feature_fail(out, "out_of_memory",
		                    "the redacted copy did not fit in memory");
	out->body_len = copy.len;
	out->changed = copy.len != len || memcmp(out->body, body, len) != 0;
	mh_buf_printf(&out->json, "{\"redactions\":%zu,\"counts\":{",
	              counts[0] + counts[1] + counts[2]);
	for (int k = 0; k < KIND__MAX; k++)
		mh_buf_printf(&out->json, "%s\"%s\":%zu", k ? "," : "", kind_names[k], counts[k]);
	mh_buf_printf(&out->json, "},\"changed\":%s,\"bytes_before\":%zu,\"bytes_after\":%zu}",
	              out->changed ? "true" : "false", len, copy.len);
	return 0;
}

static int redact_validate(struct json_object *params, struct mh_arena *a,
                           struct feature_params *out, struct feature_errors *e)
{
	static const char *const names[] = {NULL};

	memset(out, 0, sizeof(*out));
	out->canonical = "{}";
	return feature_check_members(params, names, a, e);
}

const struct processing_feature feature_redact = {
        .name = "redact",
        .description = "a new version of the document with e-mail addresses, phone numbers and "
                       "card numbers masked",
        .validate = redact_validate,
        .run = redact_run,
        .rewrites_document = 1,
        .min_role = MH_ROLE_MEMBER,
};
