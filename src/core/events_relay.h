/* events_relay.h - the `menhir serve` master's side of relayed live events: it subscribes to
 * MH_EVENTS_RELAY_CHANNEL on Redis and passes every message to this host's nginx, so a
 * stream open on any host gets what any host published (core/events.h).
 *
 * Best effort, like every live event: while Redis is down the subscription is retried
 * every second and publishers fall back to their own host's nginx; the API never waits on
 * it. Driven from the master's loop as the revocation subscriber is: poll the descriptor,
 * call readable() when it is, tick() every loop. */
#ifndef MH_EVENTS_RELAY_H
#define MH_EVENTS_RELAY_H

/* The subscription's socket to poll, or -1 (the relay is off, or disconnected). A forked
 * worker closes it. */
int mh_events_relay_fd(void);

/* Reads what arrived and publishes each message to this host's nginx. */
void mh_events_relay_readable(void);

/* Connects or reconnects (at most once a second), pings the subscription so a silent one
 * (a partition) is noticed, and disconnects when the relay was switched off by a reload. */
void mh_events_relay_tick(void);

/* Closes the subscription (the master stops). */
void mh_events_relay_stop(void);

#endif
