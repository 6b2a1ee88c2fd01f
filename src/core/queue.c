/* queue.c - (being written). */
#include "core/queue.h"
