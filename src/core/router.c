/* router.c - matches method + path against the modules' static route tables. */
#include "core/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"

#define MAX_SEGMENTS 16

/* A pattern pre-split into segments at start-up so a request only compares. */
struct compiled {
	const struct mh_route *route;
	struct mh_input_plan plan; /* its declared input, counted once */
	size_t nseg;
	const char *seg[MAX_SEGMENTS]; /* ":name" marks a parameter */
	size_t seglen[MAX_SEGMENTS];
};

static struct compiled *table;
static size_t table_len;

static int split(const char *path, const char **seg, size_t *seglen, size_t max)
{
	size_t n = 0;
	const char *p = path;

	if (*p != '/')
		return -1;
	if (p[1] == '\0')
		return 0; /* "/" has no segments */
	while (*p == '/') {
		const char *start = ++p;
		while (*p != '\0' && *p != '/')
			p++;
		if (n == max)
			return -1;
		seg[n] = start;
		seglen[n] = (size_t)(p - start);
		n++;
	}
	return *p == '\0' ? (int)n : -1;
}

static int same_shape(const struct compiled *a, const struct compiled *b)
{
	if (a->nseg != b->nseg)
		return 0;
	for (size_t i = 0; i < a->nseg; i++) {
		int pa = a->seg[i][0] == ':', pb = b->seg[i][0] == ':';
		if (pa != pb)
			return 0;
		if (!pa && (a->seglen[i] != b->seglen[i] ||
		            memcmp(a->seg[i], b->seg[i], a->seglen[i]) != 0))
			return 0;
	}
	return 1;
}

int mh_router_build(const struct mh_module *const *modules, int with_test_routes, char *err,
                    size_t errlen)
{
	size_t total = 0, n = 0;

	for (size_t m = 0; modules[m] != NULL; m++)
		for (const struct mh_route *r = modules[m]->routes; r->pattern != NULL; r++)
			total++;
	free(table);
	table = calloc(total ? total : 1, sizeof(*table));
	if (table == NULL) {
		snprintf(err, errlen, "out of memory building the route table");
		return -1;
	}
	for (size_t m = 0; modules[m] != NULL; m++) {
		for (const struct mh_route *r = modules[m]->routes; r->pattern != NULL; r++) {
			struct compiled *c = &table[n];
			int ns;

			if ((r->flags & MH_TEST_ONLY) && !with_test_routes)
				continue;
			ns = split(r->pattern, c->seg, c->seglen, MAX_SEGMENTS);
			if (ns < 0 || r->handler == NULL || r->method == 0) {
				snprintf(err, errlen, "module %s: bad route %s", modules[m]->name,
				         r->pattern);
				return -1;
			}
			c->nseg = (size_t)ns;
			c->route = r;
			if (mh_input_plan(r, &c->plan, err, errlen) < 0)
				return -1;
			for (size_t k = 0; k < n; k++) {
				if ((table[k].route->method & r->method) &&
				    same_shape(&table[k], c)) {
					snprintf(err, errlen,
					         "module %s: route %s %s clashes with %s",
					         modules[m]->name, mh_method_name(r->method),
					         r->pattern, table[k].route->pattern);
					return -1;
				}
			}
			n++;
		}
	}
	table_len = n;
	return 0;
}

void mh_router_free(void)
{
	free(table);
	table = NULL;
	table_len = 0;
}

/* Static segments beat parameters, so /a/new wins over /a/:id whatever the
 * order of declaration. Returns the number of static segments, or -1. */
static int match_score(const struct compiled *c, const char **seg, const size_t *seglen,
                       size_t nseg)
{
	int score = 0;

	if (c->nseg != nseg)
		return -1;
	for (size_t i = 0; i < nseg; i++) {
		if (c->seg[i][0] == ':') {
			if (seglen[i] == 0)
				return -1;
			continue;
		}
		if (c->seglen[i] != seglen[i] || memcmp(c->seg[i], seg[i], seglen[i]) != 0)
			return -1;
		score++;
	}
	return score;
}

enum mh_match mh_router_match(struct mh_arena *a, unsigned method, const char *path,
                              const struct mh_route **route, size_t *index, struct mh_kv **params,
                              size_t *nparams, unsigned *allowed)
{
	const char *seg[MAX_SEGMENTS];
	size_t seglen[MAX_SEGMENTS];
	const struct compiled *best = NULL;
	int ns, best_score = -1;
	unsigned want = method == MH_HEAD ? (MH_GET | MH_HEAD) : method;

	*allowed = 0;
	*nparams = 0;
	*params = NULL;
	ns = split(path, seg, seglen, MAX_SEGMENTS);
	if (ns < 0)
		return MH_MATCH_NOT_FOUND;
	for (size_t i = 0; i < table_len; i++) {
		int score = match_score(&table[i], seg, seglen, (size_t)ns);
		if (score < 0)
			continue;
		*allowed |= table[i].route->method;
		if ((table[i].route->method & want) && score > best_score) {
			best = &table[i];
			best_score = score;
		}
	}
	if (*allowed & MH_GET)
		*allowed |= MH_HEAD;
	if (best == NULL)
		return *allowed ? MH_MATCH_METHOD : MH_MATCH_NOT_FOUND;
	*route = best->route;
	*index = (size_t)(best - table);
	if (best->nseg > 0) {
		struct mh_kv *kv = mh_arena_alloc(a, sizeof(*kv) * best->nseg);
		if (kv == NULL)
			return MH_MATCH_NOT_FOUND;
		for (size_t i = 0; i < best->nseg; i++) {
			if (best->seg[i][0] != ':')
				continue;
			kv[*nparams].key =
			        mh_arena_strndup(a, best->seg[i] + 1, best->seglen[i] - 1);
			kv[*nparams].value = mh_arena_strndup(a, seg[i], seglen[i]);
			(*nparams)++;
		}
		*params = kv;
	}
	return MH_MATCH_OK;
}

const char *mh_router_allow_header(struct mh_arena *a, unsigned allowed)
{
	static const unsigned order[] = {MH_GET,   MH_HEAD,   MH_POST,   MH_PUT,
	                                 MH_PATCH, MH_DELETE, MH_OPTIONS};
	char buf[64] = "";

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(allowed & order[i]))
			continue;
		if (buf[0] != '\0')
			strcat(buf, ", ");
		strcat(buf, mh_method_name(order[i]));
	}
	return mh_arena_strdup(a, buf);
}

size_t mh_router_count(void)
{
	return table_len;
}

const struct mh_route *mh_router_at(size_t i)
{
	return i < table_len ? table[i].route : NULL;
}

const struct mh_input_plan *mh_router_plan(size_t i)
{
	static const struct mh_input_plan none;

	return i < table_len ? &table[i].plan : &none;
}
