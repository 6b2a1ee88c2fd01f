/* it_email_change.c - changing one's e-mail address, end to end through nginx with the mail
 * read from the stack's mailbox: the current password is required; the link goes to the new
 * address and a notice without any secret to the old one; nothing changes until the link
 * comes back, and then the old address no longer logs in and every other session ends; an
 * address that has an account gets the same answer (and a notice, never a link); stale
 * links (a newer request, a password change) and used, expired or made-up ones fail; two
 * accounts confirming one address get one clean 409, never a 500; the throttles. */
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "mail_helpers.h"
#include "secrets.h"

TestSuite(email_change, .timeout = 240);

#define MAIL_WAIT_MS 20000

/* A counter's Redis key, as src/modules/auth/limits.c names it: mh:ml:<scope>:<sha256(id)>. */
static void limit_key(const char *scope, const char *id, char *out, size_t outlen)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int n = snprintf(out, outlen, "mh:ml:%s:", scope);

	SHA256((const unsigned char *)id, strlen(id), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		n += snprintf(out + n, outlen - (size_t)n, "%02x", md[i]);
}

/* Lifts the cooldowns of s's requests and of the address to (a test asks more than once a
 * minute on purpose). */
static void cooldowns_off(const struct t_session *s, const char *to)
{
	char key[128];

	limit_key("email_change", s->user_id, key, sizeof(key));
	t_auth_redis("DEL %s", key);
	limit_key("email_to", to, key, sizeof(key));
	t_auth_redis("DEL %s", key);
}

static long change(const struct t_session *s, const char *to, const char *password,
                   struct http_response *r)
{
	char body[400];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"current_password\":\"%s\"}", to,
	         password);
	t_auth_request("POST", "/api/v1/users/me/email", s->access, NULL, NULL, body, r);
	return r->status;
}

static long change_status(const struct t_session *s, const char *to)
{
	struct http_response r;
	long st = change(s, to, T_SECRET_PASSWORD, &r);

	t_http_free(&r);
	return st;
}

static long confirm(const char *token, const char *bearer, struct http_response *r)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	t_auth_request("POST", "/api/v1/auth/email/confirm", bearer, NULL, NULL, body, r);
	return r->status;
}

/* The token of the n-th confirmation mail to address to. */
static void link_token(const char *to, int n, char token[64])
{
	char *mail = t_mail_wait(to, "/confirm-email#", n, MAIL_WAIT_MS);

	cr_assert(mail != NULL, "no confirmation link reached %s", to);
	cr_assert(strstr(mail, "Subject: Confirm your new e-mail address") != NULL);
	t_mail_token(mail, "confirm-email", token, 64);
	free(mail);
}

static long sql_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long sql_count(const char *fmt, ...)
{
	char sql[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return t_auth_sql_long(sql);
}

static long me_status(const char *access)
{
	struct http_response r;
	long st;

	t_auth_request("GET", "/api/v1/users/me", access, NULL, NULL, NULL, &r);
	st = r.status;
	t_http_free(&r);
	return st;
}

Test(email_change, the_new_address_confirms_then_the_old_one_stops_and_other_sessions_end)
{
	struct t_session s, phone, again;
	struct http_response r;
	char to[160], token[64], *notice, *cookie;
	json_object *root;

	t_auth_signup(&s, "ec-owner");
	cr_assert_eq(t_auth_login(&phone, s.email, T_SECRET_PASSWORD, NULL), 200);
	t_auth_email(to, sizeof(to), "ec-new");
	/* Re-authentication: the current password, right. */
	change(&s, to, T_SECRET_NEW_PASSWORD, &r);
	t_assert_error(&r, 403, "invalid_credentials");
	t_http_free(&r);
	cr_assert_eq(change(&s, to, T_SECRET_PASSWORD, &r), 202, "%s", r.body);
	cr_assert_str_eq(r.body, "{\"data\":{\"status\":\"queued\"}}");
	t_http_free(&r);
	link_token(to, 1, token);
	/* The old address hears of it, with the new address and no secret. */
	notice = t_mail_wait(s.email, "about to change", 1, MAIL_WAIT_MS);
	cr_assert(notice != NULL, "no notice reached the old address");
	cr_assert(strstr(notice, to) != NULL, "the notice names the new address");
	cr_assert(strstr(notice, "#token=") == NULL && strstr(notice, token) == NULL,
	          "the notice to the old address carries a secret");
	free(notice);
	/* Nothing has changed yet. */
	cr_assert_eq(sql_count("SELECT count(*) FROM users WHERE id = '%s' AND email = '%s'",
	                       s.user_id, s.email),
	             1);
	cr_assert_eq(t_auth_login(&again, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(me_status(phone.access), 200);
	/* The link comes back with the account's own token: that session goes on, anew. */
	cr_assert_eq(confirm(token, s.access, &r), 200, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert_str_eq(t_auth_data_str(root, "user_id"), s.user_id);
	cr_assert_str_eq(t_auth_data_str(root, "tenant_id"), s.tenant_id);
	snprintf(again.access, sizeof(again.access), "%s", t_auth_data_str(root, "access_token"));
	json_object_put(root);
	cookie = t_auth_set_cookie(&r);
	cr_assert(cookie != NULL && cookie[0] != '\0', "no refresh cookie for the session");
	free(cookie);
	t_http_free(&r);
	/* Every other session and access token has ended, at once. */
	cr_assert_eq(me_status(s.access), 401);
	cr_assert_eq(me_status(phone.access), 401);
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, phone.refresh, t_auth_origin(), NULL,
	               &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	cr_assert_eq(me_status(again.access), 200);
	/* The new address is the account's, verified; the old one logs in no more. */
	cr_assert_eq(sql_count("SELECT count(*) FROM users WHERE id = '%s' AND email = '%s'"
	                       " AND email_verified_at IS NOT NULL",
	                       s.user_id, to),
	             1);
	cr_assert_eq(t_auth_login(&again, s.email, T_SECRET_PASSWORD, NULL), 401);
	cr_assert_eq(t_auth_login(&again, to, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(again.user_id, s.user_id);
	cr_assert_eq(sql_count("SELECT count(*) FROM audit_log WHERE tenant_id = '%s'"
	                       " AND action IN ('email_change_requested', 'email_changed')"
	                       " AND target = '%s'",
	                       s.tenant_id, s.user_id),
	             2);
	/* Single use. */
	confirm(token, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
}

Test(email_change, without_a_token_every_session_ends_and_old_links_die)
{
	struct t_session s;
	struct http_response r;
	char to[160], token[64], reset_token[64], *mail;

	t_auth_signup(&s, "ec-plain");
	/* A reset link the old address holds. */
	{
		char body[200];

		snprintf(body, sizeof(body), "{\"email\":\"%s\"}", s.email);
		t_auth_request("POST", "/api/v1/auth/password/forgot", NULL, NULL, NULL, body, &r);
		cr_assert_eq(r.status, 202);
		t_http_free(&r);
		mail = t_mail_wait(s.email, "/reset-password#", 1, MAIL_WAIT_MS);
		cr_assert(mail != NULL);
		t_mail_token(mail, "reset-password", reset_token, sizeof(reset_token));
		free(mail);
	}
	t_auth_email(to, sizeof(to), "ec-plain-new");
	cr_assert_eq(change_status(&s, to), 202);
	link_token(to, 1, token);
	/* Another browser, not signed in: 204, and no session goes on. */
	cr_assert_eq(confirm(token, NULL, &r), 204, "%s", r.body);
	cr_assert(t_auth_set_cookie(&r) == NULL);
	t_http_free(&r);
	cr_assert_eq(me_status(s.access), 401);
	/* The reset link mailed to the old address no longer works. */
	{
		char body[300];

		snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"%s\"}", reset_token,
		         T_SECRET_NEW_PASSWORD);
		t_auth_request("POST", "/api/v1/auth/password/reset", NULL, NULL, NULL, body, &r);
		t_assert_error(&r, 400, "invalid_token");
		t_http_free(&r);
	}
}

/* An address that has an account: the same answer, byte for byte; that address gets a
 * notice without any link, and no confirmation can ever make it the requester's. */
Test(email_change, a_taken_address_gets_the_same_answer_and_a_notice_not_a_link)
{
	struct t_session a, b;
	struct http_response taken, free_;
	char free_to[160], *mail;

	t_auth_signup(&a, "ec-taker");
	t_auth_signup(&b, "ec-holder");
	t_auth_email(free_to, sizeof(free_to), "ec-free");
	cr_assert_eq(change(&a, b.email, T_SECRET_PASSWORD, &taken), 202, "%s", taken.body);
	cooldowns_off(&a, free_to);
	cr_assert_eq(change(&a, free_to, T_SECRET_PASSWORD, &free_), 202, "%s", free_.body);
	cr_assert_str_eq(taken.body, free_.body, "the answers differ");
	t_http_free(&taken);
	t_http_free(&free_);
	mail = t_mail_wait(b.email, "already belongs to", 1, MAIL_WAIT_MS);
	cr_assert(mail != NULL, "the holder of the address was not told");
	cr_assert(strstr(mail, "#token=") == NULL, "a link went to an address with an account");
	free(mail);
	t_mail_settle(b.email, MAIL_WAIT_MS);
	cr_assert(t_mail_wait(b.email, "/confirm-email#", 1, 0) == NULL,
	          "a confirmation link went to an address with an account");
	/* The link for the free address arrived too; the older request is void. */
	{
		char token[64];
		struct http_response r;

		link_token(free_to, 1, token);
		cr_assert_eq(confirm(token, NULL, &r), 204, "%s", r.body);
		t_http_free(&r);
	}
	cr_assert_eq(sql_count("SELECT count(*) FROM users WHERE id = '%s' AND email = '%s'",
	                       b.user_id, b.email),
	             1);
}

Test(email_change, a_newer_request_or_a_password_change_makes_a_link_stale)
{
	struct t_session s;
	struct http_response r;
	char first[160], second[160], third[160], t1[64], t2[64], t3[64], body[400];

	t_auth_signup(&s, "ec-stale");
	t_auth_email(first, sizeof(first), "ec-first");
	t_auth_email(second, sizeof(second), "ec-second");
	t_auth_email(third, sizeof(third), "ec-third");
	cr_assert_eq(change_status(&s, first), 202);
	link_token(first, 1, t1);
	cooldowns_off(&s, second);
	cr_assert_eq(change_status(&s, second), 202);
	link_token(second, 1, t2);
	confirm(t1, NULL, &r);
	t_assert_error(&r, 410, "link_superseded");
	t_http_free(&r);
	/* A password change (here by the owner who got the notice) voids the pending link. */
	snprintf(body, sizeof(body), "{\"password\":\"%s\",\"current_password\":\"%s\"}",
	         T_SECRET_NEW_PASSWORD, T_SECRET_PASSWORD);
	t_auth_request("PATCH", "/api/v1/users/me", s.access, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	{
		json_object *root = t_auth_json(&r);
		snprintf(s.access, sizeof(s.access), "%s", t_auth_data_str(root, "access_token"));
		json_object_put(root);
	}
	t_http_free(&r);
	confirm(t2, NULL, &r);
	t_assert_error(&r, 410, "link_superseded");
	t_http_free(&r);
	cr_assert_eq(sql_count("SELECT count(*) FROM users WHERE id = '%s' AND email = '%s'",
	                       s.user_id, s.email),
	             1, "a stale link changed the address");
	/* An expired link, and made-up ones. */
	cooldowns_off(&s, third);
	change(&s, third, T_SECRET_NEW_PASSWORD, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	t_http_free(&r);
	link_token(third, 1, t3);
	cr_assert_eq(sql_count("WITH x AS (UPDATE email_changes SET expires_at = now()"
	                       " WHERE user_id = '%s' AND new_email = '%s' RETURNING 1)"
	                       " SELECT count(*) FROM x",
	                       s.user_id, third),
	             1);
	confirm(t3, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	confirm("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	confirm("short", NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/email/confirm", NULL, NULL, NULL, "{}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

/* Confirms token in a child process; its exit status is the HTTP status / 100 * 10 + a code:
 * 20 for 204, 49 for 409 email_taken, anything else 99. */
static pid_t confirm_in_child(const char *token)
{
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		struct http_response r;
		long st = confirm(token, NULL, &r);
		int code = st == 204                                                ? 20
		           : st == 409 && strstr(r.body, "\"email_taken\"") != NULL ? 49
		                                                                    : 99;

		_exit(code);
	}
	return pid;
}

static int child_code(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Two accounts ask for the same free address and both links come back at once: one account
 * gets it, the other hears 409 email_taken; neither a 500 nor two owners. */
Test(email_change, two_accounts_confirming_one_address_one_wins_the_other_gets_409)
{
	struct t_session a, b;
	char to[160], ta[64], tb[64];
	int ca, cb;

	t_auth_signup(&a, "ec-race-a");
	t_auth_signup(&b, "ec-race-b");
	t_auth_email(to, sizeof(to), "ec-race");
	cr_assert_eq(change_status(&a, to), 202);
	link_token(to, 1, ta);
	cooldowns_off(&b, to);
	cr_assert_eq(change_status(&b, to), 202);
	link_token(to, 2, tb);
	{
		pid_t pa = confirm_in_child(ta), pb = confirm_in_child(tb);

		ca = child_code(pa);
		cb = child_code(pb);
	}
	cr_assert((ca == 20 && cb == 49) || (ca == 49 && cb == 20), "answers %d and %d", ca, cb);
	cr_assert_eq(
	        sql_count("SELECT count(*) FROM users WHERE email = '%s' OR email = '%s'", to, to),
	        1, "two accounts own one address");
}

/* Waits until some session waits on a lock that the session of c holds. */
static void wait_blocked_by(PGconn *c)
{
	PGconn *watch = t_pg("MENHIR_TEST_PG_SUPER");
	char sql[200];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM pg_stat_activity WHERE %d = ANY(pg_blocking_pids(pid))",
	         PQbackendPID(c));
	for (int i = 0;; i++) {
		PGresult *r = t_pg_ok(watch, sql);
		long n = atol(PQgetvalue(r, 0, 0));

		PQclear(r);
		if (n > 0)
			break;
		cr_assert(i < 600, "the confirmation never waited on the uncommitted address");
		usleep(50000);
	}
	PQfinish(watch);
}

/* The race the pre-check cannot see: another transaction holds the address, uncommitted,
 * while the link comes back. The update waits for it and then meets the unique index: a
 * clean 409 email_taken, and the account's tokens keep working (nothing was revoked). */
Test(email_change, an_address_taken_while_confirming_is_a_clean_409)
{
	struct t_session a, b;
	char to[160], token[64], sql[400];
	PGconn *c;
	PGresult *res;
	pid_t pid;

	t_auth_signup(&a, "ec-late-a");
	t_auth_signup(&b, "ec-late-b");
	t_auth_email(to, sizeof(to), "ec-late");
	cr_assert_eq(change_status(&a, to), 202);
	link_token(to, 1, token);
	c = t_pg("MENHIR_TEST_PG_SUPER");
	PQclear(t_pg_ok(c, "BEGIN"));
	snprintf(sql, sizeof(sql), "UPDATE users SET email = '%s' WHERE id = '%s'", to, b.user_id);
	PQclear(t_pg_ok(c, sql));
	pid = confirm_in_child(token);
	/* Commit only once the confirmation waits on the uncommitted index entry: the race this
	 * test is about, however slow the machine (a confirmation that came after the commit
	 * would take another path to the same answer). */
	wait_blocked_by(c);
	res = t_pg_ok(c, "COMMIT");
	PQclear(res);
	PQfinish(c);
	cr_assert_eq(child_code(pid), 49, "not a clean 409 email_taken");
	cr_assert_eq(me_status(a.access), 200,
	             "a refused confirmation revoked the account's tokens");
	cr_assert_eq(sql_count("SELECT count(*) FROM users WHERE id = '%s' AND email = '%s'",
	                       a.user_id, a.email),
	             1);
}

Test(email_change, throttles_the_user_the_address_and_the_client)
{
	struct t_session s, t;
	struct http_response r;
	char to[160], other[160], key[128], *retry;

	t_auth_signup(&s, "ec-throttle");
	t_auth_signup(&t, "ec-throttle-2");
	t_auth_email(to, sizeof(to), "ec-thr");
	t_auth_email(other, sizeof(other), "ec-thr-other");
	cr_assert_eq(change_status(&s, to), 202);
	/* The user's cooldown: 429 with Retry-After. */
	change(&s, other, T_SECRET_PASSWORD, &r);
	t_assert_error(&r, 429, "too_many_requests");
	retry = t_header(&r, "retry-after");
	cr_assert(retry != NULL && atoi(retry) > 0);
	free(retry);
	t_http_free(&r);
	/* The new address's cooldown, whoever asks: still 202, and no second mail. */
	cr_assert_eq(change_status(&t, to), 202);
	link_token(to, 1, key);
	t_mail_settle(to, MAIL_WAIT_MS);
	cr_assert_eq(t_mail_count(to), 1, "one address was mailed twice within the cooldown");
	/* The client's hourly budget (mail_ip_max), spent: 429 before the password is tried. */
	limit_key("ip", "127.0.0.9", key, sizeof(key));
	t_auth_redis("SET %s %s EX 600", key, t_auth_config("mail_ip_max"));
	t_http_source("127.0.0.9");
	cooldowns_off(&t, other);
	change(&t, other, T_SECRET_PASSWORD, &r);
	t_http_source(NULL);
	t_auth_redis("DEL %s", key);
	t_assert_error(&r, 429, "too_many_requests");
	t_http_free(&r);
	cr_assert_eq(t_mail_count(other), 0);
	/* The current address is no change; bad input is a 400 naming the field. */
	cooldowns_off(&t, t.email);
	change(&t, t.email, T_SECRET_PASSWORD, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"email\"") != NULL, "%s", r.body);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/users/me/email", t.access, NULL, NULL,
	               "{\"email\":\"not an address\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "current_password") != NULL, "%s", r.body);
	t_http_free(&r);
}
