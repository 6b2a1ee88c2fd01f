/* arena.h - per-request bump allocator with deferred destructors. */
#ifndef MH_ARENA_H
#define MH_ARENA_H

#include <stddef.h>

struct mh_arena_chunk;
struct mh_arena_defer;

/*
 * Every allocation a request makes comes from its arena and dies with
 * mh_arena_reset(). Foreign objects that own malloc'd memory (libpq results,
 * json-c objects, hiredis replies) are handed to mh_arena_defer() so that the
 * reset frees them too: handlers never call free().
 */
struct mh_arena {
	struct mh_arena_chunk *head;   /* chunk being carved */
	struct mh_arena_chunk *first;  /* kept across resets */
	struct mh_arena_defer *defers; /* LIFO list of cleanups */
	size_t chunk_size;
	size_t bytes_in_use;
	/* 0, or the most bytes the arena hands out before it fails as if memory were
	 * exhausted: how tests reach the out-of-memory paths without a failing malloc. */
	size_t limit;
};

typedef void (*mh_arena_cleanup_fn)(void *ptr);

/* Initialises an arena whose chunks hold at least chunk_size bytes.
 * Returns 0, or -1 when the first chunk cannot be allocated. */
int mh_arena_init(struct mh_arena *a, size_t chunk_size);

/* Returns size bytes aligned for any type, or NULL when memory is exhausted.
 * The memory lives until the next mh_arena_reset(). */
void *mh_arena_alloc(struct mh_arena *a, size_t size);

/* Like mh_arena_alloc() but zero-filled. */
void *mh_arena_calloc(struct mh_arena *a, size_t n, size_t size);

/* Copies len bytes of s and NUL-terminates; s may contain NULs. */
char *mh_arena_strndup(struct mh_arena *a, const char *s, size_t len);
char *mh_arena_strdup(struct mh_arena *a, const char *s);

/* printf into the arena; returns NULL on failure. */
char *mh_arena_sprintf(struct mh_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Registers fn(ptr) to run at the next reset, newest first. A NULL ptr is
 * ignored. Returns 0, or -1 (having called fn(ptr) at once) on exhaustion, so
 * the caller never leaks. Only for a resource the caller holds alone: anything
 * that may already be stored elsewhere reserves its slot first (below). */
int mh_arena_defer(struct mh_arena *a, mh_arena_cleanup_fn fn, void *ptr);

/*
 * Reserves a cleanup slot before the resource it will release is taken, as nginx's
 * ngx_pool_cleanup_add() does, so that running out of memory happens while there is
 * nothing to lose yet. Returns the slot (it runs at the next reset, in the same
 * newest-first order as mh_arena_defer), or NULL on exhaustion. Until
 * mh_arena_defer_set() fills it, the slot does nothing.
 */
struct mh_arena_defer *mh_arena_defer_reserve(struct mh_arena *a);
void mh_arena_defer_set(struct mh_arena_defer *slot, mh_arena_cleanup_fn fn, void *ptr);

/* Runs the deferred cleanups and releases every chunk but the first, which
 * is kept so that a steady-state request costs no malloc at all. */
void mh_arena_reset(struct mh_arena *a);

/* Resets and releases the first chunk too. */
void mh_arena_destroy(struct mh_arena *a);

#endif
