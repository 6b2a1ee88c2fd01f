/* internal.h - what the jobs module's files share (not for other modules). */
#ifndef JOBS_INTERNAL_H
#define JOBS_INTERNAL_H

#include "modules/jobs/jobs.h"

#endif
