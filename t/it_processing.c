/* it_processing.c - (being written). */
#include <criterion/criterion.h>
#include "job_helpers.h"
