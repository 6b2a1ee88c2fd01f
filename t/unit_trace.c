/* unit_trace.c - W3C traceparent: what is accepted, what starts a new trace, and what
 * Menhir sends on. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/trace.h"

#define GOOD "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

Test(trace, a_well_formed_traceparent_is_parsed)
{
	struct mh_trace t;

	cr_assert(mh_trace_parse(GOOD, &t));
	cr_assert_str_eq(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	cr_assert_str_eq(t.flags, "01");
	cr_assert(mh_trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", NULL));
}

Test(trace, anything_else_is_refused)
{
	static const char *const bad[] = {
	        "",
	        "00",
	        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero parent id */
	        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
	        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* another version */
	        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	        GOOD "-x",
	        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-011",
	        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b -01",
	};

	cr_assert(!mh_trace_parse(NULL, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!mh_trace_parse(bad[i], NULL), "accepted %s", bad[i]);
}

Test(trace, a_caller_trace_is_continued_with_a_span_of_our_own)
{
	char out[MH_TRACEPARENT_SIZE];
	const struct mh_trace *t = mh_trace_begin(GOOD, "ffffffffffffffffffffffffffffffff");
	struct mh_trace sent;

	cr_assert_str_eq(mh_trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
	mh_trace_traceparent(out);
	cr_assert(mh_trace_parse(out, &sent), "%s", out);
	cr_assert_str_eq(sent.trace_id, t->trace_id);
	cr_assert_str_eq(sent.flags, "01");
	/* Our span is the parent of what we call, never the caller's span. */
	cr_assert_str_neq(t->span_id, "00f067aa0ba902b7");
	cr_assert(strstr(out, t->span_id) != NULL);
	mh_trace_end();
	cr_assert_null(mh_trace_id());
	cr_assert_str_eq(mh_trace_traceparent(out), "");
}

Test(trace, without_one_the_request_id_names_a_new_trace)
{
	const char *rid = "0123456789abcdef0123456789abcdef";

	mh_trace_begin(NULL, rid);
	cr_assert_str_eq(mh_trace_id(), rid);
	mh_trace_begin("garbage", rid);
	cr_assert_str_eq(mh_trace_id(), rid);
	/* A request id that is not 32 hex digits (a direct FastCGI client's) cannot be a
	 * trace id: a random one is made. */
	mh_trace_begin(NULL, "req-1");
	cr_assert_eq(strlen(mh_trace_id()), 32);
	cr_assert_str_neq(mh_trace_id(), "00000000000000000000000000000000");
	mh_trace_end();
}
