/* it_mail.c - outbound e-mail through the job queue against the stack's SMTP mailbox: a
 * server that refuses twice and then accepts gets the message exactly once, every attempt is
 * recorded, a message that is never accepted ends dead after max_attempts, and a delivered
 * message's variables (its link, so a usable token) do not stay in the jobs table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "mail_helpers.h"
#include "secrets.h"

static void reset_refusals(void)
{
	t_mail_refuse(0);
}

TestSuite(mail, .timeout = 180, .fini = reset_refusals);

/* Polls until the job for the newest mail.send to `to` has status want; returns its id. */
static void wait_mail_job(const char *to, const char *want, char id[40])
{
	char sql[512], status[32] = "";

	for (int i = 0; i < 600; i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT coalesce((SELECT status FROM jobs WHERE kind = 'mail.send'"
		         " AND payload->>'to' = '%s' ORDER BY created_at DESC LIMIT 1), '')",
		         to);
		t_auth_sql_str(sql, status, sizeof(status));
		if (strcmp(status, want) == 0)
			break;
		usleep(50000);
	}
	cr_assert_str_eq(status, want, "the mail to %s never became %s", to, want);
	snprintf(sql, sizeof(sql),
	         "SELECT id FROM jobs WHERE kind = 'mail.send' AND payload->>'to' = '%s'"
	         " ORDER BY created_at DESC LIMIT 1",
	         to);
	t_auth_sql_str(sql, id, 40);
}

/* Waits until no other mail is in flight, so the refusals go to this test's message. */
static void quiet_queue(void)
{
	for (int i = 0; i < 600; i++) {
		if (t_auth_sql_long("SELECT count(*) FROM jobs WHERE kind = 'mail.send'"
		                    " AND status IN ('queued', 'running') AND run_at < now() + "
		                    "interval '1 minute'") == 0)
			return;
		usleep(50000);
	}
	cr_assert_fail("mail jobs never drained");
}

Test(mail, refused_twice_then_accepted_arrives_exactly_once)
{
	struct t_session s;
	char job[40], sql[512], outcomes[128], *mail;

	quiet_queue();
	/* The signup's verification mail meets a server that refuses it twice (451). */
	t_mail_refuse(2);
	t_auth_signup_unverified(&s, "mail-retry");
	mail = t_mail_wait(s.email, NULL, 1, 30000);
	cr_assert(mail != NULL, "the mail never arrived");
	free(mail);
	wait_mail_job(s.email, "succeeded", job);
	sleep(1); /* a duplicate would be on its way by now */
	cr_assert_eq(t_mail_count(s.email), 1, "the mail arrived more than once");
	snprintf(sql, sizeof(sql),
	         "SELECT string_agg(outcome || ':' || coalesce(smtp_code::text, '-'), ','"
	         " ORDER BY attempt) FROM mail_attempts WHERE job_id = '%s'",
	         job);
	t_auth_sql_str(sql, outcomes, sizeof(outcomes));
	cr_assert_str_eq(outcomes, "retry:451,retry:451,sent:250", "every attempt is recorded");
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM jobs WHERE id = '%s' AND attempts = 3"
	         " AND payload->>'vars' = 'scrubbed' AND position('token=' in payload::text) = 0",
	         job);
	cr_assert_eq(t_auth_sql_long(sql), 1, "the delivered mail's link stayed in the queue");
}

Test(mail, never_accepted_is_dead_after_max_attempts)
{
	char email[160], job[40], sql[512];

	t_auth_email(email, sizeof(email), "mail-dead");
	quiet_queue();
	t_mail_refuse(100);
	snprintf(sql, sizeof(sql),
	         "SELECT mail_enqueue('%s', 'verify_email', "
	         "'{\"link\":\"https://x.test/#token=y\"}',"
	         " 2)",
	         email);
	t_auth_sql(sql);
	wait_mail_job(email, "dead", job);
	t_mail_refuse(0);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM mail_attempts WHERE job_id = '%s' AND outcome = 'retry'",
	         job);
	cr_assert_eq(t_auth_sql_long(sql), 2);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM jobs WHERE id = '%s' AND payload->>'vars' = 'scrubbed'",
	         job);
	cr_assert_eq(t_auth_sql_long(sql), 1, "a dead mail keeps no link");
	cr_assert_eq(t_mail_count(email), 0);
}

Test(mail, a_message_is_text_and_html_with_the_variables_escaped)
{
	char email[160], sql[600], *mail;

	t_auth_email(email, sizeof(email), "mail-esc");
	snprintf(sql, sizeof(sql),
	         "SELECT mail_enqueue('%s', 'invitation', '{\"tenant_name\":\"<b>Acme & Co</b>\","
	         "\"inviter\":\"Ada\",\"role\":\"member\",\"link\":\"https://x.test/a#token=t\"}', "
	         "3)",
	         email);
	t_auth_sql(sql);
	mail = t_mail_wait(email, NULL, 1, 30000);
	cr_assert(mail != NULL);
	cr_assert(strstr(mail, "Content-Type: multipart/alternative") != NULL);
	cr_assert(strstr(mail, "Subject: Ada invites you to <b>Acme & Co</b> on Menhir") != NULL,
	          "%s", mail);
	cr_assert(strstr(mail, "join <b>Acme & Co</b> on Menhir") != NULL, "text part: %s", mail);
	cr_assert(strstr(mail, "&lt;b&gt;Acme &amp; Co&lt;/b&gt;") != NULL, "html part: %s", mail);
	cr_assert(strstr(mail, "<strong><b>") == NULL, "unescaped HTML");
	cr_assert(strstr(mail, "From: Menhir (local) <noreply@menhir.localhost>") != NULL);
	free(mail);
}

Test(mail, periodic_cleanup_keeps_recent_rows_and_drops_spent_ones)
{
	struct t_session s;
	char sql[1024], token_hash[80];

	/* `menhir work` scheduled both periodic cleanups when it started. */
	cr_assert_eq(t_auth_sql_long("SELECT count(DISTINCT kind) FROM jobs"
	                             " WHERE kind IN ('mail.cleanup', 'auth.cleanup')"),
	             2);
	t_auth_signup(&s, "cleanup");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO mail_attempts (job_id, attempt, template, outcome, created_at) VALUES"
	         " ('%s', 1, 'old', 'sent', now() - interval '40 days'),"
	         " ('%s', 1, 'recent', 'sent', now())",
	         s.user_id, s.user_id);
	t_auth_sql(sql);
	cr_assert(t_auth_sql_long("SELECT mail_attempts FROM mail_cleanup('30 days')") >= 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM mail_attempts WHERE job_id = '%s'",
	         s.user_id);
	cr_assert_eq(t_auth_sql_long(sql), 1, "the recent attempt stays");
	/* Tokens: one a day and more past its expiry, one still valid. */
	snprintf(token_hash, sizeof(token_hash), "sha256('cleanup-%s'::bytea)", s.user_id);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES"
	         " (%s, '%s', now() - interval '2 days'),"
	         " (sha256('fresh-%s'::bytea), '%s', now() + interval '1 hour')",
	         token_hash, s.user_id, s.user_id, s.user_id);
	t_auth_sql(sql);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO invitations (tenant_id, email, role, token_hash, expires_at, revoked_at)"
	         " VALUES ('%s', 'old-%s@example.test', 'member', sha256('inv-old-%s'::bytea),"
	         "         now() - interval '39 days', now() - interval '40 days'),"
	         "        ('%s', 'new-%s@example.test', 'member', sha256('inv-new-%s'::bytea),"
	         "         now() + interval '7 days', NULL)",
	         s.tenant_id, s.user_id, s.user_id, s.tenant_id, s.user_id, s.user_id);
	t_auth_sql(sql);
	t_auth_sql("SELECT accounts_cleanup('30 days')");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM password_resets WHERE user_id = '%s'",
	         s.user_id);
	cr_assert_eq(t_auth_sql_long(sql), 1, "only the expired reset token goes");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invitations WHERE tenant_id = '%s'",
	         s.tenant_id);
	cr_assert_eq(t_auth_sql_long(sql), 1, "only the long-settled invitation goes");
}

/* The stack's mailbox offers STARTTLS with the stack's certificate and Menhir requires it
 * (smtp_starttls, smtp_ca_file): every message so far went over verified TLS, and nothing but
 * EHLO and STARTTLS was ever said in the clear (the mailbox's transcript of every command). */
Test(mail, the_stack_sends_every_mail_over_verified_starttls)
{
	struct t_session s;
	char cmd[600], *mail;
	FILE *p;
	int clear = -1, tls = -1;

	t_auth_signup_unverified(&s, "mail-tls");
	mail = t_mail_wait(s.email, NULL, 1, 30000);
	cr_assert(mail != NULL, "the mail never arrived");
	free(mail);
	snprintf(cmd, sizeof(cmd),
	         "t=%s/transcript; grep -cE ' clear (MAIL|RCPT|DATA|AUTH)' $t; grep -c ' tls MAIL$' $t",
	         t_env("MENHIR_TEST_MAILBOX"));
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	cr_assert_eq(fscanf(p, "%d %d", &clear, &tls), 2);
	pclose(p);
	cr_assert_eq(clear, 0, "a message went in the clear");
	cr_assert(tls >= 1, "no message went over TLS");
}
