/* processing.h - the processing module's public face: document processing features run as
 * background jobs. */
#ifndef PROCESSING_H
#define PROCESSING_H

#include "core/arena.h"
#include "core/module.h"

extern const struct mh_module processing_module;

#endif
