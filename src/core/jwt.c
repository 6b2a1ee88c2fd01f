/* jwt.c - RS256 access tokens: issued with libjwt, verified by hand against the keyring. */
#include "core/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "core/keys.h"
#include "core/validate.h"

/* Our tokens are well under 1 KiB; anything near this is an attack or junk,
 * and the bound keeps every buffer below on the stack. */
#define TOKEN_MAX 8192
/* Header and payload are tiny flat objects (aud may be an array). */
#define JSON_DEPTH 4
/* RSA-16384 is far beyond anything we generate. */
#define SIG_MAX 2048
/* Timestamps beyond this (year 36812) are junk, not a policy. */
#define TIME_MAX (1LL << 40)

/* libjwt takes timestamps as long. */
_Static_assert(sizeof(long) >= 8, "jwt_add_grant_int needs a 64-bit long for timestamps");

static struct {
	char issuer[256];
	char audience[256];
	int leeway;
	int max_ttl;
} conf;

static int is_uuid(const char *s, size_t len);
static int role_valid(const char *s, size_t len);
static int make_uuid_v4(char out[37]);
static int b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap,
			 size_t *outlen);
static struct json_object *parse_object(const unsigned char *s, size_t len);
static int str_is(struct json_object *v, const char *want);
static int copy_str(struct json_object *v, char *dst, size_t cap);
static int get_int(struct json_object *v, long long min, long long max, long long *out);
static int str_claim(struct json_object *p, const char *name, char *dst, size_t cap,
		     int (*valid)(const char *s, size_t len));
static int check_header(struct json_object *h, char kid[64]);
static int check_signature(EVP_PKEY *pkey, const char *signed_part, size_t signed_len,
			   const unsigned char *sig, size_t siglen);
static const char *check_claims(struct json_object *p, long long now, struct mh_token_claims *c);

void mh_jwt_configure(const char *issuer, const char *audience, int leeway, int max_ttl)
{
	snprintf(conf.issuer, sizeof(conf.issuer), "%s", issuer);
	snprintf(conf.audience, sizeof(conf.audience), "%s", audience);
	conf.leeway = leeway < 0 ? 0 : leeway;
	conf.max_ttl = max_ttl < 0 ? 0 : max_ttl;
}

void mh_jwt_set_max_ttl(int max_ttl)
{
	conf.max_ttl = max_ttl < 0 ? 0 : max_ttl;
}

/* The claim check's shape of mh_is_uuid (s is NUL-terminated; len is its length). */
static int is_uuid(const char *s, size_t len)
{
	return len == 36 && mh_is_uuid(s);
}

static int role_valid(const char *s, size_t len)
{
	static const char *const roles[] = { "owner", "admin", "member", "viewer" };

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (len == strlen(roles[i]) && memcmp(s, roles[i], len) == 0)
			return 1;
	return 0;
}

static int make_uuid_v4(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
}

int mh_jwt_issue(struct mh_token_claims *c, long long now, int ttl, char *out, size_t outlen)
{
	size_t pemlen = 0;
	const char *pem = mh_keyring_active_private_pem(&pemlen);
	const char *kid = mh_keyring_active_kid();
	char jti[37];
	jwt_t *jwt = NULL;
	char *token = NULL;
	int rc = -1;

	/* Refuse to sign what mh_jwt_verify would refuse to accept. */
	if (pem == NULL || kid == NULL || conf.issuer[0] == '\0' || conf.audience[0] == '\0' ||
	    ttl <= 0 || ttl > conf.max_ttl || now < 0 || now + ttl >= TIME_MAX || c->ver < 0 ||
	    !is_uuid(c->sub, strlen(c->sub)) || !is_uuid(c->tid, strlen(c->tid)) ||
	    !is_uuid(c->sid, strlen(c->sid)) || !role_valid(c->role, strlen(c->role)))
		return -1;
	if (c->jti[0] == '\0') {
		if (make_uuid_v4(jti) < 0)
			return -1;
	} else if (is_uuid(c->jti, strlen(c->jti))) {
		memcpy(jti, c->jti, sizeof(jti));
	} else {
		return -1;
	}
	if (jwt_new(&jwt) != 0)
		return -1;
	if (jwt_add_header(jwt, "kid", kid) != 0 || jwt_add_grant(jwt, "iss", conf.issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", conf.audience) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 || jwt_add_grant(jwt, "tid", c->tid) != 0 ||
	    jwt_add_grant(jwt, "role", c->role) != 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant(jwt, "sid", c->sid) != 0 ||
	    jwt_add_grant_int(jwt, "ver", (long)c->ver) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)pem, (int)pemlen) != 0)
		goto out;
	token = jwt_encode_str(jwt);
	if (token == NULL || strlen(token) >= outlen)
		goto out;
	memcpy(out, token, strlen(token) + 1);
	memcpy(c->jti, jti, sizeof(jti));
	snprintf(c->kid, sizeof(c->kid), "%s", kid);
	c->iat = now;
	c->nbf = now;
	c->exp = now + ttl;
	rc = 0;
out:
	free(token);
	jwt_free(jwt);
	return rc;
}

/*
 * Strict RFC 4648 §5 without padding: '=' and any character outside the
 * alphabet are errors, and so are non-zero unused bits in the last character,
 * so every token has exactly one spelling.
 */
static int b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap,
			 size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		unsigned v;

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-')
			v = 62;
		else if (ch == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6 | v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* One strict JSON object covering all of s, or NULL. */
static struct json_object *parse_object(const unsigned char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *obj;
	int ok;

	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, (const char *)s, (int)len);
	ok = obj != NULL && json_tokener_get_error(tok) == json_tokener_success &&
	     json_tokener_get_parse_end(tok) == len && json_object_is_type(obj, json_type_object);
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* Length-aware, so "RS256\u0000x" is not "RS256". */
static int str_is(struct json_object *v, const char *want)
{
	size_t n = strlen(want);

	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == n &&
	       memcmp(json_object_get_string(v), want, n) == 0;
}

/* Copies a string value without embedded NULs that fits in cap; returns its length or -1. */
static int copy_str(struct json_object *v, char *dst, size_t cap)
{
	size_t n;
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n >= cap || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (int)n;
}

/* JSON integers only: 1.0, "1" and true are not timestamps. */
static int get_int(struct json_object *v, long long min, long long max, long long *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int str_claim(struct json_object *p, const char *name, char *dst, size_t cap,
		     int (*valid)(const char *s, size_t len))
{
	struct json_object *v;
	int n;

	if (!json_object_object_get_ex(p, name, &v) || (n = copy_str(v, dst, cap)) < 0 ||
	    !valid(dst, (size_t)n))
		return -1;
	return 0;
}

/*
 * The header says nothing we act on except which key to use: alg must be
 * RS256 (never taken from the token as a choice), typ may only be "JWT", and
 * any other member (jku, jwk, x5u, crit, ...) is refused rather than ignored.
 */
static int check_header(struct json_object *h, char kid[64])
{
	int have_alg = 0, have_kid = 0;

	json_object_object_foreach(h, key, val)
	{
		if (strcmp(key, "alg") == 0 && str_is(val, "RS256"))
			have_alg = 1;
		else if (strcmp(key, "typ") == 0 && str_is(val, "JWT"))
			continue;
		else if (strcmp(key, "kid") == 0 && copy_str(val, kid, 64) > 0)
			have_kid = 1;
		else
			return -1;
	}
	return have_alg && have_kid ? 0 : -1;
}

static int check_signature(EVP_PKEY *pkey, const char *signed_part, size_t signed_len,
			   const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (md == NULL)
		return -1;
	/* RS256 is PKCS#1 v1.5 with SHA-256, stated explicitly rather than
	 * relying on the key's default padding. */
	ok = siglen == (size_t)EVP_PKEY_get_size(pkey) &&
	     EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, (const unsigned char *)signed_part, signed_len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static const char *check_claims(struct json_object *p, long long now, struct mh_token_claims *c)
{
	struct json_object *v;

	if (!json_object_object_get_ex(p, "iss", &v) || !str_is(v, conf.issuer))
		return "wrong issuer";
	if (!json_object_object_get_ex(p, "aud", &v))
		return "wrong audience";
	if (json_object_is_type(v, json_type_array)) {
		size_t i, len = json_object_array_length(v);

		for (i = 0; i < len; i++)
			if (str_is(json_object_array_get_idx(v, i), conf.audience))
				break;
		if (i == len)
			return "wrong audience";
	} else if (!str_is(v, conf.audience)) {
		return "wrong audience";
	}
	if (!json_object_object_get_ex(p, "exp", &v) || get_int(v, 0, TIME_MAX, &c->exp) < 0 ||
	    !json_object_object_get_ex(p, "nbf", &v) || get_int(v, 0, TIME_MAX, &c->nbf) < 0 ||
	    !json_object_object_get_ex(p, "iat", &v) || get_int(v, 0, TIME_MAX, &c->iat) < 0)
		return "bad time claims";
	if (c->exp <= now - conf.leeway)
		return "expired";
	if (c->nbf > now + conf.leeway)
		return "not yet valid";
	if (c->iat > now + conf.leeway)
		return "issued in the future";
	/* Both bounded by TIME_MAX above, so the difference cannot overflow. */
	if (c->exp - c->iat > (long long)conf.max_ttl + conf.leeway)
		return "lifetime too long";
	if (str_claim(p, "sub", c->sub, sizeof(c->sub), is_uuid) < 0 ||
	    str_claim(p, "tid", c->tid, sizeof(c->tid), is_uuid) < 0 ||
	    str_claim(p, "jti", c->jti, sizeof(c->jti), is_uuid) < 0 ||
	    str_claim(p, "sid", c->sid, sizeof(c->sid), is_uuid) < 0 ||
	    str_claim(p, "role", c->role, sizeof(c->role), role_valid) < 0 ||
	    !json_object_object_get_ex(p, "ver", &v) || get_int(v, 0, INT64_MAX - 1, &c->ver) < 0)
		return "bad claims";
	return NULL;
}

int mh_jwt_verify(const char *token, size_t len, long long now, struct mh_token_claims *out,
		  const char **why)
{
	unsigned char header[TOKEN_MAX], payload[TOKEN_MAX], sig[SIG_MAX];
	size_t hlen, plen, slen;
	const char *dot1, *dot2;
	struct json_object *h = NULL, *p = NULL;
	struct mh_token_claims c;
	EVP_PKEY *pkey;
	const char *reason = NULL;

	memset(&c, 0, sizeof(c));
	if (conf.issuer[0] == '\0' || conf.audience[0] == '\0') {
		reason = "verifier not configured";
		goto out;
	}
	if (token == NULL || len == 0 || len > TOKEN_MAX) {
		reason = len > TOKEN_MAX ? "token too long" : "empty token";
		goto out;
	}
	/* Exactly three segments: a stray fourth part is junk, not a JWE. */
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		reason = "not three segments";
		goto out;
	}
	if (b64url_decode(token, (size_t)(dot1 - token), header, sizeof(header), &hlen) < 0 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof(payload), &plen) <
		    0 ||
	    b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig, sizeof(sig), &slen) <
		    0) {
		reason = "bad base64url";
		goto out;
	}
	h = parse_object(header, hlen);
	if (h == NULL || check_header(h, c.kid) < 0) {
		reason = "bad header or alg";
		goto out;
	}
	pkey = mh_keyring_public_key(c.kid);
	if (pkey == NULL) {
		reason = "unknown kid";
		goto out;
	}
	/* Nothing in the payload is looked at before the signature holds. */
	if (check_signature(pkey, token, (size_t)(dot2 - token), sig, slen) < 0) {
		reason = "bad signature";
		goto out;
	}
	p = parse_object(payload, plen);
	if (p == NULL) {
		reason = "bad payload";
		goto out;
	}
	reason = check_claims(p, now, &c);
out:
	json_object_put(h);
	json_object_put(p);
	if (reason != NULL) {
		if (why != NULL)
			*why = reason;
		return -1;
	}
	*out = c;
	return 0;
}
