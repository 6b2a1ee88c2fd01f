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
