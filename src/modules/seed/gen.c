/* gen.c - the seed's document generator: deterministic rows in COPY text format.
 *
 * The same seed gives the same titles, bodies, tags and statuses every run (ids and
 * timestamps follow the clock). Rows come out oldest first, one stream per tenant, so a
 * tenant's documents are the same whether one connection loads them or several load
 * contiguous slices of the stream. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "modules/seed/internal.h"

#define DAY_US (86400LL * 1000000LL)

/* A line being written into a caller's buffer of at least SEED_ROW_MAX bytes. */
struct line {
	char *buf;
	size_t len;
	uint64_t salt;
};

/* xorshift64*: fast, and deterministic for a given seed (unlike the kernel's random). */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(uint64_t *s, unsigned n)
{
	return (unsigned)((rnd_next(s) >> 33) % n);
}

static const char *const words[] = {
        "account",    "agenda",    "analysis",  "annual",      "approval",   "archive",
        "audit",      "backlog",   "budget",    "calendar",    "campaign",   "client",
        "compliance", "contract",  "customer",  "dashboard",   "deadline",   "delivery",
        "design",     "draft",     "estimate",  "feedback",    "finance",    "forecast",
        "guideline",  "handbook",  "hiring",    "incident",    "invoice",    "kickoff",
        "launch",     "legal",     "logistics", "maintenance", "marketing",  "meeting",
        "metrics",    "migration", "milestone", "minutes",     "onboarding", "operations",
        "outline",    "partner",   "payroll",   "plan",        "policy",     "pricing",
        "priority",   "procedure", "product",   "project",     "proposal",   "quarterly",
        "release",    "renewal",   "report",    "request",     "research",   "review",
        "risk",       "roadmap",   "sales",     "schedule",    "security",   "service",
        "summary",    "supplier",  "support",   "survey",      "strategy",   "team",
        "template",   "timeline",  "training",  "travel",      "update",     "vendor",
        "warehouse",  "weekly",    "workflow",  "workshop",    "the",        "for",
        "and",        "with",      "of",        "our",         "new",        "next",
        "team's",     "regional",  "internal",  "external",    "final",      "revised",
        "shared",     "open",      "pending",   "approved",    "north",      "south",
        "east",       "west",      "q1",        "q2",          "q3",         "q4",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const tags[] = {
        "finance",     "hr",       "legal",    "sales",  "marketing", "ops",
        "engineering", "design",   "urgent",   "review", "archive",   "customer",
        "vendor",      "internal", "q1",       "q2",     "q3",        "q4",
        "draft",       "board",    "security", "travel", "product",   "support",
};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

/* The generator's text never holds a tab, newline or backslash, so no COPY escaping is
 * needed; room is checked once per row (a row is far below 4 KiB). */
static void out_str(struct line *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* n words, the first capitalised (titles and sentences). */
static void out_words(struct line *o, uint64_t *s, unsigned n)
{
	size_t start = o->len;

	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			o->buf[o->len++] = ' ';
		out_str(o, words[rnd_below(s, NWORDS)]);
	}
	if (o->buf[start] >= 'a' && o->buf[start] <= 'z')
		o->buf[start] = (char)(o->buf[start] - 'a' + 'A');
}

/* One COPY line: id, owner_id, title, body, tags, status, created_at. */
static void out_document(struct line *o, uint64_t *s, const char *const owners[3],
                         long long created_us)
{
	unsigned pick = rnd_below(s, 10), ntags = rnd_below(s, 4), sentences = 2 + rnd_below(s, 3);
	unsigned used = 0;
	time_t secs = (time_t)(created_us / 1000000);
	struct tm tm;
	char ts[48];

	/* The id: a UUIDv7 of created_at (48 bits of milliseconds, then the microseconds in
	 * rand_a, random rand_b). Rows arrive oldest first, so the primary key and the
	 * (tenant_id, id) index grow at their right edge instead of taking a random page per
	 * row: a third less time for a million rows. */
	{
		uint64_t ms = (uint64_t)created_us / 1000, b = rnd_next(s) ^ o->salt;
		unsigned us = (unsigned)(created_us % 1000);
		o->len += (size_t)sprintf(o->buf + o->len, "%08llx-%04llx-7%03x-%04llx-%012llx\t",
		                          (unsigned long long)(ms >> 16),
		                          (unsigned long long)(ms & 0xFFFF), us * 4,
		                          (unsigned long long)(0x8000 | ((b >> 48) & 0x3FFF)),
		                          (unsigned long long)(b & 0xFFFFFFFFFFFFULL));
	}
	/* Owners: half the documents the member's, three tenths the admin's, the rest the
	 * owner's, so "own documents" rules have something to bite on. */
	out_str(o, owners[pick < 5 ? 2 : pick < 8 ? 1 : 0]);
	o->buf[o->len++] = '\t';
	out_words(o, s, 3 + rnd_below(s, 5));
	o->buf[o->len++] = '\t';
	for (unsigned i = 0; i < sentences; i++) {
		if (i > 0)
			o->buf[o->len++] = ' ';
		out_words(o, s, 6 + rnd_below(s, 10));
		o->buf[o->len++] = '.';
	}
	o->buf[o->len++] = '\t';
	o->buf[o->len++] = '{';
	for (unsigned i = 0; i < ntags; i++) {
		unsigned t = rnd_below(s, NTAGS);
		if (used & (1u << t))
			continue; /* tags are a set */
		if (used)
			o->buf[o->len++] = ',';
		used |= 1u << t;
		out_str(o, tags[t]);
	}
	o->buf[o->len++] = '}';
	o->buf[o->len++] = '\t';
	pick = rnd_below(s, 10);
	out_str(o, pick < 6 ? "published" : pick < 9 ? "draft" : "archived");
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "\t%Y-%m-%d %H:%M:%S", &tm);
	out_str(o, ts);
	o->len += (size_t)sprintf(o->buf + o->len, ".%06lld+00\n", created_us % 1000000);
}

void seed_gen_init(struct seed_gen *g, uint64_t seed, long count, long long now_us)
{
	long long span = 365 * DAY_US;

	g->state = seed;
	/* The ids' random bits must differ between runs, or two runs in the same second
	 * would make the same ids; the rest of the stream stays as the seed says. */
	if (getrandom(&g->salt, sizeof(g->salt), 0) != (ssize_t)sizeof(g->salt))
		g->salt = (uint64_t)now_us ^ (uint64_t)getpid() << 32;
	g->count = count;
	g->start_us = now_us - span;
	g->step_us = count > 0 ? span / count : 0;
	g->next = 0;
}

/* A year of history, oldest first; the jitter stays below the step, so timestamps strictly
 * increase and keyset pages never tie. */
size_t seed_gen_row(struct seed_gen *g, const char *const owners[3], char *buf)
{
	struct line o = {buf, 0, g->salt};
	long long step = g->step_us;
	unsigned jitter =
	        step > 1 ? rnd_below(&g->state, step > 1000000 ? 1000000u : (unsigned)step) : 0;

	out_document(&o, &g->state, owners, g->start_us + g->next * step + jitter);
	g->next++;
	return o.len;
}
