/* keys.c - RS256 key pairs on disk and the in-memory keyring tokens are verified with. */
#include "core/keys.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#define KEY_BITS 3072
/* "20261124T101530Z-3f9a" */
#define KID_LEN 21
/* Each key lives as long as the tokens it signed (minutes), so a directory
 * holding more than this is one nobody prunes; refuse rather than guess. */
#define KEYRING_MAX 64
/* A PEM RSA key of any sane size is a few KiB. */
#define PEM_MAX (64 * 1024)

struct keyring_entry {
	char kid[KID_LEN + 1];
	EVP_PKEY *pkey;
	char *n; /* base64url modulus, for the JWKS */
	char *e; /* base64url public exponent */
};

struct keyring {
	struct keyring_entry keys[KEYRING_MAX];
	size_t count;
	char active[KID_LEN + 1];
	char *private_pem;
	size_t private_len;
};

static struct keyring ring;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int kid_valid(const char *s, size_t len);
static int kid_from_pub_name(const char *name, char kid[KID_LEN + 1]);
static int make_kid(char kid[KID_LEN + 1]);
static int ensure_dir(const char *dir, char *err, size_t errlen);
static int write_new_file(const char *path, mode_t mode, const char *data, size_t len);
static int write_pem_files(const char *dir, const char *kid, EVP_PKEY *pkey, char *err,
			   size_t errlen);
static int read_active(const char *dir, char kid[KID_LEN + 1], char *err, size_t errlen);
static int set_active(const char *dir, const char *kid, char *err, size_t errlen);
static int list_kids(const char *dir, char (*kids)[KID_LEN + 1], size_t max, size_t *count,
		     char *err, size_t errlen);
static char *read_small_file(int fd, size_t *len);
static char *b64url_bn(const BIGNUM *bn);
static int load_public(const char *dir, struct keyring_entry *e, char *err, size_t errlen);
static int load_private(const char *dir, struct keyring *r, char *err, size_t errlen);
static void keyring_clear(struct keyring *r);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The shape is checked everywhere a kid comes from outside (file names, the
 * "active" file, token headers), so a kid can never smuggle a path. */
static int kid_valid(const char *s, size_t len)
{
	static const char shape[] = "ddddddddTddddddZ-xxxx";

	if (len != KID_LEN)
		return 0;
	for (size_t i = 0; i < KID_LEN; i++) {
		char c = s[i];

		switch (shape[i]) {
		case 'd':
			if (c < '0' || c > '9')
				return 0;
			break;
		case 'x':
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return 0;
			break;
		default:
			if (c != shape[i])
				return 0;
		}
	}
	return 1;
}

static int kid_from_pub_name(const char *name, char kid[KID_LEN + 1])
{
	if (strlen(name) != KID_LEN + strlen(".pub.pem") ||
	    strcmp(name + KID_LEN, ".pub.pem") != 0 || !kid_valid(name, KID_LEN))
		return 0;
	memcpy(kid, name, KID_LEN);
	kid[KID_LEN] = '\0';
	return 1;
}

/* UTC time first so that sorting kids sorts keys by age; the random suffix
 * keeps two keys made in the same second apart. */
static int make_kid(char kid[KID_LEN + 1])
{
	unsigned char rnd[2];
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	if (strftime(kid, KID_LEN + 1, "%Y%m%dT%H%M%SZ-", &tm) != KID_LEN - 4)
		return -1;
	snprintf(kid + KID_LEN - 4, 5, "%02x%02x", rnd[0], rnd[1]);
	return 0;
}

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		set_err(err, errlen, "keys_dir %s is not a directory", dir);
		return -1;
	}
	set_err(err, errlen, "cannot create keys_dir %s: %s", dir, strerror(errno));
	return -1;
}

/* O_EXCL: a key file is never overwritten, whatever happens. fchmod because
 * the umask may have narrowed the public key's mode (never widened). */
static int write_new_file(const char *path, mode_t mode, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t off = 0;
	int saved;

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	saved = errno;
	close(fd);
	unlink(path);
	errno = saved;
	return -1;
}

static int write_pem_files(const char *dir, const char *kid, EVP_PKEY *pkey, char *err,
			   size_t errlen)
{
	char priv_path[1024], pub_path[1024];
	BIO *priv = BIO_new(BIO_s_secmem()), *pub = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	snprintf(priv_path, sizeof(priv_path), "%s/%s.key.pem", dir, kid);
	snprintf(pub_path, sizeof(pub_path), "%s/%s.pub.pem", dir, kid);
	if (priv == NULL || pub == NULL ||
	    PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, pkey) != 1) {
		set_err(err, errlen, "cannot encode the new key as PEM");
		goto out;
	}
	/* The private half first: a public key without its private key would be
	 * published but could never sign. */
	len = BIO_get_mem_data(priv, &data);
	if (write_new_file(priv_path, 0600, data, (size_t)len) < 0) {
		set_err(err, errlen, "cannot write %s: %s", priv_path, strerror(errno));
		goto out;
	}
	len = BIO_get_mem_data(pub, &data);
	if (write_new_file(pub_path, 0644, data, (size_t)len) < 0) {
		set_err(err, errlen, "cannot write %s: %s", pub_path, strerror(errno));
		unlink(priv_path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(priv);
	BIO_free(pub);
	return rc;
}

int mh_keys_generate(const char *dir, char *kid, size_t kidlen, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	char id[KID_LEN + 1], path[1024];
	int rc = -1;

	if (kidlen < KID_LEN + 1) {
		set_err(err, errlen, "kid buffer too small");
		return -1;
	}
	if (ensure_dir(dir, err, errlen) < 0)
		return -1;
	pkey = EVP_RSA_gen(KEY_BITS);
	if (pkey == NULL) {
		set_err(err, errlen, "RSA-%d key generation failed", KEY_BITS);
		return -1;
	}
	/* A kid collision (same second, same 16 random bits) is retried rather
	 * than overwriting: O_EXCL in write_pem_files is the real guard. */
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat st;

		if (make_kid(id) < 0) {
			set_err(err, errlen, "cannot make a key id");
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s.pub.pem", dir, id);
		if (stat(path, &st) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.key.pem", dir, id);
		if (stat(path, &st) == 0)
			continue;
		if (write_pem_files(dir, id, pkey, err, errlen) < 0)
			goto out;
		snprintf(kid, kidlen, "%s", id);
		rc = 0;
		/* A directory's first key has nothing to rotate from; without
		 * this, `keys generate` on a fresh install leaves no usable ring. */
		snprintf(path, sizeof(path), "%s/active", dir);
		if (access(path, F_OK) < 0 && errno == ENOENT)
			rc = set_active(dir, id, err, errlen);
		goto out;
	}
	set_err(err, errlen, "cannot find an unused key id in %s", dir);
out:
	EVP_PKEY_free(pkey);
	return rc;
}

/* The active kid as written by set_active; anything else is an error, since
 * the file decides which key signs every token. */
static int read_active(const char *dir, char kid[KID_LEN + 1], char *err, size_t errlen)
{
	char path[1024], buf[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/active", dir);
	f = fopen(path, "re");
	if (f == NULL) {
		set_err(err, errlen, "no active key: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	if (!kid_valid(buf, n)) {
		set_err(err, errlen, "%s does not hold a key id", path);
		return -1;
	}
	memcpy(kid, buf, KID_LEN);
	kid[KID_LEN] = '\0';
	return 0;
}

/* Write a temporary file and rename it over "active", so a reader (a reload
 * racing a rotation) sees the old kid or the new one, never a torn write. */
static int set_active(const char *dir, const char *kid, char *err, size_t errlen)
{
	char tmp[1024], path[1024], line[KID_LEN + 2];
	int fd, dfd;
	size_t len = (size_t)snprintf(line, sizeof(line), "%s\n", kid);

	snprintf(tmp, sizeof(tmp), "%s/.active.XXXXXX", dir);
	snprintf(path, sizeof(path), "%s/active", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		set_err(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || write(fd, line, len) != (ssize_t)len || fsync(fd) < 0) {
		set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* Make the rename itself durable. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int mh_keys_rotate(const char *dir, char *kid, size_t kidlen, char *err, size_t errlen)
{
	if (mh_keys_generate(dir, kid, kidlen, err, errlen) < 0)
		return -1;
	return set_active(dir, kid, err, errlen);
}

static int by_kid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int list_kids(const char *dir, char (*kids)[KID_LEN + 1], size_t max, size_t *count,
		     char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*count = 0;
	if (d == NULL) {
		set_err(err, errlen, "cannot open keys_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char kid[KID_LEN + 1];

		if (!kid_from_pub_name(e->d_name, kid))
			continue;
		if (*count == max) {
			closedir(d);
			set_err(err, errlen, "more than %zu keys in %s: prune old ones", max, dir);
			return -1;
		}
		memcpy(kids[(*count)++], kid, sizeof(kid));
	}
	closedir(d);
	qsort(kids, *count, sizeof(kids[0]), by_kid);
	return 0;
}

int mh_keys_list(const char *dir, FILE *out, char *err, size_t errlen)
{
	char kids[KEYRING_MAX][KID_LEN + 1], active[KID_LEN + 1] = "";
	char scratch[8];
	size_t count;

	if (list_kids(dir, kids, KEYRING_MAX, &count, err, errlen) < 0)
		return -1;
	/* A directory without an active key can still be listed. */
	if (read_active(dir, active, scratch, sizeof(scratch)) < 0)
		active[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const char *k = kids[i];

		/* The kid is the creation time, so no file timestamp can lie. */
		fprintf(out, "%s  %.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ%s\n", k, k, k + 4, k + 6, k + 9,
			k + 11, k + 13, strcmp(k, active) == 0 ? "  active" : "");
	}
	if (ferror(out)) {
		set_err(err, errlen, "cannot write the key list");
		return -1;
	}
	return 0;
}

static char *read_small_file(int fd, size_t *len)
{
	char *buf = malloc(PEM_MAX + 1);
	size_t off = 0;

	if (buf == NULL)
		return NULL;
	for (;;) {
		ssize_t r = read(fd, buf + off, PEM_MAX - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && off == 0) || (r > 0 && off + (size_t)r == PEM_MAX)) {
			OPENSSL_clear_free(buf, PEM_MAX + 1);
			return NULL;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* Unpadded base64url of the big-endian magnitude, as RFC 7518 wants n and e. */
static char *b64url_bn(const BIGNUM *bn)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int n = BN_num_bytes(bn);
	unsigned char *bin;
	char *out, *o;
	int i;

	if (n <= 0)
		return NULL;
	bin = malloc((size_t)n);
	out = malloc((size_t)n / 3 * 4 + 5);
	if (bin == NULL || out == NULL || BN_bn2bin(bn, bin) != n) {
		free(bin);
		free(out);
		return NULL;
	}
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)bin[i] << 16 | (unsigned)bin[i + 1] << 8 | bin[i + 2];

		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (n - i == 1) {
		*o++ = alphabet[bin[i] >> 2];
		*o++ = alphabet[(bin[i] & 3) << 4];
	} else if (n - i == 2) {
		unsigned v = (unsigned)bin[i] << 8 | bin[i + 1];

		*o++ = alphabet[v >> 10 & 63];
		*o++ = alphabet[v >> 4 & 63];
		*o++ = alphabet[(v & 15) << 2];
	}
	*o = '\0';
	free(bin);
	return out;
}

static int load_public(const char *dir, struct keyring_entry *e, char *err, size_t errlen)
{
	char path[1024];
	BIGNUM *n = NULL, *ex = NULL;
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s.pub.pem", dir, e->kid);
	f = fopen(path, "re");
	if (f == NULL) {
		set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	e->pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	/* Verification is RS256 only; any other key type here is a mistake. */
	if (e->pkey == NULL || !EVP_PKEY_is_a(e->pkey, "RSA") ||
	    EVP_PKEY_get_bits(e->pkey) < 2048) {
		set_err(err, errlen, "%s is not an RSA public key of at least 2048 bits", path);
		goto out;
	}
	if (EVP_PKEY_get_bn_param(e->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(e->pkey, OSSL_PKEY_PARAM_RSA_E, &ex) != 1 ||
	    (e->n = b64url_bn(n)) == NULL || (e->e = b64url_bn(ex)) == NULL) {
		set_err(err, errlen, "cannot read the modulus and exponent of %s", path);
		goto out;
	}
	rc = 0;
out:
	BN_free(n);
	BN_free(ex);
	return rc;
}

/* The PEM stays in memory because libjwt wants it for every signature; the
 * parse here only proves it is the private half of the published key. */
static int load_private(const char *dir, struct keyring *r, char *err, size_t errlen)
{
	char path[1024];
	struct stat st;
	EVP_PKEY *pub = NULL, *priv = NULL;
	BIO *bio = NULL;
	int fd, rc = -1;

	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->keys[i].kid, r->active) == 0)
			pub = r->keys[i].pkey;
	snprintf(path, sizeof(path), "%s/%s.key.pem", dir, r->active);
	if (pub == NULL) {
		set_err(err, errlen, "the active key %s has no public key %s/%s.pub.pem", r->active,
			dir, r->active);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		set_err(err, errlen, "cannot open the active private key %s: %s", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	/* Anyone else who can read the key can mint tokens for every tenant. */
	if (st.st_mode & 077) {
		set_err(err, errlen, "private key %s is too open (mode %04o): it must not be "
				     "accessible by group or others (chmod 600)",
			path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	r->private_pem = read_small_file(fd, &r->private_len);
	if (r->private_pem == NULL) {
		set_err(err, errlen, "cannot read %s", path);
		goto out;
	}
	bio = BIO_new_mem_buf(r->private_pem, (int)r->private_len);
	priv = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (priv == NULL || EVP_PKEY_eq(priv, pub) != 1) {
		set_err(err, errlen, "%s is not the private key of %s/%s.pub.pem", path, dir,
			r->active);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(priv);
	BIO_free(bio);
	close(fd);
	return rc;
}

static void keyring_clear(struct keyring *r)
{
	for (size_t i = 0; i < r->count; i++) {
		EVP_PKEY_free(r->keys[i].pkey);
		free(r->keys[i].n);
		free(r->keys[i].e);
	}
	if (r->private_pem != NULL)
		OPENSSL_clear_free(r->private_pem, PEM_MAX + 1);
	memset(r, 0, sizeof(*r));
}

int mh_keyring_load(const char *dir, char *err, size_t errlen)
{
	struct keyring fresh;
	char kids[KEYRING_MAX][KID_LEN + 1];
	size_t count;

	/* Built aside and swapped in only when complete: a failed reload keeps
	 * the keyring the workers are already using. */
	memset(&fresh, 0, sizeof(fresh));
	if (list_kids(dir, kids, KEYRING_MAX, &count, err, errlen) < 0)
		return -1;
	if (count == 0) {
		set_err(err, errlen, "no keys in %s: run `menhir keys rotate`", dir);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		memcpy(fresh.keys[i].kid, kids[i], KID_LEN + 1);
		fresh.count = i + 1;
		if (load_public(dir, &fresh.keys[i], err, errlen) < 0)
			goto fail;
	}
	if (read_active(dir, fresh.active, err, errlen) < 0 ||
	    load_private(dir, &fresh, err, errlen) < 0)
		goto fail;
	keyring_clear(&ring);
	ring = fresh;
	return 0;
fail:
	keyring_clear(&fresh);
	return -1;
}

void mh_keyring_free(void)
{
	keyring_clear(&ring);
}

const char *mh_keyring_active_kid(void)
{
	return ring.private_pem != NULL ? ring.active : NULL;
}

const char *mh_keyring_active_private_pem(size_t *len)
{
	if (ring.private_pem == NULL)
		return NULL;
	if (len != NULL)
		*len = ring.private_len;
	return ring.private_pem;
}

void *mh_keyring_public_key(const char *kid)
{
	for (size_t i = 0; i < ring.count; i++)
		if (strcmp(ring.keys[i].kid, kid) == 0)
			return ring.keys[i].pkey;
	return NULL;
}

void mh_keyring_jwks(struct mh_buf *b)
{
	mh_buf_puts(b, "{\"keys\":[");
	for (size_t i = 0; i < ring.count; i++) {
		const struct keyring_entry *e = &ring.keys[i];

		/* kid, n and e are [A-Za-z0-9_-] only: nothing to escape. */
		mh_buf_printf(b,
			      "%s{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"RS256\","
			      "\"n\":\"%s\",\"e\":\"%s\"}",
			      i > 0 ? "," : "", e->kid, e->n, e->e);
	}
	mh_buf_puts(b, "]}");
}
