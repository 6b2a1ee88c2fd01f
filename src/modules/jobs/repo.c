/* repo.c - (being written). */
#include "modules/jobs/internal.h"
