/* internal.h - what the auth module's files share; nothing outside src/modules/auth/ includes it. */
#ifndef MH_MODULES_AUTH_INTERNAL_H
#define MH_MODULES_AUTH_INTERNAL_H

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"

/* The module's configuration keys (routes.c declares them; the core loads them and hands
 * them over at start-up and on every reload, before workers fork). */
struct auth_settings {
	int access_token_ttl;    /* seconds */
	int refresh_token_ttl;   /* seconds */
	int refresh_reuse_grace; /* seconds a just-rotated refresh token still works */
	int login_max_failures;  /* per account; per IP it is AUTH_IP_FAILURE_FACTOR times this */
	int login_lockout;       /* seconds */
	int cookie_secure;
	char allowed_origins[1024]; /* space-separated, for cookie-authenticated routes */
};

/* An address is shared by many people (NAT, offices): it gets a larger budget than one
 * account before it is locked out. */
#define AUTH_IP_FAILURE_FACTOR 10

#define AUTH_COOKIE_NAME "mh_refresh"
#define AUTH_COOKIE_PATH "/api/v1/auth"

extern struct auth_settings auth_settings;
/* settings.c: the keys and the struct above, for the module's registration. */
extern const struct mh_settings auth_config;

/* repo.c: the module's prepared statements. */
extern const struct mh_db_statement auth_statements[];

/* service.c: the flows, each answering the client itself. */
int auth_signup(struct mh_request *req, struct mh_response *res, const char *email,
		const char *password, const char *name, const char *tenant_name);
int auth_login(struct mh_request *req, struct mh_response *res, const char *email,
	       const char *password, const char *tenant);
int auth_refresh(struct mh_request *req, struct mh_response *res);
int auth_logout(struct mh_request *req, struct mh_response *res);
int auth_logout_all(struct mh_request *req, struct mh_response *res);
int auth_switch_tenant(struct mh_request *req, struct mh_response *res, const char *tenant_id);

/* validate.c */
/* Lower-case hex SHA-256 of s, in the arena. */
char *auth_sha256_hex(struct mh_arena *a, const char *s, size_t len);

#endif
