/* mail.c - the mail module's registration: its settings, templates, statements and job kind,
 * and what other modules call to queue a message. No routes: mail is read by people. */
#include "modules/mail/mail.h"
#include "modules/mail/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

static const struct mh_db_statement mail_statements[] = {
        {"mail_enqueue", "SELECT mail_enqueue($1, $2, coalesce($3, '{}')::jsonb, $4::int)", 4},
        {"mail_attempt_record",
         "SELECT mail_attempt_record($1::uuid, $2::int, $3, $4, $5::int, $6, $7::bigint)", 7},
        {"mail_scrub", "SELECT mail_scrub($1::uuid)", 1},
        {"mail_cleanup", "SELECT mail_attempts FROM mail_cleanup(make_interval(days => $1::int))",
         1},
        {NULL, NULL, 0},
};

int mail_queue(struct mh_tx *tx, const char *to, const char *template, const char *vars_json)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = to;
	p[1] = template;
	p[2] = vars_json;
	p[3] = mh_arena_sprintf(tx->req->arena, "%d", mail_settings.mail_max_attempts);
	if (p[3] == NULL)
		return MH_DB_ERROR;
	return mh_tx_query(tx, "mail_enqueue", p, 4);
}

const char *mail_link(struct mh_arena *a, const char *page, const char *token)
{
	size_t n = strlen(mail_settings.public_url);

	while (n > 0 && mail_settings.public_url[n - 1] == '/')
		n--;
	return mh_arena_sprintf(a, "%.*s/%s#token=%s", (int)n, mail_settings.public_url, page,
	                        token);
}

int mail_max_attempts(void)
{
	return mail_settings.mail_max_attempts;
}

char mail_keep_days[16];

/* The settings are the module's keys (settings.c); the cleanup follows the core's. */
static int mail_init(const struct mh_config *cfg)
{
	snprintf(mail_keep_days, sizeof(mail_keep_days), "%d", cfg->jobs_keep_days);
	mail_job_kinds[1].every_seconds = cfg->jobs_cleanup_every;
	return mh_db_register(mail_statements);
}

/* Mail is read by people, in their mailbox: the module answers no route. */
static const struct mh_route mail_routes[] = {
        {0},
};

const struct mh_module mail_module = {
        .name = "mail",
        .routes = mail_routes,
        .init = mail_init,
        .job_kinds = mail_job_kinds,
        .settings = &mail_config,
};
