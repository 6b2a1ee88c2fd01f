/* query.c - application/x-www-form-urlencoded parsing into the request arena. */
#include "core/query.h"

#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *mh_url_decode(struct mh_arena *a, const char *s, size_t len)
{
	char *out = mh_arena_alloc(a, len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;
			if (len - i < 3)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return mh_utf8_valid(out, o) ? out : NULL;
}

int mh_query_parse(struct mh_arena *a, const char *qs, struct mh_kv **out, const char **err)
{
	struct mh_kv *kv;
	size_t n = 0;
	const char *p = qs;

	*out = NULL;
	if (qs == NULL || *qs == '\0')
		return 0;
	kv = mh_arena_alloc(a, sizeof(*kv) * MH_QUERY_MAX_PARAMS);
	if (kv == NULL) {
		*err = "out of memory";
		return -1;
	}
	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		size_t seglen = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seglen);
		size_t klen = eq ? (size_t)(eq - p) : seglen;

		if (seglen > 0) {
			if (n == MH_QUERY_MAX_PARAMS) {
				*err = "too many query parameters";
				return -1;
			}
			if (klen == 0) {
				*err = "query parameter with an empty name";
				return -1;
			}
			kv[n].key = mh_url_decode(a, p, klen);
			kv[n].value = eq ? mh_url_decode(a, eq + 1, seglen - klen - 1)
					 : mh_arena_strdup(a, "");
			if (kv[n].key == NULL || kv[n].value == NULL) {
				*err = "malformed percent-encoding or invalid UTF-8 in the query string";
				return -1;
			}
			n++;
		}
		p += seglen;
		if (*p == '&')
			p++;
	}
	*out = kv;
	return (int)n;
}
