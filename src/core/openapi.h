/* openapi.h - the OpenAPI 3.1 document built from the route table (`menhir openapi`): what
 * a route or a module says about itself beyond its declared input (words, the responses it
 * gives and their schemas, examples), and the generator.
 *
 * Everything the code already knows is derived, never written twice: paths and methods,
 * path and query parameters and request bodies (core/input.h declarations), security
 * (MH_PUBLIC), x-min-role, x-internal, and the errors the framework gives on every route
 * (400, 401, 403, 404, 405, 413, 415, 429, 500, 502, 503, 504 as they apply). A route's
 * doc adds what only the module can say. doc/openapi.json is this output, checked in. */
#ifndef MH_OPENAPI_H
#define MH_OPENAPI_H

#include <stddef.h>
#include <stdio.h>

#include "core/module.h"

/* One response a route documents (its own, or in place of the framework's for a status). */
struct mh_doc_response {
	int status;
	const char *description;
	/* The body: a named schema (components/schemas/<schema>), or an error envelope whose
	 * code is one of errors ("not_found", "already_queued idempotency_key_in_use"); neither
	 * for a response without a body (204, 304). */
	const char *schema;
	const char *errors;
	/* Response headers, space-separated names from components/headers ("Location ETag");
	 * "Name=Component" documents header Name as that component. X-Request-Id is added
	 * unless a token names an X-Request-Id component or is "-". */
	const char *headers;
	const char *media; /* the body's media type; default application/json */
	/* Or the whole "content" object as JSON text (several media types, a file). */
	const char *content;
	const char *example; /* JSON text, next to the schema */
};

enum mh_doc_flags {
	MH_DOC_NOT_RATE_LIMITED = 1 << 0, /* nginx's limit_req does not cover it: no 429 */
	MH_DOC_NO_DEPENDENCY = 1 << 1,    /* needs neither PostgreSQL nor Redis: no 503 */
};

/* What a route's row points to (struct mh_route.doc). */
struct mh_route_doc {
	const char *operation_id; /* stable: clients generate function names from it */
	const char *summary;
	const char *description;
	unsigned flags;              /* enum mh_doc_flags */
	const char *tag;             /* default: the module's (struct mh_module_doc.tag) */
	const char *parameters;      /* more parameters (request headers): a JSON array */
	const char *request_body;    /* a raw body (MH_RAW_BODY): the requestBody object, JSON */
	const char *request_example; /* JSON text, next to the declared body's schema */
	const struct mh_doc_response *responses; /* ending with a zeroed entry */
};

/* What a module adds to the document (struct mh_module.doc). */
struct mh_module_doc {
	const char *tag; /* its operations' tag; default: the module's name */
	const char *description;
	/* The schemas its responses name (components/schemas), each an MH_T_OBJECT, MH_T_ENUM...
	 * declaration whose name is the component's name; NULL-terminated. */
	const struct mh_field *const *schemas;
	const char *headers;  /* components/headers entries of its own: a JSON object */
	const char *webhooks; /* the document's webhooks entries (calls it makes): a JSON object */
};

/*
 * Writes the document for the routes of mh_router (built without test routes) and the
 * modules to out, as pretty-printed JSON ending with a newline; the same bytes on every run.
 * Returns 0, or -1 with the reason in err (a malformed JSON text in a doc, a schema named
 * twice with different content, a route without a doc).
 */
int mh_openapi_write(const struct mh_module *const *modules, FILE *out, char *err, size_t errlen);

#endif
