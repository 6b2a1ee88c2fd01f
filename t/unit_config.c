/* unit_config.c - file + environment configuration with strict validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/config.h"
#include "core/module.h"
#include "modules/mail/internal.h"

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
	unsetenv("MENHIR_LOGIN_LOCKOUT");
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
	static const char *const bad[] = {"workers = -1\n",     "workers = 3x\n",
	                                  "workers =\n",        "no_such_key = 1\n",
	                                  "just words\n",       "socket_mode = 0999\n",
	                                  "log_level = loud\n", "enable_test_routes = maybe\n",
	                                  "body_limit = 10\n"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_config c;
		char err[256] = "";

		strcpy(path, "/tmp/menhir-config-XXXXXX");
		write_conf(bad[i]);
		cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), -1, "accepted %s",
		             bad[i]);
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

/* ---- Modules' keys -------------------------------------------------------------------- */

/* The mail module's templates, which its settings check reads (the tree's own). */
#define TEMPLATES "mail_templates_dir = " MH_TEMPLATES_DIR "\n"

/* The value of key in module m's values as cfg holds them (an int key). */
static int module_int(const struct mh_config *cfg, const struct mh_module *m, const char *key)
{
	const unsigned char *values = mh_config_module_values(cfg, m);

	cr_assert_not_null(values, "module %s has no values", m->name);
	for (const struct mh_config_key *k = m->settings->keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return *(const int *)(const void *)(values + k->offset);
	cr_assert_fail("module %s has no key %s", m->name, key);
	return -1;
}

static const struct mh_module *module_named(const char *name)
{
	for (size_t i = 0; mh_modules[i] != NULL; i++)
		if (strcmp(mh_modules[i]->name, name) == 0)
			return mh_modules[i];
	cr_assert_fail("no module %s", name);
	return NULL;
}

Test(config, a_modules_keys_have_defaults_and_take_the_file_and_the_environment)
{
	const struct mh_module *auth = module_named("auth");
	struct mh_config c;
	char err[256];

	cr_assert_eq(mh_config_load(&c, "/nonexistent", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(module_int(&c, auth, "access_token_ttl"), 900);
	write_conf("access_token_ttl = 1200\nlogin_lockout = 60\n");
	setenv("MENHIR_LOGIN_LOCKOUT", "120", 1);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	unsetenv("MENHIR_LOGIN_LOCKOUT");
	cr_assert_eq(module_int(&c, auth, "access_token_ttl"), 1200);
	cr_assert_eq(module_int(&c, auth, "login_lockout"), 120);
}

Test(config, a_modules_key_out_of_its_range_names_the_line)
{
	struct mh_config c;
	char err[256] = "";

	write_conf("workers = 2\naccess_token_ttl = 5\n");
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":2:") != NULL && strstr(err, "access_token_ttl") != NULL, "%s", err);
}

Test(config, apply_hands_the_values_to_the_modules_own_struct)
{
	const struct mh_module *auth = module_named("auth");
	struct mh_config c;
	char err[256];
	const unsigned char *running = auth->settings->values;

	write_conf("access_token_ttl = 1500\n" TEMPLATES);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), 0, "%s", err);
	for (const struct mh_config_key *k = auth->settings->keys; k->name != NULL; k++)
		if (strcmp(k->name, "access_token_ttl") == 0)
			cr_assert_eq(*(const int *)(const void *)(running + k->offset), 1500);
}

/* One module refusing its values refuses them all: nothing is half applied. */
Test(config, a_module_that_refuses_its_values_refuses_the_whole_configuration)
{
	const struct mh_module *auth = module_named("auth");
	struct mh_config c;
	char err[256] = "";

	write_conf("access_token_ttl = 600\n" TEMPLATES);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), 0, "%s", err);
	strcpy(path, "/tmp/menhir-config-XXXXXX");
	write_conf("access_token_ttl = 700\nstorage_dir = relative/files\n" TEMPLATES);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "documents") != NULL && strstr(err, "storage_dir") != NULL, "%s",
	          err);
	for (const struct mh_config_key *k = auth->settings->keys; k->name != NULL; k++)
		if (strcmp(k->name, "access_token_ttl") == 0)
			cr_assert_eq(*(const int *)(const void *)((const unsigned char *)
			                                                  auth->settings->values +
			                                          k->offset),
			             600, "the running value changed");
}

/* A copy of the shipped mail templates in dir, the invitation's subject changed to subject. */
static void copy_templates(const char *dir, const char *subject)
{
	for (int i = 0; mail_template_names[i] != NULL; i++) {
		char from[512], to[512], text[65536];
		const char *body;
		size_t n;
		FILE *f;

		snprintf(from, sizeof(from), "%s/%s.mail", MH_TEMPLATES_DIR,
		         mail_template_names[i]);
		snprintf(to, sizeof(to), "%s/%s.mail", dir, mail_template_names[i]);
		cr_assert((f = fopen(from, "r")) != NULL, "%s", from);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		cr_assert((f = fopen(to, "w")) != NULL, "%s", to);
		body = text;
		if (strcmp(mail_template_names[i], "invitation") == 0) {
			fprintf(f, "Subject: %s", subject);
			body = strchr(text, '\n');
		}
		fputs(body, f);
		fclose(f);
	}
}

/* A reload is all or nothing: a module refused late (billing, an unreadable secret) leaves
 * what an earlier module's check prepared (mail's templates, read from the new directory)
 * out of use. */
Test(config, a_refused_configuration_puts_none_of_it_into_use)
{
	char dir[] = "/tmp/menhir-templates-XXXXXX", conf[1024], err[256] = "";
	struct mh_config c;

	cr_assert(mkdtemp(dir) != NULL);
	copy_templates(dir, "changed");
	write_conf(TEMPLATES);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_neq(mail_template_find("invitation")->subject, "changed");

	snprintf(conf, sizeof(conf),
	         "mail_templates_dir = %s\nbilling_webhook_secret_file = /nonexistent/whsec\n",
	         dir);
	unlink(path);
	strcpy(path, "/tmp/menhir-config-XXXXXX");
	write_conf(conf);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "billing") != NULL, "%s", err);
	cr_assert_str_neq(mail_template_find("invitation")->subject, "changed",
	                  "the refused configuration's templates are in use");

	/* The same templates without the refusal: they are taken (the check above can fail). */
	snprintf(conf, sizeof(conf), "mail_templates_dir = %s\n", dir);
	unlink(path);
	strcpy(path, "/tmp/menhir-config-XXXXXX");
	write_conf(conf);
	cr_assert_eq(mh_config_load(&c, path, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_apply(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(mail_template_find("invitation")->subject, "changed");
	for (int i = 0; mail_template_names[i] != NULL; i++) {
		char f[512];

		snprintf(f, sizeof(f), "%s/%s.mail", dir, mail_template_names[i]);
		unlink(f);
	}
	rmdir(dir);
}

/* A registry is checked before anything is loaded: two declarations of one key (by the core
 * and a module, or by two modules) cannot both be meant. */
static struct fake_settings {
	int workers;
	int value;
} fake;
static const struct mh_config_key clash_keys[] = {
        MH_KEY_INT(struct fake_settings, workers, 0, 10, "1", "the core has this one"),
        {0},
};
static const struct mh_config_key own_keys[] = {
        MH_KEY_INT(struct fake_settings, value, 0, 10, "1", "a key of its own"),
        {0},
};
static const struct mh_config_key bad_default_keys[] = {
        MH_KEY_INT(struct fake_settings, value, 0, 10, "11", "a default out of its range"),
        {0},
};
static const struct mh_settings clash = {clash_keys, &fake, sizeof(fake), NULL, NULL};
static const struct mh_settings own = {own_keys, &fake, sizeof(fake), NULL, NULL};
static const struct mh_settings bad_default = {bad_default_keys, &fake, sizeof(fake), NULL, NULL};
static const struct mh_module m_clash = {.name = "clash", .settings = &clash};
static const struct mh_module m_own = {.name = "own", .settings = &own};
static const struct mh_module m_own_again = {.name = "again", .settings = &own};
static const struct mh_module m_bad = {.name = "bad", .settings = &bad_default};

Test(config, a_registry_declaring_a_key_twice_or_a_bad_default_is_refused)
{
	const struct mh_module *const fine[] = {&m_own, NULL};
	const struct mh_module *const with_core[] = {&m_clash, NULL};
	const struct mh_module *const twice[] = {&m_own, &m_own_again, NULL};
	const struct mh_module *const bad[] = {&m_bad, NULL};
	char err[256];

	cr_assert_eq(mh_config_check_registry(fine, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_check_registry(mh_modules, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_config_check_registry(with_core, err, sizeof(err)), -1);
	cr_assert(strstr(err, "workers") != NULL && strstr(err, "core") != NULL, "%s", err);
	cr_assert_eq(mh_config_check_registry(twice, err, sizeof(err)), -1);
	cr_assert(strstr(err, "again") != NULL && strstr(err, "own") != NULL, "%s", err);
	cr_assert_eq(mh_config_check_registry(bad, err, sizeof(err)), -1);
	cr_assert(strstr(err, "value") != NULL, "%s", err);
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

Test(config, dump_prints_every_modules_keys_under_its_name_with_help)
{
	struct mh_config c;
	char *out;

	mh_config_defaults(&c);
	out = dump(&c);
	cr_assert(strstr(out, "\nworkers = 0\n") != NULL);
	cr_assert(strstr(out, "# ---- module auth ----\n") != NULL, "%s", out);
	cr_assert(strstr(out, "# seconds an access token lives [60..86400, default 900]\n"
	                      "access_token_ttl = 900\n") != NULL);
	cr_assert(strstr(out, "\nstorage_dir = /var/lib/menhir/files\n") != NULL);
	cr_assert(strstr(out, "\nwebhook_allow_private = false\n") != NULL);
	free(out);
}
