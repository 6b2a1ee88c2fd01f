/* notify.c - the sd_notify(3) datagram protocol, written out: no libsystemd dependency. */
#include "core/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

/* The whole protocol is "send these lines to that AF_UNIX datagram socket": a path, or an
 * abstract name written with a leading '@'. Linking libsystemd for it would add a runtime
 * dependency (and its own dependencies) for a dozen lines. */
static struct sockaddr_un addr;
static socklen_t addr_len;

void mh_notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	addr_len = 0;
	if (path == NULL)
		return;
	n = strlen(path);
	if ((path[0] == '/' || path[0] == '@') && n >= 2 && n < sizeof(addr.sun_path)) {
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, path, n);
		if (path[0] == '@')
			addr.sun_path[0] = '\0';
		addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		mh_log(MH_LOG_WARN, "notify", "ignoring NOTIFY_SOCKET '%s': not a unix socket",
		       path);
	}
	unsetenv("NOTIFY_SOCKET");
}

int mh_notify(const char *message)
{
	size_t len = strlen(message);
	ssize_t sent = -1;
	int fd, saved;

	if (addr_len == 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		sent = sendto(fd, message, len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
		saved = errno;
		close(fd);
		errno = saved;
	}
	if (sent == (ssize_t)len)
		return 0;
	mh_log(MH_LOG_WARN, "notify", "cannot notify systemd: %s", strerror(errno));
	return -1;
}

int mh_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	                 (unsigned long long)ts.tv_nsec / 1000);
	return mh_notify(msg);
}
