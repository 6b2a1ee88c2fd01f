/* input.h - what a route declares about its input (path parameters, query parameters, the
 * JSON body) and the checked values its handler reads.
 *
 * Declarations are static const data, like kcgi's struct kvalid and lwan's json_obj_descr:
 * one struct mh_field per parameter or member, each list ending with a zeroed entry. The
 * dispatcher checks every request against its route's declarations before the handler runs
 * and answers one 400 validation_failed naming every problem by its path ("limit",
 * "parameters.k", "tags[3]"); unknown parameters, repeated ones and unknown body members are
 * problems on every route. A path parameter that does not fit its declaration names nothing:
 * 404. `menhir openapi` documents the same declarations, so the contract cannot drift. */
#ifndef MH_INPUT_H
#define MH_INPUT_H

#include <stddef.h>

#include "core/http.h"

struct json_object;

enum mh_type {
	MH_T_END = 0,   /* the zeroed entry that ends a list */
	MH_T_STRING,    /* text of .min to .max characters (max 0: unbounded), no control chars */
	MH_T_INTEGER,   /* from .min to .max (max 0 with min 0: unbounded, responses only) */
	MH_T_BOOLEAN,   /* true or false (in a query: the words) */
	MH_T_ENUM,      /* one of .values; handlers read the index and the name */
	MH_T_UUID,      /* canonical UUID, lower-cased for the handler */
	MH_T_SLUG,      /* a-z, 0-9 and inner dashes, 1 to 63 characters */
	MH_T_EMAIL,     /* an e-mail address, lower-cased for the handler */
	MH_T_TIMESTAMP, /* RFC 3339 date-time */
	MH_T_URL,       /* an absolute https URL of at most .max characters */
	MH_T_CURSOR,    /* an opaque list cursor: base64url of at most .max characters */
	MH_T_OBJECT,    /* JSON only: members .fields, between .min and .max of them */
	MH_T_ARRAY,     /* JSON only: elements .items, between .min and .max of them */
};

enum mh_field_flags {
	MH_REQUIRED = 1 << 0,   /* absent is a problem */
	MH_REPEATABLE = 1 << 1, /* query: may be given more than once (else a problem) */
	MH_NULLABLE = 1 << 2,   /* JSON: null is a value (present and is_null) */
	MH_DEFAULT = 1 << 3,    /* absent: .def is the value (integers, booleans, enum index) */
	MH_UNIQUE = 1 << 4,     /* arrays of strings: no element twice */
	MH_BYTES = 1 << 5,      /* strings: .min and .max count bytes, not characters */
	MH_OPEN = 1 << 6,       /* objects: members beyond .fields are allowed (free-form) */
	MH_LOWER = 1 << 7,      /* strings: the handler reads a lower-cased copy */
	MH_RAW_TEXT = 1 << 8,   /* strings: control characters allowed (long free text) */
};

struct mh_check;

/* One parameter, member, array element or documented schema. */
struct mh_field {
	const char *name; /* parameter or member name; a named schema's component name */
	enum mh_type type;
	unsigned flags;
	long long min, max;
	long long def;
	const char *const *values;     /* MH_T_ENUM: the accepted words, NULL-terminated */
	const struct mh_field *fields; /* MH_T_OBJECT: its members, ending with a zeroed entry */
	const struct mh_field *items;  /* MH_T_ARRAY: what each element is */
	/* A rule of the module's after the declared ones (strings): NULL or the message
	 * (static, or in a: the request arena). */
	const char *(*check)(struct mh_arena *a, const char *value);
	/* A rule over a whole object (MH_T_OBJECT), run after its members' own checks so that
	 * one answer lists every problem: it sees the object even when a member failed, so it
	 * looks only at what it needs and checks its type. Reports with mh_check_add(). */
	void (*check_object)(struct mh_check *c, struct json_object *obj);
	/* A path parameter that does not fit: the 404 message ("no such tenant"). */
	const char *not_found;
	/* ---- documentation only (menhir openapi) ---- */
	const char *description;
	const char *ref;     /* documented as components/schemas/<ref> */
	const char *pattern; /* a regular expression the value matches (responses) */
	const char *example; /* JSON text */
	const char *schema;  /* JSON Schema text documented instead of the generated schema */
};

/* A checked value. Absent optional parameters are !present (with .i = .def under
 * MH_DEFAULT). */
struct mh_value {
	int present;
	int is_null;   /* JSON null under MH_NULLABLE */
	const char *s; /* the text: strings, UUIDs and e-mails (lower-cased), enum names */
	long long i;   /* integers, booleans (0 or 1), enum indexes */
	struct json_object *json;    /* JSON members as parsed (objects and arrays included) */
	size_t n;                    /* MH_REPEATABLE: how many times it was given */
	const struct mh_value *each; /* MH_REPEATABLE: all n values in order (each[0] is this) */
};

/*
 * The values of the request's route, in declaration order: path parameters, query
 * parameters, the body's top-level members. An index past the declaration gives an absent
 * value, never a crash.
 */
const struct mh_value *mh_in_path(const struct mh_request *req, size_t i);
const struct mh_value *mh_in_query(const struct mh_request *req, size_t i);
const struct mh_value *mh_in_body(const struct mh_request *req, size_t i);

/* What the router works out once per route at start-up, so that a request only checks. */
struct mh_input_plan {
	unsigned char npath, nquery, nbody;
};

/*
 * Checks r's declarations (path parameters named and ordered as in the pattern, bounded
 * strings, enum lists, bounded integers, object members and array elements described, no
 * name twice) and counts them into plan. Returns 0, or -1 with the reason in err. Called by
 * the router's build, so a malformed declaration refuses to start.
 */
int mh_input_plan(const struct mh_route *r, struct mh_input_plan *plan, char *err, size_t errlen);

/*
 * Checks the routed request (req->params, req->query, req->json) against its route's
 * declarations and fills the values mh_in_*() read. Returns 1 when the handler may run; 0
 * having answered 404 (a path parameter that does not fit) or 400 validation_failed with one
 * detail per problem; -1 when the arena is exhausted. Allocates only from the request arena:
 * the values, and the details and their paths when there are problems.
 */
int mh_input_check_or_reply(struct mh_request *req, struct mh_response *res,
                            const struct mh_input_plan *plan);

/*
 * Checks a JSON value against one declaration, outside any request (the fuzz target, unit
 * tests): problems go into details[0..max), their number into *n (more are counted but not
 * stored). Returns the number of problems.
 */
size_t mh_input_check_json(struct mh_arena *a, const struct mh_field *f, struct json_object *v,
                           struct mh_error_detail *details, size_t max, size_t *n);

/* ---- Module rules (check_object) ------------------------------------------------------ */

/* Adds a problem at field, relative to the object being checked ("k" inside "parameters"
 * becomes "parameters.k"; a member named "" is written ""), or at the object itself when field
 * is NULL ("$" for the whole body); message must outlive the request (static or arena). */
void mh_check_add(struct mh_check *c, const char *field, const char *message);
/* The request arena, for messages and copies. */
struct mh_arena *mh_check_arena(struct mh_check *c);

/* The message of every 400 validation_failed about declared input (the details say what). */
#define MH_INPUT_INVALID "invalid input; details names each problem"

/* ---- Rules a handler checks itself -------------------------------------------------- */

/* 400 validation_failed naming one field, for what only the handler can judge (a cursor
 * made under other filters). Returns 0 (answered). */
int mh_reply_invalid(struct mh_request *req, struct mh_response *res, const char *field,
                     const char *message);

#endif
