/* fcgi.c - turns a libfcgi request into an mh_request and an mh_response back into bytes. */
#include "core/fcgi.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/buf.h"

/* Request ids need to be unique, not secret: a per-process xorshift seeded
 * from the kernel once costs no system call per request. */
static uint64_t rng_state;

static uint64_t next_random(void)
{
	uint64_t x;

	if (rng_state == 0) {
		if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) ||
		    rng_state == 0)
			rng_state = (uint64_t)(uintptr_t)&rng_state ^ 0x9E3779B97F4A7C15ull;
	}
	x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* Only ids that are safe to echo in a header and a log line are accepted. */
static int valid_request_id(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_' && s[n] != '.')
			return 0;
	return n > 0 && n <= 64;
}

static const char *new_request_id(struct mh_arena *a)
{
	uint64_t hi = next_random(), lo = next_random();

	return mh_arena_sprintf(a, "%016llx%016llx", (unsigned long long)hi,
				(unsigned long long)lo);
}

int mh_fcgi_read_head(FCGX_Request *fr, struct mh_request *req)
{
	struct mh_arena *a = req->arena;
	const char *v, *uri;
	size_t nenv = 0, n = 0;

	v = FCGX_GetParam("REQUEST_ID", fr->envp);
	req->request_id = (v && valid_request_id(v)) ? mh_arena_strdup(a, v) : new_request_id(a);
	v = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	req->method_name = v ? v : "";
	req->method = mh_method_parse(req->method_name);
	/* nginx's DOCUMENT_URI is already percent-decoded and normalised (no
	 * "..", no "//"); REQUEST_URI is the fallback for other servers. */
	uri = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	if (uri == NULL) {
		uri = FCGX_GetParam("REQUEST_URI", fr->envp);
		if (uri != NULL) {
			const char *q = strchr(uri, '?');
			uri = q ? mh_arena_strndup(a, uri, (size_t)(q - uri)) : uri;
		}
	}
	req->path = uri ? uri : "/";
	v = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	req->remote_addr = v ? v : "";
	/* Not an HTTP_ param: no client header can set it, only nginx's configuration. */
	v = FCGX_GetParam("MENHIR_LISTENER", fr->envp);
	req->internal = v != NULL && strcmp(v, "internal") == 0;

	for (char **e = fr->envp; *e != NULL; e++)
		nenv++;
	req->headers = mh_arena_alloc(a, sizeof(*req->headers) * (nenv ? nenv : 1));
	if (req->headers == NULL || req->request_id == NULL || req->path == NULL)
		return -1;
	for (char **e = fr->envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char *name;
		size_t len;

		if (strncmp(*e, "HTTP_", 5) != 0 || eq == NULL)
			continue;
		len = (size_t)(eq - *e) - 5;
		name = mh_arena_strndup(a, *e + 5, len);
		if (name == NULL)
			return -1;
		for (size_t i = 0; i < len; i++)
			name[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
		req->headers[n].key = name;
		req->headers[n].value = eq + 1;
		n++;
	}
	/* CGI keeps Content-Type out of the HTTP_ set; expose it like the rest. */
	v = FCGX_GetParam("CONTENT_TYPE", fr->envp);
	if (v != NULL && *v != '\0') {
		req->headers[n].key = "content-type";
		req->headers[n].value = v;
		n++;
	}
	req->nheaders = n;
	return 0;
}

long long mh_fcgi_content_length(FCGX_Request *fr)
{
	const char *v = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < 0)
		return -1;
	return n;
}

int mh_fcgi_read_body(FCGX_Request *fr, struct mh_request *req, size_t len)
{
	char *body = mh_arena_alloc(req->arena, len + 1);
	size_t got = 0;

	if (body == NULL)
		return -1;
	while (got < len) {
		size_t want = len - got > (1u << 20) ? (1u << 20) : len - got;
		int n = FCGX_GetStr(body + got, (int)want, fr->in);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	body[len] = '\0';
	req->body = body;
	req->body_len = len;
	return 0;
}

long mh_request_body_read(struct mh_request *req, void *buf, size_t len)
{
	int n;

	if (req->body_stream == NULL || req->body_remaining <= 0)
		return 0;
	if ((long long)len > req->body_remaining)
		len = (size_t)req->body_remaining;
	if (len > (1u << 20))
		len = 1u << 20;
	n = FCGX_GetStr(buf, (int)len, req->body_stream);
	if (n <= 0)
		return -1;
	req->body_remaining -= n;
	return n;
}

void mh_fcgi_drain_body(FCGX_Request *fr, long long len)
{
	char sink[16384];

	while (len > 0) {
		int n = FCGX_GetStr(sink, len > (long long)sizeof(sink) ? (int)sizeof(sink) : (int)len,
				    fr->in);
		if (n <= 0)
			break;
		len -= n;
	}
}

size_t mh_fcgi_write_response(FCGX_Request *fr, const struct mh_request *req,
			      struct mh_response *res)
{
	struct mh_buf head;
	int no_body = res->status == 204 || res->status == 304;
	size_t body_len = no_body ? 0 : res->body.len;
	int has_cache_control = 0;

	mh_buf_init(&head, req->arena, 512);
	mh_buf_printf(&head, "Status: %d %s\r\n", res->status, mh_status_text(res->status));
	if (!no_body) {
		mh_buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
			      res->content_type ? res->content_type : "application/json",
			      body_len);
	}
	mh_buf_printf(&head, "X-Request-Id: %s\r\n", req->request_id);
	for (size_t i = 0; i < res->nheaders; i++) {
		mh_buf_printf(&head, "%s: %s\r\n", res->headers[i].key, res->headers[i].value);
		has_cache_control |= strcasecmp(res->headers[i].key, "Cache-Control") == 0;
	}
	/* API answers are per-user data: no shared cache may keep them unless a
	 * handler says otherwise (ETags come with their own policy). */
	if (!has_cache_control)
		mh_buf_puts(&head, "Cache-Control: no-store\r\n");
	mh_buf_puts(&head, "\r\n");
	if (mh_buf_cstr(&head) == NULL)
		return 0;
	FCGX_PutStr(head.data, (int)head.len, fr->out);
	if (body_len > 0 && req->method != MH_HEAD)
		FCGX_PutStr(res->body.data, (int)body_len, fr->out);
	return req->method == MH_HEAD ? 0 : body_len;
}
