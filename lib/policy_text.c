/* SPDX-License-Identifier: MIT */
/*
 * policy_text.c - the .wfp policy language: a lexer, a one-pass
 * recursive-free parser into the policy object list (policy.h), and the
 * writer of the canonical listing.  Grammar and examples: docs/policy.md.
 *
 *   provider acme "Acme VPN"
 *   sublayer corp weight 0x8000 provider acme
 *   filter "no telnet" layer ALE_AUTH_CONNECT_V4 sublayer corp weight 10 block
 *           where IP_REMOTE_PORT == 23 and IP_PROTOCOL == tcp
 *
 * A statement ends at a newline or ';'.  A newline is not an end after
 * "where", "and", "or", ",", "{" or "(", after a '\' at the end of a
 * line, or before a line that starts with "and" or "or", so long filters
 * can be split there.
 *
 * Every error carries file:line:col of the offending token and its source
 * line.  The parser never recurses (parentheses nest one level, and only
 * around an OR group), every token and string is bounded, and nothing is
 * allocated outside the policy's arena and object vectors.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "compat.h"
#include "cond.h"
#include "policy.h"

/* ---- lexer ---- */

enum tok {
	T_EOF,
	T_NL,     /* newline or ';' */
	T_WORD,   /* identifiers, numbers, addresses, flag expressions */
	T_STRING, /* "..." (s/len: the unescaped text, in the arena) */
	T_GUID,   /* {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} */
	T_OP,     /* == != < > <= >= ~= = */
	T_LBRACE, T_RBRACE, T_COMMA, T_LPAREN, T_RPAREN
};

struct token {
	enum tok t;
	const char *s;
	size_t len;
	unsigned line, col;
	const char *bol; /* start of the token's line, for error context */
};

struct parser {
	struct wfp_policy *pol;
	struct wfp_policy_error *err;
	const char *p, *end;
	unsigned line;
	const char *bol;
	struct token tok;   /* current token */
	bool have;          /* tok is valid (lookahead) */
	int failed;         /* the first error, kept */
	struct wfp_filter_cond conds[POL_MAX_COND];
	unsigned ncond;
};

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	       c == '/' || c == '-' || c == '+' || c == '|' || c == '*' ||
	       c == '@' || c == '$' || c == '%' || c >= 0x80;
}

static size_t line_len(const char *bol, const char *end)
{
	const char *e = memchr(bol, '\n', (size_t)(end - bol));
	size_t n = (size_t)((e ? e : end) - bol);

	if (n && bol[n - 1] == '\r')
		n--;
	return n;
}

/* Record an error at a token (the first one wins). */
static int fail_at(struct parser *ps, const struct token *t, int code,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *ps, const struct token *t, int code,
		   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->failed)
		return ps->failed;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->failed = code;
	pol_error(ps->err, code, ps->pol->file, t->line, t->col, t->bol,
		  line_len(t->bol, ps->end), "%s", msg);
	return code;
}

static int fail_here(struct parser *ps, const char *at, int code, const char *msg)
{
	struct token t = { .line = ps->line, .bol = ps->bol,
			   .col = (unsigned)(at - ps->bol) + 1 };

	return fail_at(ps, &t, code, "%s", msg);
}

static const char *tok_desc(const struct token *t, char *buf, size_t len)
{
	switch (t->t) {
	case T_EOF:
		return "end of file";
	case T_NL:
		return "end of line";
	case T_STRING:
		return "a string";
	case T_GUID:
		return "a GUID";
	default:
		snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
		return buf;
	}
}

/* Skip blanks, comments and '\'-newline continuations. */
static void skip_blank(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			ps->p++;
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '\\' && ps->p + 1 < ps->end &&
			   (ps->p[1] == '\n' || (ps->p[1] == '\r' && ps->p + 2 < ps->end &&
						 ps->p[2] == '\n'))) {
			ps->p += ps->p[1] == '\n' ? 2 : 3;
			ps->line++;
			ps->bol = ps->p;
		} else {
			break;
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes up to the closing quote (or the end of the line), at most
 * POL_MAX_TOKEN + 1: unescaping only shrinks, so this sizes the copy. */
static size_t raw_string_len(const char *s, const char *end)
{
	size_t n = 0;

	while (s + n < end && s[n] != '"' && s[n] != '\n' && n <= POL_MAX_TOKEN)
		n += (s[n] == '\\' && s + n + 1 < end) ? 2 : 1;
	return n;
}

/* pre: *ps->p == '"'.  The unescaped text goes to the arena. */
static int lex_string(struct parser *ps, struct token *t)
{
	const char *s = ps->p + 1;
	char *out;
	size_t n = 0;

	out = pol_alloc(ps->pol, raw_string_len(s, ps->end) + 1);
	if (!out)
		return fail_at(ps, t, -WFP_E_NOMEM, "out of memory");
	for (;;) {
		if (s >= ps->end || *s == '\n')
			return fail_at(ps, t, -WFP_E_PARSE, "unterminated string");
		if (n >= POL_MAX_TOKEN)
			return fail_at(ps, t, -WFP_E_LIMIT, "string longer than %d bytes",
				       POL_MAX_TOKEN);
		if (*s == '"')
			break;
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		if (s + 1 >= ps->end)
			return fail_here(ps, s, -WFP_E_PARSE, "unterminated string");
		switch (s[1]) {
		case '"': case '\\':
			out[n++] = s[1];
			s += 2;
			break;
		case 'n':
			out[n++] = '\n';
			s += 2;
			break;
		case 't':
			out[n++] = '\t';
			s += 2;
			break;
		case 'x':
			if (s + 3 >= ps->end || hexval(s[2]) < 0 || hexval(s[3]) < 0)
				return fail_here(ps, s, -WFP_E_PARSE, "bad \\x escape (\\xHH)");
			out[n++] = (char)(hexval(s[2]) << 4 | hexval(s[3]));
			s += 4;
			break;
		default:
			return fail_here(ps, s, -WFP_E_PARSE,
					 "unknown escape (use \\\" \\\\ \\n \\t \\xHH)");
		}
	}
	t->t = T_STRING;
	t->s = out;
	t->len = n;
	ps->p = s + 1;
	return 0;
}

static bool is_guid_at(const char *p, const char *end)
{
	static const char shape[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";

	if (end - p < (ptrdiff_t)(sizeof(shape) - 1))
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'x' ? hexval(p[i]) < 0 : p[i] != shape[i])
			return false;
	return true;
}

static int lex_op(struct parser *ps, struct token *t)
{
	const char *p = ps->p;
	size_t n = (p + 1 < ps->end && p[1] == '=') ? 2 : 1;

	if ((*p == '!' || *p == '~') && n == 1)
		return fail_at(ps, t, -WFP_E_PARSE, "expected '%c='", *p);
	t->t = T_OP;
	t->s = p;
	t->len = n;
	ps->p += n;
	return 0;
}

static int lex(struct parser *ps, struct token *t)
{
	unsigned char c;

	skip_blank(ps);
	memset(t, 0, sizeof(*t));
	t->line = ps->line;
	t->bol = ps->bol;
	t->col = (unsigned)(ps->p - ps->bol) + 1;
	t->s = ps->p;
	if (ps->p >= ps->end) {
		t->t = T_EOF;
		return 0;
	}
	c = (unsigned char)*ps->p;
	if (c == '\n' || c == ';') {
		t->t = T_NL;
		t->len = 1;
		ps->p++;
		if (c == '\n') {
			ps->line++;
			ps->bol = ps->p;
		}
		return 0;
	}
	if (c == '"')
		return lex_string(ps, t);
	if (c == '{' && is_guid_at(ps->p, ps->end)) {
		t->t = T_GUID;
		t->len = 38;
		ps->p += 38;
		return 0;
	}
	if (strchr("{},()", c) && c) {
		t->t = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : c == ',' ? T_COMMA :
		       c == '(' ? T_LPAREN : T_RPAREN;
		t->len = 1;
		ps->p++;
		return 0;
	}
	if (c && strchr("=!<>~", c))
		return lex_op(ps, t);
	if (!word_char(c))
		return c > 0x20 && c < 0x7f ?
		       fail_at(ps, t, -WFP_E_PARSE, "unexpected character '%c'", c) :
		       fail_at(ps, t, -WFP_E_PARSE, "unexpected character \\x%02x", c);
	while (ps->p < ps->end && word_char((unsigned char)*ps->p))
		ps->p++;
	t->t = T_WORD;
	t->len = (size_t)(ps->p - t->s);
	if (t->len > POL_MAX_TOKEN)
		return fail_at(ps, t, -WFP_E_LIMIT, "word longer than %d bytes", POL_MAX_TOKEN);
	return 0;
}

/* The current token (lexed on demand). */
static struct token *peek(struct parser *ps)
{
	if (!ps->have) {
		if (lex(ps, &ps->tok)) {
			ps->tok.t = T_EOF;
			ps->tok.len = 0;
		}
		ps->have = true;
	}
	return &ps->tok;
}

static struct token take(struct parser *ps)
{
	struct token t = *peek(ps);

	ps->have = false;
	return t;
}

/* Newlines are insignificant after a continuation token. */
static void skip_nl(struct parser *ps)
{
	while (!ps->failed && peek(ps)->t == T_NL)
		take(ps);
}

static bool is_word(const struct token *t, const char *w)
{
	return t->t == T_WORD && strlen(w) == t->len && !strncasecmp(t->s, w, t->len);
}

static bool accept_word(struct parser *ps, const char *w)
{
	if (!is_word(peek(ps), w))
		return false;
	take(ps);
	return true;
}

/*
 * Like accept_word, but also across line ends: a line may start with
 * "and"/"or" to continue the conditions of the line before.  The lexer
 * state is three fields and the lookahead, so it is saved and restored
 * when the word is not there.
 */
static bool accept_word_nl(struct parser *ps, const char *w)
{
	const char *p = ps->p, *bol = ps->bol;
	unsigned line = ps->line;
	struct token tok = ps->tok;
	bool have = ps->have;

	skip_nl(ps);
	if (!ps->failed && accept_word(ps, w))
		return true;
	if (ps->failed)
		return false;
	ps->p = p;
	ps->bol = bol;
	ps->line = line;
	ps->tok = tok;
	ps->have = have;
	return false;
}

static int expected(struct parser *ps, const char *what)
{
	char b[64];
	struct token *t = peek(ps);

	return fail_at(ps, t, -WFP_E_PARSE, "expected %s, found %s", what,
		       tok_desc(t, b, sizeof(b)));
}

/* Copy a word into a NUL-terminated buffer (names are bounded). */
static bool word_cstr(const struct token *t, char *buf, size_t len)
{
	if (t->t != T_WORD || t->len >= len)
		return false;
	memcpy(buf, t->s, t->len);
	buf[t->len] = 0;
	return true;
}

/* ---- clause values ---- */

static int expect_string(struct parser *ps, const char *what, const char **out)
{
	struct token t;

	if (peek(ps)->t != T_STRING)
		return expected(ps, what);
	t = take(ps);
	/* names end up as Windows' UTF-16 strings: text only */
	if (!pol_is_text((const uint8_t *)t.s, t.len))
		return fail_at(ps, &t, -WFP_E_PARSE, "%s must be UTF-8 text without NUL", what);
	*out = t.s; /* already NUL-terminated in the arena */
	return 0;
}

static int expect_guid(struct parser *ps, struct wfp_guid *g)
{
	struct token t = *peek(ps);
	char buf[40];

	if ((t.t == T_GUID || t.t == T_WORD) && t.len < sizeof(buf)) {
		memcpy(buf, t.s, t.len);
		buf[t.len] = 0;
		if (!wfp_guid_parse(buf, g)) {
			take(ps);
			return 0;
		}
	}
	return expected(ps, "a GUID {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}");
}

static int expect_u64(struct parser *ps, uint64_t max, const char *what, uint64_t *out)
{
	struct token t = *peek(ps);
	uint64_t u = 0;
	bool ok = t.t == T_WORD && t.len && t.len <= 20;

	if (ok) {
		const char *s = t.s;
		size_t n = t.len;
		unsigned base = 10;

		if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			base = 16, s += 2, n -= 2;
		for (size_t i = 0; i < n && ok; i++) {
			int d = hexval(s[i]);

			ok = d >= 0 && (unsigned)d < base && u <= (max - (unsigned)d) / base;
			if (ok)
				u = u * base + (unsigned)d;
		}
	}
	if (!ok)
		return expected(ps, what);
	take(ps);
	*out = u;
	return 0;
}

static int expect_layer(struct parser *ps, uint16_t *layer)
{
	char buf[POL_MAX_NAME];
	struct token t = *peek(ps);
	int l;

	if (!word_cstr(&t, buf, sizeof(buf)))
		return expected(ps, "a layer name");
	l = wfp_layer_by_name(buf);
	if (l < 0)
		return fail_at(ps, &t, -WFP_E_LAYER_NOT_FOUND, "unknown layer '%s'", buf);
	take(ps);
	*layer = (uint16_t)l;
	return 0;
}

/* A provider reference: a declared name, a Windows provider name, or a
 * GUID (of an object the engine must already hold). */
static int expect_provider_ref(struct parser *ps, struct wfp_guid *key)
{
	char buf[POL_MAX_NAME];
	struct token t = *peek(ps);

	if (t.t == T_GUID)
		return expect_guid(ps, key);
	if (!word_cstr(&t, buf, sizeof(buf)))
		return expected(ps, "a provider name or GUID");
	if (pol_ref_provider(ps->pol, buf, key))
		return fail_at(ps, &t, -WFP_E_PROVIDER_NOT_FOUND,
			       "unknown provider '%s' (declare it first)", buf);
	take(ps);
	return 0;
}

static int expect_sublayer_ref(struct parser *ps, struct wfp_guid *key)
{
	char buf[POL_MAX_NAME];
	struct token t = *peek(ps);

	if (t.t == T_GUID)
		return expect_guid(ps, key);
	if (!word_cstr(&t, buf, sizeof(buf)))
		return expected(ps, "a sublayer name or GUID");
	if (pol_ref_sublayer(ps->pol, buf, key))
		return fail_at(ps, &t, -WFP_E_SUBLAYER_NOT_FOUND,
			       "unknown sublayer '%s' (declare it first)", buf);
	take(ps);
	return 0;
}

static int expect_callout_ref(struct parser *ps, struct wfp_guid *key)
{
	char buf[POL_MAX_NAME];
	struct token t = *peek(ps);

	if (t.t == T_GUID)
		return expect_guid(ps, key);
	if (!word_cstr(&t, buf, sizeof(buf)))
		return expected(ps, "a callout name or GUID");
	if (pol_ref_callout(ps->pol, buf, key))
		return fail_at(ps, &t, -WFP_E_CALLOUT_NOT_FOUND, "unknown callout '%s' (declare it first)", buf);
	take(ps);
	return 0;
}

/* NAME ["display"] of provider/sublayer/callout; the name must be new. */
static int object_head(struct parser *ps, enum pol_kind kind, const char **name,
		       struct wfp_display *d, struct wfp_guid *key)
{
	static const char *const what[] = { "provider", "sublayer", "callout" };
	char buf[POL_MAX_NAME];
	struct token t = *peek(ps);
	bool dup;

	if (word_cstr(&t, buf, sizeof(buf)) && !strncasecmp(buf, "FWPM_", 5))
		return fail_at(ps, &t, -WFP_E_PARSE, "names starting with FWPM_ are Windows' own");
	if (!word_cstr(&t, buf, sizeof(buf)) || !pol_name_valid(buf))
		return expected(ps, "a name (a letter or '_', then letters, digits, _ . -)");
	dup = kind == POL_PROVIDER ? pol_provider_by_name(ps->pol, buf) != NULL :
	      kind == POL_SUBLAYER ? pol_sublayer_by_name(ps->pol, buf) != NULL :
				     pol_callout_by_name(ps->pol, buf) != NULL;
	if (dup)
		return fail_at(ps, &t, -WFP_E_ALREADY_EXISTS, "%s '%s' is already declared",
			       what[kind], buf);
	take(ps);
	*name = pol_strdup(ps->pol, buf);
	if (!*name)
		return fail_at(ps, &t, -WFP_E_NOMEM, "out of memory");
	d->name = *name;
	if (peek(ps)->t == T_STRING && expect_string(ps, "a display name", &d->name))
		return ps->failed;
	pol_derive_key(kind, *name, key);
	return 0;
}

/* Clauses every object kind has: key, description. 1 if consumed. */
static int common_clause(struct parser *ps, struct wfp_display *d, struct wfp_guid *key)
{
	if (accept_word(ps, "key"))
		return expect_guid(ps, key) ? -1 : 1;
	if (accept_word(ps, "description"))
		return expect_string(ps, "a description string", &d->description) ? -1 : 1;
	return 0;
}

static int end_statement(struct parser *ps)
{
	struct token *t = peek(ps);

	if (ps->failed)
		return ps->failed;
	if (t->t == T_NL || t->t == T_EOF)
		return 0;
	return expected(ps, "a clause or end of line");
}

/* Where a statement starts, with a copy of its line: errors found only
 * when the engine sees the object can still show the source. */
static struct pol_loc loc_of(struct parser *ps, const struct token *kw)
{
	size_t n = line_len(kw->bol, ps->end);

	if (n > 255)
		n = 255;
	return (struct pol_loc){ kw->line, kw->col, pol_strndup(ps->pol, kw->bol, n) };
}

/* ---- provider, sublayer, callout ---- */

static int parse_provider(struct parser *ps, const struct token *kw)
{
	struct pol_provider *pv = pol_add_provider(ps->pol);
	int r;

	if (!pv)
		return fail_at(ps, kw, -WFP_E_NOMEM, "out of memory or too many providers");
	pv->loc = loc_of(ps, kw);
	if (object_head(ps, POL_PROVIDER, &pv->name, &pv->p.display, &pv->p.key))
		return ps->failed;
	while (!ps->failed) {
		if ((r = common_clause(ps, &pv->p.display, &pv->p.key)))
			continue;
		if (accept_word(ps, "persistent"))
			pv->p.flags |= WFP_PROVIDER_F_PERSISTENT;
		else if (accept_word(ps, "disabled"))
			pv->p.flags |= WFP_PROVIDER_F_DISABLED;
		else if (accept_word(ps, "service"))
			expect_string(ps, "a service name string", &pv->p.service_name);
		else
			break;
	}
	return end_statement(ps);
}

static int parse_sublayer(struct parser *ps, const struct token *kw)
{
	struct pol_sublayer *sl = pol_add_sublayer(ps->pol);
	uint64_t w;

	if (!sl)
		return fail_at(ps, kw, -WFP_E_NOMEM, "out of memory or too many sublayers");
	sl->loc = loc_of(ps, kw);
	if (object_head(ps, POL_SUBLAYER, &sl->name, &sl->s.display, &sl->s.key))
		return ps->failed;
	while (!ps->failed) {
		if (common_clause(ps, &sl->s.display, &sl->s.key))
			continue;
		if (accept_word(ps, "persistent"))
			sl->s.flags |= WFP_SUBLAYER_F_PERSISTENT;
		else if (accept_word(ps, "weight")) {
			if (!expect_u64(ps, UINT16_MAX, "a sublayer weight 0-65535", &w))
				sl->s.weight = (uint16_t)w;
		} else if (accept_word(ps, "provider"))
			expect_provider_ref(ps, &sl->s.provider_key);
		else
			break;
	}
	return end_statement(ps);
}

static int parse_callout(struct parser *ps, const struct token *kw)
{
	struct pol_callout *c = pol_add_callout(ps->pol);
	bool layer = false;

	if (!c)
		return fail_at(ps, kw, -WFP_E_NOMEM, "out of memory or too many callouts");
	c->loc = loc_of(ps, kw);
	if (object_head(ps, POL_CALLOUT, &c->name, &c->c.display, &c->c.key))
		return ps->failed;
	while (!ps->failed) {
		if (common_clause(ps, &c->c.display, &c->c.key))
			continue;
		if (accept_word(ps, "persistent"))
			c->c.flags |= WFP_CALLOUT_F_PERSISTENT;
		else if (accept_word(ps, "uses-provider-context"))
			c->c.flags |= WFP_CALLOUT_F_USES_PROVIDER_CONTEXT;
		else if (accept_word(ps, "layer"))
			layer = !expect_layer(ps, &c->c.applicable_layer);
		else if (accept_word(ps, "provider"))
			expect_provider_ref(ps, &c->c.provider_key);
		else
			break;
	}
	if (!ps->failed && !layer)
		return fail_at(ps, kw, -WFP_E_PARSE, "callout needs 'layer LAYER'");
	return end_statement(ps);
}

/* ---- conditions ---- */

static int expect_field(struct parser *ps, const struct pol_filter *f, struct token *ft,
			uint16_t *field)
{
	char buf[POL_MAX_NAME];
	int fl;

	*ft = *peek(ps);
	if (!word_cstr(ft, buf, sizeof(buf)))
		return expected(ps, "a field name");
	fl = wfp_field_by_name(buf);
	if (fl < 0)
		return fail_at(ps, ft, -WFP_E_CONDITION_NOT_FOUND, "unknown field '%s'", buf);
	if (wfp_layer_field_index(f->f.layer, (unsigned)fl) < 0)
		return fail_at(ps, ft, -WFP_E_CONDITION_NOT_FOUND,
			       "field %s does not exist at layer %s", wfp_field_name((unsigned)fl),
			       wfp_layer_name(f->f.layer));
	take(ps);
	*field = (uint16_t)fl;
	return 0;
}

/* Append one condition after the engine's own check of it. */
static int add_cond(struct parser *ps, const struct pol_filter *f, uint16_t field,
		    unsigned match, const struct wfp_cond_value *v, const struct token *at)
{
	struct wfp_filter_cond *c;
	int r;

	if (ps->ncond >= POL_MAX_COND)
		return fail_at(ps, at, -WFP_E_LIMIT, "more than %d conditions", POL_MAX_COND);
	c = &ps->conds[ps->ncond];
	c->field = field;
	c->match = (uint16_t)match;
	c->value = *v;
	r = wfp_cond_check(f->f.layer, c);
	if (r == -WFP_E_INVALID_PARAMETER)
		return fail_at(ps, at, r, "invalid %s value", wfp_data_type_name(v->type));
	if (r)
		return fail_at(ps, at, r, "%s %s %s: %s", wfp_field_name(field),
			       pol_match_op(match), wfp_data_type_name(v->type),
			       wfp_strerror(r));
	ps->ncond++;
	return 0;
}

static bool value_tok(const struct token *t)
{
	return t->t == T_WORD || t->t == T_STRING;
}

static int value_err(struct parser *ps, const struct token *t, int r, const char *msg)
{
	return fail_at(ps, t, r == -WFP_E_NOMEM ? r : -WFP_E_PARSE, "%s", msg);
}

/* One element after "in": LOW-HIGH (one word), LOW - HIGH, or (in a list)
 * a single value, which is an EQUAL test. */
static int in_element(struct parser *ps, const struct pol_filter *f, uint16_t field,
		      bool list)
{
	struct token a, b;
	struct wfp_cond_value v;
	char msg[160];
	const char *dash;
	int r;

	if (!value_tok(peek(ps)))
		return expected(ps, list ? "a value or range" : "a range LOW-HIGH or {list}");
	a = take(ps);
	if (is_word(peek(ps), "-")) {
		take(ps);
		if (!value_tok(peek(ps)))
			return expected(ps, "the high end of the range");
		b = take(ps);
		r = pol_range_parse(ps->pol, field, f->f.layer, a.s, a.len, a.t == T_STRING,
				    b.s, b.len, b.t == T_STRING, &v, msg, sizeof(msg));
		return r ? value_err(ps, &a, r, msg) :
			   add_cond(ps, f, field, WFP_MATCH_RANGE, &v, &a);
	}
	/* a list element may be a plain value that contains '-' (a MAC) */
	if (list && !pol_value_parse(ps->pol, field, f->f.layer, a.s, a.len,
				     a.t == T_STRING, true, &v, msg, sizeof(msg)))
		return add_cond(ps, f, field, WFP_MATCH_EQUAL, &v, &a);
	dash = a.t == T_WORD && a.len > 1 ? memchr(a.s + 1, '-', a.len - 1) : NULL;
	if (!dash) {
		if (!list)
			return fail_at(ps, &a, -WFP_E_PARSE, "expected a range LOW-HIGH or {list}");
		return value_err(ps, &a, -WFP_E_PARSE, msg);
	}
	r = pol_range_parse(ps->pol, field, f->f.layer, a.s, (size_t)(dash - a.s), false,
			    dash + 1, a.len - (size_t)(dash - a.s) - 1, false, &v, msg,
			    sizeof(msg));
	return r ? value_err(ps, &a, r, msg) : add_cond(ps, f, field, WFP_MATCH_RANGE, &v, &a);
}

static int in_list(struct parser *ps, const struct pol_filter *f, uint16_t field)
{
	take(ps); /* { */
	for (;;) {
		skip_nl(ps);
		if (in_element(ps, f, field, true))
			return ps->failed;
		skip_nl(ps);
		if (peek(ps)->t == T_RBRACE) {
			take(ps);
			return 0;
		}
		if (peek(ps)->t != T_COMMA)
			return expected(ps, "',' or '}'");
		take(ps);
	}
}

/* FIELD OP VALUE, FIELD in RANGE, FIELD in {LIST} */
static int term(struct parser *ps, const struct pol_filter *f, uint16_t *field)
{
	struct token ft, op, vt;
	struct wfp_cond_value v;
	char msg[160];
	int match, r;

	if (expect_field(ps, f, &ft, field))
		return ps->failed;
	op = *peek(ps);
	match = (op.t == T_OP || op.t == T_WORD) ? pol_match_by_op(op.s, op.len) : -1;
	if (match < 0)
		return expected(ps, "an operator (== != < > <= >= in all-set any-set "
				    "none-set ~= suffix not-suffix)");
	take(ps);
	if (match == WFP_MATCH_RANGE) {
		if (peek(ps)->t == T_LBRACE)
			return in_list(ps, f, *field);
		return in_element(ps, f, *field, false);
	}
	if (!value_tok(peek(ps)))
		return expected(ps, "a value");
	vt = take(ps);
	r = pol_value_parse(ps->pol, *field, f->f.layer, vt.s, vt.len, vt.t == T_STRING,
			    match == WFP_MATCH_EQUAL || match == WFP_MATCH_NOT_EQUAL,
			    &v, msg, sizeof(msg));
	if (r)
		return value_err(ps, &vt, r, msg);
	return add_cond(ps, f, *field, (unsigned)match, &v, &vt);
}

/* term {or term}, optionally in parentheses; all on one field. */
static int or_group(struct parser *ps, const struct pol_filter *f, uint16_t *field)
{
	bool paren = peek(ps)->t == T_LPAREN;
	uint16_t other;
	struct token at;

	if (paren) {
		take(ps);
		skip_nl(ps);
	}
	if (term(ps, f, field))
		return ps->failed;
	while (accept_word_nl(ps, "or")) {
		skip_nl(ps);
		at = *peek(ps);
		if (term(ps, f, &other))
			return ps->failed;
		if (other != *field)
			return fail_at(ps, &at, -WFP_E_PARSE,
				       "'or' joins conditions on different fields (%s, %s); "
				       "WFP can only OR conditions on the same field",
				       wfp_field_name(*field), wfp_field_name(other));
	}
	if (paren) {
		skip_nl(ps);
		if (peek(ps)->t != T_RPAREN)
			return expected(ps, "')'");
		take(ps);
	}
	return 0;
}

/*
 * group {and group}.  WFP ORs every condition on one field (spec §5.4), so
 * "A == 1 and A == 2" would silently mean OR: the parser refuses a field
 * that already had its group.
 */
static int conditions(struct parser *ps, const struct pol_filter *f)
{
	uint16_t seen[POL_MAX_COND];
	unsigned nseen = 0;

	for (;;) {
		struct token at;
		uint16_t field;

		skip_nl(ps);
		at = *peek(ps);
		if (or_group(ps, f, &field))
			return ps->failed;
		for (unsigned i = 0; i < nseen; i++)
			if (seen[i] == field)
				return fail_at(ps, &at, -WFP_E_DUPLICATE_CONDITION,
					       "%s is tested again: conditions on one field "
					       "are OR'ed by WFP, write 'or' or 'in {...}'",
					       wfp_field_name(field));
		seen[nseen++] = field;
		if (!accept_word_nl(ps, "and"))
			return 0;
	}
}

/* ---- filter ---- */

static int filter_weight(struct parser *ps, struct wfp_value *w)
{
	uint64_t u;

	if (accept_word(ps, "auto")) {
		w->type = WFP_EMPTY;
		return 0;
	}
	if (accept_word(ps, "range")) {
		if (expect_u64(ps, 15, "a weight range 0-15", &u))
			return ps->failed;
		w->type = WFP_UINT8;
		w->u8 = (uint8_t)u;
		return 0;
	}
	if (expect_u64(ps, UINT64_MAX, "a weight: NUMBER, auto or range 0-15", &u))
		return ps->failed;
	w->type = WFP_UINT64;
	w->u64 = u;
	return 0;
}

static int filter_action(struct parser *ps, struct wfp_action *a, bool *have)
{
	if (*have)
		return fail_at(ps, peek(ps), -WFP_E_PARSE, "the filter already has an action");
	*have = true;
	if (accept_word(ps, "permit")) {
		a->type = WFP_ACTION_PERMIT;
		return 0;
	}
	if (accept_word(ps, "block")) {
		a->type = WFP_ACTION_BLOCK;
		return 0;
	}
	take(ps); /* callout */
	if (accept_word(ps, "inspection"))
		a->type = WFP_ACTION_CALLOUT_INSPECTION;
	else if (accept_word(ps, "unknown"))
		a->type = WFP_ACTION_CALLOUT_UNKNOWN;
	else {
		accept_word(ps, "terminating");
		a->type = WFP_ACTION_CALLOUT_TERMINATING;
	}
	return expect_callout_ref(ps, &a->key);
}

/* One filter clause; 1 if the token was not a clause. */
static int filter_clause(struct parser *ps, struct pol_filter *f, bool *layer,
			 bool *action)
{
	struct wfp_filter *w = &f->f;
	struct token *t = peek(ps);
	uint32_t bit;
	uint64_t u;

	if (common_clause(ps, &w->display, &w->key))
		return 0;
	if (accept_word(ps, "layer"))
		return (*layer = !expect_layer(ps, &w->layer)) ? 0 : ps->failed;
	if (accept_word(ps, "sublayer"))
		return expect_sublayer_ref(ps, &w->sublayer_key);
	if (accept_word(ps, "provider"))
		return expect_provider_ref(ps, &w->provider_key);
	if (accept_word(ps, "weight"))
		return filter_weight(ps, &w->weight);
	if (is_word(t, "permit") || is_word(t, "block") || is_word(t, "callout"))
		return filter_action(ps, &w->action, action);
	if (accept_word(ps, "filter-type"))
		return expect_guid(ps, &w->action.key);
	if (accept_word(ps, "context")) {
		if (!expect_u64(ps, UINT64_MAX, "a context number", &u))
			w->raw_context = u;
		return ps->failed;
	}
	if (accept_word(ps, "flags")) {
		if (!expect_u64(ps, UINT32_MAX, "a flags number", &u))
			w->flags |= (uint32_t)u;
		return ps->failed;
	}
	if (t->t == T_WORD && !pol_filter_flag_by_name(t->s, t->len, &bit)) {
		take(ps);
		w->flags |= bit;
		return 0;
	}
	return 1;
}

static int store_conds(struct parser *ps, struct pol_filter *f, const struct token *kw)
{
	if (!ps->ncond)
		return 0;
	f->f.cond = pol_memdup(ps->pol, ps->conds, ps->ncond * sizeof(ps->conds[0]));
	if (!f->f.cond)
		return fail_at(ps, kw, -WFP_E_NOMEM, "out of memory");
	f->f.ncond = ps->ncond;
	return 0;
}

static int parse_filter(struct parser *ps, const struct token *kw)
{
	struct pol_filter *f = pol_add_filter(ps->pol);
	bool layer = false, action = false;

	if (!f)
		return fail_at(ps, kw, -WFP_E_NOMEM, "out of memory or too many filters");
	f->loc = loc_of(ps, kw);
	f->f.weight.type = WFP_EMPTY;
	if (expect_string(ps, "the filter's display name in quotes", &f->f.display.name))
		return ps->failed;
	ps->ncond = 0;
	while (!ps->failed && peek(ps)->t == T_WORD && !is_word(peek(ps), "where"))
		if (filter_clause(ps, f, &layer, &action) == 1)
			return expected(ps, "a filter clause (layer, sublayer, weight, "
					    "permit, block, callout, flags, where ...)");
	if (ps->failed)
		return ps->failed;
	if (!layer)
		return fail_at(ps, peek(ps), -WFP_E_PARSE, "filter needs 'layer LAYER'%s",
			       is_word(peek(ps), "where") ? " before 'where'" : "");
	if (!action)
		return fail_at(ps, peek(ps), -WFP_E_PARSE,
			       "filter needs an action: permit, block or callout NAME");
	if (accept_word(ps, "where") && conditions(ps, f))
		return ps->failed;
	if (end_statement(ps))
		return ps->failed;
	return store_conds(ps, f, kw);
}

int pol_parse_text(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err)
{
	struct parser *ps = wfp_calloc(1, sizeof(*ps));
	int r;

	if (!ps)
		return pol_error(err, -WFP_E_NOMEM, p->file, 0, 0, NULL, 0, "out of memory");
	ps->pol = p;
	ps->err = err;
	ps->p = text;
	ps->end = text + len;
	ps->line = 1;
	ps->bol = text;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps->p = ps->bol = text + 3;
	while (!ps->failed) {
		struct token kw;

		skip_nl(ps);
		kw = *peek(ps);
		if (kw.t == T_EOF)
			break;
		if (is_word(&kw, "provider"))
			take(ps), parse_provider(ps, &kw);
		else if (is_word(&kw, "sublayer"))
			take(ps), parse_sublayer(ps, &kw);
		else if (is_word(&kw, "callout"))
			take(ps), parse_callout(ps, &kw);
		else if (is_word(&kw, "filter"))
			take(ps), parse_filter(ps, &kw);
		else
			expected(ps, "provider, sublayer, callout or filter");
	}
	r = ps->failed;
	wfp_free(ps);
	return r;
}

/* ---- writer: the canonical listing ---- */

static void fquote(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void fguid(FILE *out, const struct wfp_guid *g)
{
	char b[37];

	fprintf(out, "{%s}", wfp_guid_format(g, b));
}

/* The name, the display name if it differs, the key if not derived. */
static void head(FILE *out, const char *kw, enum pol_kind kind, const char *name,
		 const struct wfp_display *d, const struct wfp_guid *key)
{
	struct wfp_guid dk;

	fprintf(out, "%s %s", kw, name);
	if (d->name && strcmp(d->name, name)) {
		fputc(' ', out);
		fquote(out, d->name);
	}
	pol_derive_key(kind, name, &dk);
	if (!wfp_guid_eq(&dk, key)) {
		fputs(" key ", out);
		fguid(out, key);
	}
	if (d->description) {
		fputs(" description ", out);
		fquote(out, d->description);
	}
}

static void ref_provider(const struct wfp_policy *p, const struct wfp_guid *k, FILE *out)
{
	const struct pol_provider *pv = pol_provider_by_key(p, k);
	const struct pol_known *kn = pol_known_provider_by_key(k);

	if (wfp_guid_is_zero(k))
		return;
	fputs(" provider ", out);
	if (pv)
		fputs(pv->name, out);
	else if (kn)
		fprintf(out, "FWPM_PROVIDER_%s", kn->name);
	else
		fguid(out, k);
}

static void ref_sublayer(const struct wfp_policy *p, const struct wfp_guid *k, FILE *out)
{
	const struct pol_sublayer *sl = pol_sublayer_by_key(p, k);

	if (wfp_guid_is_zero(k))
		return;
	fputs(" sublayer ", out);
	if (sl) {
		fputs(sl->name, out);
		return;
	}
	for (unsigned i = 0; i < wfp_builtin_sublayer_count(); i++) {
		const struct wfp_builtin_sublayer *b = wfp_builtin_sublayer(i);

		if (wfp_guid_eq(&b->key, k)) {
			fprintf(out, "FWPM_SUBLAYER_%s", b->name);
			return;
		}
	}
	fguid(out, k);
}

static void ref_callout(const struct wfp_policy *p, const struct wfp_guid *k, FILE *out)
{
	const struct pol_callout *c = pol_callout_by_key(p, k);
	const struct pol_known *kn = pol_known_callout_by_key(k);

	if (c)
		fputs(c->name, out);
	else if (kn)
		fprintf(out, "FWPM_CALLOUT_%s", kn->name);
	else
		fguid(out, k);
}

static void write_provider(const struct wfp_policy *p, const struct pol_provider *pv,
			   FILE *out)
{
	head(out, "provider", POL_PROVIDER, pv->name, &pv->p.display, &pv->p.key);
	if (pv->p.flags & WFP_PROVIDER_F_PERSISTENT)
		fputs(" persistent", out);
	if (pv->p.flags & WFP_PROVIDER_F_DISABLED)
		fputs(" disabled", out);
	if (pv->p.service_name) {
		fputs(" service ", out);
		fquote(out, pv->p.service_name);
	}
	fputc('\n', out);
}

static void write_sublayer(const struct wfp_policy *p, const struct pol_sublayer *sl,
			   FILE *out)
{
	head(out, "sublayer", POL_SUBLAYER, sl->name, &sl->s.display, &sl->s.key);
	ref_provider(p, &sl->s.provider_key, out);
	fprintf(out, " weight 0x%04x", sl->s.weight);
	if (sl->s.flags & WFP_SUBLAYER_F_PERSISTENT)
		fputs(" persistent", out);
	fputc('\n', out);
}

static void write_callout(const struct wfp_policy *p, const struct pol_callout *c,
			  FILE *out)
{
	head(out, "callout", POL_CALLOUT, c->name, &c->c.display, &c->c.key);
	fprintf(out, " layer %s", wfp_layer_name(c->c.applicable_layer));
	ref_provider(p, &c->c.provider_key, out);
	if (c->c.flags & WFP_CALLOUT_F_PERSISTENT)
		fputs(" persistent", out);
	if (c->c.flags & WFP_CALLOUT_F_USES_PROVIDER_CONTEXT)
		fputs(" uses-provider-context", out);
	fputc('\n', out);
}

static void write_weight(const struct wfp_value *w, FILE *out)
{
	if (w->type == WFP_UINT8)
		fprintf(out, " weight range %u", w->u8);
	else if (w->type == WFP_UINT64)
		fprintf(out, " weight %llu", (unsigned long long)w->u64);
	else
		fputs(" weight auto", out);
}

static void write_action(const struct wfp_policy *p, const struct wfp_action *a,
			 FILE *out)
{
	switch (a->type) {
	case WFP_ACTION_PERMIT:
		fputs(" permit", out);
		break;
	case WFP_ACTION_BLOCK:
		fputs(" block", out);
		break;
	default:
		fprintf(out, " callout %s ",
			a->type == WFP_ACTION_CALLOUT_INSPECTION ? "inspection" :
			a->type == WFP_ACTION_CALLOUT_UNKNOWN ? "unknown" : "terminating");
		ref_callout(p, &a->key, out);
		return;
	}
	if (!wfp_guid_is_zero(&a->key)) {
		fputs(" filter-type ", out);
		fguid(out, &a->key);
	}
}

static void write_flags(uint32_t flags, FILE *out)
{
	uint32_t rest = 0;

	for (uint32_t bit = 1; bit; bit <<= 1) {
		const char *n = flags & bit ? pol_filter_flag_name(bit) : NULL;

		if (n)
			fprintf(out, " %s", n);
		else
			rest |= flags & bit;
	}
	if (rest)
		fprintf(out, " flags 0x%x", rest);
}

/* Room for the longest rendering of v: hex doubles a blob. */
static size_t value_room(const struct wfp_cond_value *v)
{
	if (v->type == WFP_BYTE_BLOB || v->type == WFP_UNICODE_STRING ||
	    v->type == WFP_SID || v->type == WFP_SECURITY_DESCRIPTOR)
		return 4 * (size_t)v->v.blob.size + 16;
	return 256;
}

static int write_value(unsigned field, const struct wfp_cond_value *v, FILE *out)
{
	size_t n = value_room(v);
	char *b = wfp_malloc(n);

	if (!b)
		return -WFP_E_NOMEM;
	pol_value_format(field, v, b, n);
	fputs(b, out);
	wfp_free(b);
	return 0;
}

/* Conditions c[0..n) all on one field: "F in {a, b-c}" when every one is
 * EQUAL or RANGE, else "F op a or F op b". */
static int write_group(const struct wfp_filter_cond *c, unsigned n, FILE *out)
{
	const char *fname = wfp_field_name(c[0].field);
	bool list = n > 1;
	int r = 0;

	for (unsigned i = 0; i < n; i++)
		if (c[i].match != WFP_MATCH_EQUAL && c[i].match != WFP_MATCH_RANGE)
			list = false;
	if (list) {
		fprintf(out, "%s in {", fname);
		for (unsigned i = 0; i < n && !r; i++) {
			fputs(i ? ", " : "", out);
			r = write_value(c[i].field, &c[i].value, out);
		}
		fputc('}', out);
		return r;
	}
	for (unsigned i = 0; i < n && !r; i++) {
		fprintf(out, "%s%s %s ", i ? " or " : "", fname, pol_match_op(c[i].match));
		r = write_value(c[i].field, &c[i].value, out);
	}
	return r;
}

static int write_conds(const struct wfp_filter *f, FILE *out)
{
	unsigned i = 0;
	int r = 0;

	if (!f->ncond)
		return 0;
	fputs(" where", out);
	while (i < f->ncond && !r) {
		unsigned j = i + 1;

		while (j < f->ncond && f->cond[j].field == f->cond[i].field)
			j++;
		fputs("\n\t", out);
		r = write_group(&f->cond[i], j - i, out);
		if (j < f->ncond)
			fputs(" and", out);
		i = j;
	}
	return r;
}

static int write_filter(const struct wfp_policy *p, const struct pol_filter *pf,
			FILE *out)
{
	const struct wfp_filter *f = &pf->f;

	if (p->from_engine)
		fprintf(out, "# id %llu, effective weight 0x%016llx\n",
			(unsigned long long)f->filter_id,
			(unsigned long long)f->effective_weight);
	fputs("filter ", out);
	fquote(out, f->display.name ? f->display.name : "");
	if (!wfp_guid_is_zero(&f->key)) {
		fputs(" key ", out);
		fguid(out, &f->key);
	}
	if (f->display.description) {
		fputs(" description ", out);
		fquote(out, f->display.description);
	}
	fprintf(out, " layer %s", wfp_layer_name(f->layer));
	ref_sublayer(p, &f->sublayer_key, out);
	ref_provider(p, &f->provider_key, out);
	write_weight(&f->weight, out);
	write_action(p, &f->action, out);
	write_flags(f->flags, out);
	if (f->raw_context)
		fprintf(out, " context %llu", (unsigned long long)f->raw_context);
	int r = write_conds(f, out);

	fputc('\n', out);
	return r;
}

/* An engine's filters come in arbitration order (layer, sublayer weight,
 * filter weight): a comment marks where a layer or a sublayer starts. */
static void section(const struct wfp_policy *p, size_t i, FILE *out)
{
	const struct wfp_filter *f = &p->filt[i].f, *prev = i ? &p->filt[i - 1].f : NULL;
	bool new_layer = !prev || prev->layer != f->layer;

	if (new_layer)
		fprintf(out, "\n# ---- layer %s ----\n", wfp_layer_name(f->layer));
	if (new_layer || !wfp_guid_eq(&prev->sublayer_key, &f->sublayer_key)) {
		const struct pol_sublayer *sl = pol_sublayer_by_key(p, &f->sublayer_key);

		fputc('#', out);
		ref_sublayer(p, &f->sublayer_key, out);
		for (unsigned k = 0; !sl && k < wfp_builtin_sublayer_count(); k++)
			if (wfp_guid_eq(&wfp_builtin_sublayer(k)->key, &f->sublayer_key))
				fprintf(out, " weight 0x%04x", wfp_builtin_sublayer(k)->weight);
		if (sl)
			fprintf(out, " weight 0x%04x", sl->s.weight);
		fputc('\n', out);
	}
}

int pol_write_text(const struct wfp_policy *p, FILE *out)
{
	int r = 0;

	for (size_t i = 0; i < p->nprov; i++)
		write_provider(p, &p->prov[i], out);
	for (size_t i = 0; i < p->nsubl; i++)
		write_sublayer(p, &p->subl[i], out);
	for (size_t i = 0; i < p->ncall; i++)
		write_callout(p, &p->call[i], out);
	for (size_t i = 0; i < p->nfilt && !r; i++) {
		if (p->from_engine)
			section(p, i, out);
		r = write_filter(p, &p->filt[i], out);
	}
	if (!r && ferror(out))
		r = -WFP_E_IO;
	return r;
}
