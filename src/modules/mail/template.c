/* template.c - message templates: one file per message (subject, plain text, HTML), read at
 * start-up and on every reload, and the expansion of their {{placeholders}}. */
#include "modules/mail/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/buf.h"

#define TEMPLATE_MAX (64 * 1024)

const char *const mail_template_names[] = {"invitation",
                                           "password_reset",
                                           "verify_email",
                                           "email_change",
                                           "email_change_notice",
                                           "email_taken",
                                           NULL};

static struct mail_template templates[8];
static size_t ntemplates;
/* Read by the last mail_templates_load, not in use until mail_templates_commit. */
static struct mail_template checked[8];
static size_t nchecked;

/* The body of the section that starts after the line `marker`, up to the next "--- " line
 * or the end, without its trailing newlines; malloc'd, NULL when absent. */
static char *section(const char *src, const char *marker)
{
	const char *p = strstr(src, marker), *end;
	size_t len;
	char *out;

	if (p == NULL || (p != src && p[-1] != '\n'))
		return NULL;
	p += strlen(marker);
	if (*p != '\n')
		return NULL;
	p++;
	end = strstr(p, "\n--- ");
	len = end ? (size_t)(end - p) + 1 : strlen(p);
	while (len > 0 && p[len - 1] == '\n')
		len--;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

int mail_template_parse(const char *name, const char *src, struct mail_template *t, char *err,
                        size_t errlen)
{
	size_t n;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (strncmp(src, "Subject: ", 9) != 0) {
		snprintf(err, errlen, "template %s: the first line must be \"Subject: …\"", name);
		return -1;
	}
	n = strcspn(src + 9, "\n");
	t->subject = strndup(src + 9, n);
	t->text = section(src, "--- text");
	t->html = section(src, "--- html");
	if (t->subject == NULL || t->text == NULL || t->html == NULL) {
		snprintf(err, errlen,
		         "template %s: needs a subject, a \"--- text\" and a \"--- html\""
		         " section",
		         name);
		free(t->subject);
		free(t->text);
		free(t->html);
		memset(t, 0, sizeof(*t));
		return -1;
	}
	return 0;
}

static void template_free(struct mail_template *t)
{
	free(t->subject);
	free(t->text);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

int mail_templates_load(const char *dir, char *err, size_t errlen)
{
	struct mail_template fresh[sizeof(templates) / sizeof(*templates)];
	size_t n = 0;

	memset(fresh, 0, sizeof(fresh));
	for (size_t i = 0; mail_template_names[i] != NULL; i++) {
		const char *name = mail_template_names[i];
		char path[1024], *src;
		size_t len;
		FILE *f;
		int rc;

		if (n >= sizeof(fresh) / sizeof(*fresh)) {
			snprintf(err, errlen, "too many mail templates");
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%s.mail", dir, name);
		if ((f = fopen(path, "re")) == NULL) {
			snprintf(err, errlen,
			         "mail template %s: cannot open %s (mail_templates_dir)", name,
			         path);
			goto fail;
		}
		src = malloc(TEMPLATE_MAX + 1);
		len = src ? fread(src, 1, TEMPLATE_MAX + 1, f) : 0;
		fclose(f);
		if (src == NULL || len > TEMPLATE_MAX) {
			free(src);
			snprintf(err, errlen, "mail template %s: unreadable or over 64 KiB", path);
			goto fail;
		}
		src[len] = '\0';
		rc = mail_template_parse(name, src, &fresh[n], err, errlen);
		free(src);
		if (rc < 0)
			goto fail;
		n++;
	}
	for (size_t i = 0; i < nchecked; i++)
		template_free(&checked[i]);
	memcpy(checked, fresh, sizeof(fresh));
	nchecked = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		template_free(&fresh[i]);
	return -1;
}

void mail_templates_commit(void)
{
	/* Every template read: they replace the ones in use (a reload), never half of them. */
	if (nchecked == 0)
		return;
	for (size_t i = 0; i < ntemplates; i++)
		template_free(&templates[i]);
	memcpy(templates, checked, sizeof(checked));
	ntemplates = nchecked;
	memset(checked, 0, sizeof(checked));
	nchecked = 0;
}

const struct mail_template *mail_template_find(const char *name)
{
	for (size_t i = 0; i < ntemplates; i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

static void put_escaped(struct mh_buf *b, const char *v, enum mail_escape how)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (how == MAIL_HTML && c == '&')
			mh_buf_puts(b, "&amp;");
		else if (how == MAIL_HTML && c == '<')
			mh_buf_puts(b, "&lt;");
		else if (how == MAIL_HTML && c == '>')
			mh_buf_puts(b, "&gt;");
		else if (how == MAIL_HTML && c == '"')
			mh_buf_puts(b, "&quot;");
		else if (how == MAIL_HTML && c == '\'')
			mh_buf_puts(b, "&#39;");
		else if (how == MAIL_HEADER && (c < 0x20 || c == 0x7f))
			mh_buf_putc(b, ' ');
		else
			mh_buf_putc(b, (char)c);
	}
}

char *mail_render(struct mh_arena *a, const char *src, struct json_object *vars,
                  enum mail_escape how)
{
	struct mh_buf b;

	mh_buf_init(&b, a, strlen(src) + 256);
	while (*src) {
		const char *open = strstr(src, "{{"), *close;
		char key[64];
		struct json_object *v;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL ||
		    (size_t)(close - open - 2) >= sizeof(key)) {
			mh_buf_puts(&b, src);
			break;
		}
		mh_buf_append(&b, src, (size_t)(open - src));
		memcpy(key, open + 2, (size_t)(close - open - 2));
		key[close - open - 2] = '\0';
		if (vars != NULL && json_object_object_get_ex(vars, key, &v) &&
		    json_object_is_type(v, json_type_string))
			put_escaped(&b, json_object_get_string(v), how);
		src = close + 2;
	}
	return (char *)mh_buf_cstr(&b);
}
