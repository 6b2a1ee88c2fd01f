/* helpers.c - what the integration suites share (see helpers.h). */
#include "helpers.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>

const char *t_env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v != NULL && *v != '\0', "%s is not set: run the suites through script/test",
		  name);
	return v;
}

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

static char source_address[64];

void t_http_source(const char *addr)
{
	snprintf(source_address, sizeof(source_address), "%s", addr ? addr : "");
}

int t_http_request(const char *base, const char *method, const char *path,
		   const char *const *headers, const char *body, size_t body_len,
		   struct http_response *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[4096];
	struct sink bs, hs;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	bs = (struct sink){ &out->body, &out->body_len };
	hs = (struct sink){ &out->headers, &out->headers_len };
	snprintf(url, sizeof(url), "%s%s", base ? base : t_env("MENHIR_TEST_BASE_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (source_address[0] != '\0') {
		char iface[80];

		snprintf(iface, sizeof(iface), "host!%s", source_address);
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	/* Without this curl sends "Expect: 100-continue" for large bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	if (out->headers == NULL)
		out->headers = calloc(1, 1);
	return rc == CURLE_OK ? 0 : -1;
}

int t_http_ex(const char *base, const char *method, const char *path, const char *extra_header,
	      const char *content_type, const char *body, size_t body_len,
	      struct http_response *out)
{
	char ct[256];
	const char *headers[3] = { NULL, NULL, NULL };
	size_t n = 0;

	if (content_type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		headers[n++] = ct;
	}
	if (extra_header != NULL)
		headers[n++] = extra_header;
	return t_http_request(base, method, path, headers, body, body_len, out);
}

int t_http(const char *method, const char *path, const char *content_type, const char *body,
	   size_t body_len, struct http_response *out)
{
	return t_http_ex(NULL, method, path, NULL, content_type, body, body_len, out);
}

void t_get(const char *path, struct http_response *out)
{
	cr_assert_eq(t_http("GET", path, NULL, NULL, 0, out), 0, "GET %s: transport error", path);
}

void t_get_internal(const char *path, struct http_response *out)
{
	cr_assert_eq(
	        t_http_ex(t_env("MENHIR_TEST_INTERNAL_URL"), "GET", path, NULL, NULL, NULL, 0, out),
	        0, "GET %s on the internal listener: transport error", path);
}

char *t_header(const struct http_response *r, const char *name)
{
	size_t n = strlen(name);
	const char *line = r->headers;

	while (line != NULL && *line != '\0') {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			return strndup(v, len - (size_t)(v - line));
		}
		line = eol ? eol + 2 : NULL;
	}
	return NULL;
}

void t_http_free(struct http_response *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

void t_assert_error(const struct http_response *r, long status, const char *code)
{
	json_object *root = json_tokener_parse(r->body), *v;
	char *rid = t_header(r, "X-Request-Id"), *ct = t_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "status %ld, want %ld; body %s", r->status, status,
		     r->body);
	cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0,
		  "error Content-Type is %s", ct ? ct : "(none)");
	cr_assert(root != NULL, "error body is not JSON: %s", r->body);
	cr_assert(json_object_object_get_ex(root, "error", &v), "no error code: %s", r->body);
	cr_assert_str_eq(json_object_get_string(v), code);
	cr_assert(json_object_object_get_ex(root, "message", &v) &&
			  json_object_get_string_len(v) > 0,
		  "no message: %s", r->body);
	cr_assert(json_object_object_get_ex(root, "request_id", &v), "no request_id: %s", r->body);
	if (rid != NULL)
		cr_assert_str_eq(json_object_get_string(v), rid,
				 "body request_id differs from X-Request-Id");
	json_object_put(root);
	free(rid);
	free(ct);
}

PGconn *t_pg(const char *env_name)
{
	PGconn *c = PQconnectdb(t_env(env_name));

	cr_assert(PQstatus(c) == CONNECTION_OK, "connect %s: %s", env_name, PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

PGresult *t_pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
		  PQresultErrorMessage(r));
	return r;
}

const char *t_pg_state(PGconn *c, const char *sql, char state[6])
{
	PGresult *r = PQexec(c, sql);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(state, 6, "%s", s ? s : "");
	PQclear(r);
	return state;
}

pid_t t_menhir_pid(void)
{
	FILE *f = fopen(t_env("MENHIR_TEST_MENHIR_PIDFILE"), "r");
	long pid = 0;

	cr_assert(f != NULL, "cannot read the menhir pid file");
	cr_assert_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	cr_assert(pid > 1 && kill((pid_t)pid, 0) == 0, "menhir master %ld is not running", pid);
	return (pid_t)pid;
}

int t_worker_pids(pid_t *pids, int max)
{
	pid_t master = t_menhir_pid();
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	cr_assert(d != NULL);
	while ((e = readdir(d)) != NULL && n < max) {
		char path[300], buf[512];
		FILE *f;
		long ppid = 0;
		char state = 0;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		/* "pid (comm) state ppid ..."; comm may hold spaces, so parse after ')'. */
		if (fgets(buf, sizeof(buf), f) != NULL) {
			char *rp = strrchr(buf, ')');
			if (rp != NULL)
				sscanf(rp + 1, " %c %ld", &state, &ppid);
		}
		fclose(f);
		if (ppid == master && state != 'Z')
			pids[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}

int t_stack(const char *cmd)
{
	char line[2048];

	snprintf(line, sizeof(line), "\"%s\" %s \"%s\" >/dev/null 2>&1", t_env("MENHIR_TEST_STACK"),
		 cmd, t_env("MENHIR_TEST_STATE"));
	return system(line);
}

int t_wait_status(const char *path, long want_status, int timeout_ms)
{
	struct timespec pause = { 0, 100 * 1000000L };

	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		struct http_response r;
		int ok = t_http("GET", path, NULL, NULL, 0, &r) == 0 && r.status == want_status;

		t_http_free(&r);
		if (ok)
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

long t_menhir_log_size(void)
{
	char path[1024];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert(f != NULL, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	fclose(f);
	return n;
}

/* Other lines than the access-log line may carry the id (its audit, its job). */
long t_access_log_duration(const char *log, const char *request_id)
{
	char needle[128];
	const char *p = log;

	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", request_id);
	while ((p = strstr(p, needle)) != NULL) {
		const char *bol = p, *eol = strchr(p, '\n'), *d, *e;

		while (bol > log && bol[-1] != '\n')
			bol--;
		if (eol == NULL)
			eol = p + strlen(p);
		d = strstr(bol, "\"duration_us\":");
		e = strstr(bol, "\"event\":\"request\"");
		if (e != NULL && e < eol && d != NULL && d < eol)
			return strtol(d + strlen("\"duration_us\":"), NULL, 10);
		p = eol;
	}
	return -1;
}

/* menhir's log from offset to its end, malloc'd. */
static char *log_from(long offset)
{
	char path[1024], *text;
	FILE *f;
	long end;
	size_t got;

	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert(f != NULL, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	end = ftell(f);
	if (end < offset)
		offset = end;
	cr_assert_eq(fseek(f, offset, SEEK_SET), 0);
	text = malloc((size_t)(end - offset) + 1);
	cr_assert(text != NULL);
	got = fread(text, 1, (size_t)(end - offset), f);
	text[got] = '\0';
	fclose(f);
	return text;
}

/* 1 when text holds the whole access-log line (up to its newline) of request id. */
static int has_request_line(const char *text, const char *id)
{
	static const char event[] = "\"event\":\"request\"";
	char needle[128];
	const char *p = text;

	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", id);
	while ((p = strstr(p, needle)) != NULL) {
		const char *bol = p, *eol = strchr(p, '\n');

		while (bol > text && bol[-1] != '\n')
			bol--;
		if (eol == NULL)
			return 0; /* still being written */
		if (memmem(bol, (size_t)(eol - bol), event, sizeof(event) - 1) != NULL)
			return 1;
		p = eol;
	}
	return 0;
}

char *t_menhir_log_with_requests(long offset, const char (*ids)[64], int n, int timeout_ms)
{
	struct timespec pause = {0, 50 * 1000000L}, t0, t1;
	int next = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *text = log_from(offset);
		long ms;

		/* Ids found stay found: only the rest is searched again. */
		while (next < n && has_request_line(text, ids[next]))
			next++;
		if (next == n)
			return text;
		free(text);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		cr_assert(ms <= timeout_ms,
		          "menhir logged no access line for request %s within %d ms", ids[next],
		          timeout_ms);
		nanosleep(&pause, NULL);
	}
}

long long t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
