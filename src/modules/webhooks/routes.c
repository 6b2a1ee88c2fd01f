/* routes.c - the webhooks module's routes (being written). */
#include "modules/webhooks/internal.h"

static const struct mh_route webhooks_routes[] = {
	{ 0 },
};

const struct mh_module webhooks_module = {
	.name = "webhooks",
	.routes = webhooks_routes,
};
