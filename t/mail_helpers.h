/* mail_helpers.h - what the mail suites share: the stack's mailbox (t/smtp_receiver keeps each
 * accepted message as a file in $MENHIR_TEST_MAILBOX/new), the token a mail's link carries,
 * and making the mailbox refuse the next messages. */
#ifndef MH_T_MAIL_HELPERS_H
#define MH_T_MAIL_HELPERS_H

#include <stddef.h>

/* Messages the mailbox accepted for the address to (lower case, as Menhir sends). */
int t_mail_count(const char *to);

/* Waits up to timeout_ms until at least n messages to `to` that contain needle (any message
 * when NULL; e.g. "/accept-invitation#") arrived; returns the n-th (in order of arrival, from
 * 1), malloc'd, or NULL when it never came. */
char *t_mail_wait(const char *to, const char *needle, int n, int timeout_ms);

/* Waits (up to timeout_ms, returning as soon as it holds; fails the test otherwise) until no
 * mail.send job to `to` is queued or running: every message queued for the address so far
 * has been delivered or given up on. Menhir queues a mail in the transaction of the request
 * (or job) that sends it, so after this a count of the mailbox is final: a check that a mail
 * did NOT arrive waits for the queue, not for a guessed while. */
void t_mail_settle(const char *to, int timeout_ms);

/* The token of the link to page ("reset-password", "verify-email", "accept-invitation") in
 * message, into out (asserting there is one). */
void t_mail_token(const char *message, const char *page, char *out, size_t outlen);

/* The mailbox refuses the next n messages with 451 after their data (0: accept again). */
void t_mail_refuse(int n);

/* Marks the user's address verified (the fixture the policy's other tests need). */
void t_mail_verified(const char *user_id);

#endif
