/* arena.c - per-request bump allocator with deferred destructors. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MH_ARENA_ALIGN _Alignof(max_align_t)

struct mh_arena_chunk {
	struct mh_arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(max_align_t) unsigned char data[];
};

struct mh_arena_defer {
	struct mh_arena_defer *next;
	mh_arena_cleanup_fn fn;
	void *ptr;
};

static struct mh_arena_chunk *chunk_new(size_t size)
{
	struct mh_arena_chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

int mh_arena_init(struct mh_arena *a, size_t chunk_size)
{
	memset(a, 0, sizeof(*a));
	a->chunk_size = chunk_size < 1024 ? 1024 : chunk_size;
	a->first = chunk_new(a->chunk_size);
	if (a->first == NULL)
		return -1;
	a->head = a->first;
	return 0;
}

void *mh_arena_alloc(struct mh_arena *a, size_t size)
{
	struct mh_arena_chunk *c = a->head;
	size_t off, need;

	if (size > SIZE_MAX - MH_ARENA_ALIGN)
		return NULL;
	size = size == 0 ? 1 : size;
	if (a->limit != 0 && (size > a->limit || a->bytes_in_use > a->limit - size))
		return NULL;
	off = (c->used + MH_ARENA_ALIGN - 1) & ~(MH_ARENA_ALIGN - 1);
	if (off <= c->size && c->size - off >= size) {
		c->used = off + size;
		a->bytes_in_use += size;
		return c->data + off;
	}
	/* Oversized requests get a chunk of their own so the common chunk size
	 * stays small. */
	need = size > a->chunk_size ? size : a->chunk_size;
	c = chunk_new(need);
	if (c == NULL)
		return NULL;
	c->next = a->head;
	a->head = c;
	c->used = size;
	a->bytes_in_use += size;
	return c->data;
}

void *mh_arena_calloc(struct mh_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = mh_arena_alloc(a, n * size);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

char *mh_arena_strndup(struct mh_arena *a, const char *s, size_t len)
{
	char *p = mh_arena_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *mh_arena_strdup(struct mh_arena *a, const char *s)
{
	return mh_arena_strndup(a, s, strlen(s));
}

char *mh_arena_sprintf(struct mh_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = mh_arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

struct mh_arena_defer *mh_arena_defer_reserve(struct mh_arena *a)
{
	struct mh_arena_defer *d = mh_arena_alloc(a, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fn = NULL;
	d->ptr = NULL;
	d->next = a->defers;
	a->defers = d;
	return d;
}

void mh_arena_defer_set(struct mh_arena_defer *slot, mh_arena_cleanup_fn fn, void *ptr)
{
	slot->fn = fn;
	slot->ptr = ptr;
}

int mh_arena_defer(struct mh_arena *a, mh_arena_cleanup_fn fn, void *ptr)
{
	struct mh_arena_defer *d;

	if (ptr == NULL)
		return 0;
	d = mh_arena_defer_reserve(a);
	if (d == NULL) {
		fn(ptr);
		return -1;
	}
	mh_arena_defer_set(d, fn, ptr);
	return 0;
}

static void run_defers(struct mh_arena *a)
{
	struct mh_arena_defer *d = a->defers;

	/* The list lives in the arena itself, so walk it before freeing chunks. */
	while (d != NULL) {
		struct mh_arena_defer *next = d->next;
		if (d->fn != NULL && d->ptr != NULL)
			d->fn(d->ptr);
		d = next;
	}
	a->defers = NULL;
}

void mh_arena_reset(struct mh_arena *a)
{
	struct mh_arena_chunk *c;

	run_defers(a);
	c = a->head;
	while (c != NULL && c != a->first) {
		struct mh_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	if (a->first != NULL) {
		a->first->used = 0;
		a->first->next = NULL;
	}
	a->head = a->first;
	a->bytes_in_use = 0;
}

void mh_arena_destroy(struct mh_arena *a)
{
	mh_arena_reset(a);
	free(a->first);
	a->first = NULL;
	a->head = NULL;
}
