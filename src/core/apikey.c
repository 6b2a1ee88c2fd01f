/* apikey.c - API keys as bearer credentials: the secret's format, what a presented key
 * names before any round trip, and the batched record of each key's last use. */
#include "core/apikey.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/cursor.h"
#include "core/db.h"
#include "core/log.h"
#include "core/scoreboard.h"

#define RAW_LEN 64 /* tenant id, key id, secret */

/* ---- Format ---------------------------------------------------------------------------------- */

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict base64url of exactly RAW_LEN bytes (86 characters, no padding, the unused low
 * bits of the last character zero, so that each key has one spelling). */
static int decode_raw(const char *s, unsigned char out[RAW_LEN])
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < MH_APIKEY_LEN - 4; i++) {
		int v = b64url_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == RAW_LEN && acc == 0 ? 0 : -1;
}

static char *uuid_text(struct mh_arena *a, const unsigned char b[16])
{
	return mh_arena_sprintf(a,
	                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                        "%02x%02x%02x%02x%02x%02x",
	                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	                        b[11], b[12], b[13], b[14], b[15]);
}

static int uuid_bytes(const char *s, unsigned char b[16])
{
	size_t o = 0;

	if (!mh_is_uuid(s))
		return -1;
	for (size_t i = 0; s[i] && o < 16; i++) {
		unsigned v;

		if (s[i] == '-')
			continue;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		b[o++] = (unsigned char)v;
		i++;
	}
	return o == 16 ? 0 : -1;
}

/* "\x" and the lower-case hex SHA-256 of s: a bytea parameter. */
static char *hash_param(struct mh_arena *a, const char *s)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *out = mh_arena_alloc(a, 2 + 2 * sizeof(d) + 1);

	if (out == NULL)
		return NULL;
	SHA256((const unsigned char *)s, strlen(s), d);
	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", d[i]);
	return out;
}

int mh_apikey_make(struct mh_arena *a, const char *tenant_id, struct mh_apikey_new *out)
{
	unsigned char raw[RAW_LEN];
	char *b64;

	if (uuid_bytes(tenant_id, raw) < 0 || RAND_bytes(raw + 16, RAW_LEN - 16) != 1)
		return -1;
	raw[16 + 6] = (unsigned char)((raw[16 + 6] & 0x0f) | 0x40); /* a version 4 UUID */
	raw[16 + 8] = (unsigned char)((raw[16 + 8] & 0x3f) | 0x80);
	b64 = mh_base64url_encode(a, raw, sizeof(raw));
	out->id = uuid_text(a, raw + 16);
	OPENSSL_cleanse(raw, sizeof(raw));
	out->secret = b64 ? mh_arena_sprintf(a, MH_APIKEY_PREFIX "%s", b64) : NULL;
	if (out->secret == NULL || out->id == NULL || strlen(out->secret) != MH_APIKEY_LEN)
		return -1;
	out->hash_param = hash_param(a, out->secret);
	out->last_four = mh_arena_strdup(a, out->secret + MH_APIKEY_LEN - 4);
	return out->hash_param && out->last_four ? 0 : -1;
}

int mh_apikey_is_key(const char *credential)
{
	return strncmp(credential, MH_APIKEY_PREFIX, sizeof(MH_APIKEY_PREFIX) - 1) == 0;
}

int mh_apikey_parse(struct mh_arena *a, const char *credential, struct mh_principal *p)
{
	unsigned char raw[RAW_LEN];

	if (strlen(credential) != MH_APIKEY_LEN || !mh_apikey_is_key(credential) ||
	    decode_raw(credential + 4, raw) < 0)
		return -1;
	p->tenant_id = uuid_text(a, raw);
	p->api_key_id = uuid_text(a, raw + 16);
	OPENSSL_cleanse(raw, sizeof(raw));
	p->api_key_hash = hash_param(a, credential);
	return p->tenant_id && p->api_key_id && p->api_key_hash ? 0 : -1;
}

void mh_apikey_audit_refused(struct mh_request *req)
{
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 4);
	struct mh_request audit;
	struct mh_tx tx;

	if (p == NULL)
		return;
	p[0] = req->principal.tenant_id;
	p[1] = req->principal.api_key_id;
	p[2] = req->remote_addr ? req->remote_addr : "";
	p[3] = req->request_id ? req->request_id : "";
	/* Outside any context: the key names a tenant it may no longer act in. */
	memset(&audit, 0, sizeof(audit));
	audit.arena = req->arena;
	audit.request_id = req->request_id;
	if (mh_tx_begin(&tx, &audit, MH_TX_READ_WRITE) == MH_DB_OK) {
		mh_tx_query(&tx, "mh_key_refused", p, 4);
		if (mh_tx_commit(&tx) != MH_DB_OK)
			mh_log(MH_LOG_WARN, "audit_failed", "request %s: %s", req->request_id,
			       tx.error ? tx.error : "database unavailable");
	}
	req->db_round_trips += audit.db_round_trips;
}

/* ---- Last use, batched ----------------------------------------------------------------------- */

/* Keys one worker saw since its last write. A worker serves one request at a time, so no
 * lock; a full table is written early rather than growing. */
#define USE_SLOTS 64

static struct {
	char id[37];
	long long at; /* unix seconds */
} uses[USE_SLOTS];
static int nuses;
static int touch_interval_s = 60;
static int64_t first_pending_us;

void mh_apikey_configure(int touch_interval)
{
	touch_interval_s = touch_interval > 0 ? touch_interval : 1;
}

void mh_apikey_note_use(const char *key_id)
{
	long long now = (long long)time(NULL);
	int i;

	for (i = 0; i < nuses; i++)
		if (strcmp(uses[i].id, key_id) == 0)
			break;
	if (i == USE_SLOTS)
		return; /* full: flush_wait says "now", and the next use is recorded after */
	if (i == nuses) {
		if (nuses == 0)
			first_pending_us = mh_now_us();
		snprintf(uses[i].id, sizeof(uses[i].id), "%s", key_id);
		nuses++;
	}
	uses[i].at = now;
}

int mh_apikey_flush_wait_ms(void)
{
	int64_t due, now;

	if (nuses == 0)
		return -1;
	if (nuses == USE_SLOTS)
		return 0;
	due = first_pending_us + (int64_t)touch_interval_s * 1000000;
	now = mh_now_us();
	return due <= now ? 0 : (int)((due - now + 999) / 1000);
}

void mh_apikey_flush(struct mh_arena *a, int force)
{
	struct mh_request req;
	struct mh_buf ids, times;
	struct mh_tx tx;
	const char **p;

	if (nuses == 0 || (!force && mh_apikey_flush_wait_ms() > 0))
		return;
	memset(&req, 0, sizeof(req));
	req.arena = a;
	req.request_id = "api-key-touch";
	p = mh_arena_alloc(a, sizeof(*p) * 2);
	if (p == NULL)
		return;
	mh_buf_init(&ids, a, 64 * (size_t)nuses);
	mh_buf_init(&times, a, 16 * (size_t)nuses);
	mh_buf_putc(&ids, '{');
	mh_buf_putc(&times, '{');
	for (int i = 0; i < nuses; i++) {
		if (i > 0) {
			mh_buf_putc(&ids, ',');
			mh_buf_putc(&times, ',');
		}
		mh_buf_puts(&ids, uses[i].id);
		mh_buf_printf(&times, "%lld", uses[i].at);
	}
	mh_buf_putc(&ids, '}');
	mh_buf_putc(&times, '}');
	if (ids.failed || times.failed)
		return;
	p[0] = mh_buf_cstr(&ids);
	p[1] = mh_buf_cstr(&times);
	/* Dropped whatever happens: a time that could not be written is only a hint, and
	 * retrying it on every request while the database is down would cost each one. */
	nuses = 0;
	if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) != MH_DB_OK)
		return;
	mh_tx_query(&tx, "mh_keys_touch", p, 2);
	if (mh_tx_commit(&tx) != MH_DB_OK)
		mh_log(MH_LOG_WARN, "api_key_touch_failed", "%s",
		       tx.error ? tx.error : "database unavailable");
}
