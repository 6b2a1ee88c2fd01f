/* settings.c - the documents module's configuration keys (where attachments are stored). */
#include "modules/documents/files.h"

#include <stdio.h>

struct documents_settings documents_settings;

static const struct mh_config_key documents_keys[] = {
        MH_KEY_STR(struct documents_settings, storage_dir, "/var/lib/menhir/files",
                   "where attachments are stored: absolute, outside the web root"),
        {0},
};

/* Files are created relative to it by every worker, whatever its current directory. */
static int documents_check(const void *values, char *err, size_t errlen)
{
	const struct documents_settings *s = values;

	if (s->storage_dir[0] != '/') {
		snprintf(err, errlen, "storage_dir must be an absolute path, not '%s'",
		         s->storage_dir);
		return -1;
	}
	return 0;
}

const struct mh_settings documents_config = {
        documents_keys, &documents_settings, sizeof(documents_settings), documents_check, NULL,
};
