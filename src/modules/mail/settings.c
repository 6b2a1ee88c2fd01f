/* settings.c - the mail module's configuration keys, checked (and the templates read) before
 * they take effect. */
#include "modules/mail/internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct mail_settings mail_settings;

#define S struct mail_settings
static const struct mh_config_key mail_keys[] = {
        MH_KEY_STR(S, mail_from, "noreply@localhost",
                   "envelope sender and From: address of outbound mail (a bare address)"),
        MH_KEY_STR(S, mail_from_name, "Menhir", "display name of the From: header"),
        MH_KEY_STR(S, smtp_url, "smtp://127.0.0.1:25",
                   "smtp://[user:password@]host:port (STARTTLS) or smtps://…; AUTH when "
                   "credentials are given"),
        MH_KEY_BOOL(S, smtp_starttls, "true",
                    "smtp:// refuses to send unless STARTTLS succeeds (false only for a "
                    "loopback relay)"),
        MH_KEY_STR(S, smtp_ca_file, "",
                   "PEM file of the CA certificates the SMTP server's certificate must chain to "
                   "(empty: the system's store); the certificate and the host name are always "
                   "verified"),
        MH_KEY_INT(S, smtp_timeout, 100, 120000, "10000",
                   "milliseconds one SMTP delivery may take"),
        MH_KEY_INT(S, mail_max_attempts, 1, 100, "6",
                   "delivery attempts before a mail job is dead"),
        MH_KEY_STR(S, mail_templates_dir, MH_PKGDATADIR "/mail",
                   "folder of the message templates (<name>.mail: subject, text and HTML)"),
        MH_KEY_STR(S, public_url, "https://localhost:8443",
                   "base URL of the browser app, for the links in mail"),
        {0},
};
#undef S

/* In the master, so a typo stops the start (or the reload), not the first mail; the
 * templates are read again with every reload. */
static int mail_check(const void *values, char *err, size_t errlen)
{
	const struct mail_settings *s = values;

	if (strchr(s->mail_from, '@') == NULL || strpbrk(s->mail_from, "<>\r\n ") != NULL) {
		snprintf(err, errlen, "mail_from must be a bare address");
		return -1;
	}
	if (strncmp(s->smtp_url, "smtp://", 7) != 0 && strncmp(s->smtp_url, "smtps://", 8) != 0) {
		snprintf(err, errlen, "smtp_url must start with smtp:// or smtps://");
		return -1;
	}
	/* A missing CA file would fail every delivery later, one retry at a time: say it now. */
	if (s->smtp_ca_file[0] != '\0' && access(s->smtp_ca_file, R_OK) != 0) {
		snprintf(err, errlen, "smtp_ca_file %s cannot be read", s->smtp_ca_file);
		return -1;
	}
	if (strncmp(s->public_url, "https://", 8) != 0 &&
	    strncmp(s->public_url, "http://", 7) != 0) {
		snprintf(err, errlen, "public_url must be an http(s) URL");
		return -1;
	}
	return mail_templates_load(s->mail_templates_dir, err, errlen);
}

const struct mh_settings mail_config = {
        mail_keys, &mail_settings, sizeof(mail_settings), mail_check, mail_templates_commit,
};
