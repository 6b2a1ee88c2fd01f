/* http.c - request accessors, status texts and the JSON error envelope. */
#include "core/http.h"

#include "core/module.h"

#include <stdio.h>
#include <string.h>

static const char *retry_after = "5";
static char retry_after_buf[16];

static int cookie_secure = 1;

void mh_http_set_cookie_secure(int on)
{
	cookie_secure = on;
}

const char *mh_http_cookie_secure(void)
{
	return cookie_secure ? "; Secure" : "";
}

void mh_http_set_retry_after(int seconds)
{
	snprintf(retry_after_buf, sizeof(retry_after_buf), "%d", seconds);
	retry_after = retry_after_buf;
}

static const char *kv_find(const struct mh_kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, name) == 0)
			return kv[i].value;
	return NULL;
}

const char *mh_query(const struct mh_request *req, const char *name)
{
	return kv_find(req->query, req->nquery, name);
}

const char *mh_param(const struct mh_request *req, const char *name)
{
	return kv_find(req->params, req->nparams, name);
}

const char *mh_header(const struct mh_request *req, const char *lower_name)
{
	return kv_find(req->headers, req->nheaders, lower_name);
}

int mh_response_header(struct mh_response *res, const char *name, const char *value)
{
	if (res->nheaders >= MH_MAX_RESPONSE_HEADERS || name == NULL || value == NULL) {
		if (res->dropped_header == NULL)
			res->dropped_header = name ? name : "(a header whose name was not built)";
		return -1;
	}
	res->headers[res->nheaders].key = name;
	res->headers[res->nheaders].value = value;
	res->nheaders++;
	return 0;
}

const char *const mh_role_words[] = { "owner", "admin", "member", "viewer", NULL };

const char *mh_role_name(enum mh_role role)
{
	static const char *const names[] = { "", "viewer", "member", "admin", "owner" };

	return (unsigned)role < sizeof(names) / sizeof(names[0]) ? names[role] : "";
}

enum mh_role mh_role_parse(const char *name)
{
	for (int r = MH_ROLE_VIEWER; r <= MH_ROLE_OWNER; r++)
		if (name != NULL && strcmp(name, mh_role_name((enum mh_role)r)) == 0)
			return (enum mh_role)r;
	return MH_ROLE_NONE;
}

const char *mh_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {
	{ MH_GET, "GET" },	 { MH_HEAD, "HEAD" },	  { MH_POST, "POST" },
	{ MH_PUT, "PUT" },	 { MH_PATCH, "PATCH" },	  { MH_DELETE, "DELETE" },
	{ MH_OPTIONS, "OPTIONS" },
};

unsigned mh_method_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].bit;
	return 0;
}

const char *mh_method_name(unsigned method)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].bit == method)
			return methods[i].name;
	return "?";
}

int mh_reply_data(struct mh_request *req, struct mh_response *res, int status, const char *json)
{
	(void)req;
	res->status = status;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	mh_buf_puts(&res->body, json);
	mh_buf_putc(&res->body, '}');
	return 0;
}

int mh_reply_error_details(struct mh_request *req, struct mh_response *res, int status,
			   const char *code, const char *message,
			   const struct mh_error_detail *details, size_t ndetails)
{
	struct mh_buf *b = &res->body;

	res->status = status;
	res->error_code = code;
	b->len = 0;
	b->failed = 0;
	mh_buf_puts(b, "{\"error\":");
	mh_buf_json_cstr(b, code);
	mh_buf_puts(b, ",\"message\":");
	mh_buf_json_cstr(b, message);
	if (ndetails > 0) {
		mh_buf_puts(b, ",\"details\":[");
		for (size_t i = 0; i < ndetails; i++) {
			if (i > 0)
				mh_buf_putc(b, ',');
			mh_buf_puts(b, "{\"field\":");
			mh_buf_json_cstr(b, details[i].field);
			mh_buf_puts(b, ",\"message\":");
			mh_buf_json_cstr(b, details[i].message);
			mh_buf_putc(b, '}');
		}
		mh_buf_putc(b, ']');
	}
	mh_buf_puts(b, ",\"request_id\":");
	mh_buf_json_cstr(b, req->request_id);
	mh_buf_putc(b, '}');
	return 0;
}

int mh_reply_error(struct mh_request *req, struct mh_response *res, int status, const char *code,
		   const char *message)
{
	return mh_reply_error_details(req, res, status, code, message, NULL, 0);
}

int mh_reply_unavailable(struct mh_request *req, struct mh_response *res, const char *what)
{
	char *msg = mh_arena_sprintf(req->arena, "%s is unavailable; retry later", what);

	mh_response_header(res, "Retry-After", retry_after);
	return mh_reply_error(req, res, 503, "service_unavailable",
			      msg ? msg : "a dependency is unavailable; retry later");
}
