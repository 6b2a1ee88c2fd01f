/* url.c - (being written). */
#include "modules/webhooks/internal.h"
