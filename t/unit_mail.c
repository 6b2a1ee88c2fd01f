/* unit_mail.c - the mail module's pure parts: template files, placeholder expansion (HTML
 * escaping, no header injection) and the MIME message. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/arena.h"
#include "modules/mail/internal.h"

static struct mh_arena a;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 4096), 0);
}

static void teardown(void)
{
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
