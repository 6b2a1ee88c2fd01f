/* it_jobs.c - the job queue and `menhir work`: the jobs API (read, list, cancel, retry),
 * retries with backoff to dead, RLS on jobs, LISTEN/NOTIFY wake-ups, scheduled and periodic
 * jobs, a graceful SIGTERM, and the headline: 1,000 jobs on 3 runners, one SIGKILLed mid-job,
 * every job succeeding exactly once in effect.
 *
 * The jobs are the test-only kind test.echo (modules/testsupport): its payload says how long
 * to sleep and when to fail; on success it writes one audit row naming the job in the job's
 * transaction, which is what "exactly once in effect" counts. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job_helpers.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Queues count test.echo jobs as s; copies the first id into first[40]; returns the parsed
 * id array (caller puts). */
static json_object *enqueue(const struct t_session *s, int count, const char *payload,
			    int max_attempts, int delay_seconds)
{
	char body[512];
	struct http_response r;
	json_object *root, *data, *ids;

	snprintf(body, sizeof(body),
		 "{\"count\":%d,\"payload\":%s,\"max_attempts\":%d,\"delay_seconds\":%d}", count,
		 payload ? payload : "{}", max_attempts, delay_seconds);
	t_doc_request("POST", "/api/v1/test/jobs", s->access, NULL, body, &r);
	cr_assert_eq(r.status, 201, "enqueue: %ld %s", r.status, r.body);
	root = json_tokener_parse(r.body);
	cr_assert(json_object_object_get_ex(root, "data", &data) &&
		  json_object_object_get_ex(data, "ids", &ids));
	json_object_get(ids);
	json_object_put(root);
	t_http_free(&r);
	cr_assert_eq(json_object_array_length(ids), (size_t)count);
	return ids;
}

static const char *id_at(json_object *ids, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(ids, i));
}

/* GET /jobs/:id as s; returns the status code and fills job (caller puts) on 200. */
static long get_job(const struct t_session *s, const char *id, json_object **job)
{
	char path[128];
	struct http_response r;
	long status;

	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	t_doc_request("GET", path, s->access, NULL, NULL, &r);
	status = r.status;
	*job = NULL;
	if (status == 200) {
		json_object *root = json_tokener_parse(r.body), *data;
		cr_assert(json_object_object_get_ex(root, "data", &data));
		*job = json_object_get(data);
		json_object_put(root);
	}
	t_http_free(&r);
	return status;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int int_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

/* Polls the job until its status is one of the final ones (or want), for timeout_ms. Returns
 * the final job (caller puts). */
static json_object *wait_job(const struct t_session *s, const char *id, const char *want,
			     int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	json_object *job = NULL;

	for (;;) {
		const char *st;
		cr_assert_eq(get_job(s, id, &job), 200);
		st = str_of(job, "status");
		if (strcmp(st, want) == 0)
			return job;
		cr_assert(now_ms() < end, "job %s still %s (waiting for %s)", id, st, want);
		json_object_put(job);
		sleep_ms(50);
	}
}

/* ---- The API ---------------------------------------------------------------------------- */

Test(jobs_api, get_shape_and_not_found)
{
	struct t_team a, b;
	json_object *ids, *job;
	struct http_response r;

	t_team_setup(&a, "jobs-get");
	t_team_setup(&b, "jobs-get-b");
	ids = enqueue(&a.as[T_MEMBER], 1, NULL, 5, 3600);
	cr_assert_eq(get_job(&a.as[T_VIEWER], id_at(ids, 0), &job), 200);
	cr_assert_str_eq(str_of(job, "id"), id_at(ids, 0));
	cr_assert_str_eq(str_of(job, "kind"), "test.echo");
	cr_assert_str_eq(str_of(job, "status"), "queued");
	cr_assert_eq(int_of(job, "attempts"), 0);
	cr_assert_eq(int_of(job, "max_attempts"), 5);
	cr_assert_str_eq(str_of(job, "created_by"), a.as[T_MEMBER].user_id);
	cr_assert_null(str_of(job, "result"));
	json_object_put(job);

	/* Another tenant's job, an unknown id and a malformed one are all simply not there. */
	cr_assert_eq(get_job(&b.as[T_OWNER], id_at(ids, 0), &job), 404);
	cr_assert_eq(get_job(&a.as[T_OWNER], "00000000-0000-4000-8000-000000000000", &job), 404);
	cr_assert_eq(get_job(&a.as[T_OWNER], "not-a-uuid", &job), 404);
	t_doc_request("GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000", NULL, NULL, NULL,
		      &r);
	t_assert_error(&r, 401, "unauthenticated");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/jobs/00000000-0000-4000-8000-000000000000?x=1",
		      a.as[T_OWNER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	json_object_put(ids);
}

Test(jobs_api, list_filters_and_keyset_pages)
{
	struct t_team a;
	json_object *ids, *seen = json_object_new_object();
	struct http_response r;
	char path[1024], cursor[512] = "";
	int pages = 0, total = 0;

	t_team_setup(&a, "jobs-list");
	ids = enqueue(&a.as[T_MEMBER], 5, NULL, 5, 3600);
	/* Five queued jobs, two per page: three pages, each job once, newest first. */
	for (;;) {
		json_object *root, *data, *next;
		snprintf(path, sizeof(path), "/api/v1/jobs?status=queued&limit=2%s%s",
			 cursor[0] ? "&cursor=" : "", cursor);
		t_doc_request("GET", path, a.as[T_VIEWER].access, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		root = json_tokener_parse(r.body);
		cr_assert(json_object_object_get_ex(root, "data", &data));
		for (size_t i = 0; i < json_object_array_length(data); i++) {
			const char *id = str_of(json_object_array_get_idx(data, i), "id");
			cr_assert(!json_object_object_get_ex(seen, id, NULL), "job %s twice", id);
			json_object_object_add(seen, id, json_object_new_boolean(1));
			total++;
		}
		pages++;
		json_object_object_get_ex(root, "next_cursor", &next);
		if (next == NULL) {
			json_object_put(root);
			t_http_free(&r);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_object_get_string(next));
		json_object_put(root);
		t_http_free(&r);
		cr_assert(pages < 10);
	}
	cr_assert_eq(total, 5);
	cr_assert_eq(pages, 3);

	/* A cursor is tied to its filters; bad values are 400s with details. */
	snprintf(path, sizeof(path), "/api/v1/jobs?status=succeeded&cursor=%s", cursor);
	t_doc_request("GET", "/api/v1/jobs?status=bogus", a.as[T_VIEWER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/jobs?limit=0", a.as[T_VIEWER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/jobs?cursor=garbage", a.as[T_VIEWER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/jobs?document_id=nope", a.as[T_VIEWER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	json_object_put(seen);
	json_object_put(ids);
}

static long post_job(const struct t_session *s, const char *id, const char *verb,
		     json_object **job)
{
	char path[160];
	struct http_response r;
	long status;

	snprintf(path, sizeof(path), "/api/v1/jobs/%s/%s", id, verb);
	t_doc_request("POST", path, s ? s->access : NULL, NULL, NULL, &r);
	status = r.status;
	if (job != NULL) {
		json_object *root = json_tokener_parse(r.body), *data = NULL;
		*job = root && json_object_object_get_ex(root, "data", &data) ? json_object_get(data)
									       : NULL;
		json_object_put(root);
	}
	t_http_free(&r);
	return status;
}

Test(jobs_api, cancel_rules)
{
	struct t_team a, b;
	json_object *mine, *admins, *job;

	t_team_setup(&a, "jobs-cancel");
	t_team_setup(&b, "jobs-cancel-b");
	mine = enqueue(&a.as[T_MEMBER], 2, NULL, 5, 3600);
	admins = enqueue(&a.as[T_ADMIN], 1, NULL, 5, 3600);

	cr_assert_eq(post_job(&a.as[T_VIEWER], id_at(mine, 0), "cancel", NULL), 403);
	cr_assert_eq(post_job(&b.as[T_OWNER], id_at(mine, 0), "cancel", NULL), 404);
	cr_assert_eq(post_job(NULL, id_at(mine, 0), "cancel", NULL), 401);
	/* A member cancels their own job, not someone else's. */
	cr_assert_eq(post_job(&a.as[T_MEMBER], id_at(admins, 0), "cancel", NULL), 403);
	cr_assert_eq(post_job(&a.as[T_MEMBER], id_at(mine, 0), "cancel", &job), 200);
	cr_assert_str_eq(str_of(job, "status"), "cancelled");
	cr_assert_not_null(str_of(job, "finished_at"));
	json_object_put(job);
	/* Only queued jobs can be cancelled. */
	cr_assert_eq(post_job(&a.as[T_MEMBER], id_at(mine, 0), "cancel", NULL), 409);
	/* An admin cancels anyone's. */
	cr_assert_eq(post_job(&a.as[T_ADMIN], id_at(mine, 1), "cancel", NULL), 200);
	cr_assert_eq(get_job(&a.as[T_VIEWER], id_at(mine, 1), &job), 200);
	cr_assert_str_eq(str_of(job, "status"), "cancelled");
	json_object_put(job);
	json_object_put(mine);
	json_object_put(admins);
}

Test(jobs_api, retry_rules_and_dead_path)
{
	struct t_team a;
	json_object *ids, *job;
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *res;
	char sql[256];

	t_team_setup(&a, "jobs-retry");
	/* Always failing, three attempts: retried with backoff, then dead. */
	ids = enqueue(&a.as[T_MEMBER], 1, "{\"fail_until\":99}", 3, 0);
	job = wait_job(&a.as[T_VIEWER], id_at(ids, 0), "dead", 30000);
	cr_assert_eq(int_of(job, "attempts"), 3);
	cr_assert(strstr(str_of(job, "error"), "test_failure") != NULL, "%s", str_of(job, "error"));
	cr_assert_not_null(str_of(job, "finished_at"));
	json_object_put(job);
	/* No effect from a failed run. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE action = 'test.job_effect' AND target = '%s'",
		 id_at(ids, 0));
	res = t_pg_ok(c, sql);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "0");
	PQclear(res);

	/* Retry is admin+, for failed or dead jobs only. */
	cr_assert_eq(post_job(&a.as[T_MEMBER], id_at(ids, 0), "retry", NULL), 403);
	cr_assert_eq(post_job(&a.as[T_ADMIN], id_at(ids, 0), "retry", &job), 200);
	cr_assert_str_eq(str_of(job, "status"), "queued");
	cr_assert_eq(int_of(job, "attempts"), 0);
	cr_assert_null(str_of(job, "error"));
	json_object_put(job);
	json_object_put(wait_job(&a.as[T_VIEWER], id_at(ids, 0), "dead", 30000));
	json_object_put(ids);

	/* Fails twice, then succeeds on the third attempt: one effect, result says so. */
	ids = enqueue(&a.as[T_MEMBER], 1, "{\"fail_until\":2}", 5, 0);
	job = wait_job(&a.as[T_VIEWER], id_at(ids, 0), "succeeded", 30000);
	cr_assert_eq(int_of(job, "attempts"), 3);
	{
		json_object *result;
		cr_assert(json_object_object_get_ex(job, "result", &result));
		cr_assert_eq(int_of(result, "attempt"), 3);
	}
	json_object_put(job);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE action = 'test.job_effect' AND target = '%s'",
		 id_at(ids, 0));
	res = t_pg_ok(c, sql);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
	cr_assert_eq(post_job(&a.as[T_OWNER], id_at(ids, 0), "retry", NULL), 409);
	json_object_put(ids);

	/* A permanent failure is failed at once, without retries. */
	ids = enqueue(&a.as[T_MEMBER], 1, "{\"permanent\":true}", 5, 0);
	job = wait_job(&a.as[T_VIEWER], id_at(ids, 0), "failed", 30000);
	cr_assert_eq(int_of(job, "attempts"), 1);
	json_object_put(job);
	json_object_put(ids);
	PQfinish(c);
}

Test(jobs_api, scheduled_jobs_wait_for_run_at)
{
	struct t_team a;
	json_object *ids, *job;
	long long sent;

	t_team_setup(&a, "jobs-sched");
	/* Due in 4 s, looked at 1 s after: 3 s of slack for a slow enqueue and GET. */
	sent = now_ms();
	ids = enqueue(&a.as[T_MEMBER], 1, NULL, 5, 4);
	sleep_ms(1000);
	cr_assert_eq(get_job(&a.as[T_VIEWER], id_at(ids, 0), &job), 200);
	/* Created after `sent`: until 4 s after it, it cannot be due yet. */
	if (now_ms() - sent < 4000)
		cr_assert_str_eq(str_of(job, "status"), "queued");
	else
		cr_log_warn("the GET came %lld ms after the enqueue: its status tells nothing",
		            now_ms() - sent);
	json_object_put(job);
	json_object_put(wait_job(&a.as[T_VIEWER], id_at(ids, 0), "succeeded", 30000));
	json_object_put(ids);
}

/* ---- RLS on jobs ------------------------------------------------------------------------ */

/* As menhir_app in a tenant's context, like a request: returns the SQLSTATE of sql. */
static const char *as_app(PGconn *c, const struct t_session *s, const char *sql, char state[6])
{
	char enter[256];
	PGresult *r;

	PQclear(t_pg_ok(c, "BEGIN"));
	snprintf(enter, sizeof(enter), "SELECT app_enter('%s', '%s', 'viewer')", s->tenant_id,
		 s->user_id);
	r = t_pg_ok(c, enter);
	PQclear(r);
	t_pg_state(c, sql, state);
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	return state;
}

Test(jobs_rls, tenants_and_roles_are_enforced_by_the_database)
{
	struct t_team a, b;
	json_object *ids;
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");
	PGresult *r;
	char sql[512], state[6], enter[256];

	t_team_setup(&a, "jobs-rls");
	t_team_setup(&b, "jobs-rls-b");
	ids = enqueue(&a.as[T_MEMBER], 1, NULL, 5, 3600);

	/* Tenant B sees nothing of A's job, even asking by id without any tenant filter. */
	PQclear(t_pg_ok(c, "BEGIN"));
	snprintf(enter, sizeof(enter), "SELECT app_enter('%s', '%s', 'viewer')",
		 b.as[T_OWNER].tenant_id, b.as[T_OWNER].user_id);
	PQclear(t_pg_ok(c, enter));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE id = '%s'", id_at(ids, 0));
	r = t_pg_ok(c, sql);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	/* … and cannot change it. */
	snprintf(sql, sizeof(sql), "UPDATE jobs SET status = 'cancelled' WHERE id = '%s'",
		 id_at(ids, 0));
	r = t_pg_ok(c, sql);
	cr_assert_str_eq(PQcmdTuples(r), "0");
	PQclear(r);
	PQclear(t_pg_ok(c, "ROLLBACK"));

	/* A viewer cannot queue a job; a member cannot queue one in someone else's name. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO jobs (tenant_id, created_by, kind) VALUES ('%s', '%s', 'test.echo')",
		 a.as[T_VIEWER].tenant_id, a.as[T_VIEWER].user_id);
	cr_assert_str_eq(as_app(c, &a.as[T_VIEWER], sql, state), "42501");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO jobs (tenant_id, created_by, kind) VALUES ('%s', '%s', 'test.echo')",
		 a.as[T_MEMBER].tenant_id, a.as[T_ADMIN].user_id);
	cr_assert_str_eq(as_app(c, &a.as[T_MEMBER], sql, state), "42501");
	/* Nor into another tenant. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO jobs (tenant_id, created_by, kind) VALUES ('%s', '%s', 'test.echo')",
		 b.as[T_OWNER].tenant_id, a.as[T_MEMBER].user_id);
	cr_assert_str_eq(as_app(c, &a.as[T_MEMBER], sql, state), "42501");
	/* The queue's mechanics are not the application's: no lease can be forged. */
	snprintf(sql, sizeof(sql), "UPDATE jobs SET lease_owner = 'x' WHERE id = '%s'",
		 id_at(ids, 0));
	cr_assert_str_eq(as_app(c, &a.as[T_OWNER], sql, state), "42501");
	/* A member cannot cancel another member's job through SQL either (policy). */
	{
		json_object *other = enqueue(&a.as[T_ADMIN], 1, NULL, 5, 3600);
		PQclear(t_pg_ok(c, "BEGIN"));
		snprintf(enter, sizeof(enter), "SELECT app_enter('%s', '%s', 'viewer')",
			 a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id);
		PQclear(t_pg_ok(c, enter));
		snprintf(sql, sizeof(sql), "UPDATE jobs SET status = 'cancelled' WHERE id = '%s'",
			 id_at(other, 0));
		r = t_pg_ok(c, sql);
		cr_assert_str_eq(PQcmdTuples(r), "0");
		PQclear(r);
		PQclear(t_pg_ok(c, "ROLLBACK"));
		json_object_put(other);
	}
	json_object_put(ids);
	PQfinish(c);
}

/* ---- Runners started by the test -------------------------------------------------------- */

/* `menhir work --concurrency 1` with the stack's config; extra "KEY=VALUE" environment
 * (e.g. MENHIR_JOBS_POLL=60) may be NULL. Its output goes to the stack's work-tests.log,
 * which script/test scans for sanitizer reports and secrets like every log. */
/* Every runner a test started, so the test's fini can stop what an aborted test left
 * running (a stray runner would take the next test's jobs). */
#define MAX_TEST_RUNNERS 8
static pid_t test_runners[MAX_TEST_RUNNERS];

static pid_t start_runner(const char *extra_env)
{
	char *argv[] = { (char *)t_env("MENHIR_TEST_BIN"), "--config", (char *)t_env("MENHIR_CONFIG"),
			 "work", "--concurrency", "1", NULL };
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", (char *)extra_env, NULL };
	char logpath[512];
	pid_t pid;

	snprintf(logpath, sizeof(logpath), "%s/work-tests.log", t_env("MENHIR_TEST_STATE"));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		FILE *log = fopen(logpath, "a");
		if (log != NULL) {
			dup2(fileno(log), 1);
			dup2(fileno(log), 2);
		}
		execve(argv[0], argv, envp);
		_exit(127);
	}
	for (int i = 0; i < MAX_TEST_RUNNERS; i++)
		if (test_runners[i] == 0) {
			test_runners[i] = pid;
			break;
		}
	return pid;
}

/* The runner child of a `menhir work` master (its only child), or 0. */
static pid_t runner_child(pid_t master)
{
	char path[64];
	FILE *f;
	int child = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)master, (int)master);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &child) != 1)
		child = 0;
	fclose(f);
	return child;
}

static void forget_runner(pid_t pid)
{
	for (int i = 0; i < MAX_TEST_RUNNERS; i++)
		if (test_runners[i] == pid)
			test_runners[i] = 0;
}

static int exit_status(pid_t pid, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int status;

	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			forget_runner(pid);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	forget_runner(pid);
	return -1;
}

static long long count_sql(PGconn *c, const char *sql);

/* Idle runner sessions: a runner LISTENs right after connecting, before its first claim,
 * so one that is connected and idle is listening. */
static long long count_listeners(void)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	long long n = count_sql(c, "SELECT count(*) FROM pg_stat_activity"
				   " WHERE application_name = 'menhir-work' AND state = 'idle'");
	PQfinish(c);
	return n;
}

/* Waits until the runner has claimed at least once (its master logged its start and the
 * runner is listening): before that, a SIGTERM would find it without its handlers. */
static void wait_runner_ready(pid_t master)
{
	long long end = now_ms() + 15000;

	while (runner_child(master) == 0 ||
	       count_listeners() == 0) {
		cr_assert(now_ms() < end, "the runner did not start");
		sleep_ms(50);
	}
}

static long long count_sql(PGconn *c, const char *sql)
{
	PGresult *r = t_pg_ok(c, sql);
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* The stack's own runners are stopped for these tests so the runners counted are the
 * test's; they are started again at the end, whatever happened. */
static void own_runners(void)
{
	cr_assert_eq(t_stack("work-stop"), 0);
}

static void stack_runners(void)
{
	for (int i = 0; i < MAX_TEST_RUNNERS; i++)
		if (test_runners[i] > 0) {
			kill(test_runners[i], SIGKILL);
			waitpid(test_runners[i], NULL, 0);
			test_runners[i] = 0;
		}
	t_stack("work-start");
}

Test(jobs_work, thousand_jobs_three_runners_one_killed, .init = own_runners,
     .fini = stack_runners, .timeout = 300)
{
	struct t_team a;
	json_object *ids;
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	pid_t runners[3], victim, victim_child = 0;
	char sql[512], owner_like[64], orphan[40] = "";
	long long end;

	t_team_setup(&a, "jobs-1000");
	/* Every 50th job takes 2 s: the victim is killed inside one of those, so its job is
	 * certainly unfinished when it dies. */
	ids = enqueue(&a.as[T_MEMBER], 1000, "{\"sleep_ms\":10,\"slow_every\":50,\"slow_ms\":2000}", 5,
		      0);
	for (int i = 0; i < 3; i++)
		runners[i] = start_runner(NULL);
	victim = runners[1];

	/* Kill the victim while it holds a slow job: wait until 50 jobs are done and the
	 * victim's runner is the lease owner of a running slow job that started less than a
	 * second ago, then SIGKILL its master (the runner dies with it) and remember that job. */
	end = now_ms() + 120000;
	for (;;) {
		PGresult *r;
		cr_assert(now_ms() < end, "the runners made no progress");
		if (victim_child == 0)
			victim_child = runner_child(victim);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM jobs WHERE tenant_id = '%s' AND status = 'succeeded'",
			 a.as[T_MEMBER].tenant_id);
		if (victim_child != 0 && count_sql(c, sql) >= 50) {
			snprintf(owner_like, sizeof(owner_like), "%%:%d", (int)victim_child);
			snprintf(sql, sizeof(sql),
				 "SELECT id FROM jobs WHERE status = 'running' AND lease_owner LIKE '%s'"
				 " AND (payload->>'n')::int %% 50 = 0"
				 " AND updated_at > now() - interval '1 second'",
				 owner_like);
			r = t_pg_ok(c, sql);
			if (PQntuples(r) == 1) {
				snprintf(orphan, sizeof(orphan), "%s", PQgetvalue(r, 0, 0));
				kill(victim, SIGKILL);
				PQclear(r);
				break;
			}
			PQclear(r);
		}
		sleep_ms(5);
	}
	cr_assert_eq(exit_status(victim, 5000), 128 + SIGKILL);

	/* Everything finishes on the two survivors; the orphan once its lease runs out. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM jobs WHERE tenant_id = '%s' AND status = 'succeeded'",
		 a.as[T_MEMBER].tenant_id);
	end = now_ms() + 180000;
	while (count_sql(c, sql) < 1000) {
		cr_assert(now_ms() < end, "only %lld of 1000 jobs succeeded", count_sql(c, sql));
		sleep_ms(200);
	}
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM jobs WHERE tenant_id = '%s' AND status <> 'succeeded'",
		 a.as[T_MEMBER].tenant_id);
	cr_assert_eq(count_sql(c, sql), 0, "no job may end otherwise");

	/* Exactly once in effect: one effect row per job, none missing, none doubled, none for
	 * anything else. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM (SELECT j.id FROM jobs j LEFT JOIN audit_log l"
		 "  ON l.action = 'test.job_effect' AND l.target = j.id::text"
		 " WHERE j.tenant_id = '%s' GROUP BY j.id HAVING count(l.id) <> 1) x",
		 a.as[T_MEMBER].tenant_id);
	cr_assert_eq(count_sql(c, sql), 0, "a job's effect is missing or doubled");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE tenant_id = '%s' AND action = 'test.job_effect'",
		 a.as[T_MEMBER].tenant_id);
	cr_assert_eq(count_sql(c, sql), 1000);
	/* The orphaned job was run again by a survivor after its lease ran out. */
	snprintf(sql, sizeof(sql), "SELECT attempts FROM jobs WHERE id = '%s'", orphan);
	cr_assert_geq(count_sql(c, sql), 2, "the killed runner's job was not retried");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM jobs WHERE id = '%s' AND result->>'attempt' = attempts::text",
		 orphan);
	cr_assert_eq(count_sql(c, sql), 1, "the orphan's result is not its successful run's");

	for (int i = 0; i < 3; i++)
		if (runners[i] != victim) {
			kill(runners[i], SIGTERM);
			cr_assert_eq(exit_status(runners[i], 30000), 0);
		}
	json_object_put(ids);
	PQfinish(c);
}

Test(jobs_work, sigterm_finishes_the_current_job, .init = own_runners, .fini = stack_runners,
     .timeout = 120)
{
	struct t_team a;
	json_object *ids, *job;
	pid_t runner;

	t_team_setup(&a, "jobs-term");
	runner = start_runner(NULL);
	wait_runner_ready(runner);
	/* Long enough that a slow poll still sees it running, and the SIGTERM comes mid-job. */
	ids = enqueue(&a.as[T_MEMBER], 1, "{\"sleep_ms\":5000}", 5, 0);
	json_object_put(wait_job(&a.as[T_VIEWER], id_at(ids, 0), "running", 15000));
	kill(runner, SIGTERM);
	{
		int st = exit_status(runner, 30000);
		cr_assert_eq(st, 0, "the runner exited with %d", st);
	}
	/* Finished, not abandoned: succeeded on its first attempt. */
	cr_assert_eq(get_job(&a.as[T_VIEWER], id_at(ids, 0), &job), 200);
	cr_assert_str_eq(str_of(job, "status"), "succeeded");
	cr_assert_eq(int_of(job, "attempts"), 1);
	json_object_put(job);
	json_object_put(ids);
}

Test(jobs_work, notify_wakes_an_idle_runner, .init = own_runners, .fini = stack_runners,
     .timeout = 120)
{
	struct t_team a;
	json_object *ids;
	pid_t runner;
	long long t0;

	t_team_setup(&a, "jobs-notify");
	/* Polling once a minute: only the NOTIFY can make it pick the job up quickly. */
	runner = start_runner("MENHIR_JOBS_POLL=60");
	wait_runner_ready(runner); /* idle and listening */
	t0 = now_ms();
	ids = enqueue(&a.as[T_MEMBER], 1, NULL, 5, 0);
	/* Well before the next poll (60 s), with room for a loaded machine. */
	json_object_put(wait_job(&a.as[T_VIEWER], id_at(ids, 0), "succeeded", 30000));
	cr_assert_lt(now_ms() - t0, 30000);
	kill(runner, SIGTERM);
	cr_assert_eq(exit_status(runner, 30000), 0);
	json_object_put(ids);
}

Test(jobs_work, periodic_cleanup_runs_and_reschedules, .timeout = 120)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	struct t_team a;
	char sql[1024];
	long long end;

	t_team_setup(&a, "jobs-cleanup");
	/* An idempotency key older than its 24 hours, and a fresh one. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO idempotency_keys (tenant_id, user_id, route, key, body_hash, status, body,"
		 " created_at) VALUES ('%s', '%s', 'r', 'old', sha256('x'), 201, '{}', now() - interval '25 hours'),"
		 " ('%s', '%s', 'r', 'new', sha256('x'), 201, '{}', now())",
		 a.as[T_OWNER].tenant_id, a.as[T_OWNER].user_id, a.as[T_OWNER].tenant_id,
		 a.as[T_OWNER].user_id);
	PQclear(t_pg_ok(c, sql));
	/* There is always exactly one cleanup waiting; make it due now. */
	cr_assert_eq(count_sql(c, "SELECT count(*) FROM jobs WHERE kind = 'system.cleanup'"
				  " AND status IN ('queued', 'running')"),
		     1);
	PQclear(t_pg_ok(c, "UPDATE jobs SET run_at = now() WHERE kind = 'system.cleanup'"
			   " AND status = 'queued'"));
	PQclear(t_pg_ok(c, "NOTIFY menhir_jobs"));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM idempotency_keys WHERE tenant_id = '%s'",
		 a.as[T_OWNER].tenant_id);
	end = now_ms() + 30000;
	while (count_sql(c, sql) != 1) {
		cr_assert(now_ms() < end, "the cleanup did not run");
		sleep_ms(100);
	}
	/* … and the next one is queued, an interval later. */
	end = now_ms() + 10000;
	while (count_sql(c, "SELECT count(*) FROM jobs WHERE kind = 'system.cleanup'"
			    " AND status = 'queued' AND run_at > now() + interval '10 minutes'") != 1) {
		cr_assert(now_ms() < end, "the next cleanup was not scheduled");
		sleep_ms(100);
	}
	/* System jobs belong to no tenant: invisible through the API. */
	{
		struct http_response r;
		t_doc_request("GET", "/api/v1/jobs?limit=100", a.as[T_OWNER].access, NULL, NULL, &r);
		cr_assert_eq(r.status, 200);
		cr_assert_null(strstr(r.body, "system.cleanup"));
		t_http_free(&r);
	}
	PQfinish(c);
}

/* ---- Queue depth in /metrics ----------------------------------------------------------- */

static long long metric(const char *body, const char *name)
{
	const char *at = strstr(body, name);
	return at ? atoll(at + strlen(name)) : -1;
}

Test(jobs_api, queue_depth_is_in_metrics)
{
	struct t_team a;
	struct http_response r;
	json_object *ids;

	t_team_setup(&a, "jobs-depth");
	ids = enqueue(&a.as[T_MEMBER], 3, NULL, 5, 3600);
	t_get_internal("/metrics", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(metric(r.body, "\nmenhir_jobs_depth_up "), 1, "%s", r.body);
	/* Global totals (every tenant's), so at least this test's three. */
	cr_assert_geq(metric(r.body, "\nmenhir_jobs{status=\"queued\"} "), 3);
	cr_assert_geq(metric(r.body, "\nmenhir_jobs{status=\"running\"} "), 0);
	cr_assert_not_null(strstr(r.body, "\nmenhir_jobs_oldest_seconds{status=\"queued\"} "));
	t_http_free(&r);
	json_object_put(ids);
}
