/* config.h - Menhir's settings: a key = value file overridden by MENHIR_* variables. */
#ifndef MH_CONFIG_H
#define MH_CONFIG_H

#include <stddef.h>

#include "core/log.h"

/* configure's sysconfdir and pkgdatadir (Makefile.am); the Debian layout otherwise. */
#ifndef MH_SYSCONFDIR
#define MH_SYSCONFDIR "/etc"
#endif
#ifndef MH_PKGDATADIR
#define MH_PKGDATADIR "/usr/share/menhir"
#endif

#define MH_CONFIG_DEFAULT_PATH MH_SYSCONFDIR "/menhir/menhir.conf"

struct mh_config {
	char socket[256];
	int socket_mode;
	int listen_backlog;
	int workers;
	int max_requests;
	int request_timeout;  /* seconds */
	int shutdown_timeout; /* seconds */
	int body_limit;       /* bytes */
	char database_url[1024];
	char migrate_database_url[1024];
	int db_statement_timeout; /* milliseconds */
	char database_replica_url[1024]; /* a streaming replica for reads; "" = none */
	int replica_max_lag;             /* milliseconds behind past which it is skipped */
	char redis_url[512];
	int redis_timeout; /* milliseconds */
	/* Passwords kept out of the file: a systemd credential name or an absolute path
	 * (core/credentials.h), joined to the URLs above when the configuration is loaded. */
	char database_password_file[256];
	char migrate_database_password_file[256];
	char redis_password_file[256];
	char redis_password[256]; /* not a key: what redis_password_file held */
	char schema_dir[512];
	enum mh_log_level log_level;
	int retry_after; /* seconds */
	int enable_test_routes;
	/* auth */
	char keys_dir[512];
	char jwt_issuer[256];
	char jwt_audience[256];
	int access_token_ttl;  /* seconds */
	int refresh_token_ttl; /* seconds */
	int refresh_reuse_grace; /* seconds a just-rotated refresh token still works */
	int api_key_touch_interval; /* seconds a worker gathers API keys' last use before writing */
	int password_time_cost;
	int password_memory_kib;
	int password_parallelism;
	int login_max_failures; /* per account and per IP, within login_lockout */
	int login_lockout;      /* seconds */
	char allowed_origins[1024]; /* space-separated, for cookie-authenticated routes */
	int cookie_secure;
	/* documents: attachments */
	int upload_limit;      /* bytes of one uploaded file */
	char storage_dir[512]; /* where uploaded files live, outside the web root and database */
	/* live events: nginx's nchan publisher, reached over a unix socket ("" = none) */
	char events_socket[256];
	int events_timeout; /* milliseconds one publish may take */
	/* background jobs (menhir work) */
	int work_concurrency;    /* job runners per `menhir work` */
	int jobs_lease;          /* seconds a claim lasts unless renewed */
	int jobs_poll;           /* seconds between polls when no NOTIFY came */
	int jobs_backoff_base;   /* milliseconds before the first retry */
	int jobs_backoff_max;    /* seconds: the longest retry delay */
	int jobs_max_attempts;   /* when neither the enqueuer nor the kind says */
	int jobs_cleanup_every;  /* seconds between cleanup runs */
	int jobs_keep_days;      /* finished jobs and webhook deliveries kept this long */
	/* webhooks */
	int webhook_allow_private; /* allow http:// and loopback/private targets (tests, dev) */
	int webhook_timeout;       /* milliseconds for one delivery */
	int webhook_max_attempts;
	/* outbound e-mail (the mail module) and the account flows that send it */
	char mail_from[256];        /* the envelope and From: address */
	char mail_from_name[128];   /* the From: display name */
	char smtp_url[512];         /* smtp://[user:password@]host:port or smtps://…; AUTH
				     * when credentials are given */
	int smtp_starttls;          /* smtp://: refuse to send unless STARTTLS succeeds */
	int smtp_timeout;           /* milliseconds for one delivery */
	int mail_max_attempts;
	char mail_templates_dir[512];
	char public_url[512];       /* the browser app's base URL, for links in mail */
	int mail_cooldown;          /* seconds between two mails of one flow to one address */
	int mail_ip_max;            /* mail-sending requests per client address per hour */
	int invite_max;             /* invitations per tenant per hour */
	char unverified_deny[128];  /* what an unverified address may not do: any of
				     * login, invite, api_keys */
};

/* Fills cfg with the built-in defaults. */
void mh_config_defaults(struct mh_config *cfg);

/*
 * Loads defaults, then the file at path, then MENHIR_<KEY> environment
 * variables. A missing file is an error only when `required` (the user named
 * it); an unknown key, a malformed line or an out-of-range value always is.
 * Returns 0, or -1 with a message for the operator in err.
 */
int mh_config_load(struct mh_config *cfg, const char *path, int required, char *err,
		   size_t errlen);

/* Applies one key = value pair; origin names where it came from in errors. */
int mh_config_set(struct mh_config *cfg, const char *key, const char *value, const char *origin,
		  char *err, size_t errlen);

/* Writes the effective configuration as key = value lines to fd (for
 * `menhir config`); the connection strings are shown without passwords. */
void mh_config_dump(const struct mh_config *cfg, int fd);

/* Writes every key the configuration accepts, one tab-separated line each: section ("core"
 * or the module's name), name, type, default, range (empty for strings) and one line of
 * help. The sample configuration and menhir.conf(5) are generated from it. */
void mh_config_describe(int fd);

/* Workers to run: cfg->workers, or the number of online CPUs when it is 0. */
int mh_config_worker_count(const struct mh_config *cfg);

#endif
