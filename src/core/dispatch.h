/* dispatch.h - the request path: route, check, validate, run the handler, log. */
#ifndef MH_DISPATCH_H
#define MH_DISPATCH_H

#include <fcgiapp.h>

#include "core/arena.h"
#include "core/config.h"

/*
 * Serves one accepted FastCGI request entirely: builds the request in arena,
 * answers 404/405/413/415/400 before any handler runs, calls the handler,
 * writes the response and the access-log line. Never fails: every problem
 * becomes a JSON error response. The caller resets the arena afterwards.
 */
void mh_dispatch(FCGX_Request *fr, struct mh_arena *arena, const struct mh_config *cfg);

#endif
