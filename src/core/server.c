/* server.c - the prefork master of `menhir serve`. */
#include "core/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/app.h"
#include "core/events_relay.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/notify.h"
#include "core/revocation.h"
#include "core/scoreboard.h"
#include "core/worker.h"

#define SD_LISTEN_FDS_START 3
/* Crash-loop guard, as php-fpm's emergency_restart_*: only a worker that dies before it
 * proved it can run (no request taken, under PROVEN_UPTIME_US old) counts as an early
 * death; more early deaths within the window than the pool has workers slow its respawn
 * down exponentially instead of burning the CPU on a worker that cannot start. A worker
 * that served and then died (a kill, a crash on one request) is replaced at once, however
 * many have died: delaying it only takes capacity away from healthy traffic. */
#define CRASH_WINDOW_US (10 * 1000000LL)
#define MAX_RESPAWN_DELAY_US (5 * 1000000LL)
#define PROVEN_UPTIME_US 1000000LL
/* nginx gives up at request_timeout (504); the worker is killed just after. */
#define TIMEOUT_GRACE_US 1000000LL
#define TICK_MS 100

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_STOPPING, SLOT_RESPAWN };

struct slot_info {
	enum slot_state state;
	pid_t pid;
	unsigned generation;
	int killed_for_timeout;
	int64_t respawn_at_us;
	int64_t stop_sent_us;
	int64_t started_us;
	uint64_t requests_at_spawn; /* the slot's scoreboard counter when forked */
};

static struct {
	struct mh_config *cfg;
	struct mh_scoreboard *sb;
	struct slot_info slots[MH_SCOREBOARD_SLOTS];
	int listen_fd;
	int signal_fd;
	int own_socket; /* we created the path, so we remove it */
	unsigned generation;
	int64_t early_deaths[64]; /* ring of the times of recent early deaths */
	size_t nearly;
} m;

static int inherited_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	if (atoi(fds) != 1) {
		mh_log(MH_LOG_ERROR, "socket", "expected exactly one socket from systemd, got %s",
		       fds);
		return -2;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return SD_LISTEN_FDS_START;
}

static int bind_socket(const struct mh_config *cfg)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(cfg->socket) >= sizeof(sa.sun_path)) {
		mh_log(MH_LOG_ERROR, "socket", "socket path too long: %s", cfg->socket);
		return -1;
	}
	strcpy(sa.sun_path, cfg->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A stale socket from a previous run would make bind fail; one that
	 * answers belongs to a running server, which we must not steal from. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		mh_log(MH_LOG_ERROR, "socket", "%s is in use by another server", cfg->socket);
		close(fd);
		return -1;
	}
	unlink(cfg->socket);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(cfg->socket, (mode_t)cfg->socket_mode) < 0 ||
	    listen(fd, cfg->listen_backlog) < 0) {
		mh_log(MH_LOG_ERROR, "socket", "cannot listen on %s: %s", cfg->socket,
		       strerror(errno));
		close(fd);
		return -1;
	}
	m.own_socket = 1;
	return fd;
}

static int open_listener(const struct mh_config *cfg)
{
	int fd = inherited_socket(), flags;

	if (fd == -2)
		return -1;
	if (fd < 0)
		fd = bind_socket(cfg);
	if (fd < 0)
		return -1;
	/* Workers poll, then accept; a worker that loses the race must get
	 * EAGAIN rather than block where a stop signal cannot reach it. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	/* Keep the listener across exec of nothing; workers inherit it by fork. */
	if (fd == SD_LISTEN_FDS_START)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static void spawn(int i)
{
	struct slot_info *s = &m.slots[i];
	pid_t pid;

	atomic_store(&m.sb->slots[i].busy_since_us, 0);
	s->requests_at_spawn = atomic_load(&m.sb->slots[i].requests);
	s->started_us = mh_now_us();
	pid = fork();
	if (pid < 0) {
		mh_log(MH_LOG_ERROR, "fork_failed", "%s", strerror(errno));
		s->state = SLOT_RESPAWN;
		s->respawn_at_us = mh_now_us() + 1000000;
		return;
	}
	if (pid == 0) {
		/* The master's descriptors are not the worker's business. */
		close(m.signal_fd);
		if (mh_revocation_master_fd() >= 0)
			close(mh_revocation_master_fd());
		if (mh_events_relay_fd() >= 0)
			close(mh_events_relay_fd());
		mh_metrics_set_slot((size_t)i);
		mh_worker_run(m.cfg, m.listen_fd, &m.sb->slots[i]);
	}
	s->state = SLOT_RUNNING;
	s->pid = pid;
	mh_metrics_worker_pid((size_t)i, (int)pid);
	s->generation = m.generation;
	s->killed_for_timeout = 0;
}

/* Starts a full generation of workers in free slots. */
static void spawn_generation(void)
{
	int want = mh_config_worker_count(m.cfg), started = 0;

	for (int i = 0; i < MH_SCOREBOARD_SLOTS && started < want; i++) {
		if (m.slots[i].state != SLOT_FREE)
			continue;
		spawn(i);
		started++;
	}
	mh_log(MH_LOG_INFO, "workers_started", "generation %u: %d workers", m.generation, started);
}

/* Records an early death and returns how long its slot should wait before the
 * next fork: 0 until the window holds more early deaths than the pool has workers,
 * then 200 ms doubling up to MAX_RESPAWN_DELAY_US. */
static int64_t early_death_delay(int64_t now)
{
	size_t recent = 0, over;
	int workers = mh_config_worker_count(m.cfg);
	int64_t delay;

	m.early_deaths[m.nearly++ % 64] = now;
	for (size_t k = 0; k < m.nearly && k < 64; k++)
		if (now - m.early_deaths[k] < CRASH_WINDOW_US)
			recent++;
	if ((int)recent <= workers)
		return 0;
	over = recent - (size_t)workers;
	delay = 100000LL << (over > 6 ? 6 : over);
	return delay > MAX_RESPAWN_DELAY_US ? MAX_RESPAWN_DELAY_US : delay;
}

/* 1 when the worker in slot i took a request or lived long enough to show that it
 * starts: its death is then no sign of a crash loop. */
static int proved_itself(int i, int64_t now)
{
	const struct slot_info *s = &m.slots[i];

	return atomic_load(&m.sb->slots[i].requests) != s->requests_at_spawn ||
	       atomic_load(&m.sb->slots[i].busy_since_us) != 0 ||
	       now - s->started_us >= PROVEN_UPTIME_US;
}

static void on_child_exit(pid_t pid, int status, int stopping)
{
	int64_t now = mh_now_us(), delay = 0;
	const char *cause;
	int i;

	for (i = 0; i < MH_SCOREBOARD_SLOTS; i++)
		if (m.slots[i].state != SLOT_FREE && m.slots[i].pid == pid)
			break;
	if (i == MH_SCOREBOARD_SLOTS)
		return;
	struct slot_info *s = &m.slots[i];

	if (s->killed_for_timeout)
		cause = "timeout";
	else if (WIFEXITED(status) && WEXITSTATUS(status) == MH_EXIT_RECYCLE)
		cause = "recycle";
	else if (WIFEXITED(status) && WEXITSTATUS(status) == MH_EXIT_STOPPED)
		cause = "stopped";
	else
		cause = "crash";
	mh_log(strcmp(cause, "crash") == 0 ? MH_LOG_ERROR : MH_LOG_INFO, "worker_exit",
	       "worker %d exited (%s, status %d, signal %d)", (int)pid, cause,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	mh_metrics_worker_pid((size_t)i, 0);
	if (strcmp(cause, "crash") == 0) {
		mh_metrics_restart(MH_RESTART_CRASH);
		if (!proved_itself(i, now))
			delay = early_death_delay(now);
	} else if (strcmp(cause, "recycle") == 0) {
		mh_metrics_restart(MH_RESTART_RECYCLE);
	} else if (strcmp(cause, "timeout") == 0) {
		mh_metrics_restart(MH_RESTART_TIMEOUT);
	}
	if (stopping || s->state == SLOT_STOPPING || s->generation != m.generation) {
		s->state = SLOT_FREE;
		s->pid = 0;
		return;
	}
	if (delay > 0)
		mh_log(MH_LOG_WARN, "respawn_delayed",
		       "worker %d died before serving a request, as more than %d did "
		       "within %lld s; its replacement starts in %lld ms",
		       (int)pid, mh_config_worker_count(m.cfg), CRASH_WINDOW_US / 1000000LL,
		       (long long)(delay / 1000));
	s->state = SLOT_RESPAWN;
	s->respawn_at_us = now + delay;
}

static void reap(int stopping)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		on_child_exit(pid, status, stopping);
}

/* Kills workers stuck in one request past request_timeout; starts pending
 * respawns whose delay has passed. */
static void tick(int64_t now)
{
	int64_t limit = (int64_t)m.cfg->request_timeout * 1000000 + TIMEOUT_GRACE_US;

	for (int i = 0; i < MH_SCOREBOARD_SLOTS; i++) {
		struct slot_info *s = &m.slots[i];
		int64_t since;

		if (s->state == SLOT_RESPAWN && now >= s->respawn_at_us) {
			spawn(i);
			continue;
		}
		if (s->state != SLOT_RUNNING && s->state != SLOT_STOPPING)
			continue;
		since = atomic_load(&m.sb->slots[i].busy_since_us);
		if (since != 0 && now - since > limit && !s->killed_for_timeout) {
			mh_log(MH_LOG_ERROR, "request_timeout",
			       "worker %d exceeded request_timeout (%d s); killing it", (int)s->pid,
			       m.cfg->request_timeout);
			s->killed_for_timeout = 1;
			kill(s->pid, SIGKILL);
		}
	}
}

static void stop_generation_before(unsigned generation)
{
	int64_t now = mh_now_us();

	for (int i = 0; i < MH_SCOREBOARD_SLOTS; i++) {
		struct slot_info *s = &m.slots[i];

		if (s->generation >= generation)
			continue;
		if (s->state == SLOT_RESPAWN) {
			s->state = SLOT_FREE;
		} else if (s->state == SLOT_RUNNING) {
			s->state = SLOT_STOPPING;
			s->stop_sent_us = now;
			kill(s->pid, SIGTERM);
		}
	}
}

/* Re-reads the configuration; returns 0, or -1 when it was refused (the running one
 * stays and the reason is logged). */
static int reload_config(const char *config_path, int config_required)
{
	struct mh_config *fresh = malloc(sizeof(*fresh));
	char err[512];

	if (fresh == NULL)
		return -1;
	if (mh_config_load(fresh, config_path, config_required, err, sizeof(err)) < 0) {
		mh_log(MH_LOG_ERROR, "reload_failed", "keeping the running configuration: %s", err);
		free(fresh);
		return -1;
	}
	if (strcmp(fresh->socket, m.cfg->socket) != 0)
		mh_log(MH_LOG_WARN, "reload", "a new socket path takes effect only on restart");
	if (mh_app_configure(fresh, err, sizeof(err)) < 0) {
		mh_log(MH_LOG_ERROR, "reload_failed", "keeping the running configuration: %s", err);
		mh_app_configure(m.cfg, err, sizeof(err));
		free(fresh);
		return -1;
	}
	/* Old workers keep their copy-on-write view of the old config. */
	memcpy(m.cfg, fresh, sizeof(*fresh));
	free(fresh);
	mh_log_set_level(m.cfg->log_level);
	m.generation++;
	/* New workers first, so there is never a moment with nobody accepting;
	 * the old ones then finish their request in flight and exit. */
	spawn_generation();
	stop_generation_before(m.generation);
	mh_log(MH_LOG_INFO, "reloaded", "configuration reloaded");
	return 0;
}

/* systemd sees the reload begin and end (READY=1 either way: the service is serving, with
 * the new configuration or the old one); the unit's ExecReload= runs `menhir check` first,
 * so a refused file normally fails `systemctl reload` before SIGHUP is even sent. */
static void reload(const char *config_path, int config_required)
{
	mh_notify_reloading();
	if (reload_config(config_path, config_required) < 0)
		mh_notify("READY=1\nSTATUS=reload refused: see the log; serving the previous "
			  "configuration");
	else
		mh_notify("READY=1\nSTATUS=serving");
}

static int children_alive(void)
{
	for (int i = 0; i < MH_SCOREBOARD_SLOTS; i++)
		if (m.slots[i].state == SLOT_RUNNING || m.slots[i].state == SLOT_STOPPING)
			return 1;
	return 0;
}

static void graceful_stop(void)
{
	int64_t deadline = mh_now_us() + (int64_t)m.cfg->shutdown_timeout * 1000000;
	sigset_t set;
	struct timespec ts = { 0, TICK_MS * 1000000L };

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	m.generation++;
	stop_generation_before(m.generation);
	while (children_alive() && mh_now_us() < deadline) {
		sigtimedwait(&set, NULL, &ts);
		reap(1);
	}
	for (int i = 0; i < MH_SCOREBOARD_SLOTS; i++)
		if (m.slots[i].state == SLOT_RUNNING || m.slots[i].state == SLOT_STOPPING) {
			mh_log(MH_LOG_WARN, "shutdown", "worker %d still busy after %d s; killing it",
			       (int)m.slots[i].pid, m.cfg->shutdown_timeout);
			kill(m.slots[i].pid, SIGKILL);
		}
	while (waitpid(-1, NULL, 0) > 0)
		;
}

/* Waits up to one tick for a signal, a revocation event or a relayed live event; returns
 * the signal taken (0 for none). Only the loop below acts on signals, so no handler ever
 * races the master's bookkeeping. poll() skips an entry whose descriptor is -1. */
static int wait_for_event(void)
{
	struct pollfd pfd[3] = {{.fd = m.signal_fd, .events = POLLIN},
	                        {.fd = mh_revocation_master_fd(), .events = POLLIN},
	                        {.fd = mh_events_relay_fd(), .events = POLLIN}};
	struct signalfd_siginfo si;

	if (poll(pfd, 3, TICK_MS) > 0) {
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			mh_revocation_master_readable();
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
			mh_events_relay_readable();
	}
	if (read(m.signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return 0;
}

int mh_server_run(struct mh_config *cfg, const char *config_path, int config_required)
{
	sigset_t set;
	int sig;

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	mh_notify_init();
	m.sb = mh_scoreboard_create();
	if (m.sb == NULL || mh_metrics_init() < 0 || mh_revocation_init() < 0) {
		mh_log(MH_LOG_ERROR, "startup", "cannot map the scoreboard");
		return 1;
	}
	m.listen_fd = open_listener(cfg);
	if (m.listen_fd < 0)
		return 1;

	/* Signals are taken synchronously through a signalfd, polled with the
	 * revocation subscription. Workers restore their own mask after fork. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m.signal_fd < 0) {
		mh_log(MH_LOG_ERROR, "startup", "signalfd: %s", strerror(errno));
		return 1;
	}
	/* Load the revocations before any worker can check one. */
	mh_revocation_master_tick();
	mh_events_relay_tick();

	mh_log(MH_LOG_INFO, "serve", "listening on %s with %d workers (pid %d)",
	       m.own_socket ? cfg->socket : "the socket from systemd",
	       mh_config_worker_count(cfg), (int)getpid());
	spawn_generation();
	/* The socket is listening and a generation is forked: requests are served from here on
	 * (a worker not yet accepting leaves them in the backlog, never refused). */
	mh_notify("READY=1\nSTATUS=serving");
	for (;;) {
		sig = wait_for_event();
		if (sig == SIGTERM || sig == SIGINT) {
			mh_log(MH_LOG_INFO, "shutdown", "stopping gracefully");
			mh_notify("STOPPING=1");
			break;
		}
		if (sig == SIGHUP)
			reload(config_path, config_required);
		reap(0);
		tick(mh_now_us());
		mh_revocation_master_tick();
		mh_events_relay_tick();
	}
	graceful_stop();
	mh_revocation_master_stop();
	mh_events_relay_stop();
	close(m.signal_fd);
	if (m.own_socket)
		unlink(cfg->socket);
	close(m.listen_fd);
	mh_scoreboard_destroy(m.sb);
	mh_log(MH_LOG_INFO, "shutdown", "stopped");
	return 0;
}
