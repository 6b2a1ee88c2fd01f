/* testsupport.c - routes that exist only with enable_test_routes = true.
 *
 * They let the integration suite drive behaviours no production route can
 * provoke on demand (a stuck request, a body echo, a transaction under an
 * arbitrary tenant context). Every route is MH_TEST_ONLY, so a production
 * config never even routes to them.
 */
#include "modules/testsupport/testsupport.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/json.h"

static const struct mh_db_statement testsupport_statements[] = {
	/* Deliberately without WHERE tenant_id: only RLS filters the rows. */
	{ "testsupport_audit", "SELECT id, action FROM audit_log ORDER BY created_at, id", 0 },
	{ NULL, NULL, 0 },
};

/* Sleeps ?ms= milliseconds (≤ 60 s): a stuck request for timeout tests. */
static int testsupport_sleep(struct mh_request *req, struct mh_response *res)
{
	const char *ms = mh_query(req, "ms");
	char *end;
	long v = ms ? strtol(ms, &end, 10) : -1;
	struct timespec ts;

	if (ms == NULL || *end != '\0' || v < 0 || v > 60000) {
		struct mh_error_detail d = { "ms", "must be an integer from 0 to 60000" };
		return mh_reply_error_details(req, res, 400, "validation_failed",
					      "invalid query parameter", &d, 1);
	}
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
	return mh_reply_data(req, res, 200, "{\"slept\":true}");
}

/* Returns the JSON body it was sent: exercises 413/415/400 body handling. */
static int testsupport_echo(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_data(req, res, 200,
			     json_object_to_json_string_ext(req->json, JSON_C_TO_STRING_PLAIN));
}

/* Lists audit_log under ?tenant_id= as RLS context, through the framework's
 * pipelined transaction: proves the context reaches PostgreSQL. */
static int testsupport_audit(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;
	struct mh_buf *b = &res->body;

	req->principal.tenant_id = mh_query(req, "tenant_id");
	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "testsupport_audit", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	res->status = 200;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < PQntuples(r); i++) {
		static const char *const names[] = { "id", "action" };

		if (i > 0)
			mh_buf_putc(b, ',');
		mh_db_put_row(b, r, i, names, 2);
	}
	mh_buf_puts(b, "]}");
	return 0;
}

static int testsupport_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(testsupport_statements);
}

static const struct mh_route testsupport_routes[] = {
	{ MH_GET, "/api/v1/test/sleep", testsupport_sleep, MH_PUBLIC | MH_TEST_ONLY, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/test/echo", testsupport_echo, MH_PUBLIC | MH_TEST_ONLY | MH_JSON_BODY, MH_ROLE_NONE },
	{ MH_GET, "/api/v1/test/audit", testsupport_audit, MH_PUBLIC | MH_TEST_ONLY, MH_ROLE_NONE },
	{ 0 },
};

const struct mh_module testsupport_module = {
	.name = "testsupport",
	.routes = testsupport_routes,
	.init = testsupport_init,
};
