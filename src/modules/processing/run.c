/* run.c - (being written). */
#include "modules/processing/internal.h"
