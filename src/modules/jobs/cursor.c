/* cursor.c - the jobs list's opaque cursor: the last row's position and the filters it was
 * made under. */
#include "modules/jobs/internal.h"

#include <string.h>

#include "core/cursor.h"
#include "core/validate.h"

const char *const jobs_statuses[] = {"queued", "running",   "succeeded", "failed",
                                     "dead",   "cancelled", NULL};

/* A cursor used with other filters would silently skip or repeat rows, so the filters are
 * part of it and a mismatch is refused. */
const char *jobs_cursor(struct mh_arena *a, const struct jobs_list_query *q, const char *key,
                        const char *id)
{
	const char *fields[4] = {key, id, q->status ? q->status : "",
	                         q->document_id ? q->document_id : ""};
	return mh_cursor_encode(a, fields, 4);
}

int jobs_cursor_read(struct mh_arena *a, const char *c, struct jobs_list_query *q)
{
	const char *f[4];

	if (mh_cursor_decode(a, c, f, 4) < 0 || !mh_is_cursor_timestamp(f[0]) ||
	    !mh_is_uuid(f[1]) || strcmp(f[2], q->status ? q->status : "") != 0 ||
	    strcmp(f[3], q->document_id ? q->document_id : "") != 0)
		return -1;
	q->after_key = f[0];
	q->after_id = f[1];
	return 0;
}
