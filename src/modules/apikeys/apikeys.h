/* apikeys.h - the apikeys module: a tenant's API keys for machine clients (create, list,
 * show, revoke). Authenticating with a key is the core's (core/apikey.h). */
#ifndef MH_MODULES_APIKEYS_H
#define MH_MODULES_APIKEYS_H

#include "core/module.h"

extern const struct mh_module apikeys_module;

#endif
