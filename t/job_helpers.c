/* job_helpers.c - helpers of the job, processing, events and webhook suites. */
#include "job_helpers.h"
