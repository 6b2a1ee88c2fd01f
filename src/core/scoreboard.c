/* scoreboard.c - per-worker state shared between the master and its workers. */
#include "core/scoreboard.h"

#include <sys/mman.h>
#include <time.h>

struct mh_scoreboard *mh_scoreboard_create(void)
{
	void *p = mmap(NULL, sizeof(struct mh_scoreboard), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void mh_scoreboard_destroy(struct mh_scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(*sb));
}

int64_t mh_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
