/* auth_helpers.c - sign-up, login, authenticated requests and token forging for the
 * integration suites (see auth_helpers.h). */
#include "auth_helpers.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "secrets.h"

void t_auth_email(char *out, size_t outlen, const char *tag)
{
	static int n;

	snprintf(out, outlen, "%s-%ld-%d@example.test", tag, (long)getpid(), ++n);
}

const char *t_auth_origin(void)
{
	return t_env("MENHIR_TEST_BASE_URL");
}

void t_auth_request(const char *method, const char *path, const char *bearer,
		    const char *cookie, const char *origin, const char *json,
		    struct http_response *out)
{
	char auth[4200], cook[200], orig[300];
	const char *headers[5] = { NULL };
	size_t n = 0;

	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		headers[n++] = auth;
	}
	if (cookie != NULL) {
		snprintf(cook, sizeof(cook), "Cookie: mh_refresh=%s", cookie);
		headers[n++] = cook;
	}
	if (origin != NULL) {
		snprintf(orig, sizeof(orig), "Origin: %s", origin);
		headers[n++] = orig;
	}
	if (json != NULL)
		headers[n++] = "Content-Type: application/json";
	cr_assert_eq(t_http_request(NULL, method, path, headers, json, json ? strlen(json) : 0,
				    out),
		     0, "%s %s: transport error", method, path);
}

char *t_auth_set_cookie(const struct http_response *r)
{
	char *v = t_header(r, "Set-Cookie"), *out = NULL;

	if (v != NULL && strncmp(v, "mh_refresh=", 11) == 0)
		out = strndup(v + 11, strcspn(v + 11, ";"));
	free(v);
	return out;
}

json_object *t_auth_json(const struct http_response *r)
{
	json_object *root = json_tokener_parse(r->body);

	cr_assert(root != NULL, "body is not JSON: %s", r->body);
	return root;
}

const char *t_auth_data_str(json_object *root, const char *key)
{
	json_object *data, *v;

	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Copies a session's fields out of a 200/201 token response. */
static void fill_session(struct t_session *s, const struct http_response *r)
{
	json_object *root = t_auth_json(r);
	const char *v;
	char *cookie = t_auth_set_cookie(r);

	v = t_auth_data_str(root, "access_token");
	cr_assert(v != NULL, "no access_token: %s", r->body);
	snprintf(s->access, sizeof(s->access), "%s", v);
	snprintf(s->user_id, sizeof(s->user_id), "%s", t_auth_data_str(root, "user_id"));
	snprintf(s->tenant_id, sizeof(s->tenant_id), "%s", t_auth_data_str(root, "tenant_id"));
	snprintf(s->role, sizeof(s->role), "%s", t_auth_data_str(root, "role"));
	cr_assert(cookie != NULL && strlen(cookie) == 43, "no refresh cookie set");
	snprintf(s->refresh, sizeof(s->refresh), "%s", cookie);
	free(cookie);
	json_object_put(root);
}

void t_auth_signup(struct t_session *s, const char *tag)
{
	char sql[256];

	t_auth_signup_unverified(s, tag);
	snprintf(sql, sizeof(sql), "UPDATE users SET email_verified_at = now() WHERE id = '%s'",
		 s->user_id);
	t_auth_sql(sql);
}

void t_auth_signup_unverified(struct t_session *s, const char *tag)
{
	struct http_response r;
	char body[512];

	memset(s, 0, sizeof(*s));
	t_auth_email(s->email, sizeof(s->email), tag);
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD "\",\"tenant_name\":\"%s tenant\"}",
		 s->email, tag);
	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 201, "signup: %ld %s", r.status, r.body);
	fill_session(s, &r);
	t_http_free(&r);
}

long t_auth_login(struct t_session *s, const char *email, const char *password,
		  const char *tenant)
{
	struct http_response r;
	char body[768];
	long status;

	if (tenant != NULL)
		snprintf(body, sizeof(body),
			 "{\"email\":\"%s\",\"password\":\"%s\",\"tenant\":\"%s\"}", email, password,
			 tenant);
	else
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email,
			 password);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, &r);
	status = r.status;
	if (status == 200) {
		char e[sizeof(s->email)];

		/* email may be s->email itself: copied through e, never onto itself. */
		snprintf(e, sizeof(e), "%s", email);
		snprintf(s->email, sizeof(s->email), "%s", e);
		fill_session(s, &r);
	}
	t_http_free(&r);
	return status;
}

void t_auth_member(struct t_session *s, const struct t_session *owner, const char *role,
		   const char *tag)
{
	char sql[512];
	struct t_session own;

	t_auth_signup(&own, tag);
	/* The membership an accepted invitation makes (it_invitations tests that flow itself). */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', '%s')",
		 owner->tenant_id, own.user_id, role);
	t_auth_sql(sql);
	cr_assert_eq(t_auth_login(s, own.email, T_SECRET_PASSWORD, owner->tenant_id), 200);
	cr_assert_str_eq(s->role, role);
}

const char *t_auth_config(const char *key)
{
	static char value[1024];
	char line[2048];
	FILE *f = fopen(t_env("MENHIR_CONFIG"), "r");
	size_t n = strlen(key);

	cr_assert(f != NULL, "cannot read $MENHIR_CONFIG");
	value[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line;

		if (strncmp(p, key, n) != 0 || (p[n] != ' ' && p[n] != '='))
			continue;
		p = strchr(p, '=');
		if (p == NULL)
			continue;
		p++;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		snprintf(value, sizeof(value), "%s", p);
	}
	fclose(f);
	cr_assert(value[0] != '\0', "no %s in the configuration", key);
	return value;
}

static void b64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	unsigned char *tmp = malloc(4 * (n / 3 + 2));
	int len = EVP_EncodeBlock(tmp, in, (int)n);

	while (len > 0 && tmp[len - 1] == '=')
		len--;
	for (int i = 0; i < len; i++)
		tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	cr_assert((size_t)len < outlen);
	memcpy(out, tmp, (size_t)len);
	out[len] = '\0';
	free(tmp);
}

/* One base64url segment of a token (the first one at s, up to a dot) as parsed JSON. */
static json_object *token_segment(const char *s)
{
	char in[4096];
	unsigned char out[4096];
	size_t n = strcspn(s, ".");
	int len;
	json_object *o;

	cr_assert(n < sizeof(in) - 4);
	for (size_t i = 0; i < n; i++)
		in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (n % 4)
		in[n++] = '=';
	in[n] = '\0';
	len = EVP_DecodeBlock(out, (unsigned char *)in, (int)n);
	cr_assert(len > 0);
	out[len] = '\0';
	o = json_tokener_parse((char *)out);
	cr_assert(o != NULL, "not JSON: %s", out);
	return o;
}

const char *t_auth_token_kid(const char *token)
{
	static char kid[128];
	json_object *h = token_segment(token), *v;

	cr_assert(json_object_object_get_ex(h, "kid", &v), "no kid in the header");
	snprintf(kid, sizeof(kid), "%s", json_object_get_string(v));
	json_object_put(h);
	return kid;
}

const char *t_auth_token_claim(const char *token, const char *name)
{
	static char value[256];
	const char *dot = strchr(token, '.');
	json_object *p, *v;

	cr_assert(dot != NULL, "not a token: %s", token);
	p = token_segment(dot + 1);
	value[0] = '\0';
	if (json_object_object_get_ex(p, name, &v) && json_object_is_type(v, json_type_string))
		snprintf(value, sizeof(value), "%s", json_object_get_string(v));
	json_object_put(p);
	return value;
}

const char *t_auth_active_kid(void)
{
	static char kid[128];
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keys/active", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert(f != NULL, "cannot read %s", path);
	cr_assert(fgets(kid, sizeof(kid), f) != NULL);
	fclose(f);
	kid[strcspn(kid, "\r\n")] = '\0';
	return kid;
}

void t_auth_forge(const char *header_json, const char *payload_json, const char *hmac_key,
		  size_t hmac_key_len, char *out, size_t outlen)
{
	char h[2048], p[4096], input[8192], sig[2048];
	unsigned char raw[1024];
	size_t rawlen = sizeof(raw);

	b64url((const unsigned char *)header_json, strlen(header_json), h, sizeof(h));
	b64url((const unsigned char *)payload_json, strlen(payload_json), p, sizeof(p));
	snprintf(input, sizeof(input), "%s.%s", h, p);
	if (hmac_key != NULL) {
		unsigned int l = 0;

		HMAC(EVP_sha256(), hmac_key, (int)hmac_key_len, (unsigned char *)input,
		     strlen(input), raw, &l);
		rawlen = l;
	} else {
		char path[1024];
		FILE *f;
		EVP_PKEY *key;
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		snprintf(path, sizeof(path), "%s/keys/%s.key.pem", t_env("MENHIR_TEST_STATE"),
			 t_auth_active_kid());
		f = fopen(path, "r");
		cr_assert(f != NULL, "cannot read %s", path);
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		cr_assert(key != NULL);
		cr_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
		cr_assert(EVP_DigestSign(md, raw, &rawlen, (unsigned char *)input, strlen(input)) ==
			  1);
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(key);
	}
	b64url(raw, rawlen, sig, sizeof(sig));
	cr_assert(strlen(input) + strlen(sig) + 2 <= outlen);
	snprintf(out, outlen, "%s.%s", input, sig);
}

int t_auth_menhir(const char *input, char *out, size_t outlen, const char *const *args)
{
	int in[2], o[2], status = -1;
	pid_t pid;
	char *argv[16];
	char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	size_t n = 0, got = 0;

	argv[n++] = (char *)t_env("MENHIR_TEST_BIN");
	argv[n++] = "--config";
	argv[n++] = (char *)t_env("MENHIR_CONFIG");
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	cr_assert(pipe(in) == 0 && pipe(o) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		close(in[1]);
		close(o[0]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input != NULL && write(in[1], input, strlen(input)) < 0)
		cr_log_warn("cannot write to menhir's stdin");
	close(in[1]);
	for (;;) {
		ssize_t r = read(o[0], out + got, outlen - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == outlen - 1)
			break;
	}
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(o[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A connection to the stack's Redis, authenticated (asserting it works). */
static redisContext *redis_connect(void)
{
	const char *url = t_env("MENHIR_TEST_REDIS_URL");
	const char *hp = strstr(url, "://"), *at;
	char host[256], password[256] = "";
	int port = 6379;
	redisContext *c;
	redisReply *r;

	cr_assert(hp != NULL);
	hp += 3;
	/* redis://:PASSWORD@host:port (script/stack's generated password needs no decoding). */
	at = strchr(hp, '@');
	if (at != NULL) {
		const char *colon = memchr(hp, ':', (size_t)(at - hp));

		cr_assert(colon != NULL && (size_t)(at - colon) < sizeof(password));
		memcpy(password, colon + 1, (size_t)(at - colon - 1));
		password[at - colon - 1] = '\0';
		hp = at + 1;
	}
	snprintf(host, sizeof(host), "%s", hp);
	host[strcspn(host, "/")] = '\0';
	if (strchr(host, ':') != NULL) {
		port = atoi(strchr(host, ':') + 1);
		*strchr(host, ':') = '\0';
	}
	c = redisConnect(host, port);
	cr_assert(c != NULL && c->err == 0, "cannot connect to Redis");
	if (password[0] != '\0') {
		r = redisCommand(c, "AUTH %s", password);
		cr_assert(r != NULL && r->type == REDIS_REPLY_STATUS, "Redis AUTH failed");
		freeReplyObject(r);
	}
	return c;
}

long long t_auth_redis(const char *fmt, ...)
{
	redisContext *c = redis_connect();
	redisReply *r;
	va_list ap;
	long long v = -1;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STATUS)
		v = 0;
	freeReplyObject(r);
	redisFree(c);
	return v;
}

void t_auth_redis_str(char *out, size_t outlen, const char *fmt, ...)
{
	redisContext *c = redis_connect();
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	cr_assert(r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS),
		  "Redis did not answer with a string");
	snprintf(out, outlen, "%s", r->str);
	freeReplyObject(r);
	redisFree(c);
}

void t_auth_sql(const char *sql)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
}

long t_auth_sql_long(const char *sql)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *res = t_pg_ok(su, sql);
	long n = atol(PQgetvalue(res, 0, 0));

	PQclear(res);
	PQfinish(su);
	return n;
}

void t_auth_sql_str(const char *sql, char *out, size_t outlen)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *res = t_pg_ok(su, sql);

	cr_assert(PQntuples(res) > 0, "no row: %s", sql);
	snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(su);
}
