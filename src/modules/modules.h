/* modules.h - the one table of business modules (see modules.c). */
#ifndef MH_MODULES_H
#define MH_MODULES_H

#include "core/module.h"

#endif
