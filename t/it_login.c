/* it_login.c - the failed-login throttle and what a failure gives away, through nginx: an
 * attacker at one address cannot keep the owner at another out; delays grow per (account,
 * address); an account-wide lock needs many addresses and `menhir admin unlock-login` lifts
 * it; a failure takes as long for an unknown e-mail as for a real account. Requests come
 * from several loopback addresses (t_http_source); nginx sees each as a client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "secrets.h"

TestSuite(login, .timeout = 240);

/* AUTH_ACCOUNT_FAILURE_FACTOR (README "Passwords and lockout"): the account-wide lock comes
 * after this many times login_max_failures, from every address together. */
#define ACCOUNT_FACTOR 20

static void reset_throttles(void)
{
	t_auth_redis("EVAL %s 0", "for _, k in ipairs(redis.call('KEYS', 'mh:lf:*')) do"
	                          " redis.call('DEL', k) end return 0");
}

static long login_from(const char *addr, const char *email, const char *password,
                       struct http_response *out)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	t_http_source(addr);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, out);
	t_http_source(NULL);
	return out->status;
}

static long status_from(const char *addr, const char *email, const char *password)
{
	struct http_response r;
	long s = login_from(addr, email, password, &r);

	t_http_free(&r);
	return s;
}

static long retry_after(const struct http_response *r)
{
	char *v = t_header(r, "Retry-After");
	long n = v ? atol(v) : -1;

	free(v);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Attempts of a test whose scenario must fit in the throttle's first second (below). */
#define SLOW_TRIES 5

/*
 * The throttle's delays run from when Menhir counted the failure, and nothing stops a loaded
 * machine from taking a second between two requests of a test. A failure sent at failed_ms
 * (client clock) was counted after that, and an answer received at t_now_ms() was decided
 * before it: so when t_now_ms() - failed_ms < 1000 the delay of delay_s seconds cannot have
 * ended and Retry-After must be delay_s exactly; otherwise the answer proves nothing. Sends the
 * login; returns 1 when it was decided inside that window (and asserts the 429), 0 when it
 * came too late to tell (the caller sets the scenario up again).
 */
static int throttled_within_a_second(const char *addr, const char *email, const char *password,
                                     long long failed_ms, long delay_s)
{
	struct http_response r;
	long status = login_from(addr, email, password, &r);

	if (t_now_ms() - failed_ms >= 1000) {
		cr_log_warn("an answer came %lld ms after the failure: setting up again",
		            t_now_ms() - failed_ms);
		t_http_free(&r);
		return 0;
	}
	cr_assert_eq(status, 429, "%s", r.body);
	t_assert_error(&r, 429, "too_many_attempts");
	cr_assert_eq(retry_after(&r), delay_s);
	t_http_free(&r);
	return 1;
}

/* max failures of (addr, email) from fresh throttles; returns when the last one was sent. */
static long long fail_max_times(const char *addr, const char *email, int max)
{
	long long sent = 0;

	reset_throttles();
	for (int i = 0; i < max; i++) {
		sent = t_now_ms();
		cr_assert_eq(status_from(addr, email, T_SECRET_WRONG_PASSWORD), 401, "failure %d",
		             i + 1);
	}
	return sent;
}

/* The denial of service the old account lock allowed: five wrong passwords from anywhere
 * locked the owner out for 15 minutes. Now the attacker's own address waits; the owner's
 * does not. */
Test(login, an_attacker_at_one_address_cannot_lock_the_owner_out)
{
	struct t_session s;
	int max = atoi(t_auth_config("login_max_failures"));
	long long failed = 0;
	long delay_s = 1;
	int seen = 0;

	cr_assert(max > 0);
	t_auth_signup(&s, "owner");
	/* The attacker's address must wait, even with the right password. */
	for (int try = 0; try < SLOW_TRIES && !seen; try++) {
		failed = fail_max_times("127.0.0.1", s.email, max);
		seen = throttled_within_a_second("127.0.0.1", s.email, T_SECRET_PASSWORD, failed,
		                                 1);
	}
	cr_assert(seen, "%d tries, each answer more than 1 s after the failure", SLOW_TRIES);
	/* ...and keeps trying: refused while the delay lasts. A guess that arrives after it is
	 * checked (401) and doubles the delay, but never before the delay has passed. */
	for (int i = 0; i < 2 * max; i++) {
		long long sent = t_now_ms();
		long st = status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD);

		if (st == 401) {
			cr_assert_geq(t_now_ms() - failed, delay_s * 1000,
			              "a guess was checked %lld ms after a failure, within its %ld "
			              "s delay",
			              t_now_ms() - failed, delay_s);
			failed = sent;
			delay_s *= 2;
		} else {
			cr_assert_eq(st, 429, "guess %d", i + 1);
		}
	}
	/* The owner, at another address, gets in; a typo of theirs does not lock them out. */
	cr_assert_eq(status_from("127.0.0.3", s.email, T_SECRET_PASSWORD), 200,
	             "the owner was locked out by someone else's failures");
	cr_assert_eq(status_from("127.0.0.3", s.email, T_SECRET_WRONG_PASSWORD), 401);
	cr_assert_eq(status_from("127.0.0.3", s.email, T_SECRET_PASSWORD), 200);
	reset_throttles();
}

/* Per (account, address): 1 s after login_max_failures failures, then doubling with each
 * further failure; a success from that address starts it afresh. */
Test(login, delays_grow_with_each_failure_of_the_same_pair)
{
	struct t_session s;
	int max = atoi(t_auth_config("login_max_failures"));
	int seen = 0;

	t_auth_signup(&s, "backoff");
	/* Retry-After is what is left of the delay, in whole seconds: exact only when the 429
	 * comes within a second of the failure (throttled_within_a_second). */
	for (int try = 0; try < SLOW_TRIES && !seen; try++) {
		long long failed = fail_max_times("127.0.0.1", s.email, max);

		/* The first delay. */
		if (!throttled_within_a_second("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD,
		                               failed, 1))
			continue;
		sleep_ms(1100);
		failed = t_now_ms();
		cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 401,
		             "after the delay, the next guess is checked");
		/* The delay doubles. */
		seen = throttled_within_a_second("127.0.0.1", s.email, T_SECRET_PASSWORD, failed,
		                                 2);
	}
	cr_assert(seen, "%d tries, each answer more than 1 s after the failure", SLOW_TRIES);
	sleep_ms(2100);
	cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_PASSWORD), 200);
	/* Afresh: max - 1 failures are just failures again. */
	for (int i = 0; i + 1 < max; i++)
		cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 401);
	cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_PASSWORD), 200);
	reset_throttles();
}

/* A failure is counted by the throttle's script run by its hash (EVALSHA; each worker loads
 * it once), never by sending its source each time (EVAL). */
Test(login, failures_are_counted_by_the_scripts_hash_not_its_source)
{
	char info[8192], email[128];
	const char *p;
	int max = atoi(t_auth_config("login_max_failures"));

	cr_assert(max > 0);
	reset_throttles(); /* itself an EVAL, so before the statistics start */
	cr_assert_eq(t_auth_redis("CONFIG RESETSTAT"), 0);
	for (int i = 0; i < 2 * max; i++) {
		snprintf(email, sizeof(email), "nobody-%d-%ld@example.com", i, (long)time(NULL));
		cr_assert_eq(status_from("127.0.0.1", email, T_SECRET_WRONG_PASSWORD), 401,
		             "failure %d", i + 1);
	}
	t_auth_redis_str(info, sizeof(info), "INFO commandstats");
	cr_assert_null(strstr(info, "cmdstat_eval:"), "a failure sent the script's source: %s",
	               info);
	p = strstr(info, "cmdstat_evalsha:calls=");
	cr_assert(p != NULL && atol(p + strlen("cmdstat_evalsha:calls=")) >= 2 * max, "%s", info);
	reset_throttles();
}

/* A distributed guess (many addresses, each within its own budget) does lock the account,
 * but only after ACCOUNT_FACTOR times login_max_failures; an operator (or, once it exists, a
 * password reset) lifts it. */
Test(login, an_account_wide_lock_needs_many_addresses_and_unlock_login_lifts_it)
{
	struct t_session s, other;
	struct http_response r;
	int max = atoi(t_auth_config("login_max_failures"));
	int addresses = ACCOUNT_FACTOR, n = 0;
	char addr[32], out[256];
	const char *args[] = {"admin", "unlock-login", s.email, NULL};

	reset_throttles();
	t_auth_signup(&s, "spread");
	t_auth_signup(&other, "spread-other");
	for (int a = 0; a < addresses; a++) {
		/* 127.0.1.x: addresses no other suite uses, each under nginx's auth burst. */
		snprintf(addr, sizeof(addr), "127.0.1.%d", a + 1);
		for (int i = 0; i < max; i++, n++)
			cr_assert_eq(status_from(addr, s.email, T_SECRET_WRONG_PASSWORD), 401,
			             "failure %d from %s", i + 1, addr);
		if (a == addresses - 2) {
			/* Far more than max failures, yet spread out: the owner still gets in. */
			cr_assert_eq(status_from("127.0.0.3", s.email, T_SECRET_PASSWORD), 200,
			             "locked after %d failures", n);
		}
	}
	cr_assert_eq(n, max * ACCOUNT_FACTOR);
	cr_assert_eq(login_from("127.0.0.3", s.email, T_SECRET_PASSWORD, &r), 429,
	             "no account-wide lock after %d failures: %s", n, r.body);
	cr_assert(retry_after(&r) > 1);
	t_http_free(&r);
	/* The lock is the account's: another account from the same address is fine. */
	cr_assert_eq(status_from("127.0.0.3", other.email, T_SECRET_PASSWORD), 200);
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), args), 0, "%s", out);
	cr_assert_str_eq(out, "unlocked");
	cr_assert_eq(status_from("127.0.0.3", s.email, T_SECRET_PASSWORD), 200);
	reset_throttles();
}

/* ---- Timing --------------------------------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* duration_us of the access-log line of request_id in text (Menhir's own log). */
static long long logged_duration(const char *text, const char *request_id)
{
	long d = t_access_log_duration(text, request_id);

	cr_assert(d >= 0, "no access-log line with a duration for request %s", request_id);
	return d;
}

/* The failed login of email, from 127.0.0.1 with fresh throttles; its request id in id. */
static void failed_login(const char *email, char id[64])
{
	struct http_response r;
	char *v;

	reset_throttles();
	cr_assert_eq(login_from("127.0.0.1", email, T_SECRET_WRONG_PASSWORD, &r), 401, "%s",
	             r.body);
	v = t_header(&r, "X-Request-Id");
	cr_assert(v != NULL);
	snprintf(id, 64, "%s", v);
	free(v);
	t_http_free(&r);
}

/*
 * A failure must take as long for an e-mail without an account as for a real one, or the
 * time tells which addresses have accounts. Menhir's own duration (its access log, so TLS and
 * the client add no noise) is compared over interleaved pairs in alternating order.
 *
 * The account belongs to 5000 tenants, so that any work that grows with what an account has
 * shows far above the noise: the old code read every tenant of the account before checking
 * the password and wrote an audit row for real accounts only; it fails here by 70-85 % (and
 * by 4-8 % with a single tenant, the reviewer's 0.5 ms). The tolerance is relative, 20 % of
 * the median: on two cores shared with other jobs a request of ~12 ms takes 20-40 ms, and
 * two runs of the very same path differ by up to ~11 % in median over 60 requests, so any
 * bound tight enough for the single-tenant case fails on a busy machine for nothing. The
 * constant part of the old difference (the audit insert) was measured on its own instead:
 * README "Passwords and lockout".
 *
 * What is compared is the median of the pairs' differences, not the difference of the two
 * medians: the two requests of a pair run back to back, so a burst of load from elsewhere
 * (which moves both) cancels out, while a real difference moves every pair. A bias that
 * grows with the account's size still shows in full.
 */
Test(login, a_failure_takes_as_long_for_an_unknown_email)
{
	enum { PAIRS = 60, TENANTS = 5000 };
	struct t_session s;
	long long known[PAIRS], unknown[PAIRS], diff[PAIRS], mk, mu, md, tol;
	char ids[PAIRS][2][64], email[160], sql[512], uid[40], *text;
	long start;
	size_t n = 0;

	t_auth_signup(&s, "timing");
	/* The user id without dashes: a slug prefix of this test only. */
	for (const char *p = s.user_id; *p; p++)
		if (*p != '-')
			uid[n++] = *p;
	uid[n] = '\0';
	snprintf(sql, sizeof(sql),
	         "WITH t AS (INSERT INTO tenants (name, slug)"
	         " SELECT 'Timing', 'timing-%s-' || g FROM generate_series(1, %d) g RETURNING id)"
	         " INSERT INTO memberships (tenant_id, user_id, role)"
	         " SELECT id, '%s', 'member' FROM t",
	         uid, TENANTS, s.user_id);
	t_auth_sql(sql);
	/* The statistics a live database has, whether or not autovacuum has come by since the
	 * bulk insert: the plans of the login's tenant lookup must not depend on when it did. */
	t_auth_sql("ANALYZE memberships, tenants");
	start = t_menhir_log_size();
	/* Warm-up: every worker has prepared its statements and planned both paths. */
	for (int i = 0; i < 8; i++) {
		t_auth_email(email, sizeof(email), "nobody");
		failed_login(i % 2 ? email : s.email, ids[0][0]);
	}
	for (int i = 0; i < PAIRS; i++) {
		t_auth_email(email, sizeof(email), "nobody");
		failed_login(i % 2 ? email : s.email, ids[i][i % 2]);
		failed_login(i % 2 ? s.email : email, ids[i][1 - i % 2]);
	}
	/* The last lines may still be on their way: wait for every one of them. */
	text = t_menhir_log_with_requests(start, (const char(*)[64])ids, 2 * PAIRS, 30000);
	for (int i = 0; i < PAIRS; i++) {
		known[i] = logged_duration(text, ids[i][0]);
		unknown[i] = logged_duration(text, ids[i][1]);
		diff[i] = known[i] - unknown[i];
	}
	free(text);
	md = median(diff, PAIRS);
	mk = median(known, PAIRS);
	mu = median(unknown, PAIRS);
	tol = mu * 20 / 100 > 1000 ? mu * 20 / 100 : 1000;
	cr_log_info("failed login medians: account %lld us, no account %lld us, of the pairs'"
	            " differences %lld us (tolerance %lld)",
	            mk, mu, md, tol);
	cr_assert(llabs(md) <= tol,
	          "a failed login for an account takes %lld us more than for an unknown e-mail"
	          " (median of %d interleaved pairs; medians %lld and %lld us; tolerance %lld us)",
	          md, PAIRS, mk, mu, tol);
	reset_throttles();
	snprintf(sql, sizeof(sql), "DELETE FROM tenants WHERE slug LIKE 'timing-%s-%%'", uid);
	t_auth_sql(sql);
}
