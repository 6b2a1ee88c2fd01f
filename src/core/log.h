/* log.h - one JSON object per line on stderr (journald keeps it). */
#ifndef MH_LOG_H
#define MH_LOG_H

#include <stddef.h>

enum mh_log_level { MH_LOG_DEBUG, MH_LOG_INFO, MH_LOG_WARN, MH_LOG_ERROR };

/* Parses "debug"/"info"/"warn"/"error"; returns 0 or -1. */
int mh_log_level_parse(const char *s, enum mh_log_level *out);
void mh_log_set_level(enum mh_log_level level);
int mh_log_enabled(enum mh_log_level level);

/*
 * A line is built in a fixed buffer on the caller's stack and written with a
 * single write(2), so concurrent workers never interleave and logging never
 * allocates. A line that would overflow is cut and marked "truncated".
 * When stderr is journald's stream (JOURNAL_STREAM names it) a line starts with its
 * syslog priority, "<3>{...}" for an error, which journald strips and records.
 */
struct mh_logline {
	char buf[4096];
	size_t len;
	int truncated;
};

void mh_logline_begin(struct mh_logline *l, enum mh_log_level level, const char *event);
void mh_logline_str(struct mh_logline *l, const char *key, const char *value);
void mh_logline_strn(struct mh_logline *l, const char *key, const char *value, size_t len);
void mh_logline_int(struct mh_logline *l, const char *key, long long value);
void mh_logline_end(struct mh_logline *l);

/* Convenience for start-up and error messages: {"level", "event", "msg"}. */
void mh_log(enum mh_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
