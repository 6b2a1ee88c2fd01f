/* main.c - the `menhir` command: dispatches to serve, migrate, keys, config, version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/app.h"
#include "core/config.h"
#include "core/keys.h"
#include "core/sysaudit.h"
#include "core/log.h"
#include "core/migrate.h"
#include "core/module.h"
#include "core/router.h"
#include "core/server.h"
#include "core/work.h"
#include "modules/auth/auth.h"
#include "modules/seed/seed.h"
#include "modules/tenants/tenants.h"
#include "modules/users/users.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: menhir [--config FILE] COMMAND\n"
		"\n"
		"commands:\n"
		"  serve             run the FastCGI worker pool\n"
		"  work [--concurrency N]  run background jobs\n"
		"  migrate           apply pending schema migrations\n"
		"  migrate --status  list applied and pending migrations\n"
		"  keys generate     add an RS256 key pair to keys_dir (the first becomes active)\n"
		"  keys rotate       add a key pair and sign new tokens with it\n"
		"  keys list         list the keys in keys_dir and mark the active one\n"
		"  admin create-user EMAIL [--name NAME] < password\n"
		"                    create a user (password on standard input)\n"
		"  admin create-tenant NAME --owner EMAIL [--slug SLUG]\n"
		"                    create a tenant owned by an existing user\n"
		"  admin unlock-login EMAIL\n"
		"                    lift the failed-login throttle of an account\n"
		"  admin seed --tenants N --docs M\n"
		"                    N tenants with a user of each role and M documents each\n"
		"  admin seed --demo [--docs M]\n"
		"                    the demo tenant (once; fixed e-mails, printed password)\n"
		"  config            print the effective configuration\n"
		"  routes            print the route table as JSON (for the API contract)\n"
		"  version           print the version\n"
		"\n"
		"The configuration file defaults to %s (or $MENHIR_CONFIG);\n"
		"every key can be overridden by a MENHIR_<KEY> environment variable.\n",
		MH_CONFIG_DEFAULT_PATH);
}

/* The route table as JSON lines, so the OpenAPI contract test can compare
 * the documented paths with the ones that really exist. */
static void print_routes(void)
{
	printf("[\n");
	for (size_t i = 0; i < mh_router_count(); i++) {
		const struct mh_route *r = mh_router_at(i);
		const char *role[] = { "none", "viewer", "member", "admin", "owner" };

		printf("  {\"method\": \"%s\", \"pattern\": \"%s\", \"public\": %s, "
		       "\"json_body\": %s, \"raw_body\": %s, \"internal\": %s, \"test_only\": %s, "
		       "\"min_role\": \"%s\"}%s\n",
		       mh_method_name(r->method), r->pattern, r->flags & MH_PUBLIC ? "true" : "false",
		       r->flags & MH_JSON_BODY ? "true" : "false",
		       r->flags & MH_RAW_BODY ? "true" : "false",
		       r->flags & MH_INTERNAL ? "true" : "false",
		       r->flags & MH_TEST_ONLY ? "true" : "false", role[r->min_role],
		       i + 1 < mh_router_count() ? "," : "");
	}
	printf("]\n");
}

int main(int argc, char **argv)
{
	static struct mh_config cfg;
	const char *config_path = getenv("MENHIR_CONFIG");
	int required = config_path != NULL, argi = 1;
	char err[1024];
	const char *cmd;

	if (argi + 1 < argc && strcmp(argv[argi], "--config") == 0) {
		config_path = argv[argi + 1];
		required = 1;
		argi += 2;
	}
	if (config_path == NULL)
		config_path = MH_CONFIG_DEFAULT_PATH;
	if (argi >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[argi++];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("menhir %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (mh_config_load(&cfg, config_path, required, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir: %s\n", err);
		return 1;
	}
	mh_log_set_level(cfg.log_level);

	if (strcmp(cmd, "config") == 0 && argi == argc) {
		mh_config_dump(&cfg, STDOUT_FILENO);
		return 0;
	}
	if (strcmp(cmd, "routes") == 0 && argi == argc) {
		if (mh_router_build(mh_modules, cfg.enable_test_routes, err, sizeof(err)) < 0) {
			fprintf(stderr, "menhir: %s\n", err);
			return 1;
		}
		print_routes();
		mh_router_free();
		return 0;
	}
	if (strcmp(cmd, "migrate") == 0) {
		int status_only = argi < argc && strcmp(argv[argi], "--status") == 0;
		if (argi + status_only != argc) {
			usage(stderr);
			return 2;
		}
		return mh_migrate_run(&cfg, status_only);
	}
	if (strcmp(cmd, "keys") == 0 && argi + 1 == argc) {
		const char *sub = argv[argi];
		char kid[64];
		int rc;

		if (strcmp(sub, "list") == 0) {
			rc = mh_keys_list(cfg.keys_dir, stdout, err, sizeof(err));
		} else if (strcmp(sub, "generate") == 0) {
			rc = mh_keys_generate(cfg.keys_dir, kid, sizeof(kid), err, sizeof(err));
		} else if (strcmp(sub, "rotate") == 0) {
			rc = mh_keys_rotate(cfg.keys_dir, kid, sizeof(kid), err, sizeof(err));
		} else {
			usage(stderr);
			return 2;
		}
		if (rc < 0) {
			fprintf(stderr, "menhir: %s\n", err);
			return 1;
		}
		if (sub[0] == 'l')
			return 0;
		/* Running workers sign with the old key until `systemctl reload`. */
		printf("%s\n", kid);
		/* The key exists either way; a missing audit row is reported, and
		 * the exit status says so, so scripts can retry the record. */
		return mh_sysaudit_record(&cfg, sub[0] == 'r' ? "keys.rotate" : "keys.generate",
					  kid) < 0
			       ? 3
			       : 0;
	}
	if (strcmp(cmd, "admin") == 0 && argi < argc) {
		if (strcmp(argv[argi], "create-user") == 0)
			return users_admin_create_user(&cfg, argc - argi - 1, argv + argi + 1);
		if (strcmp(argv[argi], "create-tenant") == 0)
			return tenants_admin_create_tenant(&cfg, argc - argi - 1, argv + argi + 1);
		if (strcmp(argv[argi], "unlock-login") == 0)
			return auth_admin_unlock_login(&cfg, argc - argi - 1, argv + argi + 1);
		if (strcmp(argv[argi], "seed") == 0)
			return seed_admin_command(&cfg, argc - argi - 1, argv + argi + 1);
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "work") == 0)
		return mh_work_main(&cfg, argc - argi, argv + argi);
	if (strcmp(cmd, "serve") == 0 && argi == argc) {
		if (mh_app_init(&cfg, err, sizeof(err)) < 0 ||
		    mh_app_configure(&cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "menhir: %s\n", err);
			return 1;
		}
		return mh_server_run(&cfg, config_path, required);
	}
	fprintf(stderr, "menhir: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
