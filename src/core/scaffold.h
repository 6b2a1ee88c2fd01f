/* scaffold.h - `menhir new-module NAME`: a new module in the current conventions. */
#ifndef MH_SCAFFOLD_H
#define MH_SCAFFOLD_H

#include <stddef.h>

/* One file the scaffold writes: its path and text, both with @name@-style placeholders. */
struct mh_scaffold_file {
	const char *path;
	const char *text;
};
/* scaffold_templates.c: every file, ending with a zeroed entry. */
extern const struct mh_scaffold_file mh_scaffold_files[];

/*
 * Whether name may name a new module: [a-z][a-z0-9_]{1,30}, not ending with '_', not an SQL
 * reserved word (it names the table). Returns 0, or -1 with the reason in err.
 */
int mh_scaffold_name_ok(const char *name, char *err, size_t errlen);

/*
 * Writes the module name into the source tree at root: src/modules/NAME/ (public header,
 * internal header, route table, schemas, service, repository), the next schema/NNNN_NAME.sql,
 * t/unit_NAME.c and t/it_NAME.c; and adds its registry line to src/modules/modules.c (an
 * include and a pointer, or one X(NAME) line when the registry is an MH_MODULE_LIST), its
 * sources to Makefile.am (or to its own src/modules/NAME/module.am, included by one line,
 * when the tree's modules list theirs that way), its suites to Makefile.am and its rows to
 * t/it_isolation.c's matrix. Checks
 * everything (the name, no existing module or file, every anchor found) before it writes
 * anything, and never overwrites a file. Returns 0, or -1 with the reason in err.
 */
int mh_scaffold_module(const char *root, const char *name, char *err, size_t errlen);

#endif
