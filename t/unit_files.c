/* unit_files.c - the attachment upload's storage step (src/modules/documents/files.c)
 * without a server: a failing disk must cost neither a descriptor nor a stray file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <fcgiapp.h>

#include "modules/documents/files.h"

/* The storage step calls fdatasync(); this definition, in the executable, is the one it
 * links against, so a test can make the disk fail. */
static int fail_sync;

int fdatasync(int fd)
{
	if (fail_sync) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

static char dir[] = "/tmp/menhir-files-XXXXXX";
static struct mh_arena arena;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	/* The documents module's setting, as the core hands it over at start-up. */
	snprintf(documents_settings.storage_dir, sizeof(documents_settings.storage_dir), "%s", dir);
	cr_assert_eq(mh_arena_init(&arena, 4096), 0);
}

static void teardown(void)
{
	char cmd[128];

	mh_arena_destroy(&arena);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(files, .init = setup, .fini = teardown);

/* The in-memory request body has nothing more once it is read. */
static void end_of_body(FCGX_Stream *s)
{
	s->isClosed = 1;
}

/* Entries of a directory (without . and ..); -1 when it cannot be read. */
static int entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

Test(files, a_failed_fdatasync_closes_the_file_and_removes_it)
{
	static char body[] = "hello, attachments";
	struct mh_kv params[] = {{"id", "00000000-0000-4000-8000-000000000001"}};
	struct mh_kv query[] = {{"name", "notes.txt"}};
	struct mh_kv headers[] = {{"content-type", "text/plain"}};
	FCGX_Stream in;
	struct mh_request req;
	struct mh_response res;
	char tmp[64];
	int fds;

	memset(&in, 0, sizeof(in));
	in.rdNext = (unsigned char *)body;
	in.stop = (unsigned char *)body + strlen(body);
	in.isReader = 1;
	in.fillBuffProc = end_of_body;
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.arena = &arena;
	req.params = params;
	req.nparams = 1;
	req.query = query;
	req.nquery = 1;
	req.headers = headers;
	req.nheaders = 1;
	req.principal.tenant_id = "00000000-0000-4000-8000-0000000000aa";
	req.body_stream = &in;
	req.body_remaining = (long long)strlen(body);
	mh_buf_init(&res.body, &arena, 256);

	fds = entries("/proc/self/fd");
	fail_sync = 1;
	cr_assert_lt(documents_files_upload(&req, &res), 0, "a failed sync is a failed upload");
	fail_sync = 0;
	cr_assert_eq(req.body_remaining, 0, "the body was read: the failure is the sync's");
	cr_assert_eq(entries("/proc/self/fd"), fds, "the temporary file's descriptor leaked");
	snprintf(tmp, sizeof(tmp), "%s/.tmp", dir);
	cr_assert_eq(entries(tmp), 0, "the temporary file is left behind");
}
