/* credentials.h - passwords read from files, such as systemd's LoadCredential= hands over. */
#ifndef MH_CREDENTIALS_H
#define MH_CREDENTIALS_H

#include <stddef.h>

#include "core/config.h"

/*
 * Resolves cfg's *_password_file keys into the settings that use them: the password of
 * database_password_file joins database_url, migrate_database_password_file's joins
 * migrate_database_url (both as libpq's password parameter, in the conninfo's own syntax),
 * redis_password_file's becomes cfg->redis_password (AUTH). A value without a '/' is a
 * systemd credential name, read from $CREDENTIALS_DIRECTORY (LoadCredential=); an absolute
 * path is read as it is. The file holds the password alone; one trailing newline is
 * dropped. Refuses a missing or empty file, a password with a line break or NUL, a URL that
 * already carries a password, and a credential name outside a unit. Returns 0, or -1 with
 * a message for the operator in err (never the password).
 */
int mh_credentials_resolve(struct mh_config *cfg, char *err, size_t errlen);

/* The same rules for a module's own *_file key (key: its name, for messages): reads the
 * secret `name` names into out (size bytes, NUL included). Returns 0, or -1 with a message
 * in err (never the secret). */
int mh_credentials_read(const char *key, const char *name, char *out, size_t size, char *err,
                        size_t errlen);

#endif
