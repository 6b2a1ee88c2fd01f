/* unit_jwt.c - access tokens: the issue/verify round trip and every forgery verify must refuse. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/jwt.h"
#include "core/keys.h"

#define ISS "menhir-test"
#define AUD "menhir-api-test"
#define SUB "6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d"
#define TID "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define JTI "11111111-2222-4333-8444-555555555555"
#define SID "22222222-3333-4444-8555-666666666666"
/* The access-token lifetime the verifier is configured with. */
#define TTL 900

/*
 * RSA-3072 generation takes a while, so the keys are made once per run (in
 * the runner, before the tests' processes start) and found through the
 * environment: "ring" holds key A (active), "other" a key C that the ring
 * does not know.
 */
#define ENV_DIR "MENHIR_UNIT_JWT_KEYS"

static char err[1024];
static char ring_kid[64], other_kid[64];
static long long now;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	static char base[] = "/tmp/menhir-jwt-XXXXXX";
	char d[600], kid[64];

	if (mkdtemp(base) == NULL)
		abort();
	snprintf(d, sizeof(d), "%s/ring", base);
	if (mh_keys_generate(d, kid, sizeof(kid), err, sizeof(err)) < 0)
		abort();
	snprintf(d, sizeof(d), "%s/other", base);
	if (mh_keys_generate(d, kid, sizeof(kid), err, sizeof(err)) < 0)
		abort();
	setenv(ENV_DIR, base, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const char *base = getenv(ENV_DIR);

	if (base != NULL)
		nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void load(const char *which)
{
	char d[600];

	snprintf(d, sizeof(d), "%s/%s", getenv(ENV_DIR), which);
	cr_assert_eq(mh_keyring_load(d, err, sizeof(err)), 0, "%s", err);
}

static void setup(void)
{
	cr_assert_not_null(getenv(ENV_DIR), "the PRE_ALL hook did not run");
	load("other");
	snprintf(other_kid, sizeof(other_kid), "%s", mh_keyring_active_kid());
	load("ring");
	snprintf(ring_kid, sizeof(ring_kid), "%s", mh_keyring_active_kid());
	mh_jwt_configure(ISS, AUD, 0, TTL);
	now = (long long)time(NULL);
}

static void teardown(void)
{
	mh_keyring_free();
}

TestSuite(jwt, .init = setup, .fini = teardown, .timeout = 60);

/* ---- building tokens by hand, so each test breaks exactly one rule ---- */

static char *b64url(const void *data, size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = data;
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		*o++ = alpha[v >> 18 & 63];
		*o++ = alpha[v >> 12 & 63];
		*o++ = alpha[v >> 6 & 63];
		*o++ = alpha[v & 63];
	}
	if (len - i == 1) {
		*o++ = alpha[in[i] >> 2];
		*o++ = alpha[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 8 | in[i + 1];

		*o++ = alpha[v >> 10 & 63];
		*o++ = alpha[v >> 4 & 63];
		*o++ = alpha[(v & 15) << 2];
	}
	*o = '\0';
	return out;
}

static EVP_PKEY *private_key_of(const char *which)
{
	size_t len;
	const char *pem;
	BIO *bio;
	EVP_PKEY *pkey;

	load(which);
	pem = mh_keyring_active_private_pem(&len);
	bio = BIO_new_mem_buf(pem, (int)len);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	cr_assert_not_null(pkey);
	load("ring");
	return pkey;
}

/* "<b64 header>.<b64 payload>" signed RS256 with key (none when NULL); the
 * encoded parts are used as given, so a test can also pass odd encodings. */
static char *sign_parts(const char *h64, const char *p64, EVP_PKEY *key)
{
	size_t len = strlen(h64) + strlen(p64) + 1;
	char *input = malloc(len + 1), *sig64 = NULL, *token;
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);

	snprintf(input, len + 1, "%s.%s", h64, p64);
	if (key != NULL) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		cr_assert_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
		cr_assert_eq(EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, len), 1);
		EVP_MD_CTX_free(md);
		sig64 = b64url(sig, siglen);
	}
	token = malloc(len + 2 + (sig64 ? strlen(sig64) : 0));
	sprintf(token, "%s.%s", input, sig64 ? sig64 : "");
	free(input);
	free(sig64);
	return token;
}

static char *sign_json(const char *header, const char *payload, EVP_PKEY *key)
{
	char *h64 = b64url(header, strlen(header)), *p64 = b64url(payload, strlen(payload));
	char *token = sign_parts(h64, p64, key);

	free(h64);
	free(p64);
	return token;
}

static void header(char *out, size_t len, const char *alg, const char *kid)
{
	snprintf(out, len, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
}

/*
 * A valid payload in which claim `name` is replaced by the JSON value
 * `value`, dropped when value is NULL, or appended when it is not a standard
 * claim.
 */
static void payload(char *out, size_t len, const char *name, const char *value)
{
	char std[11][64];
	const char *names[11] = { "iss", "aud", "sub", "tid", "role", "jti",
				  "sid", "ver", "iat", "nbf", "exp" };
	size_t off;
	int found = 0;

	snprintf(std[0], 64, "\"%s\"", ISS);
	snprintf(std[1], 64, "\"%s\"", AUD);
	snprintf(std[2], 64, "\"%s\"", SUB);
	snprintf(std[3], 64, "\"%s\"", TID);
	snprintf(std[4], 64, "\"member\"");
	snprintf(std[5], 64, "\"%s\"", JTI);
	snprintf(std[6], 64, "\"%s\"", SID);
	snprintf(std[7], 64, "3");
	snprintf(std[8], 64, "%lld", now);
	snprintf(std[9], 64, "%lld", now);
	snprintf(std[10], 64, "%lld", now + 900);
	off = (size_t)snprintf(out, len, "{");
	for (int i = 0; i < 11; i++) {
		const char *v = std[i];

		if (name != NULL && strcmp(name, names[i]) == 0) {
			found = 1;
			if (value == NULL)
				continue;
			v = value;
		}
		off += (size_t)snprintf(out + off, len - off, "%s\"%s\":%s", off > 1 ? "," : "",
					names[i], v);
	}
	if (name != NULL && !found)
		off += (size_t)snprintf(out + off, len - off, ",\"%s\":%s", name, value);
	cr_assert(off + 2 < len);
	snprintf(out + off, len - off, "}");
}

/* A correctly RS256-signed token by the ring's active key with one claim changed. */
static char *signed_with_claim(const char *name, const char *value)
{
	char h[256], p[16384];
	EVP_PKEY *key = private_key_of("ring");
	char *token;

	header(h, sizeof(h), "RS256", ring_kid);
	payload(p, sizeof(p), name, value);
	token = sign_json(h, p, key);
	EVP_PKEY_free(key);
	return token;
}

static int verify_at(const char *token, long long at, struct mh_token_claims *c, const char **why)
{
	struct mh_token_claims scratch;

	*why = NULL;
	return mh_jwt_verify(token, strlen(token), at, c ? c : &scratch, why);
}

static void assert_rejected(const char *token, const char *what)
{
	const char *why;

	cr_assert_eq(verify_at(token, now, NULL, &why), -1, "accepted: %s", what);
	cr_assert_not_null(why, "no reason for %s", what);
}

static void assert_accepted(const char *token, const char *what)
{
	const char *why;

	cr_assert_eq(verify_at(token, now, NULL, &why), 0, "%s rejected: %s", what, why);
}

static char *issue(long long at, int ttl)
{
	struct mh_token_claims c = { .ver = 3 };
	char *out = malloc(4096);

	strcpy(c.sub, SUB);
	strcpy(c.tid, TID);
	strcpy(c.sid, SID);
	strcpy(c.role, "admin");
	cr_assert_eq(mh_jwt_issue(&c, at, ttl, out, 4096), 0);
	return out;
}

/* ---- the good path ---- */

Test(jwt, issue_then_verify_round_trips_every_claim)
{
	struct mh_token_claims c = { .ver = 7 }, v;
	char token[4096];
	const char *why;

	strcpy(c.sub, SUB);
	strcpy(c.tid, TID);
	strcpy(c.sid, SID);
	strcpy(c.role, "owner");
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), 0);
	/* jti generated: a version-4 UUID. */
	cr_assert_eq(strlen(c.jti), 36);
	cr_assert_eq(c.jti[14], '4');
	cr_assert(strchr("89ab", c.jti[19]) != NULL);
	cr_assert_str_eq(c.kid, ring_kid);
	cr_assert_eq(c.exp, now + 900);

	cr_assert_eq(verify_at(token, now, &v, &why), 0, "%s", why);
	cr_assert_str_eq(v.sub, SUB);
	cr_assert_str_eq(v.tid, TID);
	cr_assert_str_eq(v.role, "owner");
	cr_assert_str_eq(v.jti, c.jti);
	cr_assert_str_eq(v.sid, SID);
	cr_assert_str_eq(v.kid, ring_kid);
	cr_assert_eq(v.ver, 7);
	cr_assert_eq(v.iat, now);
	cr_assert_eq(v.nbf, now);
	cr_assert_eq(v.exp, now + 900);

	/* A caller-chosen jti is kept; two issues never share a generated one. */
	strcpy(c.jti, JTI);
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), 0);
	cr_assert_eq(verify_at(token, now, &v, &why), 0, "%s", why);
	cr_assert_str_eq(v.jti, JTI);
}

Test(jwt, issue_refuses_what_verify_would_refuse)
{
	struct mh_token_claims c = { .ver = 0 };
	char token[4096];

	strcpy(c.sub, SUB);
	strcpy(c.tid, TID);
	strcpy(c.role, "viewer");
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), -1, "no session");
	strcpy(c.sid, SID);
	strcpy(c.role, "root");
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), -1);
	strcpy(c.role, "viewer");
	strcpy(c.sub, "42");
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), -1);
	strcpy(c.sub, SUB);
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, 10), -1, "must not truncate");
	cr_assert_eq(mh_jwt_issue(&c, now, 0, token, sizeof(token)), -1, "born expired");
	cr_assert_eq(mh_jwt_issue(&c, now, -900, token, sizeof(token)), -1, "born expired");
	cr_assert_eq(mh_jwt_issue(&c, now, TTL + 1, token, sizeof(token)), -1, "lives too long");
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), 0);
	mh_keyring_free();
	cr_assert_eq(mh_jwt_issue(&c, now, 900, token, sizeof(token)), -1, "no active key");
}

Test(jwt, the_hand_built_tokens_of_this_suite_are_valid)
{
	char *t = signed_with_claim(NULL, NULL);

	assert_accepted(t, "baseline");
	free(t);
}

/* ---- alg confusion ---- */

Test(jwt, rejects_alg_none_unsigned)
{
	char h[256], p[1024], *t;
	jwt_t *j;

	header(h, sizeof(h), "none", ring_kid);
	payload(p, sizeof(p), NULL, NULL);
	t = sign_json(h, p, NULL);
	assert_rejected(t, "alg none, empty signature");
	free(t);

	/* The same as libjwt itself would write it. */
	cr_assert_eq(jwt_new(&j), 0);
	jwt_add_header(j, "kid", ring_kid);
	jwt_add_grants_json(j, p);
	cr_assert_eq(jwt_set_alg(j, JWT_ALG_NONE, NULL, 0), 0);
	t = jwt_encode_str(j);
	cr_assert_not_null(t);
	assert_rejected(t, "libjwt alg none");
	free(t);
	jwt_free(j);
}

Test(jwt, rejects_any_alg_but_RS256_even_with_a_valid_RS256_signature)
{
	static const char *const algs[] = { "none", "HS256", "RS512", "PS256", "ES256", "rs256",
					    "RS256 ", "" };
	EVP_PKEY *key = private_key_of("ring");
	char h[256], p[1024], *t;

	payload(p, sizeof(p), NULL, NULL);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		header(h, sizeof(h), algs[i], ring_kid);
		t = sign_json(h, p, key);
		assert_rejected(t, algs[i]);
		free(t);
	}
	/* No alg at all, and alg smuggled behind a NUL. */
	snprintf(h, sizeof(h), "{\"typ\":\"JWT\",\"kid\":\"%s\"}", ring_kid);
	t = sign_json(h, p, key);
	assert_rejected(t, "no alg");
	free(t);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\\u0000x\",\"kid\":\"%s\"}", ring_kid);
	t = sign_json(h, p, key);
	assert_rejected(t, "alg with a NUL");
	free(t);
	EVP_PKEY_free(key);
}

Test(jwt, rejects_HS256_keyed_with_the_public_key_pem)
{
	char path[1024], p[1024], *pem, *t;
	FILE *f;
	long len;
	jwt_t *j, *decoded = NULL;

	snprintf(path, sizeof(path), "%s/ring/%s.pub.pem", getenv(ENV_DIR), ring_kid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	pem = malloc((size_t)len + 1);
	cr_assert_eq(fread(pem, 1, (size_t)len, f), (size_t)len);
	pem[len] = '\0';
	fclose(f);

	payload(p, sizeof(p), NULL, NULL);
	cr_assert_eq(jwt_new(&j), 0);
	jwt_add_header(j, "kid", ring_kid);
	cr_assert_eq(jwt_add_grants_json(j, p), 0);
	cr_assert_eq(jwt_set_alg(j, JWT_ALG_HS256, (unsigned char *)pem, (int)len), 0);
	t = jwt_encode_str(j);
	cr_assert_not_null(t);
	/* The attack is real: libjwt 1.10's own decoder, handed the public key
	 * the way an RS256 verifier would be, takes the header's word and accepts. */
	cr_assert_eq(jwt_decode(&decoded, t, (unsigned char *)pem, (int)len), 0);
	jwt_free(decoded);

	assert_rejected(t, "HS256 keyed with the public PEM");
	free(t);
	jwt_free(j);
	free(pem);
}

Test(jwt, rejects_header_members_it_does_not_understand)
{
	static const char *const extra[] = {
		"\"jku\":\"https://evil.example/jwks\"", "\"jwk\":{\"kty\":\"RSA\"}",
		"\"crit\":[\"exp\"]", "\"typ\":\"at+jwt\"", "\"x5u\":\"https://evil.example\"",
	};
	EVP_PKEY *key = private_key_of("ring");
	char h[512], p[1024], *t;

	payload(p, sizeof(p), NULL, NULL);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%s\",%s}", ring_kid, extra[i]);
		t = sign_json(h, p, key);
		assert_rejected(t, extra[i]);
		free(t);
	}
	/* The right kid with a NUL and more behind it is not the right kid. */
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%s\\u0000x\"}", ring_kid);
	t = sign_json(h, p, key);
	assert_rejected(t, "kid with a NUL");
	free(t);
	/* typ is optional. */
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", ring_kid);
	t = sign_json(h, p, key);
	assert_accepted(t, "no typ");
	free(t);
	EVP_PKEY_free(key);
}

/* ---- keys and signatures ---- */

Test(jwt, rejects_a_kid_the_keyring_does_not_hold)
{
	EVP_PKEY *key = private_key_of("ring");
	char h[256], p[1024], *t;
	const char *why;

	load("other");
	t = issue(now, 900);
	load("ring");
	cr_assert_eq(verify_at(t, now, NULL, &why), -1, "a token of an unknown key verified");
	cr_assert_str_eq(why, "unknown kid");
	free(t);

	/* Signed by the right key, but naming none. */
	payload(p, sizeof(p), NULL, NULL);
	t = sign_json("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", p, key);
	assert_rejected(t, "no kid");
	free(t);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"../ring/%s\"}", ring_kid);
	t = sign_json(h, p, key);
	assert_rejected(t, "path in kid");
	free(t);
	EVP_PKEY_free(key);
}

Test(jwt, rejects_a_signature_by_another_key_under_a_known_kid)
{
	EVP_PKEY *other = private_key_of("other");
	char h[256], p[1024], *t;
	const char *why;

	header(h, sizeof(h), "RS256", ring_kid);
	payload(p, sizeof(p), NULL, NULL);
	t = sign_json(h, p, other);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "bad signature");
	free(t);
	EVP_PKEY_free(other);
}

Test(jwt, rejects_a_tampered_payload)
{
	char *t = issue(now, 900), p[1024], *p64, *forged, *dot1, *dot2;
	const char *why;

	dot1 = strchr(t, '.');
	dot2 = strchr(dot1 + 1, '.');
	payload(p, sizeof(p), "role", "\"owner\"");
	p64 = b64url(p, strlen(p));
	*dot1 = '\0';
	forged = malloc(strlen(t) + strlen(p64) + strlen(dot2) + 2);
	sprintf(forged, "%s.%s%s", t, p64, dot2);
	cr_assert_eq(verify_at(forged, now, NULL, &why), -1, "a re-written payload verified");
	cr_assert_str_eq(why, "bad signature");
	free(forged);
	free(p64);
	free(t);
}

Test(jwt, rejects_every_single_character_change)
{
	char *t = issue(now, 900);
	size_t len = strlen(t);
	const char subst[] = "AQgw-_.=+/ \x80";

	assert_accepted(t, "the original");
	for (size_t i = 0; i < len; i++) {
		char orig = t[i];

		for (const char *s = subst; *s; s++) {
			const char *why;
			struct mh_token_claims c;

			if (*s == orig)
				continue;
			t[i] = *s;
			cr_assert_eq(mh_jwt_verify(t, len, now, &c, &why), -1,
				     "accepted with byte %zu changed to %c", i, *s);
		}
		t[i] = orig;
	}
	/* Truncated anywhere. */
	for (size_t n = 0; n < len; n++) {
		const char *why;
		struct mh_token_claims c;

		cr_assert_eq(mh_jwt_verify(t, n, now, &c, &why), -1, "accepted a %zu-byte prefix",
			     n);
	}
	free(t);
}

Test(jwt, a_rotated_key_keeps_verifying_while_its_kid_is_loaded)
{
	char d[] = "/tmp/menhir-jwt-rot-XXXXXX", kd[600], a[64], b[64], path[1024];
	char *old, *fresh;
	struct mh_token_claims c;
	const char *why;

	cr_assert_not_null(mkdtemp(d));
	snprintf(kd, sizeof(kd), "%s/keys", d);
	cr_assert_eq(mh_keys_generate(kd, a, sizeof(a), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_keyring_load(kd, err, sizeof(err)), 0, "%s", err);
	old = issue(now, 900);

	cr_assert_eq(mh_keys_rotate(kd, b, sizeof(b), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_keyring_load(kd, err, sizeof(err)), 0, "%s", err);
	fresh = issue(now, 900);
	cr_assert_eq(verify_at(fresh, now, &c, &why), 0, "%s", why);
	cr_assert_str_eq(c.kid, b, "new tokens carry the new kid");
	cr_assert_eq(verify_at(old, now, &c, &why), 0, "old token after rotation: %s", why);
	cr_assert_str_eq(c.kid, a);

	/* Pruned: the old key's tokens die with it. */
	snprintf(path, sizeof(path), "%s/%s.pub.pem", kd, a);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mh_keyring_load(kd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(verify_at(old, now, &c, &why), -1);
	cr_assert_eq(verify_at(fresh, now, &c, &why), 0, "%s", why);
	free(old);
	free(fresh);
	nftw(d, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- time ---- */

Test(jwt, rejects_an_expired_token_with_leeway_as_documented)
{
	char *t = issue(now - 1000, 900); /* exp = now - 100 */
	const char *why;
	struct mh_token_claims c;

	cr_assert_eq(verify_at(t, now, &c, &why), -1);
	cr_assert_str_eq(why, "expired");
	cr_assert_eq(verify_at(t, now - 101, &c, &why), 0, "%s", why);
	/* exp > now - leeway: exactly at exp is already too late without leeway. */
	cr_assert_eq(verify_at(t, now - 100, &c, &why), -1);
	mh_jwt_configure(ISS, AUD, 60, TTL);
	cr_assert_eq(verify_at(t, now - 41, &c, &why), 0, "%s", why);
	cr_assert_eq(verify_at(t, now - 40, &c, &why), -1);
	free(t);
}

Test(jwt, rejects_nbf_in_the_future)
{
	char value[32], *t;
	const char *why;
	struct mh_token_claims c;

	snprintf(value, sizeof(value), "%lld", now + 120);
	t = signed_with_claim("nbf", value);
	cr_assert_eq(verify_at(t, now, &c, &why), -1);
	cr_assert_str_eq(why, "not yet valid");
	cr_assert_eq(verify_at(t, now + 120, &c, &why), 0, "%s", why);
	mh_jwt_configure(ISS, AUD, 120, TTL);
	cr_assert_eq(verify_at(t, now, &c, &why), 0, "within leeway: %s", why);
	cr_assert_eq(verify_at(t, now - 1, &c, &why), -1);
	free(t);
}

Test(jwt, rejects_iat_in_the_future)
{
	char value[32], *t;
	const char *why;
	struct mh_token_claims c;

	snprintf(value, sizeof(value), "%lld", now + 120);
	t = signed_with_claim("iat", value);
	cr_assert_eq(verify_at(t, now, &c, &why), -1);
	cr_assert_str_eq(why, "issued in the future");
	mh_jwt_configure(ISS, AUD, 120, TTL);
	cr_assert_eq(verify_at(t, now, &c, &why), 0, "within leeway: %s", why);
	free(t);
}

/* A leaked key must not mint tokens that live for years: exp - iat is bounded by the
 * access-token lifetime plus the leeway, whatever the signature says. */
Test(jwt, rejects_a_lifetime_longer_than_the_access_token_ttl)
{
	char iat[32], exp[32], p[2048], h[256], *t;
	EVP_PKEY *key = private_key_of("ring");
	const char *why;

	header(h, sizeof(h), "RS256", ring_kid);
	/* Ten years, signed with the real key. */
	snprintf(exp, sizeof(exp), "%lld", now + 10LL * 365 * 86400);
	t = signed_with_claim("exp", exp);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1, "a ten-year token was accepted");
	cr_assert_str_eq(why, "lifetime too long");
	free(t);
	/* The bound is exact: TTL + leeway is the longest accepted, one second more is not. */
	mh_jwt_configure(ISS, AUD, 30, TTL);
	snprintf(exp, sizeof(exp), "%lld", now + TTL + 30);
	t = signed_with_claim("exp", exp);
	assert_accepted(t, "exp - iat = ttl + leeway");
	free(t);
	snprintf(exp, sizeof(exp), "%lld", now + TTL + 31);
	t = signed_with_claim("exp", exp);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "lifetime too long");
	free(t);
	/* An old iat does not make room: the lifetime counts from iat, not from now. */
	snprintf(iat, sizeof(iat), "%lld", now - 3600);
	t = signed_with_claim("iat", iat);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "lifetime too long");
	free(t);
	/* Without iat there is no lifetime to bound: refused. */
	payload(p, sizeof(p), "iat", NULL);
	t = sign_json(h, p, key);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1, "a token without iat was accepted");
	cr_assert_str_eq(why, "bad time claims");
	free(t);
	EVP_PKEY_free(key);
}

/* ---- issuer, audience, claims ---- */

Test(jwt, rejects_a_wrong_issuer)
{
	char *t = signed_with_claim("iss", "\"someone-else\"");
	const char *why;

	assert_rejected(t, "wrong iss");
	free(t);
	t = signed_with_claim("iss", "[\"" ISS "\"]");
	assert_rejected(t, "iss as an array");
	free(t);
	/* Issued by this code under another configured issuer. */
	mh_jwt_configure("another-menhir", AUD, 0, TTL);
	t = issue(now, 900);
	mh_jwt_configure(ISS, AUD, 0, TTL);
	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "wrong issuer");
	free(t);
}

Test(jwt, rejects_a_wrong_audience_and_accepts_an_array_holding_ours)
{
	char *t = signed_with_claim("aud", "\"another-api\"");
	const char *why;

	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "wrong audience");
	free(t);
	t = signed_with_claim("aud", "[\"another-api\",\"also-not\"]");
	assert_rejected(t, "aud array without ours");
	free(t);
	t = signed_with_claim("aud", "[]");
	assert_rejected(t, "empty aud array");
	free(t);
	t = signed_with_claim("aud", "\"" AUD "x\"");
	assert_rejected(t, "aud with a suffix");
	free(t);
	t = signed_with_claim("aud", "[\"another-api\",\"" AUD "\"]");
	assert_accepted(t, "aud array holding ours");
	free(t);
}

Test(jwt, rejects_a_token_missing_any_claim)
{
	static const char *const names[] = { "iss", "aud", "sub", "tid", "role", "jti",
					     "sid", "ver", "iat", "nbf", "exp" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *t = signed_with_claim(names[i], NULL);

		assert_rejected(t, names[i]);
		free(t);
	}
}

Test(jwt, rejects_malformed_claims)
{
	static const char *const bad[][2] = {
		{ "sub", "\"not-a-uuid\"" },
		{ "sub", "\"" SUB "0\"" },
		{ "sub", "\"6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2g\"" },
		{ "sub", "\"6f1c2b8e03d4a-4f5b-9c6d-7e8f9a0b1c2d\"" },
		{ "sub", "42" },
		{ "tid", "\"\"" },
		{ "tid", "null" },
		{ "jti", "\"x\"" },
		{ "sid", "\"x\"" },
		{ "sid", "\"\"" },
		{ "sid", "null" },
		{ "sid", "[\"" SID "\"]" },
		{ "role", "\"superuser\"" },
		{ "role", "\"Owner\"" },
		{ "role", "\"owner\\u0000\"" },
		{ "role", "[\"owner\"]" },
		{ "ver", "-1" },
		{ "ver", "\"3\"" },
		{ "ver", "3.0" },
		{ "ver", "true" },
		{ "exp", "\"9999999999\"" },
		{ "exp", "9999999999.5" },
		{ "exp", "1e12" },
		{ "exp", "99999999999999999999999" },
		{ "iat", "-5" },
		{ "nbf", "null" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = signed_with_claim(bad[i][0], bad[i][1]);
		char what[128];

		snprintf(what, sizeof(what), "%s = %s", bad[i][0], bad[i][1]);
		assert_rejected(t, what);
		free(t);
	}
	/* Extra claims are not an error. */
	{
		char *t = signed_with_claim("scope", "\"read\"");

		assert_accepted(t, "extra claim");
		free(t);
	}
}

/* ---- shape ---- */

Test(jwt, rejects_garbage_without_crashing)
{
	static const char *const junk[] = {
		"", ".", "..", "...", "a", "a.b", "a.b.c", "abc.def.ghi", "e30.e30.",
		"eyJhbGciOiJSUzI1NiJ9..", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
		"Bearer eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "\xff\xfe.\x00.x", "{}.{}.{}",
		"e30.e30.e30", "W10.W10.", "bnVsbA.bnVsbA.", "IiI.IiI.",
		"eyJhbGciOiJSUzI1NiIsImtpZCI6W119.e30.", /* kid is an array */
		"eyJhbGciOiJSUzI1NiIsImtpZCI6bnVsbH0.e30.",
	};
	struct mh_token_claims c;
	const char *why;
	char buf[256];

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_rejected(junk[i], junk[i]);
	cr_assert_eq(mh_jwt_verify(NULL, 0, now, &c, &why), -1);
	/* Random bytes, and random base64url-ish text with two dots. */
	srand(42);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		const char *alpha = "AZaz09-_.";

		for (size_t i = 0; i < len; i++)
			buf[i] = round % 2 ? (char)rand() : alpha[rand() % 9];
		cr_assert_eq(mh_jwt_verify(buf, len, now, &c, &why), -1);
	}
}

Test(jwt, rejects_two_or_four_segments)
{
	char *t = issue(now, 900), *two, *four;
	char *last = strrchr(t, '.');
	const char *why;

	assert_accepted(t, "three segments");
	two = strndup(t, (size_t)(last - t));
	assert_rejected(two, "two segments");
	four = malloc(strlen(t) + 8);
	sprintf(four, "%s.AAAA", t);
	cr_assert_eq(verify_at(four, now, NULL, &why), -1, "four segments");
	cr_assert_str_eq(why, "not three segments");
	sprintf(four, "%s.", t);
	assert_rejected(four, "trailing dot");
	sprintf(four, "%s..", two);
	assert_rejected(four, "empty signature segment and a fourth");
	free(two);
	free(four);
	free(t);
}

Test(jwt, rejects_padded_or_non_url_base64)
{
	EVP_PKEY *key = private_key_of("ring");
	char h[256], p[1024], *h64, *p64, *padded, *t;

	/* A header whose encoding needs padding, signed as the padded text, so
	 * only the encoding rule can refuse it. */
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", ring_kid);
	while (strlen(h) % 3 == 0) {
		memmove(h + 2, h + 1, strlen(h));
		h[1] = ' ';
	}
	h64 = b64url(h, strlen(h));
	payload(p, sizeof(p), NULL, NULL);
	p64 = b64url(p, strlen(p));
	t = sign_parts(h64, p64, key);
	assert_accepted(t, "unpadded");
	free(t);
	padded = malloc(strlen(h64) + 3);
	sprintf(padded, "%s%s", h64, strlen(h) % 3 == 1 ? "==" : "=");
	t = sign_parts(padded, p64, key);
	assert_rejected(t, "padded header");
	free(t);
	free(padded);
	/* The last character of a segment whose length is not a multiple of 4
	 * carries unused bits; setting one spells the same bytes differently. */
	{
		const char *alpha =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t n = strlen(h64);

		cr_assert_neq(n % 4, 0);
		h64[n - 1] = alpha[strchr(alpha, h64[n - 1]) - alpha + 1];
		t = sign_parts(h64, p64, key);
		assert_rejected(t, "non-zero unused bits");
		free(t);
	}
	/* Standard base64 characters are not base64url. */
	t = sign_parts("eyJhbGciOiJSUzI1NiJ9+/", p64, key);
	assert_rejected(t, "standard base64");
	free(t);
	free(h64);
	free(p64);
	EVP_PKEY_free(key);
}

Test(jwt, rejects_oversize_tokens)
{
	char pad[9000], *t;
	const char *why;

	/* The same valid token just under and just over 8 KiB. */
	memset(pad, 'x', sizeof(pad));
	pad[0] = '"';
	pad[5000] = '"';
	pad[5001] = '\0';
	t = signed_with_claim("pad", pad);
	cr_assert(strlen(t) < 8192, "%zu", strlen(t));
	assert_accepted(t, "a big token under the bound");
	free(t);
	pad[5000] = 'x';
	pad[5001] = 'x';
	pad[6400] = '"';
	pad[6401] = '\0';
	t = signed_with_claim("pad", pad);
	cr_assert(strlen(t) > 8192, "%zu", strlen(t));
	cr_assert_eq(verify_at(t, now, NULL, &why), -1);
	cr_assert_str_eq(why, "token too long");
	free(t);
}

Test(jwt, refuses_to_work_unconfigured)
{
	/* Even a token whose iss and aud match the empty configuration. */
	EVP_PKEY *key = private_key_of("ring");
	char h[256], p[1024], *t;

	header(h, sizeof(h), "RS256", ring_kid);
	snprintf(p, sizeof(p),
		 "{\"iss\":\"\",\"aud\":\"\",\"sub\":\"" SUB "\",\"tid\":\"" TID
		 "\",\"role\":\"member\",\"jti\":\"" JTI "\",\"sid\":\"" SID
		 "\",\"ver\":0,\"iat\":%lld,"
		 "\"nbf\":%lld,\"exp\":%lld}",
		 now, now, now + 900);
	t = sign_json(h, p, key);
	mh_jwt_configure("", "", 0, TTL);
	assert_rejected(t, "unconfigured verifier");
	free(t);
	EVP_PKEY_free(key);
}
