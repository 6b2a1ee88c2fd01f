/* unit_replica.c - the WAL positions a client hands back for read-your-writes. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/replica.h"

Test(replica, lsn_text_is_parsed_as_postgresql_prints_it)
{
	uint64_t v;

	cr_assert_eq(mh_lsn_parse("0/0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(mh_lsn_parse("16/B374D848", &v), 0);
	cr_assert_eq(v, (0x16ull << 32) | 0xB374D848ull);
	cr_assert_eq(mh_lsn_parse("ffffffff/ffffffff", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	/* Ordered as the WAL is: the high part first. */
	uint64_t a, b;
	cr_assert_eq(mh_lsn_parse("1/0", &a), 0);
	cr_assert_eq(mh_lsn_parse("0/FFFFFFFF", &b), 0);
	cr_assert_gt(a, b);
}

Test(replica, anything_else_is_refused)
{
	static const char *const bad[] = {"",      "/",    "0/",  "/0",          "0",
	                                  "0/0/0", "g/0",  "0/x", "123456789/0", "0/123456789",
	                                  " 0/0",  "0/0 ", "-1/0"};
	uint64_t v = 42;

	cr_assert_eq(mh_lsn_parse(NULL, &v), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(mh_lsn_parse(bad[i], &v), -1, "accepted '%s'", bad[i]);
	cr_assert_eq(v, 42, "a refused value was written");
}

static struct mh_request with_headers(struct mh_kv *h, size_t n)
{
	struct mh_request req;

	memset(&req, 0, sizeof(req));
	req.headers = h;
	req.nheaders = n;
	return req;
}

Test(replica, the_client_position_is_the_larger_of_cookie_and_header)
{
	struct mh_kv h[2] = {{"menhir-lsn", "0/10"}, {"cookie", "a=1; menhir_lsn=0/20; b=2"}};
	struct mh_request req = with_headers(h, 2);

	cr_assert_eq(mh_replica_client_lsn(&req), 0x20);
	h[0].value = "1/0";
	cr_assert_eq(mh_replica_client_lsn(&req), 1ull << 32);
	/* Malformed values count as none; another cookie of a similar name is not ours. */
	h[0].value = "junk";
	h[1].value = "xmenhir_lsn=0/30; menhir_lsn=nope";
	cr_assert_eq(mh_replica_client_lsn(&req), 0);
	req = with_headers(NULL, 0);
	cr_assert_eq(mh_replica_client_lsn(&req), 0);
}
