/* notify.h - tells systemd (Type=notify) that Menhir is ready, reloading or stopping. */
#ifndef MH_NOTIFY_H
#define MH_NOTIFY_H

/*
 * Takes $NOTIFY_SOCKET and removes it from the environment, so that no worker, runner or
 * library the process forks can speak for the service. Call once, in the process systemd
 * started (the master), before forking. Without the variable every call below is a no-op.
 */
void mh_notify_init(void);

/*
 * Sends one sd_notify(3) message ("READY=1", "STOPPING=1", "STATUS=..." lines) as a single
 * datagram. Returns 0 when sent or when not under systemd, -1 when the socket refused it
 * (logged; the service goes on: a lost READY=1 is systemd's start timeout, not a crash).
 */
int mh_notify(const char *message);

/* "RELOADING=1" with the MONOTONIC_USEC= that systemd 253 and later ask for with it (older
 * versions ignore the extra field). Send READY=1 when the reload is over, successful or not. */
int mh_notify_reloading(void);

#endif
