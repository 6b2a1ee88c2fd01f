/* curl_easy.c - libcurl easy handles for outbound transfers, set up the one careful way
 * (curl_easy.h). */
#include "core/curl_easy.h"

#include <string.h>

int mh_curl_easy_reuse(CURL **h)
{
	if (*h != NULL) {
		curl_easy_reset(*h);
		return 0;
	}
	/* Counted by libcurl: each caller's first use may call it. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	*h = curl_easy_init();
	return *h != NULL ? 0 : -1;
}

#if LIBCURL_VERSION_NUM < 0x075500
/* Before 7.85 libcurl takes a bit mask; an unknown name sets no bit, so it is refused. */
static long protocol_mask(const char *list)
{
	static const struct {
		const char *name;
		long bit;
	} known[] = {
	        {"http", CURLPROTO_HTTP},
	        {"https", CURLPROTO_HTTPS},
	        {"smtp", CURLPROTO_SMTP},
	        {"smtps", CURLPROTO_SMTPS},
	};
	long mask = 0;

	while (*list != '\0') {
		size_t n = strcspn(list, ",");
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i].name) == n && strncmp(known[i].name, list, n) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return 0;
		mask |= known[i].bit;
		list += n + (list[n] == ',');
	}
	return mask;
}
#endif

int mh_curl_easy_setup(CURL *c, const char *protocols, long timeout_ms, const char *ca_file)
{
	int failed = 0;

	failed |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	/* libcurl's defaults, said out loud: no setting turns them off. */
	failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	if (ca_file != NULL && ca_file[0] != '\0')
		failed |= curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	failed |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
#else
	if (protocol_mask(protocols) == 0)
		return -1;
	failed |= curl_easy_setopt(c, CURLOPT_PROTOCOLS, protocol_mask(protocols)) != CURLE_OK;
	failed |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS) != CURLE_OK;
#endif
	return failed ? -1 : 0;
}

const char *mh_curl_error_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns_error";
	case CURLE_COULDNT_CONNECT: return "connect_failed";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
	case CURLE_SSL_CACERT: /* merged into PEER_FAILED_VERIFICATION in 7.62 */
#endif
		return "tls_error";
	default: return NULL;
	}
}
