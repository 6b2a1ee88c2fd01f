/* replica.h - read replicas: which reads may go to one, and read-your-writes. */
#ifndef MH_REPLICA_H
#define MH_REPLICA_H

#include <stdint.h>

#include "core/config.h"
#include "core/http.h"

/*
 * With database_replica_url set, a read-only transaction of a GET or HEAD request goes to
 * the replica when all of these hold, and to the primary otherwise:
 * - this request has written nothing yet (its own writes are on the primary), and its
 *   token needs no check in PostgreSQL (core/auth.c: Redis down);
 * - the replica answered its last status check (at most REPLICA_CHECK_MS old), is still a
 *   standby, and is at most replica_max_lag behind;
 * - it has replayed the client's last write: the WAL position that write's response gave
 *   the client (cookie menhir_lsn, or header Menhir-Lsn), which the client sends back.
 * The primary never waits for the replica; a client that just wrote reads from the primary
 * until the replica has caught up with it.
 */

/* Takes database_replica_url and replica_max_lag. */
void mh_replica_configure(const struct mh_config *cfg);

/* 1 when this read-only transaction of req may go to the replica (the rules above); may
 * cost one round trip to the replica to refresh its status. */
int mh_replica_choose(struct mh_request *req);

/* The replica failed a connection or a query: skip it for REPLICA_RETRY_MS. */
void mh_replica_mark_down(void);

/* After the handler: when req committed a write and a replica is configured, adds the
 * Set-Cookie and Menhir-Lsn headers that carry its WAL position. Returns 0, or -1 when a
 * header could not be added (the response then fails loudly, see dispatch.c). */
int mh_replica_reply_headers(struct mh_request *req, struct mh_response *res);

/* Parses PostgreSQL's "X/Y" (hex) LSN text; returns 0, or -1 when s is not one. */
int mh_lsn_parse(const char *s, uint64_t *out);

/* The WAL position the client says its last write reached (the larger of the cookie and
 * the header), 0 when it sent none or only malformed ones. */
uint64_t mh_replica_client_lsn(const struct mh_request *req);

#endif
