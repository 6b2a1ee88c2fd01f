/* it_redis_outage.c - Redis is an accelerator, not a single point of failure: while it is
 * down the authenticated API keeps serving, and every revocation made before the outage is
 * still enforced, from PostgreSQL, in the request's own round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include <criterion/criterion.h>

#include "doc_helpers.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static long get_status(const char *path, const char *token)
{
	struct http_response r;
	long status;

	t_doc_request("GET", path, token, NULL, NULL, &r);
	status = r.status;
	t_http_free(&r);
	return status;
}

/* menhir's log has a line with `event` after offset (waits up to timeout_ms). */
static int logged_after(long offset, const char *event, int timeout_ms)
{
	char path[1024], line[8192], needle[128];

	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		FILE *f = fopen(path, "r");
		int found = 0;

		cr_assert(f != NULL);
		fseek(f, offset, SEEK_SET);
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, needle) != NULL;
		fclose(f);
		if (found)
			return 1;
		sleep_ms(100);
	}
	return 0;
}

static void redis_back(void)
{
	t_stack("redis-start");
}

Test(redis_outage, the_api_keeps_serving_and_enforces_revocations_from_postgresql,
     .fini = redis_back, .timeout = 90)
{
	struct t_session live, gone;
	struct http_response r;
	long offset;
	char doc[40];

	t_auth_signup(&live, "outage-live");
	t_auth_signup(&gone, "outage-gone");
	/* Revoked before the outage: every token of this user dies. */
	t_doc_request("POST", "/api/v1/auth/logout-all", gone.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	t_http_free(&r);
	cr_assert_eq(get_status("/api/v1/documents", gone.access), 401);

	offset = t_menhir_log_size();
	cr_assert_eq(t_stack("redis-stop"), 0, "script/stack redis-stop failed");
	cr_assert(logged_after(offset, "revocation_unsynced", 30000),
	          "the master never noticed Redis was gone");

	/* Reads and writes go on: PostgreSQL vouches for the token instead. */
	for (int i = 0; i < 10; i++)
		cr_assert_eq(get_status("/api/v1/documents", live.access), 200, "read %d", i);
	t_doc_create(&live, "{\"title\":\"during the outage\",\"body\":\"b\"}", doc);
	/* And refuses what was revoked. */
	cr_assert_eq(get_status("/api/v1/documents", gone.access), 401);
	/* Also when the request never reaches a handler's transaction (a 400 from the
	 * dispatcher): the token is checked after, and the 400 becomes the 401. */
	cr_assert_eq(get_status("/api/v1/documents?limit=abc", gone.access), 401);
	cr_assert_eq(get_status("/api/v1/documents?limit=abc", live.access), 400);
	/* What truly needs Redis says so: a revocation cannot reach every machine now. */
	t_doc_request("POST", "/api/v1/auth/logout-all", live.access, NULL, NULL, &r);
	t_assert_error(&r, 503, "service_unavailable");
	t_http_free(&r);

	offset = t_menhir_log_size();
	cr_assert_eq(t_stack("redis-start"), 0, "script/stack redis-start failed");
	cr_assert(logged_after(offset, "revocation_synced", 30000),
	          "no resync after Redis came back");
	cr_assert_eq(get_status("/api/v1/documents", gone.access), 401);
}

/* A logout with the access token alone (no refresh cookie) used to end the session in
 * Redis only; PostgreSQL now knows too, so the fallback refuses its tokens. */
Test(redis_outage, a_session_ended_by_access_token_stays_ended_without_redis, .fini = redis_back,
     .timeout = 90)
{
	struct t_session s, other;
	struct http_response r;
	long offset;

	t_auth_signup(&s, "outage-logout");
	t_auth_signup(&other, "outage-other");
	t_doc_request("POST", "/api/v1/auth/logout", s.access, NULL, NULL, &r);
	if (r.status == 403) {
		/* Logout checks Origin (CSRF): send it. */
		const char *h[] = {NULL, NULL};
		char origin[300];

		t_http_free(&r);
		snprintf(origin, sizeof(origin), "Origin: %s", t_auth_origin());
		h[0] = origin;
		t_doc_request("POST", "/api/v1/auth/logout", s.access, h, NULL, &r);
	}
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	t_http_free(&r);
	offset = t_menhir_log_size();
	cr_assert_eq(t_stack("redis-stop"), 0);
	cr_assert(logged_after(offset, "revocation_unsynced", 30000));
	cr_assert_eq(get_status("/api/v1/documents", s.access), 401);
	cr_assert_eq(get_status("/api/v1/documents", other.access), 200);
}

/* The stack's Redis keeps nothing across a restart (no persistence), so the revocations
 * it held are gone when it comes back. A running master still has them in its table; a
 * master that starts now (a host restarted, one added) would load an empty record and
 * vouch for everything. mh:rv:since moves with the lost data, and the tokens issued before
 * it are checked in PostgreSQL until they expire. */
Test(redis_outage, revocations_outlive_a_redis_that_lost_its_data, .fini = redis_back,
     .timeout = 120)
{
	struct t_session live, gone;
	struct http_response r;
	long offset;
	pid_t master;

	t_auth_signup(&live, "lost-live");
	t_auth_signup(&gone, "lost-gone");
	t_doc_request("POST", "/api/v1/auth/logout-all", gone.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	t_http_free(&r);
	cr_assert_eq(get_status("/api/v1/documents", gone.access), 401);

	cr_assert_eq(t_stack("redis-stop"), 0);
	cr_assert_eq(t_stack("redis-start"), 0);
	/* A new master, whose table starts empty. */
	master = t_menhir_pid();
	cr_assert_eq(kill(master, SIGTERM), 0);
	for (int i = 0; i < 300 && kill(master, 0) == 0; i++)
		sleep_ms(100);
	offset = t_menhir_log_size();
	cr_assert_eq(t_stack("start"), 0, "script/stack start did not bring menhir back");
	cr_assert(logged_after(offset, "revocation_synced", 30000), "the new master never synced");
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(get_status("/api/v1/documents", gone.access), 401, "request %d", i);
		cr_assert_eq(get_status("/api/v1/documents", live.access), 200, "request %d", i);
	}
}
