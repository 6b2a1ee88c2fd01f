/* keys.h - RS256 signing keys on disk (generate, list, rotate) and the
 * in-memory keyring every worker verifies tokens with. */
#ifndef MH_KEYS_H
#define MH_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"

/*
 * On disk, in keys_dir (mode 0700): for each key id KID (a sortable
 * timestamp-based id, e.g. "20261124T101530Z-3f9a"), KID.key.pem (private,
 * mode 0600) and KID.pub.pem; a file named "active" holds the KID new tokens
 * are signed with. Old keys stay on disk, and keep verifying, until pruned.
 */

/* Creates a new RSA-3072 key pair (dir is created 0700 if missing). The first
 * key of a directory without an "active" file also becomes active; otherwise
 * the active key is unchanged. Returns 0 and the new kid, or -1 (err). */
int mh_keys_generate(const char *dir, char *kid, size_t kidlen, char *err, size_t errlen);

/* Generates a key and makes it the active one. Returns 0 or -1 (err). */
int mh_keys_rotate(const char *dir, char *kid, size_t kidlen, char *err, size_t errlen);

/* Prints one line per key: kid, created time, "active" marker. Returns 0 or -1. */
int mh_keys_list(const char *dir, FILE *out, char *err, size_t errlen);

/*
 * Loads every public key of dir (parsed once: no PEM parsing per request) and
 * the active private key. Refuses a private key file readable or writable by
 * group or others, a missing "active" key, or an empty directory. Replaces the
 * process's keyring; call in the master before fork and again on reload.
 */
int mh_keyring_load(const char *dir, char *err, size_t errlen);
void mh_keyring_free(void);

/* The active kid and its private key PEM (for signing), or NULL. */
const char *mh_keyring_active_kid(void);
const char *mh_keyring_active_private_pem(size_t *len);

/* The public key for kid as an OpenSSL EVP_PKEY*, or NULL when unknown. */
void *mh_keyring_public_key(const char *kid);

/* Appends the JWK Set {"keys":[{"kty":"RSA","kid","use":"sig","alg":"RS256","n","e"}]}. */
void mh_keyring_jwks(struct mh_buf *b);

#endif
