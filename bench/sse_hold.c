/* sse_hold.c - holds N live-event streams (GET /api/v1/jobs/:id/events, Server-Sent Events)
 * open through nginx over HTTPS, for bench/run's "API while streams are open" rows.
 *
 *   bench/sse_hold --base https://127.0.0.1:PORT --token-file F --jobs F [--ca F]
 *                  [--streams 1000] [--seconds 60] [--ramp 250] [--publish SOCKET]
 *
 * Each stream is its own HTTP/1.1 connection (as separate browsers would hold them), to the
 * job ids of --jobs in turn. Streams are opened at --ramp per second; with --publish (nginx's
 * events socket) one event is then published to every job's channel, and the program waits
 * until every open stream has received it. It then prints "READY ..." on stdout and holds the
 * streams until --seconds have passed or it gets SIGTERM/SIGINT, publishes a second round
 * (are the streams still alive and delivering?), prints one "SSE ..." line and exits. Every
 * wait is bounded; nothing runs longer than the ramp, 30 s per publish round and --seconds.
 * Deliberately outside the framework: libcurl only. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_STREAMS   20000
#define MAX_SECONDS   600
#define ROUND_WAIT_MS 30000

struct stream {
	CURL *h;
	const char *job;
	int opened;  /* a 200 and the first bytes of the event stream arrived */
	int refused; /* an answer other than 200 */
	int done;    /* the transfer ended (refused, closed, failed) */
	long events; /* "data:" lines received */
	int match;   /* chars of "data:" matched at the start of the current line; -1: none */
};

static struct {
	const char *base, *ca, *token_file, *jobs_file, *publish;
	int streams, seconds, ramp;
} opt = {.streams = 1000, .seconds = 60, .ramp = 250};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "sse_hold: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

/* Counts events as they stream by: a line that starts with "data:", wherever chunks split. */
static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct stream *s = userdata;
	static const char tag[] = "data:";

	if (!s->opened && !s->refused) {
		long code = 0;

		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
		s->opened = code == 200;
		s->refused = code != 200;
	}
	for (size_t i = 0; i < size * n; i++) {
		if (p[i] == '\n') {
			s->match = 0;
		} else if (s->match >= 0) {
			if (p[i] != tag[s->match])
				s->match = -1;
			else if (++s->match == (int)sizeof(tag) - 1) {
				s->events++;
				s->match = -1;
			}
		}
	}
	return size * n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (f == NULL)
		die("cannot read", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("cannot read", path);
	fclose(f);
	return buf;
}

/* Runs the multi handle for up to ms, reaping finished transfers. */
static void drive(CURLM *m, int ms)
{
	int running;
	CURLMsg *msg;

	curl_multi_perform(m, &running);
	while ((msg = curl_multi_info_read(m, &running)) != NULL) {
		struct stream *s;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		s->done = 1;
	}
	curl_multi_poll(m, NULL, 0, ms, NULL);
}

static int count_open(const struct stream *s, int n)
{
	int open = 0;

	for (int i = 0; i < n; i++)
		open += s[i].opened && !s[i].done;
	return open;
}

static long count_events(const struct stream *s, int n)
{
	long e = 0;

	for (int i = 0; i < n; i++)
		e += s[i].events;
	return e;
}

/* One event to every job's channel over nginx's events socket (nchan's publisher). */
static int publish_round(const char *const *jobs, int njobs, int round)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	FILE *sink = fopen("/dev/null", "w");
	char url[256], body[64];
	int ok = 0;

	if (c == NULL || sink == NULL)
		die("cannot publish", NULL);
	snprintf(body, sizeof(body), "{\"status\":\"bench\",\"round\":%d}", round);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, opt.publish);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink); /* nchan's channel summary */
	for (int i = 0; i < njobs; i++) {
		long code = 0;

		snprintf(url, sizeof(url), "http://menhir-events/pub/job-%s", jobs[i]);
		curl_easy_setopt(c, CURLOPT_URL, url);
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code >= 200 && code < 300)
			ok++;
	}
	curl_slist_free_all(h);
	fclose(sink);
	curl_easy_cleanup(c);
	return ok;
}

/* Publishes a round and waits (bounded) until every open stream has `want` events. */
static void publish_and_wait(CURLM *m, struct stream *s, int n, const char *const *jobs, int njobs,
                             int round)
{
	long long deadline;
	int published = publish_round(jobs, njobs, round), behind;

	if (published < njobs)
		fprintf(stderr, "sse_hold: round %d: nginx took %d of %d events\n", round,
		        published, njobs);
	deadline = now_ms() + ROUND_WAIT_MS;
	do {
		drive(m, 50);
		behind = 0;
		for (int i = 0; i < n; i++)
			behind += s[i].opened && !s[i].done && s[i].events < round;
	} while (behind > 0 && now_ms() < deadline);
}

static void usage(void)
{
	fprintf(stderr, "usage: sse_hold --base URL --token-file F --jobs F [--ca F] [--streams N]"
	                " [--seconds S] [--ramp PER_SECOND] [--publish SOCKET]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"base", required_argument, NULL, 'b'},
	        {"ca", required_argument, NULL, 'c'},
	        {"token-file", required_argument, NULL, 't'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"streams", required_argument, NULL, 'n'},
	        {"seconds", required_argument, NULL, 's'},
	        {"ramp", required_argument, NULL, 'r'},
	        {"publish", required_argument, NULL, 'p'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': opt.base = optarg; break;
		case 'c': opt.ca = optarg; break;
		case 't': opt.token_file = optarg; break;
		case 'j': opt.jobs_file = optarg; break;
		case 'n': opt.streams = atoi(optarg); break;
		case 's': opt.seconds = atoi(optarg); break;
		case 'r': opt.ramp = atoi(optarg); break;
		case 'p': opt.publish = optarg; break;
		default: usage();
		}
	}
	if (opt.base == NULL || opt.token_file == NULL || opt.jobs_file == NULL)
		usage();
	if (opt.streams < 1 || opt.streams > MAX_STREAMS)
		die("--streams must be 1..20000", NULL);
	if (opt.seconds < 1 || opt.seconds > MAX_SECONDS)
		die("--seconds must be 1..600", NULL);
	if (opt.ramp < 1)
		die("--ramp must be positive", NULL);
}

int main(int argc, char **argv)
{
	static struct stream s[MAX_STREAMS];
	static const char *jobs[MAX_STREAMS];
	struct rlimit rl;
	struct curl_slist *hdrs = NULL;
	char *token, *ids, auth[8192], url[512];
	int njobs = 0, added = 0;
	long long t0, open_deadline, hold_until, ready_ms;
	CURLM *m;

	parse(argc, argv);
	/* One descriptor per stream, and then some. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt.streams + 64)
		die("the open-file limit is below --streams (ulimit -n)", NULL);
	token = slurp(opt.token_file);
	token[strcspn(token, "\r\n")] = '\0';
	ids = slurp(opt.jobs_file);
	for (char *save = NULL, *tok = strtok_r(ids, " \r\n", &save);
	     tok != NULL && njobs < MAX_STREAMS; tok = strtok_r(NULL, " \r\n", &save))
		jobs[njobs++] = tok;
	if (njobs == 0)
		die("no job ids in", opt.jobs_file);
	if (njobs > opt.streams)
		njobs = opt.streams;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
	hdrs = curl_slist_append(hdrs, auth);

	t0 = now_ms();
	open_deadline = t0 + (long long)opt.streams * 1000 / opt.ramp + 30000;
	while (!stopping && now_ms() < open_deadline) {
		long long due = (now_ms() - t0) * opt.ramp / 1000 + 1;
		int pending = 0;

		for (; added < opt.streams && added < due; added++) {
			struct stream *x = &s[added];

			x->job = jobs[added % njobs];
			x->h = curl_easy_init();
			snprintf(url, sizeof(url), "%s/api/v1/jobs/%s/events", opt.base, x->job);
			curl_easy_setopt(x->h, CURLOPT_URL, url);
			curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
			curl_easy_setopt(x->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
			curl_easy_setopt(x->h, CURLOPT_FORBID_REUSE, 1L);
			curl_easy_setopt(x->h, CURLOPT_FRESH_CONNECT, 1L);
			if (opt.ca != NULL) {
				curl_easy_setopt(x->h, CURLOPT_CAINFO, opt.ca);
			} else {
				curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
				curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
			}
			curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
			curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
			curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
			curl_multi_add_handle(m, x->h);
		}
		drive(m, 20);
		for (int i = 0; i < added; i++)
			pending += !s[i].opened && !s[i].done;
		if (added == opt.streams && pending == 0)
			break;
	}
	fprintf(stderr, "sse_hold: %d of %d streams open after %.1f s\n", count_open(s, added),
	        opt.streams, (double)(now_ms() - t0) / 1000);
	if (opt.publish != NULL && !stopping)
		publish_and_wait(m, s, added, jobs, njobs, 1);
	ready_ms = now_ms();
	printf("READY streams=%d open=%d events=%ld open_s=%.1f\n", opt.streams,
	       count_open(s, added), count_events(s, added), (double)(ready_ms - t0) / 1000);
	fflush(stdout);

	hold_until = ready_ms + (long long)opt.seconds * 1000;
	while (!stopping && now_ms() < hold_until)
		drive(m, 200);
	if (opt.publish != NULL)
		publish_and_wait(m, s, added, jobs, njobs, 2);
	{
		int open = count_open(s, added), refused = 0;

		for (int i = 0; i < added; i++)
			refused += !s[i].opened; /* refused, failed or never answered */
		printf("SSE streams=%d opened=%d open_at_end=%d refused=%d events=%ld"
		       " expected_events=%d held_s=%.1f\n",
		       opt.streams, added - refused, open, refused, count_events(s, added),
		       opt.publish != NULL ? 2 * (added - refused) : 0,
		       (double)(now_ms() - ready_ms) / 1000);
	}
	for (int i = 0; i < added; i++) {
		curl_multi_remove_handle(m, s[i].h);
		curl_easy_cleanup(s[i].h);
	}
	curl_slist_free_all(hdrs);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	free(token);
	free(ids);
	return 0;
}
