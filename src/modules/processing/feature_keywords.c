/* feature_keywords.c - (being written). */
#include "modules/processing/internal.h"
