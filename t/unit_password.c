/* unit_password.c - argon2id hashing, verification, rehash detection and the dummy verify. */
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "core/password.h"

#define PW "correct horse battery staple"

/* The cheapest cost libargon2 accepts keeps the suite fast. */
static void setup(void)
{
	mh_password_configure(1, 8, 1);
}

TestSuite(password, .init = setup, .timeout = 60);

static void hash(const char *pw, size_t len, char out[MH_PASSWORD_HASH_MAX])
{
	cr_assert_eq(mh_password_hash(pw, len, out, MH_PASSWORD_HASH_MAX), 0);
}

Test(password, hash_is_argon2id_at_the_configured_cost_and_verifies)
{
	char h[MH_PASSWORD_HASH_MAX];

	hash(PW, strlen(PW), h);
	cr_assert_eq(strncmp(h, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0, "%s", h);
	cr_assert_eq(mh_password_verify(h, PW, strlen(PW)), 1);

	mh_password_configure(2, 64, 2);
	hash(PW, strlen(PW), h);
	cr_assert_eq(strncmp(h, "$argon2id$v=19$m=64,t=2,p=2$", 28), 0, "%s", h);
	cr_assert_eq(mh_password_verify(h, PW, strlen(PW)), 1);
}

Test(password, a_wrong_password_does_not_verify)
{
	char h[MH_PASSWORD_HASH_MAX];

	hash(PW, strlen(PW), h);
	cr_assert_eq(mh_password_verify(h, "correct horse battery stapler", 29), 0);
	cr_assert_eq(mh_password_verify(h, PW, strlen(PW) - 1), 0, "a prefix verified");
	cr_assert_eq(mh_password_verify(h, "", 0), 0);
	cr_assert_eq(mh_password_verify(h, "Correct horse battery staple", strlen(PW)), 0);
	cr_assert_eq(mh_password_verify("not a hash", PW, strlen(PW)), 0);
	cr_assert_eq(mh_password_verify("", PW, strlen(PW)), 0);
	cr_assert_eq(mh_password_verify(NULL, PW, strlen(PW)), 0);
}

Test(password, bytes_after_a_nul_count)
{
	char h[MH_PASSWORD_HASH_MAX];
	const char a[] = "twelve chars\0one", b[] = "twelve chars\0two";

	hash(a, sizeof(a) - 1, h);
	cr_assert_eq(mh_password_verify(h, a, sizeof(a) - 1), 1);
	cr_assert_eq(mh_password_verify(h, b, sizeof(b) - 1), 0);
}

Test(password, the_same_password_gets_a_fresh_salt_every_time)
{
	char h1[MH_PASSWORD_HASH_MAX], h2[MH_PASSWORD_HASH_MAX];
	const char *s1, *s2;

	hash(PW, strlen(PW), h1);
	hash(PW, strlen(PW), h2);
	cr_assert_str_neq(h1, h2);
	/* "$argon2id$v=19$m=8,t=1,p=1$<salt>$<hash>": the salts themselves differ
	 * and are 16 bytes (22 base64 characters). */
	s1 = strchr(h1 + 27, '$');
	s2 = strchr(h2 + 27, '$');
	cr_assert_eq(s1 - (h1 + 27), 22);
	cr_assert_neq(strncmp(h1 + 27, h2 + 27, 22), 0);
	/* And the hash is 32 bytes (43 base64 characters). */
	cr_assert_eq(strlen(s1 + 1), 43);
	cr_assert_eq(strlen(s2 + 1), 43);
	cr_assert_eq(mh_password_verify(h1, PW, strlen(PW)), 1);
	cr_assert_eq(mh_password_verify(h2, PW, strlen(PW)), 1);
}

Test(password, longer_than_the_maximum_is_refused)
{
	static char pw[MH_PASSWORD_MAX_LENGTH + 1];
	char h[MH_PASSWORD_HASH_MAX];

	memset(pw, 'a', sizeof(pw));
	hash(pw, MH_PASSWORD_MAX_LENGTH, h);
	cr_assert_eq(mh_password_verify(h, pw, MH_PASSWORD_MAX_LENGTH), 1);
	cr_assert_eq(mh_password_hash(pw, MH_PASSWORD_MAX_LENGTH + 1, h, sizeof(h)), -1);
	cr_assert_eq(mh_password_verify(h, pw, MH_PASSWORD_MAX_LENGTH + 1), 0);
	cr_assert_eq(mh_password_hash(PW, strlen(PW), h, 40), -1, "must not truncate the hash");
}

Test(password, needs_rehash_after_the_cost_is_raised)
{
	char h[MH_PASSWORD_HASH_MAX];

	hash(PW, strlen(PW), h);
	cr_assert_eq(mh_password_needs_rehash(h), 0);
	mh_password_configure(2, 8, 1);
	cr_assert_eq(mh_password_needs_rehash(h), 1, "time cost raised");
	mh_password_configure(1, 16, 1);
	cr_assert_eq(mh_password_needs_rehash(h), 1, "memory raised");
	hash(PW, strlen(PW), h);
	mh_password_configure(1, 16, 2);
	cr_assert_eq(mh_password_needs_rehash(h), 1, "lanes raised");
	/* A lower configured cost does not downgrade existing hashes. */
	hash(PW, strlen(PW), h);
	mh_password_configure(1, 8, 1);
	cr_assert_eq(mh_password_needs_rehash(h), 0);
	/* What cannot be read is rehashed on the next successful login. */
	cr_assert_eq(mh_password_needs_rehash("$argon2i$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA"), 1);
	cr_assert_eq(mh_password_needs_rehash("$argon2id$v=16$m=65536,t=3,p=1$c2FsdA$aGFzaA"), 1);
	cr_assert_eq(mh_password_needs_rehash("$2b$12$abcdefghijklmnopqrstuv"), 1);
	cr_assert_eq(mh_password_needs_rehash("$argon2id$v=19$m=x,t=3,p=1$c2FsdA$aGFzaA"), 1);
	cr_assert_eq(mh_password_needs_rehash(NULL), 1);
}

Test(password, dummy_verify_returns_0_for_any_password)
{
	cr_assert_eq(mh_password_verify_dummy(PW, strlen(PW)), 0);
	cr_assert_eq(mh_password_verify_dummy("", 0), 0);
	cr_assert_eq(mh_password_verify_dummy("menhir dummy password, never a real one", 39), 0);
}

/* The thread's CPU time, not the wall clock: argon2 with one lane is pure CPU work, and on a
 * shared machine the wall clock mostly measures how long other processes held the core. */
static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of three, to keep cache and frequency noise out of the comparison. */
static double best_of_3(const char *encoded)
{
	double best = 1e9;

	for (int i = 0; i < 3; i++) {
		double t0 = seconds(), t;

		if (encoded != NULL)
			mh_password_verify(encoded, PW, strlen(PW));
		else
			mh_password_verify_dummy(PW, strlen(PW));
		t = seconds() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

Test(password, dummy_verify_costs_what_a_real_verify_costs)
{
	char h[MH_PASSWORD_HASH_MAX];
	double real, dummy;

	/* Enough memory that the work dominates the timing. */
	mh_password_configure(2, 16384, 1);
	hash(PW, strlen(PW), h);
	mh_password_verify_dummy(PW, strlen(PW)); /* computes the dummy hash once */
	real = best_of_3(h);
	dummy = best_of_3(NULL);
	cr_assert(dummy > real * 0.5 && dummy < real * 2, "dummy %.4fs vs real %.4fs", dummy, real);

	/* It follows a cost change, so it never becomes the cheap path. */
	mh_password_configure(2, 65536, 1);
	hash(PW, strlen(PW), h);
	mh_password_verify_dummy(PW, strlen(PW));
	real = best_of_3(h);
	dummy = best_of_3(NULL);
	cr_assert(dummy > real * 0.5 && dummy < real * 2, "dummy %.4fs vs real %.4fs", dummy, real);
}
