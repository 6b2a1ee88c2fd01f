/* seed.c - `menhir admin seed`: tenants with a user of each role and many documents, fast.
 *
 * Users and tenants go through the admin functions of schema 0003; documents are made by
 * the generator (gen.c) and loaded by COPY (load.c). One argon2id hash serves every user
 * of a run (the password is printed once), since hashing is deliberately slow.
 *
 * Two ways to load, one outcome:
 * - one connection (the demo, small runs, --jobs 1): everything in one transaction, so a
 *   failed run leaves nothing behind;
 * - several connections (large runs: one per core, up to SEED_MAX_JOBS): the users and
 *   tenants are committed first, because the other connections' foreign-key checks must
 *   see them; each loader then inserts contiguous slices of every tenant's documents in
 *   its own transaction, and all of them commit at the end. If any part fails, the others
 *   are cancelled and rolled back and the run's tenants are deleted again (with whatever
 *   is in them); only its users remain, without memberships, because menhir_owner may
 *   not delete users (no DELETE policy) — their e-mails carry the run's random tag, so a
 *   rerun never collides with them. A process killed in between leaves its tenants too.
 * On two cores the second way takes about 40 % less time for a million documents: the
 * INSERT is CPU-bound in one PostgreSQL backend, and a second backend gets the idle core. */
#include "modules/seed/seed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/password.h"
#include "modules/seed/internal.h"

#define SEED_MAX_TENANTS 10000
#define SEED_MAX_DOCS    10000000L
#define SEED_MAX_JOBS    8
/* Below this many documents in a run, one connection is as fast and simpler to undo. */
#define SEED_PARALLEL_MIN 100000L

static const char *const roles[] = {"owner", "admin", "member", "viewer"};

/* What a run made, kept for the report, the loaders and the undo. */
struct made {
	const char *tenant;
	const char *users[4]; /* by role */
	const char *slug;
};

struct run {
	PGconn *c; /* as menhir_owner: users, tenants, and the one-connection load */
	struct mh_arena *a;
	const char *conninfo;
	struct made *made;
	long ntenants, ndocs;
	int jobs, demo;
	char tag[7]; /* random, in every e-mail and slug of a run */
};

/* The seed of tenant t's document stream: the same documents for the same t every run. */
static uint64_t stream_seed(long t)
{
	return 0x5EEDC0FFEEULL + (uint64_t)t * 0x9E3779B97F4A7C15ULL;
}

static long long now_us(void)
{
	return (long long)time(NULL) * 1000000LL;
}

/* The e-mail of tenant t's user of role i. */
static const char *email(const struct run *r, long t, int i)
{
	return r->demo ? mh_arena_sprintf(r->a, "%s@demo.menhir.test", roles[i])
	               : mh_arena_sprintf(r->a, "seed-%s-%ld-%s@example.test", r->tag, t + 1,
	                                  roles[i]);
}

/* Tenant t with a user of each role, in c's open transaction; fills r->made[t]. */
static int make_tenant(struct run *r, long t, const char *hash)
{
	struct made *m = &r->made[t];
	const char *emails[4], *name;

	name = r->demo ? "Demo" : mh_arena_sprintf(r->a, "Seed %s %ld", r->tag, t + 1);
	for (int i = 0; i < 4; i++) {
		const char *display = mh_arena_sprintf(r->a, "%s %s", name, roles[i]);

		emails[i] = email(r, t, i);
		if (seed_exec(r->c, r->a, seed_sql_create_user, 3,
		              (const char *const[]){emails[i], hash, display}, &m->users[i]) < 0)
			return -1;
	}
	m->slug = r->demo ? "demo" : mh_arena_sprintf(r->a, "seed-%s-%ld", r->tag, t + 1);
	if (seed_exec(r->c, r->a, seed_sql_create_tenant, 3,
	              (const char *const[]){name, m->slug, emails[0]}, &m->tenant) < 0 ||
	    seed_exec(r->c, r->a, seed_sql_enter, 2, (const char *const[]){m->tenant, m->users[0]},
	              NULL) < 0)
		return -1;
	for (int i = 1; i < 4; i++)
		if (seed_exec(r->c, r->a, seed_sql_add_member, 3,
		              (const char *const[]){m->tenant, m->users[i], roles[i]}, NULL) < 0)
			return -1;
	return seed_exec(r->c, r->a, seed_sql_plan, 1, (const char *const[]){m->tenant}, NULL);
}

/* BEGIN, synchronous_commit off for this transaction only (seed data is reproducible:
 * losing it to a crash costs a rerun, nothing else), and the staging table if it loads. */
static int begin(PGconn *c, struct mh_arena *a, int loads)
{
	return seed_exec(c, a, seed_sql_begin, 0, NULL, NULL) < 0 ||
	                       seed_exec(c, a, seed_sql_sync_off, 0, NULL, NULL) < 0 ||
	                       seed_exec(c, a, seed_sql_bulk, 0, NULL, NULL) < 0 ||
	                       (loads && seed_exec(c, a, seed_sql_stage, 0, NULL, NULL) < 0)
	               ? -1
	               : 0;
}

/* The documents of every tenant, each stream cut into nl contiguous slices, slice j on
 * loader j: while one loader's INSERT runs, the next slice is generated and staged on the
 * next. Returns with every loader idle; 0 or -1 (then the loaders' moves are cancelled). */
static int load_all(struct run *r, struct seed_loader *l, int nl)
{
	for (long t = 0; t < r->ntenants; t++) {
		const struct made *m = &r->made[t];
		const char *owners[3] = {m->users[0], m->users[1], m->users[2]};
		struct seed_gen g;

		seed_gen_init(&g, stream_seed(t), r->ndocs, now_us());
		for (int j = 0; j < nl; j++) {
			long n = r->ndocs / nl + (j == nl - 1 ? r->ndocs % nl : 0);

			if (n == 0)
				continue;
			if (seed_loader_wait(&l[j]) < 0 ||
			    seed_loader_start(&l[j], r->a, m->tenant, m->users[0], owners, &g, n) <
			            0)
				goto failed;
		}
	}
	for (int j = 0; j < nl; j++)
		if (seed_loader_wait(&l[j]) < 0)
			goto failed;
	return 0;
failed:
	for (int j = 0; j < nl; j++)
		seed_loader_cancel(&l[j]);
	return -1;
}

/* Deletes the run's committed tenants (their memberships, audit rows and documents go
 * with them: ON DELETE CASCADE), each in its own RLS context. It waits for any lock it
 * needs, however long: giving up would leave the tenants behind. */
static void undo_tenants(struct run *r)
{
	int ok = seed_exec(r->c, r->a, seed_sql_begin, 0, NULL, NULL) == 0 &&
	         seed_exec(r->c, r->a, seed_sql_wait_locks, 0, NULL, NULL) == 0;

	for (long t = 0; ok && t < r->ntenants; t++) {
		const char *p[2] = {r->made[t].tenant, r->made[t].users[0]};
		ok = seed_exec(r->c, r->a, seed_sql_enter, 2, p, NULL) == 0 &&
		     seed_exec(r->c, r->a, seed_sql_drop_tenant, 1, p, NULL) == 0;
	}
	if (ok && seed_exec(r->c, r->a, seed_sql_commit, 0, NULL, NULL) == 0)
		fprintf(stderr,
		        "menhir: seed: removed this run's %ld tenant(s); its users (seed-%s-*) "
		        "remain"
		        " without memberships (menhir_owner may not delete users)\n",
		        r->ntenants, r->tag);
	else
		fprintf(stderr,
		        "menhir: seed: could not remove this run's tenants (slugs seed-%s-*)\n",
		        r->tag);
}

/* The documents on r->jobs connections of their own, after the tenants were committed. */
static int load_parallel(struct run *r)
{
	struct seed_loader l[SEED_MAX_JOBS];
	int nl = 0, status = -1;

	for (; nl < r->jobs; nl++) {
		PGconn *c = PQconnectdb(r->conninfo);
		if (PQstatus(c) != CONNECTION_OK) {
			fprintf(stderr, "menhir: cannot connect to the database: %s",
			        PQerrorMessage(c));
			PQfinish(c);
			goto out;
		}
		if (seed_loader_init(&l[nl], c, r->a) < 0) {
			PQfinish(c);
			goto out;
		}
		if (begin(c, r->a, 1) < 0) {
			nl++;
			goto out;
		}
	}
	if (load_all(r, l, nl) < 0)
		goto out;
	/* Every slice is in; a commit that fails now still leaves whatever the others
	 * committed inside the run's tenants, which the undo deletes. */
	status = 0;
	for (int j = 0; j < nl; j++)
		if (seed_exec(l[j].c, r->a, seed_sql_commit, 0, NULL, NULL) < 0)
			status = -1;
out:
	for (int j = 0; j < nl; j++)
		PQfinish(l[j].c); /* rolls back whatever did not commit */
	if (status < 0)
		undo_tenants(r);
	return status;
}

/* The plan's gauges of every tenant of the run, from the committed rows (the load did not
 * count them one by one). */
static int recount(struct run *r)
{
	if (begin(r->c, r->a, 0) < 0)
		return -1;
	for (long t = 0; t < r->ntenants; t++)
		if (seed_exec(r->c, r->a, seed_sql_recount, 1,
		              (const char *const[]){r->made[t].tenant}, NULL) < 0)
			return -1;
	return seed_exec(r->c, r->a, seed_sql_commit, 0, NULL, NULL);
}

/* 18 characters from an unambiguous alphabet: ~100 bits. */
static void new_password(char out[19])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[18];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		abort();
	for (int i = 0; i < 18; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[18] = '\0';
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* --jobs when not given: one connection per core for a large run, else one. */
static int default_jobs(long total_docs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (total_docs < SEED_PARALLEL_MIN || cpus < 2)
		return 1;
	return cpus > SEED_MAX_JOBS ? SEED_MAX_JOBS : (int)cpus;
}

/* Runs the seed; the report goes to rep. 0, 1 (failed) or 2 (the demo exists: not an error). */
static int seed_run(struct run *r, const char *hash, struct mh_buf *rep)
{
	int parallel = r->jobs > 1;
	struct seed_loader main_loader;

	if (begin(r->c, r->a, !parallel) < 0 ||
	    (!parallel && seed_loader_init(&main_loader, r->c, r->a) < 0))
		return 1;
	for (long t = 0; t < r->ntenants; t++) {
		if (make_tenant(r, t, hash) < 0) {
			/* Idempotent demo: its fixed e-mails (or slug) exist, so it was made
			 * before. menhir_owner cannot look first (RLS hides users and tenants
			 * without a tenant context); the admin functions can, and say MH409.
			 * The transaction is dropped, so nothing changes. */
			if (strcmp(seed_last_sqlstate, "MH409") == 0)
				fprintf(stderr, "menhir: seed: %s\n",
				        r->demo ? "the demo tenant exists already"
				                : "a user or tenant exists already");
			return r->demo && strcmp(seed_last_sqlstate, "MH409") == 0 ? 2 : 1;
		}
	}
	if (!parallel && load_all(r, &main_loader, 1) < 0)
		return 1;
	if (seed_exec(r->c, r->a, seed_sql_commit, 0, NULL, NULL) < 0 ||
	    (parallel && load_parallel(r) < 0) || recount(r) < 0)
		return 1;
	/* Printed only now: nothing is announced that does not exist. */
	for (long t = 0; t < r->ntenants; t++) {
		const struct made *m = &r->made[t];
		mh_buf_printf(rep, "tenant %s %s\n", m->tenant, m->slug);
		for (int i = 0; i < 4; i++)
			mh_buf_printf(rep, "user %s %s %s %s\n", m->tenant, roles[i],
			              email(r, t, i), m->users[i]);
		mh_buf_printf(rep, "documents %s %ld\n", m->tenant, r->ndocs);
	}
	return rep->failed ? 1 : 0;
}

int seed_admin_command(const struct mh_config *cfg, int argc, char **argv)
{
	long ntenants = 1, ndocs = -1, jobs = 0;
	int demo = 0, bad = 0, status = 1;
	char password[19], hash[MH_PASSWORD_HASH_MAX];
	unsigned char rb[3];
	struct mh_arena a;
	struct mh_buf rep;
	struct run r;

	for (int i = 0; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--tenants") == 0 && i + 1 < argc)
			bad = parse_count(argv[++i], SEED_MAX_TENANTS, &ntenants) < 0 ||
			      ntenants < 1;
		else if (strcmp(argv[i], "--docs") == 0 && i + 1 < argc)
			bad = parse_count(argv[++i], SEED_MAX_DOCS, &ndocs) < 0;
		else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
			bad = parse_count(argv[++i], SEED_MAX_JOBS, &jobs) < 0 || jobs < 1;
		else if (strcmp(argv[i], "--demo") == 0)
			demo = 1;
		else
			bad = 1;
	}
	/* The demo is undone by dropping its transaction, never by the parallel undo: its
	 * fixed e-mails would survive that and make every later --demo a no-op. */
	if (bad || (demo && (ntenants != 1 || jobs > 1)) || (!demo && ndocs < 0)) {
		fprintf(stderr, "usage: menhir admin seed --tenants N --docs M [--jobs J]\n"
		                "       menhir admin seed --demo [--docs M]\n");
		return 2;
	}
	if (ndocs < 0)
		ndocs = 300;
	if (jobs == 0)
		jobs = demo ? 1 : default_jobs(ntenants * ndocs);
	if (mh_arena_init(&a, 1 << 16) < 0)
		return 1;
	r = (struct run){.a = &a,
	                 .conninfo = cfg->migrate_database_url,
	                 .ntenants = ntenants,
	                 .ndocs = ndocs,
	                 .jobs = (int)jobs,
	                 .demo = demo};
	r.made = mh_arena_alloc(&a, sizeof(*r.made) * (size_t)ntenants);
	r.c = PQconnectdb(cfg->migrate_database_url);
	if (r.made == NULL || PQstatus(r.c) != CONNECTION_OK) {
		fprintf(stderr, "menhir: cannot connect to the database: %s", PQerrorMessage(r.c));
		goto out;
	}
	new_password(password);
	mh_password_configure(cfg->password_time_cost, cfg->password_memory_kib,
	                      cfg->password_parallelism);
	if (mh_password_hash(password, strlen(password), hash, sizeof(hash)) < 0) {
		fprintf(stderr, "menhir: cannot hash the password\n");
		goto out;
	}
	if (getrandom(rb, sizeof(rb), 0) != (ssize_t)sizeof(rb))
		goto out;
	snprintf(r.tag, sizeof(r.tag), "%02x%02x%02x", rb[0], rb[1], rb[2]);
	mh_buf_init(&rep, &a, 4096);
	mh_buf_printf(&rep, "password %s\n", password);
	status = seed_run(&r, hash, &rep);
	if (status == 0)
		fwrite(rep.data, 1, rep.len, stdout);
	else if (status == 2)
		status = 0; /* the demo exists: nothing to do */
out:
	memset(password, 0, sizeof(password));
	if (r.c != NULL)
		PQfinish(r.c);
	mh_arena_destroy(&a);
	return status;
}
