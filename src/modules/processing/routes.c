/* routes.c - the processing module's routes (being written). */
#include "modules/processing/internal.h"

static const struct mh_route processing_routes[] = {
	{ 0 },
};

const struct mh_module processing_module = {
	.name = "processing",
	.routes = processing_routes,
};
