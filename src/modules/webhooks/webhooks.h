/* webhooks.h - the webhooks module's public face: signed webhook deliveries of job results. */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "core/module.h"

extern const struct mh_module webhooks_module;

/* The payload member that asks for a webhook: when a tenant's job whose payload has it ends
 * (succeeded, failed, dead), this module POSTs the job, signed, to that URL. Whoever queues
 * the job validates the URL first (webhooks_target_check); it is checked again at delivery. */
#define WEBHOOKS_PAYLOAD_URL "webhook_url"

/* The longest webhook URL accepted. */
#define WEBHOOKS_URL_MAX 2000

/*
 * Whether url may receive a tenant's webhooks: an absolute https URL (http only when
 * allow_private) with a host, an optional port, no user name or password, no fragment,
 * printable ASCII only, at most WEBHOOKS_URL_MAX characters. A host that is an IP literal
 * (IPv4 in any inet_aton form such as 2130706433 or 0x7f.1, IPv6, IPv4-mapped IPv6) or the
 * name localhost / *.localhost must not be loopback, private, link-local, CGNAT,
 * unspecified, multicast, broadcast or reserved unless allow_private. Other names are
 * checked again at delivery time against the address actually connected to (a name can
 * resolve anywhere later). Returns 0 when acceptable; -1 with *why (if why is not NULL) set
 * to a short static reason for a 422 ("must use https").
 */
int webhooks_url_check(const char *url, int allow_private, const char **why);

/* webhooks_url_check with the running configuration's webhook_allow_private: whether a
 * job may be queued to report to url. */
int webhooks_target_check(const char *url, const char **why);

/* 1 when a webhook must not connect to this address (family AF_INET with 4 bytes or AF_INET6
 * with 16, network order): loopback, private, link-local, CGNAT, unspecified, multicast,
 * broadcast, reserved, or an IPv6 form carrying such an IPv4 address. Any other family is
 * forbidden too. The delivery applies it to every address it connects to. */
int webhooks_address_forbidden(int family, const unsigned char *addr);

/* "whsec_" + 43 base64url characters (32 random bytes) + NUL. */
#define WEBHOOKS_SECRET_SIZE 50
/* "t=<up to 20 digits>,v1=<64 hex>" + NUL, with room to spare. */
#define WEBHOOKS_SIGNATURE_SIZE 96

/* A new signing secret, "whsec_" + 32 bytes from OpenSSL's CSPRNG in base64url, into out.
 * Returns 0, or -1 when the generator fails. */
int webhooks_secret_new(char out[WEBHOOKS_SECRET_SIZE]);

/* The Menhir-Signature value for body sent at unix time t:
 * "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", into out. Returns 0 or -1. */
int webhooks_sign(const char *secret, long long t, const char *body, size_t len,
		  char out[WEBHOOKS_SIGNATURE_SIZE]);

enum webhooks_sig_rc {
	WEBHOOKS_SIG_OK = 0,
	WEBHOOKS_SIG_MALFORMED = -1, /* no t, no v1, a bad t, or no secret */
	WEBHOOKS_SIG_STALE = -2,     /* |now - t| > tolerance: a replay, or a clock far off */
	WEBHOOKS_SIG_MISMATCH = -3,  /* no v1 entry is the HMAC of this body with this secret */
};

/* What a receiver does (README "Webhooks"): checks a Menhir-Signature header against the
 * raw body, refusing a t more than tolerance seconds from now, comparing every v1 entry in
 * constant time. Returns an enum webhooks_sig_rc. */
int webhooks_verify(const char *secret, const char *header, const char *body, size_t len,
		    long long now, long long tolerance);

#endif
