/* doc_helpers.c - see doc_helpers.h. */
#include "doc_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

const char *const t_role_names[T_NROLES] = {"owner", "admin", "member", "viewer"};

void t_team_setup(struct t_team *t, const char *tag)
{
	char sub[64];

	snprintf(sub, sizeof(sub), "%s-owner", tag);
	t_auth_signup(&t->as[T_OWNER], sub);
	for (int r = T_ADMIN; r < T_NROLES; r++) {
		snprintf(sub, sizeof(sub), "%s-%s", tag, t_role_names[r]);
		t_auth_member(&t->as[r], &t->as[T_OWNER], t_role_names[r], sub);
	}
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

void t_doc_request(const char *method, const char *path, const char *bearer,
                   const char *const *headers, const char *json, struct http_response *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[4096], line[4300];
	struct sink bs, hs;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	bs = (struct sink){&out->body, &out->body_len};
	hs = (struct sink){&out->headers, &out->headers_len};
	snprintf(url, sizeof(url), "%s%s", t_env("MENHIR_TEST_BASE_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
	if (bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, line);
	}
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		h = curl_slist_append(h, headers[i]);
	if (json != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	if (out->headers == NULL)
		out->headers = calloc(1, 1);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
}

void t_doc_data_str(const struct http_response *r, const char *key, char *out, size_t outlen)
{
	json_object *root = t_auth_json(r);
	const char *v = t_auth_data_str(root, key);

	cr_assert(v != NULL, "no data.%s in %s", key, r->body);
	snprintf(out, outlen, "%s", v);
	json_object_put(root);
}

void t_doc_create(const struct t_session *s, const char *json, char id[40])
{
	struct http_response r;

	t_doc_request("POST", "/api/v1/documents", s->access, NULL, json, &r);
	cr_assert_eq(r.status, 201, "create %s: %ld %s", json, r.status, r.body);
	t_doc_data_str(&r, "id", id, 40);
	t_http_free(&r);
}

int t_doc_round_trips(const struct http_response *r)
{
	char *rid = t_header(r, "X-Request-Id"), path[1024], needle[128];
	int found = -1;

	cr_assert(rid != NULL);
	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", rid);
	/* The worker logs after it has answered: give it a moment. */
	for (int tries = 0; tries < 100 && found < 0; tries++) {
		FILE *f = fopen(path, "r");
		char line[8192];

		cr_assert(f != NULL, "cannot read %s", path);
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *p;

			if (strstr(line, needle) && strstr(line, "\"event\":\"request\"") &&
			    (p = strstr(line, "\"db_round_trips\":")) != NULL)
				found = atoi(p + strlen("\"db_round_trips\":"));
		}
		fclose(f);
		if (found < 0)
			usleep(20000);
	}
	free(rid);
	return found;
}

PGconn *t_doc_pg_as(const struct t_session *s)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");
	const char *p[3] = {s->tenant_id, s->user_id, "viewer"};
	PGresult *r;

	PQclear(t_pg_ok(c, "BEGIN"));
	r = PQexecParams(c, "SELECT app_enter($1, $2, $3)", 3, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	PQclear(r);
	return c;
}
