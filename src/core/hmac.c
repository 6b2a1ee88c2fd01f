/* hmac.c - the timestamped HMAC-SHA256 signature (see hmac.h). */
#include "core/hmac.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

int mh_hmac_timestamped_hex(const char *secret, long long t, const char *body, size_t len,
                            char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	char ts[24], digest[] = "SHA256";
	int tslen = snprintf(ts, sizeof(ts), "%lld.", t), rc = -1;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL ||
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tslen) != 1 ||
	    (len > 0 && EVP_MAC_update(ctx, (const unsigned char *)body, len) != 1) ||
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) != 1 || maclen != 32)
		goto out;
	for (size_t i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return rc;
}
