/*
 * bench/floor: the floor cost of Menhir's FastCGI architecture, with no
 * framework.  A prefork pool of libfcgi workers on a unix socket, each
 * answering every request with the same ping JSON Menhir answers at
 * GET /api/v1/ping.  bench/run puts it behind the same nginx as Menhir.
 *
 *   bench/floor SOCKET_PATH WORKERS
 *
 * The parent binds the socket, forks WORKERS children, and waits; SIGTERM or
 * SIGINT makes it stop the children (SIGTERM), reap them, remove the socket
 * and exit 0.  A child that dies is not replaced (a benchmark should see it).
 *
 * Seam for later issues: worker_init() runs once per child before the accept
 * loop (open a libpq connection there), handle() answers one request (run the
 * hand-written transaction there), worker_fini() runs when the loop ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BACKLOG 1024 /* Menhir's listen_backlog default */
#define MAX_WORKERS 256

static const char ping_response[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"data\":{\"status\":\"ok\"}}";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		stop_requested = 1;
}

static int worker_init(void)
{
	return 0;
}

static void worker_fini(void)
{
}

static int handle(FCGX_Request *req)
{
	return FCGX_PutStr(ping_response, (int)(sizeof ping_response - 1), req->out) < 0 ? -1 : 0;
}

static void worker_loop(int listen_fd)
{
	FCGX_Request req;

	if (FCGX_InitRequest(&req, listen_fd, 0) != 0) {
		fprintf(stderr, "floor: FCGX_InitRequest failed\n");
		_exit(1);
	}
	if (worker_init() != 0)
		_exit(1);
	while (FCGX_Accept_r(&req) >= 0) {
		handle(&req);
		FCGX_Finish_r(&req);
	}
	worker_fini();
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *path;
	char *end;
	long nworkers;
	int listen_fd, i, status;
	pid_t pids[MAX_WORKERS];
	int live = 0, rc = 0;
	struct sigaction sa;
	sigset_t block, orig;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET_PATH WORKERS\n", argv[0]);
		return 2;
	}
	path = argv[1];
	errno = 0;
	nworkers = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "floor: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}

	/*
	 * Block the signals we wait for, so none is lost between checking
	 * stop_requested and sleeping: sigsuspend() unblocks them atomically.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	if (FCGX_Init() != 0) {
		fprintf(stderr, "floor: FCGX_Init failed\n");
		return 1;
	}
	unlink(path);
	listen_fd = FCGX_OpenSocket(path, BACKLOG);
	if (listen_fd < 0) {
		fprintf(stderr, "floor: cannot bind %s\n", path);
		return 1;
	}
	/* nginx workers may run as another user */
	if (chmod(path, 0666) != 0) {
		fprintf(stderr, "floor: chmod %s: %s\n", path, strerror(errno));
		return 1;
	}

	for (i = 0; i < nworkers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "floor: fork: %s\n", strerror(errno));
			stop_requested = 1;
			rc = 1;
			break;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			worker_loop(listen_fd);
		}
		pids[live++] = pid;
	}

	for (;;) {
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < live; i++) {
				if (pids[i] == pid) {
					pids[i] = pids[--live];
					break;
				}
			}
			if (!stop_requested)
				fprintf(stderr, "floor: worker %ld exited (status %d)\n",
					(long)pid, status);
		}
		if (live == 0)
			break;
		if (stop_requested) {
			for (i = 0; i < live; i++)
				kill(pids[i], SIGTERM);
			while (live > 0 && waitpid(-1, &status, 0) > 0)
				live--;
			break;
		}
		sigsuspend(&orig);
	}
	unlink(path);
	return rc;
}
