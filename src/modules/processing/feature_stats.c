/* feature_stats.c - (being written). */
#include "modules/processing/internal.h"
