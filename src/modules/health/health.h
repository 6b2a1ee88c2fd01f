/* health.h - liveness and readiness probes for load balancers and systemd. */
#ifndef MH_HEALTH_H
#define MH_HEALTH_H

#include "core/module.h"

extern const struct mh_module health_module;

#endif
