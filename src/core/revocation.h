/* revocation.h - access tokens that must stop working before they expire. */
#ifndef MH_REVOCATION_H
#define MH_REVOCATION_H

#include "core/http.h"

enum mh_revocation_rc { MH_TOKEN_VALID = 0, MH_TOKEN_REVOKED = 1, MH_REVOCATION_UNKNOWN = -1 };

/*
 * Three kinds of revocation: a revoked token id, kept until the token would
 * have expired anyway; a revoked session (the refresh-token family a token's
 * sid names: logout, reuse of a rotated refresh token), kept for one
 * access-token lifetime from the revocation, which outlives every token the
 * session was issued before it; and a user's minimum token version (logout
 * everywhere, password change), kept for one access-token lifetime.
 *
 * Redis is the shared record (every machine, survives restarts). Each
 * machine keeps a copy in a table in shared memory that the master maps
 * before forking: a worker that revokes writes Redis, publishes the event and
 * updates the table at once; the master subscribes to the events of the
 * other machines and loads the whole record from Redis whenever its
 * subscription (re)starts. A check is therefore a lookup in local memory: no
 * system call, no round trip. While the master's subscription is down the
 * table may be stale, and a Redis that lost its data (mh:rv:since moved) cannot
 * vouch for tokens issued before: checks then answer MH_REVOCATION_UNKNOWN and
 * the request's transaction asks PostgreSQL instead (core/auth.c, core/db.c).
 */

/* Maps the shared table; once, in the master, before fork. Returns 0 or -1. */
int mh_revocation_init(void);

/* Access-token lifetime: how long revocation records must last. */
void mh_revocation_configure(int access_token_ttl);

/* In a worker, per request: MH_TOKEN_VALID, MH_TOKEN_REVOKED (the jti, the
 * session or the version), or MH_REVOCATION_UNKNOWN (the table cannot vouch:
 * ask PostgreSQL). issued_at is the token's iat. */
int mh_revocation_check(const char *jti, const char *sid, const char *user_id,
                        long long token_version, long long issued_at);

/* Revokes one token id until expires_at (unix seconds). Returns 0, or -1 when
 * Redis did not take it (then nothing must report success). */
int mh_revocation_revoke_token(struct mh_request *req, const char *jti, long long expires_at);

/* Every access token of session sid issued until now stops working. Returns 0,
 * or -1 when Redis did not take it. */
int mh_revocation_revoke_session(struct mh_request *req, const char *sid);

/* Every token of user_id with a version below min_version stops working.
 * Returns 0 or -1. */
int mh_revocation_set_min_version(struct mh_request *req, const char *user_id,
				  long long min_version);

/*
 * Generations: a named counter every process of every machine sees change at once, through
 * the same record and channel as revocations, for caches of data that changes elsewhere
 * (a module's cache of what PostgreSQL says). mh_revocation_generation() is name's value as
 * this machine's table holds it (0 when it holds none): a cache entry filled under another
 * value is stale. mh_revocation_bump_generation() raises it in Redis (to at least Redis's
 * clock in milliseconds, so it grows even after it expired), publishes it and updates this
 * machine's table; the record lasts ttl_seconds, which must outlive any cache entry that
 * could have been filled before the bump. Returns 0, or -1 when Redis did not take it
 * (callers then rely on their cache's own expiry). name: at most 63 bytes, no spaces.
 */
long long mh_revocation_generation(const char *name);
/* 1 while this machine's table follows Redis (its subscription is up and it is not full):
 * then a change published since is in it, and a generation that did not move means nothing
 * changed. 0 otherwise: a cache must fall back on its own expiry. */
int mh_revocation_vouches(void);
int mh_revocation_bump_generation(struct mh_request *req, const char *name, int ttl_seconds);

/* The master's side: the subscriber's socket to poll (-1 while disconnected),
 * what to do when it is readable, and a periodic call that reconnects,
 * resynchronises and drops expired entries. */
int mh_revocation_master_fd(void);
void mh_revocation_master_readable(void);
void mh_revocation_master_tick(void);
void mh_revocation_master_stop(void);

#endif
