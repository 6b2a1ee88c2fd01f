/* config.h - Menhir's settings: a key = value file overridden by MENHIR_* variables. The
 * core's keys are the members below; each module declares its own keys (struct mh_settings in
 * its struct mh_module), and the loader, the environment and `menhir config` treat both alike. */
#ifndef MH_CONFIG_H
#define MH_CONFIG_H

#include <stddef.h>

#include "core/log.h"

struct mh_module;

/* configure's sysconfdir and pkgdatadir (Makefile.am); the Debian layout otherwise. */
#ifndef MH_SYSCONFDIR
#define MH_SYSCONFDIR "/etc"
#endif
#ifndef MH_PKGDATADIR
#define MH_PKGDATADIR "/usr/share/menhir"
#endif

#define MH_CONFIG_DEFAULT_PATH MH_SYSCONFDIR "/menhir/menhir.conf"

/* Room for every module's values while they are loaded and checked; a registry that needs
 * more refuses to start (mh_config_check_registry). */
#define MH_CONFIG_MODULE_BYTES 8192

enum mh_setting_type {
	MH_SETTING_STR,   /* a string of at most size - 1 bytes */
	MH_SETTING_INT,   /* an int from min to max */
	MH_SETTING_BOOL,  /* an int 0/1, written true/false (on/off, yes/no, 1/0) */
	MH_SETTING_MODE,  /* an int, written as an octal file mode (0660) */
	MH_SETTING_LEVEL, /* an enum mh_log_level, written debug/info/warn/error */
};

/* One configuration key: its name in the file (MENHIR_<NAME> in the environment), its type,
 * range and default, one line of help for `menhir config`, and where its value lives in the
 * struct that holds it (struct mh_config for the core, the module's own struct otherwise). */
struct mh_config_key {
	const char *name;
	enum mh_setting_type type;
	size_t offset;
	size_t size; /* MH_SETTING_STR: the buffer's size, NUL included */
	long min, max;
	const char *def; /* as it would be written in the file */
	const char *help;
};

/* Key tables name a field of their struct once: the key is called like the field. */
/* clang-format off */
#define MH_KEY_STR(type, field, def, help)                                                     \
	{ #field, MH_SETTING_STR, offsetof(type, field), sizeof(((type *)0)->field), 0, 0, def, help }
#define MH_KEY_INT(type, field, lo, hi, def, help)                                             \
	{ #field, MH_SETTING_INT, offsetof(type, field), 0, lo, hi, def, help }
#define MH_KEY_BOOL(type, field, def, help)                                                    \
	{ #field, MH_SETTING_BOOL, offsetof(type, field), 0, 0, 1, def, help }
/* clang-format on */

/*
 * What a module declares about its settings. The loader fills a private copy of `values`
 * from the defaults, the file and the environment; mh_config_apply then runs every module's
 * `check` on its copy and, only when every module accepted its own, every `commit`, then
 * copies the copies over `values`. That happens in the master at start-up and on every
 * SIGHUP, before it forks a new generation of workers, so a module's code reads plain fields
 * of its struct and a reload reaches new workers only. Two phases because a reload is all or
 * nothing: a module refused late must not leave an earlier one running half the new
 * configuration (a new secret, new templates) beside the old values of the rest.
 */
struct mh_settings {
	const struct mh_config_key *keys; /* ends with a zeroed entry */
	void *values;                     /* the module's struct the keys' offsets point into */
	size_t size;                      /* sizeof that struct */
	/* Checks values (the module's struct, about to take effect) and prepares what they
	 * need (reads files, parses) without putting any of it into use. Returns 0, or -1 with
	 * a message in err: the whole configuration is refused and the running one stays.
	 * May be NULL. */
	int (*check)(const void *values, char *err, size_t errlen);
	/* Puts into use what the last successful check prepared; runs only once every module's
	 * check accepted. May be NULL. */
	void (*commit)(void);
};

struct mh_config {
	char socket[256];
	int socket_mode;
	int listen_backlog;
	int workers;
	int max_requests;
	int request_timeout;  /* seconds */
	int shutdown_timeout; /* seconds */
	int body_limit;       /* bytes */
	int upload_limit;     /* bytes of the body of an MH_RAW_BODY route */
	char database_url[1024];
	char migrate_database_url[1024];
	int db_statement_timeout;        /* milliseconds */
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
	int cookie_secure; /* every Set-Cookie says Secure (off only for plain-HTTP development) */
	/* verifying access tokens, hashing passwords */
	char keys_dir[512];
	char jwt_issuer[256];
	char jwt_audience[256];
	int api_key_touch_interval; /* seconds a worker gathers API keys' last use before writing */
	int password_time_cost;
	int password_memory_kib;
	int password_parallelism;
	/* live events: nginx's nchan publisher, reached over a unix socket ("" = none) */
	char events_socket[256];
	int events_timeout; /* milliseconds one publish may take */
	int events_relay;   /* events go through Redis to every host's master (core/events.h) */
	/* background jobs (menhir work) */
	int work_concurrency;  /* job runners per `menhir work` */
	int jobs_lease;        /* seconds a claim lasts unless renewed */
	int jobs_poll;         /* seconds between polls when no NOTIFY came */
	int jobs_backoff_base; /* milliseconds before the first retry */
	int jobs_backoff_max;  /* seconds: the longest retry delay */
	int jobs_max_attempts; /* when neither the enqueuer nor the kind says */
	/* The periodic cleanups (every module's that keeps records of finished work) */
	int jobs_cleanup_every; /* seconds between cleanup runs */
	int jobs_keep_days;     /* finished jobs and records of finished work kept this long */
	/* Every module's values, laid out in registry order, while they are loaded and checked
	 * (mh_config_apply hands them over). */
	_Alignas(16) unsigned char modules[MH_CONFIG_MODULE_BYTES];
};

/* Fills cfg with the built-in defaults, the modules' included. */
void mh_config_defaults(struct mh_config *cfg);

/*
 * Loads defaults, then the file at path, then MENHIR_<KEY> environment
 * variables. A missing file is an error only when `required` (the user named
 * it); an unknown key, a malformed line or an out-of-range value always is.
 * Returns 0, or -1 with a message for the operator in err.
 */
int mh_config_load(struct mh_config *cfg, const char *path, int required, char *err, size_t errlen);

/* Applies one key = value pair (a core key or a module's); origin names where it came from
 * in errors. Returns 0 or -1 (err). */
int mh_config_set(struct mh_config *cfg, const char *key, const char *value, const char *origin,
                  char *err, size_t errlen);

/*
 * Hands every module the values cfg holds for it: runs each module's check hook on them,
 * then, only when all accepted, each commit hook, and copies them over the modules' own
 * structs. Call in the process that will fork the workers or runners (start-up, every
 * reload) and in commands that use a module directly. Returns 0, or -1 with err naming the module
 * that refused.
 */
int mh_config_apply(const struct mh_config *cfg, char *err, size_t errlen);

/* Where cfg holds module m's values (a struct of m->settings->size bytes), or NULL when m
 * has no settings or is not in the registry. */
const void *mh_config_module_values(const struct mh_config *cfg, const struct mh_module *m);

/* Checks a registry's keys: no name declared twice (by the core or any module), every
 * default valid, every module's values fit in MH_CONFIG_MODULE_BYTES. Returns 0, or -1 with
 * the first problem in err. mh_config_defaults aborts on the real registry's problems. */
int mh_config_check_registry(const struct mh_module *const *modules, char *err, size_t errlen);

/* Writes the effective configuration to fd (for `menhir config`): every key as a
 * key = value line after a comment with its help, range and default, the core's first, then
 * each module's under its name; the connection strings are shown without passwords. */
void mh_config_dump(const struct mh_config *cfg, int fd);

/* Writes every key the configuration accepts, one tab-separated line each: section ("core"
 * or the module's name), name, type, default, range (empty for strings) and one line of
 * help. The sample configuration and menhir.conf(5) are generated from it. */
void mh_config_describe(int fd);

/* Workers to run: cfg->workers, or the number of online CPUs when it is 0. */
int mh_config_worker_count(const struct mh_config *cfg);

#endif
