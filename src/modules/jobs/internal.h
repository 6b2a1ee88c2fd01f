/* internal.h - what the jobs module's files share (not for other modules). */
#ifndef JOBS_INTERNAL_H
#define JOBS_INTERNAL_H

#include "core/db.h"
#include "modules/jobs/jobs.h"

int jobs_stream(struct mh_request *req, struct mh_response *res);
extern const struct mh_db_statement jobs_stream_statements[];

#endif
