/* main.c - the `menhir` command: dispatches to serve, work, check, migrate, keys, admin, config,
 * routes, openapi, new-module, version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/app.h"
#include "core/check.h"
#include "core/config.h"
#include "core/keys.h"
#include "core/sysaudit.h"
#include "core/log.h"
#include "core/migrate.h"
#include "core/module.h"
#include "core/openapi.h"
#include "core/router.h"
#include "core/scaffold.h"
#include "core/server.h"
#include "core/work.h"
#include "modules/auth/auth.h"
#include "modules/billing/billing.h"
#include "modules/seed/seed.h"
#include "modules/tenants/tenants.h"
#include "modules/users/users.h"

/* The command list: `menhir help` prints it, and the menhir(8) manual page is generated
 * from it (`menhir help --commands`, one tab-separated synopsis and description a line). */
static const struct command {
	const char *synopsis, *help;
} commands[] = {
        {"serve", "run the FastCGI worker pool"},
        {"work [--concurrency N]", "run background jobs"},
        {"check", "verify config, keys, routes, PostgreSQL, Redis, schema (nginx -t)"},
        {"migrate", "apply pending schema migrations"},
        {"migrate --status", "list applied and pending migrations"},
        {"keys generate", "add an RS256 key pair to keys_dir (the first becomes active)"},
        {"keys rotate", "add a key pair and sign new tokens with it"},
        {"keys list", "list the keys in keys_dir and mark the active one"},
        {"admin create-user EMAIL [--name NAME] < password",
         "create a user (password on standard input)"},
        {"admin create-tenant NAME --owner EMAIL [--slug SLUG]",
         "create a tenant owned by an existing user"},
        {"admin unlock-login EMAIL", "lift the failed-login throttle of an account"},
        {"admin seed --tenants N --docs M",
         "N tenants with a user of each role and M documents each"},
        {"admin seed --demo [--docs M]", "the demo tenant (once; fixed e-mails, printed password)"},
        {"admin plans list|show NAME", "the plans: limits, features, price id"},
        {"admin plans set NAME KEY=VALUE...",
         "create or change a plan (limits, features, price_id, title; 'unlimited')"},
        {"admin plans set-default NAME", "the plan new tenants start on"},
        {"admin set-plan TENANT PLAN", "put a tenant (id or slug) on a plan"},
        {"config", "print the effective configuration"},
        {"config --keys", "print every configuration key: section, name, type, default, range, "
                          "help (tab-separated)"},
        {"routes", "print the route table as JSON (for the API contract)"},
        {"openapi", "print the OpenAPI 3.1 document built from the route table"},
        {"new-module NAME", "scaffold a module in the source tree (run at its top): "
                            "src/modules/NAME, a migration, tests, its registry line"},
        {"version", "print the version"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: menhir [--config FILE] COMMAND\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strlen(commands[i].synopsis) < 18)
			fprintf(out, "  %-17s %s\n", commands[i].synopsis, commands[i].help);
		else
			fprintf(out, "  %s\n  %17s %s\n", commands[i].synopsis, "",
			        commands[i].help);
	}
	fprintf(out,
	        "\nThe configuration file defaults to %s (or $MENHIR_CONFIG);\n"
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
		const char *role[] = {"none", "viewer", "member", "admin", "owner"};

		printf("  {\"method\": \"%s\", \"pattern\": \"%s\", \"public\": %s, "
		       "\"json_body\": %s, \"raw_body\": %s, \"internal\": %s, \"test_only\": %s, "
		       "\"api_key\": %s, \"min_role\": \"%s\"}%s\n",
		       mh_method_name(r->method), r->pattern,
		       r->flags & MH_PUBLIC ? "true" : "false",
		       r->body != NULL ? "true" : "false",
		       r->flags & MH_RAW_BODY ? "true" : "false",
		       r->flags & MH_INTERNAL ? "true" : "false",
		       r->flags & MH_TEST_ONLY ? "true" : "false",
		       r->flags & MH_API_KEY ? "true" : "false", role[r->min_role],
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
	/* Works on the source tree, not a deployment: no configuration is read. */
	if (strcmp(cmd, "new-module") == 0 && argi + 1 == argc) {
		if (mh_scaffold_module(".", argv[argi], err, sizeof(err)) < 0) {
			fprintf(stderr, "menhir new-module: %s\n", err);
			return 1;
		}
		printf("next: autoreconf -i && ./configure && make, then ./menhir openapi > "
		       "doc/openapi.json\n");
		return 0;
	}
	if ((strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) && argi == argc) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 && argi + 1 == argc && strcmp(argv[argi], "--commands") == 0) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			printf("%s\t%s\n", commands[i].synopsis, commands[i].help);
		return 0;
	}
	/* The table of keys, not their values: no file is read, so a build can generate the
	 * sample configuration and the manual pages from it. */
	if (strcmp(cmd, "config") == 0 && argi + 1 == argc && strcmp(argv[argi], "--keys") == 0) {
		mh_config_describe(STDOUT_FILENO);
		return 0;
	}
	if (mh_config_load(&cfg, config_path, required, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir%s: %s%s\n", strcmp(cmd, "check") == 0 ? " check" : "",
		        strcmp(cmd, "check") == 0 ? "FAILED: " : "", err);
		return 1;
	}
	mh_log_set_level(cfg.log_level);

	if (strcmp(cmd, "config") == 0 && argi == argc) {
		mh_config_dump(&cfg, STDOUT_FILENO);
		return 0;
	}
	if (strcmp(cmd, "check") == 0 && argi == argc)
		return mh_check_run(&cfg, config_path, stderr);
	if (strcmp(cmd, "routes") == 0 && argi == argc) {
		if (mh_router_build(mh_modules, cfg.enable_test_routes, err, sizeof(err)) < 0) {
			fprintf(stderr, "menhir: %s\n", err);
			return 1;
		}
		print_routes();
		mh_router_free();
		return 0;
	}
	if (strcmp(cmd, "openapi") == 0 && argi == argc) {
		/* The contract never depends on the configuration: no test routes, ever. */
		if (mh_openapi_write(mh_modules, stdout, err, sizeof(err)) < 0 || fflush(stdout) != 0) {
			fprintf(stderr, "menhir: %s\n", err);
			return 1;
		}
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
		if (strcmp(argv[argi], "plans") == 0 || strcmp(argv[argi], "set-plan") == 0)
			return billing_admin_command(&cfg, argc - argi, argv + argi);
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
