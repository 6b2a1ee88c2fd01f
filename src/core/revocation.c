/* revocation.c - access tokens that must stop working before they expire. */
#include "core/revocation.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/log.h"
#include "core/redis.h"
#include "core/scoreboard.h"

#define CHANNEL "mh:revocations"
/* Entries live at most one token lifetime; this holds far more revocations
 * than logouts a deployment sees in that time. A full table fails closed. */
#define TABLE_SLOTS (1u << 18)
#define MAX_PROBE 64
#define RESYNC_INTERVAL_US (60 * 1000000LL)
#define RECONNECT_INTERVAL_US 1000000LL
/* A subscription sees no traffic when nobody logs out, so silence proves
 * nothing: the master pings through it and gives up on a connection that
 * stays silent, e.g. behind a network partition. */
#define HEARTBEAT_INTERVAL_US (2 * 1000000LL)
#define HEARTBEAT_TIMEOUT_US (6 * 1000000LL)

enum kind { KIND_TOKEN = 1, KIND_MIN_VERSION = 2, KIND_SESSION = 3, KIND_GENERATION = 4 };

struct entry {
	_Atomic uint64_t key; /* 0 = empty; written last, so readers see whole entries */
	_Atomic int64_t value;
	_Atomic int64_t expires; /* unix seconds */
};

/*
 * Open addressing without deletion: inserts only ever add keys, which readers
 * tolerate without locking. Expired entries are dropped by rebuilding the
 * table in place under a seqlock (odd while rebuilding), which readers check
 * around their lookup and retry.
 */
struct table {
	atomic_flag write_lock;
	_Atomic uint64_t seq;
	_Atomic int healthy; /* the master's view matches Redis */
	/* Since when Redis holds every revocation (unix seconds, mh:rv:since): a Redis that
	 * restarted without its data, or was flushed, remembers nothing older. */
	_Atomic int64_t history_since;
	_Atomic int full;
	_Atomic uint32_t used;
	struct entry slots[TABLE_SLOTS];
};

static struct table *table;
static int record_ttl = 900 + 60;

/* Master-only state. */
static redisContext *sub_ctx;
static int64_t next_connect_us, next_resync_us, next_ping_us, last_heard_us;

int mh_revocation_init(void)
{
	void *p;

	if (table != NULL)
		return 0;
	p = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	table = p;
	atomic_flag_clear(&table->write_lock);
	return 0;
}

void mh_revocation_configure(int access_token_ttl)
{
	record_ttl = access_token_ttl + 60;
}

/* FNV-1a over kind and id; 0 is reserved for "empty". */
static uint64_t key_of(enum kind kind, const char *id)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

static void lock(void)
{
	while (atomic_flag_test_and_set_explicit(&table->write_lock, memory_order_acquire))
		;
}

static void unlock(void)
{
	atomic_flag_clear_explicit(&table->write_lock, memory_order_release);
}

/* Inserts or raises (value and expiry only ever grow). Caller holds the lock. */
static void put_locked(uint64_t key, int64_t value, int64_t expires)
{
	uint32_t i = (uint32_t)key & (TABLE_SLOTS - 1);

	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (TABLE_SLOTS - 1)) {
		struct entry *e = &table->slots[i];
		uint64_t k = atomic_load_explicit(&e->key, memory_order_relaxed);

		if (k == key) {
			if (value > atomic_load(&e->value))
				atomic_store(&e->value, value);
			if (expires > atomic_load(&e->expires))
				atomic_store(&e->expires, expires);
			return;
		}
		if (k == 0) {
			atomic_store_explicit(&e->value, value, memory_order_relaxed);
			atomic_store_explicit(&e->expires, expires, memory_order_relaxed);
			atomic_store_explicit(&e->key, key, memory_order_release);
			atomic_fetch_add(&table->used, 1);
			return;
		}
	}
	/* No room on this probe chain: the table cannot vouch for anything. */
	atomic_store(&table->full, 1);
}

static void put(enum kind kind, const char *id, int64_t value, int64_t expires)
{
	lock();
	put_locked(key_of(kind, id), value, expires);
	unlock();
}

/* Returns 1 and the value when a live entry exists. */
static int get(uint64_t key, int64_t now, int64_t *value)
{
	uint32_t i = (uint32_t)key & (TABLE_SLOTS - 1);

	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (TABLE_SLOTS - 1)) {
		struct entry *e = &table->slots[i];
		uint64_t k = atomic_load_explicit(&e->key, memory_order_acquire);

		if (k == 0)
			return 0;
		if (k == key) {
			*value = atomic_load_explicit(&e->value, memory_order_relaxed);
			return atomic_load_explicit(&e->expires, memory_order_relaxed) >= now;
		}
	}
	return 0;
}

int mh_revocation_check(const char *jti, const char *sid, const char *user_id,
                        long long token_version, long long issued_at)
{
	int64_t now = (int64_t)time(NULL), v;
	uint64_t seq;
	int revoked;

	if (table == NULL || !atomic_load(&table->healthy) || atomic_load(&table->full))
		return MH_REVOCATION_UNKNOWN;
	/* Issued before Redis's memory starts (or in that same second, which cannot tell): a
	 * revocation of it may have been lost. */
	if (issued_at <= atomic_load(&table->history_since))
		return MH_REVOCATION_UNKNOWN;
	do {
		seq = atomic_load_explicit(&table->seq, memory_order_acquire);
		if (seq & 1)
			continue;
		revoked = get(key_of(KIND_TOKEN, jti), now, &v) ||
			  get(key_of(KIND_SESSION, sid), now, &v) ||
			  (get(key_of(KIND_MIN_VERSION, user_id), now, &v) && token_version < v);
		atomic_thread_fence(memory_order_acquire);
	} while ((seq & 1) || seq != atomic_load_explicit(&table->seq, memory_order_relaxed));
	return revoked ? MH_TOKEN_REVOKED : MH_TOKEN_VALID;
}

/* Writes the record and the event in one round trip; both must succeed. */
static int record(struct mh_request *req, const char *set_fmt, const char *id, long long value,
		  long long ttl, const char *event)
{
	redisReply *set, *pub;

	if (mh_redis_append(set_fmt, id, value, ttl) < 0 ||
	    mh_redis_append("PUBLISH " CHANNEL " %s", event) < 0)
		return -1;
	set = mh_redis_reply(req);
	pub = set ? mh_redis_reply(req) : NULL;
	return set != NULL && pub != NULL ? 0 : -1;
}

int mh_revocation_revoke_token(struct mh_request *req, const char *jti, long long expires_at)
{
	long long ttl = expires_at - (long long)time(NULL) + 60;
	char event[128];

	if (ttl < 1)
		return 0; /* already expired: nothing can use it */
	snprintf(event, sizeof(event), "t %s 1 %lld", jti, expires_at + 60);
	if (record(req, "SET mh:rj:%s %lld EX %lld", jti, 1, ttl, event) < 0)
		return -1;
	if (table != NULL)
		put(KIND_TOKEN, jti, 1, expires_at + 60);
	return 0;
}

int mh_revocation_revoke_session(struct mh_request *req, const char *sid)
{
	long long expires = (long long)time(NULL) + record_ttl;
	char event[128];

	/* One access-token lifetime plus a minute: longer than any token issued before now
	 * can live, clock leeway included. */
	snprintf(event, sizeof(event), "s %s 1 %lld", sid, expires);
	if (record(req, "SET mh:rs:%s %lld EX %lld", sid, 1, record_ttl, event) < 0)
		return -1;
	if (table != NULL)
		put(KIND_SESSION, sid, 1, expires);
	return 0;
}

int mh_revocation_set_min_version(struct mh_request *req, const char *user_id,
				  long long min_version)
{
	long long expires = (long long)time(NULL) + record_ttl;
	char event[128];

	/* A plain SET: versions only grow in PostgreSQL, and the table keeps the
	 * highest it has seen, so a late, lower write cannot lower the bar. */
	snprintf(event, sizeof(event), "v %s %lld %lld", user_id, min_version, expires);
	if (record(req, "SET mh:tv:%s %lld EX %lld", user_id, min_version, record_ttl, event) < 0)
		return -1;
	if (table != NULL)
		put(KIND_MIN_VERSION, user_id, min_version, expires);
	return 0;
}

int mh_revocation_vouches(void)
{
	return table != NULL && atomic_load(&table->healthy) && !atomic_load(&table->full);
}

long long mh_revocation_generation(const char *name)
{
	int64_t v = 0;

	if (table == NULL || !get(key_of(KIND_GENERATION, name), (int64_t)time(NULL), &v))
		return 0;
	return v;
}

/* The new value, its expiry and the event in one atomic step, so the event carries the value
 * it set. The value is the old one plus one, or Redis's clock in milliseconds if that is
 * more: it keeps growing after the key expired, because a machine's table never lowers a
 * value it holds (put_locked). */
static struct mh_redis_script bump_script = {
        .source = "local t = redis.call('TIME') "
                  "local v = math.max((tonumber(redis.call('GET', KEYS[1])) or 0) + 1,"
                  " tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) "
                  "redis.call('SET', KEYS[1], v, 'EX', ARGV[1]) "
                  "redis.call('PUBLISH', ARGV[2], 'g ' .. ARGV[3] .. ' ' .. v .. ' ' .. ARGV[4]) "
                  "return v",
};

int mh_revocation_bump_generation(struct mh_request *req, const char *name, int ttl_seconds)
{
	long long expires = (long long)time(NULL) + ttl_seconds;
	char key[96], ttl[24], exp[24];
	const char *args[] = {"1", key, ttl, CHANNEL, name, exp};
	redisReply *r;

	if (strlen(name) > 63 || strpbrk(name, " \r\n") != NULL || ttl_seconds < 1)
		return -1;
	snprintf(key, sizeof(key), "mh:rg:%s", name);
	snprintf(ttl, sizeof(ttl), "%d", ttl_seconds);
	snprintf(exp, sizeof(exp), "%lld", expires);
	r = mh_redis_script_run(req, &bump_script, 6, args);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return -1;
	if (table != NULL)
		put(KIND_GENERATION, name, r->integer, expires);
	return 0;
}

/* ---- master side ---------------------------------------------------------------------- */

static void apply_event(const char *msg)
{
	char kind, id[64];
	long long value, expires;

	if (sscanf(msg, "%c %63s %lld %lld", &kind, id, &value, &expires) != 4 ||
	    (kind != 't' && kind != 's' && kind != 'v' && kind != 'g')) {
		mh_log(MH_LOG_WARN, "revocation_event", "ignoring malformed event");
		return;
	}
	put(kind == 't'   ? KIND_TOKEN
	    : kind == 's' ? KIND_SESSION
	    : kind == 'g' ? KIND_GENERATION
	                  : KIND_MIN_VERSION,
	    id, value, expires);
}

/* Rebuilds the table without its expired entries. */
static void compact(void)
{
	static struct entry live[TABLE_SLOTS];
	int64_t now = (int64_t)time(NULL);
	uint32_t n = 0;

	lock();
	for (uint32_t i = 0; i < TABLE_SLOTS; i++) {
		struct entry *e = &table->slots[i];
		if (atomic_load(&e->key) != 0 && atomic_load(&e->expires) >= now) {
			atomic_store(&live[n].key, atomic_load(&e->key));
			atomic_store(&live[n].value, atomic_load(&e->value));
			atomic_store(&live[n].expires, atomic_load(&e->expires));
			n++;
		}
	}
	atomic_fetch_add_explicit(&table->seq, 1, memory_order_acq_rel); /* odd: rebuilding */
	for (uint32_t i = 0; i < TABLE_SLOTS; i++)
		atomic_store_explicit(&table->slots[i].key, 0, memory_order_relaxed);
	atomic_store(&table->used, 0);
	atomic_store(&table->full, 0);
	for (uint32_t i = 0; i < n; i++)
		put_locked(atomic_load(&live[i].key), atomic_load(&live[i].value),
			   atomic_load(&live[i].expires));
	atomic_fetch_add_explicit(&table->seq, 1, memory_order_release); /* even again */
	unlock();
}

/* Loads every record from Redis (SCAN, so a large keyspace never blocks it). */
static int load_all(void)
{
	redisContext *c = mh_redis_open();
	char cursor[32] = "0";
	int64_t now = (int64_t)time(NULL);
	int ok = c != NULL;

	while (ok) {
		/* mh:rj: tokens, mh:rs: sessions, mh:tv: minimum versions, mh:rg: generations. */
		redisReply *r = redisCommand(c, "SCAN %s MATCH mh:[rt][jsvg]:* COUNT 1000", cursor);

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			ok = 0;
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements && ok; i++) {
			const char *key = r->element[1]->element[i]->str;
			redisReply *v = redisCommand(c, "GET %s", key);
			redisReply *t = v ? redisCommand(c, "TTL %s", key) : NULL;

			if (v == NULL || t == NULL) {
				ok = 0;
			} else if (v->type == REDIS_REPLY_STRING && t->type == REDIS_REPLY_INTEGER &&
				   t->integer > 0) {
				enum kind kind = KIND_MIN_VERSION;

				if (strncmp(key, "mh:rj:", 6) == 0)
					kind = KIND_TOKEN;
				else if (strncmp(key, "mh:rs:", 6) == 0)
					kind = KIND_SESSION;
				else if (strncmp(key, "mh:rg:", 6) == 0)
					kind = KIND_GENERATION;
				put(kind, key + 6, strtoll(v->str, NULL, 10), now + t->integer);
			}
			freeReplyObject(v);
			freeReplyObject(t);
		}
		freeReplyObject(r);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	if (c != NULL)
		redisFree(c);
	return ok ? 0 : -1;
}

/*
 * Where Redis's record of revocations starts: mh:rv:since, set once (NX) by whichever
 * master finds it missing. It goes missing with the data it dates (a restart without
 * persistence, FLUSHALL), and is then set again to now, so tokens issued before are checked
 * in PostgreSQL until they expire (one access-token lifetime). Returns 0 or -1.
 */
static int load_history(void)
{
	redisContext *c = mh_redis_open();
	redisReply *set = NULL, *get = NULL;
	int64_t since, before = atomic_load(&table->history_since);
	int ok = 0;

	if (c == NULL)
		return -1;
	set = redisCommand(c, "SET mh:rv:since %lld NX", (long long)time(NULL));
	get = set ? redisCommand(c, "GET mh:rv:since") : NULL;
	if (get != NULL && get->type == REDIS_REPLY_STRING) {
		since = strtoll(get->str, NULL, 10);
		atomic_store(&table->history_since, since);
		if (before != 0 && since != before)
			mh_log(MH_LOG_WARN, "revocation_history_restarted",
			       "Redis lost its revocations (restart without persistence, flush): "
			       "tokens issued before %lld are checked in PostgreSQL until they "
			       "expire",
			       (long long)since);
		ok = 1;
	}
	freeReplyObject(set);
	freeReplyObject(get);
	redisFree(c);
	return ok ? 0 : -1;
}

static void disconnect(const char *why)
{
	if (sub_ctx != NULL) {
		mh_log(MH_LOG_WARN, "revocation_unsynced",
		       "%s: tokens are checked in PostgreSQL until Redis is back", why);
		redisFree(sub_ctx);
	}
	sub_ctx = NULL;
	if (table != NULL)
		atomic_store(&table->healthy, 0);
	next_connect_us = mh_now_us() + RECONNECT_INTERVAL_US;
}

/* Subscribes first, then loads: an event that lands between the two is seen
 * twice (harmless) rather than missed. */
static void connect_subscriber(void)
{
	redisReply *r;

	sub_ctx = mh_redis_open();
	if (sub_ctx == NULL) {
		next_connect_us = mh_now_us() + RECONNECT_INTERVAL_US;
		return;
	}
	r = redisCommand(sub_ctx, "SUBSCRIBE " CHANNEL);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		disconnect("cannot subscribe to revocation events");
		return;
	}
	freeReplyObject(r);
	if (load_history() < 0 || load_all() < 0) {
		disconnect("cannot load revocations from Redis");
		return;
	}
	atomic_store(&table->healthy, 1);
	next_resync_us = mh_now_us() + RESYNC_INTERVAL_US;
	last_heard_us = mh_now_us();
	next_ping_us = last_heard_us + HEARTBEAT_INTERVAL_US;
	mh_log(MH_LOG_INFO, "revocation_synced", "revocation table loaded (%u entries)",
	       (unsigned)atomic_load(&table->used));
}

int mh_revocation_master_fd(void)
{
	return sub_ctx != NULL ? sub_ctx->fd : -1;
}

void mh_revocation_master_readable(void)
{
	void *reply;

	if (sub_ctx == NULL)
		return;
	if (redisBufferRead(sub_ctx) != REDIS_OK) {
		disconnect("revocation subscription lost");
		return;
	}
	while (sub_ctx != NULL && redisGetReplyFromReader(sub_ctx, &reply) == REDIS_OK &&
	       reply != NULL) {
		redisReply *r = reply;

		last_heard_us = mh_now_us(); /* events and heartbeat pongs alike */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "message") == 0 &&
		    r->element[2]->type == REDIS_REPLY_STRING)
			apply_event(r->element[2]->str);
		freeReplyObject(r);
	}
}

void mh_revocation_master_tick(void)
{
	int64_t now = mh_now_us();

	if (table == NULL)
		return;
	if (sub_ctx == NULL) {
		if (now >= next_connect_us)
			connect_subscriber();
		return;
	}
	if (now - last_heard_us > HEARTBEAT_TIMEOUT_US) {
		disconnect("revocation subscription silent");
		return;
	}
	if (now >= next_ping_us) {
		int done = 0;
		/* PING is allowed on a subscribed connection; its pong arrives as a
		 * reply that mh_revocation_master_readable() reads. */
		if (redisAppendCommand(sub_ctx, "PING") != REDIS_OK ||
		    redisBufferWrite(sub_ctx, &done) != REDIS_OK) {
			disconnect("revocation subscription broken");
			return;
		}
		next_ping_us = now + HEARTBEAT_INTERVAL_US;
	}
	/* Expired entries go, and the table is rebuilt from Redis now and then
	 * so a lost event (Redis restarted with our subscription intact is not
	 * possible, but a missed write is) cannot linger. */
	if (now >= next_resync_us) {
		compact();
		if (load_history() < 0 || load_all() < 0)
			disconnect("cannot resynchronise revocations");
		next_resync_us = now + RESYNC_INTERVAL_US;
	}
}

void mh_revocation_master_stop(void)
{
	if (sub_ctx != NULL)
		redisFree(sub_ctx);
	sub_ctx = NULL;
}
