/* text.c - the processing features' tokenizer: code points, words, sentences, paragraphs,
 * case folding, stop words and term counts (the rules are in text.h). */
#include "modules/processing/text.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

struct range {
	uint32_t lo, hi;
};

/* Non-ASCII code points that separate words: punctuation, symbols, emoji, controls, private
 * use and the like. Sorted; everything else above U+007F counts as a letter, so a script
 * this table does not know still splits on spaces and ASCII punctuation. */
static const struct range not_letters[] = {
        {0x0080, 0x00A9},   {0x00AB, 0x00B4},   {0x00B6, 0x00B9},    {0x00BB, 0x00BF},
        {0x00D7, 0x00D7},   {0x00F7, 0x00F7},   {0x037E, 0x037E},    {0x0387, 0x0387},
        {0x0482, 0x0482},   {0x055A, 0x055F},   {0x0589, 0x058A},    {0x05BE, 0x05BE},
        {0x05C0, 0x05C0},   {0x05C3, 0x05C3},   {0x05C6, 0x05C6},    {0x05F3, 0x05F4},
        {0x0600, 0x060F},   {0x061B, 0x061F},   {0x066A, 0x066D},    {0x06D4, 0x06D4},
        {0x0964, 0x0965},   {0x0970, 0x0970},   {0x0E3F, 0x0E3F},    {0x0E4F, 0x0E4F},
        {0x0E5A, 0x0E5B},   {0x10FB, 0x10FB},   {0x1360, 0x1368},    {0x2000, 0x2BFF},
        {0x2E00, 0x2E7F},   {0x3000, 0x303F},   {0x30FB, 0x30FB},    {0xD800, 0xF8FF},
        {0xFE00, 0xFE1F},   {0xFE30, 0xFE6F},   {0xFEFF, 0xFEFF},    {0xFF00, 0xFF0F},
        {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},   {0xFF5B, 0xFF65},    {0xFFF0, 0xFFFF},
        {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
};

static const struct range spaces[] = {
        {0x0085, 0x0085}, {0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200A},
        {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

/* Han: CJK unified ideographs and their extensions and compatibility forms. */
static const struct range ideographs[] = {
        {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},
        {0xF900, 0xFAFF},
        {0x20000, 0x3134F},
};

/* Sorted by bytes (strcmp order), for bsearch. */
static const char *const stop_words[] = {
        "a",       "about",     "above",    "after",     "again",    "against",    "all",
        "also",    "am",        "an",       "and",       "any",      "are",        "aren't",
        "as",      "at",        "be",       "because",   "been",     "before",     "being",
        "below",   "between",   "both",     "but",       "by",       "can",        "can't",
        "cannot",  "could",     "couldn't", "did",       "didn't",   "do",         "does",
        "doesn't", "doing",     "don't",    "down",      "during",   "each",       "few",
        "for",     "from",      "further",  "get",       "got",      "had",        "hadn't",
        "has",     "hasn't",    "have",     "haven't",   "having",   "he",         "he'd",
        "he'll",   "he's",      "her",      "here",      "here's",   "hers",       "herself",
        "him",     "himself",   "his",      "how",       "how's",    "i",          "i'd",
        "i'll",    "i'm",       "i've",     "if",        "in",       "into",       "is",
        "isn't",   "it",        "it's",     "its",       "itself",   "just",       "let's",
        "like",    "may",       "me",       "might",     "more",     "most",       "must",
        "mustn't", "my",        "myself",   "no",        "nor",      "not",        "of",
        "off",     "on",        "once",     "one",       "only",     "or",         "other",
        "ought",   "our",       "ours",     "ourselves", "out",      "over",       "own",
        "same",    "shall",     "shan't",   "she",       "she'd",    "she'll",     "she's",
        "should",  "shouldn't", "so",       "some",      "such",     "than",       "that",
        "that's",  "the",       "their",    "theirs",    "them",     "themselves", "then",
        "there",   "there's",   "these",    "they",      "they'd",   "they'll",    "they're",
        "they've", "this",      "those",    "through",   "to",       "too",        "two",
        "under",   "until",     "up",       "us",        "very",     "was",        "wasn't",
        "we",      "we'd",      "we'll",    "we're",     "we've",    "were",       "weren't",
        "what",    "what's",    "when",     "when's",    "where",    "where's",    "which",
        "while",   "who",       "who's",    "whom",      "why",      "why's",      "will",
        "with",    "won't",     "would",    "wouldn't",  "you",      "you'd",      "you'll",
        "you're",  "you've",    "your",     "yours",     "yourself", "yourselves",
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int in_ranges(const struct range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int text_valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		size_t n = mh_utf8_seq_len(s + i, len - i);

		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

size_t text_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n = mh_utf8_seq_len(s, avail);

	if (n == 0)
		return 0;
	if (n == 1)
		*cp = s[0];
	else if (n == 2)
		*cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	else if (n == 3)
		*cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	else
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	return n;
}

enum text_class text_classify(uint32_t cp)
{
	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9'))
			return TEXT_LETTER;
		if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
			return TEXT_SPACE;
		return TEXT_OTHER;
	}
	if (in_ranges(spaces, NELEMS(spaces), cp))
		return TEXT_SPACE;
	if (in_ranges(ideographs, NELEMS(ideographs), cp))
		return TEXT_IDEOGRAPH;
	if (in_ranges(not_letters, NELEMS(not_letters), cp))
		return TEXT_OTHER;
	return TEXT_LETTER;
}

uint32_t text_fold(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		return cp + 0x20;
	if (cp >= 0x0100 && cp <= 0x017F) {
		/* Latin Extended-A pairs capitals with the next code point, with the parity
		 * switching at U+0139 and back at U+014A. */
		if (cp == 0x0130)
			return 'i';
		if (cp == 0x0178)
			return 0xFF;
		if (cp == 0x017F)
			return 's';
		if ((cp <= 0x0137 && cp != 0x0131) || (cp >= 0x014A && cp <= 0x0177))
			return cp % 2 == 0 ? cp + 1 : cp;
		if ((cp >= 0x0139 && cp <= 0x0148) || (cp >= 0x0179 && cp <= 0x017E))
			return cp % 2 == 1 ? cp + 1 : cp;
		return cp;
	}
	if ((cp >= 0x0391 && cp <= 0x03A1) || (cp >= 0x03A3 && cp <= 0x03AB))
		return cp + 0x20;
	if (cp == 0x03C2)
		return 0x03C3;
	if (cp >= 0x0410 && cp <= 0x042F)
		return cp + 0x20;
	if (cp >= 0x0400 && cp <= 0x040F)
		return cp + 0x50;
	if (cp == 0x1E9E)
		return 0xDF;
	return cp;
}

/* The code point at s[pos] (a broken sequence reads as one U+FFFD byte, so a caller that
 * skipped validation still terminates). */
static size_t cp_at(const char *s, size_t len, size_t pos, uint32_t *cp)
{
	size_t n = text_decode((const unsigned char *)s + pos, len - pos, cp);

	if (n == 0) {
		*cp = 0xFFFD;
		n = 1;
	}
	return n;
}

static enum text_class class_at(const char *s, size_t len, size_t pos, size_t *n)
{
	uint32_t cp;

	*n = cp_at(s, len, pos, &cp);
	return text_classify(cp);
}

static int is_digit_at(const char *s, size_t len, size_t pos)
{
	return pos < len && s[pos] >= '0' && s[pos] <= '9';
}

/* Length of the apostrophe at s[pos] (' or U+2019), 0 if none. */
static size_t apostrophe_at(const char *s, size_t len, size_t pos)
{
	if (pos < len && s[pos] == '\'')
		return 1;
	if (len - pos >= 3 && memcmp(s + pos, "\xE2\x80\x99", 3) == 0)
		return 3;
	return 0;
}

int text_next_word(const char *s, size_t len, size_t *pos, struct text_span *word)
{
	size_t p = *pos, n;

	while (p < len) {
		enum text_class c = class_at(s, len, p, &n);

		if (c == TEXT_IDEOGRAPH) {
			word->start = p;
			word->end = p + n;
			*pos = p + n;
			return 1;
		}
		if (c != TEXT_LETTER) {
			p += n;
			continue;
		}
		word->start = p;
		for (p += n; p < len;) {
			size_t m, joiner;

			if (class_at(s, len, p, &m) == TEXT_LETTER) {
				p += m;
				continue;
			}
			/* Inside-word joiners: don't, l’été, 3.14, 1,000. */
			if ((joiner = apostrophe_at(s, len, p)) > 0 && p + joiner < len &&
			    class_at(s, len, p + joiner, &m) == TEXT_LETTER) {
				p += joiner + m;
				continue;
			}
			if ((s[p] == '.' || s[p] == ',') && is_digit_at(s, len, p - 1) &&
			    is_digit_at(s, len, p + 1)) {
				p += 2;
				continue;
			}
			break;
		}
		word->end = p;
		*pos = p;
		return 1;
	}
	*pos = len;
	return 0;
}

static size_t put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t text_fold_word(const char *s, struct text_span w, char *out)
{
	size_t o = 0;

	for (size_t p = w.start; p < w.end;) {
		uint32_t cp;

		p += cp_at(s, w.end, p, &cp);
		/* The typographic apostrophe is the ASCII one for the stop words' sake. */
		o += put_utf8(cp == 0x2019 ? '\'' : text_fold(cp), out + o);
	}
	return o;
}

/* A quote or bracket that may close a sentence after its terminator. */
static int is_closer(uint32_t cp)
{
	return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x00BB || cp == 0x2019 ||
	       cp == 0x201D || cp == 0x300D || cp == 0x300F || cp == 0xFF09;
}

/* When a blank line starts at pos (the rest of this line and the next are white space),
 * the offset past the newline that ends the blank one; else 0. */
static size_t blank_line_end(const char *s, size_t len, size_t pos)
{
	size_t p = pos, newlines = 0, n;

	while (p < len && class_at(s, len, p, &n) == TEXT_SPACE) {
		if (s[p] == '\n' || (s[p] == '\r' && (p + 1 >= len || s[p + 1] != '\n')))
			newlines++;
		p += n;
		if (newlines == 2)
			return p;
	}
	return 0;
}

/* The end of the raw sentence that starts at pos: just past its terminator and closers, at
 * a blank line, or at len. */
static size_t sentence_end(const char *s, size_t len, size_t pos)
{
	size_t p = pos, n;
	uint32_t cp;

	while (p < len) {
		n = cp_at(s, len, p, &cp);
		if (cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F)
			return p + n;
		if ((cp == '\n' || cp == '\r') && blank_line_end(s, len, p) > 0)
			return p;
		if (cp != '.' && cp != '!' && cp != '?') {
			p += n;
			continue;
		}
		while (p < len && (s[p] == '.' || s[p] == '!' || s[p] == '?'))
			p++;
		while (p < len && (n = cp_at(s, len, p, &cp)) > 0 && is_closer(cp))
			p += n;
		if (p >= len || class_at(s, len, p, &n) == TEXT_SPACE)
			return p;
	}
	return len;
}

int text_next_sentence(const char *s, size_t len, size_t *pos, struct text_span *sentence)
{
	size_t p = *pos, n;

	while (p < len) {
		size_t end, w;
		struct text_span word;

		while (p < len && class_at(s, len, p, &n) == TEXT_SPACE)
			p += n;
		if (p >= len)
			break;
		end = sentence_end(s, len, p);
		sentence->start = p;
		sentence->end = end;
		/* A sentence cut at a blank line or the end keeps no trailing white space. */
		while (sentence->end > sentence->start &&
		       (s[sentence->end - 1] == ' ' ||
		        (s[sentence->end - 1] >= 0x09 && s[sentence->end - 1] <= 0x0D)))
			sentence->end--;
		p = end;
		w = sentence->start;
		if (text_next_word(s, sentence->end, &w, &word)) {
			*pos = p;
			return 1;
		}
	}
	*pos = len;
	return 0;
}

size_t text_paragraphs(const char *s, size_t len)
{
	size_t count = 0, p = 0, n;
	int in_paragraph = 0, line_blank = 1;

	while (p <= len) {
		int eol = p == len || s[p] == '\n' || s[p] == '\r';

		if (eol) {
			if (!line_blank && !in_paragraph)
				count++;
			in_paragraph = !line_blank;
			line_blank = 1;
			if (p == len)
				break;
			/* \r\n is one line end. */
			p += (s[p] == '\r' && p + 1 < len && s[p + 1] == '\n') ? 2 : 1;
			continue;
		}
		if (class_at(s, len, p, &n) != TEXT_SPACE)
			line_blank = 0;
		p += n;
	}
	return count;
}

struct word_key {
	const char *s;
	size_t n;
};

static int compare_stop(const void *key, const void *elem)
{
	const struct word_key *k = key;
	const char *w = *(const char *const *)elem;
	size_t wl = strlen(w);
	int c = memcmp(k->s, w, k->n < wl ? k->n : wl);

	if (c != 0)
		return c;
	return k->n < wl ? -1 : k->n > wl;
}

int text_is_stop_word(const char *folded, size_t n)
{
	struct word_key k = {folded, n};

	return bsearch(&k, stop_words, NELEMS(stop_words), sizeof(stop_words[0]), compare_stop) !=
	       NULL;
}

int text_is_term(const char *folded, size_t n)
{
	size_t p = 0, m, cps = 0;
	int letter = 0, ideograph = 0;

	if (text_is_stop_word(folded, n))
		return 0;
	while (p < n) {
		uint32_t cp;

		p += (m = cp_at(folded, n, p, &cp));
		cps++;
		if (text_classify(cp) == TEXT_IDEOGRAPH)
			ideograph = 1;
		else if (!(cp >= '0' && cp <= '9') && text_classify(cp) == TEXT_LETTER)
			letter = 1;
	}
	return ideograph || (letter && cps > 1);
}

/* ---- Term counts ----------------------------------------------------------------------- */

#define TERMS_INITIAL 1024

/* FNV-1a: fast, and good enough for words. */
static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

int text_terms_init(struct text_terms *t, struct mh_arena *a)
{
	t->arena = a;
	t->cap = TERMS_INITIAL;
	t->count = 0;
	t->slots = mh_arena_calloc(a, t->cap, sizeof(*t->slots));
	return t->slots == NULL ? -1 : 0;
}

static struct text_term *slot_for(struct text_term *slots, size_t cap, const char *s, size_t n)
{
	size_t i = (size_t)hash(s, n) & (cap - 1);

	while (slots[i].s != NULL && (slots[i].len != n || memcmp(slots[i].s, s, n) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Doubles the table; the old one stays in the arena until its reset. */
static int grow(struct text_terms *t)
{
	size_t cap = t->cap * 2;
	struct text_term *slots = mh_arena_calloc(t->arena, cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].s != NULL)
			*slot_for(slots, cap, t->slots[i].s, t->slots[i].len) = t->slots[i];
	t->slots = slots;
	t->cap = cap;
	return 0;
}

struct text_term *text_terms_add(struct text_terms *t, const char *s, size_t n)
{
	struct text_term *e;

	if ((t->count + 1) * 2 > t->cap && grow(t) < 0)
		return NULL;
	e = slot_for(t->slots, t->cap, s, n);
	if (e->s == NULL) {
		if ((e->s = mh_arena_strndup(t->arena, s, n)) == NULL)
			return NULL;
		e->len = (uint32_t)n;
		t->count++;
	}
	e->count++;
	return e;
}

const struct text_term *text_terms_find(const struct text_terms *t, const char *s, size_t n)
{
	const struct text_term *e = slot_for(t->slots, t->cap, s, n);

	return e->s == NULL ? NULL : e;
}

int text_count_terms(const char *s, size_t len, struct mh_arena *a, struct text_terms *t)
{
	char *folded = mh_arena_alloc(a, len + 1);
	struct text_span w;
	size_t pos = 0;

	if (folded == NULL || text_terms_init(t, a) < 0)
		return -1;
	while (text_next_word(s, len, &pos, &w)) {
		size_t n = text_fold_word(s, w, folded);

		if (text_is_term(folded, n) && text_terms_add(t, folded, n) == NULL)
			return -1;
	}
	return 0;
}
