/* apikey.h - API keys as bearer credentials: the secret's format, what a presented key
 * names before any round trip, and the batched record of each key's last use. */
#ifndef MH_APIKEY_H
#define MH_APIKEY_H

#include "core/arena.h"
#include "core/http.h"

/*
 * A key is "mhk_" followed by base64url (no padding) of 64 bytes: the tenant's id (16), the
 * key's id (16) and 256 random bits (32). The ids ride along so that the request names its
 * tenant and key without a lookup; they are not secret and grant nothing, since the
 * database finds the key by them and compares the SHA-256 of the whole string (one
 * changed character, in an id or in the secret, matches no key).
 */
#define MH_APIKEY_PREFIX "mhk_"
#define MH_APIKEY_LEN    90

struct mh_apikey_new {
	const char *id;         /* the key's id, a UUID */
	const char *secret;     /* the whole key: shown to its creator once, never stored */
	const char *hash_param; /* "\x…": the bytea parameter holding SHA-256(secret) */
	const char *last_four;  /* the secret's last four characters, for lists */
};

/* A new key for tenant_id (a canonical UUID), everything in the arena. Returns 0, or -1
 * (malformed tenant id, no randomness, out of memory). */
int mh_apikey_make(struct mh_arena *a, const char *tenant_id, struct mh_apikey_new *out);

/* 1 when a bearer credential is meant as an API key (it has the prefix), else 0. */
int mh_apikey_is_key(const char *credential);

/* Reads a presented key into p's tenant_id, api_key_id and api_key_hash (in the arena).
 * Returns 0, or -1 when it is not a well-formed key. */
int mh_apikey_parse(struct mh_arena *a, const char *credential, struct mh_principal *p);

/* A revoked key was presented on req: audits it in the key's tenant (app_key_refused, at
 * most once a minute per key), in its own transaction. Failures are logged, not returned:
 * the client is refused either way. */
void mh_apikey_audit_refused(struct mh_request *req);

/* Sets how often a worker writes the last-use times it has gathered (seconds, >= 1). */
void mh_apikey_configure(int touch_interval);

/* Remembers that key_id was used now (in this worker's memory only). */
void mh_apikey_note_use(const char *key_id);

/* Milliseconds until the gathered times are due to be written; -1 when there are none. */
int mh_apikey_flush_wait_ms(void);

/* Writes the gathered times in one statement when they are due (or at once with force),
 * using the arena for the transaction; the caller resets it afterwards. */
void mh_apikey_flush(struct mh_arena *a, int force);

#endif
