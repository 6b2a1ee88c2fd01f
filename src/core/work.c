/* work.c - `menhir work`: runs the jobs of the queue (core/queue.h, schema 0006).
 *
 * The master: forks --concurrency runners (core/runner.c) and supervises them. Each runner has
 * its own PostgreSQL connection (the same db layer as a request worker), claims one job at a
 * time with jobs_claim() (FOR UPDATE SKIP LOCKED), runs it in one transaction as the job's
 * creator and ends it with jobs_finish() in that same transaction. Idle runners sleep on
 * LISTEN menhir_jobs, with a poll every jobs_poll seconds as the fallback (a NOTIFY is lost
 * while a runner reconnects, and run_at in the future is never notified).
 *
 * Leases: a claim lasts jobs_lease seconds. The master, not the runner, renews the leases of
 * its live runners every third of that, so a runner busy inside a long job needs no timer,
 * and a runner that dies (SIGKILL, OOM) stops being renewed: its job's lease runs out and
 * another runner takes it again. A runner busy for more than ten leases is killed for the
 * same reason. SIGTERM lets every runner finish its current job, then exit.
 */
#include "core/work.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/app.h"
#include "core/db.h"
#include "core/events.h"
#include "core/log.h"
#include "core/notify.h"
#include "core/module.h"
#include "core/queue.h"
#include "core/redis.h"
#include "core/runner.h"
#include "core/scoreboard.h"

#define MAX_RUNNERS 256
#define TICK_MS 500
/* A runner that exits this soon after its start is crash-looping: respawn it slower. */
#define QUICK_EXIT_US 2000000
#define RESPAWN_DELAY_US 1000000

struct slot {
	pid_t pid;
	int64_t started_us;
	int64_t respawn_at_us;
};

static const struct mh_config *cfg;
static struct mh_runner_state *states;
static int stopping;
static char host[64];

static pid_t spawn(struct slot *s, int index)
{
	pid_t master = getpid(), pid;

	atomic_store(&states[index].busy_since_us, 0);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigaddset(&none, SIGTERM);
		sigaddset(&none, SIGINT);
		/* The runner takes SIGTERM through its own signalfd; SIGCHLD and SIGHUP are the
		 * master's business. */
		sigprocmask(SIG_SETMASK, &none, NULL);
		mh_runner_main(cfg, &states[index], host, master);
	}
	if (pid < 0) {
		mh_log(MH_LOG_ERROR, "work", "fork: %s", strerror(errno));
		s->respawn_at_us = mh_now_us() + RESPAWN_DELAY_US;
		return -1;
	}
	s->pid = pid;
	s->started_us = mh_now_us();
	return pid;
}

/* The master's own short-lived connection: it is opened for each renewal and closed right
 * after, so no connection is ever inherited by a runner forked in between. */
static PGconn *master_connect(void)
{
	const char *const keys[] = { "dbname", "application_name", "connect_timeout", NULL };
	const char *const values[] = { cfg->database_url, "menhir-work-master", "2", NULL };
	PGconn *c = PQconnectdbParams(keys, values, 1);

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		mh_log(MH_LOG_WARN, "work", "cannot reach PostgreSQL to renew leases: %s",
		       c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void master_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		mh_log(MH_LOG_WARN, "work", "%s", PQresultErrorMessage(res));
	PQclear(res);
}

/* Renews the leases of the live runners; kills a runner stuck in one job for ten leases
 * (its lease then runs out and the job is retried elsewhere). */
static void renew_leases(struct slot *slots, int n)
{
	char owners[MAX_RUNNERS * 96 + 4], lease[16];
	size_t len = 0;
	int64_t now = mh_now_us(), stuck_us = (int64_t)cfg->jobs_lease * 10 * 1000000;
	PGconn *c;

	owners[len++] = '{';
	for (int i = 0; i < n; i++) {
		int64_t busy = atomic_load(&states[i].busy_since_us);
		if (slots[i].pid <= 0 || busy == 0)
			continue;
		if (now - busy > stuck_us) {
			mh_log(MH_LOG_ERROR, "work", "runner %d has been running one job for %lld s; "
			       "killing it", (int)slots[i].pid, (long long)((now - busy) / 1000000));
			kill(slots[i].pid, SIGKILL);
			continue;
		}
		len += (size_t)snprintf(owners + len, sizeof(owners) - len, "%s\"%s:%d\"",
					len > 1 ? "," : "", host, (int)slots[i].pid);
	}
	if (len == 1)
		return; /* nobody busy */
	owners[len++] = '}';
	owners[len] = '\0';
	snprintf(lease, sizeof(lease), "%d", cfg->jobs_lease);
	c = master_connect();
	if (c == NULL)
		return;
	master_exec(c, "SELECT jobs_renew($1::text[], $2::int)", 2,
		    (const char *const[]){ owners, lease });
	PQfinish(c);
}

/* The first run of every periodic system job (a no-op when one is already queued). */
static void schedule_periodic(void)
{
	PGconn *c = NULL;

	for (size_t m = 0; mh_modules[m] != NULL; m++)
		for (const struct mh_job_kind *k = mh_modules[m]->job_kinds; k && k->name; k++) {
			if (k->every_seconds <= 0)
				continue;
			if (c == NULL && (c = master_connect()) == NULL)
				return;
			master_exec(c, "SELECT jobs_schedule_system($1, $1, now())", 1,
				    (const char *const[]){ k->name });
		}
	PQfinish(c);
}

static int parse_args(int argc, char **argv, int *concurrency)
{
	*concurrency = cfg->work_concurrency;
	for (int i = 0; i < argc; i++) {
		char *end;
		long v;
		if (strcmp(argv[i], "--concurrency") != 0 || i + 1 == argc)
			return -1;
		errno = 0;
		v = strtol(argv[++i], &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > MAX_RUNNERS)
			return -1;
		*concurrency = (int)v;
	}
	return 0;
}

static void host_name(void)
{
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* The owner goes into a text[] literal: keep it to characters that need no quoting. */
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
}

int mh_work_main(const struct mh_config *config, int argc, char **argv)
{
	struct slot slots[MAX_RUNNERS];
	int n, signal_fd, live;
	int64_t next_renew = 0, stop_deadline = 0;
	sigset_t set;
	char err[512];

	cfg = config;
	mh_notify_init();
	if (parse_args(argc, argv, &n) < 0) {
		fprintf(stderr, "usage: menhir work [--concurrency N]  (N from 1 to %d)\n",
			MAX_RUNNERS);
		return 2;
	}
	/* Redis: a job may tell the serving workers that something they cache changed
	 * (core/revocation.h, generations). */
	if (mh_app_init(cfg, err, sizeof(err)) < 0 || mh_runner_register() < 0 ||
	    mh_redis_configure(cfg, err, sizeof(err)) < 0 ||
	    mh_config_apply(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir: %s\n", err);
		return 1;
	}
	mh_log_set_level(cfg->log_level);
	mh_db_configure(cfg);
	mh_db_set_application_name("menhir-work");
	mh_events_configure(cfg);
	/* The runners publish job events; with events_relay, on Redis. */
	if (mh_redis_configure(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "menhir: %s\n", err);
		return 1;
	}
	host_name();
	states = mmap(NULL, sizeof(*states) * MAX_RUNNERS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (states == MAP_FAILED) {
		mh_log(MH_LOG_ERROR, "work", "cannot map the runners' state");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0) {
		mh_log(MH_LOG_ERROR, "work", "signalfd: %s", strerror(errno));
		return 1;
	}
	schedule_periodic();
	memset(slots, 0, sizeof(slots));
	for (int i = 0; i < n; i++)
		spawn(&slots[i], i);
	mh_log(MH_LOG_INFO, "work", "running jobs with %d runners (pid %d)", n, (int)getpid());
	mh_notify("READY=1\nSTATUS=running jobs");

	for (;;) {
		struct pollfd pfd = { .fd = signal_fd, .events = POLLIN };
		struct signalfd_siginfo si;
		int64_t now;
		pid_t pid;
		int status;

		poll(&pfd, 1, TICK_MS);
		while (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && !stopping) {
				stopping = 1;
				mh_notify("STOPPING=1");
				stop_deadline = mh_now_us() + (int64_t)cfg->shutdown_timeout * 1000000;
				mh_log(MH_LOG_INFO, "shutdown", "finishing the current jobs");
				for (int i = 0; i < n; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGTERM);
			} else if (si.ssi_signo == SIGHUP) {
				mh_log(MH_LOG_WARN, "work", "SIGHUP ignored: restart `menhir work` to "
				       "apply a new configuration");
			}
		}
		now = mh_now_us();
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (int i = 0; i < n; i++) {
				if (slots[i].pid != pid)
					continue;
				if (!stopping && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
					mh_log(MH_LOG_WARN, "work", "runner %d ended (%s %d)", (int)pid,
					       WIFSIGNALED(status) ? "signal" : "status",
					       WIFSIGNALED(status) ? WTERMSIG(status)
								   : WEXITSTATUS(status));
				slots[i].pid = 0;
				slots[i].respawn_at_us =
					now - slots[i].started_us < QUICK_EXIT_US ? now + RESPAWN_DELAY_US : now;
			}
		live = 0;
		for (int i = 0; i < n; i++) {
			if (slots[i].pid == 0 && !stopping && now >= slots[i].respawn_at_us)
				spawn(&slots[i], i);
			live += slots[i].pid > 0;
		}
		if (stopping) {
			if (live == 0)
				break;
			if (now > stop_deadline) {
				mh_log(MH_LOG_WARN, "shutdown", "runners still busy after %d s; killing them",
				       cfg->shutdown_timeout);
				for (int i = 0; i < n; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGKILL);
				stop_deadline = now + 3600LL * 1000000;
			}
		}
		if (now >= next_renew) {
			renew_leases(slots, n);
			next_renew = now + (int64_t)cfg->jobs_lease * 1000000 / 3;
		}
	}
	close(signal_fd);
	munmap(states, sizeof(*states) * MAX_RUNNERS);
	mh_log(MH_LOG_INFO, "shutdown", "stopped");
	return 0;
}
