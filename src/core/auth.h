/* auth.h - request authentication: bearer access token → principal, before any handler. */
#ifndef MH_AUTH_H
#define MH_AUTH_H

#include <stddef.h>

#include "core/config.h"
#include "core/http.h"

/* Loads the keyring and applies the token and password settings; in
 * the master, at start-up and on reload. Returns 0 or -1 (err). */
int mh_auth_configure(const struct mh_config *cfg, char *err, size_t errlen);

/* The longest an access token lives (exp - iat): verification refuses longer ones and
 * revocation records outlive it. The module that issues tokens sets it from its settings
 * (at start-up and on every reload, in the master, before workers fork); until then no
 * token verifies. */
void mh_auth_set_token_lifetime(int seconds);

/*
 * For a route that is not MH_PUBLIC: verifies the bearer token, refuses a
 * revoked one, compares the token's role with the route's minimum and fills
 * req->principal. Returns 1 when the request may proceed; otherwise res holds
 * the 401 (with WWW-Authenticate), 403 or 503 and it returns 0.
 */
int mh_auth_authenticate_or_reply(struct mh_request *req, struct mh_response *res);

/*
 * After the handler, when the revocation table could not vouch for the token (Redis down)
 * and no transaction of the request checked it in PostgreSQL (a handler that never touched
 * the database): checks it now, in one round trip. Returns 0 when the response stands;
 * otherwise it has been replaced by the 401 (revoked) or 503 (no database) and it
 * returns 1.
 */
int mh_auth_settle_or_reply(struct mh_request *req, struct mh_response *res);

#endif
