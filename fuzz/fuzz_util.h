/* fuzz_util.h - reference checks shared by the fuzz targets, written independently of src/ so
 * a bug there is not copied into the oracle. Header-only: every target is one translation unit. */
#ifndef MH_FUZZ_UTIL_H
#define MH_FUZZ_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A broken contract aborts with a message; ASan turns the abort into a crash report with a
 * stack trace, and libFuzzer writes the input as the reproducer. assert() is not used because
 * an -DNDEBUG build would silently drop the checks.
 */
#define FUZZ_CHECK(cond, ...)                                                             \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz contract broken at %s:%d: %s\n", __FILE__,   \
				__LINE__, #cond);                                           \
			fprintf(stderr, "  " __VA_ARGS__);                                 \
			fprintf(stderr, "\n");                                              \
			abort();                                                          \
		}                                                                         \
	} while (0)

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes), or 0, after Unicode 15
 * table 3-7 (the second byte's range depends on the first byte), as opposed to src/'s
 * decode-then-range-check.
 */
static inline size_t fuzz_utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c <= 0x7F)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c == 0xE0)
		n = 3, lo = 0xA0;
	else if (c == 0xED)
		n = 3, hi = 0x9F;
	else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
		n = 3;
	else if (c == 0xF0)
		n = 4, lo = 0x90;
	else if (c >= 0xF1 && c <= 0xF3)
		n = 4;
	else if (c == 0xF4)
		n = 4, hi = 0x8F;
	else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return n;
}

/* Number of code points when s[0..len) is well-formed UTF-8 (NUL allowed only when
 * allow_nul), else -1. */
static inline long fuzz_utf8_check(const unsigned char *s, size_t len, int allow_nul)
{
	size_t i = 0, n;
	long cps = 0;

	while (i < len) {
		if (s[i] == 0 && !allow_nul)
			return -1;
		n = fuzz_utf8_seq(s + i, len - i);
		if (n == 0)
			return -1;
		i += n;
		cps++;
	}
	return cps;
}

/* Unpadded base64url of in[0..len) into out (needs len / 3 * 4 + 4 bytes); returns its length. */
static inline size_t fuzz_b64url(const unsigned char *in, size_t len, char *out)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i == 1) {
		out[o++] = alpha[in[i] >> 2];
		out[o++] = alpha[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 8 | in[i + 1];

		out[o++] = alpha[v >> 10 & 63];
		out[o++] = alpha[v >> 4 & 63];
		out[o++] = alpha[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

#endif
