// SPDX-License-Identifier: MIT
/*
 * sim.c - scenario scripts for the stack model: parser and runner
 * (docs/sim.md).  In libwfp rather than in wfpctl so that it can be
 * fuzzed and unit-tested through the library alone.
 *
 * The parser reads the whole script into a list of commands and checks
 * every name it can (hosts, layers, fields, values) before anything runs,
 * so a bad script changes nothing and reports file:line: message.  The
 * runner gives each host its own engine and stack, executes the commands
 * in order and, after each one, delivers the packets the hosts sent, one
 * at a time in FIFO order, to the host owning the destination address:
 * this serialises the two sides of an exchange exactly as the global
 * time order of spec §2.1's table.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>
#include <wfp/wfp_sim.h>

#include "alloc.h"
#include "compat.h"

enum {
	SIM_MAX_HOSTS = 64,
	SIM_MAX_TOKENS = 64,
	SIM_MAX_CONDS = 16,
	SIM_QUEUE_MAX = 1 << 12, /* packets in flight; a command sends a handful */
	SIM_DELIVERY_BUDGET = 1 << 20, /* packets per command, against ping-pong */
	SIM_NAME_MAX = 32
};

enum cmd_kind {
	C_HOST,
	C_POLICY,
	C_FILTER,
	C_TCP_LISTEN,
	C_TCP_CONNECT,
	C_UDP_BIND,
	C_UDP_SEND,
	C_ICMP_ECHO,
	C_SEND,
	C_CLOSE,
	C_ADVANCE,
	C_MTU
};

struct cmd {
	enum cmd_kind kind;
	unsigned line;
	int host;
	int peer;
	int family;
	uint16_t port;
	uint32_t len;
	uint64_t ms;
	char *path; /* policy file (resolved), app path */
	struct wfp_sock_owner owner;
	/* filter */
	uint16_t layer;
	uint32_t action;
	struct wfp_value weight;
	uint32_t ncond;
	struct wfp_filter_cond cond[SIM_MAX_CONDS];
	char *blobs[SIM_MAX_CONDS];
};

struct sim_host {
	char name[SIM_NAME_MAX];
	struct wfp_addr a4, a6;
	bool has4, has6;
	struct wfp_engine *e;
	struct wfp_session *sess;
	struct wfp_host *h;
	int udp_sd[2]; /* the socket `udp send` uses, per family */
};

struct qpkt {
	struct wfp_pkt p;
	int from;
};

struct wfp_sim {
	char file[256];
	char *basedir;
	struct cmd *cmds;
	unsigned ncmds, cap;
	struct sim_host hosts[SIM_MAX_HOSTS];
	unsigned nhosts;
	bool ran;
	wfp_trace_fn trace;
	void *trace_ctx;
	wfp_sim_note_fn note;
	void *note_ctx;
	struct qpkt *q;
	unsigned qhead, qlen;
	uint64_t now_ms;
	uint32_t mtu;     /* 0: no fragmentation on the wire */
	uint32_t ip_id;
};

/* ---- errors ---- */

static __attribute__((format(printf, 5, 6))) int
fail(struct wfp_sim *s, struct wfp_sim_error *err, unsigned line, int code,
     const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		err->line = line;
		strlcpy(err->file, s->file, sizeof(err->file));
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static __attribute__((format(printf, 3, 4))) void
note(struct wfp_sim *s, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!s->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->note(s->file, line, msg, s->note_ctx);
}

/* ---- object ---- */

struct wfp_sim *wfp_sim_new(void)
{
	return wfp_calloc(1, sizeof(struct wfp_sim));
}

static void hosts_down(struct wfp_sim *s)
{
	for (unsigned i = 0; i < s->nhosts; i++) {
		struct sim_host *sh = &s->hosts[i];

		wfp_host_free(sh->h);
		sh->h = NULL;
		wfp_session_close(sh->sess);
		sh->sess = NULL;
		wfp_engine_close(sh->e);
		sh->e = NULL;
	}
}

static void cmds_free(struct wfp_sim *s)
{
	for (unsigned i = 0; i < s->ncmds; i++) {
		wfp_free(s->cmds[i].path);
		wfp_free((char *)s->cmds[i].owner.app);
		for (unsigned j = 0; j < SIM_MAX_CONDS; j++)
			wfp_free(s->cmds[i].blobs[j]);
	}
	wfp_free(s->cmds);
	s->cmds = NULL;
	s->ncmds = s->cap = 0;
}

void wfp_sim_free(struct wfp_sim *s)
{
	if (!s)
		return;
	hosts_down(s);
	cmds_free(s);
	wfp_free(s->basedir);
	wfp_free(s->q);
	wfp_free(s);
}

void wfp_sim_set_trace(struct wfp_sim *s, wfp_trace_fn fn, void *ctx)
{
	s->trace = fn;
	s->trace_ctx = ctx;
}

void wfp_sim_set_note(struct wfp_sim *s, wfp_sim_note_fn fn, void *ctx)
{
	s->note = fn;
	s->note_ctx = ctx;
}

unsigned wfp_sim_name_width(const struct wfp_sim *s)
{
	size_t w = 4;

	for (unsigned i = 0; i < s->nhosts; i++)
		if (strlen(s->hosts[i].name) > w)
			w = strlen(s->hosts[i].name);
	return (unsigned)w;
}

unsigned wfp_sim_host_count(const struct wfp_sim *s)
{
	return s->nhosts;
}

struct wfp_host *wfp_sim_host(const struct wfp_sim *s, unsigned i)
{
	return i < s->nhosts ? s->hosts[i].h : NULL;
}

/* ---- parser ---- */

struct pline {
	char *tok[SIM_MAX_TOKENS];
	unsigned n;
	unsigned line;
};

/* Splits buf in place: whitespace separates, '#' starts a comment, double
 * quotes group.  -1 on an unterminated quote or too many tokens. */
static int split(char *buf, struct pline *pl)
{
	char *p = buf;

	pl->n = 0;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return 0;
		if (pl->n == SIM_MAX_TOKENS)
			return -1;
		if (*p == '"') {
			pl->tok[pl->n++] = ++p;
			while (*p && *p != '"')
				p++;
			if (!*p)
				return -1;
			*p++ = '\0';
			continue;
		}
		pl->tok[pl->n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static int find_host(const struct wfp_sim *s, const char *name)
{
	for (unsigned i = 0; i < s->nhosts; i++)
		if (!strcmp(s->hosts[i].name, name))
			return (int)i;
	return -1;
}

static bool parse_u64(const char *t, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!t || !*t || *t == '-' || *t == '+')
		return false;
	errno = 0;
	v = strtoull(t, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static struct cmd *cmd_new(struct wfp_sim *s, enum cmd_kind kind, unsigned line)
{
	struct cmd *c;

	if (s->ncmds == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 32;
		struct cmd *n = wfp_realloc(s->cmds, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->cmds = n;
		s->cap = cap;
	}
	c = &s->cmds[s->ncmds++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->line = line;
	c->host = c->peer = -1;
	c->family = WFP_AF_INET;
	return c;
}

static bool valid_name(const char *n)
{
	static const char *const reserved[] = { "host", "policy", "filter", "advance", "mtu" };

	if (!*n || strlen(n) >= SIM_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(n, reserved[i]))
			return false;
	return true;
}

static bool is_lo(const struct wfp_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return a->family == WFP_AF_INET ? (a->v4 >> 24) == 127 : !memcmp(a->v6, one, 16);
}

static bool addr_taken(const struct wfp_sim *s, const struct wfp_addr *a)
{
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];

		if ((h->has4 && wfp_addr_eq(&h->a4, a)) || (h->has6 && wfp_addr_eq(&h->a6, a)))
			return true;
	}
	return false;
}

#define FAIL(...) fail(s, err, pl->line, -WFP_E_PARSE, __VA_ARGS__)

static int p_host(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	struct sim_host *h;
	struct cmd *c;

	if (pl->n < 3 || pl->n > 4)
		return FAIL("usage: host NAME ADDRESS [ADDRESS]");
	if (!valid_name(pl->tok[1]))
		return FAIL("bad host name '%s'", pl->tok[1]);
	if (find_host(s, pl->tok[1]) >= 0)
		return FAIL("host '%s' already declared", pl->tok[1]);
	if (s->nhosts == SIM_MAX_HOSTS)
		return FAIL("too many hosts (at most %d)", SIM_MAX_HOSTS);
	h = &s->hosts[s->nhosts];
	memset(h, 0, sizeof(*h));
	strlcpy(h->name, pl->tok[1], sizeof(h->name));
	for (unsigned i = 2; i < pl->n; i++) {
		struct wfp_addr a;

		if (wfp_addr_parse(pl->tok[i], &a))
			return FAIL("bad address '%s'", pl->tok[i]);
		if (a.family == WFP_AF_INET ? h->has4 : h->has6)
			return FAIL("two addresses of one family for host '%s'", h->name);
		if (addr_taken(s, &a) || is_lo(&a))
			return FAIL("address '%s' is loopback or already taken", pl->tok[i]);
		if (a.family == WFP_AF_INET) {
			h->a4 = a;
			h->has4 = true;
		} else {
			h->a6 = a;
			h->has6 = true;
		}
	}
	c = cmd_new(s, C_HOST, pl->line);
	if (!c)
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	c->host = (int)s->nhosts++;
	return 0;
}

static char *join_path(const char *dir, const char *path)
{
	size_t n;
	char *r;

	if (path[0] == '/' || !dir || !*dir)
		return wfp_strdup(path);
	n = strlen(dir) + strlen(path) + 2;
	r = wfp_malloc(n);
	if (r)
		snprintf(r, n, "%s/%s", dir, path);
	return r;
}

static int p_policy(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	struct cmd *c;
	int h;

	if (pl->n != 3)
		return FAIL("usage: policy HOST FILE");
	h = find_host(s, pl->tok[1]);
	if (h < 0)
		return FAIL("unknown host '%s'", pl->tok[1]);
	c = cmd_new(s, C_POLICY, pl->line);
	if (!c || !(c->path = join_path(s->basedir, pl->tok[2])))
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	c->host = h;
	return 0;
}

static const struct {
	const char *name;
	uint32_t v;
} flag_names[] = {
	{ "loopback", WFP_CONDITION_FLAG_IS_LOOPBACK },
	{ "ipsec_secured", WFP_CONDITION_FLAG_IS_IPSEC_SECURED },
	{ "reauthorize", WFP_CONDITION_FLAG_IS_REAUTHORIZE },
	{ "wildcard_bind", WFP_CONDITION_FLAG_IS_WILDCARD_BIND },
	{ "raw_endpoint", WFP_CONDITION_FLAG_IS_RAW_ENDPOINT },
	{ "fragment", WFP_CONDITION_FLAG_IS_FRAGMENT },
	{ "requires_ale_classify", WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY },
	{ "implicit_bind", WFP_CONDITION_FLAG_IS_IMPLICIT_BIND },
	{ "reassembled", WFP_CONDITION_FLAG_IS_REASSEMBLED },
	{ "policy_change", WFP_REAUTH_POLICY_CHANGE },
	{ "tcp", WFP_PROTO_TCP }, { "udp", WFP_PROTO_UDP },
	{ "icmp", WFP_PROTO_ICMP }, { "icmpv6", WFP_PROTO_ICMPV6 },
	{ "outbound", WFP_DIRECTION_OUTBOUND }, { "inbound", WFP_DIRECTION_INBOUND },
};

/* A number, or symbolic names joined by '|' (loopback|reauthorize, tcp,
 * inbound); "IS_LOOPBACK" and "FWP_CONDITION_FLAG_IS_LOOPBACK" too. */
static bool parse_num(const char *t, uint64_t max, uint64_t *out)
{
	char buf[128], *save = NULL, *w;
	uint64_t v = 0;

	if (parse_u64(t, max, out))
		return true;
	if (strlen(t) >= sizeof(buf))
		return false;
	strlcpy(buf, t, sizeof(buf));
	for (w = strtok_r(buf, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
		const char *n = w;
		size_t i;

		if (!strncasecmp(n, "FWP_CONDITION_FLAG_", 19))
			n += 19;
		if (!strncasecmp(n, "IS_", 3))
			n += 3;
		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (!strcasecmp(n, flag_names[i].name))
				break;
		if (i == sizeof(flag_names) / sizeof(flag_names[0]))
			return false;
		v |= flag_names[i].v;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static const struct {
	const char *op;
	uint16_t match;
} ops[] = {
	{ "==", WFP_MATCH_EQUAL }, { "!=", WFP_MATCH_NOT_EQUAL },
	{ "<", WFP_MATCH_LESS }, { "<=", WFP_MATCH_LESS_OR_EQUAL },
	{ ">", WFP_MATCH_GREATER }, { ">=", WFP_MATCH_GREATER_OR_EQUAL },
	{ "all", WFP_MATCH_FLAGS_ALL_SET }, { "any", WFP_MATCH_FLAGS_ANY_SET },
	{ "none", WFP_MATCH_FLAGS_NONE_SET },
};

static bool is_addr_field(unsigned f)
{
	return f == WFP_FIELD_IP_LOCAL_ADDRESS || f == WFP_FIELD_IP_REMOTE_ADDRESS ||
	       f == WFP_FIELD_IP_SOURCE_ADDRESS || f == WFP_FIELD_IP_DESTINATION_ADDRESS ||
	       f == WFP_FIELD_EMBEDDED_REMOTE_ADDRESS;
}

static int p_addr_value(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
			const char *t, unsigned layer, struct wfp_cond_value *cv)
{
	char buf[64], *slash;
	struct wfp_addr a;
	uint64_t plen = 0;
	bool v6 = wfp_layer_flags(layer) & WFP_LAYER_F_V6;

	if (strlen(t) >= sizeof(buf))
		return FAIL("bad address '%s'", t);
	strlcpy(buf, t, sizeof(buf));
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (wfp_addr_parse(buf, &a) || (a.family == WFP_AF_INET6) != v6)
		return FAIL("'%s' is not an IPv%d address (layer %s)", t, v6 ? 6 : 4,
			    wfp_layer_name(layer));
	if (slash && !parse_u64(slash, v6 ? 128 : 32, &plen))
		return FAIL("bad prefix length in '%s'", t);
	if (!v6 && slash) {
		cv->type = WFP_V4_ADDR_MASK;
		cv->v4.addr = a.v4;
		cv->v4.mask = plen ? ~0U << (32 - plen) : 0;
		cv->v4.addr &= cv->v4.mask;
	} else if (!v6) {
		cv->type = WFP_UINT32;
		cv->v.type = WFP_UINT32;
		cv->v.u32 = a.v4;
	} else if (slash) {
		cv->type = WFP_V6_ADDR_MASK;
		memcpy(cv->v6.addr, a.v6, 16);
		cv->v6.prefix_len = (uint8_t)plen;
	} else {
		cv->type = WFP_BYTE_ARRAY16;
		cv->v.type = WFP_BYTE_ARRAY16;
		memcpy(cv->v.a16, a.v6, 16);
	}
	return 0;
}

static int p_cond(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
		  struct cmd *c, unsigned at)
{
	struct wfp_filter_cond *fc = &c->cond[c->ncond];
	struct wfp_cond_value *cv = &fc->value;
	const char *fname = pl->tok[at], *op = pl->tok[at + 1], *val = pl->tok[at + 2];
	int f = wfp_field_by_name(fname), type;
	uint64_t n, max;
	size_t i;

	if (f < 0 || wfp_layer_field_index(c->layer, (unsigned)f) < 0)
		return FAIL("field '%s' is not available at layer %s", fname,
			    wfp_layer_name(c->layer));
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].op))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return FAIL("unknown operator '%s' (== != < <= > >= all any none)", op);
	fc->field = (uint16_t)f;
	fc->match = ops[i].match;
	type = wfp_field_type((unsigned)f, c->layer);
	if (is_addr_field((unsigned)f))
		return p_addr_value(s, pl, err, val, c->layer, cv);
	switch (type) {
	case WFP_UINT8:
	case WFP_UINT16:
	case WFP_UINT32:
	case WFP_UINT64:
		max = type == WFP_UINT8 ? 0xff : type == WFP_UINT16 ? 0xffff :
		      type == WFP_UINT32 ? 0xffffffffULL : UINT64_MAX;
		if (!parse_num(val, max, &n))
			return FAIL("bad value '%s' for %s", val, fname);
		cv->type = cv->v.type = (uint16_t)type;
		if (type == WFP_UINT8)
			cv->v.u8 = (uint8_t)n;
		else if (type == WFP_UINT16)
			cv->v.u16 = (uint16_t)n;
		else if (type == WFP_UINT32)
			cv->v.u32 = (uint32_t)n;
		else
			cv->v.u64 = n;
		return 0;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION: {
		char sddl[96];

		/* user == UID: an SD granting MATCH_FILTER (CC) to S-1-22-1-UID */
		if (!parse_u64(val, UINT32_MAX, &n))
			return FAIL("bad user id '%s' (a number)", val);
		snprintf(sddl, sizeof(sddl), "D:(A;;CC;;;S-1-22-1-%llu)", (unsigned long long)n);
		c->blobs[c->ncond] = wfp_strdup(sddl);
		cv->type = cv->v.type = WFP_SECURITY_DESCRIPTOR;
		break;
	}
	default:
		/* app ids and other blobs: the bytes of the text */
		c->blobs[c->ncond] = wfp_strdup(val);
		cv->type = cv->v.type = type == WFP_SID ? WFP_SID : WFP_BYTE_BLOB;
		break;
	}
	if (!c->blobs[c->ncond])
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	cv->v.blob.data = (const uint8_t *)c->blobs[c->ncond];
	cv->v.blob.size = (uint32_t)strlen(c->blobs[c->ncond]);
	return 0;
}

/* filter HOST LAYER permit|block [weight N] [where F OP V [and F OP V]...] */
static int p_filter(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	struct cmd *c;
	unsigned i = 4;
	uint64_t w;
	int h, layer, ret;

	if (pl->n < 4)
		return FAIL("usage: filter HOST LAYER permit|block [weight N] [where FIELD OP VALUE [and ...]]");
	h = find_host(s, pl->tok[1]);
	if (h < 0)
		return FAIL("unknown host '%s'", pl->tok[1]);
	layer = wfp_layer_by_name(pl->tok[2]);
	if (layer < 0)
		return FAIL("unknown layer '%s'", pl->tok[2]);
	c = cmd_new(s, C_FILTER, pl->line);
	if (!c)
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	c->host = h;
	c->layer = (uint16_t)layer;
	if (!strcmp(pl->tok[3], "permit"))
		c->action = WFP_ACTION_PERMIT;
	else if (!strcmp(pl->tok[3], "block"))
		c->action = WFP_ACTION_BLOCK;
	else
		return FAIL("action must be permit or block, not '%s'", pl->tok[3]);
	if (i < pl->n && !strcmp(pl->tok[i], "weight")) {
		if (i + 1 >= pl->n || !parse_u64(pl->tok[i + 1], UINT64_MAX, &w))
			return FAIL("weight needs a number");
		if (w <= 15) {
			c->weight.type = WFP_UINT8;
			c->weight.u8 = (uint8_t)w;
		} else {
			c->weight.type = WFP_UINT64;
			c->weight.u64 = w;
		}
		i += 2;
	}
	if (i == pl->n)
		return 0;
	if (strcmp(pl->tok[i], "where"))
		return FAIL("expected 'where' or 'weight', got '%s'", pl->tok[i]);
	for (i++;; i += 4) {
		if (i + 3 > pl->n)
			return FAIL("a condition is FIELD OP VALUE");
		if (c->ncond == SIM_MAX_CONDS)
			return FAIL("too many conditions (at most %d)", SIM_MAX_CONDS);
		ret = p_cond(s, pl, err, c, i);
		if (ret)
			return ret;
		c->ncond++;
		if (i + 3 == pl->n)
			return 0;
		if (strcmp(pl->tok[i + 3], "and"))
			return FAIL("expected 'and', got '%s'", pl->tok[i + 3]);
	}
}

static int p_mtu(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	struct cmd *c;
	uint64_t v;

	if (pl->n != 2 || !parse_u64(pl->tok[1], 65535, &v) || (v && v < 128))
		return FAIL("usage: mtu BYTES (128-65535, 0: none)");
	c = cmd_new(s, C_MTU, pl->line);
	if (!c)
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	c->len = (uint32_t)v;
	return 0;
}

static int p_advance(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	char buf[32], *unit;
	uint64_t v, mul = 1000;
	struct cmd *c;

	if (pl->n != 2 || strlen(pl->tok[1]) >= sizeof(buf))
		return FAIL("usage: advance SECONDS (or Nms, Ns)");
	strlcpy(buf, pl->tok[1], sizeof(buf));
	unit = buf + strspn(buf, "0123456789");
	if (!strcmp(unit, "ms"))
		mul = 1;
	else if (*unit && strcmp(unit, "s"))
		return FAIL("bad duration '%s'", pl->tok[1]);
	*unit = '\0';
	if (!parse_u64(buf, UINT32_MAX, &v))
		return FAIL("bad duration '%s'", pl->tok[1]);
	c = cmd_new(s, C_ADVANCE, pl->line);
	if (!c)
		return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
	c->ms = v * mul;
	return 0;
}

/* [app PATH] [user UID|root|nobody] from tok[i] on. */
static int p_owner(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
		   struct cmd *c, unsigned i)
{
	uint64_t uid;

	for (; i < pl->n; i += 2) {
		const char *k = pl->tok[i], *v = i + 1 < pl->n ? pl->tok[i + 1] : NULL;

		if (!v)
			return FAIL("'%s' needs a value", k);
		if (!strcmp(k, "app")) {
			if (c->owner.app)
				return FAIL("app given twice");
			c->owner.app = wfp_strdup(v);
			if (!c->owner.app)
				return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
		} else if (!strcmp(k, "user")) {
			if (!strcmp(v, "root"))
				uid = 0;
			else if (!strcmp(v, "nobody"))
				uid = 65534;
			else if (!parse_u64(v, UINT32_MAX, &uid))
				return FAIL("user is a uid, 'root' or 'nobody', not '%s'", v);
			c->owner.has_user = 1;
			c->owner.uid = (uint32_t)uid;
			c->owner.gid = (uint32_t)uid;
		} else {
			return FAIL("unexpected '%s' (app PATH, user UID)", k);
		}
	}
	return 0;
}

static int p_peer(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
		  struct cmd *c, const char *name)
{
	const struct sim_host *ph;

	c->peer = find_host(s, name);
	if (c->peer < 0)
		return FAIL("unknown host '%s'", name);
	ph = &s->hosts[c->peer];
	if (c->family == WFP_AF_INET6 ? !ph->has6 : !ph->has4)
		return FAIL("host '%s' has no IPv%d address", name, c->family);
	return 0;
}

static int p_port(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
		  struct cmd *c, const char *t)
{
	uint64_t v;

	if (!parse_u64(t, 65535, &v) || !v)
		return FAIL("bad port '%s'", t);
	c->port = (uint16_t)v;
	return 0;
}

static int p_len(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err,
		 struct cmd *c, const char *t)
{
	uint64_t v;

	if (!parse_u64(t, 65507, &v))
		return FAIL("bad byte count '%s' (0..65507)", t);
	c->len = (uint32_t)v;
	return 0;
}

/* HOST tcp|udp|icmp [-4|-6] VERB ...  /  HOST send N  /  HOST close */
static int p_action(struct wfp_sim *s, struct pline *pl, struct wfp_sim_error *err)
{
	const char *proto = pl->n > 1 ? pl->tok[1] : "";
	unsigned i = 2;
	struct cmd *c;
	int h = find_host(s, pl->tok[0]), fam = WFP_AF_INET, ret;
	const char *verb;

	if (h < 0)
		return FAIL("unknown command or host '%s'", pl->tok[0]);
	if (!strcmp(proto, "send") || !strcmp(proto, "close")) {
		bool send = !strcmp(proto, "send");

		if (pl->n != (send ? 3u : 2u))
			return FAIL(send ? "usage: HOST send BYTES" : "usage: HOST close");
		c = cmd_new(s, send ? C_SEND : C_CLOSE, pl->line);
		if (!c)
			return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory");
		c->host = h;
		return send ? p_len(s, pl, err, c, pl->tok[2]) : 0;
	}
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "icmp"))
		return FAIL("expected tcp, udp, icmp, send or close after '%s'", pl->tok[0]);
	if (i < pl->n && (!strcmp(pl->tok[i], "-6") || !strcmp(pl->tok[i], "-4"))) {
		fam = pl->tok[i][1] == '6' ? WFP_AF_INET6 : WFP_AF_INET;
		i++;
	}
	verb = i < pl->n ? pl->tok[i++] : "";
	if (fam == WFP_AF_INET6 ? !s->hosts[h].has6 : !s->hosts[h].has4)
		return FAIL("host '%s' has no IPv%d address", pl->tok[0], fam);
#define NEW(k) do { c = cmd_new(s, (k), pl->line); \
	if (!c) return fail(s, err, pl->line, -WFP_E_NOMEM, "out of memory"); \
	c->host = h; c->family = fam; } while (0)
	if (!strcmp(proto, "tcp") && !strcmp(verb, "listen")) {
		if (i >= pl->n)
			return FAIL("usage: HOST tcp [-6] listen PORT [app PATH] [user UID]");
		NEW(C_TCP_LISTEN);
		ret = p_port(s, pl, err, c, pl->tok[i]);
		return ret ? ret : p_owner(s, pl, err, c, i + 1);
	}
	if (!strcmp(proto, "tcp") && !strcmp(verb, "connect")) {
		if (i + 1 >= pl->n)
			return FAIL("usage: HOST tcp [-6] connect PEER PORT [app PATH] [user UID]");
		NEW(C_TCP_CONNECT);
		if ((ret = p_peer(s, pl, err, c, pl->tok[i])) ||
		    (ret = p_port(s, pl, err, c, pl->tok[i + 1])))
			return ret;
		return p_owner(s, pl, err, c, i + 2);
	}
	if (!strcmp(proto, "udp") && !strcmp(verb, "bind")) {
		if (i >= pl->n)
			return FAIL("usage: HOST udp [-6] bind PORT [app PATH] [user UID]");
		NEW(C_UDP_BIND);
		ret = p_port(s, pl, err, c, pl->tok[i]);
		return ret ? ret : p_owner(s, pl, err, c, i + 1);
	}
	if (!strcmp(proto, "udp") && !strcmp(verb, "send")) {
		if (i + 2 >= pl->n)
			return FAIL("usage: HOST udp [-6] send PEER PORT BYTES [app PATH] [user UID]");
		NEW(C_UDP_SEND);
		if ((ret = p_peer(s, pl, err, c, pl->tok[i])) ||
		    (ret = p_port(s, pl, err, c, pl->tok[i + 1])) ||
		    (ret = p_len(s, pl, err, c, pl->tok[i + 2])))
			return ret;
		return p_owner(s, pl, err, c, i + 3);
	}
	if (!strcmp(proto, "icmp") && !strcmp(verb, "echo")) {
		if (i + 1 != pl->n)
			return FAIL("usage: HOST icmp [-6] echo PEER");
		NEW(C_ICMP_ECHO);
		return p_peer(s, pl, err, c, pl->tok[i]);
	}
#undef NEW
	return FAIL("unknown %s command '%s'", proto, verb);
}

#undef FAIL

static int parse_line(struct wfp_sim *s, char *buf, unsigned line, struct wfp_sim_error *err)
{
	struct pline pl = { .line = line };

	if (split(buf, &pl))
		return fail(s, err, line, -WFP_E_PARSE, "unterminated quote or too many words");
	if (!pl.n)
		return 0;
	if (!strcmp(pl.tok[0], "host"))
		return p_host(s, &pl, err);
	if (!strcmp(pl.tok[0], "policy"))
		return p_policy(s, &pl, err);
	if (!strcmp(pl.tok[0], "filter"))
		return p_filter(s, &pl, err);
	if (!strcmp(pl.tok[0], "advance"))
		return p_advance(s, &pl, err);
	if (!strcmp(pl.tok[0], "mtu"))
		return p_mtu(s, &pl, err);
	return p_action(s, &pl, err);
}

int wfp_sim_load_string(struct wfp_sim *s, const char *text, size_t len, const char *name,
			const char *basedir, struct wfp_sim_error *err)
{
	char buf[1024];
	unsigned line = 0;
	size_t i = 0;
	int ret;

	if (!s || (!text && len))
		return -WFP_E_INVAL;
	hosts_down(s);
	cmds_free(s);
	s->nhosts = 0;
	s->ran = false;
	strlcpy(s->file, name ? name : "<string>", sizeof(s->file));
	wfp_free(s->basedir);
	s->basedir = basedir ? wfp_strdup(basedir) : NULL;
	if (basedir && !s->basedir)
		return fail(s, err, 0, -WFP_E_NOMEM, "out of memory");
	while (i < len) {
		size_t n = 0;

		line++;
		while (i < len && text[i] != '\n') {
			if (n + 1 >= sizeof(buf) || !text[i])
				return fail(s, err, line, -WFP_E_PARSE,
					    text[i] ? "line too long" : "NUL byte in script");
			buf[n++] = text[i++];
		}
		i++; /* the newline */
		buf[n] = '\0';
		ret = parse_line(s, buf, line, err);
		if (ret)
			return ret;
	}
	return 0;
}

int wfp_sim_load_file(struct wfp_sim *s, const char *path, struct wfp_sim_error *err)
{
	char dir[4096], *slash;
	size_t len = 0, cap = 0;
	char *text = NULL;
	FILE *f;
	int ret;

	if (!s || !path)
		return -WFP_E_INVAL;
	f = fopen(path, "r");
	if (!f) {
		strlcpy(s->file, path, sizeof(s->file));
		return fail(s, err, 0, -WFP_E_IO, "%s", strerror(errno));
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *n;

			cap = cap ? cap * 2 : 4096;
			if (cap > (16u << 20) || !(n = wfp_realloc(text, cap))) {
				fclose(f);
				wfp_free(text);
				strlcpy(s->file, path, sizeof(s->file));
				return fail(s, err, 0, -WFP_E_NOMEM, "script too large");
			}
			text = n;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (!got)
			break;
	}
	fclose(f);
	strlcpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strlcpy(dir, ".", sizeof(dir));
	ret = wfp_sim_load_string(s, text, len, path, dir, err);
	wfp_free(text);
	return ret;
}

/* ---- runner ---- */

static void on_output(struct wfp_host *h, const struct wfp_pkt *p, void *ctx)
{
	struct wfp_sim *s = ctx;
	struct qpkt *slot;
	int from = -1;

	for (unsigned i = 0; i < s->nhosts; i++)
		if (s->hosts[i].h == h)
			from = (int)i;
	if (s->qlen == SIM_QUEUE_MAX)
		return; /* the wire is full: lost, like any overrun */
	slot = &s->q[(s->qhead + s->qlen++) % SIM_QUEUE_MAX];
	slot->p = *p;
	slot->from = from;
}

static int owner_of(const struct wfp_sim *s, const struct qpkt *q)
{
	const struct wfp_addr *d = &q->p.dst;

	if (is_lo(d))
		return q->from;
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];

		if ((h->has4 && wfp_addr_eq(&h->a4, d)) || (h->has6 && wfp_addr_eq(&h->a6, d)))
			return (int)i;
	}
	return -1;
}

static uint32_t thdr_len(uint8_t proto)
{
	switch (proto) {
	case WFP_PROTO_TCP:
		return 20;
	case WFP_PROTO_UDP:
	case WFP_PROTO_ICMP:
	case WFP_PROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/* The wire: a packet larger than the MTU arrives as fragments (the sender
 * fragments after OUTBOUND_IPPACKET, which never sees them, spec §2.5). */
static void receive(struct wfp_sim *s, struct wfp_host *h, struct wfp_pkt *p)
{
	uint32_t iph = p->family == WFP_AF_INET6 ? 48 : 20; /* v6: + fragment header */
	uint32_t ipp = thdr_len(p->proto) + p->payload_len, chunk, id;

	if (!s->mtu || (p->family == WFP_AF_INET6 ? 40 : 20) + ipp <= s->mtu) {
		wfp_host_receive(h, p);
		return;
	}
	chunk = (s->mtu - iph) / 8 * 8;
	id = ++s->ip_id;
	for (uint32_t off = 0; off < ipp; off += chunk) {
		struct wfp_pkt f = *p;
		uint32_t len = ipp - off < chunk ? ipp - off : chunk;

		f.flags |= WFP_PKT_F_FRAGMENT;
		if (off + len < ipp)
			f.flags |= WFP_PKT_F_MORE_FRAGS;
		f.frag_off = (uint16_t)(off / 8);
		f.frag_len = (uint16_t)len;
		f.ip_id = id;
		f.payload_len = off ? len : len - thdr_len(p->proto);
		wfp_host_receive(h, &f);
	}
}

static void deliver(struct wfp_sim *s, unsigned line)
{
	unsigned budget = SIM_DELIVERY_BUDGET;

	while (s->qlen && budget--) {
		struct qpkt q = s->q[s->qhead];
		char buf[64];
		int to;

		s->qhead = (s->qhead + 1) % SIM_QUEUE_MAX;
		s->qlen--;
		to = owner_of(s, &q);
		if (to < 0) {
			note(s, line, "no host owns %s: packet lost",
			     wfp_addr_format(&q.p.dst, buf, sizeof(buf)));
			continue;
		}
		if (to == q.from)
			q.p.flags |= WFP_PKT_F_LOOPBACK;
		receive(s, s->hosts[to].h, &q.p);
	}
	if (s->qlen) {
		note(s, line, "packet storm: %u packets dropped", s->qlen);
		s->qlen = 0;
	}
}

static int run_host(struct wfp_sim *s, const struct cmd *c, struct wfp_sim_error *err)
{
	struct sim_host *sh = &s->hosts[c->host];
	struct wfp_host_opts o = { .sz = sizeof(o), .name = sh->name };

	sh->e = wfp_engine_open(NULL);
	sh->sess = sh->e ? wfp_session_open(sh->e, NULL) : NULL;
	sh->h = sh->sess ? wfp_host_new(sh->e, &o) : NULL;
	if (!sh->h)
		return fail(s, err, c->line, -WFP_E_NOMEM, "cannot create host '%s'", sh->name);
	if (sh->has4)
		wfp_host_add_addr(sh->h, &sh->a4);
	if (sh->has6)
		wfp_host_add_addr(sh->h, &sh->a6);
	wfp_host_set_trace(sh->h, s->trace, s->trace_ctx);
	wfp_host_set_output(sh->h, on_output, s);
	wfp_host_set_time(sh->h, s->now_ms);
	sh->udp_sd[0] = sh->udp_sd[1] = -1;
	return 0;
}

static int run_policy(struct wfp_sim *s, const struct cmd *c, struct wfp_sim_error *err)
{
	struct wfp_policy_error pe = { 0 };
	int ret;

	ret = wfp_policy_load_file(s->hosts[c->host].sess, c->path, WFP_POLICY_REPLACE, &pe);
	if (ret) {
		if (pe.line)
			return fail(s, err, c->line, ret, "policy %s:%u: %s", c->path, pe.line,
				    pe.msg[0] ? pe.msg : wfp_strerror(ret));
		return fail(s, err, c->line, ret, "policy %s: %s", c->path,
			    pe.msg[0] ? pe.msg : wfp_strerror(ret));
	}
	return 0;
}

static int run_filter(struct wfp_sim *s, const struct cmd *c, struct wfp_sim_error *err)
{
	struct wfp_filter f = { 0 };
	char name[300];
	uint64_t id = 0;
	int ret;

	snprintf(name, sizeof(name), "%s:%u", s->file, c->line);
	f.display.name = name;
	f.layer = c->layer;
	f.weight = c->weight;
	f.ncond = c->ncond;
	f.cond = c->ncond ? c->cond : NULL;
	f.action.type = c->action;
	ret = wfp_filter_add(s->hosts[c->host].sess, &f, &id);
	if (ret)
		return fail(s, err, c->line, ret, "filter: %s", wfp_strerror(ret));
	note(s, c->line, "%s: filter %llu added at %s", s->hosts[c->host].name,
	     (unsigned long long)id, wfp_layer_name(c->layer));
	return 0;
}

static const struct wfp_sock_owner *owner(const struct cmd *c)
{
	return (c->owner.app || c->owner.has_user) ? &c->owner : NULL;
}

static const struct wfp_addr *peer_addr(const struct wfp_sim *s, const struct cmd *c)
{
	const struct sim_host *p = &s->hosts[c->peer];

	return c->family == WFP_AF_INET6 ? &p->a6 : &p->a4;
}

/* socket calls return negative errnos */
static const char *errstr(int ret)
{
	return strerror(-ret);
}

/* Runs one socket command; failures are part of scenarios: notes. */
static void run_sock(struct wfp_sim *s, const struct cmd *c)
{
	struct sim_host *sh = &s->hosts[c->host];
	struct wfp_host *h = sh->h;
	const char *what = "";
	int sd, ret = 0, *usd = &sh->udp_sd[c->family == WFP_AF_INET6];

	switch (c->kind) {
	case C_TCP_LISTEN:
	case C_UDP_BIND:
		what = c->kind == C_TCP_LISTEN ? "tcp listen" : "udp bind";
		sd = ret = wfp_sock_open(h, c->family,
					 c->kind == C_TCP_LISTEN ? WFP_PROTO_TCP : WFP_PROTO_UDP,
					 owner(c));
		if (sd < 0)
			break;
		ret = wfp_sock_bind(h, sd, NULL, c->port);
		if (!ret && c->kind == C_TCP_LISTEN)
			ret = wfp_sock_listen(h, sd);
		if (!ret && c->kind == C_UDP_BIND)
			*usd = sd;
		if (ret)
			wfp_sock_close(h, sd);
		break;
	case C_TCP_CONNECT:
		what = "tcp connect";
		sd = ret = wfp_sock_open(h, c->family, WFP_PROTO_TCP, owner(c));
		if (sd < 0)
			break;
		ret = wfp_sock_connect(h, sd, peer_addr(s, c), c->port);
		if (ret) {
			wfp_sock_close(h, sd);
			break;
		}
		deliver(s, c->line);
		if (wfp_sock_state(h, sd) != WFP_SOCK_ESTABLISHED) {
			ret = wfp_sock_error(h, sd);
			ret = ret ? ret : -ETIMEDOUT;
			wfp_sock_close(h, sd);
		}
		break;
	case C_UDP_SEND:
		what = "udp send";
		if (wfp_sock_state(h, *usd) < 0 || c->owner.app || c->owner.has_user) {
			*usd = wfp_sock_open(h, c->family, WFP_PROTO_UDP, owner(c));
			if (*usd < 0) {
				ret = *usd;
				break;
			}
		}
		ret = wfp_sock_sendto(h, *usd, peer_addr(s, c), c->port, c->len);
		break;
	case C_ICMP_ECHO:
		what = "icmp echo";
		ret = wfp_host_icmp_echo(h, peer_addr(s, c), 0);
		break;
	case C_SEND:
		what = "send";
		sd = wfp_host_last_socket(h);
		ret = sd < 0 ? sd : wfp_sock_send(h, sd, c->len);
		break;
	case C_CLOSE:
		what = "close";
		sd = wfp_host_last_socket(h);
		ret = sd < 0 ? sd : wfp_sock_close(h, sd);
		break;
	default:
		break;
	}
	if (ret < 0)
		note(s, c->line, "%s: %s: %s", sh->name, what, errstr(ret));
	deliver(s, c->line);
}

int wfp_sim_run(struct wfp_sim *s, struct wfp_sim_error *err)
{
	int ret = 0;

	if (!s)
		return -WFP_E_INVAL;
	if (s->ran)
		return fail(s, err, 0, -WFP_E_INVAL, "a script runs once; load it again");
	s->ran = true;
	if (!s->q) {
		s->q = wfp_calloc(SIM_QUEUE_MAX, sizeof(*s->q));
		if (!s->q)
			return fail(s, err, 0, -WFP_E_NOMEM, "out of memory");
	}
	s->qhead = s->qlen = 0;
	s->now_ms = 0;
	s->mtu = 0;
	s->ip_id = 0;
	for (unsigned i = 0; i < s->ncmds && !ret; i++) {
		const struct cmd *c = &s->cmds[i];

		switch (c->kind) {
		case C_HOST:
			ret = run_host(s, c, err);
			break;
		case C_POLICY:
			ret = run_policy(s, c, err);
			break;
		case C_FILTER:
			ret = run_filter(s, c, err);
			break;
		case C_MTU:
			s->mtu = c->len;
			break;
		case C_ADVANCE:
			s->now_ms += c->ms;
			for (unsigned j = 0; j < s->nhosts; j++)
				if (s->hosts[j].h)
					wfp_host_set_time(s->hosts[j].h, s->now_ms);
			break;
		default:
			run_sock(s, c);
			break;
		}
	}
	return ret;
}
