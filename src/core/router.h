/* router.h - matches method + path against the modules' static route tables. */
#ifndef MH_ROUTER_H
#define MH_ROUTER_H

#include <stddef.h>

#include "core/arena.h"
#include "core/input.h"
#include "core/module.h"

enum mh_match { MH_MATCH_OK, MH_MATCH_NOT_FOUND, MH_MATCH_METHOD };

/*
 * Builds the table from a NULL-terminated array of modules. Routes flagged
 * MH_TEST_ONLY are kept only when with_test_routes. A malformed pattern, a
 * malformed input declaration (mh_input_plan) or two routes with the same
 * method and shape (e.g. /a/:x and /a/:y) refuse to start. Returns 0 or -1
 * with a message in err. Called once in the master.
 */
int mh_router_build(const struct mh_module *const *modules, int with_test_routes, char *err,
		    size_t errlen);
void mh_router_free(void);

/*
 * Finds the route for method and path. On MH_MATCH_OK, *route and its
 * position in the table (*index, stable for the life of the table) are set and the
 * path parameters are decoded into the arena (*params, *nparams). On
 * MH_MATCH_METHOD, *allowed is the mask of methods the path accepts (for the
 * Allow header). HEAD is served by GET routes.
 */
enum mh_match mh_router_match(struct mh_arena *a, unsigned method, const char *path,
			      const struct mh_route **route, size_t *index, struct mh_kv **params,
			      size_t *nparams, unsigned *allowed);

/* Writes "GET, HEAD, POST" for an Allow mask into the arena. */
const char *mh_router_allow_header(struct mh_arena *a, unsigned allowed);

/* The routes in the table (for the OpenAPI cross-check and tests). */
size_t mh_router_count(void);
const struct mh_route *mh_router_at(size_t i);
/* What was worked out at build time about route i's declared input (an empty plan for an
 * index outside the table). */
const struct mh_input_plan *mh_router_plan(size_t i);

#endif
