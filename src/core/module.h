/* module.h - what a business module hands the framework: routes and hooks. */
#ifndef MH_MODULE_H
#define MH_MODULE_H

#include "core/config.h"
#include "core/http.h"

/*
 * A handler fills res and returns 0, including for error replies it chose;
 * a negative return means "something broke" and the dispatcher answers 500
 * (unless the handler already set a status).
 */
typedef int (*mh_handler_fn)(struct mh_request *req, struct mh_response *res);

enum mh_route_flags {
	MH_PUBLIC = 1 << 0,    /* no authentication (health, login, ...) */
	MH_TEST_ONLY = 1 << 2, /* exists only with enable_test_routes = true */
	MH_INTERNAL = 1 << 3,  /* only through nginx's internal listener (/metrics) */
	/* The body is a file upload of up to upload_limit bytes: the dispatcher leaves it in
	 * the FastCGI stream and the handler pulls it with mh_request_body_read(), so an upload
	 * never has to fit in the request arena. */
	MH_RAW_BODY = 1 << 4,
	/* A machine client's API key may call it. Default deny: a route about a person (its
	 * sessions, password, tenants, its API keys) never takes a key. */
	MH_API_KEY = 1 << 5,
	/* The handler limits a scope of its own (mh_ratelimit_check_or_reply() with a feature's
	 * name): the tenant's limit is then checked in the same Redis call instead of before
	 * the handler, so the request still costs one round trip (core/ratelimit.h). */
	MH_RATE_SCOPE = 1 << 6,
};

/* Minimum membership role; the auth layer (a later issue) enforces it. */
enum mh_role { MH_ROLE_NONE = 0, MH_ROLE_VIEWER, MH_ROLE_MEMBER, MH_ROLE_ADMIN, MH_ROLE_OWNER };

/* "viewer", "member", ... ("" for MH_ROLE_NONE); and back (MH_ROLE_NONE if unknown). */
const char *mh_role_name(enum mh_role role);
enum mh_role mh_role_parse(const char *name);
/* "owner", "admin", "member", "viewer", NULL: the words a route declares a role with. */
extern const char *const mh_role_words[];

struct mh_field;
struct mh_route_doc;
struct mh_module_doc;

/*
 * One row of a module's route table. Everything a request may carry is declared here
 * (core/input.h): the dispatcher refuses what does not fit before the handler runs, and
 * `menhir openapi` documents the same rows, with doc's words next to them.
 */
struct mh_route {
	unsigned method;
	const char *pattern; /* "/api/v1/items/:id" */
	mh_handler_fn handler;
	unsigned flags;
	enum mh_role min_role;
	const struct mh_field *params; /* the pattern's :parameters, in order; NULL: none */
	const struct mh_field *query;  /* query parameters; NULL: none accepted */
	const struct mh_field *body;   /* an application/json object body; NULL: no body */
	const struct mh_route_doc *doc; /* summary, responses... (core/openapi.h) */
};

struct mh_arena;
struct mh_job;
struct mh_job_kind;
struct mh_tx;
struct pg_result; /* libpq's PGresult */

struct mh_module {
	const char *name;
	const struct mh_route *routes; /* ends with a zeroed entry */
	/* Runs once in the master before fork (register prepared statements); returns 0 or -1
	 * to refuse to start. Settings are checked and put into use by settings->check and
	 * ->commit, which also run on every reload. May be NULL. */
	int (*init)(const struct mh_config *cfg);
	/* Background work this module runs (core/queue.h); ends with a zeroed entry. May be
	 * NULL. */
	const struct mh_job_kind *job_kinds;
	/* Called by `menhir work` for every module inside the transaction that gives a tenant's
	 * job a final status ("succeeded", "failed", "dead"), before it commits, so what a
	 * module adds (a delivery it queues) exists if and only if the status does. result_json
	 * is NULL unless succeeded. Returns 0, or -1 to roll the run back and retry it. May
	 * be NULL. */
	int (*on_job_finished)(const struct mh_job *job, const char *status,
			       const char *result_json, struct mh_tx *tx);
	/* The module's part of the OpenAPI document: its tag and the schemas its routes answer
	 * with (core/openapi.h). May be NULL. */
	const struct mh_module_doc *doc;
	/* The configuration keys this module reads and the struct that holds their values
	 * (core/config.h): loaded, checked, printed and reloaded on SIGHUP by the core. May be
	 * NULL. */
	const struct mh_settings *settings;
	/* Called by `menhir work` after a tenant job's status change committed (claimed:
	 * running; ended: succeeded, failed, dead, or queued again for a retry), with the job's
	 * row (MH_QUEUE_JOB_COLUMNS, core/queue.h) at `row` of r. Best effort, for live views:
	 * the database stays the truth. May be NULL. */
	void (*on_job_status)(const struct mh_job *job, const struct pg_result *r, int row,
	                      struct mh_arena *arena);
	/* Answers a failed transaction whose SQLSTATE this module's SQL raised, wherever the
	 * statement came from (a quota that a trigger enforces on another module's table):
	 * returns 1 having replied, 0 when the error is not this module's. mh_db_reply_error
	 * asks every module before giving its generic answers. May be NULL. */
	int (*reply_db_error)(struct mh_request *req, struct mh_response *res,
	                      const struct mh_tx *tx);
};

/* The registry: every module, NULL-terminated, in src/modules/modules.c.
 * The core reaches modules only through this table. */
extern const struct mh_module *const mh_modules[];

#endif
