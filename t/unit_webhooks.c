/* unit_webhooks.c - the webhook target policy (url.c) and the signature (sign.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "modules/webhooks/internal.h"
#include "webhook_receiver.h"

static void accept_url(const char *url, int allow_private)
{
	const char *why = NULL;
	int rc = webhooks_url_check(url, allow_private, &why);
	cr_expect_eq(rc, 0, "refused %s (allow_private=%d): %s", url, allow_private,
	             why ? why : "?");
}

static void refuse_url(const char *url, int allow_private, const char *reason)
{
	const char *why = NULL;
	int rc = webhooks_url_check(url, allow_private, &why);
	cr_expect_eq(rc, -1, "accepted %s (allow_private=%d)", url, allow_private);
	if (rc == -1) {
		cr_expect_not_null(why, "no reason for %s", url);
		if (reason != NULL && why != NULL)
			cr_expect(strstr(why, reason) != NULL, "%s: reason '%s', expected '%s'",
			          url, why, reason);
	}
}

#define PRIVATE "private, loopback or reserved"

Test(url, accepts_public_https_urls)
{
	accept_url("https://example.com/hook", 0);
	accept_url("https://example.com", 0);
	accept_url("HTTPS://Example.COM:8443/a/b?c=d&e=f", 0);
	accept_url("https://hooks.example.co.uk./x", 0);
	accept_url("https://93.184.216.34/hook", 0);
	accept_url("https://[2606:2800:220:1:248:1893:25c8:1946]/hook", 0);
	accept_url("https://[2606:2800:220:1:248:1893:25c8:1946]:443/hook", 0);
	accept_url("https://a_b.example.com/", 0);
	/* Near the forbidden ranges, outside them. */
	accept_url("https://172.32.0.1/", 0);
	accept_url("https://100.128.0.1/", 0);
	accept_url("https://169.255.0.1/", 0);
	accept_url("https://11.0.0.1/", 0);
	accept_url("https://[::ffff:8.8.8.8]/", 0);
	accept_url("https://notlocalhost/", 0);
	accept_url("https://localhost.example.com/", 0);
}

Test(url, requires_https_unless_private_targets_are_allowed)
{
	refuse_url("http://example.com/hook", 0, "https");
	accept_url("http://example.com/hook", 1);
	refuse_url("ftp://example.com/hook", 1, "https");
	refuse_url("file:///etc/passwd", 1, NULL);
	refuse_url("gopher://example.com/", 1, NULL);
	refuse_url("//example.com/hook", 1, NULL);
	refuse_url("/hook", 1, NULL);
	refuse_url("example.com/hook", 1, NULL);
	refuse_url("https:example.com", 1, NULL);
}

Test(url, refuses_malformed_urls_whatever_the_mode)
{
	char long_url[2100];

	for (int allow = 0; allow <= 1; allow++) {
		refuse_url(NULL, allow, "empty");
		refuse_url("", allow, "empty");
		refuse_url("https://", allow, "no host");
		refuse_url("https:///path", allow, "no host");
		refuse_url("https://:443/", allow, "no host");
		refuse_url("https://user:pass@example.com/", allow, "user name");
		refuse_url("https://user@example.com/", allow, "user name");
		refuse_url("https://evil.com@127.0.0.1/", allow, "user name");
		refuse_url("https://example.com/#frag", allow, "fragment");
		refuse_url("https://example.com#", allow, "fragment");
		refuse_url("https://example.com:0/", allow, "port");
		refuse_url("https://example.com:65536/", allow, "port");
		refuse_url("https://example.com:/", allow, "port");
		refuse_url("https://example.com:8x/", allow, "port");
		refuse_url("https://example.com:123456/", allow, "port");
		refuse_url("https://exa mple.com/", allow, "character");
		refuse_url("https://example.com/a b", allow, "character");
		refuse_url("https://example.com\\@127.0.0.1/", allow, "character");
		refuse_url("https://example.com/\n", allow, "character");
		refuse_url("https://ex\xc3\xa4mple.com/", allow, "character");
		refuse_url("https://ex%61mple.com/", allow, "invalid host");
		refuse_url("https://.example.com/", allow, "invalid host");
		refuse_url("https://example..com/", allow, "invalid host");
		refuse_url("https://[::1/", allow, "invalid IP");
		refuse_url("https://[fe80::1%25eth0]/", allow, "invalid IP");
		refuse_url("https://[::1]x/", allow, "invalid host");
		refuse_url("https://[]/", allow, "invalid IP");
		refuse_url("https://256.0.0.1/", allow, "invalid IP");
		refuse_url("https://1.2.3.4.5/", allow, "invalid IP");
		refuse_url("https://08.0.0.1/", allow, "invalid IP");
		refuse_url("https://example.123/", allow, "invalid IP");
	}
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "https://example.com/", 20);
	long_url[2000] = '\0';
	accept_url(long_url, 0);
	long_url[2000] = 'a';
	long_url[2001] = '\0';
	refuse_url(long_url, 0, "2000");
}

Test(url, refuses_private_addresses_in_every_spelling)
{
	static const char *const forbidden[] = {
	        "https://127.0.0.1/",
	        "https://127.1.2.3:8443/hook",
	        "https://127.0.0.1./",
	        "https://2130706433/", /* 127.0.0.1 as one decimal number */
	        "https://0x7f000001/", /* ... as one hex number */
	        "https://0x7f.1/",     /* two parts, hex */
	        "https://0177.0.0.1/", /* octal */
	        "https://127.1/",      /* two parts */
	        "https://0/",          /* unspecified */
	        "https://0.0.0.0/",
	        "https://10.1.2.3/",
	        "https://012.1.2.3/", /* 10.1.2.3 in octal */
	        "https://172.16.0.1/",
	        "https://172.31.255.255/",
	        "https://192.168.1.1/",
	        "https://169.254.169.254/latest/meta-data/", /* cloud metadata */
	        "https://100.64.0.1/",
	        "https://100.127.255.255/",
	        "https://224.0.0.1/",
	        "https://239.255.255.250/",
	        "https://255.255.255.255/",
	        "https://240.0.0.1/",
	        "https://[::1]/",
	        "https://[::]/",
	        "https://[0:0:0:0:0:0:0:1]:8080/",
	        "https://[::ffff:127.0.0.1]/",
	        "https://[::ffff:7f00:1]/",
	        "https://[::ffff:10.0.0.1]/",
	        "https://[::ffff:169.254.169.254]/",
	        "https://[::127.0.0.1]/",
	        "https://[64:ff9b::10.0.0.1]/",
	        "https://[2002:7f00:1::]/",
	        "https://[fc00::1]/",
	        "https://[fd12:3456::1]/",
	        "https://[fe80::1]/",
	        "https://[febf::1]/",
	        "https://[ff02::1]/",
	        "https://localhost/",
	        "https://LOCALHOST:8443/hook",
	        "https://localhost./",
	        "https://api.localhost/",
	        "https://a.b.LocalHost/",
	};
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(*forbidden); i++) {
		refuse_url(forbidden[i], 0, PRIVATE);
		accept_url(forbidden[i], 1); /* the test configuration's loopback receivers */
	}
}

Test(url, reason_is_optional)
{
	cr_assert_eq(webhooks_url_check("https://127.0.0.1/", 0, NULL), -1);
	cr_assert_eq(webhooks_url_check("https://example.com/", 0, NULL), 0);
}

static int forbidden4(const char *text)
{
	unsigned char a[4];
	cr_assert_eq(inet_pton(AF_INET, text, a), 1, "%s", text);
	return webhooks_address_forbidden(AF_INET, a);
}

static int forbidden6(const char *text)
{
	unsigned char a[16];
	cr_assert_eq(inet_pton(AF_INET6, text, a), 1, "%s", text);
	return webhooks_address_forbidden(AF_INET6, a);
}

/* What the delivery checks on every address it connects to, whatever DNS said. */
Test(url, connect_time_address_policy)
{
	cr_expect(forbidden4("127.0.0.1"));
	cr_expect(forbidden4("10.0.0.1"));
	cr_expect(forbidden4("172.20.0.1"));
	cr_expect(forbidden4("192.168.0.1"));
	cr_expect(forbidden4("169.254.169.254"));
	cr_expect(forbidden4("100.64.0.1"));
	cr_expect(forbidden4("0.0.0.0"));
	cr_expect(forbidden4("224.0.0.1"));
	cr_expect(forbidden4("255.255.255.255"));
	cr_expect(!forbidden4("8.8.8.8"));
	cr_expect(!forbidden4("172.15.255.255"));
	cr_expect(!forbidden4("100.63.255.255"));
	cr_expect(forbidden6("::1"));
	cr_expect(forbidden6("::"));
	cr_expect(forbidden6("::ffff:127.0.0.1"));
	cr_expect(forbidden6("::ffff:192.168.0.1"));
	cr_expect(forbidden6("fd00::1"));
	cr_expect(forbidden6("fe80::1"));
	cr_expect(forbidden6("ff02::1"));
	cr_expect(!forbidden6("2606:4700::1111"));
	cr_expect(!forbidden6("::ffff:8.8.8.8"));
	cr_expect(webhooks_address_forbidden(AF_UNIX, (const unsigned char *)"x"));
}

/* ---- Signatures -------------------------------------------------------------------------- */

#define VEC_SECRET "whsec_test_vector_secret_0123456789"
#define VEC_BODY "{\"id\":\"evt_1\",\"type\":\"job.succeeded\"}"
/* printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac '<secret>' */
#define VEC_SIG "t=1700000000,v1=0011fec1efff0fe8b7f797acbc399fa0f4469a8677852668e3efce705023641c"

Test(sign, known_vector)
{
	char sig[WEBHOOKS_SIGNATURE_SIZE];

	cr_assert_eq(webhooks_sign(VEC_SECRET, 1700000000, VEC_BODY, strlen(VEC_BODY), sig), 0);
	cr_assert_str_eq(sig, VEC_SIG);
	/* An empty body still signs "<t>." */
	cr_assert_eq(webhooks_sign(VEC_SECRET, 1700000000, "", 0, sig), 0);
	cr_assert_str_eq(sig, "t=1700000000,v1=6271c027ac4c6fcf5b4b5f3e9ab5a1a7bc70364e3f2af17d363f"
			      "4159af9954b5");
	cr_assert_eq(webhooks_sign("", 1, "x", 1, sig), -1);
	cr_assert_eq(webhooks_sign(NULL, 1, "x", 1, sig), -1);
}

Test(sign, verify_accepts_the_signature_within_the_window)
{
	size_t n = strlen(VEC_BODY);

	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n, 1700000000, 300),
		     WEBHOOKS_SIG_OK);
	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n, 1700000300, 300),
		     WEBHOOKS_SIG_OK);
	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n, 1699999700, 300),
		     WEBHOOKS_SIG_OK);
	/* Order and unknown schemes do not matter; any matching v1 does (secret rotation). */
	cr_assert_eq(webhooks_verify(VEC_SECRET,
				     "v0=abc,v1=" "00000000000000000000000000000000"
				     "00000000000000000000000000000000,"
				     "v1=0011fec1efff0fe8b7f797acbc399fa0f4469a8677852668e3efce705023641c,"
				     "t=1700000000",
				     VEC_BODY, n, 1700000000, 300),
		     WEBHOOKS_SIG_OK);
}

Test(sign, verify_refuses_stale_or_future_timestamps)
{
	size_t n = strlen(VEC_BODY);

	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n, 1700000301, 300),
		     WEBHOOKS_SIG_STALE);
	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n, 1699999699, 300),
		     WEBHOOKS_SIG_STALE);
}

Test(sign, verify_refuses_any_change)
{
	size_t n = strlen(VEC_BODY);
	char sig[sizeof(VEC_SIG)], body[sizeof(VEC_BODY)];

	cr_assert_eq(webhooks_verify("whsec_another_secret_0123456789abc", VEC_SIG, VEC_BODY, n,
				     1700000000, 300),
		     WEBHOOKS_SIG_MISMATCH);
	memcpy(body, VEC_BODY, sizeof(body));
	body[7] = '2';
	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, body, n, 1700000000, 300),
		     WEBHOOKS_SIG_MISMATCH);
	cr_assert_eq(webhooks_verify(VEC_SECRET, VEC_SIG, VEC_BODY, n - 1, 1700000000, 300),
		     WEBHOOKS_SIG_MISMATCH);
	/* The timestamp is signed: moving it breaks the signature. */
	memcpy(sig, VEC_SIG, sizeof(sig));
	sig[11] = '1';
	cr_assert_eq(webhooks_verify(VEC_SECRET, sig, VEC_BODY, n, 1700000001, 300),
		     WEBHOOKS_SIG_MISMATCH);
	/* One changed hex digit, and a truncated signature. */
	memcpy(sig, VEC_SIG, sizeof(sig));
	sig[sizeof(sig) - 2] = sig[sizeof(sig) - 2] == 'c' ? 'd' : 'c';
	cr_assert_eq(webhooks_verify(VEC_SECRET, sig, VEC_BODY, n, 1700000000, 300),
		     WEBHOOKS_SIG_MISMATCH);
	memcpy(sig, VEC_SIG, sizeof(sig));
	sig[sizeof(sig) - 3] = '\0';
	cr_assert_eq(webhooks_verify(VEC_SECRET, sig, VEC_BODY, n, 1700000000, 300),
		     WEBHOOKS_SIG_MISMATCH);
}

Test(sign, verify_refuses_malformed_headers)
{
	static const char *const bad[] = {
		"",
		"v1=0011fec1efff0fe8b7f797acbc399fa0f4469a8677852668e3efce705023641c",
		"t=1700000000",
		"t=,v1=00",
		"t=17x,v1=00",
		"t=-1700000000,v1=00",
		"t=1700000000,t=1700000000,v1=00",
		"t=99999999999999999999,v1=00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(webhooks_verify(VEC_SECRET, bad[i], VEC_BODY, strlen(VEC_BODY),
					     1700000000, 300),
			     WEBHOOKS_SIG_MALFORMED, "%s", bad[i]);
	cr_expect_eq(webhooks_verify(VEC_SECRET, NULL, "", 0, 0, 300), WEBHOOKS_SIG_MALFORMED);
	cr_expect_eq(webhooks_verify("", VEC_SIG, "", 0, 1700000000, 300), WEBHOOKS_SIG_MALFORMED);
}

Test(sign, secrets_are_prefixed_random_base64url)
{
	char a[WEBHOOKS_SECRET_SIZE], b[WEBHOOKS_SECRET_SIZE];

	cr_assert_eq(webhooks_secret_new(a), 0);
	cr_assert_eq(webhooks_secret_new(b), 0);
	cr_assert_eq(strlen(a), WEBHOOKS_SECRET_SIZE - 1);
	cr_assert_eq(strncmp(a, "whsec_", 6), 0);
	cr_assert_str_neq(a, b);
	for (size_t i = 6; a[i]; i++)
		cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 a[i]) != NULL,
			  "%s", a);
}

/* ---- The POST (a real socket on loopback, no stack needed) --------------------------------- */

static struct t_receiver rcv;

static void post_to(const char *url, int allow_private, int timeout_ms, struct webhooks_post *p)
{
	static const char body[] = "{\"id\":\"evt_1\"}";

	memset(p, 0, sizeof(*p));
	p->url = url;
	p->body = body;
	p->len = sizeof(body) - 1;
	p->signature = "t=1,v1=00";
	p->event_id = "evt_1";
	p->allow_private = allow_private;
	p->timeout_ms = timeout_ms;
	webhooks_http_post(p);
}

static void start(const char *const *script, int n)
{
	cr_assert_eq(t_receiver_start(&rcv, script, n), 0);
}

Test(post, sends_the_signed_event_and_reports_the_status)
{
	static const char *const script[] = { T_HTTP_204 };
	struct webhooks_post p;
	char url[64], *v;

	start(script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook?x=1", rcv.port);
	post_to(url, 1, 2000, &p);
	cr_assert_eq(p.status, 204, "%s: %s", p.error_code ? p.error_code : "", p.error ? p.error : "");
	cr_assert_eq(t_receiver_wait(&rcv, 1, 1000), 1);
	cr_assert(strncmp(rcv.received[0].head, "POST /hook?x=1 HTTP/1.1\r\n", 25) == 0, "%s",
		  rcv.received[0].head);
	cr_assert_str_eq(rcv.received[0].body, "{\"id\":\"evt_1\"}");
	cr_assert_str_eq(v = t_received_header(&rcv.received[0], "Content-Type"), "application/json");
	free(v);
	cr_assert_str_eq(v = t_received_header(&rcv.received[0], "User-Agent"), "Menhir-Webhooks/1");
	free(v);
	cr_assert_str_eq(v = t_received_header(&rcv.received[0], "Menhir-Signature"), "t=1,v1=00");
	free(v);
	cr_assert_str_eq(v = t_received_header(&rcv.received[0], "Menhir-Event-Id"), "evt_1");
	free(v);
	t_receiver_stop(&rcv);
}

Test(post, error_statuses_are_answers)
{
	static const char *const script[] = { T_HTTP_500 };
	struct webhooks_post p;
	char url[64];

	start(script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	post_to(url, 1, 2000, &p);
	cr_assert_eq(p.status, 500);
	cr_assert_null(p.error_code);
	t_receiver_stop(&rcv);
}

/* The connect-time check: even a URL that reached the POST cannot open a connection to a
 * loopback address (what a name resolving there after the URL check would do). */
Test(post, refuses_to_connect_to_a_forbidden_address)
{
	struct webhooks_post p;
	char url[64];

	start(NULL, 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", rcv.port);
	post_to(url, 0, 2000, &p);
	cr_assert_eq(p.status, 0);
	cr_assert_str_eq(p.error_code, "address_refused");
	usleep(100 * 1000);
	cr_assert_eq(t_receiver_connections(&rcv), 0, "a connection reached the receiver");
	t_receiver_stop(&rcv);
}

Test(post, speaks_only_https_unless_private_targets_are_allowed)
{
	struct webhooks_post p;
	char url[64];

	start(NULL, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	post_to(url, 0, 2000, &p);
	cr_assert_eq(p.status, 0);
	cr_assert_str_eq(p.error_code, "protocol_refused");
	post_to("ftp://127.0.0.1/", 1, 2000, &p);
	cr_assert_str_eq(p.error_code, "protocol_refused");
	usleep(100 * 1000);
	cr_assert_eq(t_receiver_connections(&rcv), 0);
	t_receiver_stop(&rcv);
}

Test(post, does_not_follow_redirects)
{
	static struct t_receiver other;
	static char redirect[256];
	const char *script[1] = { redirect };
	struct webhooks_post p;
	char url[64];

	cr_assert_eq(t_receiver_start(&other, NULL, 0), 0);
	snprintf(redirect, sizeof(redirect),
		 "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:%u/\r\n"
		 "Content-Length: 0\r\nConnection: close\r\n\r\n",
		 other.port);
	start(script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	post_to(url, 1, 2000, &p);
	cr_assert_eq(p.status, 307);
	usleep(100 * 1000);
	cr_assert_eq(t_receiver_connections(&other), 0, "the redirect was followed");
	t_receiver_stop(&rcv);
	t_receiver_stop(&other);
}

Test(post, gives_up_after_the_timeout)
{
	static const char *const script[] = { NULL }; /* never answers */
	struct webhooks_post p;
	char url[64];

	start(script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	post_to(url, 1, 300, &p);
	cr_assert_eq(p.status, 0);
	cr_assert_str_eq(p.error_code, "timeout");
	cr_assert(p.duration_ms >= 290 && p.duration_ms < 2000, "%lld ms", p.duration_ms);
	t_receiver_stop(&rcv);
}

Test(post, a_talkative_receiver_still_answered)
{
	static char big[200 * 1024];
	const char *script[1] = { big };
	struct webhooks_post p;
	char url[64];
	int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
			 sizeof(big) - 200);

	memset(big + n, 'x', sizeof(big) - 1 - (size_t)n);
	start(script, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	post_to(url, 1, 2000, &p);
	cr_assert_eq(p.status, 200, "%s", p.error_code ? p.error_code : "");
	t_receiver_stop(&rcv);
}

/* A proxy from the environment would be the address the connect-time check sees, and would
 * carry the request anywhere: the POST ignores it. */
Test(post, ignores_proxies_from_the_environment)
{
	struct webhooks_post p;
	char proxy[64];

	start(NULL, 0);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", rcv.port);
	setenv("http_proxy", proxy, 1);
	setenv("HTTPS_PROXY", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	post_to("http://webhook-target.invalid/", 1, 2000, &p);
	cr_assert_eq(p.status, 0);
	cr_assert_str_eq(p.error_code, "dns_error");
	usleep(100 * 1000);
	cr_assert_eq(t_receiver_connections(&rcv), 0, "the request went through the proxy");
	t_receiver_stop(&rcv);
}
