/* credentials.c - passwords read from files, such as systemd's LoadCredential= hands over. */
#include "core/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRET 512

/* Reads the secret `name` (key `key`) into out. Returns 0 or -1 (err). */
static int read_secret(const char *key, const char *name, char out[MAX_SECRET], char *err,
                       size_t errlen)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[1024];
	size_t n;
	FILE *f;

	if (name[0] == '/') {
		snprintf(path, sizeof(path), "%s", name);
	} else if (strchr(name, '/') != NULL) {
		snprintf(err, errlen, "%s must be an absolute path or a credential name, not '%s'",
		         key, name);
		return -1;
	} else if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen,
		         "%s names the systemd credential '%s', but $CREDENTIALS_DIRECTORY is not "
		         "set: run under the unit (LoadCredential=%s) or give an absolute path",
		         key, name, name);
		return -1;
	} else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", key);
		return -1;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read %s: %s%s", key, path, strerror(errno),
		         name[0] == '/' ? ""
		                        : " (is LoadCredential= in the unit, and its file in "
		                          "/etc/credstore/?)");
		return -1;
	}
	n = fread(out, 1, MAX_SECRET, f);
	fclose(f);
	if (n == MAX_SECRET) {
		snprintf(err, errlen, "%s: %s is longer than %d bytes", key, path, MAX_SECRET - 1);
		return -1;
	}
	out[n] = '\0';
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	if (n == 0 || strlen(out) != n || strpbrk(out, "\r\n") != NULL) {
		snprintf(err, errlen, "%s: %s must hold one line, the password", key, path);
		return -1;
	}
	return 0;
}

static int is_uri(const char *conninfo)
{
	return strncmp(conninfo, "postgresql://", 13) == 0 ||
	       strncmp(conninfo, "postgres://", 11) == 0;
}

/* A password already in the conninfo: "password=" in either syntax, or a URI's
 * user:password@ (the ':' before '@' in the authority). */
static int has_password(const char *conninfo)
{
	const char *auth, *at, *end;

	if (strstr(conninfo, "password") != NULL)
		return 1;
	if (!is_uri(conninfo))
		return 0;
	auth = strstr(conninfo, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	return at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

/* Appends the password to a libpq conninfo in its own syntax: a URI's query parameter
 * (percent-encoded), or a quoted key=value pair (' and \ escaped). */
static int join_password(const char *key, char *conninfo, size_t size, const char *pw, char *err,
                         size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(conninfo);
	char add[MAX_SECRET * 3 + 16];
	size_t k = 0;
	int uri = is_uri(conninfo);

	k += (size_t)snprintf(add, sizeof(add), "%s",
	                      uri ? (strchr(conninfo, '?') ? "&password=" : "?password=")
	                          : (len > 0 ? " password='" : "password='"));
	for (const unsigned char *p = (const unsigned char *)pw; *p != '\0'; p++) {
		if (uri && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		             (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)) {
			add[k++] = '%';
			add[k++] = hex[*p >> 4];
			add[k++] = hex[*p & 15];
		} else {
			if (!uri && (*p == '\'' || *p == '\\'))
				add[k++] = '\\';
			add[k++] = (char)*p;
		}
	}
	if (!uri)
		add[k++] = '\'';
	add[k] = '\0';
	if (len + k >= size) {
		snprintf(err, errlen, "%s with its password is longer than %zu characters", key,
		         size - 1);
		return -1;
	}
	memcpy(conninfo + len, add, k + 1);
	return 0;
}

static int resolve_pg(const char *file_key, const char *file, const char *url_key, char *url,
                      size_t size, char *err, size_t errlen)
{
	char pw[MAX_SECRET];
	int rc;

	if (file[0] == '\0')
		return 0;
	if (has_password(url)) {
		snprintf(err, errlen, "%s is set, but %s already carries a password: keep one",
		         file_key, url_key);
		return -1;
	}
	if (read_secret(file_key, file, pw, err, errlen) < 0)
		return -1;
	rc = join_password(url_key, url, size, pw, err, errlen);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int mh_credentials_resolve(struct mh_config *cfg, char *err, size_t errlen)
{
	char pw[MAX_SECRET];

	if (resolve_pg("database_password_file", cfg->database_password_file, "database_url",
	               cfg->database_url, sizeof(cfg->database_url), err, errlen) < 0 ||
	    resolve_pg("migrate_database_password_file", cfg->migrate_database_password_file,
	               "migrate_database_url", cfg->migrate_database_url,
	               sizeof(cfg->migrate_database_url), err, errlen) < 0)
		return -1;
	/* The replica is read as the same role: the same password, unless its URL has one. */
	if (cfg->database_replica_url[0] != '\0' && !has_password(cfg->database_replica_url) &&
	    resolve_pg("database_password_file", cfg->database_password_file, "database_replica_url",
	               cfg->database_replica_url, sizeof(cfg->database_replica_url), err,
	               errlen) < 0)
		return -1;
	cfg->redis_password[0] = '\0';
	if (cfg->redis_password_file[0] == '\0')
		return 0;
	if (strchr(cfg->redis_url, '@') != NULL) {
		snprintf(err, errlen,
		         "redis_password_file is set, but redis_url already carries a password: "
		         "keep one");
		return -1;
	}
	if (read_secret("redis_password_file", cfg->redis_password_file, pw, err, errlen) < 0)
		return -1;
	if (strlen(pw) >= sizeof(cfg->redis_password)) {
		snprintf(err, errlen, "redis_password_file: the password is longer than %zu bytes",
		         sizeof(cfg->redis_password) - 1);
		explicit_bzero(pw, sizeof(pw));
		return -1;
	}
	memcpy(cfg->redis_password, pw, strlen(pw) + 1);
	explicit_bzero(pw, sizeof(pw));
	return 0;
}

int mh_credentials_read(const char *key, const char *name, char *out, size_t size, char *err,
                        size_t errlen)
{
	char secret[MAX_SECRET];

	if (read_secret(key, name, secret, err, errlen) < 0)
		return -1;
	if (strlen(secret) >= size) {
		snprintf(err, errlen, "%s: the secret is longer than %zu bytes", key, size - 1);
		memset(secret, 0, sizeof(secret));
		return -1;
	}
	memcpy(out, secret, strlen(secret) + 1);
	memset(secret, 0, sizeof(secret));
	return 0;
}
