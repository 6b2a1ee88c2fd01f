/* repo.c - (being written). */
#include "modules/webhooks/internal.h"
