/* apikey_use.c - what happens around a key's use: auditing a revoked key that was
 * presented, and gathering each key's last use in a worker to write them in batches. */
#include "core/apikey.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/log.h"
#include "core/scoreboard.h"

/* The client address when it is one (the audit column is inet), else "". */
static const char *address_or_empty(const char *addr)
{
	unsigned char buf[16];

	if (addr != NULL &&
	    (inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1))
		return addr;
	return "";
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
	p[2] = address_or_empty(req->remote_addr);
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
