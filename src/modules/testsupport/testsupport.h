/* testsupport.h - routes that exist only with enable_test_routes = true. */
#ifndef MH_TESTSUPPORT_H
#define MH_TESTSUPPORT_H

#include "core/module.h"

extern const struct mh_module testsupport_module;

#endif
