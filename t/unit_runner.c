/* unit_runner.c - what core/runner.c decides on its own: the retry backoff, the status a run
 * ends in and which database failures are retried. (Claiming, leases and running in the
 * creator's context need PostgreSQL and are it_jobs' business.) */
#include <stdint.h>

#include <criterion/criterion.h>

#include "core/runner.h"

#define BASE 2000 /* ms */
#define MAX  600  /* s */

Test(runner, the_first_retry_waits_between_half_and_all_of_the_base)
{
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 1, 0), BASE / 2);
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 1, BASE / 2), BASE);
	for (uint64_t rnd = 0; rnd < 5000; rnd += 97) {
		long long d = mh_runner_retry_delay_ms(BASE, MAX, 1, rnd);
		cr_assert(d >= BASE / 2 && d <= BASE, "%lld", d);
	}
}

Test(runner, each_attempt_doubles_the_delay)
{
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 2, 0), BASE);
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 3, 0), 2 * BASE);
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 4, 0), 4 * BASE);
}

Test(runner, the_delay_never_exceeds_the_maximum)
{
	for (int attempt = 1; attempt <= 100; attempt++) {
		long long d = mh_runner_retry_delay_ms(BASE, MAX, attempt, UINT64_MAX);
		cr_assert(d <= MAX * 1000LL, "attempt %d: %lld", attempt, d);
	}
	cr_assert_eq(mh_runner_retry_delay_ms(BASE, MAX, 100, 0), MAX * 1000LL / 2);
	/* A base above the maximum is capped too. */
	cr_assert_eq(mh_runner_retry_delay_ms(5000, 1, 1, 0), 500);
}

Test(runner, jitter_spreads_jobs_that_failed_together)
{
	long long a = mh_runner_retry_delay_ms(BASE, MAX, 3, 12345);
	long long b = mh_runner_retry_delay_ms(BASE, MAX, 3, 67890);

	cr_assert_neq(a, b);
}

Test(runner, success_and_permanent_failure_end_the_job_whatever_the_attempt)
{
	cr_assert_str_eq(mh_runner_final_status(MH_JOB_SUCCEEDED, 1, 5), "succeeded");
	cr_assert_str_eq(mh_runner_final_status(MH_JOB_SUCCEEDED, 5, 5), "succeeded");
	cr_assert_str_eq(mh_runner_final_status(MH_JOB_FAILED, 1, 5), "failed");
}

Test(runner, a_retry_queues_again_until_the_last_attempt_which_is_dead)
{
	cr_assert_null(mh_runner_final_status(MH_JOB_RETRY, 1, 5));
	cr_assert_null(mh_runner_final_status(MH_JOB_RETRY, 4, 5));
	cr_assert_str_eq(mh_runner_final_status(MH_JOB_RETRY, 5, 5), "dead");
	/* A job whose runner died on every attempt has been claimed more often than allowed. */
	cr_assert_str_eq(mh_runner_final_status(MH_JOB_RETRY, 6, 5), "dead");
}

Test(runner, transient_sqlstates_are_retried)
{
	static const char *const transient[] = {
	        "08000", "08003", "08006", "08001", "08P01", /* connection */
	        "40001", "40P01", "40003",                   /* serialization, deadlock */
	        "53100", "53200", "53300",                   /* disk, memory, connections */
	        "57000", "57014", "57P01", "57P02", "57P03", /* cancel, shutdowns */
	        "55P03",                                     /* lock_not_available */
	        "58000", "58030",                            /* system, I/O */
	        "XX000", "XX001",                            /* internal */
	        "25006",                                     /* failover: read-only */
	        "MH409", "MHHOK",                            /* the runner's own */
	        "",                                          /* no code: unknown cause */
	};

	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		cr_assert_eq(mh_runner_sqlstate_is_transient(transient[i]), 1, "%s", transient[i]);
}

Test(runner, refusals_are_not_retried)
{
	static const char *const refusals[] = {
	        "MHB03", "MHB29", "MHB13", "MH422", "MH404", /* application codes */
	        "P0001",                                     /* a bare RAISE EXCEPTION */
	        "23505", "23503", "23514", "23502",          /* constraints */
	        "22P02", "22001", "22021",                   /* data exceptions */
	        "42501", "42P01",                            /* privilege, undefined table */
	        "25P02", "25001", "55000", "55006",          /* class 25 and 55 but for the two */
	        "0A000",                                     /* feature not supported */
	};

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		cr_assert_eq(mh_runner_sqlstate_is_transient(refusals[i]), 0, "%s", refusals[i]);
}
