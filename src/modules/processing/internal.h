/* internal.h - what the processing module's files share (not for other modules). */
#ifndef PROCESSING_INTERNAL_H
#define PROCESSING_INTERNAL_H

#include "modules/processing/processing.h"

#endif
