/* it_ops.c - what systemd and the operator rely on: `menhir check` against the stack,
 * passwords from credential files, the sd_notify protocol, journald priority prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

static char dir[64]; /* this test's scratch folder */

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/menhir-ops.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert(system(cmd) == 0);
}

TestSuite(ops, .init = make_dir, .fini = remove_dir);

/* Runs `ENV menhir --config STACK_CONFIG ARGS` (stderr into out); returns the exit status. */
static int run(const char *env, const char *args, char *out, size_t outlen)
{
	char cmd[8192];
	size_t n;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "env %s '%s' --config '%s/menhir.conf' %s 2>&1", env,
	         t_env("MENHIR_TEST_BIN"), t_env("MENHIR_TEST_STATE"), args);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert(fclose(f) == 0);
}

/* A TCP port on loopback that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

Test(ops, check_passes_on_the_stack)
{
	char out[8192];

	cr_assert_eq(run("", "check", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "menhir check: PostgreSQL: connected as menhir_app") != NULL, "%s",
	          out);
	cr_assert(strstr(out, "every migration of") != NULL, "%s", out);
	cr_assert(strstr(out, "Redis: answers PING") != NULL, "%s", out);
	cr_assert(strstr(out, "menhir check: ok\n") != NULL, "%s", out);
}

Test(ops, check_names_the_file_and_line_of_a_bad_key)
{
	char conf[128], cmd[512], out[8192];
	size_t n;
	FILE *p;
	int status;

	snprintf(conf, sizeof(conf), "%s/bad.conf", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s/menhir.conf' '%s' && echo 'workers = lots' >>'%s'",
	         t_env("MENHIR_TEST_STATE"), conf, conf);
	cr_assert(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "'%s' --config '%s' check 2>&1", t_env("MENHIR_TEST_BIN"), conf);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", out);
	cr_assert(strstr(out, "menhir check: FAILED: ") != NULL, "%s", out);
	cr_assert(strstr(out, "bad.conf:") != NULL, "%s", out);
	cr_assert(strstr(out, "workers must be an integer") != NULL, "%s", out);
}

Test(ops, check_fails_when_postgresql_is_unreachable)
{
	char env[256], out[8192];

	snprintf(env, sizeof(env),
	         "MENHIR_DATABASE_URL='host=127.0.0.1 port=%d dbname=menhir user=menhir_app'",
	         closed_port());
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "menhir check: FAILED: PostgreSQL (database_url): cannot connect") !=
	                  NULL,
	          "%s", out);
	cr_assert(strstr(out, "Connection refused") != NULL, "%s", out);
}

Test(ops, check_fails_when_redis_is_unreachable)
{
	char env[256], out[8192];

	snprintf(env, sizeof(env), "MENHIR_REDIS_URL=redis://127.0.0.1:%d/0", closed_port());
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "menhir check: FAILED: Redis (redis_url): Connection refused") !=
	                  NULL,
	          "%s", out);
}

Test(ops, check_fails_on_a_pending_or_edited_migration)
{
	char env[256], cmd[512], path[256], out[8192];

	/* The stack's migrations plus one it never applied. */
	snprintf(cmd, sizeof(cmd), "cp '%s'/*.sql '%s'/", t_env("MENHIR_TEST_SCHEMA_DIR"), dir);
	cr_assert(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/9999_pending.sql", dir);
	write_file(path, "SELECT 1;\n");
	snprintf(env, sizeof(env), "MENHIR_SCHEMA_DIR='%s'", dir);
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out,
	                 "FAILED: the schema is not fully migrated (pending 9999_pending.sql): "
	                 "run `menhir migrate`") != NULL,
	          "%s", out);

	/* An applied file that was edited since. */
	unlink(path);
	snprintf(path, sizeof(path), "%s/0001_foundation.sql", dir);
	{
		FILE *f = fopen(path, "a");
		cr_assert(f != NULL);
		fputs("-- edited\n", f);
		fclose(f);
	}
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "changed 0001_foundation.sql") != NULL, "%s", out);
}

Test(ops, check_fails_without_signing_keys)
{
	char env[256], out[8192];

	snprintf(env, sizeof(env), "MENHIR_KEYS_DIR='%s/nokeys'", dir);
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "menhir check: FAILED: ") != NULL, "%s", out);
	cr_assert(strstr(out, "nokeys") != NULL, "%s", out);
}

/* The stack's URLs without their passwords, and the passwords themselves. */
static void split_secrets(char *pg_url, size_t pglen, char *pg_pw, char *redis_url, size_t redislen,
                          char *redis_pw)
{
	const char *app = t_env("MENHIR_TEST_PG_APP"), *redis = t_env("MENHIR_TEST_REDIS_URL");
	const char *pw = strstr(app, " password="), *at = strchr(redis, '@');

	cr_assert(pw != NULL && at != NULL && strncmp(redis, "redis://:", 9) == 0);
	snprintf(pg_url, pglen, "%.*s", (int)(pw - app), app);
	snprintf(pg_pw, 256, "%s", pw + 10);
	snprintf(redis_pw, 256, "%.*s", (int)(at - redis - 9), redis + 9);
	snprintf(redis_url, redislen, "redis://%s", at + 1);
}

Test(ops, passwords_come_from_credential_files)
{
	/* out holds all of `menhir config` (a reader that stops early would make it exit on a
	 * broken pipe): every module's keys, some 9 KiB and growing. */
	char pg_url[1024], pg_pw[256], redis_url[512], redis_pw[256], path[256], out[65536];
	char env[4096];

	split_secrets(pg_url, sizeof(pg_url), pg_pw, redis_url, sizeof(redis_url), redis_pw);
	snprintf(path, sizeof(path), "%s/menhir-database-password", dir);
	snprintf(out, sizeof(out), "%s\n", pg_pw);
	write_file(path, out);
	snprintf(path, sizeof(path), "%s/menhir-redis-password", dir);
	write_file(path, redis_pw);
	/* As the unit hands them over: names resolved in $CREDENTIALS_DIRECTORY. */
	snprintf(env, sizeof(env),
	         "CREDENTIALS_DIRECTORY='%s' MENHIR_DATABASE_URL=\"%s\" MENHIR_REDIS_URL='%s' "
	         "MENHIR_DATABASE_PASSWORD_FILE=menhir-database-password "
	         "MENHIR_REDIS_PASSWORD_FILE=menhir-redis-password",
	         dir, pg_url, redis_url);
	cr_assert_eq(run(env, "check", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, pg_pw) == NULL && strstr(out, redis_pw) == NULL);

	/* `menhir config` shows that a password is used, never the password. */
	cr_assert_eq(run(env, "config", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "password=***") != NULL, "%s", out);
	cr_assert(strstr(out, pg_pw) == NULL && strstr(out, redis_pw) == NULL);

	/* The same URLs without the files: PostgreSQL refuses the role. */
	snprintf(env, sizeof(env), "MENHIR_DATABASE_URL=\"%s\" MENHIR_REDIS_URL='%s'", pg_url,
	         redis_url);
	cr_assert_eq(run(env, "check", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "FAILED: PostgreSQL (database_url): cannot connect") != NULL, "%s",
	          out);
}

Test(ops, credential_files_are_refused_with_a_reason)
{
	char env[1024], path[256], out[8192];

	/* A credential name outside a unit. */
	cr_assert_eq(run("-u CREDENTIALS_DIRECTORY MENHIR_DATABASE_URL=dbname=x "
	                 "MENHIR_DATABASE_PASSWORD_FILE=db",
	                 "config", out, sizeof(out)),
	             1, "%s", out);
	cr_assert(strstr(out, "database_password_file names the systemd credential 'db', but "
	                      "$CREDENTIALS_DIRECTORY is not set") != NULL,
	          "%s", out);
	/* A missing credential. */
	snprintf(env, sizeof(env),
	         "CREDENTIALS_DIRECTORY='%s' MENHIR_REDIS_URL=redis://127.0.0.1/0 "
	         "MENHIR_REDIS_PASSWORD_FILE=absent",
	         dir);
	cr_assert_eq(run(env, "config", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "redis_password_file: cannot read") != NULL, "%s", out);
	/* A URL that already has a password (the stack's has one), and an empty file. */
	snprintf(path, sizeof(path), "%s/pw", dir);
	write_file(path, "secret\n");
	snprintf(env, sizeof(env), "MENHIR_DATABASE_PASSWORD_FILE='%s'", path);
	cr_assert_eq(run(env, "config", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "database_url already carries a password") != NULL, "%s", out);
	write_file(path, "\n");
	snprintf(
	        env, sizeof(env),
	        "MENHIR_MIGRATE_DATABASE_URL='dbname=x' MENHIR_MIGRATE_DATABASE_PASSWORD_FILE='%s'",
	        path);
	cr_assert_eq(run(env, "config", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "must hold one line, the password") != NULL, "%s", out);
}

/* The "DEV:INODE" of path, as systemd writes JOURNAL_STREAM. */
static void stream_id(const char *path, char *id, size_t len)
{
	struct stat st;

	cr_assert(stat(path, &st) == 0);
	snprintf(id, len, "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
}

Test(ops, log_lines_carry_a_priority_only_on_the_journal_stream)
{
	char log[256], other[256], id[64], cmd[4096], buf[8192];
	FILE *f;
	size_t n;

	snprintf(log, sizeof(log), "%s/stderr", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	write_file(log, "");
	write_file(other, "");
	stream_id(log, id, sizeof(id));
	/* An unreachable Redis: check logs a warning line through the JSON logger. */
	snprintf(cmd, sizeof(cmd),
	         "JOURNAL_STREAM=%s MENHIR_REDIS_URL=redis://127.0.0.1:%d/0 '%s' --config "
	         "'%s/menhir.conf' check 2>>'%s'",
	         id, closed_port(), t_env("MENHIR_TEST_BIN"), t_env("MENHIR_TEST_STATE"), log);
	cr_assert(system(cmd) != 0);
	f = fopen(log, "r");
	cr_assert(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert(strstr(buf, "\n<4>{\"time\":") != NULL || strncmp(buf, "<4>{\"time\":", 11) == 0,
	          "%s", buf);
	cr_assert(strstr(buf, "\"event\":\"redis_connect_failed\"") != NULL, "%s", buf);

	/* The same variable, stderr elsewhere (a child redirected to a file): plain JSON. */
	snprintf(cmd, sizeof(cmd),
	         "JOURNAL_STREAM=%s MENHIR_REDIS_URL=redis://127.0.0.1:%d/0 '%s' --config "
	         "'%s/menhir.conf' check 2>>'%s'",
	         id, closed_port(), t_env("MENHIR_TEST_BIN"), t_env("MENHIR_TEST_STATE"), other);
	cr_assert(system(cmd) != 0);
	f = fopen(other, "r");
	cr_assert(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_assert(strstr(buf, "{\"time\":") != NULL, "%s", buf);
	cr_assert(strstr(buf, "<4>") == NULL, "%s", buf);
}

/* Receives one notify datagram within timeout_ms into msg; returns its length or -1. */
static ssize_t recv_notify(int fd, char *msg, size_t len, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recv(fd, msg, len - 1, 0);
	if (n >= 0)
		msg[n] = '\0';
	return n;
}

Test(ops, serve_speaks_the_sd_notify_protocol, .timeout = 60)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char conf[256], sock[256], log[256], id[64], msg[512], cmd[1024];
	pid_t pid;
	int fd, status;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	snprintf(conf, sizeof(conf), "%s/serve.conf", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s/menhir.conf' '%s'", t_env("MENHIR_TEST_STATE"), conf);
	cr_assert(system(cmd) == 0);
	snprintf(sock, sizeof(sock), "%s/fcgi.sock", dir);
	snprintf(log, sizeof(log), "%s/serve.log", dir);
	write_file(log, "");
	stream_id(log, id, sizeof(id));

	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int out = open(log, O_WRONLY | O_APPEND);

		if (out < 0 || dup2(out, STDERR_FILENO) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		setenv("JOURNAL_STREAM", id, 1);
		setenv("MENHIR_SOCKET", sock, 1);
		setenv("MENHIR_WORKERS", "1", 1);
		execl(t_env("MENHIR_TEST_BIN"), "menhir", "--config", conf, "serve", (char *)NULL);
		_exit(127);
	}
	cr_assert(recv_notify(fd, msg, sizeof(msg), 20000) > 0, "no READY=1 from serve");
	cr_assert(strncmp(msg, "READY=1\n", 8) == 0, "%s", msg);

	/* A reload: RELOADING=1 with the monotonic time systemd 253 asks for, then READY=1. */
	kill(pid, SIGHUP);
	cr_assert(recv_notify(fd, msg, sizeof(msg), 10000) > 0);
	cr_assert(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0, "%s", msg);
	cr_assert(atoll(msg + 27) > 0, "%s", msg);
	cr_assert(recv_notify(fd, msg, sizeof(msg), 10000) > 0);
	cr_assert(strcmp(msg, "READY=1\nSTATUS=serving") == 0, "%s", msg);

	/* A reload of a broken file: refused, logged as an error (<3> on the journal), and
	 * systemd still hears that the service is ready. */
	{
		FILE *f = fopen(conf, "a");
		cr_assert(f != NULL);
		fputs("no_such_key = 1\n", f);
		fclose(f);
	}
	kill(pid, SIGHUP);
	cr_assert(recv_notify(fd, msg, sizeof(msg), 10000) > 0);
	cr_assert(strncmp(msg, "RELOADING=1\n", 12) == 0, "%s", msg);
	cr_assert(recv_notify(fd, msg, sizeof(msg), 10000) > 0);
	cr_assert(strncmp(msg, "READY=1\nSTATUS=reload refused", 29) == 0, "%s", msg);

	kill(pid, SIGTERM);
	cr_assert(recv_notify(fd, msg, sizeof(msg), 10000) > 0);
	cr_assert(strcmp(msg, "STOPPING=1") == 0, "%s", msg);
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);

	{
		FILE *f = fopen(log, "r");
		char buf[16384];
		size_t n;

		cr_assert(f != NULL);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		cr_assert(strncmp(buf, "<6>{\"time\":", 11) == 0, "%s", buf);
		cr_assert(strstr(buf, "\n<3>{\"time\":") != NULL, "%s", buf);
		cr_assert(strstr(buf, "\"event\":\"reload_failed\"") != NULL, "%s", buf);
	}
}
