/* settings.c - the auth module's configuration keys and what it does when they change. */
#include "modules/auth/internal.h"

#include "core/auth.h"

struct auth_settings auth_settings;

#define S struct auth_settings
static const struct mh_config_key auth_keys[] = {
        MH_KEY_INT(S, access_token_ttl, 60, 86400, "900", "seconds an access token lives"),
        MH_KEY_INT(S, refresh_token_ttl, 300, 31536000, "604800",
                   "seconds a refresh token lives (every refresh issues a new one)"),
        MH_KEY_INT(S, refresh_reuse_grace, 0, 300, "10",
                   "seconds a just-rotated refresh token still works once (two tabs)"),
        MH_KEY_INT(S, login_max_failures, 1, 1000, "5",
                   "failed logins per (account, address) before the throttle delays them"),
        MH_KEY_INT(S, login_lockout, 1, 86400, "900",
                   "seconds: the login throttle's window and its longest delay"),
        MH_KEY_STR(S, allowed_origins, "https://localhost:8443",
                   "space-separated origins the cookie-authenticated routes accept (CSRF)"),
        MH_KEY_INT(S, mail_cooldown, 0, 86400, "60",
                   "seconds between two mails of one flow (reset, verification) to one address"),
        MH_KEY_INT(S, mail_ip_max, 1, 100000, "30",
                   "mail-sending requests per client address per hour (429 above)"),
        MH_KEY_STR(S, unverified_deny, "invite api_keys",
                   "what an account with an unverified address may not do: any of login, "
                   "invite, api_keys"),
        {0},
};
#undef S

static int checked_token_ttl;

static int auth_check(const void *values, char *err, size_t errlen)
{
	const struct auth_settings *s = values;

	(void)err;
	(void)errlen;
	checked_token_ttl = s->access_token_ttl;
	return 0;
}

/* The core verifies the tokens this module issues: it refuses a longer-lived one, and its
 * revocation records must outlive the longest. */
static void auth_commit(void)
{
	mh_auth_set_token_lifetime(checked_token_ttl);
}

const struct mh_settings auth_config = {
        auth_keys, &auth_settings, sizeof(auth_settings), auth_check, auth_commit,
};
