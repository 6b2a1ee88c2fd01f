/* unit_curl_easy.c - the core's setup of outbound libcurl transfers (src/core/curl_easy.c):
 * only the named protocols, never the environment's proxy, a bounded wait, the shared error
 * codes, one handle per process. Loopback only, against sockets nobody answers on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/curl_easy.h"
#include "silent_server.h"

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * n;
}

Test(curl_easy, only_the_named_protocols_are_spoken)
{
	CURL *c = curl_easy_init();

	cr_assert_not_null(c);
	cr_assert_eq(mh_curl_easy_setup(c, "https", 1000, NULL), 0);
	curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:9/");
	cr_assert_eq(curl_easy_perform(c), CURLE_UNSUPPORTED_PROTOCOL);
	cr_assert_eq(mh_curl_easy_setup(c, "smtp,smtps", 1000, NULL), 0);
	curl_easy_setopt(c, CURLOPT_URL, "https://127.0.0.1:9/");
	cr_assert_eq(curl_easy_perform(c), CURLE_UNSUPPORTED_PROTOCOL);
	/* A name libcurl does not know is refused, not ignored. */
	cr_assert_eq(mh_curl_easy_setup(c, "nonsense", 1000, NULL), -1);
	curl_easy_cleanup(c);
}

Test(curl_easy, the_environments_proxy_is_not_used_and_the_wait_is_bounded)
{
	int target_port, proxy_port;
	int target = t_silent_server(&target_port), proxy = t_silent_server(&proxy_port);
	char url[64], proxy_url[64];
	CURL *c = curl_easy_init();
	CURLcode rc;

	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", target_port);
	snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%d", proxy_port);
	setenv("http_proxy", proxy_url, 1);
	setenv("ALL_PROXY", proxy_url, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	cr_assert_eq(mh_curl_easy_setup(c, "http,https", 200, NULL), 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OPERATION_TIMEDOUT, "%s", curl_easy_strerror(rc));
	cr_assert_str_eq(mh_curl_error_code(rc), "timeout");
	cr_assert_eq(t_silent_connections(proxy), 0, "went through the environment's proxy");
	cr_assert_eq(t_silent_connections(target), 1);
	curl_easy_cleanup(c);
	close(target);
	close(proxy);
}

Test(curl_easy, the_shared_error_codes_and_none_for_the_rest)
{
	cr_assert_str_eq(mh_curl_error_code(CURLE_COULDNT_RESOLVE_HOST), "dns_error");
	cr_assert_str_eq(mh_curl_error_code(CURLE_COULDNT_CONNECT), "connect_failed");
	cr_assert_str_eq(mh_curl_error_code(CURLE_PEER_FAILED_VERIFICATION), "tls_error");
	cr_assert_str_eq(mh_curl_error_code(CURLE_SSL_CONNECT_ERROR), "tls_error");
	cr_assert_null(mh_curl_error_code(CURLE_LOGIN_DENIED));
	cr_assert_null(mh_curl_error_code(CURLE_UNSUPPORTED_PROTOCOL));
}

Test(curl_easy, one_handle_per_process_made_once_then_reset)
{
	CURL *h = NULL, *first;

	cr_assert_eq(mh_curl_easy_reuse(&h), 0);
	cr_assert_not_null(h);
	first = h;
	cr_assert_eq(mh_curl_easy_reuse(&h), 0);
	cr_assert_eq(h, first);
	curl_easy_cleanup(h);
	curl_global_cleanup();
}
