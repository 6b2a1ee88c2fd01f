/* faultload.c - bench/faults' load: writes with unique Idempotency-Keys (each retried with
 * the same key until it is acknowledged), reads and queued jobs, through the cluster's load
 * balancer, with every outcome written down for the fault table.
 *
 *   faultload BASE_URL CA_FILE TOKEN OUT_DIR SECONDS WRITERS READERS JOBS_PER_SECOND
 *
 * OUT_DIR/requests.tsv  epoch_ms when sent  kind (w, r, j)  status (0: no HTTP answer)
 * OUT_DIR/acked.tsv     idempotency key  document id       (every 201 of a write)
 * OUT_DIR/jobs.tsv      job id                              (every queued job acknowledged)
 * OUT_DIR/mismatch.tsv  idempotency key  first id  other id (a retry that made another)
 *
 * A write that gets no 201 is sent again with the same key (100 ms apart) until it does or
 * the run is over; every tenth acknowledged key is sent once more on purpose. Either way a
 * 201 naming another document than the first is an idempotency failure. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_THREADS 32

static const char *base, *ca, *token, *out_dir;
static long long end_ms;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *f_requests, *f_acked, *f_jobs, *f_mismatch;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct body {
	char data[4096];
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;

	if (add > sizeof(b->data) - 1 - b->len)
		add = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return size * n;
}

/* One request; returns the HTTP status, 0 when none came (connection refused, reset,
 * timeout). The body lands in b. */
static long request(CURL *c, const char *method, const char *path, const char *key,
		    const char *json, struct body *b)
{
	char url[512], auth[4200], idem[160];
	struct curl_slist *h = NULL;
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	if (json != NULL)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (key != NULL) {
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
		h = curl_slist_append(h, idem);
	}
	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	if (json == NULL)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

/* When the request was sent, not answered: a request that hangs until its timeout belongs
 * to the moment it was made. */
static void record(long long sent_ms, char kind, long status)
{
	pthread_mutex_lock(&out_lock);
	fprintf(f_requests, "%lld\t%c\t%ld\n", sent_ms, kind, status);
	pthread_mutex_unlock(&out_lock);
}

/* The first "id":"…" of a body (the document's: {"data":{"id":…). */
static int body_id(const struct body *b, char out[64])
{
	const char *p = strstr(b->data, "\"id\":\"");
	size_t n;

	if (p == NULL)
		return -1;
	p += 6;
	n = strcspn(p, "\"");
	if (n == 0 || n >= 64)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static void new_key(char out[64])
{
	unsigned char r[12];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	snprintf(out, 64, "fault-%lld-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", now_ms(),
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
}

/* Sends the write with key until it is acknowledged; checks the id against first (when
 * set) and fills first otherwise. Returns 1 when acknowledged. */
static int write_until_acked(CURL *c, const char *key, char first[64])
{
	static const char json[] = "{\"title\":\"fault load\",\"body\":\"written under faults\"}";
	struct body b;
	char id[64];

	while (now_ms() < end_ms) {
		long long sent = now_ms();
		long status = request(c, "POST", "/api/v1/documents", key, json, &b);

		record(sent, 'w', status);
		if (status == 201 && body_id(&b, id) == 0) {
			pthread_mutex_lock(&out_lock);
			if (first[0] == '\0')
				fprintf(f_acked, "%s\t%s\n", key, id);
			else if (strcmp(first, id) != 0)
				fprintf(f_mismatch, "%s\t%s\t%s\n", key, first, id);
			pthread_mutex_unlock(&out_lock);
			if (first[0] == '\0')
				snprintf(first, 64, "%s", id);
			return 1;
		}
		/* 409: the first attempt is still running; 5xx or nothing: not acknowledged. */
		if (status != 0 && status != 409 && status < 500)
			return 0;
		sleep_ms(100);
	}
	return 0;
}

static void *writer(void *arg)
{
	CURL *c = curl_easy_init();
	long n = 0;

	(void)arg;
	while (now_ms() < end_ms) {
		char key[64], first[64] = "";

		new_key(key);
		if (write_until_acked(c, key, first) && ++n % 10 == 0)
			write_until_acked(c, key, first); /* the replay must name the same one */
		sleep_ms(10);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static void *reader(void *arg)
{
	CURL *c = curl_easy_init();
	struct body b;

	(void)arg;
	while (now_ms() < end_ms) {
		long long sent = now_ms();

		record(sent, 'r', request(c, "GET", "/api/v1/documents?limit=5", NULL, NULL, &b));
		sleep_ms(10);
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Queues test.echo jobs (each sleeps 200 ms, so a killed runner is likely mid-job). */
static void *jobs(void *arg)
{
	long per_second = *(long *)arg;
	CURL *c = curl_easy_init();
	struct body b;
	char id[64];

	while (per_second > 0 && now_ms() < end_ms) {
		long long sent = now_ms();
		long status = request(c, "POST", "/api/v1/test/jobs",
				      NULL, "{\"count\":1,\"payload\":{\"sleep_ms\":200}}", &b);
		const char *p = strstr(b.data, "\"ids\":[\"");

		record(sent, 'j', status);
		if (status == 201 && p != NULL && sscanf(p + 8, "%63[^\"]", id) == 1) {
			pthread_mutex_lock(&out_lock);
			fprintf(f_jobs, "%s\n", id);
			pthread_mutex_unlock(&out_lock);
		}
		sleep_ms(1000 / per_second);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static FILE *open_out(const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	return f;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	long seconds, writers, readers, per_second;
	int n = 0;

	if (argc != 9) {
		fprintf(stderr, "usage: faultload BASE_URL CA TOKEN OUT_DIR SECONDS WRITERS READERS "
				"JOBS_PER_SECOND\n");
		return 2;
	}
	base = argv[1];
	ca = argv[2];
	token = argv[3];
	out_dir = argv[4];
	seconds = atol(argv[5]);
	writers = atol(argv[6]);
	readers = atol(argv[7]);
	per_second = atol(argv[8]);
	if (seconds < 1 || writers < 0 || readers < 0 || writers + readers + 1 > MAX_THREADS ||
	    per_second < 0 || per_second > 100) {
		fprintf(stderr, "faultload: arguments out of range\n");
		return 2;
	}
	f_requests = open_out("requests.tsv");
	f_acked = open_out("acked.tsv");
	f_jobs = open_out("jobs.tsv");
	f_mismatch = open_out("mismatch.tsv");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	end_ms = now_ms() + seconds * 1000;
	for (long i = 0; i < writers; i++)
		pthread_create(&th[n++], NULL, writer, NULL);
	for (long i = 0; i < readers; i++)
		pthread_create(&th[n++], NULL, reader, NULL);
	pthread_create(&th[n++], NULL, jobs, &per_second);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	fclose(f_requests);
	fclose(f_acked);
	fclose(f_jobs);
	fclose(f_mismatch);
	curl_global_cleanup();
	return 0;
}
