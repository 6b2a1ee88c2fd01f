/* feature_summary.c - (being written). */
#include "modules/processing/internal.h"
