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

/* The denial of service the old account lock allowed: five wrong passwords from anywhere
 * locked the owner out for 15 minutes. Now the attacker's own address waits; the owner's
 * does not. */
Test(login, an_attacker_at_one_address_cannot_lock_the_owner_out)
{
	struct t_session s;
	struct http_response r;
	int max = atoi(t_auth_config("login_max_failures"));

	cr_assert(max > 0);
	reset_throttles();
	t_auth_signup(&s, "owner");
	for (int i = 0; i < max; i++)
		cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 401,
		             "failure %d", i + 1);
	/* The attacker's address must wait, even with the right password. */
	cr_assert_eq(login_from("127.0.0.1", s.email, T_SECRET_PASSWORD, &r), 429, "%s", r.body);
	t_assert_error(&r, 429, "too_many_attempts");
	cr_assert(retry_after(&r) >= 1);
	t_http_free(&r);
	/* ...and keeps trying. */
	for (int i = 0; i < 2 * max; i++)
		cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 429);
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
	struct http_response r;
	int max = atoi(t_auth_config("login_max_failures"));

	reset_throttles();
	t_auth_signup(&s, "backoff");
	for (int i = 0; i < max; i++)
		cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 401);
	cr_assert_eq(login_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD, &r), 429);
	cr_assert_eq(retry_after(&r), 1, "the first delay");
	t_http_free(&r);
	sleep_ms(1100);
	cr_assert_eq(status_from("127.0.0.1", s.email, T_SECRET_WRONG_PASSWORD), 401,
	             "after the delay, the next guess is checked");
	cr_assert_eq(login_from("127.0.0.1", s.email, T_SECRET_PASSWORD, &r), 429);
	cr_assert_eq(retry_after(&r), 2, "the delay doubles");
	t_http_free(&r);
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
	char needle[128];
	const char *p, *d, *eol;

	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", request_id);
	p = strstr(text, needle);
	cr_assert(p != NULL, "no access-log line for request %s", request_id);
	eol = strchr(p, '\n');
	d = strstr(p, "\"duration_us\":");
	cr_assert(d != NULL && (eol == NULL || d < eol), "no duration for request %s", request_id);
	return atoll(d + strlen("\"duration_us\":"));
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
 */
Test(login, a_failure_takes_as_long_for_an_unknown_email)
{
	enum { PAIRS = 60, TENANTS = 5000 };
	struct t_session s;
	long long known[PAIRS], unknown[PAIRS], mk, mu, tol;
	char ids[PAIRS][2][64], email[160], sql[512], log[1024], uid[40], *text;
	FILE *f;
	long start, size;
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
	snprintf(log, sizeof(log), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	f = fopen(log, "r");
	cr_assert(f != NULL, "cannot read %s", log);
	fseek(f, 0, SEEK_END);
	start = ftell(f);
	fclose(f);
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
	f = fopen(log, "r");
	cr_assert(f != NULL);
	fseek(f, 0, SEEK_END);
	size = ftell(f) - start;
	text = malloc((size_t)size + 1);
	fseek(f, start, SEEK_SET);
	cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	for (int i = 0; i < PAIRS; i++) {
		known[i] = logged_duration(text, ids[i][0]);
		unknown[i] = logged_duration(text, ids[i][1]);
	}
	free(text);
	mk = median(known, PAIRS);
	mu = median(unknown, PAIRS);
	tol = mu * 20 / 100 > 1000 ? mu * 20 / 100 : 1000;
	cr_log_info("failed login medians: account %lld us, no account %lld us (tolerance %lld)",
	            mk, mu, tol);
	cr_assert(llabs(mk - mu) <= tol,
	          "a failed login for an account takes %lld us, for an unknown e-mail %lld us"
	          " (medians of %d; tolerance %lld us)",
	          mk, mu, PAIRS, tol);
	reset_throttles();
	snprintf(sql, sizeof(sql), "DELETE FROM tenants WHERE slug LIKE 'timing-%s-%%'", uid);
	t_auth_sql(sql);
}
