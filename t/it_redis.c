/* it_redis.c - src/core/redis.c against the stack's Redis: what redis_url says is how
 * the connection authenticates. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/config.h"
#include "core/redis.h"
#include "helpers.h"

#define ACL_USER "it_redis_user"

/* A connection as the stack's own redis_url describes it (the administrator's). */
static redisContext *admin(struct mh_redis_url *u)
{
	struct mh_config cfg;
	char err[256];
	redisContext *c;

	mh_config_defaults(&cfg);
	snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", t_env("MENHIR_TEST_REDIS_URL"));
	cr_assert_eq(mh_redis_url_parse(cfg.redis_url, u, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	c = mh_redis_open();
	cr_assert(c != NULL, "cannot reach the stack's Redis");
	return c;
}

static void drop_user(void)
{
	struct mh_redis_url u;
	redisContext *c = admin(&u);

	freeReplyObject(redisCommand(c, "ACL DELUSER %s", ACL_USER));
	redisFree(c);
}

Test(redis, an_acl_user_in_redis_url_authenticates_as_that_user, .fini = drop_user)
{
	struct mh_redis_url u;
	struct mh_config cfg;
	redisContext *c = admin(&u);
	redisReply *r;
	char err[256];

	cr_assert(u.host[0] != '\0', "the stack's Redis is reached over TCP");
	/* A password with the characters a URL must percent-encode. */
	r = redisCommand(c, "ACL SETUSER %s reset on >p@ss:w/rd ~* &* +@all", ACL_USER);
	cr_assert(r != NULL && r->type == REDIS_REPLY_STATUS, "%s", r ? r->str : c->errstr);
	freeReplyObject(r);
	redisFree(c);

	mh_config_defaults(&cfg);
	snprintf(cfg.redis_url, sizeof(cfg.redis_url), "redis://%s:p%%40ss%%3Aw%%2Frd@%s:%d/0",
	         ACL_USER, u.host, u.port);
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	c = mh_redis_open();
	cr_assert(c != NULL, "AUTH as the URL's ACL user failed");
	r = redisCommand(c, "ACL WHOAMI");
	cr_assert(r != NULL && r->type == REDIS_REPLY_STRING);
	cr_assert_str_eq(r->str, ACL_USER);
	freeReplyObject(r);
	redisFree(c);
}
