/* unit_billing.c - the billing module's pure parts: Stripe-Signature verification (the
 * scheme, several v1 values, two secrets, the tolerance, malformed headers) and the form
 * encoding of calls to the provider. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "modules/billing/internal.h"

#define NOW  1764547200LL
#define BODY "{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":1764547200}"

static const char *const secrets[2] = {"whsec_current", "whsec_previous"};

/* The signature computed independently of the module (OpenSSL's one-shot HMAC). */
static void reference(const char *secret, long long t, const char *body, char hex[65])
{
	char msg[512];
	unsigned char mac[32];
	unsigned len = 0;

	snprintf(msg, sizeof(msg), "%lld.%s", t, body);
	cr_assert(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg),
	               mac, &len) != NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

static int verify(const char *header, long long now)
{
	return billing_signature_verify(header, BODY, strlen(BODY), secrets, 2, now, 300);
}

Test(billing_signature, matches_the_reference_hmac)
{
	char mine[65], ref[65];

	cr_assert_eq(mh_hmac_timestamped_hex("whsec_current", NOW, BODY, strlen(BODY), mine), 0);
	reference("whsec_current", NOW, BODY, ref);
	cr_assert_str_eq(mine, ref);
}

Test(billing_signature, accepts_the_current_and_the_previous_secret)
{
	char hex[65], h[256];

	reference("whsec_current", NOW, BODY, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_OK);
	reference("whsec_previous", NOW, BODY, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_OK);
	reference("whsec_other", NOW, BODY, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MISMATCH);
}

Test(billing_signature, any_of_several_v1_may_match_and_v0_is_ignored)
{
	char hex[65], h[512];

	reference("whsec_current", NOW, BODY, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%064d,v1=%s,v0=%s", NOW, 0, hex, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_OK);
	snprintf(h, sizeof(h), "t=%lld,v0=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MALFORMED, "v0 alone is no signature");
	/* Case matters: Stripe writes lower-case hex. */
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MISMATCH);
}

Test(billing_signature, the_timestamp_is_signed_and_must_be_within_the_tolerance)
{
	char hex[65], h[256];

	reference("whsec_current", NOW, BODY, hex);
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(verify(h, NOW + 300), BILLING_SIG_OK);
	cr_assert_eq(verify(h, NOW + 301), BILLING_SIG_EXPIRED);
	cr_assert_eq(verify(h, NOW - 301), BILLING_SIG_EXPIRED);
	/* Another t with the same v1: the signature no longer matches. */
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW + 1, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MISMATCH);
	/* The body is signed: one byte changed is a mismatch. */
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(billing_signature_verify(h, BODY, strlen(BODY) - 1, secrets, 2, NOW, 300),
	             BILLING_SIG_MISMATCH);
}

Test(billing_signature, malformed_headers_are_refused)
{
	char hex[65], h[256];

	reference("whsec_current", NOW, BODY, hex);
	cr_assert_eq(verify(NULL, NOW), BILLING_SIG_MALFORMED);
	cr_assert_eq(verify("", NOW), BILLING_SIG_MALFORMED);
	snprintf(h, sizeof(h), "v1=%s", hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MALFORMED, "no t");
	snprintf(h, sizeof(h), "t=%lld", NOW);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MALFORMED, "no v1");
	snprintf(h, sizeof(h), "t=17645x7200,v1=%s", hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MALFORMED);
	snprintf(h, sizeof(h), "t=%lld,t=%lld,v1=%s", NOW, NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MALFORMED, "two t");
	snprintf(h, sizeof(h), "t=%lld,v1=%.63s", NOW, hex);
	cr_assert_eq(verify(h, NOW), BILLING_SIG_MISMATCH, "a short v1 never matches");
	/* No secret configured: nothing verifies. */
	snprintf(h, sizeof(h), "t=%lld,v1=%s", NOW, hex);
	cr_assert_eq(billing_signature_verify(h, BODY, strlen(BODY), (const char *const[]){"", ""},
	                                      2, NOW, 300),
	             BILLING_SIG_MISMATCH);
}

Test(billing_form, names_and_values_are_percent_encoded)
{
	struct mh_arena a;
	struct mh_buf b;

	cr_assert_eq(mh_arena_init(&a, 4096), 0);
	mh_buf_init(&b, &a, 16);
	billing_form_add(&b, "line_items[0][price]", "price_pro");
	billing_form_add(&b, "success_url", "https://x.test/#/billing?a=1&b=2 c");
	cr_assert_str_eq(mh_buf_cstr(&b),
	                 "line_items%5B0%5D%5Bprice%5D=price_pro&success_url="
	                 "https%3A%2F%2Fx.test%2F%23%2Fbilling%3Fa%3D1%26b%3D2%20c");
	mh_arena_destroy(&a);
}

/* The settings as the master checks them before they take effect. */
static int apply_with(const char *api_url)
{
	struct billing_settings v;
	char err[256];

	memset(&v, 0, sizeof(v));
	snprintf(v.billing_api_url, sizeof(v.billing_api_url), "%s", api_url);
	snprintf(v.billing_return_url, sizeof(v.billing_return_url), "https://app.example/billing");
	v.billing_webhook_tolerance = 300;
	return billing_config.check(&v, err, sizeof(err));
}

Test(billing_settings, the_secret_key_goes_in_clear_text_only_to_a_loopback_address)
{
	cr_assert_eq(apply_with("https://api.stripe.com"), 0);
	cr_assert_eq(apply_with("http://127.0.0.1:9"), 0);
	cr_assert_eq(apply_with("http://localhost:8080/stripe"), 0);
	cr_assert_eq(apply_with("http://[::1]:9"), 0);
	cr_assert_eq(apply_with("http://api.stripe.com"), -1);
	cr_assert_eq(apply_with("http://127.0.0.1.example.com"), -1);
	cr_assert_eq(apply_with("ftp://127.0.0.1"), -1);
}

Test(billing_settings, an_unreadable_secret_file_refuses_the_configuration)
{
	struct billing_settings v;
	char err[256];

	memset(&v, 0, sizeof(v));
	snprintf(v.billing_api_url, sizeof(v.billing_api_url), "https://api.stripe.com");
	snprintf(v.billing_return_url, sizeof(v.billing_return_url), "https://app.example/billing");
	snprintf(v.billing_webhook_secret_file, sizeof(v.billing_webhook_secret_file),
	         "/nonexistent/whsec");
	cr_assert_eq(billing_config.check(&v, err, sizeof(err)), -1);
	cr_assert(strstr(err, "billing_webhook_secret_file") != NULL, "%s", err);
}
