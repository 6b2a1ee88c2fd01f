/* jobs.h - the jobs module's public face: the jobs API: status, lists, cancel, retry, live events. */
#ifndef JOBS_H
#define JOBS_H

#include "core/module.h"

extern const struct mh_module jobs_module;

#endif
