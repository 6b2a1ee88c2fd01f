/* unit_arena.c - the per-request arena: alignment, growth, defers, reset. */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/arena.h"

static int cleaned[8];
static int order[8], norder;

static void mark(void *p)
{
	int i = *(int *)p;
	cleaned[i]++;
	order[norder++] = i;
}

Test(arena, allocations_are_aligned_and_distinct)
{
	struct mh_arena a;

	cr_assert_eq(mh_arena_init(&a, 1024), 0);
	char *p = mh_arena_alloc(&a, 3);
	char *q = mh_arena_alloc(&a, 8);
	cr_assert_eq((uintptr_t)q % _Alignof(max_align_t), 0);
	cr_assert(q >= p + 3);
	mh_arena_destroy(&a);
}

Test(arena, large_allocations_get_their_own_chunk_and_reset_keeps_the_first)
{
	struct mh_arena a;

	mh_arena_init(&a, 1024);
	char *small = mh_arena_alloc(&a, 16);
	char *big = mh_arena_alloc(&a, 100000);
	cr_assert(big != NULL);
	memset(big, 1, 100000); /* ASan would flag an undersized block */
	mh_arena_reset(&a);
	cr_assert_eq(a.bytes_in_use, 0);
	/* The first chunk is reused: the same address comes back. */
	cr_assert_eq(mh_arena_alloc(&a, 16), small);
	mh_arena_destroy(&a);
}

Test(arena, defers_run_once_newest_first_at_reset)
{
	struct mh_arena a;
	static int ids[3] = { 0, 1, 2 };

	memset(cleaned, 0, sizeof(cleaned));
	norder = 0;
	mh_arena_init(&a, 1024);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(mh_arena_defer(&a, mark, &ids[i]), 0);
	cr_assert_eq(mh_arena_defer(&a, mark, NULL), 0);
	mh_arena_reset(&a);
	cr_assert_eq(cleaned[0] + cleaned[1] + cleaned[2], 3);
	cr_assert_eq(order[0], 2);
	cr_assert_eq(order[2], 0);
	mh_arena_reset(&a);
	cr_assert_eq(norder, 3, "defers ran again after a second reset");
	mh_arena_destroy(&a);
}

Test(arena, strings_and_printf)
{
	struct mh_arena a;

	mh_arena_init(&a, 1024);
	cr_assert_str_eq(mh_arena_strndup(&a, "hello world", 5), "hello");
	cr_assert_str_eq(mh_arena_sprintf(&a, "%d-%s", 42, "x"), "42-x");
	cr_assert_null(mh_arena_calloc(&a, SIZE_MAX / 2, 4));
	mh_arena_destroy(&a);
}

Test(arena, a_reserved_slot_runs_what_it_is_filled_with_and_an_unfilled_one_nothing)
{
	struct mh_arena a;
	static int ids[2] = {0, 1};
	struct mh_arena_defer *filled, *unfilled;

	memset(cleaned, 0, sizeof(cleaned));
	norder = 0;
	mh_arena_init(&a, 1024);
	filled = mh_arena_defer_reserve(&a);
	unfilled = mh_arena_defer_reserve(&a);
	cr_assert(filled != NULL && unfilled != NULL);
	mh_arena_defer_set(filled, mark, &ids[1]);
	mh_arena_reset(&a);
	cr_assert_eq(norder, 1);
	cr_assert_eq(cleaned[1], 1);
	mh_arena_destroy(&a);
}

Test(arena, past_its_limit_the_arena_fails_like_exhausted_memory)
{
	struct mh_arena a;
	static int id = 0;

	memset(cleaned, 0, sizeof(cleaned));
	norder = 0;
	mh_arena_init(&a, 1024);
	cr_assert_not_null(mh_arena_alloc(&a, 16));
	a.limit = a.bytes_in_use;
	cr_assert_null(mh_arena_alloc(&a, 1));
	cr_assert_null(mh_arena_defer_reserve(&a));
	/* mh_arena_defer releases what it could not register, so nothing leaks. */
	cr_assert_eq(mh_arena_defer(&a, mark, &id), -1);
	cr_assert_eq(cleaned[0], 1);
	a.limit = 0;
	cr_assert_not_null(mh_arena_alloc(&a, 1));
	mh_arena_destroy(&a);
}
