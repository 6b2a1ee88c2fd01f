/* unit_curl_easy.c - the core's setup of outbound libcurl transfers (src/core/curl_easy.c):
 * only the named protocols, never the environment's proxy, a bounded wait, the shared error
 * codes, one handle per process. Loopback only, against sockets nobody answers on. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/curl_easy.h"

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * n;
}

/* A listening socket nobody accepts on: a connect completes, nothing ever answers. */
static int silent_server(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The connections made to it so far (accepted now, and closed). */
static int connections(int fd)
{
	int n = 0, c;

	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "accept: %s", strerror(errno));
	return n;
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
	int target = silent_server(&target_port), proxy = silent_server(&proxy_port);
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
	cr_assert_eq(connections(proxy), 0, "went through the environment's proxy");
	cr_assert_eq(connections(target), 1);
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
