/* config.c - Menhir's settings: a key = value file overridden by MENHIR_* variables. */
#include "core/config.h"

#include "core/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/module.h"

/* clang-format off */
#define CFG struct mh_config
#define MODE(f, def, help) { #f, MH_SETTING_MODE, offsetof(CFG, f), 0, 0, 0777, def, help }
#define LEVEL(f, def, help) { #f, MH_SETTING_LEVEL, offsetof(CFG, f), 0, 0, 0, def, help }
/* clang-format on */

/* The core's keys: the single place that knows their names, types, ranges and defaults, so
 * the file parser, the environment and `menhir config` agree. Modules' keys live in their
 * struct mh_module (struct mh_settings). */
static const struct mh_config_key core_keys[] = {
        MH_KEY_STR(CFG, socket, "/run/menhir/menhir.sock",
                   "the FastCGI unix socket (ignored under systemd socket activation)"),
        MODE(socket_mode, "0660", "permissions of that socket"),
        MH_KEY_INT(CFG, listen_backlog, 1, 65535, "1024", "listen(2) backlog of the socket"),
        MH_KEY_INT(CFG, workers, 0, 1024, "0", "worker processes; 0 = one per online CPU"),
        MH_KEY_INT(CFG, max_requests, 0, INT_MAX, "10000",
                   "requests after which a worker is recycled; 0 = never"),
        MH_KEY_INT(CFG, request_timeout, 1, 3600, "30",
                   "seconds a request may run; keep nginx's fastcgi_read_timeout equal"),
        MH_KEY_INT(CFG, shutdown_timeout, 1, 3600, "30",
                   "seconds a graceful stop waits for requests (and jobs) in flight"),
        MH_KEY_INT(CFG, body_limit, 1024, 1 << 30, "1048576",
                   "largest request body in bytes (413 above); keep nginx's "
                   "client_max_body_size a little larger"),
        MH_KEY_INT(CFG, upload_limit, 1, 1 << 30, "10485760",
                   "largest body in bytes of a route that streams it (file uploads; 413 "
                   "above); keep the upload location's client_max_body_size a little larger"),
        MH_KEY_STR(CFG, database_url, "dbname=menhir user=menhir_app host=/var/run/postgresql",
                   "libpq conninfo or URI of serve and work (the menhir_app role)"),
        MH_KEY_STR(CFG, migrate_database_url,
                   "dbname=menhir user=menhir_owner host=/var/run/postgresql",
                   "libpq conninfo or URI of migrate and the admin commands (menhir_owner)"),
        MH_KEY_INT(CFG, db_statement_timeout, 0, 3600000, "5000",
                   "PostgreSQL statement_timeout in ms for serve; 0 = none"),
        MH_KEY_STR(CFG, database_replica_url, "",
                   "libpq conninfo or URI of a streaming replica for GET reads (menhir_app); "
                   "empty = none"),
        MH_KEY_INT(CFG, replica_max_lag, 0, 3600000, "1000",
                   "ms behind the primary past which the replica is skipped"),
        MH_KEY_STR(CFG, redis_url, "redis://127.0.0.1:6379/0",
                   "redis://[:password@]host[:port][/db] or unix:/path"),
        MH_KEY_INT(CFG, redis_timeout, 1, 60000, "500", "Redis connect and command timeout in ms"),
        MH_KEY_STR(CFG, database_password_file, "",
                   "database_url's password: a systemd credential name (LoadCredential=) or an "
                   "absolute path; empty = none"),
        MH_KEY_STR(CFG, migrate_database_password_file, "",
                   "migrate_database_url's password: a credential name or an absolute path; "
                   "empty = none"),
        MH_KEY_STR(CFG, redis_password_file, "",
                   "Redis's password (AUTH): a credential name or an absolute path; empty = none"),
        MH_KEY_STR(CFG, schema_dir, MH_PKGDATADIR "/schema",
                   "where migrate finds the NNNN_*.sql files"),
        LEVEL(log_level, "info", "the least important log lines written"),
        MH_KEY_INT(CFG, retry_after, 1, 3600, "5", "seconds sent in Retry-After with a 503"),
        MH_KEY_BOOL(CFG, enable_test_routes, "false",
                    "adds the /api/v1/test/* routes and the test.echo job; never in production"),
        MH_KEY_BOOL(CFG, cookie_secure, "true",
                    "every cookie set says Secure (the refresh token, read-your-writes); false "
                    "only for plain-HTTP development"),
        MH_KEY_STR(CFG, keys_dir, MH_SYSCONFDIR "/menhir/keys",
                   "the RS256 signing keys (menhir keys); private files 0600"),
        MH_KEY_STR(CFG, jwt_issuer, "menhir", "iss of the access tokens"),
        MH_KEY_STR(CFG, jwt_audience, "menhir-api", "aud of the access tokens"),
        MH_KEY_INT(CFG, api_key_touch_interval, 1, 3600, "60",
                   "seconds a worker gathers API keys' last-use times before writing them "
                   "together"),
        MH_KEY_INT(CFG, password_time_cost, 1, 100, "3", "argon2id passes"),
        MH_KEY_INT(CFG, password_memory_kib, 8, 4194304, "65536", "argon2id memory in KiB"),
        MH_KEY_INT(CFG, password_parallelism, 1, 64, "1", "argon2id lanes"),
        MH_KEY_STR(CFG, events_socket, "/run/menhir/events/events.sock",
                   "nginx's nchan publisher socket (live events); its directory must admit only "
                   "Menhir's user; empty = none"),
        MH_KEY_INT(CFG, events_timeout, 1, 10000, "250",
                   "ms one event publication may take (events are best effort)"),
        MH_KEY_BOOL(CFG, events_relay, "false",
                    "several hosts: live events go through Redis and every host's menhir serve "
                    "passes them to its own nginx, so a stream on any host gets them"),
        MH_KEY_INT(CFG, work_concurrency, 1, 256, "2",
                   "job runners per menhir work (--concurrency overrides)"),
        MH_KEY_INT(CFG, jobs_lease, 5, 3600, "30",
                   "seconds a claimed job stays leased unless renewed"),
        MH_KEY_INT(CFG, jobs_poll, 1, 3600, "5",
                   "seconds between an idle runner's polls (NOTIFY wakes it sooner)"),
        MH_KEY_INT(CFG, jobs_backoff_base, 1, 3600000, "2000",
                   "ms before a job's first retry; doubles per attempt"),
        MH_KEY_INT(CFG, jobs_backoff_max, 1, 86400, "600", "the longest retry delay in seconds"),
        MH_KEY_INT(CFG, jobs_max_attempts, 1, 100, "5",
                   "attempts of a job when neither its kind nor its creator says"),
        MH_KEY_INT(CFG, jobs_cleanup_every, 10, 604800, "3600",
                   "seconds between runs of the periodic cleanup jobs"),
        MH_KEY_INT(CFG, jobs_keep_days, 1, 3650, "30",
                   "days finished jobs and the records of finished work are kept"),
        {0},
};

/* Each module's values start on a boundary any field type is happy with. */
#define ALIGN 16
static size_t aligned(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

/* Key table t of a registry: 0 is the core's, then each module's that has settings, in
 * registry order. Returns where its values live in cfg (the module's slice of cfg->modules)
 * and sets keys and owner (NULL for the core), or returns NULL past the last table. */
static unsigned char *table(const struct mh_module *const *mods, const struct mh_config *cfg,
                            size_t t, const struct mh_config_key **keys,
                            const struct mh_module **owner)
{
	size_t offset = 0;

	if (t == 0) {
		*keys = core_keys;
		*owner = NULL;
		return (unsigned char *)cfg;
	}
	for (size_t m = 0; mods[m] != NULL; m++) {
		const struct mh_settings *s = mods[m]->settings;

		if (s == NULL)
			continue;
		if (--t == 0) {
			*keys = s->keys;
			*owner = mods[m];
			return (unsigned char *)cfg->modules + offset;
		}
		offset += aligned(s->size);
	}
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

/* Parses value as key k and stores it at base + k->offset. */
static int set_value(const struct mh_config_key *k, unsigned char *base, const char *value,
                     const char *origin, char *err, size_t errlen)
{
	unsigned char *field = base + k->offset;
	long v;

	switch (k->type) {
	case MH_SETTING_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s: %s is longer than %zu characters", origin,
			         k->name, k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case MH_SETTING_INT:
		if (parse_long(value, 10, &v) < 0 || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %s must be an integer from %ld to %ld, not '%s'",
			         origin, k->name, k->min, k->max, value);
			return -1;
		}
		*(int *)(void *)field = (int)v;
		return 0;
	case MH_SETTING_MODE:
		if (parse_long(value, 8, &v) < 0 || v < 0 || v > 0777) {
			snprintf(err, errlen,
			         "%s: %s must be an octal file mode like 0660, not '%s'", origin,
			         k->name, value);
			return -1;
		}
		*(int *)(void *)field = (int)v;
		return 0;
	case MH_SETTING_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 ||
		         strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(int *)(void *)field = 0;
		else {
			snprintf(err, errlen, "%s: %s must be true or false, not '%s'", origin,
			         k->name, value);
			return -1;
		}
		return 0;
	case MH_SETTING_LEVEL:
		if (mh_log_level_parse(value, (enum mh_log_level *)(void *)field) < 0) {
			snprintf(err, errlen,
			         "%s: %s must be one of debug, info, warn, error, not '%s'", origin,
			         k->name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

int mh_config_set(struct mh_config *cfg, const char *name, const char *value, const char *origin,
                  char *err, size_t errlen)
{
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;

	for (size_t t = 0; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++)
		for (const struct mh_config_key *k = keys; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				return set_value(k, base, value, origin, err, errlen);
	snprintf(err, errlen, "%s: unknown setting '%s'", origin, name);
	return -1;
}

/* The bytes a key's value takes in its struct. */
static size_t value_size(const struct mh_config_key *k)
{
	return k->type == MH_SETTING_STR     ? k->size
	       : k->type == MH_SETTING_LEVEL ? sizeof(enum mh_log_level)
	                                     : sizeof(int);
}

int mh_config_check_registry(const struct mh_module *const *mods, char *err, size_t errlen)
{
	static struct mh_config scratch;
	const struct mh_config_key *keys, *other;
	const struct mh_module *owner, *other_owner;
	unsigned char *base;
	size_t used = 0;

	for (size_t t = 0; (base = table(mods, &scratch, t, &keys, &owner)) != NULL; t++) {
		size_t size = owner ? owner->settings->size : sizeof(scratch);
		const char *who = owner ? owner->name : "core";

		if (owner != NULL && (used += aligned(size)) > MH_CONFIG_MODULE_BYTES) {
			snprintf(err, errlen, "module %s: the modules' settings exceed %d bytes",
			         who, MH_CONFIG_MODULE_BYTES);
			return -1;
		}
		for (const struct mh_config_key *k = keys; k->name != NULL; k++) {
			char e[256];

			if (k->offset + value_size(k) > size) {
				snprintf(err, errlen, "%s: key %s lies outside its struct", who,
				         k->name);
				return -1;
			}
			if (set_value(k, base, k->def ? k->def : "", "default", e, sizeof(e)) < 0) {
				snprintf(err, errlen, "%s: %s", who, e);
				return -1;
			}
			/* Every key declared before this one, in this table or an earlier one. */
			for (size_t u = 0; u <= t; u++) {
				table(mods, &scratch, u, &other, &other_owner);
				for (; (u < t || other != k) && other->name != NULL; other++)
					if (strcmp(other->name, k->name) == 0) {
						snprintf(err, errlen,
						         "%s: key %s is already declared by %s",
						         who, k->name,
						         other_owner ? other_owner->name
						                     : "the core");
						return -1;
					}
			}
		}
	}
	return 0;
}

void mh_config_defaults(struct mh_config *cfg)
{
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;
	char err[256];

	/* A clash or a bad default is a programming error: the binary must not start. */
	if (mh_config_check_registry(mh_modules, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir: configuration keys: %s\n", err);
		abort();
	}
	memset(cfg, 0, sizeof(*cfg));
	for (size_t t = 0; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++)
		for (const struct mh_config_key *k = keys; k->name != NULL; k++)
			if (set_value(k, base, k->def ? k->def : "", "default", err, sizeof(err)) <
			    0)
				abort();
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
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;
	char var[80], origin[100];

	for (size_t t = 0; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++)
		for (const struct mh_config_key *k = keys; k->name != NULL; k++) {
			const char *value;
			size_t j;

			memcpy(var, "MENHIR_", 7);
			for (j = 0; k->name[j] != '\0' && j + 8 < sizeof(var); j++)
				var[7 + j] = (char)toupper((unsigned char)k->name[j]);
			var[7 + j] = '\0';
			value = getenv(var);
			if (value == NULL)
				continue;
			snprintf(origin, sizeof(origin), "environment %s", var);
			if (set_value(k, base, value, origin, err, errlen) < 0)
				return -1;
		}
	return 0;
}

int mh_config_load(struct mh_config *cfg, const char *path, int required, char *err, size_t errlen)
{
	mh_config_defaults(cfg);
	if (load_file(cfg, path, required, err, errlen) < 0 || load_env(cfg, err, errlen) < 0)
		return -1;
	return mh_credentials_resolve(cfg, err, errlen);
}

int mh_config_apply(const struct mh_config *cfg, char *err, size_t errlen)
{
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;
	char why[512];

	for (size_t t = 1; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++) {
		const struct mh_settings *s = owner->settings;

		why[0] = '\0';
		if (s->check != NULL && s->check(base, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "module %s: %s", owner->name,
			         why[0] ? why : "refused its settings");
			return -1;
		}
	}
	for (size_t t = 1; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++) {
		if (owner->settings->commit != NULL)
			owner->settings->commit();
		memcpy(owner->settings->values, base, owner->settings->size);
	}
	return 0;
}

const void *mh_config_module_values(const struct mh_config *cfg, const struct mh_module *m)
{
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;

	for (size_t t = 1; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++)
		if (owner == m)
			return base;
	return NULL;
}

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

/* "# help [1..3600, default 30]" */
static void print_help(int fd, const struct mh_config_key *k)
{
	dprintf(fd, "# %s [", k->help ? k->help : k->name);
	switch (k->type) {
	case MH_SETTING_STR: break;
	case MH_SETTING_INT: dprintf(fd, "%ld..%ld, ", k->min, k->max); break;
	case MH_SETTING_BOOL: dprintf(fd, "true|false, "); break;
	case MH_SETTING_MODE: dprintf(fd, "octal, "); break;
	case MH_SETTING_LEVEL: dprintf(fd, "debug|info|warn|error, "); break;
	}
	dprintf(fd, "default %s]\n", k->def && k->def[0] ? k->def : "empty");
}

static void print_value(int fd, const struct mh_config_key *k, const unsigned char *base)
{
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	const void *field = base + k->offset;

	switch (k->type) {
	case MH_SETTING_STR:
		/* database_url, migrate_database_url, database_replica_url */
		if (strstr(k->name, "database_") != NULL && strstr(k->name, "url") != NULL)
			print_conninfo(fd, k->name, field);
		else if (strstr(k->name, "url") != NULL)
			print_url(fd, k->name, field);
		else
			dprintf(fd, "%s = %s\n", k->name, (const char *)field);
		break;
	case MH_SETTING_INT: dprintf(fd, "%s = %d\n", k->name, *(const int *)field); break;
	case MH_SETTING_MODE:
		dprintf(fd, "%s = %04o\n", k->name, (unsigned)*(const int *)field);
		break;
	case MH_SETTING_BOOL:
		dprintf(fd, "%s = %s\n", k->name, *(const int *)field ? "true" : "false");
		break;
	case MH_SETTING_LEVEL:
		dprintf(fd, "%s = %s\n", k->name, levels[*(const enum mh_log_level *)field]);
		break;
	}
}

void mh_config_dump(const struct mh_config *cfg, int fd)
{
	const struct mh_config_key *keys;
	const struct mh_module *owner;
	unsigned char *base;

	for (size_t t = 0; (base = table(mh_modules, cfg, t, &keys, &owner)) != NULL; t++) {
		if (owner != NULL)
			dprintf(fd, "\n# ---- module %s ----\n", owner->name);
		for (const struct mh_config_key *k = keys; k->name != NULL; k++) {
			print_help(fd, k);
			print_value(fd, k, base);
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

void mh_config_describe(int fd)
{
	static const char *const types[] = {
	        [MH_SETTING_STR] = "string",   [MH_SETTING_INT] = "integer",
	        [MH_SETTING_BOOL] = "boolean", [MH_SETTING_MODE] = "mode",
	        [MH_SETTING_LEVEL] = "level",
	};
	static struct mh_config scratch;
	const struct mh_config_key *keys;
	const struct mh_module *owner;

	for (size_t t = 0; table(mh_modules, &scratch, t, &keys, &owner) != NULL; t++)
		for (const struct mh_config_key *k = keys; k->name != NULL; k++) {
			dprintf(fd, "%s\t%s\t%s\t%s\t", owner ? owner->name : "core", k->name,
			        types[k->type], k->def ? k->def : "");
			switch (k->type) {
			case MH_SETTING_STR: break;
			case MH_SETTING_INT: dprintf(fd, "%ld..%ld", k->min, k->max); break;
			case MH_SETTING_BOOL: dprintf(fd, "true|false"); break;
			case MH_SETTING_MODE: dprintf(fd, "0000..0777"); break;
			case MH_SETTING_LEVEL: dprintf(fd, "debug|info|warn|error"); break;
			}
			dprintf(fd, "\t%s\n", k->help ? k->help : "");
		}
}
