/* settings.c - the billing module's configuration keys, and the secrets their files name
 * (read when the configuration is applied, so `menhir config` never shows them). */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/credentials.h"

struct billing_settings billing_settings;
struct billing_secrets billing_secrets;

#define S struct billing_settings
static const struct mh_config_key billing_keys[] = {
        MH_KEY_STR(S, billing_api_url, "https://api.stripe.com",
                   "base URL of the payment provider's API (checkout and portal sessions)"),
        MH_KEY_STR(S, billing_api_key_file, "",
                   "the provider's secret API key: a systemd credential name or an absolute "
                   "path (empty: checkout and portal answer 503)"),
        MH_KEY_STR(S, billing_webhook_secret_file, "",
                   "the webhook endpoint's signing secret (whsec_…): a credential name or an "
                   "absolute path (empty: every webhook is refused)"),
        MH_KEY_STR(S, billing_webhook_secret_previous_file, "",
                   "the previous endpoint secret, accepted too while a rotation lasts"),
        MH_KEY_INT(S, billing_webhook_tolerance, 1, 3600, "300",
                   "seconds a webhook's signed timestamp may differ from now"),
        MH_KEY_INT(S, billing_timeout, 100, 60000, "10000",
                   "milliseconds one call to the provider may take"),
        MH_KEY_STR(S, billing_return_url, "https://localhost:8443/billing",
                   "where the provider sends the owner back after checkout or the portal"),
        MH_KEY_INT(S, billing_limits_cache_seconds, 1, 3600, "30",
                   "how long the workers keep a tenant's rate limits while Redis is down (a "
                   "change is seen at once while it is up)"),
        {0},
};
#undef S

static int http_url(const char *url)
{
	return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/* 1 when the authority after "http://" is 127.0.0.1, localhost or [::1] (any port). */
static int loopback(const char *authority)
{
	static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i]);

		if (strncmp(authority, hosts[i], n) == 0 &&
		    (authority[n] == ':' || authority[n] == '/' || authority[n] == '\0'))
			return 1;
	}
	return 0;
}

static struct billing_secrets checked_secrets;

/* In the master: a typo or an unreadable secret stops the start (or the reload). */
static int billing_check(const void *values, char *err, size_t errlen)
{
	const struct billing_settings *s = values;
	struct billing_secrets next;
	const char *files[3] = {s->billing_api_key_file, s->billing_webhook_secret_file,
	                        s->billing_webhook_secret_previous_file};
	const char *keys[3] = {"billing_api_key_file", "billing_webhook_secret_file",
	                       "billing_webhook_secret_previous_file"};
	char *outs[3];

	memset(&next, 0, sizeof(next));
	outs[0] = next.api_key;
	outs[1] = next.webhook[0];
	outs[2] = next.webhook[1];
	if (!http_url(s->billing_api_url) || !http_url(s->billing_return_url)) {
		snprintf(err, errlen,
		         "billing_api_url and billing_return_url must be http(s) URLs");
		return -1;
	}
	/* The calls carry the secret key: in clear text only to this machine (a stand-in). */
	if (strncmp(s->billing_api_url, "http://", 7) == 0 && !loopback(s->billing_api_url + 7)) {
		snprintf(err, errlen,
		         "billing_api_url must be https unless it is a loopback address");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (files[i][0] != '\0' &&
		    mh_credentials_read(keys[i], files[i], outs[i], BILLING_SECRET_SIZE, err,
		                        errlen) < 0)
			return -1;
	checked_secrets = next;
	memset(&next, 0, sizeof(next));
	return 0;
}

static void billing_commit(void)
{
	billing_secrets = checked_secrets;
	memset(&checked_secrets, 0, sizeof(checked_secrets));
}

const struct mh_settings billing_config = {
        billing_keys, &billing_settings, sizeof(billing_settings), billing_check, billing_commit,
};
