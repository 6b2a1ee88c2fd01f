/* it_jobs.c - (being written). */
#include <criterion/criterion.h>
#include "job_helpers.h"
