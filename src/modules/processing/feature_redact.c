/* feature_redact.c - (being written). */
#include "modules/processing/internal.h"
