/* it_paging.c - the keyset-paginated lists of API keys and invitations through nginx: pages
 * of ?limit= rows, newest first, each row once, the last page's next_cursor null, and a
 * cursor that positions only within the caller's own tenant. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"

TestSuite(paging, .timeout = 120);

#define KEYS        "/api/v1/tenants/current/api-keys"
#define INVITATIONS "/api/v1/tenants/current/invitations"
#define ROWS        5
#define LIMIT       2

/* Creates one row of the list at path (a key or an invitation, as json says) as s; its id
 * into id. */
static void create(const struct t_session *s, const char *path, const char *json, char id[40])
{
	struct http_response r;
	json_object *root;

	t_auth_request("POST", path, s->access, NULL, NULL, json, &r);
	cr_assert_eq(r.status, 201, "POST %s: %s", path, r.body);
	root = t_auth_json(&r);
	cr_assert_not_null(t_auth_data_str(root, "id"), "%s", r.body);
	snprintf(id, 40, "%s", t_auth_data_str(root, "id"));
	json_object_put(root);
	t_http_free(&r);
}

/* Reads every page of path as s with ?limit=LIMIT, following next_cursor; fills ids (in the
 * order served) and returns how many rows there were. Asserts every page but the last is
 * full, and that created_at never increases. */
static int read_all(const struct t_session *s, const char *path, char ids[][40], int max)
{
	char url[1024], last[64] = "";
	int n = 0, pages = 0;

	snprintf(url, sizeof(url), "%s?limit=%d", path, LIMIT);
	for (;;) {
		struct http_response r;
		json_object *root, *data, *next;
		int len;

		t_auth_request("GET", url, s->access, NULL, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "GET %s: %s", url, r.body);
		root = t_auth_json(&r);
		cr_assert(json_object_object_get_ex(root, "data", &data), "%s", r.body);
		cr_assert(json_object_object_get_ex(root, "next_cursor", &next), "%s", r.body);
		len = (int)json_object_array_length(data);
		cr_assert_leq(len, LIMIT, "%s", r.body);
		for (int i = 0; i < len; i++) {
			json_object *row = json_object_array_get_idx(data, i), *v;
			const char *at;

			cr_assert_lt(n, max, "more rows than were created: %s", r.body);
			cr_assert(json_object_object_get_ex(row, "id", &v));
			snprintf(ids[n++], 40, "%s", json_object_get_string(v));
			cr_assert(json_object_object_get_ex(row, "created_at", &v));
			at = json_object_get_string(v);
			cr_assert(last[0] == '\0' || strcmp(at, last) <= 0,
			          "newest first: %s after %s", at, last);
			snprintf(last, sizeof(last), "%s", at);
		}
		pages++;
		if (json_object_is_type(next, json_type_null)) {
			json_object_put(root);
			t_http_free(&r);
			break;
		}
		cr_assert_eq(len, LIMIT, "a page with a next one is full: %s", r.body);
		snprintf(url, sizeof(url), "%s?limit=%d&cursor=%s", path, LIMIT,
		         json_object_get_string(next));
		json_object_put(root);
		t_http_free(&r);
		cr_assert_leq(pages, max, "the cursor does not advance");
	}
	return n;
}

/* Every row created comes back exactly once, over ROWS / LIMIT rounded up pages. */
static void assert_pages(const struct t_session *s, const char *path, char created[][40])
{
	char ids[ROWS + 1][40];
	int n = read_all(s, path, ids, ROWS + 1);

	cr_assert_eq(n, ROWS, "%s: %d rows listed, %d created", path, n, ROWS);
	for (int i = 0; i < ROWS; i++) {
		int seen = 0;

		for (int j = 0; j < n; j++)
			seen += strcmp(created[i], ids[j]) == 0;
		cr_assert_eq(seen, 1, "%s: %s listed %d times", path, created[i], seen);
	}
}

Test(paging, api_keys_come_in_pages_of_limit_each_key_once_newest_first)
{
	struct t_session owner;
	char created[ROWS][40], json[96];

	t_auth_signup(&owner, "paging-keys");
	for (int i = 0; i < ROWS; i++) {
		snprintf(json, sizeof(json), "{\"name\":\"page %d\",\"role\":\"viewer\"}", i);
		create(&owner, KEYS, json, created[i]);
	}
	assert_pages(&owner, KEYS, created);
}

Test(paging, invitations_come_in_pages_of_limit_each_invitation_once_newest_first)
{
	struct t_session owner;
	char created[ROWS][40], json[160], email[128];

	t_auth_signup(&owner, "paging-inv");
	for (int i = 0; i < ROWS; i++) {
		t_auth_email(email, sizeof(email), "paging-invitee");
		snprintf(json, sizeof(json), "{\"email\":\"%s\",\"role\":\"member\"}", email);
		create(&owner, INVITATIONS, json, created[i]);
	}
	assert_pages(&owner, INVITATIONS, created);
}

/* A cursor is not signed: it only positions a scan inside the caller's own rows, so another
 * tenant's owner who replays it sees none of the first tenant's keys. */
Test(paging, a_cursor_replayed_in_another_tenant_shows_only_that_tenants_rows)
{
	struct t_session a, b;
	struct http_response r;
	json_object *root, *next;
	char url[1024], json[96], id[40];

	t_auth_signup(&a, "paging-a");
	t_auth_signup(&b, "paging-b");
	for (int i = 0; i < 3; i++) {
		snprintf(json, sizeof(json), "{\"name\":\"a %d\",\"role\":\"viewer\"}", i);
		create(&a, KEYS, json, id);
	}
	t_auth_request("GET", KEYS "?limit=1", a.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert(json_object_object_get_ex(root, "next_cursor", &next));
	cr_assert(json_object_is_type(next, json_type_string), "%s", r.body);
	snprintf(url, sizeof(url), KEYS "?limit=10&cursor=%s", json_object_get_string(next));
	json_object_put(root);
	t_http_free(&r);
	t_auth_request("GET", url, b.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"data\":[]") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "\"next_cursor\":null") != NULL, "%s", r.body);
	t_http_free(&r);
}
