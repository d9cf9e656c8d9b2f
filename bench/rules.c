/* SPDX-License-Identifier: MIT */
/*
 * rules.c - ClassBench-style 5-tuple rule sets and traces, and the naive
 * reference classifier every other classifier is checked against.
 *
 * The generator imitates the three ClassBench seed families (Taylor &
 * Turner 2005): "acl" (specific destinations, mostly exact destination
 * ports), "fw" (many wildcard addresses and port ranges) and "ipc" (in
 * between).  Addresses nest: rules draw hosts and prefixes from a pool of
 * /24 networks under a few /8s, so prefixes overlap as in real policies.
 * The per-family probabilities below are our approximation of the seed
 * statistics, not ClassBench's exact parameter files (which are not
 * packaged).  A real ClassBench filter file can be read instead
 * (b_read_classbench).
 *
 * Rules are spread over B_NSUB sublayers; inside a sublayer the order of
 * generation is the arbitration order (the libwfp loader gives falling
 * weights).  The last sublayer ends with a catch-all PERMIT, like the
 * default rule of an ACL, and no other rule is "any any" without a port:
 * with independent fields such rules come every few dozen rules and
 * shadow the rest of their sublayer, which makes a set of 100K rules a
 * set of a few hundred (ClassBench likewise drops redundant filters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double b_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: small, fast, reproducible from a seed */
uint64_t b_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned pct(uint64_t *s)
{
	return (unsigned)(b_rand(s) % 100);
}

struct family {
	const char *name;
	/* prefix lengths: P(/0), P(/32), P(/24), P(16-31), rest 8-15 */
	unsigned sip[4], dip[4];
	/* ports: P(wildcard), P(exact), rest range */
	unsigned sport[2], dport[2];
	/* protocol: P(TCP), P(UDP), P(ICMP), rest any */
	unsigned proto[3];
};

static const struct family families[] = {
	{ "acl", { 25, 35, 15, 15 }, { 5, 45, 20, 25 }, { 90, 5 }, { 25, 55 }, { 65, 20, 5 } },
	{ "fw", { 45, 15, 10, 20 }, { 25, 30, 15, 20 }, { 70, 10 }, { 35, 35 }, { 45, 25, 5 } },
	{ "ipc", { 30, 30, 15, 15 }, { 15, 40, 15, 20 }, { 85, 8 }, { 40, 45 }, { 50, 30, 5 } },
};

static const uint16_t common_ports[] = {
	20, 21, 22, 23, 25, 53, 80, 110, 123, 135, 137, 138, 139, 143, 161, 389,
	443, 445, 993, 995, 1433, 1521, 1723, 3306, 3389, 5060, 5432, 8080, 8443,
};

static unsigned pick_plen(uint64_t *s, const unsigned p[4])
{
	unsigned x = pct(s);

	if (x < p[0])
		return 0;
	if ((x -= p[0]) < p[1])
		return 32;
	if ((x -= p[1]) < p[2])
		return 24;
	if ((x -= p[2]) < p[3])
		return 16 + (unsigned)(b_rand(s) % 16);
	return 8 + (unsigned)(b_rand(s) % 8);
}

static void set_prefix(struct brule *r, int d, uint32_t addr, unsigned plen)
{
	uint32_t mask = plen ? ~0u << (32 - plen) : 0;

	r->plen[d] = (uint8_t)plen;
	r->lo[d] = addr & mask;
	r->hi[d] = (addr & mask) | ~mask;
}

static void set_port(uint64_t *s, struct brule *r, int d, const unsigned p[2])
{
	unsigned x = pct(s);

	if (x < p[0]) {
		r->lo[d] = 0;
		r->hi[d] = 65535;
	} else if (x < p[0] + p[1]) {
		r->lo[d] = pct(s) < 70 ?
			   common_ports[b_rand(s) % (sizeof(common_ports) / 2)] :
			   (uint32_t)(b_rand(s) % 65536);
		r->hi[d] = r->lo[d];
	} else {
		switch (b_rand(s) % 4) {
		case 0:
			r->lo[d] = 0;
			r->hi[d] = 1023;
			break;
		case 1:
			r->lo[d] = 1024;
			r->hi[d] = 65535;
			break;
		default: {
			uint32_t len = 1u << (2 + b_rand(s) % 10);

			r->lo[d] = (uint32_t)(b_rand(s) % (65536 - len));
			r->hi[d] = r->lo[d] + len - 1;
		}
		}
	}
}

static void gen_rule(uint64_t *s, const struct family *f, const uint32_t *nets,
		     uint32_t nnets, struct brule *r)
{
	unsigned x = pct(s);
	uint32_t proto;

	set_prefix(r, B_SIP, nets[b_rand(s) % nnets] | (uint32_t)(b_rand(s) & 0xFF),
		   pick_plen(s, f->sip));
	set_prefix(r, B_DIP, nets[b_rand(s) % nnets] | (uint32_t)(b_rand(s) & 0xFF),
		   pick_plen(s, f->dip));
	proto = x < f->proto[0] ? 6 : x < f->proto[0] + f->proto[1] ? 17 :
		x < f->proto[0] + f->proto[1] + f->proto[2] ? 1 : 256;
	r->lo[B_PROTO] = proto == 256 ? 0 : proto;
	r->hi[B_PROTO] = proto == 256 ? 255 : proto;
	r->lo[B_SPORT] = r->lo[B_DPORT] = 0;
	r->hi[B_SPORT] = r->hi[B_DPORT] = 65535;
	if (proto == 6 || proto == 17) {
		set_port(s, r, B_SPORT, f->sport);
		set_port(s, r, B_DPORT, f->dport);
	}
	r->action = pct(s) < 60 ? B_PERMIT : B_BLOCK;
}

/* Stable sort by sublayer; fills sub_first/sub_count. */
static int sort_by_sub(struct bset *set)
{
	struct brule *out = malloc((size_t)set->n * sizeof(*out));
	uint32_t pos[B_NSUB] = { 0 }, k = 0;

	if (!out)
		return -1;
	memset(set->sub_count, 0, sizeof(set->sub_count));
	for (uint32_t i = 0; i < set->n; i++)
		set->sub_count[set->r[i].sub]++;
	for (unsigned s = 0; s < B_NSUB; s++) {
		set->sub_first[s] = pos[s] = k;
		k += set->sub_count[s];
	}
	for (uint32_t i = 0; i < set->n; i++)
		out[pos[set->r[i].sub]++] = set->r[i];
	free(set->r);
	set->r = out;
	return 0;
}

int b_generate(struct bset *set, const char *kind, uint32_t n, uint64_t seed)
{
	const struct family *f = NULL;
	uint32_t nnets = n / 8 + 16, *nets;
	uint64_t s = seed;
	struct brule *last;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(kind, families[i].name))
			f = &families[i];
	if (!f || n < 1)
		return -1;
	nets = malloc(nnets * sizeof(*nets));
	set->r = calloc(n, sizeof(*set->r));
	set->n = n;
	if (!nets || !set->r) {
		free(nets);
		return -1;
	}
	for (uint32_t i = 0; i < nnets; i++) /* a /24 under one of 24 /8s */
		nets[i] = (uint32_t)((10 + b_rand(&s) % 24) << 24) |
			  (uint32_t)(b_rand(&s) % 64) << 16 | (uint32_t)(b_rand(&s) % 256) << 8;
	for (uint32_t i = 0; i + 1 < n; i++) {
		unsigned x = pct(&s);

		do /* "any any" with no port: only the default rule is that wide */
			gen_rule(&s, f, nets, nnets, &set->r[i]);
		while (!set->r[i].plen[0] && !set->r[i].plen[1] &&
		       set->r[i].hi[B_DPORT] - set->r[i].lo[B_DPORT] == 65535 &&
		       set->r[i].hi[B_SPORT] - set->r[i].lo[B_SPORT] == 65535);
		set->r[i].sub = x < 10 ? 0 : x < 30 ? 1 : x < 85 ? 2 : 3;
	}
	last = &set->r[n - 1]; /* default rule */
	memset(last, 0, sizeof(*last));
	for (int d = 0; d < B_NDIM; d++)
		last->hi[d] = d <= B_DIP ? 0xFFFFFFFFu : d == B_PROTO ? 255 : 65535;
	last->sub = B_NSUB - 1;
	last->action = B_PERMIT;
	free(nets);
	return sort_by_sub(set);
}

/* "@a.b.c.d/l a.b.c.d/l lo : hi lo : hi 0xPP/0xMM ..." (ClassBench). */
int b_read_classbench(struct bset *set, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	uint32_t cap = 0;

	if (!fp)
		return -1;
	memset(set, 0, sizeof(*set));
	while (fgets(line, sizeof(line), fp)) {
		unsigned a[4], b[4], la, lb, sl, sh, dl, dh, pv, pm;
		struct brule *r;

		if (sscanf(line, "@%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x",
			   &a[0], &a[1], &a[2], &a[3], &la, &b[0], &b[1], &b[2], &b[3], &lb,
			   &sl, &sh, &dl, &dh, &pv, &pm) != 16 || la > 32 || lb > 32 ||
		    sl > sh || dl > dh || sh > 65535 || dh > 65535)
			continue;
		if (set->n == cap) {
			struct brule *q;

			cap = cap ? cap * 2 : 1024;
			q = realloc(set->r, cap * sizeof(*q));
			if (!q)
				goto out_err;
			set->r = q;
		}
		r = &set->r[set->n];
		memset(r, 0, sizeof(*r));
		set_prefix(r, B_SIP, a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3], la);
		set_prefix(r, B_DIP, b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3], lb);
		r->lo[B_SPORT] = sl;
		r->hi[B_SPORT] = sh;
		r->lo[B_DPORT] = dl;
		r->hi[B_DPORT] = dh;
		r->lo[B_PROTO] = (pm & 0xFF) == 0xFF ? (pv & 0xFF) : 0;
		r->hi[B_PROTO] = (pm & 0xFF) == 0xFF ? (pv & 0xFF) : 255;
		r->action = (set->n * 2654435761u) >> 31 ? B_BLOCK : B_PERMIT;
		r->sub = 0; /* one priority list: one sublayer */
		set->n++;
	}
	fclose(fp);
	return set->n ? sort_by_sub(set) : -1;

out_err:
	fclose(fp);
	return -1;
}

void b_set_free(struct bset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

/* 90%: a random point inside a random rule's box; 10%: anywhere. */
void b_trace(const struct bset *set, struct bpkt *p, uint32_t n, uint64_t seed)
{
	uint64_t s = seed;

	for (uint32_t i = 0; i < n; i++) {
		const struct brule *r = &set->r[b_rand(&s) % set->n];
		bool any = pct(&s) < 10;

		for (int d = 0; d < B_NDIM; d++) {
			uint64_t lo = any ? 0 : r->lo[d];
			uint64_t hi = any ? (d <= B_DIP ? 0xFFFFFFFFu : d == B_PROTO ? 255 : 65535) :
				      r->hi[d];

			p[i].v[d] = (uint32_t)(lo + b_rand(&s) % (hi - lo + 1));
		}
		if (pct(&s) < 80 && !any && r->lo[B_PROTO] != r->hi[B_PROTO])
			p[i].v[B_PROTO] = pct(&s) < 70 ? 6 : 17;
	}
}

static bool inside(const struct brule *r, const struct bpkt *p)
{
	for (int d = 0; d < B_NDIM; d++)
		if (p->v[d] < r->lo[d] || p->v[d] > r->hi[d])
			return false;
	return true;
}

void b_arbitrate(const struct bset *set, const int32_t match[B_NSUB], struct bdecision *d)
{
	d->rule = -1;
	d->action = 0;
	for (unsigned s = 0; s < B_NSUB; s++) {
		if (match[s] < 0)
			continue;
		d->rule = match[s];
		d->action = set->r[match[s]].action;
		if (d->action == B_BLOCK) /* hard: no later sublayer writes */
			break;
	}
}

/* First match per sublayer by plain scan, then arbitration. */
void b_naive(const struct bset *set, const struct bpkt *p, struct bdecision *d)
{
	int32_t match[B_NSUB];

	for (unsigned s = 0; s < B_NSUB; s++) {
		uint32_t i = set->sub_first[s], end = i + set->sub_count[s];

		match[s] = -1;
		for (; i < end; i++)
			if (inside(&set->r[i], p)) {
				match[s] = (int32_t)i;
				break;
			}
	}
	b_arbitrate(set, match, d);
}
