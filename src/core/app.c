/* app.c - wires the configuration into the core subsystems and the modules. */
#include "core/app.h"

#include <stdio.h>

#include "core/auth.h"
#include "core/db.h"
#include "core/events.h"
#include "core/http.h"
#include "core/log.h"
#include "core/module.h"
#include "core/queue.h"
#include "core/redis.h"
#include "core/router.h"

int mh_app_init(const struct mh_config *cfg, char *err, size_t errlen)
{
	if (mh_queue_init() < 0) {
		snprintf(err, errlen, "cannot register the queue's statements");
		return -1;
	}
	for (size_t i = 0; mh_modules[i] != NULL; i++) {
		if (mh_modules[i]->init != NULL && mh_modules[i]->init(cfg) < 0) {
			snprintf(err, errlen, "module %s failed to initialise", mh_modules[i]->name);
			return -1;
		}
	}
	return 0;
}

int mh_app_configure(const struct mh_config *cfg, char *err, size_t errlen)
{
	if (mh_redis_configure(cfg, err, errlen) < 0)
		return -1;
	if (mh_router_build(mh_modules, cfg->enable_test_routes, err, errlen) < 0)
		return -1;
	mh_log_set_level(cfg->log_level);
	mh_http_set_retry_after(cfg->retry_after);
	mh_http_set_cookie_secure(cfg->cookie_secure);
	mh_db_configure(cfg);
	mh_events_configure(cfg);
	if (mh_auth_configure(cfg, err, errlen) < 0)
		return -1;
	/* Last: the modules' values replace the running ones only once everything accepted. */
	return mh_config_apply(cfg, err, errlen);
}
