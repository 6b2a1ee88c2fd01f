/* fcgi_client.c - a minimal FastCGI client (see fcgi_client.h). */
#include "fcgi_client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6 };

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int record(int fd, int type, const void *content, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8),
			       (unsigned char)len, 0, 0 };

	return write_all(fd, h, 8) || (len && write_all(fd, content, len)) ? -1 : 0;
}

static size_t put_len(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	p[0] = (unsigned char)((n >> 24) | 0x80);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	return 4;
}

int t_fcgi_get(const char *socket_path, const char *const *params, struct fcgi_reply *out)
{
	return t_fcgi_request(socket_path, params, NULL, 0, out);
}

int t_fcgi_request(const char *socket_path, const char *const *params, const char *body,
		   size_t body_len, struct fcgi_reply *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 }; /* role responder, no keep-conn */
	unsigned char buf[8192];
	size_t n = 0, out_len = 0;
	char *stdout_data = NULL;
	int fd, rc = -1;

	memset(out, 0, sizeof(*out));
	strncpy(sa.sun_path, socket_path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	for (size_t i = 0; params[i] != NULL; i += 2) {
		size_t kl = strlen(params[i]), vl = strlen(params[i + 1]);
		if (n + 8 + kl + vl > sizeof(buf))
			goto out;
		n += put_len(buf + n, kl);
		n += put_len(buf + n, vl);
		memcpy(buf + n, params[i], kl);
		n += kl;
		memcpy(buf + n, params[i + 1], vl);
		n += vl;
	}
	if (record(fd, BEGIN_REQUEST, begin, 8) || record(fd, PARAMS, buf, n) ||
	    record(fd, PARAMS, NULL, 0))
		goto out;
	/* The body in records of at most 32 KiB (a record's length is 16 bits). */
	for (size_t at = 0; at < body_len; at += 32768)
		if (record(fd, STDIN, body + at, body_len - at < 32768 ? body_len - at : 32768))
			goto out;
	if (record(fd, STDIN, NULL, 0))
		goto out;
	for (;;) {
		unsigned char h[8];
		size_t clen, plen;

		if (read_all(fd, h, 8) < 0)
			goto out;
		clen = ((size_t)h[4] << 8) | h[5];
		plen = h[6];
		if (read_all(fd, buf, clen + plen) < 0)
			goto out;
		if (h[1] == STDOUT && clen > 0) {
			char *p = realloc(stdout_data, out_len + clen + 1);
			if (p == NULL)
				goto out;
			stdout_data = p;
			memcpy(stdout_data + out_len, buf, clen);
			out_len += clen;
			stdout_data[out_len] = '\0';
		}
		if (h[1] == END_REQUEST)
			break;
	}
	if (stdout_data == NULL)
		goto out;
	{
		char *sep = strstr(stdout_data, "\r\n\r\n");
		if (sep == NULL)
			goto out;
		*sep = '\0';
		out->headers = stdout_data;
		out->body = strdup(sep + 4);
		stdout_data = NULL;
		out->status = 200;
		if (strncmp(out->headers, "Status: ", 8) == 0)
			out->status = atoi(out->headers + 8);
	}
	rc = 0;
out:
	free(stdout_data);
	if (fd >= 0)
		close(fd);
	return rc;
}

void t_fcgi_free(struct fcgi_reply *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
