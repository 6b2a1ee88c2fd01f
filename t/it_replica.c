/* it_replica.c - read replicas: a writer always reads its own writes, other reads are
 * served by the replica, and a lagging or stopped replica is skipped. The suite gives the
 * stack a streaming replica that applies every commit 400 ms late (script/stack
 * replica-start), so a stale read is the rule there, not a rare race; it removes the
 * replica again at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <json-c/json.h>

#include "doc_helpers.h"

#define APPLY_DELAY_MS "400"
#define MAX_LAG_MS     1500

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Starts the replica once (replica-start is idempotent) and waits until the new workers,
 * which read from it, have taken over from the old (however long a loaded machine takes to
 * fork them; every old one gone). */
static void with_replica(void)
{
	char path[1024];
	pid_t before[64], now[64];
	int nbefore;

	snprintf(path, sizeof(path), "%s/replica.port", t_env("MENHIR_TEST_STATE"));
	if (access(path, F_OK) == 0)
		return;
	nbefore = t_worker_pids(before, 64);
	setenv("MENHIR_REPLICA_APPLY_DELAY", APPLY_DELAY_MS, 1);
	setenv("MENHIR_REPLICA_MAX_LAG", "1500", 1);
	cr_assert_eq(t_stack("replica-start"), 0, "script/stack replica-start failed");
	for (int waited = 0;; waited += 100) {
		int n = t_worker_pids(now, 64), old = 0;

		for (int i = 0; i < n; i++)
			for (int j = 0; j < nbefore; j++)
				old += now[i] == before[j];
		if (n > 0 && old == 0)
			break;
		cr_assert(waited < 30000, "the workers without a replica are still there");
		sleep_ms(100);
	}
}

/* A superuser session on the replica, in the menhir database (menhir_db != 0) or in the
 * postgres one script/stack names in replica.super (enough to pause and resume replay). */
static PGconn *replica_super(int menhir_db)
{
	char path[1024], conninfo[1024], *db;
	FILE *f;
	PGconn *rep;

	snprintf(path, sizeof(path), "%s/replica.super", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert(f != NULL && fgets(conninfo, sizeof(conninfo), f) != NULL);
	fclose(f);
	conninfo[strcspn(conninfo, "\n")] = '\0';
	db = strstr(conninfo, "dbname=postgres");
	if (menhir_db && db != NULL) {
		/* "postgres" and "menhir " alike are 8 bytes: the rest stays where it is. */
		memcpy(db + strlen("dbname="), "menhir  ", 8);
	}
	rep = PQconnectdb(conninfo);
	cr_assert_eq(PQstatus(rep), CONNECTION_OK, "%s", PQerrorMessage(rep));
	return rep;
}

/* Waits until the replica shows the document (and so everything committed before it: the
 * user, the tenant, the membership). The replica's data is asked, not its replay position:
 * with an apply delay, a position past a commit did not mean the commit was visible there. */
static void replica_has_document(const char *doc)
{
	PGconn *rep = replica_super(1);
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM documents WHERE id = '%s'", doc);
	for (int waited = 0;; waited += 100) {
		PGresult *r = t_pg_ok(rep, sql);
		int seen = atoi(PQgetvalue(r, 0, 0)) > 0;

		PQclear(r);
		if (seen)
			break;
		cr_assert(waited < 30000, "the replica did not show document %s in 30 s", doc);
		sleep_ms(100);
	}
	PQfinish(rep);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	if (getenv("MENHIR_TEST_STATE") != NULL)
		t_stack("replica-stop");
}

TestSuite(replica, .init = with_replica, .timeout = 90);

/* The document's title as GET answers it, with the given header line (may be NULL). */
static void read_title(const struct t_session *s, const char *doc, const char *header, char *out,
                       size_t outlen)
{
	const char *const headers[] = {header, NULL};
	char path[128];
	struct http_response r;
	json_object *root, *data, *title;

	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc);
	t_doc_request("GET", path, s->access, header ? headers : NULL, NULL, &r);
	if (r.status == 404) {
		snprintf(out, outlen, "(missing)");
		t_http_free(&r);
		return;
	}
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	root = json_tokener_parse(r.body);
	cr_assert(root != NULL && json_object_object_get_ex(root, "data", &data) &&
	          json_object_object_get_ex(data, "title", &title));
	snprintf(out, outlen, "%s", json_object_get_string(title));
	json_object_put(root);
	t_http_free(&r);
}

/* Renames the document; returns the Menhir-Lsn the response carries (malloc'd) and checks
 * the cookie carries the same. */
static char *rename_doc(const struct t_session *s, const char *doc, const char *title)
{
	char path[128], body[128], *lsn, *cookie;
	struct http_response r;

	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc);
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	t_doc_request("PATCH", path, s->access, NULL, body, &r);
	cr_assert_eq(r.status, 200, "PATCH: %ld %s", r.status, r.body);
	lsn = t_header(&r, "Menhir-Lsn");
	cookie = t_header(&r, "Set-Cookie");
	cr_assert_not_null(lsn, "a write's response has no Menhir-Lsn");
	cr_assert(cookie != NULL && strncmp(cookie, "menhir_lsn=", 11) == 0 &&
	                  strncmp(cookie + 11, lsn, strlen(lsn)) == 0,
	          "Set-Cookie %s", cookie ? cookie : "(none)");
	free(cookie);
	t_http_free(&r);
	return lsn;
}

/* A new user and document, once the replica has them: without the signup's position a
 * read on the replica would not know the user's membership yet (403). */
static void fresh_document(struct t_session *s, char doc[40], const char *tag)
{
	t_auth_signup(s, tag);
	t_doc_create(s, "{\"title\":\"v0\",\"body\":\"b\"}", doc);
	replica_has_document(doc);
}

Test(replica, a_write_followed_by_the_same_users_read_never_sees_stale_data)
{
	struct t_session s;
	char doc[40], want[32], got[64], header[96];

	fresh_document(&s, doc, "ryw");
	for (int i = 1; i <= 30; i++) {
		char *lsn;

		snprintf(want, sizeof(want), "v%d", i);
		lsn = rename_doc(&s, doc, want);
		/* An API client sends the header back, a browser the cookie. */
		if (i % 2)
			snprintf(header, sizeof(header), "Menhir-Lsn: %s", lsn);
		else
			snprintf(header, sizeof(header), "Cookie: a=b; menhir_lsn=%s", lsn);
		read_title(&s, doc, header, got, sizeof(got));
		cr_assert_str_eq(got, want, "read %d after its own write saw %s (%s)", i, got,
		                 header);
		free(lsn);
	}
}

/* The control that makes the test above mean something: the same read without the
 * writer's position is served by the replica, 400 ms behind, and sees the old title (a read
 * that comes more than 400 ms after its write, on a loaded machine, sees the new one: more
 * rounds until one is stale). */
Test(replica, reads_without_the_writers_position_go_to_the_replica)
{
	struct t_session s;
	char doc[40], want[32], got[64];
	int stale = 0;

	fresh_document(&s, doc, "ctl");
	for (int i = 1; i <= 100 && stale == 0; i++) {
		snprintf(want, sizeof(want), "w%d", i);
		free(rename_doc(&s, doc, want));
		read_title(&s, doc, NULL, got, sizeof(got));
		stale += strcmp(got, want) != 0;
	}
	cr_assert_gt(stale, 0, "no read went to the replica");
}

/* Replay paused past replica_max_lag: the replica is skipped, every read is fresh. */
Test(replica, a_replica_lagging_past_replica_max_lag_is_skipped)
{
	struct t_session s;
	char doc[40], got[64];
	PGconn *rep;

	fresh_document(&s, doc, "lag");
	rep = replica_super(0);
	PQclear(t_pg_ok(rep, "SELECT pg_wal_replay_pause()"));
	free(rename_doc(&s, doc, "paused"));
	sleep_ms(MAX_LAG_MS + 700);
	for (int i = 0; i < 20; i++) {
		read_title(&s, doc, NULL, got, sizeof(got));
		if (strcmp(got, "paused") != 0)
			break;
	}
	PQclear(t_pg_ok(rep, "SELECT pg_wal_replay_resume()"));
	PQfinish(rep);
	cr_assert_str_eq(got, "paused", "a read went to a replica %d ms behind", MAX_LAG_MS + 700);
}

/* A stopped replica costs no failed read: the primary answers, then the replica is
 * used again once it is back. */
Test(replica, a_stopped_replica_is_skipped_without_failing_a_read)
{
	struct t_session s;
	char doc[40], got[64];

	fresh_document(&s, doc, "down");
	free(rename_doc(&s, doc, "before"));
	cr_assert_eq(t_stack("replica-pg-stop"), 0);
	for (int i = 0; i < 20; i++) {
		read_title(&s, doc, NULL, got, sizeof(got));
		cr_assert_str_eq(got, "before", "read %d with the replica down", i);
	}
	cr_assert_eq(t_stack("replica-pg-start"), 0);
}
