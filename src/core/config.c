/* config.c - Menhir's settings: a key = value file overridden by MENHIR_* variables. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

enum kind { K_STR, K_INT, K_MODE, K_BOOL, K_LEVEL };

/* A bounded line for `menhir config`; what does not fit is counted, not written. */
struct line {
	char data[2048];
	size_t len;
};

static void line_putc(struct line *b, char c)
{
	if (b->len + 1 < sizeof(b->data)) {
		b->data[b->len] = c;
		b->data[b->len + 1] = '\0';
	}
	b->len++;
}

static void line_puts(struct line *b, const char *s)
{
	while (*s)
		line_putc(b, *s++);
}

/* One row per key: the single place that knows names, types, ranges and
 * defaults, so the file parser, the environment and `menhir config` agree. */
struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	size_t size; /* for strings */
	long min, max;
	const char *def;
};

#define STR(f, d) { #f, K_STR, offsetof(struct mh_config, f), sizeof(((struct mh_config *)0)->f), 0, 0, d }
#define INT(f, lo, hi, d) { #f, K_INT, offsetof(struct mh_config, f), 0, lo, hi, d }

static const struct key keys[] = {
	STR(socket, "/run/menhir/menhir.sock"),
	{ "socket_mode", K_MODE, offsetof(struct mh_config, socket_mode), 0, 0, 0777, "0660" },
	INT(listen_backlog, 1, 65535, "1024"),
	INT(workers, 0, 1024, "0"),
	INT(max_requests, 0, INT_MAX, "10000"),
	INT(request_timeout, 1, 3600, "30"),
	INT(shutdown_timeout, 1, 3600, "30"),
	INT(body_limit, 1024, 1 << 30, "1048576"),
	STR(database_url, "dbname=menhir user=menhir_app host=/var/run/postgresql"),
	STR(migrate_database_url, "dbname=menhir user=menhir_owner host=/var/run/postgresql"),
	INT(db_statement_timeout, 0, 3600000, "5000"),
	STR(redis_url, "redis://127.0.0.1:6379/0"),
	INT(redis_timeout, 1, 60000, "500"),
	STR(schema_dir, "/usr/share/menhir/schema"),
	{ "log_level", K_LEVEL, offsetof(struct mh_config, log_level), 0, 0, 0, "info" },
	INT(retry_after, 1, 3600, "5"),
	{ "enable_test_routes", K_BOOL, offsetof(struct mh_config, enable_test_routes), 0, 0, 0, "false" },
	STR(keys_dir, "/etc/menhir/keys"),
	STR(jwt_issuer, "menhir"),
	STR(jwt_audience, "menhir-api"),
	INT(access_token_ttl, 60, 86400, "900"),
	INT(refresh_token_ttl, 300, 31536000, "604800"),
	INT(refresh_reuse_grace, 0, 300, "10"),
	INT(password_time_cost, 1, 100, "3"),
	INT(password_memory_kib, 8, 4194304, "65536"),
	INT(password_parallelism, 1, 64, "1"),
	INT(login_max_failures, 1, 1000, "5"),
	INT(login_lockout, 1, 86400, "900"),
	STR(allowed_origins, "https://localhost:8443"),
	{ "cookie_secure", K_BOOL, offsetof(struct mh_config, cookie_secure), 0, 0, 0, "true" },
	INT(upload_limit, 1, 1 << 30, "10485760"),
	STR(storage_dir, "/var/lib/menhir/files"),
	STR(events_socket, "/run/menhir/events/events.sock"),
	INT(events_timeout, 1, 10000, "250"),
	INT(work_concurrency, 1, 256, "2"),
	INT(jobs_lease, 5, 3600, "30"),
	INT(jobs_poll, 1, 3600, "5"),
	INT(jobs_backoff_base, 1, 3600000, "2000"),
	INT(jobs_backoff_max, 1, 86400, "600"),
	INT(jobs_max_attempts, 1, 100, "5"),
	INT(jobs_cleanup_every, 10, 604800, "3600"),
	INT(jobs_keep_days, 1, 3650, "30"),
	{ "webhook_allow_private", K_BOOL, offsetof(struct mh_config, webhook_allow_private), 0, 0, 0, "false" },
	INT(webhook_timeout, 100, 60000, "10000"),
	INT(webhook_max_attempts, 1, 100, "8"),
	STR(mail_from, "noreply@localhost"),
	STR(mail_from_name, "Menhir"),
	STR(smtp_url, "smtp://127.0.0.1:25"),
	{ "smtp_starttls", K_BOOL, offsetof(struct mh_config, smtp_starttls), 0, 0, 0, "true" },
	INT(smtp_timeout, 100, 120000, "10000"),
	INT(mail_max_attempts, 1, 100, "6"),
	STR(mail_templates_dir, "/usr/share/menhir/mail"),
	STR(public_url, "https://localhost:8443"),
	INT(mail_cooldown, 0, 86400, "60"),
	INT(mail_ip_max, 1, 100000, "30"),
	INT(invite_max, 1, 100000, "50"),
	STR(unverified_deny, "invite api_keys"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int parse_long(const char *s, int base, long *out)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtol(s, &end, base);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

int mh_config_set(struct mh_config *cfg, const char *name, const char *value, const char *origin,
		  char *err, size_t errlen)
{
	const struct key *k = find_key(name);
	char *field;
	long v;

	if (k == NULL) {
		snprintf(err, errlen, "%s: unknown setting '%s'", origin, name);
		return -1;
	}
	field = (char *)cfg + k->offset;
	switch (k->kind) {
	case K_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s: %s is longer than %zu characters", origin, name,
				 k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case K_INT:
		if (parse_long(value, 10, &v) < 0 || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %s must be an integer from %ld to %ld, not '%s'",
				 origin, name, k->min, k->max, value);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case K_MODE:
		if (parse_long(value, 8, &v) < 0 || v < 0 || v > 0777) {
			snprintf(err, errlen, "%s: %s must be an octal file mode like 0660, not '%s'",
				 origin, name, value);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case K_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(int *)field = 1;
		else if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 ||
			 strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(int *)field = 0;
		else {
			snprintf(err, errlen, "%s: %s must be true or false, not '%s'", origin, name,
				 value);
			return -1;
		}
		return 0;
	case K_LEVEL:
		if (mh_log_level_parse(value, (enum mh_log_level *)field) < 0) {
			snprintf(err, errlen,
				 "%s: %s must be one of debug, info, warn, error, not '%s'", origin,
				 name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

void mh_config_defaults(struct mh_config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		if (mh_config_set(cfg, keys[i].name, keys[i].def, "default", err, sizeof(err)) < 0)
			abort(); /* a bad built-in default is a programming error */
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct mh_config *cfg, const char *path, int required, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048], origin[600];
	int lineno = 0, rc = 0;

	if (f == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *value;
		size_t n;

		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s: line too long", origin);
			rc = -1;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s: expected 'key = value'", origin);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		/* Allow "quoted values" so a value may keep leading spaces or a #. */
		n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value[n - 1] = '\0';
			value++;
		}
		if (mh_config_set(cfg, key, value, origin, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int load_env(struct mh_config *cfg, char *err, size_t errlen)
{
	char var[64], origin[80];

	for (size_t i = 0; i < NKEYS; i++) {
		const char *value;
		size_t j;

		memcpy(var, "MENHIR_", 7);
		for (j = 0; keys[i].name[j] != '\0' && j + 8 < sizeof(var); j++)
			var[7 + j] = (char)toupper((unsigned char)keys[i].name[j]);
		var[7 + j] = '\0';
		value = getenv(var);
		if (value == NULL)
			continue;
		snprintf(origin, sizeof(origin), "environment %s", var);
		if (mh_config_set(cfg, keys[i].name, value, origin, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int mh_config_load(struct mh_config *cfg, const char *path, int required, char *err,
		   size_t errlen)
{
	mh_config_defaults(cfg);
	if (load_file(cfg, path, required, err, errlen) < 0)
		return -1;
	return load_env(cfg, err, errlen);
}

/* Appends value to out as a libpq key=value value: quoted when it must be. */
static void put_conninfo_value(struct line *out, const char *v)
{
	int quote = *v == '\0' || strpbrk(v, " \t\n\r\f\v'\\") != NULL;

	if (quote)
		line_putc(out, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			line_putc(out, '\\');
		line_putc(out, *v);
	}
	if (quote)
		line_putc(out, '\'');
}

/*
 * A libpq connection string, key=value or postgresql:// URI alike, without its secrets:
 * libpq itself parses it (PQconninfoParse), so no spelling of a password (URI userinfo,
 * ?password=, quoted values) slips through. With a secret in it, the string is printed
 * as the key=value pairs libpq read, the secrets as ***; one libpq cannot parse is not
 * printed at all.
 */
static void print_conninfo(int fd, const char *name, const char *value)
{
	static const char *const secrets[] = {"password", "sslpassword"};
	PQconninfoOption *opts;
	struct line out = {"", 0};
	char *perr = NULL;
	int has_secret = 0;

	opts = PQconninfoParse(value, &perr);
	if (opts == NULL) {
		PQfreemem(perr);
		dprintf(fd, "%s = (not shown: libpq cannot parse it)\n", name);
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		int secret = 0;

		if (o->val == NULL)
			continue;
		for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			secret |= strcmp(o->keyword, secrets[i]) == 0;
		has_secret |= secret;
		if (out.len > 0)
			line_putc(&out, ' ');
		line_puts(&out, o->keyword);
		line_putc(&out, '=');
		if (secret)
			line_puts(&out, "***");
		else
			put_conninfo_value(&out, o->val);
	}
	PQconninfoFree(opts);
	if (!has_secret)
		dprintf(fd, "%s = %s\n", name, value);
	else if (out.len >= sizeof(out.data))
		dprintf(fd, "%s = (not shown: too long)\n", name);
	else
		dprintf(fd, "%s = %s\n", name, out.data);
}

/* A scheme://user:password@host/… URL with *** for the password; a user part
 * without ':' may itself be a password (redis://secret@host), so it is masked whole. */
static void print_url(int fd, const char *name, const char *value)
{
	const char *auth = strstr(value, "://"), *end, *at = NULL, *colon;

	if (auth == NULL) {
		dprintf(fd, "%s = %s\n", name, value);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL) {
		dprintf(fd, "%s = %s\n", name, value);
		return;
	}
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon == NULL)
		dprintf(fd, "%s = %.*s***%s\n", name, (int)(auth - value), value, at);
	else
		dprintf(fd, "%s = %.*s***%s\n", name, (int)(colon + 1 - value), value, at);
}

void mh_config_dump(const struct mh_config *cfg, int fd)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *)cfg + k->offset;

		switch (k->kind) {
		case K_STR:
			if (strstr(k->name, "database_url") != NULL)
				print_conninfo(fd, k->name, field);
			else if (strstr(k->name, "url") != NULL)
				print_url(fd, k->name, field);
			else
				dprintf(fd, "%s = %s\n", k->name, field);
			break;
		case K_INT:
			dprintf(fd, "%s = %d\n", k->name, *(const int *)field);
			break;
		case K_MODE:
			dprintf(fd, "%s = %04o\n", k->name, (unsigned)*(const int *)field);
			break;
		case K_BOOL:
			dprintf(fd, "%s = %s\n", k->name, *(const int *)field ? "true" : "false");
			break;
		case K_LEVEL:
			dprintf(fd, "%s = %s\n", k->name, levels[*(const enum mh_log_level *)field]);
			break;
		}
	}
}

int mh_config_worker_count(const struct mh_config *cfg)
{
	long n;

	if (cfg->workers > 0)
		return cfg->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
