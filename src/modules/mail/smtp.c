/* smtp.c - one message handed to an SMTP server with libcurl: smtp:// (STARTTLS required
 * unless smtp_starttls = false, for a loopback relay) or smtps://, AUTH with the URL's
 * credentials when it carries some. The server's certificate and host name are always
 * verified, against smtp_ca_file or the system's store: a certificate that does not verify
 * is a failed attempt (retried), and nothing but EHLO and STARTTLS has gone in the clear. */
#include "modules/mail/internal.h"

#include <string.h>

#include <curl/curl.h>

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

static const char *curl_error_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns_error";
	case CURLE_COULDNT_CONNECT: return "connect_failed";
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
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
	if (curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    (curl = curl_easy_init()) == NULL) {
			s->error_code = "internal_error";
			s->error = "cannot start the SMTP client";
			return -1;
		}
	} else {
		curl_easy_reset(curl);
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
	/* libcurl's defaults, said out loud: no setting turns them off. */
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (mail_settings.smtp_ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, mail_settings.smtp_ca_file);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)mail_settings.smtp_timeout);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)mail_settings.smtp_timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_SMTP | CURLPROTO_SMTPS);
#endif
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
