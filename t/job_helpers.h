/* job_helpers.h - helpers of the job, processing, events and webhook suites. */
#ifndef T_JOB_HELPERS_H
#define T_JOB_HELPERS_H

#include "doc_helpers.h"

#endif
