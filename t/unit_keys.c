/* unit_keys.c - key pairs on disk (modes, rotation, listing), keyring loading and the JWKS. */
#include <dirent.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/keys.h"

static char tmp[] = "/tmp/menhir-keys-XXXXXX";
static char dir[600];
static char err[1024];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmp));
	/* keys_dir itself does not exist yet: generate must create it. */
	snprintf(dir, sizeof(dir), "%s/keys", tmp);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	mh_keyring_free();
	nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(keys, .init = setup, .fini = teardown, .timeout = 120);

static void generate(char kid[64])
{
	cr_assert_eq(mh_keys_generate(dir, kid, 64, err, sizeof(err)), 0, "%s", err);
}

static void rotate(char kid[64])
{
	cr_assert_eq(mh_keys_rotate(dir, kid, 64, err, sizeof(err)), 0, "%s", err);
}

static mode_t mode_of(const char *name)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

static void key_path(char *out, size_t len, const char *kid, const char *suffix)
{
	snprintf(out, len, "%s/%s%s", dir, kid, suffix);
}

static void read_active(char *out, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/active", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(out, (int)len, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static void write_active(const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/active", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(keys, generate_creates_the_directory_and_files_with_tight_modes)
{
	char kid[64], active[64], name[128];
	regex_t re;
	struct tm tm = { 0 };
	time_t now = time(NULL);

	/* Whatever the umask, the directory is private. */
	umask(022);
	generate(kid);
	cr_assert_eq(mode_of(""), 0700);
	snprintf(name, sizeof(name), "%s.key.pem", kid);
	cr_assert_eq(mode_of(name), 0600);
	snprintf(name, sizeof(name), "%s.pub.pem", kid);
	cr_assert_eq(mode_of(name), 0644);

	cr_assert_eq(regcomp(&re, "^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$", REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_eq(regexec(&re, kid, 0, NULL, 0), 0, "kid %s", kid);
	regfree(&re);
	/* The kid is the UTC creation time, which is what makes it sortable. */
	cr_assert_not_null(strptime(kid, "%Y%m%dT%H%M%SZ", &tm));
	cr_assert(labs((long)(timegm(&tm) - now)) <= 5, "kid %s is not the current UTC time", kid);

	/* The first key of a directory becomes the active one. */
	read_active(active, sizeof(active));
	cr_assert_str_eq(active, kid);
}

Test(keys, a_restrictive_umask_does_not_hide_the_public_key)
{
	char kid[64], name[128];

	umask(077);
	generate(kid);
	umask(022);
	snprintf(name, sizeof(name), "%s.pub.pem", kid);
	cr_assert_eq(mode_of(name), 0644);
	snprintf(name, sizeof(name), "%s.key.pem", kid);
	cr_assert_eq(mode_of(name), 0600);
}

Test(keys, generate_leaves_an_existing_active_key_alone)
{
	char a[64], b[64], active[64];

	generate(a);
	generate(b);
	cr_assert_str_neq(a, b);
	read_active(active, sizeof(active));
	cr_assert_str_eq(active, a);
}

Test(keys, rotate_makes_the_new_key_active_and_keeps_the_old_one)
{
	char a[64], b[64], active[64];

	generate(a);
	rotate(b);
	read_active(active, sizeof(active));
	cr_assert_str_eq(active, b);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(mh_keyring_active_kid(), b);
	cr_assert_not_null(mh_keyring_public_key(a), "the old key must keep verifying");
	cr_assert_not_null(mh_keyring_public_key(b));
	cr_assert_null(mh_keyring_public_key("20000101T000000Z-0000"));
	/* The atomic replacement leaves no temporary file behind. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;

		cr_assert_not_null(d);
		while ((e = readdir(d)) != NULL)
			cr_assert_null(strstr(e->d_name, ".active"), "left %s", e->d_name);
		closedir(d);
	}
}

Test(keys, list_prints_every_key_in_order_and_marks_the_active_one)
{
	char a[64], b[64], line[256], expect[256];
	FILE *out = tmpfile();
	int lines = 0, marked = 0;

	generate(a);
	rotate(b);
	cr_assert_eq(mh_keys_list(dir, out, err, sizeof(err)), 0, "%s", err);
	rewind(out);
	while (fgets(line, sizeof(line), out) != NULL) {
		const char *first = strcmp(a, b) < 0 ? a : b, *second = first == a ? b : a;
		const char *kid = lines == 0 ? first : second;

		cr_assert_eq(strncmp(line, kid, strlen(kid)), 0, "line %s", line);
		snprintf(expect, sizeof(expect), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", kid, kid + 4,
			 kid + 6, kid + 9, kid + 11, kid + 13);
		cr_assert_not_null(strstr(line, expect), "no created time in %s", line);
		if (strstr(line, "active") != NULL) {
			marked++;
			cr_assert_str_eq(kid, b);
		}
		lines++;
	}
	fclose(out);
	cr_assert_eq(lines, 2);
	cr_assert_eq(marked, 1);
}

Test(keys, load_refuses_a_private_key_readable_by_group_or_others)
{
	static const mode_t too_open[] = { 0644, 0640, 0604, 0660, 0602 };
	char kid[64], path[1024];

	generate(kid);
	key_path(path, sizeof(path), kid, ".key.pem");
	for (size_t i = 0; i < sizeof(too_open) / sizeof(too_open[0]); i++) {
		cr_assert_eq(chmod(path, too_open[i]), 0);
		cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1, "mode %o accepted",
			     (unsigned)too_open[i]);
		cr_assert_not_null(strstr(err, path), "%s", err);
		cr_assert_not_null(strstr(err, "too open"), "%s", err);
		cr_assert_null(mh_keyring_active_kid());
	}
	/* Owner-only is fine, read-only or not. */
	cr_assert_eq(chmod(path, 0400), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(mh_keyring_active_kid(), kid);
}

Test(keys, a_failed_reload_keeps_the_current_keyring)
{
	char kid[64], path[1024];
	size_t len = 0;

	generate(kid);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	key_path(path, sizeof(path), kid, ".key.pem");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_str_eq(mh_keyring_active_kid(), kid);
	cr_assert_not_null(mh_keyring_active_private_pem(&len));
	cr_assert(len > 0);
	cr_assert_not_null(mh_keyring_public_key(kid));
}

Test(keys, load_refuses_an_empty_directory_and_a_missing_or_bad_active_file)
{
	char kid[64], path[1024];

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no keys"), "%s", err);

	generate(kid);
	snprintf(path, sizeof(path), "%s/active", dir);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "active"), "%s", err);

	write_active("20000101T000000Z-0000\n");
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1, "an unknown active kid loaded");
	write_active("../../etc/passwd\n");
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "does not hold a key id"), "%s", err);
	write_active("");
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);

	write_active(kid);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	mh_keyring_free();
	cr_assert_null(mh_keyring_active_kid());
	cr_assert_null(mh_keyring_public_key(kid));
}

Test(keys, load_refuses_a_private_key_that_does_not_match_its_public_key)
{
	char a[64], b[64], pa[1024], pb[1024];

	generate(a);
	generate(b);
	key_path(pa, sizeof(pa), a, ".key.pem");
	key_path(pb, sizeof(pb), b, ".key.pem");
	cr_assert_eq(rename(pb, pa), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "is not the private key"), "%s", err);

	key_path(pa, sizeof(pa), a, ".key.pem");
	cr_assert_eq(unlink(pa), 0);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, pa), "%s", err);
}

/* Strict base64url decoding for the test's own use. */
static BIGNUM *b64url_bn(const char *s)
{
	size_t len = strlen(s), n = 0;
	unsigned char *bin = malloc(len);
	unsigned acc = 0;
	int bits = 0;
	BIGNUM *bn;

	for (size_t i = 0; i < len; i++) {
		const char *alpha =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = strchr(alpha, s[i]);

		cr_assert(p != NULL && s[i] != '\0', "bad base64url character in %s", s);
		acc = (acc << 6 | (unsigned)(p - alpha)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bin[n++] = (unsigned char)(acc >> bits);
		}
	}
	bn = BN_bin2bn(bin, (int)n, NULL);
	free(bin);
	return bn;
}

static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
	BIGNUM *n = b64url_bn(n64), *e = b64url_bn(e64);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;

	cr_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	cr_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

Test(keys, jwks_publishes_every_key_with_n_and_e_that_round_trip)
{
	char a[64], b[64];
	struct mh_arena arena;
	struct mh_buf buf;
	struct json_object *doc, *keys;
	const char *text;

	generate(a);
	rotate(b);
	cr_assert_eq(mh_keyring_load(dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_arena_init(&arena, 4096), 0);
	mh_buf_init(&buf, &arena, 256);
	mh_keyring_jwks(&buf);
	text = mh_buf_cstr(&buf);
	cr_assert_not_null(text);
	doc = json_tokener_parse(text);
	cr_assert_not_null(doc, "JWKS is not JSON: %s", text);
	cr_assert(json_object_object_get_ex(doc, "keys", &keys));
	cr_assert_eq(json_object_array_length(keys), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *k = json_object_array_get_idx(keys, i), *v;
		const char *kid, *n, *e;
		EVP_PKEY *pub;

		cr_assert_eq(json_object_object_length(k), 6);
		cr_assert(json_object_object_get_ex(k, "kty", &v));
		cr_assert_str_eq(json_object_get_string(v), "RSA");
		cr_assert(json_object_object_get_ex(k, "use", &v));
		cr_assert_str_eq(json_object_get_string(v), "sig");
		cr_assert(json_object_object_get_ex(k, "alg", &v));
		cr_assert_str_eq(json_object_get_string(v), "RS256");
		cr_assert(json_object_object_get_ex(k, "kid", &v));
		kid = json_object_get_string(v);
		cr_assert(strcmp(kid, a) == 0 || strcmp(kid, b) == 0, "kid %s", kid);
		cr_assert(json_object_object_get_ex(k, "n", &v));
		n = json_object_get_string(v);
		cr_assert(json_object_object_get_ex(k, "e", &v));
		e = json_object_get_string(v);
		/* RFC 7518: unpadded base64url of the unsigned big-endian value. */
		cr_assert_eq(strcspn(n, "=+/"), strlen(n), "n is not unpadded base64url");
		cr_assert_eq(strlen(n), 512, "a 3072-bit modulus is 384 bytes");
		cr_assert_str_eq(e, "AQAB");

		pub = rsa_from_jwk(n, e);
		cr_assert_eq(EVP_PKEY_eq(pub, mh_keyring_public_key(kid)), 1,
			     "n/e of %s do not rebuild its public key", kid);
		EVP_PKEY_free(pub);
	}
	json_object_put(doc);
	mh_arena_destroy(&arena);
}
