/* mail.h - the mail module: outbound e-mail as a background job (kind mail.send) delivered
 * over SMTP, from templates in files. Other modules queue a message in the transaction of
 * the change that causes it; nothing is sent if that transaction rolls back. */
#ifndef MH_MODULES_MAIL_H
#define MH_MODULES_MAIL_H

#include "core/arena.h"
#include "core/db.h"
#include "core/module.h"

extern const struct mh_module mail_module;

/* Queues one message on tx (SQL function mail_enqueue: a system job, so no tenant's member
 * can list it): to an address, from the template called template (a file
 * <mail_templates_dir>/<template>.mail), with vars_json (a JSON object of strings, or NULL)
 * filling its {{placeholders}}. Returns the query index or MH_DB_ERROR. */
int mail_queue(struct mh_tx *tx, const char *to, const char *template, const char *vars_json);

/* The link a mail carries to a page of the browser app: <public_url>/<page>#token=<token>.
 * The token travels in the fragment, which browsers never send, so it reaches no access log.
 * In the arena; NULL when out of memory. */
const char *mail_link(struct mh_arena *a, const char *page, const char *token);

/* Attempts a message may take before its job is dead (mail_max_attempts). */
int mail_max_attempts(void);

#endif
