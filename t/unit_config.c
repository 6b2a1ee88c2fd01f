/* unit_config.c - file + environment configuration with strict validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/config.h"

static char path[] = "/tmp/menhir-config-XXXXXX";

static const char *write_conf(const char *text)
{
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void cleanup(void)
{
	unlink(path);
	unsetenv("MENHIR_WORKERS");
	unsetenv("MENHIR_LOG_LEVEL");
}

TestSuite(config, .fini = cleanup);

Test(config, defaults_when_the_default_file_is_missing)
{
	struct mh_config c;
	char err[256];

	cr_assert_eq(mh_config_load(&c, "/nonexistent/menhir.conf", 0, err, sizeof(err)), 0);
	cr_assert_str_eq(c.socket, "/run/menhir/menhir.sock");
	cr_assert_eq(c.body_limit, 1048576);
	cr_assert_eq(c.socket_mode, 0660);
	cr_assert_eq(c.request_timeout, 30);
	cr_assert_eq(c.enable_test_routes, 0);
	cr_assert(mh_config_worker_count(&c) >= 1);
}

Test(config, a_named_missing_file_is_an_error)
{
	struct mh_config c;
	char err[256];

	cr_assert_eq(mh_config_load(&c, "/nonexistent/menhir.conf", 1, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/menhir.conf") != NULL);
}

Test(config, file_values_then_environment_overrides)
{
	struct mh_config c;
	char err[256];

	write_conf("# comment\n\nworkers = 3\nsocket_mode=0600\nlog_level = warn\n"
		   "database_url = \"host=/x dbname=y\"\nenable_test_routes = on\n");
	setenv("MENHIR_WORKERS", "7", 1);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.workers, 7);
	cr_assert_eq(c.socket_mode, 0600);
	cr_assert_eq(c.log_level, MH_LOG_WARN);
	cr_assert_str_eq(c.database_url, "host=/x dbname=y");
	cr_assert_eq(c.enable_test_routes, 1);
}

Test(config, bad_values_are_start_up_errors_naming_the_line)
{
	static const char *const bad[] = { "workers = -1\n", "workers = 3x\n", "workers =\n",
					   "no_such_key = 1\n", "just words\n",
					   "socket_mode = 0999\n", "log_level = loud\n",
					   "enable_test_routes = maybe\n", "body_limit = 10\n" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_config c;
		char err[256] = "";

		strcpy(path, "/tmp/menhir-config-XXXXXX");
		write_conf(bad[i]);
		cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), -1, "accepted %s", bad[i]);
		cr_assert(strstr(err, ":1:") != NULL, "error lacks the line: %s", err);
		unlink(path);
	}
}

Test(config, bad_environment_value_names_the_variable)
{
	struct mh_config c;
	char err[256];

	setenv("MENHIR_LOG_LEVEL", "chatty", 1);
	cr_assert_eq(mh_config_load(&c, "/nonexistent", 0, err, sizeof(err)), -1);
	cr_assert(strstr(err, "MENHIR_LOG_LEVEL") != NULL, "%s", err);
}

/* What `menhir config` prints for c (malloc'd, caller frees). */
static char *dump(const struct mh_config *c)
{
	FILE *f = tmpfile();
	char *out;
	long n;

	cr_assert(f != NULL);
	mh_config_dump(c, fileno(f));
	n = lseek(fileno(f), 0, SEEK_CUR);
	cr_assert(n > 0);
	out = calloc(1, (size_t)n + 1);
	cr_assert_eq(pread(fileno(f), out, (size_t)n, 0), n);
	fclose(f);
	return out;
}

/* The dump's line for key (malloc'd, without the newline). */
static char *dump_line(const struct mh_config *c, const char *key)
{
	char *all = dump(c), *line, prefix[64];

	snprintf(prefix, sizeof(prefix), "\n%s = ", key);
	line = strstr(all, prefix);
	cr_assert(line != NULL, "no %s line in\n%s", key, all);
	line = strndup(line + 1, strcspn(line + 1, "\n"));
	free(all);
	return line;
}

Test(config, dump_masks_the_password_of_a_postgresql_uri)
{
	struct mh_config c;
	char *line;

	mh_config_defaults(&c);
	snprintf(c.database_url, sizeof(c.database_url),
	         "postgresql://menhir_app:s3cr%%21t@db.example:5433/menhir?sslmode=require");
	line = dump_line(&c, "database_url");
	cr_assert(strstr(line, "s3cr") == NULL, "%s", line);
	cr_assert(strstr(line, "password=***") != NULL, "%s", line);
	cr_assert(strstr(line, "user=menhir_app") != NULL && strstr(line, "host=db.example"), "%s",
	          line);
	free(line);
}

Test(config, dump_masks_a_quoted_password_in_a_key_value_conninfo)
{
	struct mh_config c;
	char *line;

	mh_config_defaults(&c);
	snprintf(c.migrate_database_url, sizeof(c.migrate_database_url),
	         "host=/run/pg dbname=menhir password='it\\'s secret' user=menhir_owner");
	line = dump_line(&c, "migrate_database_url");
	cr_assert(strstr(line, "secret") == NULL, "%s", line);
	cr_assert(strstr(line, "user=menhir_owner") != NULL, "a masked conninfo keeps the rest: %s",
	          line);
	free(line);
}

Test(config, dump_shows_a_conninfo_without_a_password_unchanged)
{
	struct mh_config c;
	char *line;

	mh_config_defaults(&c);
	line = dump_line(&c, "database_url");
	cr_assert_str_eq(line,
	                 "database_url = dbname=menhir user=menhir_app host=/var/run/postgresql");
	free(line);
}

Test(config, dump_masks_the_password_of_a_redis_url)
{
	static const char *const urls[] = {"redis://:s3cret@127.0.0.1:6379/0",
	                                   "redis://menhir:s3cret@127.0.0.1/1",
	                                   "redis://s3cret@127.0.0.1"};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct mh_config c;
		char *line;

		mh_config_defaults(&c);
		snprintf(c.redis_url, sizeof(c.redis_url), "%s", urls[i]);
		line = dump_line(&c, "redis_url");
		cr_assert(strstr(line, "s3cret") == NULL, "%s", line);
		cr_assert(strstr(line, "***@127.0.0.1") != NULL, "%s", line);
		free(line);
	}
}
