/* events.c - placeholder until the nchan publisher lands (it replaces this file whole):
 * publishing does nothing and subscriptions are refused, so the rest can link and run. */
#include "core/events.h"

void mh_events_configure(const struct mh_config *cfg)
{
	(void)cfg;
}

int mh_events_publish(const char *channel, const char *json, size_t len)
{
	(void)channel;
	(void)json;
	(void)len;
	return -1;
}

int mh_events_redirect(struct mh_request *req, struct mh_response *res, const char *channel)
{
	(void)channel;
	return mh_reply_unavailable(req, res, "live events");
}
