/* sf.c - RFC 8941 structured field Lists, parsed as section 4.2 of the RFC says. */
#include "sf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct in {
	const char *p;
};

static int is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* tchar of RFC 9110, plus ":" and "/" as sf-token allows. */
static int is_token_char(char c)
{
	return c != '\0' && (is_alpha(c) || is_digit(c) || strchr("!#$%&'*+-.^_`|~:/", c) != NULL);
}

static void skip_sp(struct in *in)
{
	while (*in->p == ' ')
		in->p++;
}

static void skip_ows(struct in *in)
{
	while (*in->p == ' ' || *in->p == '\t')
		in->p++;
}

static int parse_number(struct in *in, struct t_sf_bare *out)
{
	char buf[32];
	size_t n = 0;
	int decimal = 0, sign = 1;
	const char *dot = NULL;

	if (*in->p == '-') {
		sign = -1;
		in->p++;
	}
	if (!is_digit(*in->p))
		return -1;
	while (is_digit(*in->p) || (*in->p == '.' && !decimal)) {
		if (*in->p == '.') {
			if (n > 12)
				return -1;
			decimal = 1;
			dot = in->p;
		}
		if (n + 1 >= sizeof(buf))
			return -1;
		buf[n++] = *in->p++;
		if (!decimal && n > 15)
			return -1;
		if (decimal && n > 16)
			return -1;
	}
	buf[n] = '\0';
	if (decimal) {
		size_t frac = (size_t)(in->p - dot) - 1;

		if (frac < 1 || frac > 3)
			return -1;
		out->type = T_SF_DECIMAL;
		out->decimal = sign * strtod(buf, NULL);
	} else {
		out->type = T_SF_INTEGER;
		out->integer = sign * strtoll(buf, NULL, 10);
	}
	return 0;
}

static int parse_string(struct in *in, struct t_sf_bare *out)
{
	size_t n = 0;

	in->p++; /* the opening DQUOTE */
	for (;;) {
		char c = *in->p++;

		if (c == '\0')
			return -1;
		if (c == '\\') {
			c = *in->p++;
			if (c != '"' && c != '\\')
				return -1;
		} else if (c == '"') {
			break;
		} else if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) {
			return -1;
		}
		if (n + 1 >= sizeof(out->text))
			return -1;
		out->text[n++] = c;
	}
	out->text[n] = '\0';
	out->type = T_SF_STRING;
	return 0;
}

static int parse_token(struct in *in, struct t_sf_bare *out)
{
	size_t n = 0;

	while (is_token_char(*in->p)) {
		if (n + 1 >= sizeof(out->text))
			return -1;
		out->text[n++] = *in->p++;
	}
	out->text[n] = '\0';
	out->type = T_SF_TOKEN;
	return 0;
}

static int parse_bytes(struct in *in, struct t_sf_bare *out)
{
	size_t n = 0;

	in->p++;
	while (*in->p != ':') {
		char c = *in->p++;

		if (c == '\0' || !(is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '='))
			return -1;
		if (n + 1 >= sizeof(out->text))
			return -1;
		out->text[n++] = c;
	}
	in->p++;
	out->text[n] = '\0';
	out->type = T_SF_BYTES;
	return 0;
}

static int parse_bare(struct in *in, struct t_sf_bare *out)
{
	memset(out, 0, sizeof(*out));
	if (*in->p == '-' || is_digit(*in->p))
		return parse_number(in, out);
	if (*in->p == '"')
		return parse_string(in, out);
	if (*in->p == '*' || is_alpha(*in->p))
		return parse_token(in, out);
	if (*in->p == ':')
		return parse_bytes(in, out);
	if (*in->p == '?') {
		in->p++;
		if (*in->p != '0' && *in->p != '1')
			return -1;
		out->type = T_SF_BOOLEAN;
		out->integer = *in->p++ == '1';
		return 0;
	}
	return -1;
}

static int parse_key(struct in *in, char *out, size_t len)
{
	size_t n = 0;

	if (!is_lcalpha(*in->p) && *in->p != '*')
		return -1;
	while (is_lcalpha(*in->p) || is_digit(*in->p) ||
	       (*in->p != '\0' && strchr("_-.*", *in->p))) {
		if (n + 1 >= len)
			return -1;
		out[n++] = *in->p++;
	}
	out[n] = '\0';
	return 0;
}

static int parse_params(struct in *in, struct t_sf_member *m)
{
	while (*in->p == ';') {
		struct t_sf_param p;
		size_t i;

		in->p++;
		skip_sp(in);
		memset(&p, 0, sizeof(p));
		if (parse_key(in, p.key, sizeof(p.key)) < 0)
			return -1;
		p.value.type = T_SF_BOOLEAN;
		p.value.integer = 1;
		if (*in->p == '=') {
			in->p++;
			if (parse_bare(in, &p.value) < 0)
				return -1;
		}
		/* A key given again overwrites the value, in its first place. */
		for (i = 0; i < m->nparams && strcmp(m->params[i].key, p.key) != 0; i++)
			;
		if (i == T_SF_MAX_PARAMS)
			return -1;
		m->params[i] = p;
		if (i == m->nparams)
			m->nparams++;
	}
	return 0;
}

static int parse_inner_list(struct in *in, struct t_sf_member *m)
{
	in->p++;
	m->inner_list = 1;
	for (;;) {
		struct t_sf_member ignored;

		skip_sp(in);
		if (*in->p == ')') {
			in->p++;
			return parse_params(in, m);
		}
		if (m->ninner == T_SF_MAX_INNER || parse_bare(in, &m->inner[m->ninner]) < 0)
			return -1;
		m->ninner++;
		/* The inner items' own parameters are parsed (they must be valid), not kept. */
		memset(&ignored, 0, sizeof(ignored));
		if (parse_params(in, &ignored) < 0)
			return -1;
		if (*in->p != ' ' && *in->p != ')')
			return -1;
	}
}

int t_sf_parse_list(const char *text, struct t_sf_list *out)
{
	struct in in = {text};

	memset(out, 0, sizeof(*out));
	skip_sp(&in);
	while (*in.p != '\0') {
		struct t_sf_member *m;

		if (out->n == T_SF_MAX_MEMBERS)
			return -1;
		m = &out->members[out->n++];
		if (*in.p == '(') {
			if (parse_inner_list(&in, m) < 0)
				return -1;
		} else if (parse_bare(&in, &m->item) < 0 || parse_params(&in, m) < 0) {
			return -1;
		}
		skip_ows(&in);
		if (*in.p == '\0')
			return 0;
		if (*in.p++ != ',')
			return -1;
		skip_ows(&in);
		if (*in.p == '\0')
			return -1; /* a trailing comma */
	}
	return 0;
}

const struct t_sf_bare *t_sf_param(const struct t_sf_member *m, const char *key)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].key, key) == 0)
			return &m->params[i].value;
	return NULL;
}
