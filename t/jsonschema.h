/* jsonschema.h - a small JSON Schema (2020-12 subset) checker, and the API
 * contract (doc/openapi.json) as something the integration suites can check
 * their responses against.
 *
 * Supported keywords: $ref (to "#/..." in the same document), type (a name
 * or an array of names; "integer" accepts integral numbers), enum, const,
 * properties, required, additionalProperties (false or a schema), items,
 * minItems, maxItems, minLength, maxLength (code points), pattern (POSIX
 * extended regex), minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * allOf, anyOf, oneOf, not, and boolean schemas. Annotations (description,
 * example(s), title, format, default, deprecated, x-*...) are ignored. Any
 * other keyword is reported as unsupported rather than silently skipped, so
 * a spec that outgrows this checker fails loudly. */
#ifndef MH_T_JSONSCHEMA_H
#define MH_T_JSONSCHEMA_H

#include <stddef.h>

#include <json-c/json.h>

/* Validates instance against schema; $refs resolve in root. Returns 0 when
 * valid, -1 otherwise with a message naming the failing location ("$.a[2]")
 * in err. */
int js_validate(json_object *root, json_object *schema, json_object *instance, char *err,
                size_t errlen);

/* The value a local reference ("#/components/schemas/Error", JSON pointer
 * escapes ~0 ~1 honoured) names in root, or NULL. */
json_object *js_resolve_ref(json_object *root, const char *ref);

/* The API contract: doc/openapi.json, parsed once. Found at
 * $MENHIR_TEST_OPENAPI, else next to MENHIR_TEST_SCHEMA_DIR (../doc/), else
 * doc/openapi.json relative to the working directory (make check runs in the
 * top directory). Returns NULL (and says why on stderr) when unreadable. */
json_object *t_contract_spec(void);
const char *t_contract_spec_path(void);

/* The response object the spec documents for this operation and status
 * ("default" and "4XX"-style ranges honoured, $ref resolved), or NULL with a
 * reason in err. pattern is the route pattern as the router prints it
 * ("/api/v1/documents/:id"). */
json_object *t_contract_response(json_object *spec, const char *method, const char *pattern,
                                 long status, char *err, size_t errlen);

/* Validates a JSON response body against what the spec documents for
 * (method, pattern, status) under application/json. Returns 0 when it
 * conforms, -1 with the reason in err. */
int t_contract_validate(const char *method, const char *pattern, long status, const char *body,
                        char *err, size_t errlen);

/* The same for any documented media type, plus the headers: content_type
 * must be one the response documents (parameters compared too when the spec
 * lists them); headers (a raw CRLF-separated block, may be NULL to skip)
 * must hold every header the spec marks required, each matching its schema.
 * JSON media types are parsed and validated; a text media type whose schema
 * is a string is validated as one string. */
int t_contract_validate_ex(const char *method, const char *pattern, long status,
                           const char *content_type, const char *headers, const char *body,
                           char *err, size_t errlen);

/* The checks of t_contract_validate_ex against one response object (as
 * t_contract_response returns, or "#/components/responses/NotFound" for the
 * answers that belong to no route). */
int t_contract_check_response(json_object *root, json_object *resp, const char *content_type,
                              const char *headers, const char *body, char *err, size_t errlen);

#endif
