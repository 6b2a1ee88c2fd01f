/* unit_mail.c - the mail module without a stack: template files, placeholder expansion (HTML
 * escaping, no header injection), the MIME message, and SMTP delivery against the mailbox
 * program (STARTTLS required means nothing goes in the clear; AUTH from the URL; STARTTLS and
 * smtps:// with a throw-away CA made at test time, and a certificate that does not verify
 * refused with nothing sent in the clear). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/arena.h"
#include "core/trace.h"
#include "modules/mail/internal.h"

static struct mh_arena a;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 4096), 0);
}

/* The mailbox a test started and has not stopped (an assertion ended the test early): the
 * teardown stops it, so no receiver outlives its test. */
static pid_t live_mailbox;

static void teardown(void)
{
	if (live_mailbox > 0) {
		kill(live_mailbox, SIGTERM);
		waitpid(live_mailbox, NULL, 0);
		live_mailbox = 0;
	}
	mh_arena_destroy(&a);
}

TestSuite(mail, .init = setup, .fini = teardown);

Test(mail, template_has_subject_text_and_html)
{
	struct mail_template t;
	char err[256];

	cr_assert_eq(mail_template_parse("x",
	                                 "Subject: Hi {{n}}\n--- text\nHello {{n}}\n\n"
	                                 "--- html\n<p>{{n}}</p>\n",
	                                 &t, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(t.subject, "Hi {{n}}");
	cr_assert_str_eq(t.text, "Hello {{n}}");
	cr_assert_str_eq(t.html, "<p>{{n}}</p>");
	free(t.subject);
	free(t.text);
	free(t.html);
	cr_assert_eq(mail_template_parse("x", "--- text\nx\n--- html\ny\n", &t, err, sizeof(err)),
	             -1);
	cr_assert_eq(mail_template_parse("x", "Subject: s\n--- text\nx\n", &t, err, sizeof(err)),
	             -1, "a template without HTML is refused");
}

Test(mail, the_shipped_templates_load)
{
	char err[512];

	cr_assert_eq(mail_templates_load(MH_TEMPLATES_DIR, err, sizeof(err)), 0, "%s", err);
	cr_assert(mail_template_find("invitation") == NULL, "read, not yet in use");
	mail_templates_commit();
	for (int i = 0; mail_template_names[i] != NULL; i++)
		cr_assert(mail_template_find(mail_template_names[i]) != NULL);
	cr_assert(mail_template_find("nope") == NULL);
}

Test(mail, html_variables_are_escaped_and_headers_stay_one_line)
{
	json_object *v = json_tokener_parse(
	        "{\"n\":\"<a href='x'>&\\\"\",\"h\":\"x\\r\\nBcc: evil@example.test\",\"k\":7}");
	char *s;

	s = mail_render(&a, "[{{n}}]", v, MAIL_HTML);
	cr_assert_str_eq(s, "[&lt;a href=&#39;x&#39;&gt;&amp;&quot;]");
	s = mail_render(&a, "[{{n}}]", v, MAIL_TEXT);
	cr_assert_str_eq(s, "[<a href='x'>&\"]");
	s = mail_render(&a, "S {{h}}", v, MAIL_HEADER);
	cr_assert_str_eq(s, "S x  Bcc: evil@example.test");
	cr_assert(strchr(s, '\n') == NULL && strchr(s, '\r') == NULL);
	/* Unknown and non-string placeholders expand to nothing; an unclosed one is text. */
	s = mail_render(&a, "{{missing}}{{k}}|{{open", v, MAIL_TEXT);
	cr_assert_str_eq(s, "|{{open");
	json_object_put(v);
}

/* The job that sends a message continues the trace of the request that queued it. */
Test(mail, a_message_carries_the_trace_it_was_sent_in)
{
	char *m;

	mh_trace_begin("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL);
	m = mail_message_build(&a, "noreply@example.test", "Menhir", "ada@example.test", "s", "t",
	                       "<p>h</p>", "id3");
	cr_assert(m != NULL);
	cr_assert(strstr(m, "\r\nTraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-") != NULL, "%s",
	          m);
	mh_trace_end();
	m = mail_message_build(&a, "noreply@example.test", "Menhir", "ada@example.test", "s", "t",
	                       "<p>h</p>", "id4");
	cr_assert(strstr(m, "Traceparent:") == NULL, "a header outside any trace");
}

Test(mail, message_is_multipart_with_short_lines)
{
	char long_line[2000];
	char *m;

	m = mail_message_build(&a, "noreply@example.test", "Menhir", "ada@example.test",
	                       "Caf\xc3\xa9 invitation", "Hello\nthere", "<p>Hi</p>", "id1");
	cr_assert(m != NULL);
	cr_assert(strstr(m, "From: Menhir <noreply@example.test>\r\n") != NULL);
	cr_assert(strstr(m, "Subject: =?UTF-8?B?") != NULL, "non-ASCII subject is encoded");
	cr_assert(strstr(m, "Message-ID: <id1@example.test>\r\n") != NULL);
	cr_assert(strstr(m, "Content-Transfer-Encoding: 8bit\r\n\r\nHello\r\nthere\r\n") != NULL);
	cr_assert(strstr(m, "text/html") != NULL);
	/* A very long line (a long variable) switches its part to base64. */
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	m = mail_message_build(&a, "noreply@example.test", "Menhir", "ada@example.test", "s",
	                       long_line, "<p>Hi</p>", "id2");
	cr_assert(strstr(m, "Content-Transfer-Encoding: base64") != NULL);
	for (const char *p = m; *p;) {
		size_t n = strcspn(p, "\n");
		cr_assert(n <= 998, "a line of %zu bytes", n);
		p += n + (p[n] != '\0');
	}
}

/* ---- SMTP against the mailbox program (t/smtp_receiver) on a loopback port ------------------ */

struct mailbox {
	pid_t pid;
	int port;
	char dir[64];
	char certs[96]; /* DIR/certs: t/tls-test-certs's output, when TLS is on */
};

enum tls_mode { NO_TLS, STARTTLS, IMPLICIT_TLS };

/* Starts t/smtp_receiver in a fresh folder (auth: "user:password" or NULL); with TLS, first
 * makes throw-away certificates in DIR/certs and serves cert (good, wrongname, rogue). */
static void mailbox_start_tls(struct mailbox *m, const char *auth, enum tls_mode tls,
                              const char *cert)
{
	char cmd[256], certfile[160], keyfile[160];
	const char *argv[16];
	int argc;

	snprintf(m->dir, sizeof(m->dir), "/tmp/unit-mail.XXXXXX");
	cr_assert(mkdtemp(m->dir) != NULL);
	m->certs[0] = '\0';
	if (tls != NO_TLS) {
		snprintf(m->certs, sizeof(m->certs), "%s/certs", m->dir);
		snprintf(cmd, sizeof(cmd), "%s %s", MH_TEST_CERTS, m->certs);
		cr_assert_eq(system(cmd), 0, "t/tls-test-certs failed");
		snprintf(certfile, sizeof(certfile), "%s/%s.pem", m->certs, cert);
		snprintf(keyfile, sizeof(keyfile), "%s/%s.key", m->certs, cert);
	}
	for (int tries = 0; tries < 20; tries++) {
		char port[16];

		m->port = 20000 +
		          (int)((unsigned)getpid() * 7919u + (unsigned)tries * 104729u) % 20000;
		snprintf(port, sizeof(port), "%d", m->port);
		argc = 0;
		argv[argc++] = "smtp_receiver";
		argv[argc++] = "--port";
		argv[argc++] = port;
		argv[argc++] = "--dir";
		argv[argc++] = m->dir;
		if (auth) {
			argv[argc++] = "--auth";
			argv[argc++] = auth;
		}
		if (tls != NO_TLS) {
			argv[argc++] = "--tls-cert";
			argv[argc++] = certfile;
			argv[argc++] = "--tls-key";
			argv[argc++] = keyfile;
		}
		if (tls == IMPLICIT_TLS)
			argv[argc++] = "--implicit-tls";
		argv[argc] = NULL;
		m->pid = fork();
		cr_assert(m->pid >= 0);
		if (m->pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 2);
			execv(MH_RECEIVER, (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 50; i++) {
			struct sockaddr_in sa = {.sin_family = AF_INET,
			                         .sin_port = htons((unsigned short)m->port),
			                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

			ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
			close(fd);
			if (ok) {
				live_mailbox = m->pid;
				return;
			}
			if (waitpid(m->pid, NULL, WNOHANG) == m->pid)
				break; /* port taken: try another */
			usleep(20000);
		}
		kill(m->pid, SIGKILL);
		waitpid(m->pid, NULL, 0);
	}
	cr_assert_fail("the mailbox did not start");
}

static void mailbox_start(struct mailbox *m, const char *auth)
{
	mailbox_start_tls(m, auth, NO_TLS, NULL);
}

/* Lines of the mailbox's transcript ("<pid> clear|tls VERB") that match the regex. */
static int transcript_count(const struct mailbox *m, const char *regex)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	/* No transcript yet is no line at all. */
	snprintf(cmd, sizeof(cmd), "cat %s/transcript 2>/dev/null | grep -cE '%s'", m->dir, regex);
	p = popen(cmd, "r");
	if (p != NULL && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}

static int mailbox_count(const struct mailbox *m, const char *needle)
{
	char path[128], cmd[256];
	FILE *p;
	int n = -1;

	snprintf(path, sizeof(path), "%s/new", m->dir);
	snprintf(cmd, sizeof(cmd), "cat %s/* 2>/dev/null | grep -c '%s'", path, needle);
	p = popen(cmd, "r");
	if (p != NULL && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p != NULL)
		pclose(p);
	return n;
}

static void mailbox_stop(struct mailbox *m)
{
	char cmd[128];

	kill(m->pid, SIGTERM);
	waitpid(m->pid, NULL, 0);
	live_mailbox = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", m->dir);
	cr_assert_eq(system(cmd), 0);
}

static int send_one(const char *url, int starttls, struct mail_send *s)
{
	snprintf(mail_settings.smtp_url, sizeof(mail_settings.smtp_url), "%s", url);
	mail_settings.smtp_starttls = starttls;
	mail_settings.smtp_timeout = 5000;
	memset(s, 0, sizeof(*s));
	s->from = "noreply@example.test";
	s->to = "ada@example.test";
	s->message =
	        mail_message_build(&a, "noreply@example.test", "Menhir", "ada@example.test", "Hi",
	                           ".a line that starts with a dot\nbye", "<p>x</p>", "m1");
	return mail_smtp_send(s);
}

Test(mail, smtp_delivers_and_refuses_plain_text_when_starttls_is_required)
{
	struct mailbox m;
	struct mail_send s;
	char url[64];

	mailbox_start(&m, NULL);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", m.port);
	/* The mailbox offers no STARTTLS: with TLS required, nothing is sent in the clear. */
	cr_assert_eq(send_one(url, 1, &s), -1);
	cr_assert_str_eq(s.error_code, "tls_error");
	cr_assert_eq(mailbox_count(&m, "X-Mailbox-To"), 0);
	cr_assert_eq(send_one(url, 0, &s), 0, "%s", s.error ? s.error : "");
	cr_assert_eq(s.smtp_code, 250);
	cr_assert_eq(mailbox_count(&m, "X-Mailbox-To: <ada@example.test>"), 1);
	/* libcurl dot-stuffs; the mailbox undoes it: the line arrives as written. */
	cr_assert_eq(mailbox_count(&m, "^\\.a line that starts with a dot"), 1);
	mailbox_stop(&m);
}

Test(mail, smtp_authenticates_with_the_urls_credentials)
{
	struct mailbox m;
	struct mail_send s;
	char url[96];

	mailbox_start(&m, "menhir:s3cret-smtp");
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", m.port);
	cr_assert_eq(send_one(url, 0, &s), -1, "the server requires AUTH");
	cr_assert_eq(s.smtp_code, 530);
	cr_assert(s.permanent);
	snprintf(url, sizeof(url), "smtp://menhir:wrong@127.0.0.1:%d", m.port);
	cr_assert_eq(send_one(url, 0, &s), -1);
	snprintf(url, sizeof(url), "smtp://menhir:s3cret-smtp@127.0.0.1:%d", m.port);
	cr_assert_eq(send_one(url, 0, &s), 0, "%s", s.error ? s.error : "");
	cr_assert_eq(mailbox_count(&m, "X-Mailbox-Auth: menhir"), 1);
	mailbox_stop(&m);
}

/* The server's certificate chains to smtp_ca_file and names 127.0.0.1: STARTTLS, then every
 * command but EHLO and STARTTLS over TLS, and the message arrives. */
Test(mail, smtp_delivers_over_starttls_to_a_certificate_the_ca_file_vouches_for)
{
	struct mailbox m;
	struct mail_send s;
	char url[64];

	mailbox_start_tls(&m, NULL, STARTTLS, "good");
	snprintf(mail_settings.smtp_ca_file, sizeof(mail_settings.smtp_ca_file), "%s/ca.pem",
	         m.certs);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", m.port);
	cr_assert_eq(send_one(url, 1, &s), 0, "%s: %s", s.error_code ? s.error_code : "",
	             s.error ? s.error : "");
	cr_assert_eq(s.smtp_code, 250);
	cr_assert_eq(mailbox_count(&m, "X-Mailbox-To: <ada@example.test>"), 1);
	cr_assert_eq(transcript_count(&m, " clear STARTTLS$"), 1, "STARTTLS was not used");
	cr_assert_eq(transcript_count(&m, " tls MAIL$"), 1);
	cr_assert_eq(transcript_count(&m, " clear (MAIL|RCPT|DATA|AUTH)"), 0);
	mail_settings.smtp_ca_file[0] = '\0';
	mailbox_stop(&m);
}

/* smtps://: TLS from the first byte, nothing at all in the clear; AUTH inside it. */
Test(mail, smtps_delivers_with_tls_from_the_first_byte)
{
	struct mailbox m;
	struct mail_send s;
	char url[96];

	mailbox_start_tls(&m, "menhir:s3cret-smtp", IMPLICIT_TLS, "good");
	snprintf(mail_settings.smtp_ca_file, sizeof(mail_settings.smtp_ca_file), "%s/ca.pem",
	         m.certs);
	snprintf(url, sizeof(url), "smtps://menhir:s3cret-smtp@127.0.0.1:%d", m.port);
	cr_assert_eq(send_one(url, 0, &s), 0, "%s: %s", s.error_code ? s.error_code : "",
	             s.error ? s.error : "");
	cr_assert_eq(mailbox_count(&m, "X-Mailbox-Auth: menhir"), 1);
	cr_assert(transcript_count(&m, " tls AUTH$") == 1 && transcript_count(&m, " tls MAIL$") == 1);
	cr_assert_eq(transcript_count(&m, " clear "), 0, "something went in the clear");
	mail_settings.smtp_ca_file[0] = '\0';
	mailbox_stop(&m);
}

/* Expects a delivery to url to fail on the certificate: a tls_error that the queue retries
 * (not permanent), no message stored, and no command but EHLO/STARTTLS in the clear (so
 * neither the credentials nor the message left). */
static void refused_on_the_certificate(struct mailbox *m, const char *url, int starttls)
{
	struct mail_send s;

	cr_assert_eq(send_one(url, starttls, &s), -1, "a certificate that does not verify was "
	                                                "accepted");
	cr_assert_str_eq(s.error_code, "tls_error", "%s", s.error ? s.error : "");
	cr_assert_not(s.permanent, "a TLS failure must be retried later");
	cr_assert_eq(mailbox_count(m, "X-Mailbox-To"), 0);
	cr_assert_eq(transcript_count(m, " (clear|tls) (MAIL|RCPT|DATA|AUTH)"), 0,
	             "a command was sent to a server that was not verified");
}

Test(mail, a_certificate_that_does_not_verify_sends_nothing_and_is_retried)
{
	struct mailbox m;
	char url[96];

	/* Signed by the trusted CA, but for another host name. */
	mailbox_start_tls(&m, "menhir:s3cret-smtp", STARTTLS, "wrongname");
	snprintf(mail_settings.smtp_ca_file, sizeof(mail_settings.smtp_ca_file), "%s/ca.pem",
	         m.certs);
	snprintf(url, sizeof(url), "smtp://menhir:s3cret-smtp@127.0.0.1:%d", m.port);
	refused_on_the_certificate(&m, url, 1);
	mailbox_stop(&m);
	/* The right name, but signed by a CA nobody trusts. */
	mailbox_start_tls(&m, "menhir:s3cret-smtp", STARTTLS, "rogue");
	snprintf(mail_settings.smtp_ca_file, sizeof(mail_settings.smtp_ca_file), "%s/ca.pem",
	         m.certs);
	snprintf(url, sizeof(url), "smtp://menhir:s3cret-smtp@127.0.0.1:%d", m.port);
	refused_on_the_certificate(&m, url, 1);
	mailbox_stop(&m);
	/* A good certificate, but no smtp_ca_file: the system's store does not know our CA. */
	mailbox_start_tls(&m, NULL, STARTTLS, "good");
	mail_settings.smtp_ca_file[0] = '\0';
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", m.port);
	refused_on_the_certificate(&m, url, 1);
	mailbox_stop(&m);
	/* smtps:// checks the same way. */
	mailbox_start_tls(&m, NULL, IMPLICIT_TLS, "wrongname");
	snprintf(mail_settings.smtp_ca_file, sizeof(mail_settings.smtp_ca_file), "%s/ca.pem",
	         m.certs);
	snprintf(url, sizeof(url), "smtps://127.0.0.1:%d", m.port);
	refused_on_the_certificate(&m, url, 0);
	mail_settings.smtp_ca_file[0] = '\0';
	mailbox_stop(&m);
}

/* A CA file that cannot be read stops the start (or the reload), not the first mail. */
Test(mail, an_unreadable_smtp_ca_file_is_refused_by_the_configuration)
{
	struct mail_settings v;
	char err[256] = "";

	memset(&v, 0, sizeof(v));
	snprintf(v.mail_from, sizeof(v.mail_from), "noreply@example.test");
	snprintf(v.smtp_url, sizeof(v.smtp_url), "smtp://127.0.0.1:25");
	snprintf(v.public_url, sizeof(v.public_url), "https://example.test");
	snprintf(v.mail_templates_dir, sizeof(v.mail_templates_dir), "%s", MH_TEMPLATES_DIR);
	snprintf(v.smtp_ca_file, sizeof(v.smtp_ca_file), "/nonexistent/ca.pem");
	cr_assert_eq(mail_config.check(&v, err, sizeof(err)), -1);
	cr_assert(strstr(err, "smtp_ca_file") != NULL, "%s", err);
	v.smtp_ca_file[0] = '\0';
	cr_assert_eq(mail_config.check(&v, err, sizeof(err)), 0, "%s", err);
}
