/* fuzz_router.c - libFuzzer target for path parameters: mh_router_match against a brute-force
 * reference over a route table shaped like Menhir's. Input: one method byte, then the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/input.h"
#include "core/router.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int h(struct mh_request *req, struct mh_response *res)
{
	return 0;
}

/* Path parameters as the router needs them declared (the values are not checked here). */
#define P(n)                                                                                       \
	{                                                                                          \
		n, MH_T_STRING, .max = 4096                                                        \
	}
static const struct mh_field user_id[] = {P("user_id"), {0}};
static const struct mh_field id[] = {P("id"), {0}};
static const struct mh_field id_file[] = {P("id"), P("file_id"), {0}};
static const struct mh_field a[] = {P("a"), {0}};
static const struct mh_field a_to_p[] = {P("a"), P("b"), P("c"), P("d"), P("e"), P("f"),
                                         P("g"), P("h"), P("i"), P("j"), P("k"), P("l"),
                                         P("m"), P("n"), P("o"), P("p"), {0}};

/* The real tables' shapes, plus static-beats-parameter pairs and the 16-segment maximum. */
static const struct mh_route routes[] = {
        {MH_GET, "/", h, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_GET, "/healthz", h, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_GET, "/readyz", h, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_GET, "/api/v1/ping", h, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_POST, "/api/v1/auth/login", h, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_GET | MH_PATCH, "/api/v1/tenants/current", h, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_GET, "/api/v1/tenants/current/members", h, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_POST, "/api/v1/tenants/current/members", h, 0, MH_ROLE_ADMIN, .doc = NULL},
        {MH_PATCH | MH_DELETE, "/api/v1/tenants/current/members/:user_id", h, 0, MH_ROLE_ADMIN,
         user_id, .doc = NULL},
        {MH_GET, "/api/v1/docs/:id", h, 0, MH_ROLE_VIEWER, id, .doc = NULL},
        {MH_GET, "/api/v1/docs/new", h, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_PUT, "/api/v1/docs/:id", h, 0, MH_ROLE_MEMBER, id, .doc = NULL},
        {MH_GET, "/api/v1/docs/:id/files/:file_id", h, 0, MH_ROLE_VIEWER, id_file, .doc = NULL},
        {MH_GET, "/api/v1/docs/:id/files/latest", h, 0, MH_ROLE_VIEWER, id, .doc = NULL},
        {MH_GET, "/:a", h, MH_PUBLIC, MH_ROLE_NONE, a, .doc = NULL},
        {MH_OPTIONS, "/:a/:b/:c/:d/:e/:f/:g/:h/:i/:j/:k/:l/:m/:n/:o/:p", h, MH_PUBLIC, MH_ROLE_NONE,
         a_to_p, .doc = NULL},
        {0},
};
static const struct mh_module mod = {.name = "fuzz", .routes = routes};
static const struct mh_module *const mods[] = {&mod, NULL};

static struct mh_arena arena;
static size_t nroutes;

/* Reference match: -1, or the number of static segments when route r takes path. */
static int ref_score(const char *pattern, const char *path)
{
	int score = 0;

	if (path[0] != '/')
		return -1;
	if (strcmp(pattern, "/") == 0 || strcmp(path, "/") == 0)
		return strcmp(pattern, path) == 0 ? 0 : -1;
	while (*pattern == '/' && *path == '/') {
		size_t pl = strcspn(++pattern, "/"), sl = strcspn(++path, "/");

		if (pattern[0] == ':') {
			if (sl == 0)
				return -1;
		} else if (pl != sl || memcmp(pattern, path, pl) != 0) {
			return -1;
		} else {
			score++;
		}
		pattern += pl;
		path += sl;
	}
	return *pattern == '\0' && *path == '\0' ? score : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned methods[] = {MH_GET,   MH_HEAD,   MH_POST,   MH_PUT,
	                                   MH_PATCH, MH_DELETE, MH_OPTIONS};
	const struct mh_route *route = NULL;
	struct mh_kv *params = NULL;
	size_t index = 0, nparams = 0;
	unsigned method, want, allowed = 0, want_allowed = 0;
	enum mh_match m;
	char *path;
	int best = -1;

	if (nroutes == 0) {
		char err[256];

		if (mh_arena_init(&arena, 4096) < 0 ||
		    mh_router_build(mods, 0, err, sizeof(err)) < 0)
			abort();
		nroutes = mh_router_count();
	}
	if (size < 1)
		return 0;
	method = methods[data[0] % 7];
	want = method == MH_HEAD ? (MH_GET | MH_HEAD) : method;
	path = strndup((const char *)data + 1, size - 1);

	m = mh_router_match(&arena, method, path, &route, &index, &params, &nparams, &allowed);

	for (size_t i = 0; routes[i].pattern != NULL; i++) {
		int s = ref_score(routes[i].pattern, path);
		if (s < 0)
			continue;
		want_allowed |= routes[i].method;
		if ((routes[i].method & want) && s > best)
			best = s;
	}
	if (want_allowed & MH_GET)
		want_allowed |= MH_HEAD;

	if (m == MH_MATCH_NOT_FOUND) {
		FUZZ_CHECK(want_allowed == 0, "404 for a path some route takes");
	} else if (m == MH_MATCH_METHOD) {
		FUZZ_CHECK(best < 0 && allowed == want_allowed && allowed != 0,
		           "405 with Allow mask %#x, want %#x", allowed, want_allowed);
	} else {
		size_t want_params = 0;
		const char *p, *q;

		FUZZ_CHECK(m == MH_MATCH_OK, "unknown match result %d", (int)m);
		FUZZ_CHECK(best >= 0, "matched a path no route takes with this method");
		FUZZ_CHECK(route != NULL && index < nroutes && mh_router_at(index) == route,
		           "route/index mismatch");
		FUZZ_CHECK(route->method & want, "route does not take this method");
		FUZZ_CHECK(ref_score(route->pattern, path) == best,
		           "%s is not the most static match for %s", route->pattern, path);
		for (p = route->pattern; (p = strstr(p, "/:")) != NULL; p++)
			want_params++;
		FUZZ_CHECK(nparams == want_params, "%zu params, want %zu", nparams, want_params);
		/* Putting the parameters back into the pattern gives the path again. */
		q = path;
		p = route->pattern;
		for (size_t i = 0; i < nparams; i++) {
			const char *colon = strstr(p, "/:");
			size_t vlen = strlen(params[i].value), klen = strcspn(colon + 2, "/");

			FUZZ_CHECK(params[i].key != NULL && params[i].value != NULL, "NULL param");
			FUZZ_CHECK(vlen > 0, "empty value for %s", params[i].key);
			FUZZ_CHECK(strchr(params[i].value, '/') == NULL,
			           "param %s=\"%s\" has a '/'", params[i].key, params[i].value);
			FUZZ_CHECK(strlen(params[i].key) == klen &&
			                   memcmp(params[i].key, colon + 2, klen) == 0,
			           "param name %s", params[i].key);
			FUZZ_CHECK(strncmp(q, p, (size_t)(colon - p) + 1) == 0,
			           "static part differs before %s", params[i].key);
			q += colon - p + 1;
			FUZZ_CHECK(strncmp(q, params[i].value, vlen) == 0,
			           "value of %s is not in the path", params[i].key);
			q += vlen;
			p = colon + 2 + klen;
		}
		FUZZ_CHECK(strcmp(q, p) == 0, "path tail \"%s\" differs from pattern tail \"%s\"",
		           q, p);
		if (allowed != want_allowed)
			FUZZ_CHECK(0, "Allow mask %#x, want %#x", allowed, want_allowed);
	}
	if (allowed != 0)
		FUZZ_CHECK(mh_router_allow_header(&arena, allowed) != NULL, "no Allow header");
	free(path);
	mh_arena_reset(&arena);
	return 0;
}
