/* modules.c - the registry: adding a module is one folder and one line here. */
#include "modules/modules.h"

/*
 * One line per module, in the order their routes are merged and their hooks run. X(name)
 * stands for the folder src/modules/<name>/, which defines `const struct mh_module
 * <name>_module` and lists its sources in src/modules/<name>/module.am.
 */
#define MH_MODULE_LIST(X)                                                                          \
	X(health)                                                                                  \
	X(metrics)                                                                                 \
	X(system)                                                                                  \
	X(testsupport)                                                                             \
	X(auth)                                                                                    \
	X(tenants)                                                                                 \
	X(users)                                                                                   \
	X(apikeys)                                                                                 \
	X(documents)                                                                               \
	X(jobs)                                                                                    \
	X(processing)                                                                              \
	X(webhooks)                                                                                \
	X(mail)                                                                                    \
	X(invitations)                                                                             \
	X(billing)                                                                                 \
	/* the end of the list: a new module is one line `X(name) \` anywhere above */

#define MH_MODULE_DECLARE(name) extern const struct mh_module name##_module;
#define MH_MODULE_ENTRY(name)   &name##_module,

MH_MODULE_LIST(MH_MODULE_DECLARE)

const struct mh_module *const mh_modules[] = {MH_MODULE_LIST(MH_MODULE_ENTRY) NULL};
