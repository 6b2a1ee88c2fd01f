/* it_password.c - the flows through the mailbox, end to end through nginx with the mail read
 * from the stack's SMTP mailbox: password reset (forgot, the mailed single-use 30-minute
 * token, every session ended, lockout lifted, audited), the same answer in the same time for
 * an address without an account, the per-address cooldown and per-address-of-client limit;
 * e-mail verification at signup (single use, resend with a cooldown) and the policy that an
 * unverified address may not invite. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "mail_helpers.h"
#include "secrets.h"

TestSuite(password, .timeout = 240);

#define MAIL_WAIT_MS 20000

static long post(const char *path, const char *bearer, const char *json, struct http_response *r)
{
	t_auth_request("POST", path, bearer, NULL, NULL, json, r);
	return r->status;
}

static long post_status(const char *path, const char *bearer, const char *json)
{
	struct http_response r;
	long s = post(path, bearer, json, &r);

	t_http_free(&r);
	return s;
}

static void forgot(const char *email, struct http_response *r)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	post("/api/v1/auth/password/forgot", NULL, body, r);
}

/* Waits until every auth.password_reset job for email has finished; returns how many. */
static long reset_jobs_done(const char *email)
{
	char sql[512];

	for (int i = 0; i < 400; i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM jobs WHERE kind = 'auth.password_reset'"
		         " AND payload->>'email' = '%s' AND status IN ('queued', 'running')",
		         email);
		if (t_auth_sql_long(sql) == 0)
			break;
		usleep(50000);
	}
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM jobs WHERE kind = 'auth.password_reset'"
	         " AND payload->>'email' = '%s' AND status = 'succeeded'",
	         email);
	return t_auth_sql_long(sql);
}

/* A counter's Redis key, as src/modules/auth/limits.c names it: mh:ml:<scope>:<sha256(id)>. */
static void limit_key(const char *scope, const char *id, char *out, size_t outlen)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int n = snprintf(out, outlen, "mh:ml:%s:", scope);

	SHA256((const unsigned char *)id, strlen(id), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		n += snprintf(out + n, outlen - (size_t)n, "%02x", md[i]);
}

/* A reset token for s's address, from the mail (the n-th mail to it). */
static void reset_token(const char *email, int n, char token[64])
{
	struct http_response r;
	char *mail;

	forgot(email, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	t_http_free(&r);
	mail = t_mail_wait(email, "/reset-password#", n, MAIL_WAIT_MS);
	cr_assert(mail != NULL, "no reset mail reached %s", email);
	cr_assert(strstr(mail, "Subject: Reset your Menhir password") != NULL);
	t_mail_token(mail, "reset-password", token, 64);
	free(mail);
}

static long reset(const char *token, const char *password, struct http_response *r)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"%s\"}", token, password);
	return post("/api/v1/auth/password/reset", NULL, body, r);
}

Test(password, forgot_then_reset_ends_every_session_and_the_token_works_once)
{
	struct t_session s, other;
	struct http_response r;
	char token[64], sql[256];

	t_auth_signup(&s, "reset");
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 200);
	reset_token(s.email, 1, token);
	/* Nothing changed yet: the mail alone does not touch the account. */
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 200);

	cr_assert_eq(reset(token, T_SECRET_NEW_PASSWORD, &r), 204, "%s", r.body);
	t_http_free(&r);
	/* Every access token and refresh token of the user is dead at once. */
	t_auth_request("GET", "/api/v1/users/me", s.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 401, "an access token outlived the reset: %s", r.body);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", other.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 401);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, other.refresh, t_auth_origin(), NULL,
	               &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	/* The new password works, the old one does not. */
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 401);
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_NEW_PASSWORD, NULL), 200);
	/* Single use. */
	reset(token, T_SECRET_PASSWORD, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_NEW_PASSWORD, NULL), 200);
	/* Audited in the user's tenant. */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM audit_log WHERE tenant_id = '%s' AND action = "
	         "'password_reset'",
	         s.tenant_id);
	cr_assert_eq(t_auth_sql_long(sql), 1);
}

Test(password, expired_malformed_or_superseded_tokens_are_refused)
{
	struct t_session s;
	struct http_response r;
	char first[64], second[64], sql[512];

	t_auth_signup(&s, "resetexp");
	reset_token(s.email, 1, first);
	/* 30 minutes, then nothing: moved into the past rather than waited for. */
	snprintf(sql, sizeof(sql),
	         "UPDATE password_resets SET expires_at = now() - interval '1 second'"
	         " WHERE user_id = '%s'",
	         s.user_id);
	t_auth_sql(sql);
	reset(first, T_SECRET_NEW_PASSWORD, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	reset("not-a-token", T_SECRET_NEW_PASSWORD, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* A weak password is a 400 before the token is even looked at. */
	reset(first, "short", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&s, s.email, T_SECRET_PASSWORD, NULL), 200, "nothing changed");
	/* After the cooldown, a second mail; using it voids any other outstanding token. */
	snprintf(sql, sizeof(sql),
	         "UPDATE password_resets SET expires_at = now() + interval '1 hour'"
	         " WHERE user_id = '%s'",
	         s.user_id);
	t_auth_sql(sql);
	{
		char key[128];

		limit_key("forgot", s.email, key, sizeof(key)); /* the minute's cooldown */
		t_auth_redis("DEL %s", key);
	}
	reset_token(s.email, 2, second);
	cr_assert_str_neq(first, second);
	cr_assert_eq(reset(second, T_SECRET_NEW_PASSWORD, &r), 204, "%s", r.body);
	t_http_free(&r);
	reset(first, T_SECRET_PASSWORD, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
}

Test(password, reset_lifts_the_login_lockout)
{
	struct t_session s, l;
	struct http_response r;
	char token[64];

	long st = 0;

	t_auth_signup(&s, "resetlock");
	/* The first delay is 1 s from the last failure: a machine too slow to ask again within
	 * it gets in (which starts the pair afresh), and the test sets it up again. */
	for (int try = 0; try < 5 && st != 429; try++) {
		long long failed = 0;

		for (int i = 0; i < 5; i++) {
			failed = t_now_ms();
			cr_assert_eq(t_auth_login(&l, s.email, T_SECRET_WRONG_PASSWORD, NULL), 401);
		}
		st = t_auth_login(&l, s.email, T_SECRET_PASSWORD, NULL);
		cr_assert(st == 429 || (st == 200 && t_now_ms() - failed >= 1000),
		          "%ld %lld ms after the failure", st, t_now_ms() - failed);
	}
	cr_assert_eq(st, 429, "throttled first");
	reset_token(s.email, 1, token);
	cr_assert_eq(reset(token, T_SECRET_NEW_PASSWORD, &r), 204, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&l, s.email, T_SECRET_NEW_PASSWORD, NULL), 200,
	             "the reset lifted the throttle");
}

Test(password, unknown_address_gets_the_same_answer_and_no_mail)
{
	struct t_session s;
	struct http_response known, unknown;
	char email[160];

	t_auth_signup(&s, "known");
	t_auth_email(email, sizeof(email), "unknown");
	forgot(s.email, &known);
	forgot(email, &unknown);
	cr_assert_eq(known.status, 202);
	cr_assert_eq(unknown.status, 202);
	cr_assert_str_eq(known.body, unknown.body, "the bodies tell the addresses apart");
	t_http_free(&known);
	t_http_free(&unknown);
	cr_assert_eq(reset_jobs_done(email), 1, "the request was queued like any other");
	cr_assert_eq(reset_jobs_done(s.email), 1);
	{
		char *m_ = t_mail_wait(s.email, "/reset-password#", 1, MAIL_WAIT_MS);
		cr_assert(m_ != NULL);
		free(m_);
	}
	t_mail_settle(email, MAIL_WAIT_MS);
	cr_assert_eq(t_mail_count(email), 0, "a mail went to an address without an account");
	{
		char sql[300];
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id"
		         " WHERE u.email = '%s'",
		         email);
		cr_assert_eq(t_auth_sql_long(sql), 0);
	}
}

Test(password, one_mail_per_address_per_cooldown)
{
	struct t_session s;
	struct http_response r;

	t_auth_signup(&s, "cooldown");
	for (int i = 0; i < 3; i++) {
		forgot(s.email, &r);
		cr_assert_eq(r.status, 202, "within the cooldown the answer stays 202");
		t_http_free(&r);
	}
	cr_assert_eq(reset_jobs_done(s.email), 1, "one reset per cooldown, not three");
}

Test(password, per_client_address_limit_answers_429)
{
	struct http_response r;
	char key[128], email[160];
	char *retry;

	limit_key("ip", "127.0.0.9", key, sizeof(key));
	/* The hour's budget already spent by this address (mail_ip_max). */
	t_auth_redis("SET %s %s EX 600", key, t_auth_config("mail_ip_max"));
	t_http_source("127.0.0.9");
	t_auth_email(email, sizeof(email), "limited");
	forgot(email, &r);
	t_http_source(NULL);
	t_assert_error(&r, 429, "too_many_requests");
	retry = t_header(&r, "retry-after");
	cr_assert(retry != NULL && atoi(retry) > 0, "429 without Retry-After");
	free(retry);
	t_http_free(&r);
	t_auth_redis("DEL %s", key);
	cr_assert_eq(reset_jobs_done(email), 0, "a refused request queued nothing");
}

/* ---- Enumeration timing --------------------------------------------------------------------- */

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

#define TIMING_N 50

/* One round: TIMING_N addresses with an account and TIMING_N without, interleaved (which goes
 * first alternates), each address asked for once so every call does the whole work. The
 * durations are the server's own (Menhir's log), not the client's: on a loaded machine the
 * client's clock measures the machine. Returns the relative difference of the medians. */
static double timing_round(int round)
{
	static char ids[2][TIMING_N][64];
	long d[2][TIMING_N], med[2];
	char sql[512], *log;
	int pid = (int)getpid();
	long start;

	snprintf(sql, sizeof(sql),
	         "INSERT INTO users (email, password_hash)"
	         " SELECT 'timing-%d-%d-' || i || '@example.test', '!'"
	         " FROM generate_series(1, %d) i",
	         pid, round, TIMING_N);
	t_auth_sql(sql);
	start = t_menhir_log_size();
	for (int i = 0; i < TIMING_N; i++) {
		for (int k = 0; k < 2; k++) {
			int which = (i % 2) ^ k; /* 0: has an account, 1: has none */
			struct http_response r;
			char email[160], *rid;

			snprintf(email, sizeof(email), "%s-%d-%d-%d@example.test",
			         which == 0 ? "timing" : "nobody", pid, round, i + 1);
			forgot(email, &r);
			cr_assert_eq(r.status, 202, "%s", r.body);
			rid = t_header(&r, "x-request-id");
			cr_assert(rid != NULL);
			snprintf(ids[which][i], sizeof(ids[which][i]), "%s", rid);
			free(rid);
			t_http_free(&r);
		}
	}
	/* The log lines follow the responses: wait for every one of them. */
	log = t_menhir_log_with_requests(start, (const char(*)[64])ids, 2 * TIMING_N, 30000);
	for (int w = 0; w < 2; w++) {
		for (int i = 0; i < TIMING_N; i++) {
			d[w][i] = t_access_log_duration(log, ids[w][i]);
			cr_assert(d[w][i] > 0, "no log line for request %s", ids[w][i]);
		}
		qsort(d[w], TIMING_N, sizeof(long), cmp_long);
		med[w] = (d[w][TIMING_N / 2 - 1] + d[w][TIMING_N / 2]) / 2;
	}
	free(log);
	cr_log_info("forgot-password medians: with an account %ld us, without %ld us", med[0],
	            med[1]);
	return (double)labs(med[0] - med[1]) / (double)(med[0] > med[1] ? med[0] : med[1]);
}

Test(password, forgot_takes_the_same_time_with_or_without_an_account)
{
	double diff = 1;

	/* Up to five rounds: a real difference fails every one; a burst of load on this shared
	 * machine during one round (the medians are well under a millisecond) does not fail the
	 * suite. */
	for (int round = 0; round < 5 && diff > 0.10; round++)
		diff = timing_round(round);
	cr_assert(diff <= 0.10, "medians differ by %.0f%%", diff * 100);
}

/* ---- E-mail verification and the policy ---------------------------------------------------- */

Test(password, signup_mails_a_verification_link_that_works_once)
{
	struct t_session s;
	struct http_response r;
	char token[64], body[128], sql[256], *mail;

	t_auth_signup_unverified(&s, "verify");
	mail = t_mail_wait(s.email, "/verify-email#", 1, MAIL_WAIT_MS);
	cr_assert(mail != NULL, "no verification mail");
	cr_assert(strstr(mail, "Subject: Confirm your e-mail address") != NULL);
	t_mail_token(mail, "verify-email", token, sizeof(token));
	free(mail);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM users WHERE id = '%s' AND email_verified_at IS NULL",
	         s.user_id);
	cr_assert_eq(t_auth_sql_long(sql), 1);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	cr_assert_eq(post_status("/api/v1/auth/email/verify", NULL, body), 204);
	cr_assert_eq(t_auth_sql_long(sql), 0, "verified");
	post("/api/v1/auth/email/verify", NULL, body, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* Resend has nothing to do now. */
	post("/api/v1/auth/email/verify/resend", s.access, NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	cr_assert(strstr(r.body, "\"verified\"") != NULL, "%s", r.body);
	t_http_free(&r);
}

Test(password, resend_mails_again_then_waits_for_the_cooldown)
{
	struct t_session s;
	struct http_response r;
	char *retry;

	t_auth_signup_unverified(&s, "resend");
	{
		char *m_ = t_mail_wait(s.email, "/verify-email#", 1, MAIL_WAIT_MS);
		cr_assert(m_ != NULL);
		free(m_);
	}
	post("/api/v1/auth/email/verify/resend", s.access, NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	cr_assert(strstr(r.body, "\"queued\"") != NULL, "%s", r.body);
	t_http_free(&r);
	{
		char *m_ = t_mail_wait(s.email, "/verify-email#", 2, MAIL_WAIT_MS);
		cr_assert(m_ != NULL, "no second mail");
		free(m_);
	}
	post("/api/v1/auth/email/verify/resend", s.access, NULL, &r);
	t_assert_error(&r, 429, "too_many_requests");
	retry = t_header(&r, "retry-after");
	cr_assert(retry != NULL);
	free(retry);
	t_http_free(&r);
	cr_assert_eq(post_status("/api/v1/auth/email/verify/resend", NULL, NULL), 401);
}

Test(password, an_unverified_address_logs_in_but_may_not_invite)
{
	struct t_session s;
	struct http_response r;
	char token[64], body[256], email[160], *mail;

	t_auth_signup_unverified(&s, "policy");
	cr_assert_eq(t_auth_login(&s, s.email, T_SECRET_PASSWORD, NULL), 200, "login is allowed");
	t_auth_email(email, sizeof(email), "policy-invitee");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"member\"}", email);
	post("/api/v1/tenants/current/invitations", s.access, body, &r);
	t_assert_error(&r, 403, "email_unverified");
	t_http_free(&r);
	mail = t_mail_wait(s.email, "/verify-email#", 1, MAIL_WAIT_MS);
	cr_assert(mail != NULL);
	t_mail_token(mail, "verify-email", token, sizeof(token));
	free(mail);
	{
		char vb[128];
		snprintf(vb, sizeof(vb), "{\"token\":\"%s\"}", token);
		cr_assert_eq(post_status("/api/v1/auth/email/verify", NULL, vb), 204);
	}
	post("/api/v1/tenants/current/invitations", s.access, body, &r);
	cr_assert_eq(r.status, 201, "verified, the same invitation goes: %s", r.body);
	t_http_free(&r);
}
