/* fcgi_client.h - a minimal FastCGI client that talks to menhir's socket
 * directly, for what nginx would never send (e.g. a forged REMOTE_ADDR). */
#ifndef MH_T_FCGI_CLIENT_H
#define MH_T_FCGI_CLIENT_H

#include <stddef.h>

struct fcgi_reply {
	int status;     /* from the Status: header, 200 when absent */
	char *headers;  /* raw CGI header block */
	char *body;
};

/*
 * Sends one request (GET, no body) with the given CGI params (NULL-terminated
 * name/value array) to the unix socket path; returns 0 or -1.
 */
int t_fcgi_get(const char *socket_path, const char *const *params, struct fcgi_reply *out);
/* The same with a request body (body_len bytes; set CONTENT_LENGTH in params yourself). */
int t_fcgi_request(const char *socket_path, const char *const *params, const char *body,
		   size_t body_len, struct fcgi_reply *out);
void t_fcgi_free(struct fcgi_reply *r);

#endif
