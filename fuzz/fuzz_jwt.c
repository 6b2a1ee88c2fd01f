/* fuzz_jwt.c - libFuzzer target for mh_jwt_verify with a real keyring (one RSA key generated
 * per process). The first input byte picks what the fuzzer controls:
 *   'h'  the header JSON ("@kid" becomes the active kid), signed with the real key;
 *   'p'  the payload JSON, signed with the real key under a valid header;
 *   's'  the signature bytes of an otherwise valid token;
 *   else the whole token, raw.
 * Raw tokens and foreign signatures must never be accepted; a signed token is accepted only
 * when its header and claims satisfy jwt.h's contract, checked here with json-c directly. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/jwt.h"
#include "core/keys.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISS "menhir-fuzz"
#define AUD "menhir-fuzz-api"
#define LEEWAY 30
/* The access-token lifetime: exp - iat may not exceed it (plus LEEWAY). */
#define TTL 900
/* Fixed, so the seed payloads' times stay meaningful. */
#define NOW 1700000000LL
#define VALID_PAYLOAD                                                                      \
	"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d\"," \
	"\"tid\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\",\"role\":\"admin\","                 \
	"\"jti\":\"11111111-2222-4333-8444-555555555555\","                                   \
	"\"sid\":\"22222222-3333-4444-8555-666666666666\",\"ver\":0,\"iat\":1700000000,"       \
	"\"nbf\":1700000000,\"exp\":1700000900}"

static EVP_PKEY *signing_key;
static char kid[64];
static char valid_header_b64[256], valid_payload_b64[1024], valid_signed[2048];
static unsigned char valid_sig[1024];
static size_t valid_siglen;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* RS256 over msg; returns the signature length or 0. */
static size_t sign(const char *msg, size_t len, unsigned char *sig, size_t cap)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = cap;

	if (md == NULL || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, signing_key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(md, sig, &n, (const unsigned char *)msg, len) != 1)
		n = 0;
	EVP_MD_CTX_free(md);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/menhir-fuzz-jwt-XXXXXX", ring[64], err[512], header[128];
	const char *pem;
	size_t pemlen;
	BIO *bio;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(ring, sizeof(ring), "%s/ring", dir);
	if (mh_keys_generate(ring, kid, sizeof(kid), err, sizeof(err)) < 0 ||
	    mh_keyring_load(ring, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_jwt: %s\n", err);
		abort();
	}
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	pem = mh_keyring_active_private_pem(&pemlen);
	bio = BIO_new_mem_buf(pem, (int)pemlen);
	signing_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (signing_key == NULL)
		abort();
	mh_jwt_configure(ISS, AUD, LEEWAY, TTL);

	/* The valid token the single-part modes start from; it must verify. */
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	fuzz_b64url((const unsigned char *)header, strlen(header), valid_header_b64);
	fuzz_b64url((const unsigned char *)VALID_PAYLOAD, strlen(VALID_PAYLOAD), valid_payload_b64);
	snprintf(valid_signed, sizeof(valid_signed), "%s.%s", valid_header_b64, valid_payload_b64);
	valid_siglen = sign(valid_signed, strlen(valid_signed), valid_sig, sizeof(valid_sig));
	if (valid_siglen == 0)
		abort();
	return 0;
}

/* header.payload.signature from the raw header and payload JSON, signed with the real key
 * (or with sig when given). Returns a malloc'd token. */
static char *make_token(const uint8_t *hdr, size_t hlen, const uint8_t *pl, size_t plen,
			const uint8_t *sig, size_t slen)
{
	unsigned char own[1024];
	char *t = malloc((hlen + plen + 1024) / 3 * 4 + 16);
	size_t n = fuzz_b64url(hdr, hlen, t);

	t[n++] = '.';
	n += fuzz_b64url(pl, plen, t + n);
	if (sig == NULL) {
		slen = sign(t, n, own, sizeof(own));
		sig = own;
	}
	t[n++] = '.';
	fuzz_b64url(sig, slen, t + n);
	return t;
}

/* "@kid" in the fuzzer's header becomes the active kid, so seeds can name it. */
static char *with_kid(const uint8_t *s, size_t len, size_t *outlen)
{
	char *out = malloc(len / 4 * sizeof(kid) + len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (len - i >= 4 && memcmp(s + i, "@kid", 4) == 0) {
			memcpy(out + o, kid, strlen(kid));
			o += strlen(kid);
			i += 3;
		} else {
			out[o++] = (char)s[i];
		}
	}
	*outlen = o;
	return out;
}

static int str_eq(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(want) &&
	       memcmp(json_object_get_string(v), want, strlen(want)) == 0;
}

static int is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == 0) {
			return 0;
		}
	}
	return 1;
}

/* What an accepted header must be: alg RS256, our kid, at most typ JWT besides. */
static void check_accepted_header(const char *hdr, size_t len)
{
	char *copy = strndup(hdr, len);
	struct json_object *h = json_tokener_parse(copy);

	free(copy);
	FUZZ_CHECK(h != NULL && json_object_is_type(h, json_type_object),
		   "accepted a header that is not a JSON object");
	FUZZ_CHECK(str_eq(h, "alg", "RS256"), "accepted alg other than RS256");
	FUZZ_CHECK(str_eq(h, "kid", kid), "accepted an unknown kid");
	json_object_object_foreach(h, key, val)
	{
		FUZZ_CHECK(strcmp(key, "alg") == 0 || strcmp(key, "kid") == 0 ||
				   (strcmp(key, "typ") == 0 && str_eq(h, "typ", "JWT")),
			   "accepted header member %s", key);
		(void)val;
	}
	json_object_put(h);
}

/* What accepted claims must be (jwt.h), read from the payload with json-c. */
static void check_accepted_claims(const char *pl, size_t len, const struct mh_token_claims *c)
{
	char *copy = strndup(pl, len);
	struct json_object *p = json_tokener_parse(copy), *v;
	int aud = 0;

	free(copy);
	FUZZ_CHECK(p != NULL && json_object_is_type(p, json_type_object),
		   "accepted a payload that is not a JSON object");
	FUZZ_CHECK(str_eq(p, "iss", ISS), "accepted a wrong issuer");
	if (json_object_object_get_ex(p, "aud", &v) && json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			aud |= json_object_is_type(e, json_type_string) &&
			       strcmp(json_object_get_string(e), AUD) == 0 &&
			       (size_t)json_object_get_string_len(e) == strlen(AUD);
		}
	} else {
		aud = str_eq(p, "aud", AUD);
	}
	FUZZ_CHECK(aud, "accepted a wrong audience");
	FUZZ_CHECK(c->exp > NOW - LEEWAY, "accepted expired token (exp %lld)", c->exp);
	FUZZ_CHECK(c->nbf <= NOW + LEEWAY && c->iat <= NOW + LEEWAY, "accepted a future token");
	FUZZ_CHECK(json_object_object_get_ex(p, "exp", &v) && json_object_is_type(v, json_type_int) &&
			   json_object_get_int64(v) == c->exp,
		   "exp claim differs from the payload");
	FUZZ_CHECK(c->exp - c->iat <= TTL + LEEWAY, "accepted a lifetime of %lld s",
		   c->exp - c->iat);
	FUZZ_CHECK(json_object_object_get_ex(p, "iat", &v) &&
			   json_object_is_type(v, json_type_int) &&
			   json_object_get_int64(v) == c->iat,
		   "iat claim differs from the payload");
	FUZZ_CHECK(is_uuid(c->sub) && is_uuid(c->tid) && is_uuid(c->jti) && is_uuid(c->sid),
		   "accepted a bad id");
	FUZZ_CHECK(str_eq(p, "sub", c->sub) && str_eq(p, "tid", c->tid) &&
			   str_eq(p, "jti", c->jti) && str_eq(p, "sid", c->sid),
		   "claims differ from the payload");
	FUZZ_CHECK(strcmp(c->role, "owner") == 0 || strcmp(c->role, "admin") == 0 ||
			   strcmp(c->role, "member") == 0 || strcmp(c->role, "viewer") == 0,
		   "accepted role %s", c->role);
	FUZZ_CHECK(str_eq(p, "role", c->role), "role differs from the payload");
	FUZZ_CHECK(c->ver >= 0, "accepted ver %lld", c->ver);
	FUZZ_CHECK(strcmp(c->kid, kid) == 0, "kid %s", c->kid);
	json_object_put(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_token_claims c;
	const char *why = NULL;
	char *token = NULL, *hdr = NULL;
	size_t hlen;
	int rc;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	switch (data[0]) {
	case 'h':
		hdr = with_kid(data + 1, size - 1, &hlen);
		token = make_token((const uint8_t *)hdr, hlen, (const uint8_t *)VALID_PAYLOAD,
				   strlen(VALID_PAYLOAD), NULL, 0);
		rc = mh_jwt_verify(token, strlen(token), NOW, &c, &why);
		if (rc == 0) {
			check_accepted_header(hdr, hlen);
			check_accepted_claims(VALID_PAYLOAD, strlen(VALID_PAYLOAD), &c);
		}
		break;
	case 'p': {
		char header[128];

		snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
		token = make_token((const uint8_t *)header, strlen(header), data + 1, size - 1, NULL,
				   0);
		rc = mh_jwt_verify(token, strlen(token), NOW, &c, &why);
		if (rc == 0)
			check_accepted_claims((const char *)data + 1, size - 1, &c);
		break;
	}
	case 's': {
		size_t n = strlen(valid_signed);

		token = malloc(n + (size - 1) / 3 * 4 + 8);
		memcpy(token, valid_signed, n);
		token[n++] = '.';
		fuzz_b64url(data + 1, size - 1, token + n);
		rc = mh_jwt_verify(token, strlen(token), NOW, &c, &why);
		FUZZ_CHECK(rc != 0 || (size - 1 == valid_siglen &&
				       memcmp(data + 1, valid_sig, valid_siglen) == 0),
			   "accepted a signature the key did not make");
		break;
	}
	default:
		rc = mh_jwt_verify((const char *)data + 1, size - 1, NOW, &c, &why);
		FUZZ_CHECK(rc != 0, "accepted a raw token nobody signed");
		break;
	}
	FUZZ_CHECK(rc == 0 || (why != NULL && *why != '\0'), "refused without a reason");
	free(token);
	free(hdr);
	return 0;
}
