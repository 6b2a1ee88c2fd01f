/* trace.c - W3C Trace Context: the trace the current request or job belongs to. */
#include "core/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static struct mh_trace current;
static int active;

static int lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int all_zero(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

int mh_trace_parse(const char *s, struct mh_trace *out)
{
	/* 00-<32>-<16>-<2>: the only version there is. A later version may add fields, but
	 * nginx already refused those (nginx/menhir.conf), so there is nothing to skip. */
	if (s == NULL || strlen(s) != MH_TRACEPARENT_SIZE - 1 || strncmp(s, "00-", 3) != 0 ||
	    s[35] != '-' || s[52] != '-' || !lower_hex(s + 3, 32) || !lower_hex(s + 36, 16) ||
	    !lower_hex(s + 53, 2) || all_zero(s + 3, 32) || all_zero(s + 36, 16))
		return 0;
	if (out != NULL) {
		memcpy(out->trace_id, s + 3, 32);
		out->trace_id[32] = '\0';
		memcpy(out->flags, s + 53, 2);
		out->flags[2] = '\0';
	}
	return 1;
}

/* Ids must be unique, not secret; a failed getrandom still yields a usable, rarely
 * repeated value. */
static void random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16] = {0};
	static uint64_t fallback = 0x9E3779B97F4A7C15ull;

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (getrandom(b, nbytes, GRND_NONBLOCK) != (ssize_t)nbytes) {
		fallback = fallback * 6364136223846793005ull + 1442695040888963407ull;
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (unsigned char)(fallback >> (8 * (i % 8))) ^ (unsigned char)i;
	}
	b[0] |= 1; /* never all zero */
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

const struct mh_trace *mh_trace_begin(const char *traceparent, const char *fallback_id)
{
	if (!mh_trace_parse(traceparent, &current)) {
		if (fallback_id != NULL && strlen(fallback_id) == 32 &&
		    lower_hex(fallback_id, 32) && !all_zero(fallback_id, 32))
			memcpy(current.trace_id, fallback_id, 33);
		else
			random_hex(current.trace_id, 16);
		memcpy(current.flags, "01", 3);
	}
	random_hex(current.span_id, 8);
	active = 1;
	return &current;
}

void mh_trace_end(void)
{
	active = 0;
}

const char *mh_trace_id(void)
{
	return active ? current.trace_id : NULL;
}

char *mh_trace_traceparent(char out[MH_TRACEPARENT_SIZE])
{
	if (!active)
		out[0] = '\0';
	else
		snprintf(out, MH_TRACEPARENT_SIZE, "00-%s-%s-%s", current.trace_id, current.span_id,
		         current.flags);
	return out;
}
