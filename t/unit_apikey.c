/* unit_apikey.c - the API key format: a made key parses back to its tenant and id with the
 * same hash, and every malformed or altered key is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/apikey.h"
#include "core/arena.h"

static struct mh_arena a;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&a, 8192), 0);
}

static void teardown(void)
{
	mh_arena_destroy(&a);
}

TestSuite(apikey, .init = setup, .fini = teardown);

#define TENANT "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b"

Test(apikey, a_made_key_names_its_tenant_and_id_and_hashes_the_same)
{
	struct mh_apikey_new k;
	struct mh_principal p;

	cr_assert_eq(mh_apikey_make(&a, TENANT, &k), 0);
	cr_assert_eq(strlen(k.secret), MH_APIKEY_LEN);
	cr_assert_eq(strncmp(k.secret, "mhk_", 4), 0);
	cr_assert_str_eq(k.last_four, k.secret + MH_APIKEY_LEN - 4);
	cr_assert_eq(strlen(k.hash_param), 2 + 64);
	memset(&p, 0, sizeof(p));
	cr_assert_eq(mh_apikey_parse(&a, k.secret, &p), 0);
	cr_assert_str_eq(p.tenant_id, TENANT);
	cr_assert_str_eq(p.api_key_id, k.id);
	cr_assert_str_eq(p.api_key_hash, k.hash_param);
	cr_assert_eq(k.id[14], '4', "a version 4 UUID: %s", k.id);
}

Test(apikey, two_keys_differ)
{
	struct mh_apikey_new k1, k2;

	cr_assert_eq(mh_apikey_make(&a, TENANT, &k1), 0);
	cr_assert_eq(mh_apikey_make(&a, TENANT, &k2), 0);
	cr_assert_str_neq(k1.secret, k2.secret);
	cr_assert_str_neq(k1.id, k2.id);
	cr_assert_str_neq(k1.hash_param, k2.hash_param);
}

Test(apikey, malformed_keys_are_refused)
{
	struct mh_apikey_new k;
	struct mh_principal p;
	char buf[128];

	cr_assert_eq(mh_apikey_make(&a, TENANT, &k), 0);
	cr_assert_eq(mh_apikey_parse(&a, "mhk_", &p), -1);
	cr_assert_eq(mh_apikey_parse(&a, "", &p), -1);
	/* One character short, one too many. */
	snprintf(buf, sizeof(buf), "%.*s", MH_APIKEY_LEN - 1, k.secret);
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	snprintf(buf, sizeof(buf), "%sA", k.secret);
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	/* Another prefix, a character outside base64url. */
	snprintf(buf, sizeof(buf), "mhx_%s", k.secret + 4);
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	snprintf(buf, sizeof(buf), "%s", k.secret);
	buf[40] = '+';
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	buf[40] = '=';
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	/* The last character carries 2 unused bits: only one spelling per key. */
	snprintf(buf, sizeof(buf), "%s", k.secret);
	buf[MH_APIKEY_LEN - 1] = buf[MH_APIKEY_LEN - 1] == 'B' ? 'C' : 'B';
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), -1);
	/* A tenant id that is not a UUID cannot make a key. */
	cr_assert_eq(mh_apikey_make(&a, "not-a-uuid", &k), -1);
	cr_assert_eq(mh_apikey_is_key("eyJhbGciOi"), 0);
	cr_assert_eq(mh_apikey_is_key("mhk_x"), 1);
}

Test(apikey, an_altered_key_hashes_differently)
{
	struct mh_apikey_new k;
	struct mh_principal p;
	char buf[128];

	cr_assert_eq(mh_apikey_make(&a, TENANT, &k), 0);
	snprintf(buf, sizeof(buf), "%s", k.secret);
	buf[60] = buf[60] == 'a' ? 'b' : 'a';
	memset(&p, 0, sizeof(p));
	cr_assert_eq(mh_apikey_parse(&a, buf, &p), 0);
	cr_assert_str_neq(p.api_key_hash, k.hash_param);
	cr_assert_str_eq(p.tenant_id, TENANT, "the ids ride in front of the secret");
}
