/* hmac.h - the timestamped HMAC signature that outbound webhooks and the payment provider's
 * webhook share: HMAC-SHA256(secret, "<t>.<body>"). */
#ifndef MH_HMAC_H
#define MH_HMAC_H

#include <stddef.h>

/* hex gets HMAC-SHA256(secret, "<t>." followed by len bytes of body) as 64 lower-case hex
 * digits and a NUL. Signing the timestamp with the body is what lets a receiver refuse a
 * replay once its tolerance has passed. Returns 0, or -1 when OpenSSL fails. */
int mh_hmac_timestamped_hex(const char *secret, long long t, const char *body, size_t len,
                            char hex[65]);

#endif
