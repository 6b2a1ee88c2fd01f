/* unit_http.c - the response a handler builds: headers that do not fit are never lost
 * silently. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/http.h"

Test(http, a_header_past_the_tables_room_is_refused_and_recorded_on_the_response)
{
	struct mh_response res;

	memset(&res, 0, sizeof(res));
	for (int i = 0; i < MH_MAX_RESPONSE_HEADERS; i++)
		cr_assert_eq(mh_response_header(&res, "X-Filler", "1"), 0);
	cr_assert_null(res.dropped_header);
	cr_assert_eq(mh_response_header(&res, "Retry-After", "5"), -1);
	cr_assert_eq(mh_response_header(&res, "ETag", "\"x\""), -1);
	cr_assert_eq(res.nheaders, MH_MAX_RESPONSE_HEADERS);
	cr_assert_str_eq(res.dropped_header, "Retry-After", "the first loss is the one reported");
}

Test(http, a_header_whose_value_could_not_be_built_is_recorded_as_dropped)
{
	struct mh_response res;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_response_header(&res, "Location", NULL), -1);
	cr_assert_eq(res.nheaders, 0);
	cr_assert_str_eq(res.dropped_header, "Location");
}
