/* scoreboard.h - per-worker state shared between the master and its workers. */
#ifndef MH_SCOREBOARD_H
#define MH_SCOREBOARD_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/* Room for two generations of the largest pool during a graceful reload. */
#define MH_SCOREBOARD_SLOTS 2048

/*
 * The master maps this before forking, so it survives any worker's death and
 * the master can see, without asking, which worker is inside a request and
 * since when (request_timeout). Workers write only their own slot.
 */
struct mh_slot {
	_Atomic int64_t busy_since_us; /* monotonic µs, 0 when idle */
	_Atomic uint64_t requests;
};

struct mh_scoreboard {
	struct mh_slot slots[MH_SCOREBOARD_SLOTS];
};

/* Maps an anonymous shared segment; returns NULL on failure. */
struct mh_scoreboard *mh_scoreboard_create(void);
void mh_scoreboard_destroy(struct mh_scoreboard *sb);

/* Monotonic clock in microseconds (vDSO: no system call). */
int64_t mh_now_us(void);

#endif
