/* processing.h - the processing module's public face: document processing features run as
 * background jobs. */
#ifndef PROCESSING_H
#define PROCESSING_H

#include "core/arena.h"
#include "core/module.h"

extern const struct mh_module processing_module;

/* Every registered feature's name as a PostgreSQL text[] literal ("{stats,keywords,…}") in a,
 * for whoever switches them all on for a tenant (the demo seed); NULL on exhaustion. */
const char *processing_feature_names_array(struct mh_arena *a);

#endif
