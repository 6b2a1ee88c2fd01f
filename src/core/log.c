/* log.c - one JSON object per line on stderr (journald keeps it). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/utf8.h"

static enum mh_log_level min_level = MH_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

int mh_log_level_parse(const char *s, enum mh_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum mh_log_level)i;
			return 0;
		}
	}
	return -1;
}

void mh_log_set_level(enum mh_log_level level)
{
	min_level = level;
}

int mh_log_enabled(enum mh_log_level level)
{
	return level >= min_level;
}

/*
 * Whether stderr is journald's stream: systemd sets JOURNAL_STREAM to "DEV:INODE" of the
 * stream it connected, and a process whose stderr is still that file may start each line
 * with "<N>", the syslog priority journald then records (so `journalctl -p err` finds
 * errors). Compared with stderr itself, not just present, because a child whose stderr
 * was redirected (a file, a pipe to a test) inherits the variable too and must stay plain
 * JSON. Decided once per process, on the first line.
 */
static int journal_stream(void)
{
	static int known = -1;
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (known >= 0)
		return known;
	known = v != NULL && sscanf(v, "%llu:%llu", &dev, &ino) == 2 &&
		fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
		(unsigned long long)st.st_ino == ino;
	return known;
}

/* Reserve room for the closing `,"truncated":true}\n`. */
#define TAIL_ROOM 24

static void put(struct mh_logline *l, const char *s, size_t n)
{
	if (l->truncated || l->len + n > sizeof(l->buf) - TAIL_ROOM) {
		l->truncated = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* A JSON string of s[0..n). Every line must be valid UTF-8 JSON whatever a client put
 * in a path or header: well-formed UTF-8 passes through, each byte of an ill-formed
 * sequence becomes U+FFFD. */
static void put_escaped(struct mh_logline *l, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;

	put(l, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t len = c >= 0x80 ? mh_utf8_seq_len(u + i, n - i) : 1;

		if (len == 0) {
			put(l, "\\ufffd", 6);
			len = 1;
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(l, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(l, e, 6);
		} else {
			put(l, s + i, len);
		}
		i += len;
	}
	put(l, "\"", 1);
}

void mh_logline_begin(struct mh_logline *l, enum mh_log_level level, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char head[96];
	int n;

	l->len = 0;
	l->truncated = 0;
	if (journal_stream()) {
		/* syslog(3) priorities: LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3. */
		static const char prio[] = { '7', '6', '4', '3' };
		char p[3] = { '<', prio[level], '>' };
		put(l, p, 3);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(head, sizeof(head),
		     "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"level\":\"%s\"",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000, level_names[level]);
	put(l, head, (size_t)n);
	mh_logline_int(l, "pid", (long long)getpid());
	mh_logline_str(l, "event", event);
}

void mh_logline_strn(struct mh_logline *l, const char *key, const char *value, size_t len)
{
	size_t mark = l->len;
	int was_truncated = l->truncated;

	put(l, ",", 1);
	put_escaped(l, key, strlen(key));
	put(l, ":", 1);
	if (value == NULL)
		put(l, "null", 4);
	else
		put_escaped(l, value, len);
	/* Drop a field that did not fit whole, so the line stays valid JSON. */
	if (!was_truncated && l->truncated)
		l->len = mark;
}

void mh_logline_str(struct mh_logline *l, const char *key, const char *value)
{
	mh_logline_strn(l, key, value, value ? strlen(value) : 0);
}

void mh_logline_int(struct mh_logline *l, const char *key, long long value)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", value);
	size_t mark = l->len;
	int was_truncated = l->truncated;

	put(l, ",", 1);
	put_escaped(l, key, strlen(key));
	put(l, ":", 1);
	put(l, num, (size_t)n);
	if (!was_truncated && l->truncated)
		l->len = mark;
}

void mh_logline_end(struct mh_logline *l)
{
	const char *tail = l->truncated ? ",\"truncated\":true}\n" : "}\n";
	size_t n = strlen(tail);

	memcpy(l->buf + l->len, tail, n);
	l->len += n;
	/* One write per line keeps lines whole when many processes share stderr. */
	ssize_t w = write(STDERR_FILENO, l->buf, l->len);
	(void)w;
}

void mh_log(enum mh_log_level level, const char *event, const char *fmt, ...)
{
	struct mh_logline l;
	char msg[2048];
	va_list ap;

	if (!mh_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mh_logline_begin(&l, level, event);
	mh_logline_str(&l, "msg", msg);
	mh_logline_end(&l);
}
