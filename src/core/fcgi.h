/* fcgi.h - turns a libfcgi request into an mh_request and an mh_response back into bytes. */
#ifndef MH_FCGI_H
#define MH_FCGI_H

#include <fcgiapp.h>

#include "core/http.h"

/*
 * Fills req from the FastCGI params of fr: method, path, headers, request id
 * (nginx's $request_id, else a fresh one), remote address. Does not read the
 * body. Returns 0, or -1 when the arena is exhausted.
 */
int mh_fcgi_read_head(FCGX_Request *fr, struct mh_request *req);

/* CONTENT_LENGTH as a number; -1 when absent or malformed. */
long long mh_fcgi_content_length(FCGX_Request *fr);

/* Reads exactly len body bytes into the arena. Returns 0 or -1 (short read). */
int mh_fcgi_read_body(FCGX_Request *fr, struct mh_request *req, size_t len);

/* Reads and discards up to len body bytes, so nginx is never left blocked
 * writing a body we refused. */
void mh_fcgi_drain_body(FCGX_Request *fr, long long len);

/* Writes status line, headers and body. Returns the bytes of body sent. */
size_t mh_fcgi_write_response(FCGX_Request *fr, const struct mh_request *req,
			      struct mh_response *res);

#endif
