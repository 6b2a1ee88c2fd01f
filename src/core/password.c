/* password.c - argon2id password hashes (libargon2) with a cost the operator tunes. */
#include "core/password.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/rand.h>

#define SALT_LEN 16
#define HASH_LEN 32

/* OWASP's argon2id baseline; the same defaults as the configuration. */
static struct {
	uint32_t t, m, p;
} cost = { 3, 65536, 1 };

/* A real hash at the cost it was made with, so verify_dummy does the work of
 * a real login (memory fill included) and follows a cost change. */
static struct {
	char encoded[MH_PASSWORD_HASH_MAX];
	uint32_t t, m, p;
} dummy;

static int hash_with(uint32_t t, uint32_t m, uint32_t p, const char *pw, size_t pwlen, char *out,
		     size_t outlen);
static int parse_params(const char *encoded, uint32_t *m, uint32_t *t, uint32_t *p);

void mh_password_configure(int time_cost, int memory_kib, int parallelism)
{
	cost.t = time_cost < (int)ARGON2_MIN_TIME ? ARGON2_MIN_TIME : (uint32_t)time_cost;
	cost.p = parallelism < 1 ? 1 : (uint32_t)parallelism;
	/* libargon2 wants at least 8 KiB per lane. */
	cost.m = memory_kib < 0 || (uint32_t)memory_kib < 8 * cost.p ? 8 * cost.p
								      : (uint32_t)memory_kib;
}

static int hash_with(uint32_t t, uint32_t m, uint32_t p, const char *pw, size_t pwlen, char *out,
		     size_t outlen)
{
	unsigned char salt[SALT_LEN];

	if (pwlen > MH_PASSWORD_MAX_LENGTH || (pw == NULL && pwlen > 0) ||
	    outlen < argon2_encodedlen(t, m, p, SALT_LEN, HASH_LEN, Argon2_id) ||
	    RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	return argon2id_hash_encoded(t, m, p, pw != NULL ? pw : "", pwlen, salt, sizeof(salt),
				     HASH_LEN, out, outlen) == ARGON2_OK
		       ? 0
		       : -1;
}

int mh_password_hash(const char *pw, size_t pwlen, char *out, size_t outlen)
{
	return hash_with(cost.t, cost.m, cost.p, pw, pwlen, out, outlen);
}

/* libargon2 compares the recomputed hash in constant time (argon2_compare). */
int mh_password_verify(const char *encoded, const char *pw, size_t pwlen)
{
	if (encoded == NULL || pwlen > MH_PASSWORD_MAX_LENGTH || (pw == NULL && pwlen > 0))
		return 0;
	return argon2id_verify(encoded, pw != NULL ? pw : "", pwlen) == ARGON2_OK;
}

int mh_password_verify_dummy(const char *pw, size_t pwlen)
{
	static const char secret[] = "menhir dummy password, never a real one";

	if (dummy.encoded[0] == '\0' || dummy.t != cost.t || dummy.m != cost.m ||
	    dummy.p != cost.p) {
		if (hash_with(cost.t, cost.m, cost.p, secret, sizeof(secret) - 1, dummy.encoded,
			      sizeof(dummy.encoded)) < 0) {
			dummy.encoded[0] = '\0';
			return 0;
		}
		dummy.t = cost.t;
		dummy.m = cost.m;
		dummy.p = cost.p;
	}
	(void)mh_password_verify(dummy.encoded, pw, pwlen);
	return 0;
}

/* "$argon2id$v=19$m=65536,t=3,p=1$salt$hash" */
static int parse_params(const char *encoded, uint32_t *m, uint32_t *t, uint32_t *p)
{
	unsigned long v[3];
	int used = 0;

	if (strncmp(encoded, "$argon2id$v=19$", 15) != 0 ||
	    sscanf(encoded + 15, "m=%lu,t=%lu,p=%lu%n", &v[0], &v[1], &v[2], &used) != 3 ||
	    encoded[15 + used] != '$' || v[0] > UINT32_MAX || v[1] > UINT32_MAX ||
	    v[2] > UINT32_MAX)
		return -1;
	*m = (uint32_t)v[0];
	*t = (uint32_t)v[1];
	*p = (uint32_t)v[2];
	return 0;
}

int mh_password_needs_rehash(const char *encoded)
{
	uint32_t m, t, p;

	/* Anything we cannot read (another algorithm, an older argon2 version)
	 * is rehashed too: the next successful login upgrades it. */
	if (encoded == NULL || parse_params(encoded, &m, &t, &p) < 0)
		return 1;
	return m < cost.m || t < cost.t || p < cost.p;
}

const char *mh_password_check(struct mh_arena *a, const char *pw)
{
	long n = 0;

	(void)a;
	if (strlen(pw) > MH_PASSWORD_MAX_LENGTH)
		return "must be at most 1024 bytes";
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	if (n < MH_PASSWORD_MIN_LENGTH)
		return "must be at least 12 characters";
	return NULL;
}
