/* smtp.c - one message handed to an SMTP server with libcurl: smtp:// (STARTTLS required
 * unless smtp_starttls = false, for a loopback relay) or smtps://, AUTH with the URL's
 * credentials when it carries some. The server's certificate and host name are always
 * verified, against smtp_ca_file or the system's store: a certificate that does not verify
 * is a failed attempt (retried), and nothing but EHLO and STARTTLS has gone in the clear. */
#include "modules/mail/internal.h"

#include <string.h>

#include <curl/curl.h>

#include "core/curl_easy.h"
#include "core/scoreboard.h"

/* One easy handle per runner process, made on first use (never in `menhir serve`), reset
 * between messages. A connection per message (FORBID_REUSE: QUIT after each): mail is rare,
 * and an idle connection left in the cache holds a slot of the server for nothing. */
static CURL *curl;

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_message(char *buf, size_t size, size_t n, void *clientp)
{
	struct upload *u = clientp;
	size_t room = size * n, left = u->len - u->off;
	size_t k = left < room ? left : room;

	memcpy(buf, u->data + u->off, k);
	u->off += k;
	return k;
}

/* The transport's code (core/curl_easy.h), and SMTP's own: STARTTLS refused and a bad
 * smtp_ca_file are TLS failures too. */
static const char *curl_error_code(CURLcode rc)
{
	const char *code = mh_curl_error_code(rc);

	if (code != NULL)
		return code;
	switch (rc) {
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CACERT_BADFILE: return "tls_error";
	case CURLE_LOGIN_DENIED: return "auth_failed";
	default: return "smtp_error";
	}
}

int mail_smtp_send(struct mail_send *s)
{
	struct upload up = {s->message, strlen(s->message), 0};
	struct curl_slist *rcpt = NULL;
	char from[300], to[300];
	int64_t started = mh_now_us();
	long code = 0;
	CURLcode rc;

	s->smtp_code = 0;
	s->error_code = NULL;
	s->error = NULL;
	s->permanent = 0;
	if (mh_curl_easy_reuse(&curl) < 0 ||
	    mh_curl_easy_setup(curl, "smtp,smtps", (long)mail_settings.smtp_timeout,
	                       mail_settings.smtp_ca_file) < 0) {
		s->error_code = "internal_error";
		s->error = "cannot start the SMTP client";
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", s->from);
	snprintf(to, sizeof(to), "<%s>", s->to);
	if ((rcpt = curl_slist_append(NULL, to)) == NULL) {
		s->error_code = "internal_error";
		s->error = "out of memory";
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, mail_settings.smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
	                 mail_settings.smtp_starttls ? (long)CURLUSESSL_ALL
	                                             : (long)CURLUSESSL_NONE);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	s->duration_ms = (mh_now_us() - started) / 1000;
	s->smtp_code = code;
	if (rc == CURLE_OK)
		return 0;
	if (code >= 400) {
		s->error_code = "smtp_refused";
		s->permanent = code >= 500;
	} else {
		s->error_code = curl_error_code(rc);
	}
	/* libcurl's generic text, never its error buffer: that one can quote the server. */
	s->error = curl_easy_strerror(rc);
	return -1;
}
