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
	const char *help; /* one line, for the sample configuration and menhir.conf(5) */
};

#define STR(f, d, h) { #f, K_STR, offsetof(struct mh_config, f), sizeof(((struct mh_config *)0)->f), 0, 0, d, h }
#define INT(f, lo, hi, d, h) { #f, K_INT, offsetof(struct mh_config, f), 0, lo, hi, d, h }

static const struct key keys[] = {
	STR(socket, "/run/menhir/menhir.sock",
	    "the FastCGI unix socket (ignored under systemd socket activation)"),
	{ "socket_mode", K_MODE, offsetof(struct mh_config, socket_mode), 0, 0, 0777, "0660",
	  "permissions of that socket" },
	INT(listen_backlog, 1, 65535, "1024",
	    "listen(2) backlog of the socket"),
	INT(workers, 0, 1024, "0",
	    "worker processes; 0 = one per online CPU"),
	INT(max_requests, 0, INT_MAX, "10000",
	    "requests after which a worker is recycled; 0 = never"),
	INT(request_timeout, 1, 3600, "30",
	    "seconds a request may run; keep nginx's fastcgi_read_timeout equal"),
	INT(shutdown_timeout, 1, 3600, "30",
	    "seconds a graceful stop waits for requests (and jobs) in flight"),
	INT(body_limit, 1024, 1 << 30, "1048576",
	    "largest request body in bytes (413 above); keep nginx's client_max_body_size a little larger"),
	STR(database_url, "dbname=menhir user=menhir_app host=/var/run/postgresql",
	    "libpq conninfo or URI of serve and work (the menhir_app role)"),
	STR(migrate_database_url, "dbname=menhir user=menhir_owner host=/var/run/postgresql",
	    "libpq conninfo or URI of migrate and the admin commands (menhir_owner)"),
	INT(db_statement_timeout, 0, 3600000, "5000",
	    "PostgreSQL statement_timeout in ms for serve; 0 = none"),
	STR(database_replica_url, "",
	    "libpq conninfo or URI of a streaming replica for GET reads (menhir_app); empty = none"),
	INT(replica_max_lag, 0, 3600000, "1000",
	    "ms behind the primary past which the replica is skipped"),
	STR(redis_url, "redis://127.0.0.1:6379/0",
	    "redis://[:password@]host[:port][/db] or unix:/path"),
	INT(redis_timeout, 1, 60000, "500",
	    "Redis connect and command timeout in ms"),
	STR(database_password_file, "",
	    "database_url's password: a systemd credential name (LoadCredential=) or an absolute path; empty = none"),
	STR(migrate_database_password_file, "",
	    "migrate_database_url's password: a credential name or an absolute path; empty = none"),
	STR(redis_password_file, "",
	    "Redis's password (AUTH): a credential name or an absolute path; empty = none"),
	STR(schema_dir, MH_PKGDATADIR "/schema",
	    "where migrate finds the NNNN_*.sql files"),
	{ "log_level", K_LEVEL, offsetof(struct mh_config, log_level), 0, 0, 0, "info",
	  "the least important log lines written" },
	INT(retry_after, 1, 3600, "5",
	    "seconds sent in Retry-After with a 503"),
	{ "enable_test_routes", K_BOOL, offsetof(struct mh_config, enable_test_routes), 0, 0, 0, "false",
	  "adds the /api/v1/test/* routes; never in production" },
	STR(keys_dir, MH_SYSCONFDIR "/menhir/keys",
	    "the RS256 signing keys (menhir keys); private files 0600"),
	STR(jwt_issuer, "menhir",
	    "iss of the access tokens"),
	STR(jwt_audience, "menhir-api",
	    "aud of the access tokens"),
	INT(access_token_ttl, 60, 86400, "900",
	    "seconds an access token lives"),
	INT(refresh_token_ttl, 300, 31536000, "604800",
	    "seconds a refresh token lives"),
	INT(refresh_reuse_grace, 0, 300, "10",
	    "seconds a just-rotated refresh token still works"),
	INT(api_key_touch_interval, 1, 3600, "60",
	    "seconds a worker gathers API keys' last-use times before writing them together"),
	INT(password_time_cost, 1, 100, "3",
	    "argon2id passes"),
	INT(password_memory_kib, 8, 4194304, "65536",
	    "argon2id memory in KiB"),
	INT(password_parallelism, 1, 64, "1",
	    "argon2id lanes"),
	INT(login_max_failures, 1, 1000, "5",
	    "failed logins per account (and ten times as many per address) before a lockout"),
	INT(login_lockout, 1, 86400, "900",
	    "seconds a lockout lasts"),
	STR(allowed_origins, "https://localhost:8443",
	    "space-separated origins that may call the cookie-authenticated routes"),
	{ "cookie_secure", K_BOOL, offsetof(struct mh_config, cookie_secure), 0, 0, 0, "true",
	  "set Secure on the refresh cookie; false only for plain-HTTP development" },
	INT(upload_limit, 1, 1 << 30, "10485760",
	    "largest attachment in bytes (413 above); keep the upload location's client_max_body_size a little larger"),
	STR(storage_dir, "/var/lib/menhir/files",
	    "where attachments are stored (absolute; outside the web root)"),
	STR(events_socket, "/run/menhir/events/events.sock",
	    "nginx's nchan publisher socket (live events); its directory must admit only Menhir's user; empty = none"),
	INT(events_timeout, 1, 10000, "250",
	    "ms one event publication may take (events are best effort)"),
	INT(work_concurrency, 1, 256, "2",
	    "job runners per menhir work (--concurrency overrides)"),
	INT(jobs_lease, 5, 3600, "30",
	    "seconds a claimed job stays leased unless renewed"),
	INT(jobs_poll, 1, 3600, "5",
	    "seconds between an idle runner's polls (NOTIFY wakes it sooner)"),
	INT(jobs_backoff_base, 1, 3600000, "2000",
	    "ms before a job's first retry; doubles per attempt"),
	INT(jobs_backoff_max, 1, 86400, "600",
	    "the longest retry delay in seconds"),
	INT(jobs_max_attempts, 1, 100, "5",
	    "attempts of a job when neither its kind nor its creator says"),
	INT(jobs_cleanup_every, 10, 604800, "3600",
	    "seconds between runs of the system.cleanup job"),
	INT(jobs_keep_days, 1, 3650, "30",
	    "finished jobs and webhook deliveries are deleted after this many days"),
	{ "webhook_allow_private", K_BOOL, offsetof(struct mh_config, webhook_allow_private), 0, 0, 0, "false",
	  "allow http:// and loopback/private webhook targets (tests, development only)" },
	INT(webhook_timeout, 100, 60000, "10000",
	    "ms for one webhook delivery"),
	INT(webhook_max_attempts, 1, 100, "8",
	    "delivery attempts before a webhook job is dead"),
	STR(mail_from, "noreply@localhost",
	    "envelope sender and From: address of outbound mail (a bare address)"),
	STR(mail_from_name, "Menhir",
	    "display name of the From: header"),
	STR(smtp_url, "smtp://127.0.0.1:25",
	    "smtp://[user:password@]host:port (STARTTLS) or smtps://…; AUTH when credentials are given"),
	{ "smtp_starttls", K_BOOL, offsetof(struct mh_config, smtp_starttls), 0, 0, 0, "true",
	  "smtp:// refuses to send unless STARTTLS succeeds (false only for a loopback relay)" },
	INT(smtp_timeout, 100, 120000, "10000",
	    "milliseconds one SMTP delivery may take"),
	INT(mail_max_attempts, 1, 100, "6",
	    "delivery attempts before a mail job is dead"),
	STR(mail_templates_dir, MH_PKGDATADIR "/mail",
	    "folder of the message templates (<name>.mail: subject, text and HTML)"),
	STR(public_url, "https://localhost:8443",
	    "base URL of the browser app, for the links in mail"),
	INT(mail_cooldown, 0, 86400, "60",
	    "seconds between two mails of one flow (reset, verification) to one address"),
	INT(mail_ip_max, 1, 100000, "30",
	    "mail-sending requests per client address per hour (429 above)"),
	INT(invite_max, 1, 100000, "50",
	    "invitations per tenant per hour (429 above)"),
	STR(unverified_deny, "invite api_keys",
	    "what an account with an unverified address may not do: any of login, invite, api_keys"),
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
	if (load_file(cfg, path, required, err, errlen) < 0 || load_env(cfg, err, errlen) < 0)
		return -1;
	return mh_credentials_resolve(cfg, err, errlen);
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
			/* database_url, migrate_database_url, database_replica_url */
			if (strstr(k->name, "database_") != NULL && strstr(k->name, "url") != NULL)
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

void mh_config_describe(int fd)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		switch (k->kind) {
		case K_STR:
			dprintf(fd, "core\t%s\tstring\t%s\t\t%s\n", k->name, k->def, k->help);
			break;
		case K_INT:
			dprintf(fd, "core\t%s\tinteger\t%s\t%ld..%ld\t%s\n", k->name, k->def, k->min,
				k->max, k->help);
			break;
		case K_MODE:
			dprintf(fd, "core\t%s\tmode\t%s\t0000..0777\t%s\n", k->name, k->def, k->help);
			break;
		case K_BOOL:
			dprintf(fd, "core\t%s\tboolean\t%s\ttrue|false\t%s\n", k->name, k->def, k->help);
			break;
		case K_LEVEL:
			dprintf(fd, "core\t%s\tlevel\t%s\tdebug|info|warn|error\t%s\n", k->name, k->def,
				k->help);
			break;
		}
	}
}
