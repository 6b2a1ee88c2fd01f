/* openapi_base.h - the framework's part of the OpenAPI document: what every route shares. */
#ifndef MH_OPENAPI_BASE_H
#define MH_OPENAPI_BASE_H

/* JSON texts: the info object, the servers list, components/securitySchemes, the schemas of
 * the error envelope, the responses every route can give, and the shared headers. */
extern const char mh_openapi_base_info[];
extern const char mh_openapi_base_servers[];
extern const char mh_openapi_base_security[];
extern const char mh_openapi_base_schemas[];
extern const char mh_openapi_base_responses[];
extern const char mh_openapi_base_headers[];

#endif
