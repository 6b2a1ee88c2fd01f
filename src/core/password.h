/* password.h - argon2id password hashing with a tunable cost. */
#ifndef MH_PASSWORD_H
#define MH_PASSWORD_H

#include <stddef.h>

#define MH_PASSWORD_MIN_LENGTH 12
#define MH_PASSWORD_MAX_LENGTH 1024
#define MH_PASSWORD_HASH_MAX 256

struct mh_arena;

/* The password rule: at least MH_PASSWORD_MIN_LENGTH characters, at most
 * MH_PASSWORD_MAX_LENGTH bytes. NULL when pw keeps it, else the message for the client.
 * (The arena is unused: this is the shape of a declared field's check, core/input.h.) */
const char *mh_password_check(struct mh_arena *a, const char *pw);

/* Sets the argon2id cost (time cost, memory in KiB, lanes) for new hashes. */
void mh_password_configure(int time_cost, int memory_kib, int parallelism);

/* Hashes pw with a fresh 16-byte salt into out (PHC string "$argon2id$v=19$..."). Returns 0 or -1. */
int mh_password_hash(const char *pw, size_t pwlen, char *out, size_t outlen);

/* 1 when pw matches the encoded hash (constant-time compare), 0 otherwise. */
int mh_password_verify(const char *encoded, const char *pw, size_t pwlen);

/* Does the work of one verification against a dummy hash of the current
 * cost and returns 0, so an unknown account costs what a known one does. */
int mh_password_verify_dummy(const char *pw, size_t pwlen);

/* 1 when encoded was made with a lower cost than configured (rehash on login). */
int mh_password_needs_rehash(const char *encoded);

#endif
