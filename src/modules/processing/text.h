/* text.h - the small UTF-8-aware tokenizer the processing features share: code points,
 * words, sentences, paragraphs, case folding, the English stop words, and a term counter.
 *
 * The rules, chosen to be predictable rather than linguistically complete:
 * - Words are runs of letters and digits. ASCII letters and digits, every non-ASCII code
 *   point outside a table of known punctuation, symbol, space and emoji ranges (so é, ß,
 *   Cyrillic, Greek, kana, Hangul, combining marks) are letters. An apostrophe (' or U+2019)
 *   between two letters, and a '.' or ',' between two ASCII digits, stay inside the word
 *   ("don't", "3.14", "1,000"). Han ideographs have no spaces between words and no dictionary
 *   here, so each one is a word of its own.
 * - A sentence ends after a run of '.', '!' or '?' (and any closing quotes or brackets) that
 *   is followed by white space or the end, after the ideographic terminators 。！？, and at a
 *   blank line; a sentence without a word is not one.
 * - Paragraphs are groups of non-blank lines separated by blank lines (only white space).
 * - Case folding is simple (one code point to one): ASCII, Latin-1, Latin Extended-A, Greek
 *   and Cyrillic capitals to small letters, ẞ to ß, ſ to s, final sigma to sigma. No
 *   normalisation: a precomposed é and e + U+0301 are different terms.
 * Every function expects well-formed UTF-8 (text_valid_utf8 first); NUL is well-formed and is
 * a separator like any control character. */
#ifndef PROCESSING_TEXT_H
#define PROCESSING_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Reading speed behind the stats feature's reading time. */
#define TEXT_WORDS_PER_MINUTE 200

enum text_class {
	TEXT_SPACE,     /* white space, including the Unicode spaces */
	TEXT_LETTER,    /* part of a word */
	TEXT_IDEOGRAPH, /* a word by itself (Han) */
	TEXT_OTHER,     /* punctuation, symbols, emoji, controls */
};

/* A byte range [start, end) of a text. */
struct text_span {
	size_t start;
	size_t end;
};

/* 1 when s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF; NUL allowed). */
int text_valid_utf8(const char *s, size_t len);

/* Decodes the code point at s (avail bytes left) into *cp; returns its length, or 0 when
 * it is not a well-formed sequence. */
size_t text_decode(const unsigned char *s, size_t avail, uint32_t *cp);

enum text_class text_classify(uint32_t cp);

/* The simple case folding of cp (itself when it has none). */
uint32_t text_fold(uint32_t cp);

/* The next word of s[0..len) at or after *pos: its span; *pos moves past it. Returns 1, or
 * 0 when there is none left. */
int text_next_word(const char *s, size_t len, size_t *pos, struct text_span *word);

/* Writes the case-folded word s[w] to out, which has room for w.end - w.start bytes (folding
 * never lengthens a word); returns the folded length. */
size_t text_fold_word(const char *s, struct text_span w, char *out);

/* The next sentence of s[0..len) at or after *pos, trimmed of white space; *pos moves past
 * it. Sentences without a word are skipped. Returns 1, or 0 when there is none left. */
int text_next_sentence(const char *s, size_t len, size_t *pos, struct text_span *sentence);

/* Number of paragraphs (groups of non-blank lines) in s[0..len). */
size_t text_paragraphs(const char *s, size_t len);

/* 1 when the folded word is in the English stop-word list. */
int text_is_stop_word(const char *folded, size_t n);

/* 1 when a folded word is worth counting as a term (keywords, summary scores): not a stop
 * word, has a letter, and is more than one code point unless it is an ideograph. */
int text_is_term(const char *folded, size_t n);

/* Counts of distinct folded terms: an open-addressing hash table in an arena. */
struct text_term {
	const char *s; /* NULL: an empty slot */
	uint32_t len;
	uint32_t count;
};
struct text_terms {
	struct mh_arena *arena;
	struct text_term *slots;
	size_t cap; /* a power of two */
	size_t count;
};

/* Returns 0, or -1 when the arena is exhausted. */
int text_terms_init(struct text_terms *t, struct mh_arena *a);
/* Adds one occurrence of s[0..n) (copied on first sight). NULL when the arena is exhausted. */
struct text_term *text_terms_add(struct text_terms *t, const char *s, size_t n);
/* The term s[0..n) or NULL. */
const struct text_term *text_terms_find(const struct text_terms *t, const char *s, size_t n);

/* Counts every term (text_is_term, case-folded) of s[0..len) into t, which it initialises.
 * Returns 0, or -1 when the arena is exhausted. */
int text_count_terms(const char *s, size_t len, struct mh_arena *a, struct text_terms *t);

#endif
