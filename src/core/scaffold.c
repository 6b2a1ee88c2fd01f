/* scaffold.c - `menhir new-module NAME`: substitutes the name into the templates
 * (scaffold_templates.c) and adds the module's lines to the registry, the build and the
 * isolation matrix, all checked before anything is written. */
#include "core/scaffold.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"

#define NAME_MAX_LEN 31

/* Words PostgreSQL reserves: the module's name is also its table's. */
static const char *const reserved[] = {
        "all",      "analyse", "analyze", "and",    "any",    "array",  "as",      "asc",
        "both",     "case",    "cast",    "check",  "column", "create", "default", "desc",
        "distinct", "do",      "else",    "end",    "except", "false",  "for",     "foreign",
        "from",     "grant",   "group",   "having", "in",     "into",   "limit",   "not",
        "null",     "offset",  "on",      "only",   "or",     "order",  "primary", "select",
        "table",    "then",    "to",      "true",   "union",  "unique", "user",    "using",
        "when",     "where",   "with",    NULL,
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int mh_scaffold_name_ok(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n < 2 || n > NAME_MAX_LEN || name[0] < 'a' || name[0] > 'z' || name[n - 1] == '_')
		return fail(
		        err, errlen,
		        "module name '%s': 2 to %d characters, [a-z][a-z0-9_]*, not ending in _",
		        name, NAME_MAX_LEN);
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return fail(err, errlen, "module name '%s': only a-z, 0-9 and _", name);
	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(name, reserved[i]) == 0)
			return fail(err, errlen, "module name '%s' is an SQL reserved word", name);
	return 0;
}

/* The placeholders' values for one module. */
struct names {
	const char *name;
	char upper[NAME_MAX_LEN + 1];
	char camel[NAME_MAX_LEN + 1];
	char number[8];
	char path[NAME_MAX_LEN + 1]; /* the URL segment: _ becomes - */
	char xline[128];             /* the X-macro registry's line, its \ in column 100 */
	int per_module_am;           /* the tree's layout: sources in src/modules/NAME/module.am */
};

/* Appends text with every placeholder replaced. Returns 0, or -1 when out of memory. */
static int expand(struct mh_buf *b, const char *text, const struct names *nm)
{
	static const char *const keys[] = {"@name@", "@NAME@", "@Name@", "@NNNN@", "@path@", "@X@"};
	const char *values[] = {nm->name, nm->upper, nm->camel, nm->number, nm->path, nm->xline};

	while (*text != '\0') {
		size_t k = 0;

		for (; k < 6; k++)
			if (strncmp(text, keys[k], strlen(keys[k])) == 0)
				break;
		if (k < 6) {
			mh_buf_puts(b, values[k]);
			text += strlen(keys[k]);
		} else {
			mh_buf_putc(b, *text++);
		}
	}
	return b->failed ? -1 : 0;
}

/* The whole file at root/path into a fresh buffer. Returns 0, or -1 (errno set). */
static int slurp(const char *root, const char *path, struct mh_buf *b)
{
	char full[4096], chunk[8192];
	FILE *f;
	size_t n;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	f = fopen(full, "r");
	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mh_buf_append(b, chunk, n);
	if (ferror(f) || mh_buf_cstr(b) == NULL) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	return 0;
}

/* Inserts text into the NUL-terminated file in b before (after = 0) or after anchor's first
 * occurrence. Returns 0, or -1 when the anchor is missing or memory runs out. */
static int insert(struct mh_buf *b, const char *anchor, int after, const char *text)
{
	struct mh_buf out;
	const char *at = strstr(b->data, anchor);
	size_t pos;

	if (at == NULL)
		return -1;
	pos = (size_t)(at - b->data) + (after ? strlen(anchor) : 0);
	mh_buf_init(&out, b->arena, b->len + strlen(text) + 1);
	mh_buf_append(&out, b->data, pos);
	mh_buf_puts(&out, text);
	mh_buf_append(&out, b->data + pos, b->len - pos);
	if (mh_buf_cstr(&out) == NULL)
		return -1;
	*b = out;
	return 0;
}

/* The next migration number: one past the highest schema/NNNN_*.sql. */
static int next_migration(const char *root, char *out, size_t outlen)
{
	char dir[4096];
	struct dirent *e;
	long max = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/schema", root);
	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (end == e->d_name + 4 && *end == '_' && v > max)
			max = v;
	}
	closedir(d);
	/* Four digits is the migrations' naming rule; 9999 files would be a bigger problem. */
	if (max >= 9999 || snprintf(out, outlen, "%04d", (int)(max + 1) % 10000) >= (int)outlen)
		return -1;
	return 0;
}

/* Writes len bytes to root/path, which must not exist. */
static int write_new(const char *root, const char *path, const char *data, size_t len)
{
	char full[4096];
	FILE *f;
	int fd;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Replaces root/path with data, through a temporary file and rename (never half-written). */
static int write_over(const char *root, const char *path, const char *data)
{
	char tmp[4200], full[4096];

	snprintf(full, sizeof(full), "%s/%s", root, path);
	snprintf(tmp, sizeof(tmp), "%s.new-module", path);
	if (write_new(root, tmp, data, strlen(data)) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/%s.new-module", root, path);
	return rename(tmp, full);
}

/* The files the scaffold edits, in order, with what it adds. */
enum { EDIT_REGISTRY, EDIT_MAKEFILE, EDIT_ISOLATION, NEDITS };
static const char *const edit_paths[NEDITS] = {"src/modules/modules.c", "Makefile.am",
                                               "t/it_isolation.c"};

/* The marker t/it_isolation.c's table keeps for the scaffold's rows. */
#define ISOLATION_MARKER "/* menhir new-module adds its rows above this line. */"

static const char *const makefile_sources =
        "\tsrc/modules/@name@/@name@.h src/modules/@name@/internal.h src/modules/@name@/routes.c "
        "\\\n"
        "\tsrc/modules/@name@/schemas.c src/modules/@name@/service.c src/modules/@name@/repo.c "
        "\\\n";
/* The layout where each module lists its sources in its own module.am. */
static const char *const module_am =
        "# src/modules/@name@/module.am - the @name@ module's sources (Makefile.am includes this "
        "file).\n"
        "libmenhir_a_SOURCES += \\\n"
        "\tsrc/modules/@name@/@name@.h src/modules/@name@/internal.h src/modules/@name@/repo.c \\\n"
        "\tsrc/modules/@name@/routes.c src/modules/@name@/schemas.c src/modules/@name@/service.c\n";
static const char *const makefile_suites =
        "t_unit_@name@_SOURCES = t/unit_@name@.c\n"
        "t_unit_@name@_CFLAGS = $(T_CFLAGS)\n"
        "t_unit_@name@_LDADD = $(T_LDADD)\n"
        "t_it_@name@_SOURCES = t/it_@name@.c $(T_DOC_HELPERS) $(T_HELPERS)\n"
        "t_it_@name@_CFLAGS = $(T_CFLAGS)\n"
        "t_it_@name@_LDADD = $(T_LDADD)\n";
static const char *const isolation_rows =
        "/* @name@ (menhir new-module): viewer+ lists, member+ creates; B sees its own. */\n"
        "        {\"GET\", \"/api/v1/@path@\", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, "
        "200}},\n"
        "        {\"POST\", \"/api/v1/@path@\", \"{\\\"name\\\":\\\"Iso\\\"}\", PREP_NONE, 0, "
        "{401, 401, 403, 201, 201, 201, 201}},\n"
        "        ";

/* Appends tpl expanded and returns it NUL-terminated (NULL when out of memory). */
static const char *expanded(struct mh_buf *t, const char *tpl, const struct names *nm)
{
	t->len = 0;
	if (expand(t, tpl, nm) < 0)
		return NULL;
	return mh_buf_cstr(t);
}

/* One addition to an edited file. */
struct addition {
	int file;
	const char *anchor;
	int after; /* 1: after the anchor; 0: before it */
	const char *text;
	const char *what;
};

/* Applies the scaffold's additions to the edited files (in memory). */
static int edit_all(struct mh_buf *files, const struct names *nm, char *err, size_t errlen)
{
	/* A registry of X(name) lines and one module.am per module. */
	const struct addition adds_am[] = {
	        {EDIT_REGISTRY, "\t/* the end of the list", 0, "@X@\n", "the registry line"},
	        {EDIT_MAKEFILE, "\nbin_PROGRAMS = menhir", 0,
	         "include $(srcdir)/src/modules/@name@/module.am\n", "the module.am include"},
	        {EDIT_MAKEFILE, "\nunit_tests = ", 1, "t/unit_@name@ ", "the unit suite"},
	        {EDIT_MAKEFILE, "\nit_tests = ", 1, "t/it_@name@ ", "the integration suite"},
	        {EDIT_ISOLATION, ISOLATION_MARKER, 0, isolation_rows, "the matrix rows"},
	};
	/* A registry of includes and pointers, and every source in Makefile.am. */
	const struct addition adds_list[] = {
	        {EDIT_REGISTRY, "\nconst struct mh_module *const mh_modules[]", 0,
	         "#include \"modules/@name@/@name@.h\"\n", "the include"},
	        {EDIT_REGISTRY, "\tNULL,\n};", 0, "\t&@name@_module,\n", "the registry line"},
	        {EDIT_MAKEFILE, "src/modules/modules.c src/modules/modules.h \\\n", 1,
	         makefile_sources, "the sources"},
	        {EDIT_MAKEFILE, "\nunit_tests = ", 1, "t/unit_@name@ ", "the unit suite"},
	        {EDIT_MAKEFILE, "\nit_tests = ", 1, "t/it_@name@ ", "the integration suite"},
	        {EDIT_ISOLATION, ISOLATION_MARKER, 0, isolation_rows, "the matrix rows"},
	};
	const struct addition *adds = nm->per_module_am ? adds_am : adds_list;
	size_t nadds = nm->per_module_am ? sizeof(adds_am) / sizeof(adds_am[0])
	                                 : sizeof(adds_list) / sizeof(adds_list[0]);
	struct mh_buf t;
	const char *text;

	mh_buf_init(&t, files[0].arena, 1024);
	for (size_t i = 0; i < nadds; i++) {
		text = expanded(&t, adds[i].text, nm);
		if (text == NULL ||
		    insert(&files[adds[i].file], adds[i].anchor, adds[i].after, text) < 0)
			return fail(err, errlen, "%s: cannot add %s (is '%s' still there?)",
			            edit_paths[adds[i].file], adds[i].what, adds[i].anchor);
	}
	/* The suites' build lines go last in Makefile.am. */
	if (expand(&files[EDIT_MAKEFILE], makefile_suites, nm) < 0 ||
	    mh_buf_cstr(&files[EDIT_MAKEFILE]) == NULL)
		return fail(err, errlen, "out of memory");
	return 0;
}

int mh_scaffold_module(const char *root, const char *name, char *err, size_t errlen)
{
	struct mh_arena arena;
	struct mh_buf files[NEDITS], t;
	struct names nm = {.name = name};
	char dir[4096], registered[64];
	const char *path, *text;
	struct stat st;
	size_t i, k = 0;
	int rc = -1, upper_next = 1;

	if (mh_scaffold_name_ok(name, err, errlen) < 0)
		return -1;
	for (i = 0; name[i] != '\0'; i++) {
		nm.upper[i] = (char)toupper((unsigned char)name[i]);
		nm.path[i] = name[i] == '_' ? '-' : name[i];
		if (name[i] != '_')
			nm.camel[k++] = upper_next ? nm.upper[i] : name[i];
		upper_next = name[i] == '_';
	}
	if (mh_arena_init(&arena, 1 << 20) < 0)
		return fail(err, errlen, "out of memory");
	mh_buf_init(&t, &arena, 4096);
	for (i = 0; i < NEDITS; i++) {
		mh_buf_init(&files[i], &arena, 1 << 16);
		if (slurp(root, edit_paths[i], &files[i]) < 0) {
			fail(err, errlen,
			     "cannot read %s (run it at the top of the source tree): %s",
			     edit_paths[i], strerror(errno));
			goto out;
		}
	}
	nm.per_module_am = strstr(files[EDIT_REGISTRY].data, "MH_MODULE_LIST(X)") != NULL;
	snprintf(nm.xline, sizeof(nm.xline), "\tX(%s)%*s\\", name, (int)(99 - 8 - 3 - strlen(name)),
	         "");
	snprintf(registered, sizeof(registered), nm.per_module_am ? "X(%s)" : "&%s_module,", name);
	snprintf(dir, sizeof(dir), "%s/src/modules/%s", root, name);
	if (strstr(files[EDIT_REGISTRY].data, registered) != NULL || stat(dir, &st) == 0) {
		fail(err, errlen, "a module named %s already exists", name);
		goto out;
	}
	if (next_migration(root, nm.number, sizeof(nm.number)) < 0) {
		fail(err, errlen, "cannot read schema/: %s", strerror(errno));
		goto out;
	}
	for (const struct mh_scaffold_file *f = mh_scaffold_files; f->path != NULL; f++) {
		path = expanded(&t, f->path, &nm);
		if (path == NULL) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		snprintf(dir, sizeof(dir), "%s/%s", root, path);
		if (stat(dir, &st) == 0) {
			fail(err, errlen, "%s exists: refusing to overwrite it", path);
			goto out;
		}
	}
	if (edit_all(files, &nm, err, errlen) < 0)
		goto out;
	/* Everything checked: now write. */
	snprintf(dir, sizeof(dir), "%s/src/modules/%s", root, name);
	if (mkdir(dir, 0755) < 0) {
		fail(err, errlen, "cannot create src/modules/%s: %s", name, strerror(errno));
		goto out;
	}
	for (const struct mh_scaffold_file *f = mh_scaffold_files; f->path != NULL; f++) {
		struct mh_buf p;

		mh_buf_init(&p, &arena, 256);
		path = expanded(&p, f->path, &nm);
		text = expanded(&t, f->text, &nm);
		if (path == NULL || text == NULL || write_new(root, path, text, t.len) < 0) {
			fail(err, errlen, "cannot write %s: %s", path ? path : f->path,
			     strerror(errno));
			goto out;
		}
		printf("created %s\n", path);
	}
	if (nm.per_module_am) {
		struct mh_buf p;

		mh_buf_init(&p, &arena, 256);
		path = expanded(&p, "src/modules/@name@/module.am", &nm);
		text = expanded(&t, module_am, &nm);
		if (path == NULL || text == NULL || write_new(root, path, text, t.len) < 0) {
			fail(err, errlen, "cannot write src/modules/%s/module.am: %s", name,
			     strerror(errno));
			goto out;
		}
		printf("created %s\n", path);
	}
	for (i = 0; i < NEDITS; i++) {
		if (write_over(root, edit_paths[i], files[i].data) < 0) {
			fail(err, errlen, "cannot update %s: %s", edit_paths[i], strerror(errno));
			goto out;
		}
		printf("updated %s\n", edit_paths[i]);
	}
	rc = 0;
out:
	mh_arena_destroy(&arena);
	return rc;
}
