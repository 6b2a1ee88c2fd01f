/* replica.c - read replicas: which reads may go to one, and read-your-writes. */
#include "core/replica.h"

#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/http.h"
#include "core/log.h"
#include "core/scoreboard.h"

/* How old the replica's status may be before a read asks it again (one round trip). */
#define REPLICA_CHECK_US 200000LL
/* How long a replica that failed is skipped before it is tried again. */
#define REPLICA_RETRY_US 1000000LL
/* How long a client keeps its last write's position: longer than any useful
 * replica_max_lag, after which reads skip the replica anyway. */
#define LSN_COOKIE_MAX_AGE 300
#define LSN_COOKIE         "menhir_lsn"
#define LSN_HEADER         "Menhir-Lsn"

static struct {
	int configured;
	long long max_lag_ms;
	/* This worker's view of the replica, refreshed at most every REPLICA_CHECK_US. */
	int64_t checked_us;
	int64_t down_until_us;
	int usable;
	uint64_t replay_lsn;
} rs;

void mh_replica_configure(const struct mh_config *cfg)
{
	memset(&rs, 0, sizeof(rs));
	rs.configured = cfg->database_replica_url[0] != '\0';
	rs.max_lag_ms = cfg->replica_max_lag;
}

int mh_lsn_parse(const char *s, uint64_t *out)
{
	uint64_t hi = 0, lo = 0;
	int nhi = 0, nlo = 0;
	const char *p = s;

	if (s == NULL)
		return -1;
	for (; *p && *p != '/'; p++, nhi++) {
		int d = *p >= '0' && *p <= '9'   ? *p - '0'
		        : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
		        : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
		                                 : -1;
		if (d < 0 || nhi >= 8)
			return -1;
		hi = hi << 4 | (uint64_t)d;
	}
	if (*p++ != '/' || nhi == 0)
		return -1;
	for (; *p; p++, nlo++) {
		int d = *p >= '0' && *p <= '9'   ? *p - '0'
		        : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
		        : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
		                                 : -1;
		if (d < 0 || nlo >= 8)
			return -1;
		lo = lo << 4 | (uint64_t)d;
	}
	if (nlo == 0)
		return -1;
	*out = hi << 32 | lo;
	return 0;
}

/* The value of cookie `name` in a Cookie header (malloc-free: copied into out), or -1. */
static int cookie_value(const char *h, const char *name, char *out, size_t outlen)
{
	size_t name_len = strlen(name);

	while (h != NULL && *h) {
		size_t len;

		while (*h == ' ' || *h == ';')
			h++;
		len = strcspn(h, ";");
		if (len > name_len && strncmp(h, name, name_len) == 0 && h[name_len] == '=') {
			size_t vlen = len - name_len - 1;

			if (vlen >= outlen)
				return -1;
			memcpy(out, h + name_len + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		h += len;
	}
	return -1;
}

uint64_t mh_replica_client_lsn(const struct mh_request *req)
{
	uint64_t best = 0, v;
	char buf[32];

	if (mh_lsn_parse(mh_header(req, "menhir-lsn"), &v) == 0)
		best = v;
	if (cookie_value(mh_header(req, "cookie"), LSN_COOKIE, buf, sizeof(buf)) == 0 &&
	    mh_lsn_parse(buf, &v) == 0 && v > best)
		best = v;
	return best;
}

void mh_replica_mark_down(void)
{
	int64_t now = mh_now_us();

	if (rs.down_until_us < now)
		mh_log(MH_LOG_WARN, "replica_skipped",
		       "the replica cannot be reached; reads go to the primary for %lld ms",
		       REPLICA_RETRY_US / 1000);
	rs.usable = 0;
	rs.down_until_us = now + REPLICA_RETRY_US;
}

/* Asks the replica how it is doing; the answer holds for REPLICA_CHECK_US. */
static void refresh(struct mh_request *req, int64_t now)
{
	struct mh_replica_status st;
	int was_usable = rs.usable;

	if (mh_db_replica_probe(req, &st) != MH_DB_OK) {
		mh_replica_mark_down();
		return;
	}
	rs.checked_us = now;
	rs.replay_lsn = st.replay_lsn;
	rs.usable = st.in_recovery && st.lag_ms <= rs.max_lag_ms;
	if (was_usable && !rs.usable)
		mh_log(MH_LOG_WARN, "replica_skipped", "%s; reads go to the primary",
		       st.in_recovery ? mh_arena_sprintf(req->arena,
		                                         "the replica is %lld ms behind", st.lag_ms)
		                      : "the replica is no longer a standby (promoted?)");
}

int mh_replica_choose(struct mh_request *req)
{
	int64_t now;

	/* A token PostgreSQL must vouch for (Redis down) is checked on the primary: the
	 * replica could miss a revocation made just now. */
	if (!rs.configured || !(req->method & (MH_GET | MH_HEAD)) || req->commit_lsn != 0 ||
	    req->principal.revocation == MH_REVOCATION_IN_DB)
		return 0;
	now = mh_now_us();
	if (now < rs.down_until_us)
		return 0;
	if (now - rs.checked_us >= REPLICA_CHECK_US)
		refresh(req, now);
	return rs.usable && mh_replica_client_lsn(req) <= rs.replay_lsn;
}

int mh_replica_reply_headers(struct mh_request *req, struct mh_response *res)
{
	const char *lsn, *cookie;

	if (!rs.configured || req->commit_lsn == 0)
		return 0;
	lsn = mh_arena_sprintf(req->arena, "%X/%X", (unsigned)(req->commit_lsn >> 32),
	                       (unsigned)(req->commit_lsn & 0xffffffffu));
	/* Not a credential: at worst a forged one sends its sender's reads to the primary.
	 * Path=/ so every API path and the browser app's requests carry it. */
	cookie = mh_arena_sprintf(
	        req->arena, LSN_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly%s; SameSite=Lax",
	        lsn ? lsn : "", LSN_COOKIE_MAX_AGE, mh_http_cookie_secure());
	/* A NULL value (out of memory) is recorded as a dropped header: the dispatcher then
	 * fails the response loudly rather than let a writer read stale data. */
	if (mh_response_header(res, LSN_HEADER, lsn) < 0 ||
	    mh_response_header(res, "Set-Cookie", lsn ? cookie : NULL) < 0)
		return -1;
	return 0;
}
