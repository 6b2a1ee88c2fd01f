/* unit_scaffold.c - `menhir new-module`: which names it accepts, what it writes into a tree
 * and adds to the registry, the build and the isolation matrix, and that it refuses to
 * overwrite or to half-write (script/lib/check-new-module.sh builds and runs the result). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/scaffold.h"

static char root[PATH_MAX];

static void put(const char *path, const char *text)
{
	char full[PATH_MAX + 64];
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	f = fopen(full, "w");
	cr_assert_not_null(f, "%s", full);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* The whole file, malloc'd (NULL when it does not exist). */
static char *get(const char *path)
{
	char full[PATH_MAX + 64], *s;
	FILE *f;
	long n;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	f = fopen(full, "r");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static int exists(const char *path)
{
	char full[PATH_MAX + 64];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	return stat(full, &st) == 0;
}

#define REGISTRY                                                                                   \
	"#include \"modules/health/health.h\"\n\n"                                                 \
	"const struct mh_module *const mh_modules[] = {\n\t&health_module,\n\tNULL,\n};\n"
#define MAKEFILE                                                                                   \
	"libmenhir_a_SOURCES = \\\n\tsrc/modules/modules.c src/modules/modules.h \\\n"             \
	"\tsrc/modules/health/health.c\n\nunit_tests = t/unit_arena\nit_tests = t/it_server\n"
#define ISOLATION                                                                                  \
	"static const struct expectation table[] = {\n"                                            \
	"        {\"GET\", \"/healthz\", NULL, PREP_NONE, 0, {200, 200, 200, 200, 200, 200, "      \
	"200}},\n"                                                                                 \
	"        /* menhir new-module adds its rows above this line. */\n};\n"

static void setup(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(root, sizeof(root), "/tmp/unit_scaffold.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "%s/src", root);
	cr_assert_eq(mkdir(cmd, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/src/modules", root);
	cr_assert_eq(mkdir(cmd, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/t", root);
	cr_assert_eq(mkdir(cmd, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/schema", root);
	cr_assert_eq(mkdir(cmd, 0755), 0);
	put("src/modules/modules.c", REGISTRY);
	put("Makefile.am", MAKEFILE);
	put("t/it_isolation.c", ISOLATION);
	put("schema/0001_foundation.sql", "");
	put("schema/0012_later.sql", "");
	put("schema/roles.sql", "");
}
static void teardown(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
}
TestSuite(scaffold, .init = setup, .fini = teardown);

Test(scaffold, names)
{
	static const char *const good[] = {
	        "widgets", "ab", "new_thing", "x9", "abcdefghijklmnopqrstuvwxyz01234", NULL};
	static const char *const bad[] = {"",
	                                  "a",
	                                  "Widgets",
	                                  "9lives",
	                                  "new-thing",
	                                  "thing_",
	                                  "user",
	                                  "order",
	                                  "a b",
	                                  "../etc",
	                                  "abcdefghijklmnopqrstuvwxyz012345",
	                                  NULL};
	char err[256];

	for (size_t i = 0; good[i] != NULL; i++)
		cr_expect_eq(mh_scaffold_name_ok(good[i], err, sizeof(err)), 0, "%s: %s", good[i],
		             err);
	for (size_t i = 0; bad[i] != NULL; i++)
		cr_expect_eq(mh_scaffold_name_ok(bad[i], err, sizeof(err)), -1, "%s", bad[i]);
}

Test(scaffold, writes_the_module_and_its_lines)
{
	static const char *const files[] = {"src/modules/new_thing/new_thing.h",
	                                    "src/modules/new_thing/internal.h",
	                                    "src/modules/new_thing/routes.c",
	                                    "src/modules/new_thing/schemas.c",
	                                    "src/modules/new_thing/service.c",
	                                    "src/modules/new_thing/repo.c",
	                                    "schema/0013_new_thing.sql",
	                                    "t/unit_new_thing.c",
	                                    "t/it_new_thing.c",
	                                    NULL};
	char err[256], *s;

	cr_assert_eq(mh_scaffold_module(root, "new_thing", err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; files[i] != NULL; i++) {
		s = get(files[i]);
		cr_assert_not_null(s, "%s", files[i]);
		cr_expect(strchr(s, '@') == NULL, "%s keeps a placeholder", files[i]);
		free(s);
	}
	s = get("src/modules/new_thing/routes.c");
	cr_expect(strstr(s, "\"/api/v1/new-thing\"") != NULL);
	cr_expect(strstr(s, "NEW_THING_PAGE_MAX") != NULL);
	cr_expect(strstr(s, "\"listNewThing\"") != NULL);
	free(s);
	s = get("schema/0013_new_thing.sql");
	cr_expect(strstr(s, "ALTER TABLE new_thing FORCE ROW LEVEL SECURITY;") != NULL);
	cr_expect(strstr(s, "tenant_id uuid NOT NULL") != NULL);
	free(s);
	s = get("src/modules/modules.c");
	cr_expect(strstr(s, "#include \"modules/new_thing/new_thing.h\"\n\nconst struct") != NULL,
	          "%s", s);
	cr_expect(strstr(s, "\t&new_thing_module,\n\tNULL,\n};") != NULL, "%s", s);
	free(s);
	s = get("Makefile.am");
	cr_expect(strstr(s, "src/modules/modules.h \\\n\tsrc/modules/new_thing/new_thing.h") !=
	                  NULL,
	          "%s", s);
	cr_expect(strstr(s, "\nunit_tests = t/unit_new_thing t/unit_arena\n") != NULL, "%s", s);
	cr_expect(strstr(s, "\nit_tests = t/it_new_thing t/it_server\n") != NULL, "%s", s);
	cr_expect(strstr(s, "t_it_new_thing_SOURCES = t/it_new_thing.c") != NULL, "%s", s);
	free(s);
	s = get("t/it_isolation.c");
	cr_expect(strstr(s, "{\"POST\", \"/api/v1/new-thing\", \"{\\\"name\\\":\\\"Iso\\\"}\"") !=
	                  NULL,
	          "%s", s);
	cr_expect(strstr(s, "201}},\n        /* menhir new-module adds") != NULL, "%s", s);
	free(s);
}

Test(scaffold, refuses_an_existing_module_and_changes_nothing)
{
	char err[256], *before, *after;

	cr_assert_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), 0, "%s", err);
	before = get("src/modules/modules.c");
	cr_expect_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), -1);
	cr_expect(strstr(err, "already exists") != NULL, "%s", err);
	after = get("src/modules/modules.c");
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
}

Test(scaffold, never_overwrites_a_file)
{
	char err[256], *s;

	put("t/unit_widgets.c", "mine\n");
	cr_expect_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), -1);
	cr_expect(strstr(err, "t/unit_widgets.c exists") != NULL, "%s", err);
	s = get("t/unit_widgets.c");
	cr_expect_str_eq(s, "mine\n");
	free(s);
	cr_expect(!exists("src/modules/widgets"), "nothing is written when one file exists");
}

Test(scaffold, a_missing_anchor_writes_nothing)
{
	char err[256], *s;

	put("t/it_isolation.c", "static const struct expectation table[] = {\n};\n");
	cr_expect_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), -1);
	cr_expect(strstr(err, "t/it_isolation.c") != NULL, "%s", err);
	cr_expect(!exists("src/modules/widgets"));
	cr_expect(!exists("schema/0013_widgets.sql"));
	s = get("src/modules/modules.c");
	cr_expect_str_eq(s, REGISTRY);
	free(s);
}

/* The layout where the registry is a list of X(name) lines and each module lists its sources
 * in its own module.am, included by Makefile.am. */
#define REGISTRY_X                                                                                 \
	"#define MH_MODULE_LIST(X)" PAD_LIST "\\\n"                                                \
	"\tX(health)" PAD_HEALTH "\\\n"                                                            \
	"\t/* the end of the list: a new module is one line `X(name) \\` anywhere above */\n"
#define PAD_LIST "                                                                          "
#define PAD_HEALTH                                                                                 \
	"                                                                                  "
#define MAKEFILE_AM                                                                                \
	"libmenhir_a_SOURCES = \\\n\tsrc/modules/modules.c src/modules/modules.h\n\n"              \
	"include $(srcdir)/src/modules/health/module.am\n\nbin_PROGRAMS = menhir\n"                \
	"unit_tests = t/unit_arena\nit_tests = t/it_server\n"

Test(scaffold, per_module_am_layout)
{
	char err[256], *s, *line;

	put("src/modules/modules.c", REGISTRY_X);
	put("Makefile.am", MAKEFILE_AM);
	cr_assert_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), 0, "%s", err);
	s = get("src/modules/modules.c");
	line = strstr(s, "\tX(widgets)");
	cr_assert_not_null(line, "%s", s);
	cr_expect_eq(strcspn(line, "\n"), strlen("\tX(health)" PAD_HEALTH "\\"),
	             "the \\ lines up: %s", s);
	cr_expect(strstr(s, "\\\n\t/* the end of the list") != NULL, "%s", s);
	cr_expect(strstr(s, "#include") == NULL, "%s", s);
	free(s);
	s = get("Makefile.am");
	cr_expect(strstr(s, "health/module.am\ninclude $(srcdir)/src/modules/widgets/module.am\n\n"
	                    "bin_PROGRAMS") != NULL,
	          "%s", s);
	cr_expect(strstr(s, "src/modules/widgets/routes.c") == NULL, "sources go to module.am");
	free(s);
	s = get("src/modules/widgets/module.am");
	cr_assert_not_null(s);
	cr_expect(strstr(s, "libmenhir_a_SOURCES += \\\n") != NULL, "%s", s);
	cr_expect(strstr(s, "src/modules/widgets/routes.c") != NULL, "%s", s);
	free(s);
	cr_expect_eq(mh_scaffold_module(root, "widgets", err, sizeof(err)), -1);
}
