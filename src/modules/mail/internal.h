/* internal.h - what the mail module's files share; private to src/modules/mail/. */
#ifndef MH_MODULES_MAIL_INTERNAL_H
#define MH_MODULES_MAIL_INTERNAL_H

#include <stddef.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/queue.h"

#define MAIL_KIND "mail.send"

/* The module's configuration keys (settings.c declares and checks them; the core loads them
 * and hands them over at start-up and on every reload, before workers or runners fork). */
struct mail_settings {
	char mail_from[256];          /* the envelope and From: address */
	char mail_from_name[128];     /* the From: display name */
	char smtp_url[512];           /* smtp://[user:password@]host:port or smtps://… */
	int smtp_starttls;            /* smtp://: refuse to send unless STARTTLS succeeds */
	char smtp_ca_file[512];       /* the CAs the server's certificate must chain to; "": system */
	int smtp_timeout;             /* milliseconds for one delivery */
	int mail_max_attempts;
	char mail_templates_dir[512];
	char public_url[512]; /* the browser app's base URL, for links in mail */
};
extern struct mail_settings mail_settings;
extern const struct mh_settings mail_config;
/* jobs_keep_days, as the cleanup's parameter (mail_init fills it). */
extern char mail_keep_days[16];

/* ---- template.c ---------------------------------------------------------------------------- */

/* A message template: <dir>/<name>.mail, "Subject: …" on the first line, then a "--- text"
 * section and a "--- html" section. Placeholders are {{name}}. */
struct mail_template {
	char name[40];
	char *subject, *text, *html; /* malloc'd at start-up, kept for the process's life */
};

/* The templates every flow needs; mail_templates_load refuses to start without one. */
extern const char *const mail_template_names[];

/* Reads every template of mail_template_names from dir, for mail_templates_commit to put
 * into use (a reload refused by another module must not change them). Returns 0, or -1
 * with a message in err (a missing file, a missing section). */
int mail_templates_load(const char *dir, char *err, size_t errlen);
/* Puts the templates the last successful mail_templates_load read into use. */
void mail_templates_commit(void);
/* The loaded template called name, or NULL. */
const struct mail_template *mail_template_find(const char *name);
/* Loads one template file into t (for the tests). Returns 0 or -1. */
int mail_template_parse(const char *name, const char *src, struct mail_template *t, char *err,
                        size_t errlen);

struct json_object;
/* Expands the placeholders of src with the string members of vars, in the arena: as is for
 * text, HTML-escaped when html, and for a header (subject) with every control character
 * replaced by a space, so no variable can add a header line. An unknown placeholder
 * expands to nothing. NULL when out of memory. */
enum mail_escape { MAIL_TEXT, MAIL_HTML, MAIL_HEADER };
char *mail_render(struct mh_arena *a, const char *src, struct json_object *vars,
                  enum mail_escape how);

/* ---- message.c ------------------------------------------------------------------------------ */

/* The RFC 5322 message: headers, then multipart/alternative with the text and the HTML part,
 * both UTF-8, 8bit when no line is long, else base64 (so no line exceeds RFC 5322's limit,
 * whatever the variables hold). message_id is the Message-ID's left side, the domain of from
 * its right. NULL when out of memory. */
char *mail_message_build(struct mh_arena *a, const char *from, const char *from_name,
                         const char *to, const char *subject, const char *text, const char *html,
                         const char *message_id);

/* ---- smtp.c --------------------------------------------------------------------------------- */

struct mail_send {
	const char *from, *to, *message;
	/* out */
	long smtp_code;         /* the server's last reply code, 0 when none */
	const char *error_code; /* "connect_failed", "tls_error", "smtp_refused", … */
	const char *error;      /* libcurl's generic text, never a server's own words */
	int permanent;          /* a 5xx: the same message would be refused again */
	long long duration_ms;
};

/* Delivers one message over SMTP (libcurl): smtp:// with STARTTLS required when starttls,
 * smtps:// with TLS from the start; AUTH with the URL's credentials when it has any.
 * Returns 0 when the server took the message, -1 otherwise (s says why). */
int mail_smtp_send(struct mail_send *s);

/* ---- job.c ---------------------------------------------------------------------------------- */

extern struct mh_job_kind mail_job_kinds[];

#endif
