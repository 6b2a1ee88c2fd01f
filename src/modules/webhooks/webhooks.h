/* webhooks.h - the webhooks module's public face: signed webhook deliveries of job results. */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "core/module.h"

extern const struct mh_module webhooks_module;

#endif
