/* message.c - the RFC 5322 / MIME text of one message: headers, then a multipart/alternative
 * body with the plain-text and the HTML part (8bit when their lines allow, else base64). */
#include "modules/mail/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/buf.h"

/* base64 of data in lines of 76 characters, each ending in CRLF (RFC 2045). */
static void put_base64_lines(struct mh_buf *b, const char *data, size_t len)
{
	unsigned char out[4 * 57 / 3 + 4];

	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		int w = EVP_EncodeBlock(out, (const unsigned char *)data + off, (int)n);

		mh_buf_append(b, out, (size_t)w);
		mh_buf_puts(b, "\r\n");
	}
}

/* A header value: as is when it is printable ASCII, else one RFC 2047 encoded word per
 * chunk (UTF-8, base64). Control characters were already replaced (mail_render). */
static void put_header_text(struct mh_buf *b, const char *s)
{
	size_t len = strlen(s);
	int ascii = 1;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20)
			ascii = 0;
	if (ascii) {
		mh_buf_puts(b, s);
		return;
	}
	/* 45 bytes → 60 characters per word; a UTF-8 sequence is not split across words. */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 45 ? len - off : 45;
		unsigned char out[64];
		int w;

		while (off + n < len && n > 1 && ((unsigned char)s[off + n] & 0xc0) == 0x80)
			n--;
		w = EVP_EncodeBlock(out, (const unsigned char *)s + off, (int)n);
		if (off > 0)
			mh_buf_puts(b, "\r\n ");
		mh_buf_puts(b, "=?UTF-8?B?");
		mh_buf_append(b, out, (size_t)w);
		mh_buf_puts(b, "?=");
		off += n;
	}
}

/* 8bit when every line is short (RFC 5322 allows 998 bytes) and holds no CR or NUL: people
 * and tests can read the message as it is; otherwise base64. Lines end in CRLF either way. */
static void put_part(struct mh_buf *b, const char *boundary, const char *type, const char *s)
{
	size_t line = 0;
	int plain = 1;

	for (const char *p = s; *p && plain; p++) {
		line = *p == '\n' ? 0 : line + 1;
		if (*p == '\r' || line > 900)
			plain = 0;
	}
	mh_buf_printf(b, "--%s\r\nContent-Type: %s; charset=utf-8\r\n", boundary, type);
	if (!plain) {
		mh_buf_puts(b, "Content-Transfer-Encoding: base64\r\n\r\n");
		put_base64_lines(b, s, strlen(s));
		return;
	}
	mh_buf_puts(b, "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (; *s; s++) {
		if (*s == '\n')
			mh_buf_putc(b, '\r');
		mh_buf_putc(b, *s);
	}
	mh_buf_puts(b, "\r\n");
}

char *mail_message_build(struct mh_arena *a, const char *from, const char *from_name,
                         const char *to, const char *subject, const char *text, const char *html,
                         const char *message_id)
{
	unsigned char rnd[12];
	char boundary[64], date[64];
	const char *domain = strchr(from, '@');
	time_t now = time(NULL);
	struct tm tm;
	struct mh_buf b;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || gmtime_r(&now, &tm) == NULL)
		return NULL;
	snprintf(boundary, sizeof(boundary), "=_menhir_");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(boundary + strlen(boundary), sizeof(boundary) - strlen(boundary), "%02x",
		         rnd[i]);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	mh_buf_init(&b, a, strlen(text) * 2 + strlen(html) * 2 + 1024);
	mh_buf_puts(&b, "From: ");
	put_header_text(&b, from_name);
	mh_buf_printf(&b, " <%s>\r\nTo: <%s>\r\nSubject: ", from, to);
	put_header_text(&b, subject);
	mh_buf_printf(&b, "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n", date, message_id,
	              domain ? domain + 1 : "localhost");
	mh_buf_puts(&b, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
	mh_buf_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
	put_part(&b, boundary, "text/plain", text);
	put_part(&b, boundary, "text/html", html);
	mh_buf_printf(&b, "--%s--\r\n", boundary);
	return (char *)mh_buf_cstr(&b);
}
