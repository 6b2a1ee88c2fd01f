/* settings.c - the webhooks module's configuration keys. */
#include "modules/webhooks/internal.h"

struct webhooks_settings webhooks_settings;

#define S struct webhooks_settings
static const struct mh_config_key webhooks_keys[] = {
        MH_KEY_BOOL(S, webhook_allow_private, "false",
                    "allow http:// and loopback or private webhook targets (tests, development)"),
        MH_KEY_INT(S, webhook_timeout, 100, 60000, "10000", "ms for one webhook delivery"),
        MH_KEY_INT(S, webhook_max_attempts, 1, 100, "8",
                   "delivery attempts before a webhook job is dead"),
        {0},
};
#undef S

const struct mh_settings webhooks_config = {
        webhooks_keys, &webhooks_settings, sizeof(webhooks_settings), NULL, NULL,
};

int webhooks_target_check(const char *url, const char **why)
{
	return webhooks_url_check(url, webhooks_settings.webhook_allow_private, why);
}
