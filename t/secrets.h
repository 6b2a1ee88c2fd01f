/* secrets.h - credentials the suites send, and that must never reach a log.
 * script/test greps every log of the run for each quoted value below, so a
 * suite that sends a secret uses one of these (add new ones here). */
#ifndef MH_T_SECRETS_H
#define MH_T_SECRETS_H

#define T_SECRET_BEARER "sekret-bearer-7f3a91c2"
#define T_SECRET_COOKIE "sekret-cookie-4be07d55"
#define T_SECRET_QUERY "sekret-query-0c1d2e3f"
#define T_SECRET_BODY "sekret-body-9a8b7c6d"
/* Account passwords of the auth suites (at least 12 characters). */
#define T_SECRET_PASSWORD "sekret-password-5e6f7a8b"
#define T_SECRET_WRONG_PASSWORD "sekret-wrongpass-1c2d3e4f"
#define T_SECRET_NEW_PASSWORD "sekret-newpass-0a9b8c7d"
/* A token in a webhook URL's query string (t/it_webhooks.c): receivers put credentials
 * there, so the delivery never logs a URL's query. */
#define T_SECRET_WEBHOOK_QUERY "sekret-hookquery-3d4c5b6a"

#endif
