/* metrics.h - the Prometheus scrape endpoint. */
#ifndef MH_METRICS_MODULE_H
#define MH_METRICS_MODULE_H

#include "core/module.h"

extern const struct mh_module metrics_module;

#endif
