/* it_nginx.c - what nginx answers by itself, before or instead of Menhir: oversized headers,
 * long URIs, malformed requests, TRACE, look-alike API paths, all in the JSON envelope with
 * the request id; and the header buffers let the largest access token through. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "auth_helpers.h"
#include "helpers.h"

/* nginx/menhir.conf "Header buffers": the largest token Menhir can mint is 1,672 bytes; the
 * test sends one twice that size. */
#define TOKEN_MAX_MINTED 1672
#define TOKEN_TESTED     (2 * TOKEN_MAX_MINTED)

enum proto { H1, H2 };

struct sink {
	char **data;
	size_t *len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
	struct sink *s = userdata;
	size_t add = size * n;
	char *p = realloc(*s->data, *s->len + add + 1);

	if (p == NULL)
		return 0;
	memcpy(p + *s->len, ptr, add);
	*s->len += add;
	p[*s->len] = '\0';
	*s->data = p;
	return add;
}

/* One request through nginx over TLS with the HTTP version forced (helpers.c lets curl pick
 * HTTP/2, whose limits differ), a path of any length and at most one extra header. Returns
 * curl's result: CURLE_OK when a response came back. */
static CURLcode send_req(enum proto proto, const char *base, const char *method, const char *path,
                         const char *header, struct http_response *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct sink bs = {&out->body, &out->body_len}, hs = {&out->headers, &out->headers_len};
	char *url;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	cr_assert(c != NULL);
	cr_assert(asprintf(&url, "%s%s", base ? base : t_env("MENHIR_TEST_BASE_URL"), path) > 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	                 proto == H1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
	if (header != NULL) {
		hdrs = curl_slist_append(hdrs, header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	if (out->headers == NULL)
		out->headers = calloc(1, 1);
	return rc;
}

/* Bytes sent as they are over a TLS connection (HTTP/1.1 offered), for requests curl will not
 * form itself; returns what came back until nginx closed the connection (malloc'd). */
static char *send_raw(const char *bytes)
{
	CURL *c = curl_easy_init();
	size_t len = strlen(bytes), off = 0, got = 0, cap = 65536;
	char *buf = calloc(1, cap);
	CURLcode rc;

	cr_assert(c != NULL && buf != NULL);
	curl_easy_setopt(c, CURLOPT_URL, t_env("MENHIR_TEST_BASE_URL"));
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "TLS connect failed");
	while (off < len) {
		size_t n = 0;

		rc = curl_easy_send(c, bytes + off, len - off, &n);
		cr_assert(rc == CURLE_OK || rc == CURLE_AGAIN, "send: %s", curl_easy_strerror(rc));
		off += n;
	}
	for (int idle = 0; idle < 500 && got < cap - 1;) {
		size_t n = 0;

		rc = curl_easy_recv(c, buf + got, cap - 1 - got, &n);
		if (rc == CURLE_AGAIN) {
			struct timespec ts = {0, 10 * 1000000L};

			nanosleep(&ts, NULL);
			idle++;
			continue;
		}
		if (rc != CURLE_OK || n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	curl_easy_cleanup(c);
	return buf;
}

/* The envelope, its request id a 32-hex-digit nginx $request_id equal to X-Request-Id, and
 * the security headers the server block adds to every response. */
static void assert_nginx_error(const struct http_response *r, long status, const char *code)
{
	char *rid = t_header(r, "X-Request-Id"), *hsts = t_header(r, "Strict-Transport-Security");

	t_assert_error(r, status, code);
	cr_assert(rid != NULL && strlen(rid) == 32 && strspn(rid, "0123456789abcdef") == 32,
	          "X-Request-Id %s", rid ? rid : "(none)");
	cr_assert(hsts != NULL, "no Strict-Transport-Security on a %ld", status);
	free(rid);
	free(hsts);
}

/* A header line of n bytes in total: "Name: " + value (malloc'd). */
static char *header_of(const char *name, const char *prefix, size_t n)
{
	size_t head = strlen(name) + 2 + strlen(prefix);
	char *h = malloc(n + 1);

	cr_assert(h != NULL && n > head);
	snprintf(h, n + 1, "%s: %s", name, prefix);
	memset(h + head, 'a', n - head);
	h[n] = '\0';
	return h;
}

TestSuite(nginx);

Test(nginx, header_line_over_8k_is_431_json)
{
	struct http_response r;
	char *h = header_of("X-Filler", "", 9 * 1024);

	cr_assert_eq(send_req(H1, NULL, "GET", "/api/v1/ping", h, &r), CURLE_OK);
	assert_nginx_error(&r, 431, "header_too_large");
	t_http_free(&r);
	free(h);
}

Test(nginx, token_of_20k_in_authorization_or_cookie_is_431_json)
{
	struct http_response r;
	char *auth = header_of("Authorization", "Bearer ", 20 * 1024);
	char *cookie = header_of("Cookie", "mh_refresh=", 20 * 1024);

	cr_assert_eq(send_req(H1, NULL, "GET", "/api/v1/users/me", auth, &r), CURLE_OK);
	assert_nginx_error(&r, 431, "header_too_large");
	t_http_free(&r);
	cr_assert_eq(send_req(H1, NULL, "POST", "/api/v1/auth/refresh", cookie, &r), CURLE_OK);
	assert_nginx_error(&r, 431, "header_too_large");
	t_http_free(&r);
	free(auth);
	free(cookie);
}

/* HTTP/2 has no response for an oversized header field: nginx ends the connection (GOAWAY
 * ENHANCE_YOUR_CALM) while decoding it, before there is a request to answer. Pinned here so
 * that a change (nginx answering an HTML page, or Menhir seeing the header) shows. */
Test(nginx, token_of_20k_over_http2_ends_the_connection)
{
	struct http_response r;
	char *auth = header_of("Authorization", "Bearer ", 20 * 1024);

	cr_assert_neq(send_req(H2, NULL, "GET", "/api/v1/users/me", auth, &r), CURLE_OK,
	              "answered %ld: %s", r.status, r.body);
	cr_assert_eq(r.status, 0);
	t_http_free(&r);
	free(auth);
}

Test(nginx, uri_over_8k_is_414_json)
{
	struct http_response r;
	char *path = malloc(20 * 1024 + 1);

	cr_assert(path != NULL);
	strcpy(path, "/api/v1/documents?q=");
	memset(path + strlen(path), 'a', 20 * 1024 - strlen(path));
	path[20 * 1024] = '\0';
	cr_assert_eq(send_req(H1, NULL, "GET", path, NULL, &r), CURLE_OK);
	assert_nginx_error(&r, 414, "uri_too_long");
	t_http_free(&r);
	free(path);
}

Test(nginx, nul_in_the_path_is_400_json)
{
	struct http_response r;

	for (enum proto p = H1; p <= H2; p++) {
		cr_assert_eq(send_req(p, NULL, "GET", "/api/v1/pi%00ng", NULL, &r), CURLE_OK);
		assert_nginx_error(&r, 400, "bad_request");
		t_http_free(&r);
	}
}

Test(nginx, trace_is_405_json)
{
	struct http_response r;

	for (enum proto p = H1; p <= H2; p++) {
		cr_assert_eq(send_req(p, NULL, "TRACE", "/api/v1/ping", NULL, &r), CURLE_OK);
		assert_nginx_error(&r, 405, "method_not_allowed");
		t_http_free(&r);
	}
}

/* nginx matches locations case-sensitively, so /API/ is not the /api/ prefix; without a
 * location of its own such a path would fall through to the browser app (index.html, 200). */
Test(nginx, api_like_paths_no_location_serves_are_404_json)
{
	static const char *const paths[] = {"/API/V1/DOCUMENTS",
	                                    "/Api/v1/ping",
	                                    "/API",
	                                    "/.well-known/other.json",
	                                    "/.WELL-KNOWN/jwks.json",
	                                    "/HEALTHZ",
	                                    "/healthz/x",
	                                    "/Readyz",
	                                    "/metrics/x",
	                                    NULL};
	struct http_response r;

	for (size_t i = 0; paths[i] != NULL; i++) {
		cr_assert_eq(send_req(H2, NULL, "GET", paths[i], NULL, &r), CURLE_OK);
		cr_assert_eq(r.status, 404, "%s answered %ld", paths[i], r.status);
		assert_nginx_error(&r, 404, "not_found");
		t_http_free(&r);
	}
	/* The lower-case paths themselves still reach Menhir. */
	cr_assert_eq(send_req(H2, NULL, "GET", "/.well-known/jwks.json", NULL, &r), CURLE_OK);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

/* A 404 nginx raises for a static path is JSON too, even for a .js path. */
Test(nginx, missing_static_file_is_404_json)
{
	struct http_response r;

	cr_assert_eq(send_req(H2, NULL, "GET", "/app.0123abcdef.js", NULL, &r), CURLE_OK);
	assert_nginx_error(&r, 404, "not_found");
	t_http_free(&r);
}

Test(nginx, plain_http_on_the_https_port_is_400_json)
{
	struct http_response r;
	char base[256];
	const char *url = t_env("MENHIR_TEST_BASE_URL");

	snprintf(base, sizeof(base), "http://%s", strstr(url, "://") + 3);
	cr_assert_eq(send_req(H1, base, "GET", "/api/v1/ping", NULL, &r), CURLE_OK);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
}

Test(nginx, unsupported_http_version_is_505_json)
{
	char *resp = send_raw("GET /api/v1/ping HTTP/3.0\r\nHost: localhost\r\n\r\n");

	cr_assert(strncmp(resp, "HTTP/1.1 505", 12) == 0, "%s", resp);
	cr_assert(strstr(resp, "\r\nContent-Type: application/json") != NULL, "%s", resp);
	cr_assert(strstr(resp, "{\"error\":\"http_version_not_supported\"") != NULL, "%s", resp);
	free(resp);
}

Test(nginx, unknown_transfer_encoding_is_501_json)
{
	char *resp = send_raw("POST /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n"
	                      "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n");

	cr_assert(strncmp(resp, "HTTP/1.1 501", 12) == 0, "%s", resp);
	cr_assert(strstr(resp, "\r\nContent-Type: application/json") != NULL, "%s", resp);
	cr_assert(strstr(resp, "{\"error\":\"not_implemented\"") != NULL, "%s", resp);
	free(resp);
}

/* base64url text of n bytes, decoded into a malloc'd NUL-terminated string. */
static char *b64url_decode(const char *s, size_t n)
{
	char *in = malloc(n + 4), *out = malloc(n + 4);
	size_t m = 0;
	int len;

	cr_assert(in != NULL && out != NULL);
	for (; m < n; m++)
		in[m] = s[m] == '-' ? '+' : s[m] == '_' ? '/' : s[m];
	while (m % 4)
		in[m++] = '=';
	len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)in, (int)m);
	cr_assert(len >= 0);
	/* EVP_DecodeBlock counts the padding's zero bytes; JSON text has no NUL of its own. */
	out[len] = '\0';
	free(in);
	return out;
}

static size_t b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* A real session's access token grown to at least want bytes with a second audience (JWT's
 * aud may be an array; Menhir accepts the token when its own audience is among them), and
 * signed again with the stack's key: every claim stays valid for the real session. */
static void grow_token(const char *token, size_t want, char *out, size_t outlen)
{
	const char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
	size_t sig_len = strlen(dot2 + 1), fill = 0, fixed;
	char *payload = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1)), header[256], *filler;
	json_object *p = json_tokener_parse(payload), *aud, *arr;
	const char *text;

	cr_assert(p != NULL && json_object_object_get_ex(p, "aud", &aud), "payload %s", payload);
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
	         t_auth_active_kid());
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_get(aud));
	json_object_array_add(arr, json_object_new_string(""));
	json_object_object_add(p, "aud", arr);
	/* The signature's length depends on the key only: size the filler from the lengths,
	 * then step up past base64's rounding. */
	filler = calloc(1, want + 1);
	cr_assert(filler != NULL);
	text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
	fixed = b64url_len(strlen(header)) + 2 + sig_len;
	if (want > fixed + b64url_len(strlen(text)))
		fill = (want - fixed - b64url_len(strlen(text))) * 3 / 4;
	for (;;) {
		memset(filler, 'x', fill);
		filler[fill] = '\0';
		json_object_array_put_idx(arr, 1, json_object_new_string(filler));
		text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
		if (fixed + b64url_len(strlen(text)) >= want)
			break;
		fill++;
	}
	t_auth_forge(header, text, NULL, 0, out, outlen);
	json_object_put(p);
	free(filler);
	free(payload);
}

Test(nginx, access_token_twice_the_largest_minted_is_accepted)
{
	struct t_session s;
	struct http_response r;
	char token[8192], header[8300];

	t_auth_signup(&s, "nginx-bigtoken");
	grow_token(s.access, TOKEN_TESTED, token, sizeof(token));
	cr_assert_geq(strlen(token), TOKEN_TESTED);
	snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
	for (enum proto p = H1; p <= H2; p++) {
		cr_assert_eq(send_req(p, NULL, "GET", "/api/v1/users/me", header, &r), CURLE_OK);
		cr_assert_eq(r.status, 200, "HTTP/%d with a %zu-byte token: %ld %s", p + 1,
		             strlen(token), r.status, r.body);
		t_http_free(&r);
	}
}

/* The id in a 201's {"data":{"id":…}} (asserts it is there). */
static void created_id(const struct http_response *r, char id[40])
{
	json_object *root = t_auth_json(r);
	const char *v = t_auth_data_str(root, "id");

	cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
	cr_assert(v != NULL && strlen(v) < 40, "%s", r->body);
	strcpy(id, v);
	json_object_put(root);
}

/* nginx answers an attachment download itself (X-Accel-Redirect): a Range past the end is its
 * 416, under /api/. */
Test(nginx, range_past_an_attachments_end_is_416_json)
{
	struct t_session s;
	struct http_response r;
	char auth[4200], doc[40], file[40], path[200], *cr;
	const char *json[] = {auth, "Content-Type: application/json", NULL};
	const char *text[] = {auth, "Content-Type: text/plain", NULL};
	const char *range[] = {auth, "Range: bytes=100-200", NULL};

	t_auth_signup(&s, "nginx-range");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s.access);
	cr_assert_eq(t_http_request(NULL, "POST", "/api/v1/documents", json,
	                            "{\"title\":\"t\",\"body\":\"b\"}", 24, &r),
	             0);
	created_id(&r, doc);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s/files?name=a.txt", doc);
	cr_assert_eq(t_http_request(NULL, "POST", path, text, "hello world", 11, &r), 0);
	created_id(&r, file);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s/files/%s", doc, file);
	cr_assert_eq(t_http_request(NULL, "GET", path, range, NULL, 0, &r), 0);
	t_assert_error(&r, 416, "range_not_satisfiable");
	cr = t_header(&r, "Content-Range");
	cr_assert(cr != NULL && strcmp(cr, "bytes */11") == 0, "Content-Range %s", cr ? cr : "-");
	free(cr);
	t_http_free(&r);
}
