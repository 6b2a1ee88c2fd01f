/* unit_log.c - the JSON log line writer: every line is one valid UTF-8 JSON object,
 * whatever bytes a client put in the values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/log.h"
#include "core/utf8.h"

static FILE *capture;
static int saved_stderr = -1;

static void setup(void)
{
	capture = tmpfile();
	cr_assert(capture != NULL);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert(saved_stderr >= 0 && dup2(fileno(capture), STDERR_FILENO) >= 0);
}

static void teardown(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(capture);
}

TestSuite(log, .init = setup, .fini = teardown);

/* Writes one line with "path": value and returns what reached stderr (malloc'd). */
static char *log_path(const char *value)
{
	struct mh_logline l;
	long n;
	char *out;

	mh_logline_begin(&l, MH_LOG_INFO, "request");
	mh_logline_str(&l, "path", value);
	mh_logline_end(&l);
	n = lseek(STDERR_FILENO, 0, SEEK_CUR);
	cr_assert(n > 0);
	out = calloc(1, (size_t)n + 1);
	cr_assert_eq(pread(STDERR_FILENO, out, (size_t)n, 0), n);
	return out;
}

/* The "path" member of a line that must be valid UTF-8 JSON (malloc'd). */
static char *path_of(const char *line)
{
	struct json_object *o, *v;
	char *path;

	cr_assert(mh_utf8_valid(line, strlen(line)), "not valid UTF-8: %s", line);
	o = json_tokener_parse(line);
	cr_assert(o != NULL, "not JSON: %s", line);
	cr_assert(json_object_object_get_ex(o, "path", &v));
	path = strdup(json_object_get_string(v));
	json_object_put(o);
	return path;
}

Test(log, invalid_utf8_in_a_value_becomes_replacement_characters)
{
	/* A stray continuation byte, a lead byte without its continuation, a UTF-16
	 * surrogate encoded in UTF-8 and an overlong '/'. */
	char *line = log_path("/api/v1/\x80/\xc3(/\xed\xa0\x80/\xc0\xaf");
	char *path = path_of(line);

	cr_assert_str_eq(path,
	                 "/api/v1/\xef\xbf\xbd/\xef\xbf\xbd(/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd/"
	                 "\xef\xbf\xbd\xef\xbf\xbd");
	free(path);
	free(line);
}

Test(log, valid_utf8_passes_through_unescaped)
{
	char *line = log_path("/api/v1/caf\xc3\xa9/\xf0\x9f\x98\x80");
	char *path = path_of(line);

	cr_assert_str_eq(path, "/api/v1/caf\xc3\xa9/\xf0\x9f\x98\x80");
	cr_assert(strstr(line, "caf\xc3\xa9/\xf0\x9f\x98\x80") != NULL, "%s", line);
	free(path);
	free(line);
}

Test(log, quotes_and_control_characters_are_escaped)
{
	char *line = log_path("a\"b\\c\n\x01");
	char *path = path_of(line);

	cr_assert_str_eq(path, "a\"b\\c\n\x01");
	free(path);
	free(line);
}
