/* worker.c - one prefork child: accepts FastCGI requests until told to stop. */
#include "core/worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "core/apikey.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/dispatch.h"
#include "core/log.h"
#include "core/redis.h"

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * SIGTERM stays blocked except while the worker waits in ppoll(): libfcgi
 * treats an interrupted read as a broken connection, so a signal that landed
 * while a request was being read would lose that request. Waiting is the
 * only moment a stop can be taken without dropping anything.
 */
static void setup_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_SETMASK, &block, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
}

/* Waits until fd is readable or a stop arrives, writing the API keys' last use when it
 * falls due meanwhile (an idle worker must not sit on it). Returns 1 when readable. */
static int wait_readable(int fd, const sigset_t *wait_mask, struct mh_arena *arena)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (!stop_requested) {
		int wait_ms = mh_apikey_flush_wait_ms();
		struct timespec ts = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L };
		int n = ppoll(&pfd, 1, wait_ms < 0 ? NULL : &ts, wait_mask);

		if (n > 0)
			return 1;
		if (n == 0) {
			mh_apikey_flush(arena, 0);
			mh_arena_reset(arena);
		}
		if (n < 0 && errno != EINTR)
			return 0;
	}
	return 0;
}

__attribute__((noreturn)) static void shutdown_worker(struct mh_arena *arena, FCGX_Request *fr, int status)
{
	FCGX_Free(fr, 1);
	mh_apikey_flush(arena, 1);
	mh_db_disconnect();
	mh_redis_disconnect();
	mh_arena_destroy(arena);
	exit(status);
}

void mh_worker_run(const struct mh_config *cfg, int listen_fd, struct mh_slot *slot)
{
	struct mh_arena arena;
	FCGX_Request fr;
	sigset_t wait_mask;
	uint64_t served = 0;

	setup_signals(&wait_mask);
	if (FCGX_Init() != 0 || mh_arena_init(&arena, 64 * 1024) < 0 ||
	    FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		mh_log(MH_LOG_ERROR, "worker_init_failed", "cannot initialise the worker");
		_exit(1);
	}
	/* Connecting now keeps the first request fast; failure is not fatal:
	 * requests answer 503 until the database is back. */
	mh_db_connect();
	mh_redis_connect();

	for (;;) {
		/* With FCGI_KEEP_CONN the next request arrives on the kept
		 * connection, not the listening socket. */
		int fd = fr.ipcFd >= 0 ? fr.ipcFd : listen_fd;

		if (!wait_readable(fd, &wait_mask, &arena))
			break;
		atomic_store(&slot->busy_since_us, mh_now_us());
		/* The listening socket is non-blocking: when another worker won
		 * the race for this connection, accept fails with EAGAIN. */
		if (FCGX_Accept_r(&fr) < 0) {
			atomic_store(&slot->busy_since_us, 0);
			continue;
		}
		mh_dispatch(&fr, &arena, cfg);
		FCGX_Finish_r(&fr);
		/* After the answer has gone: the client never waits for this write. */
		mh_apikey_flush(&arena, 0);
		mh_arena_reset(&arena);
		atomic_store(&slot->busy_since_us, 0);
		atomic_fetch_add(&slot->requests, 1);
		served++;
		if (cfg->max_requests > 0 && served >= (uint64_t)cfg->max_requests)
			shutdown_worker(&arena, &fr, MH_EXIT_RECYCLE);
	}
	shutdown_worker(&arena, &fr, MH_EXIT_STOPPED);
}
