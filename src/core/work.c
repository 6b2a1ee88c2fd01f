/* work.c - (being written). */
#include "core/work.h"
