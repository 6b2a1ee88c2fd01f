/* it_reload.c - a module's setting follows SIGHUP: `menhir serve` re-reads the file and its
 * new generation of workers runs with the new value, no restart needed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "secrets.h"

/* The stack's menhir.conf as it was, put back whatever happens to the test. */
static char original[32768];
static size_t original_len;

static void write_config(const char *text, size_t len)
{
	FILE *f = fopen(t_env("MENHIR_CONFIG"), "w");

	cr_assert(f != NULL);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* SIGHUP, then waits until none of the workers of before is left: every worker that answers
 * from now on was forked after the master re-read the file. */
static void reload(void)
{
	pid_t before[64], now[64];
	int nbefore = t_worker_pids(before, 64);

	cr_assert_eq(kill(t_menhir_pid(), SIGHUP), 0);
	/* Generous: an old worker finishes its request first, and a loaded machine is slow to
	 * fork and start the new ones; the loop ends as soon as the switch is done. */
	for (int waited = 0; waited < 30000; waited += 100) {
		int n = t_worker_pids(now, 64), old = 0;

		for (int i = 0; i < n; i++)
			for (int j = 0; j < nbefore; j++)
				old += now[i] == before[j];
		if (old == 0 && n > 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("the workers of the previous generation are still there");
}

static void restore(void)
{
	if (original_len == 0)
		return;
	write_config(original, original_len);
	original_len = 0;
	reload();
}

TestSuite(reload, .timeout = 60, .fini = restore);

/* The file with key's line replaced by "key = value". */
static void set_key(const char *key, const char *value)
{
	char text[sizeof(original) + 256];
	size_t n = 0, klen = strlen(key);
	const char *p = original;

	while (p < original + original_len) {
		const char *eol = memchr(p, '\n', (size_t)(original + original_len - p));
		size_t len = eol ? (size_t)(eol - p) + 1 : (size_t)(original + original_len - p);

		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '='))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s = %s\n", key, value);
		else {
			memcpy(text + n, p, len);
			n += len;
		}
		p += len;
	}
	write_config(text, n);
}

/* A fresh login's expires_in: the auth module's access_token_ttl as the worker sees it. */
static int login_expires_in(const struct t_session *s)
{
	struct http_response r;
	char body[512];
	json_object *root, *data, *v;
	int ttl;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", s->email,
	         T_SECRET_PASSWORD);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 200, "login: %ld %s", r.status, r.body);
	root = t_auth_json(&r);
	cr_assert(json_object_object_get_ex(root, "data", &data) &&
	          json_object_object_get_ex(data, "expires_in", &v));
	ttl = json_object_get_int(v);
	json_object_put(root);
	t_http_free(&r);
	return ttl;
}

Test(reload, a_module_setting_changed_in_the_file_takes_effect_on_sighup)
{
	struct t_session s;
	FILE *f = fopen(t_env("MENHIR_CONFIG"), "r");
	int before;

	cr_assert(f != NULL);
	original_len = fread(original, 1, sizeof(original), f);
	fclose(f);
	cr_assert(original_len > 0 && original_len < sizeof(original));
	t_auth_signup(&s, "reload");
	before = atoi(t_auth_config("access_token_ttl"));
	cr_assert_eq(login_expires_in(&s), before);

	set_key("access_token_ttl", before == 1234 ? "1235" : "1234");
	reload();
	cr_assert_eq(login_expires_in(&s), before == 1234 ? 1235 : 1234,
	             "the new workers still issue tokens for %d s", before);

	/* And back: the value is the file's, not one a worker kept from its start. */
	restore();
	cr_assert_eq(login_expires_in(&s), before);
}
