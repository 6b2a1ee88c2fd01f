/* mail_helpers.c - the stack's mailbox for the mail suites (see the header). */
#include "mail_helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "auth_helpers.h"
#include "helpers.h"

struct found {
	char path[1400];
	struct timespec mtime;
};

static int by_arrival(const void *x, const void *y)
{
	const struct found *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->path, b->path);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf != NULL) {
		size_t got = fread(buf, 1, (size_t)n, f);
		buf[got] = '\0';
	}
	fclose(f);
	return buf;
}

/* The messages to `to` (containing needle, unless NULL), in order of arrival; returns how
 * many (at most max). */
static int find(const char *to, const char *needle, struct found *out, int max)
{
	char dir[1024], want[400];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/new", t_env("MENHIR_TEST_MAILBOX"));
	snprintf(want, sizeof(want), "X-Mailbox-To: <%s>\r\n", to);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		struct stat st;
		char *body;

		if (e->d_name[0] == '.')
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "%s/%s", dir, e->d_name);
		if (stat(out[n].path, &st) < 0 || (body = slurp(out[n].path)) == NULL)
			continue;
		if (strstr(body, want) != NULL &&
		    (needle == NULL || strstr(body, needle) != NULL)) {
			out[n].mtime = st.st_mtim;
			n++;
		}
		free(body);
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), by_arrival);
	return n;
}

int t_mail_count(const char *to)
{
	static struct found f[256];

	return find(to, NULL, f, 256);
}

char *t_mail_wait(const char *to, const char *needle, int n, int timeout_ms)
{
	static struct found f[256];

	for (int waited = 0;; waited += 50) {
		int got = find(to, needle, f, 256);

		if (got >= n)
			return slurp(f[n - 1].path);
		if (waited >= timeout_ms)
			return NULL;
		usleep(50000);
	}
}

void t_mail_settle(const char *to, int timeout_ms)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM jobs WHERE kind = 'mail.send'"
	         " AND lower(payload->>'to') = lower('%s') AND status IN ('queued', 'running')",
	         to);
	for (int waited = 0;; waited += 50) {
		long n = t_auth_sql_long(sql);

		if (n == 0)
			return;
		cr_assert(waited < timeout_ms, "%ld mail(s) to %s still queued after %d ms", n, to,
		          timeout_ms);
		usleep(50000);
	}
}

void t_mail_token(const char *message, const char *page, char *out, size_t outlen)
{
	char want[128];
	const char *p;
	size_t n;

	snprintf(want, sizeof(want), "/%s#token=", page);
	p = message ? strstr(message, want) : NULL;
	cr_assert(p != NULL, "no %s link in the mail", page);
	p += strlen(want);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	cr_assert(n == 43 && n < outlen, "a token is 43 base64url characters, not %zu", n);
	memcpy(out, p, n);
	out[n] = '\0';
}

void t_mail_refuse(int n)
{
	char path[1024], tmp[1100];
	FILE *f;

	snprintf(path, sizeof(path), "%s/refuse", t_env("MENHIR_TEST_MAILBOX"));
	snprintf(tmp, sizeof(tmp), "%s.t", path);
	f = fopen(tmp, "w");
	cr_assert(f != NULL);
	fprintf(f, "%d\n", n);
	fclose(f);
	cr_assert(rename(tmp, path) == 0);
}

void t_mail_verified(const char *user_id)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "UPDATE users SET email_verified_at = now() WHERE id = '%s'",
	         user_id);
	t_auth_sql(sql);
}
