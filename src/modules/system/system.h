/* system.h - framework-level endpoints that belong to no business domain. */
#ifndef MH_SYSTEM_H
#define MH_SYSTEM_H

#include "core/module.h"

extern const struct mh_module system_module;

#endif
