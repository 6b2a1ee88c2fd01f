/* buf.c - growable byte buffer whose storage lives in a request arena. */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

void mh_buf_init(struct mh_buf *b, struct mh_arena *a, size_t initial)
{
	b->arena = a;
	b->len = 0;
	b->failed = 0;
	b->cap = initial < 64 ? 64 : initial;
	b->data = mh_arena_alloc(a, b->cap);
	if (b->data == NULL) {
		b->cap = 0;
		b->failed = 1;
	}
}

/* Keeps room for one more byte than asked so mh_buf_cstr can terminate. */
static int reserve(struct mh_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -1;
	if (extra >= ((size_t)-1) / 2 - b->len) {
		b->failed = 1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap * 2;
	while (cap < want)
		cap *= 2;
	p = mh_arena_alloc(b->arena, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	memcpy(p, b->data, b->len);
	b->data = p;
	b->cap = cap;
	return 0;
}

void mh_buf_append(struct mh_buf *b, const void *data, size_t len)
{
	if (reserve(b, len) < 0)
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void mh_buf_puts(struct mh_buf *b, const char *s)
{
	mh_buf_append(b, s, strlen(s));
}

void mh_buf_putc(struct mh_buf *b, char c)
{
	if (reserve(b, 1) < 0)
		return;
	b->data[b->len++] = c;
}

void mh_buf_printf(struct mh_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void mh_buf_json_string(struct mh_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	mh_buf_putc(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		mh_buf_append(b, s + i - run, run);
		run = 0;
		if (c >= 0x80) {
			n = mh_utf8_seq_len(s + i, len - i);
			if (n == 0) {
				mh_buf_puts(b, "\\ufffd");
				i++;
			} else {
				mh_buf_append(b, s + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"': mh_buf_puts(b, "\\\""); break;
		case '\\': mh_buf_puts(b, "\\\\"); break;
		case '\n': mh_buf_puts(b, "\\n"); break;
		case '\r': mh_buf_puts(b, "\\r"); break;
		case '\t': mh_buf_puts(b, "\\t"); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			mh_buf_append(b, esc, sizeof(esc));
		}
		}
		i++;
	}
	mh_buf_append(b, s + i - run, run);
	mh_buf_putc(b, '"');
}

void mh_buf_json_cstr(struct mh_buf *b, const char *s)
{
	if (s == NULL)
		mh_buf_puts(b, "null");
	else
		mh_buf_json_string(b, s, strlen(s));
}

const char *mh_buf_cstr(struct mh_buf *b)
{
	if (b->failed || reserve(b, 0) < 0)
		return NULL;
	b->data[b->len] = '\0';
	return b->data;
}
