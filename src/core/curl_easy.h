/* curl_easy.h - libcurl easy handles for outbound transfers, set up the one careful way:
 * bounded in time, no signals, no proxy from the environment, no redirects, verified TLS,
 * only the protocols the caller names. */
#ifndef MH_CURL_EASY_H
#define MH_CURL_EASY_H

#include <curl/curl.h>

/*
 * The process's handle in *h: made on first use (after curl_global_init, so never in a
 * process that does not transfer anything), reset to libcurl's defaults on later calls,
 * which keeps its connection and TLS session caches. Returns 0, or -1 when libcurl cannot
 * start (out of memory); *h is then unchanged. The handle lives as long as the process.
 */
int mh_curl_easy_reuse(CURL **h);

/*
 * Sets on c what every outbound transfer needs, whatever it carries: timeout_ms for the
 * whole transfer and for the connect alone; no signals (a worker's alarms stay its own);
 * no proxy from the environment (the request may carry a secret, and the address a caller
 * checked must be the one connected to); no redirect followed (and https only if one ever
 * were); the peer's certificate and host name verified, against ca_file (NULL or "": the
 * system's store); and only protocols, a comma-separated list of lower-case scheme names
 * among http, https, smtp, smtps (CURLOPT_PROTOCOLS_STR). Returns 0, or -1 when libcurl
 * refuses an option (c must then not be used for a transfer).
 */
int mh_curl_easy_setup(CURL *c, const char *protocols, long timeout_ms, const char *ca_file);

/*
 * The stable error code, for a job's record or a log line, of a transport failure every
 * protocol shares: "timeout", "dns_error", "connect_failed", or "tls_error" (the handshake
 * or the peer's certificate); NULL for any other rc, which the caller names itself.
 */
const char *mh_curl_error_code(CURLcode rc);

#endif
