/* lockout.c - the failed-login throttle: progressive delays per (account, client address), a
 * lock per address and an account-wide lock at a much higher threshold (README "Passwords and
 * lockout"), in Redis counters; and `menhir admin unlock-login`. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/redis.h"
#include "core/validate.h"

/*
 * Counts one failure, atomically: the pair's field in the account's hash ("<failures>:<ms of
 * the latest>", restarted when the latest is older than the window, so the pair's window
 * slides: an attacker who keeps trying keeps only their own address waiting), and the
 * account's and the address's fixed-window counters (started by the first failure, so
 * nobody can extend those). KEYS: pairs hash, account counter, address counter.
 * ARGV: address, window seconds. Returns the pair's failures.
 */
static const char fail_source[] =
        "local t = redis.call('TIME')\n"
        "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
        "local window = tonumber(ARGV[2])\n"
        "local n = 0\n"
        "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
        "if v then\n"
        "  local c, last = string.match(v, '^(%d+):(%d+)$')\n"
        "  if c and now - tonumber(last) < window * 1000 then n = tonumber(c) end\n"
        "end\n"
        "n = n + 1\n"
        "redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d', n, now))\n"
        "redis.call('PEXPIRE', KEYS[1], window * 1000)\n"
        "for i = 2, 3 do\n"
        "  redis.call('SET', KEYS[i], 0, 'EX', window, 'NX')\n"
        "  redis.call('INCR', KEYS[i])\n"
        "end\n"
        "return n\n";
/* Loaded once per worker, then run by its hash (core/redis.h). */
static struct mh_redis_script fail_script = {.source = fail_source};

static long long reply_ll(const redisReply *r);
static void keys_for(struct mh_arena *a, const char *email, const char *ip, struct auth_lockout *l);

long long auth_lockout_wait(const struct auth_lockout_state *s, int max_failures, int window)
{
	long long wait_ms = 0, window_ms = (long long)window * 1000;

	if (s->pair_failures >= max_failures && s->now_ms - s->pair_last_ms < window_ms) {
		long long excess = s->pair_failures - max_failures;
		long long delay = excess >= 40 ? window_ms : 1000LL << excess;

		if (delay > window_ms)
			delay = window_ms;
		wait_ms = s->pair_last_ms + delay - s->now_ms;
	}
	/* The fixed windows last until their key expires (TTL; at least a second). */
	if (s->account_failures >= (long long)max_failures * AUTH_ACCOUNT_FAILURE_FACTOR &&
	    (s->account_ttl > 0 ? s->account_ttl : 1) * 1000 > wait_ms)
		wait_ms = (s->account_ttl > 0 ? s->account_ttl : 1) * 1000;
	if (s->ip_failures >= (long long)max_failures * AUTH_IP_FAILURE_FACTOR &&
	    (s->ip_ttl > 0 ? s->ip_ttl : 1) * 1000 > wait_ms)
		wait_ms = (s->ip_ttl > 0 ? s->ip_ttl : 1) * 1000;
	return wait_ms <= 0 ? 0 : (wait_ms + 999) / 1000;
}

/* Hashed: Redis never holds an e-mail address. The pairs of an account share one hash, so
 * clearing the account clears them all at once. */
static void keys_for(struct mh_arena *a, const char *email, const char *ip, struct auth_lockout *l)
{
	const char *h = auth_sha256_hex(a, email, strlen(email));

	l->ip = ip;
	l->account_key = h ? mh_arena_sprintf(a, "mh:lf:a:%s", h) : NULL;
	l->pairs_key = h ? mh_arena_sprintf(a, "mh:lf:p:%s", h) : NULL;
	l->ip_key = mh_arena_sprintf(a, "mh:lf:i:%s", ip);
}

static long long reply_ll(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

int auth_lockout_check_or_reply(struct mh_request *req, struct mh_response *res, const char *email,
                                struct auth_lockout *l)
{
	struct auth_lockout_state s;
	redisReply *r[6];
	long long wait;
	int ok;

	memset(&s, 0, sizeof(s));
	keys_for(req->arena, email, req->remote_addr ? req->remote_addr : "", l);
	l->pair_failures = 0;
	if (l->account_key == NULL || l->pairs_key == NULL || l->ip_key == NULL)
		return -1;
	ok = mh_redis_append("HGET %s %s", l->pairs_key, l->ip) == 0 &&
	     mh_redis_append("GET %s", l->account_key) == 0 &&
	     mh_redis_append("TTL %s", l->account_key) == 0 &&
	     mh_redis_append("GET %s", l->ip_key) == 0 &&
	     mh_redis_append("TTL %s", l->ip_key) == 0 && mh_redis_append("TIME") == 0;
	/* Read every reply that was queued, so the connection stays in step. */
	for (int i = 0; i < 6; i++)
		r[i] = ok ? mh_redis_reply(req) : NULL;
	for (int i = 0; i < 6; i++)
		ok = ok && r[i] != NULL;
	if (!ok || r[5]->type != REDIS_REPLY_ARRAY || r[5]->elements != 2) {
		/* Without the counters we cannot tell, and an outage must not lift a lock. */
		mh_reply_unavailable(req, res, "the login service");
		return 0;
	}
	if (r[0]->type == REDIS_REPLY_STRING &&
	    sscanf(r[0]->str, "%lld:%lld", &s.pair_failures, &s.pair_last_ms) != 2)
		s.pair_failures = 0;
	s.account_failures = reply_ll(r[1]);
	s.account_ttl = reply_ll(r[2]);
	s.ip_failures = reply_ll(r[3]);
	s.ip_ttl = reply_ll(r[4]);
	s.now_ms = reply_ll(r[5]->element[0]) * 1000 + reply_ll(r[5]->element[1]) / 1000;
	l->pair_failures = s.pair_failures;
	wait = auth_lockout_wait(&s, auth_settings.login_max_failures, auth_settings.login_lockout);
	if (wait == 0)
		return 1;
	mh_log(MH_LOG_INFO, "login_throttled", "request %s: too many failed logins",
	       req->request_id);
	mh_response_header(res, "Retry-After", mh_arena_sprintf(req->arena, "%lld", wait));
	mh_reply_error(req, res, 429, "too_many_attempts",
	               "too many failed logins; retry after the time in Retry-After");
	return 0;
}

void auth_lockout_fail(struct mh_request *req, const struct auth_lockout *l)
{
	char window[16];
	const char *args[6] = {"3", l->pairs_key, l->account_key, l->ip_key, l->ip, window};

	snprintf(window, sizeof(window), "%d", auth_settings.login_lockout);
	if (mh_redis_script_run(req, &fail_script, 6, args) == NULL)
		mh_log(MH_LOG_WARN, "lockout_count_failed",
		       "request %s: cannot count a failed login", req->request_id);
}

void auth_lockout_succeeded(struct mh_request *req, const struct auth_lockout *l)
{
	/* The owner is back: this address starts afresh. The account's counter stays, since
	 * it measures what other addresses are trying. */
	if (l->pair_failures > 0 &&
	    mh_redis_command(req, "HDEL %s %s", l->pairs_key, l->ip) == NULL)
		mh_log(MH_LOG_WARN, "lockout_reset_failed", "request %s: cannot reset a throttle",
		       req->request_id);
}

int auth_lockout_clear(struct mh_request *req, const char *email)
{
	struct auth_lockout l;
	redisReply *r;

	keys_for(req->arena, email, "", &l);
	if (l.account_key == NULL || l.pairs_key == NULL)
		return -1;
	r = mh_redis_command(req, "DEL %s %s", l.account_key, l.pairs_key);
	return r != NULL ? 0 : -1;
}

/* ---- menhir admin unlock-login ------------------------------------------------------------- */

int auth_admin_unlock_login(const struct mh_config *cfg, int argc, char **argv)
{
	struct mh_arena a;
	struct auth_lockout l;
	redisContext *c = NULL;
	redisReply *r = NULL;
	const char *email;
	char err[512];
	int status = 1;

	if (argc != 1 || argv[0][0] == '-') {
		fprintf(stderr, "usage: menhir admin unlock-login EMAIL\n");
		return 2;
	}
	if (mh_arena_init(&a, 4096) < 0)
		return 1;
	email = mh_lower(&a, argv[0]);
	if (email == NULL)
		goto out;
	keys_for(&a, email, "", &l);
	if (l.account_key == NULL || l.pairs_key == NULL)
		goto out;
	if (mh_redis_configure(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir: %s\n", err);
		goto out;
	}
	c = mh_redis_open();
	if (c == NULL) {
		fprintf(stderr, "menhir: cannot connect to Redis\n");
		goto out;
	}
	r = redisCommand(c, "DEL %s %s", l.account_key, l.pairs_key);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		fprintf(stderr, "menhir: Redis refused: %s\n",
		        r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
		goto out;
	}
	/* Says nothing about whether the address has an account, like the login itself. */
	printf("unlocked\n");
	status = 0;
out:
	if (r != NULL)
		freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	mh_arena_destroy(&a);
	return status;
}
