/* fuzz_validate.c - libFuzzer target for the declared-input checker (core/input.c): a JSON
 * body or a query string against fixed declarations, with the problems it reports compared,
 * path by path, to a reference checker written here from the declarations' meaning.
 * Input: a mode byte (even: the rest is a JSON body; odd: a query string), then the text. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/input.h"
#include "core/json.h"
#include "core/module.h"
#include "core/query.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PROBLEMS 64

static struct mh_arena arena;

/* ---- The declarations under test ------------------------------------------------------ */

static const char *const colours[] = {"red", "green", "blue", NULL};

static const struct mh_field tag = {"tag", MH_T_STRING, .min = 1, .max = 3};
static const struct mh_field point_members[] = {
        {"x", MH_T_INTEGER, MH_REQUIRED, .min = -9, .max = 9},
        {0},
};
static const struct mh_field body_members[] = {
        {"title", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 10},
        {"tags", MH_T_ARRAY, MH_UNIQUE, .max = 3, .items = &tag},
        {"point", MH_T_OBJECT, .fields = point_members},
        {"on", MH_T_BOOLEAN, .max = 0},
        {"note", MH_T_STRING, MH_NULLABLE, .max = 5},
        {"colour", MH_T_ENUM, .values = colours},
        {"id", MH_T_UUID, .max = 0},
        {0},
};
static const struct mh_field body = {"Body", MH_T_OBJECT, .min = 1, .fields = body_members};

static const struct mh_field query[] = {
        {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 100, .def = 20},
        {"colour", MH_T_ENUM, .values = colours},
        {"owner_id", MH_T_UUID, .max = 0},
        {"flag", MH_T_BOOLEAN, .max = 0},
        {"tag", MH_T_STRING, MH_REPEATABLE, .min = 1, .max = 5},
        {0},
};

static int h(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	return 0;
}

static const struct mh_route route = {MH_GET,    "/things",    h,
                                      MH_PUBLIC, MH_ROLE_NONE, .query = query};

/* ---- The reference: what the declarations mean, written again ---------------------------- */

struct problems {
	char *field[MAX_PROBLEMS * 2];
	size_t n;
};

static void expect(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void expect(struct problems *p, const char *fmt, ...)
{
	char buf[16384];
	va_list ap;

	if (p->n >= MAX_PROBLEMS * 2)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->field[p->n++] = strdup(buf);
}

static void clear(struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->field[i]);
	p->n = 0;
}

/* Code points of UTF-8 s, or -1 for a C0, DEL or C1 control (U+0080..U+009F). */
static long ref_chars(const unsigned char *s)
{
	long n = 0;

	while (*s) {
		size_t len = fuzz_utf8_seq(s, strlen((const char *)s));
		unsigned long cp;

		if (len == 0)
			return -1; /* the parsers never hand this on */
		cp = len == 1 ? s[0] : len == 2 ? ((s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)) : 0x800;
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return -1;
		n++;
		s += len;
	}
	return n;
}

static int ref_text(const char *s, long min, long max)
{
	long n = ref_chars((const unsigned char *)s);

	return n >= min && n <= max;
}

static int ref_uuid(const char *s)
{
	static const char hexd[] = "0123456789abcdefABCDEF";

	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : strchr(hexd, s[i]) == NULL || s[i] == '\0')
			return 0;
	}
	return 1;
}

static int ref_colour(const char *s)
{
	return strcmp(s, "red") == 0 || strcmp(s, "green") == 0 || strcmp(s, "blue") == 0;
}

/* A decimal integer in [min, max], written as -?[0-9]+. */
static int ref_int(const char *s, long min, long max)
{
	const char *d = s[0] == '-' ? s + 1 : s;
	long v = 0;

	if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
		return 0;
	while (d[0] == '0' && d[1] != '\0')
		d++; /* leading zeros change nothing */
	if (strlen(d) > 10)
		return 0;
	for (; *d; d++)
		v = v * 10 + (*d - '0');
	if (s[0] == '-')
		v = -v;
	return v >= min && v <= max;
}

/* A JSON string without NUL bytes. */
static const char *json_text(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

static void ref_body(struct json_object *o, struct problems *p)
{
	static const char *const names[] = {"title", "tags", "point", "on", "note", "colour", "id"};
	struct json_object *v;
	const char *s;

	json_object_object_foreach(o, key, val)
	{
		size_t k;

		(void)val;
		for (k = 0; k < 7 && strcmp(names[k], key) != 0; k++)
			;
		if (k == 7)
			expect(p, "%s", key[0] ? key : "\"\"");
	}
	if (json_object_object_length(o) == 0)
		expect(p, "$");
	if (!json_object_object_get_ex(o, "title", &v))
		expect(p, "title");
	else if ((s = json_text(v)) == NULL || !ref_text(s, 1, 10))
		expect(p, "title");
	if (json_object_object_get_ex(o, "tags", &v)) {
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > 3) {
			expect(p, "tags");
		} else {
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				struct json_object *e = json_object_array_get_idx(v, i);

				if ((s = json_text(e)) == NULL || !ref_text(s, 1, 3))
					expect(p, "tags[%zu]", i);
				for (size_t j = 0; j < i; j++) {
					const char *t = json_text(json_object_array_get_idx(v, j));
					if (json_object_is_type(e, json_type_string) &&
					    json_object_is_type(json_object_array_get_idx(v, j),
					                        json_type_string) &&
					    json_object_get_string_len(e) ==
					            json_object_get_string_len(
					                    json_object_array_get_idx(v, j)) &&
					    memcmp(json_object_get_string(e),
					           json_object_get_string(
					                   json_object_array_get_idx(v, j)),
					           (size_t)json_object_get_string_len(e)) == 0) {
						(void)t;
						expect(p, "tags[%zu]", i);
						break;
					}
				}
			}
		}
	}
	if (json_object_object_get_ex(o, "point", &v)) {
		struct json_object *x;

		if (!json_object_is_type(v, json_type_object)) {
			expect(p, "point");
		} else {
			json_object_object_foreach(v, pk, pv)
			{
				(void)pv;
				if (strcmp(pk, "x") != 0)
					expect(p, "point.%s", pk[0] ? pk : "\"\"");
			}
			if (!json_object_object_get_ex(v, "x", &x) ||
			    !json_object_is_type(x, json_type_int) ||
			    json_object_get_int64(x) < -9 || json_object_get_int64(x) > 9)
				expect(p, "point.x");
		}
	}
	if (json_object_object_get_ex(o, "on", &v) && !json_object_is_type(v, json_type_boolean))
		expect(p, "on");
	if (json_object_object_get_ex(o, "note", &v) && v != NULL &&
	    ((s = json_text(v)) == NULL || !ref_text(s, 0, 5)))
		expect(p, "note");
	if (json_object_object_get_ex(o, "colour", &v) &&
	    ((s = json_text(v)) == NULL || !ref_colour(s)))
		expect(p, "colour");
	if (json_object_object_get_ex(o, "id", &v) && ((s = json_text(v)) == NULL || !ref_uuid(s)))
		expect(p, "id");
}

static void ref_query(const struct mh_kv *kv, size_t n, struct problems *p)
{
	static const char *const names[] = {"limit", "colour", "owner_id", "flag", "tag"};
	int seen[5] = {0};

	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		size_t d;
		int ok = 1;

		for (d = 0; d < 5 && strcmp(names[d], k) != 0; d++)
			;
		if (d == 5) {
			expect(p, "%s", k[0] ? k : "\"\"");
			continue;
		}
		if (seen[d]++ && d != 4) {
			if (seen[d] == 2)
				expect(p, "%s", k);
			continue;
		}
		switch (d) {
		case 0: ok = ref_int(v, 1, 100); break;
		case 1: ok = ref_colour(v); break;
		case 2: ok = ref_uuid(v); break;
		case 3: ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0; break;
		default: ok = ref_text(v, 1, 5); break;
		}
		if (!ok)
			expect(p, "%s", k);
	}
}

/* ---- Comparing ------------------------------------------------------------------------- */

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void compare(struct problems *want, const struct mh_error_detail *d, size_t n, size_t total,
                    const char *what)
{
	const char *got[MAX_PROBLEMS];

	FUZZ_CHECK(n <= MAX_PROBLEMS && n == (total < MAX_PROBLEMS ? total : MAX_PROBLEMS),
	           "%s: %zu details stored for %zu problems", what, n, total);
	if (total >= MAX_PROBLEMS || want->n >= MAX_PROBLEMS)
		return; /* past the room, only the count's bound holds */
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(d[i].field != NULL && d[i].message != NULL && d[i].message[0] != '\0',
		           "%s: detail %zu without a field or message", what, i);
		got[i] = d[i].field;
	}
	FUZZ_CHECK(n == want->n, "%s: %zu problems, the reference finds %zu (first: %s / %s)", what,
	           n, want->n, n ? got[0] : "-", want->n ? want->field[0] : "-");
	qsort(got, n, sizeof(got[0]), by_string);
	qsort(want->field, want->n, sizeof(want->field[0]), by_string);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(got[i], want->field[i]) == 0, "%s: problem at %s, reference %s",
		           what, got[i], want->field[i]);
}

static void check_body(const char *text, size_t len)
{
	struct mh_error_detail d[MAX_PROBLEMS], again[MAX_PROBLEMS];
	struct problems want = {.n = 0};
	const char *err = NULL, *field = NULL;
	struct json_object *o = mh_json_parse(&arena, text, len, &err, &field);
	size_t n = 0, n2 = 0, total, total2;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return; /* the dispatcher answers 400 invalid_json before any declaration */
	total = mh_input_check_json(&arena, &body, o, d, MAX_PROBLEMS, &n);
	total2 = mh_input_check_json(&arena, &body, o, again, MAX_PROBLEMS, &n2);
	FUZZ_CHECK(total == total2 && n == n2, "two checks of one body disagree");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(d[i].field, again[i].field) == 0, "two checks disagree on %s",
		           d[i].field);
	ref_body(o, &want);
	compare(&want, d, n, total, "body");
	clear(&want);
}

static void check_query(const char *text, size_t len)
{
	char *qs = strndup(text, len);
	struct mh_request req;
	struct mh_response res;
	struct mh_input_plan plan;
	struct problems want = {.n = 0};
	const char *err = NULL;
	char e[256];
	int nq, rc;

	if (qs == NULL || strlen(qs) != len) {
		free(qs);
		return; /* a NUL never reaches QUERY_STRING */
	}
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.arena = &arena;
	req.route = &route;
	req.request_id = "fuzz";
	mh_buf_init(&res.body, &arena, 1024);
	FUZZ_CHECK(mh_input_plan(&route, &plan, e, sizeof(e)) == 0, "plan: %s", e);
	nq = mh_query_parse(&arena, qs, &req.query, &err);
	free(qs);
	if (nq < 0)
		return; /* the dispatcher answers 400 bad_request */
	req.nquery = (size_t)nq;
	rc = mh_input_check_or_reply(&req, &res, &plan);
	ref_query(req.query, req.nquery, &want);
	if (rc == 1) {
		FUZZ_CHECK(want.n == 0, "query accepted, the reference finds %zu problems (%s)",
		           want.n, want.field[0]);
		if (mh_in_query(&req, 0)->present)
			FUZZ_CHECK(mh_in_query(&req, 0)->i == atol(mh_in_query(&req, 0)->s),
			           "limit read as %lld from \"%s\"", mh_in_query(&req, 0)->i,
			           mh_in_query(&req, 0)->s);
		else
			FUZZ_CHECK(mh_in_query(&req, 0)->i == 20, "limit's default not applied");
		size_t tags = 0;

		for (size_t i = 0; i < req.nquery; i++)
			tags += strcmp(req.query[i].key, "tag") == 0;
		FUZZ_CHECK(mh_in_query(&req, 4)->n == tags, "%zu tags kept of %zu",
		           mh_in_query(&req, 4)->n, tags);
		for (size_t i = 0, k = 0; i < req.nquery; i++)
			if (strcmp(req.query[i].key, "tag") == 0)
				FUZZ_CHECK(strcmp(mh_in_query(&req, 4)->each[k++].s,
				                  req.query[i].value) == 0,
				           "tag %zu out of order", k);
	} else {
		struct json_object *root = json_tokener_parse(mh_buf_cstr(&res.body)), *dl;
		struct mh_error_detail d[MAX_PROBLEMS];
		size_t n = 0;

		FUZZ_CHECK(rc == 0 && res.status == 400, "query refused with rc %d status %d", rc,
		           res.status);
		FUZZ_CHECK(root != NULL && json_object_object_get_ex(root, "details", &dl),
		           "a 400 without details: %s", mh_buf_cstr(&res.body));
		for (size_t i = 0; i < json_object_array_length(dl) && n < MAX_PROBLEMS; i++, n++) {
			struct json_object *x = json_object_array_get_idx(dl, i), *f, *m;
			json_object_object_get_ex(x, "field", &f);
			json_object_object_get_ex(x, "message", &m);
			d[n].field = mh_arena_strdup(&arena, json_object_get_string(f));
			d[n].message = mh_arena_strdup(&arena, json_object_get_string(m));
		}
		/* The answer lists at most 32; the reference's count bounds it. */
		if (want.n <= 32)
			compare(&want, d, n, n, "query");
		else
			FUZZ_CHECK(n == 32, "%zu details for more than 32 problems", n);
		json_object_put(root);
	}
	clear(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (arena.first == NULL && mh_arena_init(&arena, 64 * 1024) < 0)
		abort();
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		check_body((const char *)data + 1, size - 1);
	else
		check_query((const char *)data + 1, size - 1);
	mh_arena_reset(&arena);
	return 0;
}
