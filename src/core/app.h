/* app.h - wires the configuration into the core subsystems and the modules. */
#ifndef MH_APP_H
#define MH_APP_H

#include <stddef.h>

#include "core/config.h"

/* Runs every module's init once (statement registration, checks). Returns 0
 * or -1 with a message in err. */
int mh_app_init(const struct mh_config *cfg, char *err, size_t errlen);

/* Applies cfg to logging, HTTP, database, Redis and the route table; called at
 * start-up and on every reload, in the master. Returns 0 or -1 (err). */
int mh_app_configure(const struct mh_config *cfg, char *err, size_t errlen);

#endif
