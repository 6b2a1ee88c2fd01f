/* unit_lockout.c - the failed-login throttle's rule (auth_lockout_wait): delays per (account,
 * address) that start at max failures and double, an address lock and an account-wide lock
 * at their higher thresholds, and nothing that outlives the window. */
#include <criterion/criterion.h>

#include "modules/auth/internal.h"

#define MAX    5
#define WINDOW 900
#define NOW    1800000000000LL /* ms */

TestSuite(lockout);

static long long wait_for(long long pair, long long since_last_ms)
{
	struct auth_lockout_state s = {
	        .pair_failures = pair, .pair_last_ms = NOW - since_last_ms, .now_ms = NOW};

	return auth_lockout_wait(&s, MAX, WINDOW);
}

Test(lockout, a_pair_waits_from_max_failures_on_and_the_delay_doubles)
{
	cr_assert_eq(wait_for(0, 0), 0);
	cr_assert_eq(wait_for(MAX - 1, 0), 0, "below max failures: no delay");
	cr_assert_eq(wait_for(MAX, 0), 1);
	cr_assert_eq(wait_for(MAX + 1, 0), 2);
	cr_assert_eq(wait_for(MAX + 3, 0), 8);
	/* Counted from the latest failure, rounded up to whole seconds. */
	cr_assert_eq(wait_for(MAX + 3, 7500), 1);
	cr_assert_eq(wait_for(MAX + 3, 8000), 0);
	cr_assert_eq(wait_for(MAX + 1, 1), 2);
}

Test(lockout, the_delay_is_capped_at_the_window_and_forgotten_after_it)
{
	cr_assert_eq(wait_for(MAX + 9, 0), 512);
	cr_assert_eq(wait_for(MAX + 10, 0), WINDOW, "capped: 1024 s > the window");
	cr_assert_eq(wait_for(MAX + 200, 0), WINDOW, "no overflow");
	/* A field older than the window is stale (the hash lives on for other addresses). */
	cr_assert_eq(wait_for(MAX + 200, WINDOW * 1000LL), 0);
}

Test(lockout, many_failures_of_an_account_spread_over_addresses_do_not_lock_it_early)
{
	struct auth_lockout_state s = {.account_failures = MAX * AUTH_ACCOUNT_FAILURE_FACTOR - 1,
	                               .account_ttl = 600,
	                               .now_ms = NOW};

	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 0);
	s.account_failures++;
	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 600, "locked for the rest of its window");
	s.account_ttl = -1; /* no expiry (should not happen): still refused */
	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 1);
}

Test(lockout, an_address_failing_on_many_accounts_is_locked)
{
	struct auth_lockout_state s = {
	        .ip_failures = MAX * AUTH_IP_FAILURE_FACTOR - 1, .ip_ttl = 300, .now_ms = NOW};

	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 0);
	s.ip_failures++;
	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 300);
	/* The longest of the waits that apply. */
	s.pair_failures = MAX + 9;
	s.pair_last_ms = NOW;
	cr_assert_eq(auth_lockout_wait(&s, MAX, WINDOW), 512);
}
