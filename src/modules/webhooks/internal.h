/* internal.h - what the webhooks module's files share (not for other modules). */
#ifndef WEBHOOKS_INTERNAL_H
#define WEBHOOKS_INTERNAL_H

#include "modules/webhooks/webhooks.h"

#endif
