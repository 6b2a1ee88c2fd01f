/* it_stack.c - the local stack trusts no other local user: PostgreSQL and Redis want the
 * stack's generated passwords, the sockets and the files that carry secrets are the stack
 * user's alone (script/stack, doc/stack.md). */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "auth_helpers.h"
#include "helpers.h"

/* libpq reads ~/.pgpass and PGPASSWORD when the conninfo has no password: point it at a file
 * that does not exist, so "without a password" means that. */
#define NO_PASSFILE "passfile=/nonexistent/menhir-it-stack"

/* A keyword of the conninfo in the named variable (static storage; "" when absent). */
static const char *conninfo_get(const char *env_name, const char *keyword)
{
	static char value[512];
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(t_env(env_name), &err);

	cr_assert(opts != NULL, "%s: %s", env_name, err ? err : "unparsable");
	value[0] = '\0';
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
			snprintf(value, sizeof(value), "%s", o->val);
	PQconninfoFree(opts);
	return value;
}

/* Connects with conninfo; returns whether PostgreSQL let us in (message in why). */
static int pg_accepts(const char *conninfo, char *why, size_t whylen)
{
	PGconn *c = PQconnectdb(conninfo);
	int ok = PQstatus(c) == CONNECTION_OK;

	snprintf(why, whylen, "%s", PQerrorMessage(c));
	PQfinish(c);
	return ok;
}

Test(stack, postgres_refuses_a_role_without_its_password)
{
	char port[16], socket_dir[512], password[128], ci[1024], why[512];
	static const char *const roles[] = {"menhir_app", "menhir_owner", "postgres"};

	snprintf(port, sizeof(port), "%s", conninfo_get("MENHIR_TEST_PG_APP", "port"));
	snprintf(socket_dir, sizeof(socket_dir), "%s", conninfo_get("MENHIR_TEST_PG_APP", "host"));
	snprintf(password, sizeof(password), "%s", conninfo_get("MENHIR_TEST_PG_APP", "password"));
	cr_assert(password[0] != '\0', "MENHIR_TEST_PG_APP carries no password");

	/* TCP on 127.0.0.1, which every local user can reach: no password, no way in. */
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		snprintf(ci, sizeof(ci),
		         "host=127.0.0.1 port=%s dbname=menhir user=%s " NO_PASSFILE, port,
		         roles[i]);
		cr_assert(!pg_accepts(ci, why, sizeof(why)), "%s got in without a password",
		          roles[i]);
		cr_assert(strstr(why, "password") != NULL, "%s: %s", roles[i], why);
	}
	snprintf(ci, sizeof(ci),
	         "host=127.0.0.1 port=%s dbname=menhir user=menhir_app password=wrong " NO_PASSFILE,
	         port);
	cr_assert(!pg_accepts(ci, why, sizeof(why)), "a wrong password was accepted");
	cr_assert(strstr(why, "password authentication failed") != NULL, "%s", why);
	/* The Unix socket asks too (it is 0700, but root and the cluster's owner get through). */
	snprintf(ci, sizeof(ci), "host='%s' port=%s dbname=menhir user=menhir_app " NO_PASSFILE,
	         socket_dir, port);
	cr_assert(!pg_accepts(ci, why, sizeof(why)), "the socket let menhir_app in unasked");
	/* With the password, over TCP too: the refusals above are about the password. */
	snprintf(ci, sizeof(ci),
	         "host=127.0.0.1 port=%s dbname=menhir user=menhir_app password=%s " NO_PASSFILE,
	         port, password);
	cr_assert(pg_accepts(ci, why, sizeof(why)), "%s", why);
}

/* host, port and password of MENHIR_TEST_REDIS_URL (redis://:PASSWORD@host:port). */
static void redis_url_parts(char host[64], int *port, char password[128])
{
	const char *url = t_env("MENHIR_TEST_REDIS_URL");
	const char *p = strstr(url, "://"), *at, *colon;

	cr_assert(p != NULL);
	p += 3;
	at = strchr(p, '@');
	cr_assert(at != NULL && p[0] == ':', "MENHIR_TEST_REDIS_URL carries no password");
	cr_assert((size_t)(at - p - 1) < 128);
	memcpy(password, p + 1, (size_t)(at - p - 1));
	password[at - p - 1] = '\0';
	colon = strchr(at + 1, ':');
	cr_assert(colon != NULL && (size_t)(colon - at - 1) < 64);
	memcpy(host, at + 1, (size_t)(colon - at - 1));
	host[colon - at - 1] = '\0';
	*port = atoi(colon + 1);
}

/* The reply to one command on c, as "+STATUS", "-ERROR" or ":N" (static storage). */
static const char *redis_say(redisContext *c, const char *cmd, const char *arg)
{
	static char out[256];
	redisReply *r = arg ? redisCommand(c, "%s %s", cmd, arg) : redisCommand(c, cmd);

	cr_assert(r != NULL, "%s: %s", cmd, c->errstr);
	if (r->type == REDIS_REPLY_ERROR)
		snprintf(out, sizeof(out), "-%s", r->str);
	else if (r->type == REDIS_REPLY_STATUS)
		snprintf(out, sizeof(out), "+%s", r->str);
	else
		snprintf(out, sizeof(out), "?%d", r->type);
	freeReplyObject(r);
	return out;
}

Test(stack, redis_refuses_commands_without_the_password)
{
	char host[64], password[128];
	int port;
	redisContext *c;
	const char *got;

	redis_url_parts(host, &port, password);
	c = redisConnect(host, port);
	cr_assert(c != NULL && c->err == 0, "cannot connect to Redis");
	got = redis_say(c, "PING", NULL);
	cr_assert(strncmp(got, "-NOAUTH", 7) == 0, "PING without AUTH answered %s", got);
	got = redis_say(c, "GET", "mh:anything");
	cr_assert(strncmp(got, "-NOAUTH", 7) == 0, "GET without AUTH answered %s", got);
	got = redis_say(c, "AUTH", "wrong");
	cr_assert(strncmp(got, "-WRONGPASS", 10) == 0, "a wrong password answered %s", got);
	got = redis_say(c, "AUTH", password);
	cr_assert_str_eq(got, "+OK");
	got = redis_say(c, "PING", NULL);
	cr_assert_str_eq(got, "+PONG");
	redisFree(c);
}

/* Menhir itself gets in with the passwords of its configuration. */
Test(stack, menhir_reaches_postgres_and_redis_with_the_passwords)
{
	struct http_response r;

	t_get("/readyz", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"postgres\":\"ok\"") && strstr(r.body, "\"redis\":\"ok\""), "%s",
	          r.body);
	t_http_free(&r);
}

/* connect(2) to a unix socket as uid/gid; returns 0 or the errno. Forks when it must change
 * user, so this process keeps its own. */
static int connect_as(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pid_t pid;
	int status;

	cr_assert(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd, rc;

		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
			_exit(255);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
		_exit(rc > 254 ? 254 : rc);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 255, "could not become %d", (int)uid);
	return WEXITSTATUS(status);
}

/* Asserts that the socket or a directory on its way keeps other users out: a socket of ours
 * that only we may write (connect needs write), or a directory of ours that only we may
 * enter. */
static void assert_others_kept_out(const char *path)
{
	char buf[512], *dir;
	struct stat st;
	int guarded = 0;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert(S_ISSOCK(st.st_mode), "%s is not a socket", path);
	if ((st.st_mode & (S_IWOTH | S_IWGRP)) == 0 && st.st_uid == geteuid())
		guarded = 1;
	snprintf(buf, sizeof(buf), "%s", path);
	for (dir = dirname(buf); !guarded && strcmp(dir, "/") != 0; dir = dirname(dir)) {
		cr_assert_eq(stat(dir, &st), 0);
		if (st.st_uid == geteuid() && (st.st_mode & (S_IXOTH | S_IWOTH)) == 0 &&
		    (st.st_mode & (S_IXGRP | S_IWGRP)) == 0)
			guarded = 1;
	}
	cr_assert(guarded, "any local user can connect to %s", path);
}

/* nginx makes its events socket 0666; its directory must keep every other user out, or anyone
 * on the machine could publish a forged event into a tenant's job stream. */
Test(stack, events_socket_admits_only_the_stack_user)
{
	const char *path = t_auth_config("events_socket");
	char dir[512];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	cr_assert_eq(stat(dirname(dir), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "%s is %04o", dir, st.st_mode & 07777);
	cr_assert_eq(st.st_uid, geteuid(), "%s belongs to uid %d", dir, (int)st.st_uid);
	assert_others_kept_out(path);
	/* The stack's own user publishes. */
	cr_assert_eq(connect_as(path, geteuid(), getegid()), 0);
	/* Someone else cannot even connect (needs root to become them). */
	if (geteuid() == 0)
		cr_assert_eq(connect_as(path, 65534, 65534), EACCES,
		             "nobody could connect to the events socket");
}

/* Whoever reaches the FastCGI socket can play nginx (REMOTE_ADDR, REQUEST_ID...). */
Test(stack, fastcgi_socket_admits_only_the_stack_user)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/menhir.sock", t_env("MENHIR_TEST_STATE"));
	assert_others_kept_out(path);
	if (geteuid() == 0)
		cr_assert_eq(connect_as(path, 65534, 65534), EACCES,
		             "nobody could connect to the FastCGI socket");
}

static void assert_owner_only(const char *path, mode_t want)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & 07777, want, "%s is %04o, want %04o", path, st.st_mode & 07777,
	             want);
	cr_assert_eq(st.st_uid, geteuid(), "%s belongs to uid %d", path, (int)st.st_uid);
}

/* The generated secrets, and every file of the state folder that carries one. */
Test(stack, secrets_and_the_files_carrying_them_are_owner_only)
{
	static const char *const secrets[] = {"pg-postgres", "pg-menhir_owner", "pg-menhir_app",
	                                      "redis"};
	static const char *const carriers[] = {"env", "menhir.conf", "redis.conf"};
	const char *state = t_env("MENHIR_TEST_STATE");
	char path[512];

	snprintf(path, sizeof(path), "%s/secrets", state);
	assert_owner_only(path, 0700);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(path, sizeof(path), "%s/secrets/%s", state, secrets[i]);
		assert_owner_only(path, 0600);
	}
	for (size_t i = 0; i < sizeof(carriers) / sizeof(carriers[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", state, carriers[i]);
		assert_owner_only(path, 0600);
	}
}
