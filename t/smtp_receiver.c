/* smtp_receiver.c - the local stack's mailbox: a small SMTP server on loopback that keeps
 * every message it accepts as a file, for people (script/server; nginx shows the folder at
 * /_dev/mailbox/ on the local stack only) and for the suites, which read the files.
 *
 *   t/smtp_receiver --port N --dir DIR [--auth USER:PASSWORD]
 *                   [--tls-cert PEM --tls-key PEM [--implicit-tls]]
 *
 * DIR/new/<seq>.eml: each accepted message, written to DIR/tmp first and renamed, so a
 * reader never sees half of one; its first lines are X-Mailbox-From / X-Mailbox-To (the
 * envelope). DIR/refuse, when it holds a number N > 0: the next N messages are refused with
 * 451 after their data (the count goes down by one each time), so a suite can make the
 * server fail and watch the sender retry. --auth: advertise AUTH PLAIN and require it.
 * --tls-cert/--tls-key: offer STARTTLS (RFC 3207) with that certificate chain and key; with
 * --implicit-tls, TLS from the first byte instead (smtps://, RFC 8314). DIR/transcript gets
 * one line per command, "<pid> clear|tls <VERB>" (the verb only, never an argument), so a
 * suite can prove that nothing but EHLO and STARTTLS went in the clear.
 *
 * A child process per connection (at most 16 at once; more wait in the backlog), loopback
 * only, bounded: 10 MiB a message, 100 recipients, 30 s of silence ends a connection. DIR/refuse
 * is read and rewritten under an flock, so concurrent connections share its count. The local
 * stack runs it with STARTTLS and its own certificate, which Menhir trusts through
 * smtp_ca_file, so development and the suites send mail the way production does. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_MAX (10 * 1024 * 1024)
#define LINE_MAX_   4096
#define RCPT_MAX    100

#define CHILDREN_MAX 16

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t children;
static const char *dir;
static const char *auth_plain; /* "USER:PASSWORD" or NULL */
static SSL_CTX *tls_ctx;       /* with --tls-cert: STARTTLS offered */
static int implicit_tls;       /* --implicit-tls: TLS before the greeting */
static unsigned long seq;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_child(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		children--;
	errno = saved;
}

struct conn {
	int fd;
	SSL *ssl; /* once TLS is up */
	char buf[LINE_MAX_ * 2];
	size_t len;
};

static int say(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = c->ssl ? SSL_write(c->ssl, s, (int)n) : send(c->fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Starts TLS on the connection (after "220 ready" for STARTTLS, or at once for implicit
 * TLS). Returns 0, or -1 when the handshake failed (e.g. the client refused the
 * certificate). */
static int tls_start(struct conn *c)
{
	if ((c->ssl = SSL_new(tls_ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_accept(c->ssl) != 1) {
		fprintf(stderr, "smtp_receiver: TLS handshake failed\n");
		ERR_clear_error();
		if (c->ssl != NULL)
			SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	return 0;
}

/* Appends "<pid> clear|tls VERB" to DIR/transcript (O_APPEND: lines from concurrent
 * connections never interleave). */
static void transcript(const struct conn *c, const char *line)
{
	char path[1024], out[64];
	size_t n = strcspn(line, " :");
	int fd, len;

	snprintf(path, sizeof(path), "%s/transcript", dir);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	len = snprintf(out, sizeof(out), "%d %s %.*s\n", (int)getpid(), c->ssl ? "tls" : "clear",
	               (int)(n > 16 ? 16 : n), line);
	if (write(fd, out, (size_t)len) != len)
		fprintf(stderr, "smtp_receiver: cannot write the transcript\n");
	close(fd);
}

/* One line without its CRLF into out (at most outlen - 1 bytes). Returns its length or -1. */
static long read_line(struct conn *c, char *out, size_t outlen)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf) + 1, k = n;
			if (k >= 2 && c->buf[k - 2] == '\r')
				k -= 2;
			else
				k -= 1;
			if (k >= outlen)
				k = outlen - 1;
			memcpy(out, c->buf, k);
			out[k] = '\0';
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return (long)k;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0; /* an overlong line: drop what came so far */
		ssize_t r =
		        c->ssl ? SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len))
		               : recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/* Takes one refusal from DIR/refuse: 1 when this message must be refused. */
static int take_refusal(void)
{
	char path[1024], num[32] = "";
	long n = 0;
	int fd, got;

	snprintf(path, sizeof(path), "%s/refuse", dir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_EX) == 0) {
		ssize_t r = pread(fd, num, sizeof(num) - 1, 0);
		num[r > 0 ? r : 0] = '\0';
		n = strtol(num, NULL, 10);
		if (n > 0) {
			got = snprintf(num, sizeof(num), "%ld\n", n - 1);
			if (ftruncate(fd, 0) < 0 || pwrite(fd, num, (size_t)got, 0) != got)
				n = 0;
		}
	}
	close(fd);
	return n > 0;
}

static int store(const char *from, const char *rcpts, const char *data, size_t len,
                 const char *user)
{
	char tmp[1024], dst[1024];
	FILE *f;
	int ok;

	seq++;
	snprintf(tmp, sizeof(tmp), "%s/tmp/%lld-%d-%lu.eml", dir, (long long)time(NULL),
	         (int)getpid(), seq);
	snprintf(dst, sizeof(dst), "%s/new/%lld-%d-%lu.eml", dir, (long long)time(NULL),
	         (int)getpid(), seq);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "X-Mailbox-From: %s\r\nX-Mailbox-To: %s\r\n", from, rcpts);
	if (user != NULL)
		fprintf(f, "X-Mailbox-Auth: %s\r\n", user);
	ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, dst) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* AUTH PLAIN's argument: base64 of "\0user\0password". 1 when it matches --auth. */
static int auth_ok(const char *b64, char *user, size_t userlen)
{
	unsigned char raw[600];
	char want[600];
	const char *colon = strchr(auth_plain, ':');
	size_t n = strlen(b64);
	int len;

	if (n == 0 || n > 800 || colon == NULL)
		return 0;
	len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return 0;
	while (n > 0 && b64[n - 1] == '=') {
		len--;
		n--;
	}
	snprintf(want, sizeof(want), "%c%.*s%c%s", 0, (int)(colon - auth_plain), auth_plain, 0,
	         colon + 1);
	if ((size_t)len != 2 + strlen(colon + 1) + (size_t)(colon - auth_plain) ||
	    memcmp(raw, want, (size_t)len) != 0)
		return 0;
	snprintf(user, userlen, "%.*s", (int)(colon - auth_plain), auth_plain);
	return 1;
}

static void serve(int fd)
{
	struct conn c = {.fd = fd};
	char line[LINE_MAX_], from[LINE_MAX_] = "", rcpts[8192] = "", user[256] = "";
	int nrcpt = 0, authed = auth_plain == NULL;
	struct timeval tv = {.tv_sec = 30};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (implicit_tls && tls_start(&c) < 0)
		return;
	if (say(&c, "220 localhost Menhir test mailbox ESMTP\r\n") < 0)
		goto out;
	while (!stopping && read_line(&c, line, sizeof(line)) >= 0) {
		transcript(&c, line);
		if (strncasecmp(line, "EHLO", 4) == 0) {
			say(&c, "250-localhost\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n");
			if (tls_ctx != NULL && c.ssl == NULL)
				say(&c, "250-STARTTLS\r\n");
			say(&c, auth_plain ? "250-AUTH PLAIN\r\n250 HELP\r\n" : "250 HELP\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0 && tls_ctx != NULL && c.ssl == NULL) {
			say(&c, "220 2.0.0 ready to start TLS\r\n");
			/* Whatever the client pipelined after STARTTLS came in the clear: it must
			 * not count as said over TLS (the command injection of CVE-2011-0411). */
			c.len = 0;
			if (tls_start(&c) < 0)
				break;
			/* RFC 3207 4.2: forget everything learnt before TLS. */
			from[0] = '\0';
			nrcpt = 0;
			user[0] = '\0';
			authed = auth_plain == NULL;
		} else if (strncasecmp(line, "HELO", 4) == 0) {
			say(&c, "250 localhost\r\n");
		} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0 && auth_plain != NULL) {
			const char *arg = line + 10;
			char more[LINE_MAX_];

			while (*arg == ' ')
				arg++;
			if (*arg == '\0') {
				say(&c, "334 \r\n");
				if (read_line(&c, more, sizeof(more)) < 0)
					break;
				arg = more;
				authed = auth_ok(arg, user, sizeof(user));
			} else {
				authed = auth_ok(arg, user, sizeof(user));
			}
			say(&c, authed ? "235 2.7.0 authenticated\r\n"
			               : "535 5.7.8 authentication failed\r\n");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			if (!authed) {
				say(&c, "530 5.7.0 authentication required\r\n");
				continue;
			}
			snprintf(from, sizeof(from), "%s", line + 10);
			rcpts[0] = '\0';
			nrcpt = 0;
			say(&c, "250 2.1.0 ok\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			if (from[0] == '\0' || nrcpt >= RCPT_MAX) {
				say(&c, "503 5.5.1 MAIL first, or too many recipients\r\n");
				continue;
			}
			if (rcpts[0])
				strncat(rcpts, ", ", sizeof(rcpts) - strlen(rcpts) - 1);
			strncat(rcpts, line + 8, sizeof(rcpts) - strlen(rcpts) - 1);
			nrcpt++;
			say(&c, "250 2.1.5 ok\r\n");
		} else if (strcasecmp(line, "DATA") == 0) {
			char *data;
			size_t len = 0;
			int too_big = 0, closed = 0;

			if (nrcpt == 0) {
				say(&c, "503 5.5.1 RCPT first\r\n");
				continue;
			}
			if ((data = malloc(MESSAGE_MAX + LINE_MAX_)) == NULL)
				break;
			say(&c, "354 end with <CRLF>.<CRLF>\r\n");
			for (;;) {
				long n = read_line(&c, line, sizeof(line));
				const char *l = line;

				if (n < 0) {
					closed = 1;
					break;
				}
				if (strcmp(line, ".") == 0)
					break;
				if (line[0] == '.') /* dot-stuffing (RFC 5321 4.5.2) */
					l++, n--;
				if (len + (size_t)n + 2 > MESSAGE_MAX) {
					too_big = 1;
					continue;
				}
				memcpy(data + len, l, (size_t)n);
				len += (size_t)n;
				memcpy(data + len, "\r\n", 2);
				len += 2;
			}
			if (closed) {
				free(data);
				break;
			}
			if (too_big)
				say(&c, "552 5.3.4 message too big\r\n");
			else if (take_refusal())
				say(&c, "451 4.3.0 refused for the test; try again later\r\n");
			else if (store(from, rcpts, data, len, user[0] ? user : NULL) < 0)
				say(&c, "451 4.3.0 cannot store the message\r\n");
			else
				say(&c, "250 2.0.0 stored\r\n");
			free(data);
			from[0] = '\0';
			nrcpt = 0;
		} else if (strcasecmp(line, "RSET") == 0) {
			from[0] = '\0';
			nrcpt = 0;
			say(&c, "250 2.0.0 ok\r\n");
		} else if (strcasecmp(line, "NOOP") == 0) {
			say(&c, "250 2.0.0 ok\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			say(&c, "221 2.0.0 bye\r\n");
			break;
		} else {
			say(&c, "502 5.5.2 not implemented\r\n");
		}
	}
out:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sigaction sa;
	char path[1024];
	const char *cert = NULL, *key = NULL;
	int port = 0, fd, one = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--auth") == 0 && i + 1 < argc)
			auth_plain = argv[++i];
		else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc)
			cert = argv[++i];
		else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--implicit-tls") == 0)
			implicit_tls = 1;
		else
			port = -1;
	}
	if (port <= 0 || port > 65535 || dir == NULL ||
	    (auth_plain != NULL && strchr(auth_plain, ':') == NULL) ||
	    (cert == NULL) != (key == NULL) || (implicit_tls && cert == NULL)) {
		fprintf(stderr, "usage: smtp_receiver --port N --dir DIR [--auth USER:PASSWORD]"
		                " [--tls-cert PEM --tls-key PEM [--implicit-tls]]\n");
		return 2;
	}
	if (cert != NULL && ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	                     SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1 ||
	                     SSL_CTX_use_certificate_chain_file(tls_ctx, cert) != 1 ||
	                     SSL_CTX_use_PrivateKey_file(tls_ctx, key, SSL_FILETYPE_PEM) != 1 ||
	                     SSL_CTX_check_private_key(tls_ctx) != 1)) {
		fprintf(stderr, "smtp_receiver: cannot use the certificate %s and key %s\n", cert,
		        key);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/new", dir);
	mkdir(dir, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	mkdir(path, 0700);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "smtp_receiver: cannot listen on 127.0.0.1:%d: %s\n", port,
		        strerror(errno));
		return 1;
	}
	fprintf(stderr, "smtp_receiver: listening on 127.0.0.1:%d (%s), mailbox %s/new\n", port,
	        implicit_tls ? "implicit TLS"
	        : tls_ctx    ? "STARTTLS offered"
	                     : "no TLS",
	        dir);
	while (!stopping) {
		int c;
		pid_t pid;

		if (children >= CHILDREN_MAX) {
			usleep(10000);
			continue;
		}
		if ((c = accept(fd, NULL, NULL)) < 0)
			continue;
		children++;
		if ((pid = fork()) == 0) {
			close(fd);
			serve(c);
			close(c);
			_exit(0);
		}
		if (pid < 0)
			children--;
		close(c);
	}
	close(fd);
	return 0;
}
