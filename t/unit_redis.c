/* unit_redis.c - the redis_url parser (src/core/redis.c): ACL users, percent-decoding,
 * and what is refused; and the worker's back-off from a Redis that hangs. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/arena.h"
#include "core/http.h"
#include "core/redis.h"
#include "silent_server.h"

static struct mh_redis_url parse_ok(const char *url)
{
	struct mh_redis_url u;
	char err[256] = "";

	cr_assert_eq(mh_redis_url_parse(url, &u, err, sizeof(err)), 0, "%s: %s", url, err);
	return u;
}

Test(redis_url, host_alone_means_port_6379_database_0_and_no_auth)
{
	struct mh_redis_url u = parse_ok("redis://cache.internal");

	cr_assert_str_eq(u.host, "cache.internal");
	cr_assert_eq(u.port, 6379);
	cr_assert_eq(u.db, 0);
	cr_assert_str_eq(u.user, "");
	cr_assert_str_eq(u.password, "");
}

Test(redis_url, a_password_alone_is_for_the_default_user)
{
	struct mh_redis_url u = parse_ok("redis://:s3cret@127.0.0.1:6380/2");

	cr_assert_str_eq(u.user, "");
	cr_assert_str_eq(u.password, "s3cret");
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.port, 6380);
	cr_assert_eq(u.db, 2);
}

Test(redis_url, an_acl_user_name_is_kept_with_its_password)
{
	struct mh_redis_url u = parse_ok("redis://menhir:s3cret@127.0.0.1/1");

	cr_assert_str_eq(u.user, "menhir");
	cr_assert_str_eq(u.password, "s3cret");
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.db, 1);
}

Test(redis_url, user_and_password_are_percent_decoded)
{
	struct mh_redis_url u = parse_ok("redis://app%2Buser:p%40ss%3Aw%2Fo%25rd@h");

	cr_assert_str_eq(u.user, "app+user");
	cr_assert_str_eq(u.password, "p@ss:w/o%rd");
	cr_assert_str_eq(u.host, "h");
}

Test(redis_url, an_ipv6_host_goes_in_brackets)
{
	struct mh_redis_url u = parse_ok("redis://[::1]:6390/3");

	cr_assert_str_eq(u.host, "::1");
	cr_assert_eq(u.port, 6390);
	cr_assert_eq(u.db, 3);
}

Test(redis_url, a_unix_socket_path)
{
	struct mh_redis_url u = parse_ok("unix:/run/redis/redis.sock");

	cr_assert_str_eq(u.unix_path, "/run/redis/redis.sock");
	cr_assert_str_eq(u.host, "");
}

Test(redis_url, malformed_urls_are_refused_without_repeating_the_password)
{
	static const char *const bad[] = {
	        "http://h",             /* scheme */
	        "redis://",             /* no host */
	        "redis://user@h",       /* a user without a password */
	        "redis://user:@h",      /* the same, spelled with a colon */
	        "redis://:s3cret%zz@h", /* malformed escape */
	        "redis://:s3cret%4@h",  /* truncated escape */
	        "redis://:s3cret%00@h", /* a decoded NUL */
	        "redis://h:0",
	        "redis://h:65536",
	        "redis://h:x",
	        "redis://h/16",
	        "redis://h/1x",
	        "redis://[::1",
	        "unix:relative/path",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_redis_url u;
		char err[256] = "";

		cr_assert_eq(mh_redis_url_parse(bad[i], &u, err, sizeof(err)), -1, "accepted %s",
		             bad[i]);
		cr_assert(strstr(err, "redis_url") != NULL, "%s", err);
		cr_assert(strstr(err, "s3cret") == NULL, "%s", err);
	}
}

/* ---- A Redis that hangs ------------------------------------------------------------------ */

Test(redis_hang, a_worker_that_timed_out_skips_redis_until_the_back_off_has_passed)
{
	struct mh_config cfg;
	struct mh_arena a;
	struct mh_request req;
	struct timespec pause = {0, 400 * 1000000L}; /* past the 250 ms back-off */
	char err[256];
	int port, fd = t_silent_server(&port);

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.redis_url, sizeof(cfg.redis_url), "redis://127.0.0.1:%d", port);
	cfg.redis_timeout = 50;
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_arena_init(&a, 4096), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &a;
	/* Connected (no password to send), then no answer within redis_timeout. */
	cr_assert_null(mh_redis_command(&req, "PING"));
	cr_assert_eq(t_silent_connections(fd), 1);
	/* Within the back-off the worker does not connect again (which would cost another
	 * redis_timeout against a hung Redis), whatever it is asked. */
	cr_assert_null(mh_redis_command(&req, "PING"));
	cr_assert_eq(mh_redis_append("PING"), -1);
	cr_assert_eq(t_silent_connections(fd), 0, "reconnected during the back-off");
	/* After it, the next call tries again. */
	nanosleep(&pause, NULL);
	cr_assert_null(mh_redis_command(&req, "PING"));
	cr_assert_eq(t_silent_connections(fd), 1, "no new attempt after the back-off");
	mh_redis_disconnect();
	mh_arena_destroy(&a);
	close(fd);
}
