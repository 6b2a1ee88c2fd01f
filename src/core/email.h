/* email.h - the one rule for an e-mail address that comes in, and its normal form. */
#ifndef MH_EMAIL_H
#define MH_EMAIL_H

#include "core/arena.h"

#define MH_EMAIL_MAX       254 /* octets: RFC 5321's 256-octet path less its angle brackets */
#define MH_EMAIL_LOCAL_MAX 64  /* octets before the @ (RFC 5321 4.5.3.1.1) */
#define MH_EMAIL_LABEL_MAX 63  /* octets of one domain label */

/*
 * Checks s against Menhir's rule for an e-mail address: RFC 5321's Mailbox with a
 * Dot-string local part and a Domain, ASCII only, without the forms no sign-up needs:
 *   local-part = atom *("." atom), atom = 1*atext      at most 64 octets
 *   atext      = ALPHA / DIGIT / one of ! # $ % & ' * + - / = ? ^ _ ` { | } ~
 *   domain     = label 1*("." label)                    at least two labels
 *   label      = 1-63 of ALPHA / DIGIT / "-", not starting or ending with "-";
 *                the last label has a letter (RFC 3696: no all-numeric TLD)
 *   the whole  = at most 254 octets
 * No quoted local parts, address literals ([192.0.2.1]), comments or non-ASCII
 * (an internationalised domain comes as its xn-- A-label; SMTPUTF8 local parts
 * are refused, which also shuts out look-alike letters from other scripts).
 * Returns NULL when s follows the rule, else a client-facing message saying
 * what is wrong (for the details of a 400/422 naming the field).
 */
const char *mh_email_check(const char *s);

/*
 * mh_email_check(), then the normal form every address is stored and compared
 * in: the whole address lower-cased (ASCII). RFC 5321 lets a server treat its
 * local parts case-sensitively; none in common use does, and one account per
 * address whatever its spelling is what people expect. On success returns NULL
 * and sets *out to the normal form (arena); otherwise returns the message and
 * leaves *out alone. Out of memory is reported as a message too.
 */
const char *mh_email_normalize(struct mh_arena *a, const char *in, const char **out);

#endif
