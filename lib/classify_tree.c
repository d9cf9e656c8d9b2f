/* SPDX-License-Identifier: MIT */
/*
 * classify_tree.c - build the multi-field index of a compiled layer.
 *
 * Theory of operation
 * -------------------
 * Up to five integer fields of the layer become the dimensions of a key
 * space (the ones most filters constrain: addresses, ports, protocol).
 * Every filter gets a box in that space, a superset of the keys it can
 * match: its EQUAL / RANGE / address-mask / ordering conditions on a
 * dimension give an interval, anything else on that dimension (NOT_EQUAL,
 * flags, several OR'ed conditions: their hull) widens it, and a missing
 * condition is the whole axis.  A filter whose conditions are exactly one
 * interval per dimension and nothing else is "exact": it matches a key if
 * and only if the key is in its box.
 *
 * The tree is HiCuts (Gupta & McKeown 1999) with power-of-two cuts: a
 * node covers an aligned block of the key space and cuts one dimension
 * into 2^k equal aligned parts, so the child of a key is
 * (key[dim] >> shift) & mask - no search, no comparison.  A leaf lists
 * every filter whose box meets its block, in arbitration order (sublayer,
 * then weight desc, id asc: simply the index in clayer.filt).  Classify
 * walks the leaf exactly as the linear path walks the layer, verifying
 * each candidate (box test, then the full condition test unless exact),
 * so the result, the callouts invoked and the explain record are those of
 * the linear path by construction.
 *
 * One pruning keeps wildcards from flooding the leaves: inside a block
 * that an exact static PERMIT/BLOCK filter covers completely, that filter
 * matches and terminates its sublayer for every key, so the filters after
 * it in the same sublayer are dropped from the block (they are never
 * reached by the linear walk either).
 *
 * Worked example, one dimension (IP_REMOTE_PORT, 16 bits), one sublayer:
 *   f0  port 80        BLOCK
 *   f1  port 0-1023    PERMIT
 *   f2  (no condition) BLOCK
 * The root cuts the port into 2^k parts; with k = 6 each part is 1024
 * ports wide.  Part 0 (0-1023) lists f0 f1 (f1 covers the part and is
 * exact and static, so f2 is pruned); parts 1..63 list f2 only and are
 * one shared leaf.  Port 80 walks f0 (match: BLOCK); port 443 walks f0
 * (no), f1 (match: PERMIT); port 8080 walks f2.
 *
 * Choosing cuts: for each dimension the largest k whose children hold at
 * most SPFAC * n + 2^k filter copies in total (HiCuts' space measure),
 * then the dimension whose biggest child is smallest.  Nodes stop at
 * BINTH filters, when no cut makes progress, or when the tree's memory
 * budget is spent (then the leaf is long but still exact).
 *
 * Before the trees: filters after a sublayer's first exact static
 * catch-all are left out (they never decide), and the rest is split into
 * up to four categories by wide/narrow on two address dimensions, one
 * tree each (category() below).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "classify_tree.h"

unsigned wfp_tree_min_filters = 64;

/* WFP_TREE_MIN_FILTERS=n overrides the threshold: the differential test
 * runs once more with n = 1 so that its small random policies take the
 * tree path too.  Read at compile time only, never in classify. */
static unsigned tree_min(void)
{
	const char *s = getenv("WFP_TREE_MIN_FILTERS");
	char *end;
	unsigned long n;

	if (!s || !*s)
		return wfp_tree_min_filters;
	n = strtoul(s, &end, 10);
	return *end || n > UINT32_MAX ? wfp_tree_min_filters : (unsigned)n;
}

enum {
	BINTH = 4,        /* filters in a leaf that stop the cutting */
	SPFAC = 8,        /* copies allowed per filter per cut */
	MAXCUTBITS = 8,   /* at most 256 children per node */
	ROOTCUTBITS = 12, /* the root may take 4096: one step less per lookup */
	BUDGET_PER_FILTER = 1000, /* kid + leaf words per filter, per tree */
	SHADOW_MAX = 256, /* leaves checked for filters hidden by earlier ones */
};

struct bld {
	const struct clayer *cl;
	struct ctree *t;
	uint32_t *sub_end;     /* per filter: end index of its sublayer */
	uint32_t *sub_of;      /* per filter: index of its sublayer */
	uint32_t capnode, capkid, cappool;
	size_t budget;         /* kid + pool words left */
	int err;
};

static uint32_t type_max(unsigned type)
{
	return type == WFP_UINT8 ? 0xFF : type == WFP_UINT16 ? 0xFFFF : 0xFFFFFFFFu;
}

static unsigned type_bits(unsigned type)
{
	return type == WFP_UINT8 ? 8 : type == WFP_UINT16 ? 16 : 32;
}

static bool int_of(const struct wfp_value *v, unsigned type, uint32_t *x)
{
	if (v->type != type)
		return false;
	*x = type == WFP_UINT32 ? v->u32 : type == WFP_UINT16 ? v->u16 : v->u8;
	return true;
}

/* The interval a condition on an integer field of type allows; false if
 * it is not one interval (then the whole axis stands for it). */
static bool cond_box(const struct wfp_ccond *c, unsigned type, uint32_t *lo, uint32_t *hi)
{
	const struct wfp_cond_value *cv = &c->val;
	uint32_t max = type_max(type), x, y;

	switch (c->match) {
	case WFP_MATCH_EQUAL:
		if (cv->type == WFP_V4_ADDR_MASK && type == WFP_UINT32) {
			uint32_t inv = ~cv->v4.mask;

			if (inv & (inv + 1))
				return false; /* not contiguous */
			*lo = cv->v4.addr & cv->v4.mask;
			*hi = *lo | inv;
			return true;
		}
		if (cv->type >= WFP_SINGLE_DATA_TYPE_MAX || !int_of(&cv->v, type, &x))
			return false;
		*lo = *hi = x;
		return true;
	case WFP_MATCH_RANGE:
		if (cv->type != WFP_RANGE || !int_of(&cv->range.low, type, &x) ||
		    !int_of(&cv->range.high, type, &y) || x > y)
			return false;
		*lo = x;
		*hi = y;
		return true;
	case WFP_MATCH_GREATER:
	case WFP_MATCH_LESS:
	case WFP_MATCH_GREATER_OR_EQUAL:
	case WFP_MATCH_LESS_OR_EQUAL:
		break;
	default:
		return false;
	}
	if (cv->type >= WFP_SINGLE_DATA_TYPE_MAX || !int_of(&cv->v, type, &x))
		return false;
	*lo = 0;
	*hi = max;
	switch (c->match) {
	case WFP_MATCH_GREATER:
		if (x == max)
			return false;
		*lo = x + 1;
		break;
	case WFP_MATCH_LESS:
		if (x == 0)
			return false;
		*hi = x - 1;
		break;
	case WFP_MATCH_GREATER_OR_EQUAL:
		*lo = x;
		break;
	default:
		*hi = x;
	}
	return true;
}

static bool is_static(const struct cfilter *cf)
{
	return cf->action == WFP_ACTION_PERMIT || cf->action == WFP_ACTION_BLOCK;
}

static bool is_int_type(int type)
{
	return type == WFP_UINT8 || type == WFP_UINT16 || type == WFP_UINT32;
}

/* Dimensions: the integer fields constrained by the most filters. */
static void choose_dims(const struct clayer *cl, struct ctree *t)
{
	uint32_t score[64] = { 0 };
	uint16_t stype[64] = { 0 };
	uint32_t lo, hi;

	for (uint32_t i = 0; i < cl->ncond; i++) {
		const struct wfp_ccond *c = &cl->cond[i];
		int type;

		if (c->slot >= 64)
			continue;
		type = wfp_field_type(c->field, cl->layer);
		if (!is_int_type(type) || !cond_box(c, (unsigned)type, &lo, &hi))
			continue;
		stype[c->slot] = (uint16_t)type;
		score[c->slot]++;
	}
	t->ndim = 0;
	while (t->ndim < CT_MAXDIM) {
		unsigned best = 64;

		for (unsigned s = 0; s < 64; s++)
			if (score[s] && (best == 64 || score[s] > score[best]))
				best = s;
		if (best == 64)
			break;
		t->slot[t->ndim] = (uint16_t)best;
		t->type[t->ndim] = stype[best];
		t->ndim++;
		score[best] = 0;
	}
}

static void filter_box(const struct clayer *cl, const struct ctree *t, uint32_t i)
{
	const struct cfilter *cf = &cl->filt[i];
	struct ct_box *b = &t->box[i];
	unsigned seen[CT_MAXDIM] = { 0 };
	bool exact = true;

	for (unsigned d = 0; d < t->ndim; d++) {
		b->lo[d] = 0;
		b->hi[d] = type_max(t->type[d]);
	}
	for (uint32_t k = 0; k < cf->ncond; k++) {
		const struct wfp_ccond *c = &cl->cond[cf->cond_first + k];
		unsigned d = 0;
		uint32_t lo, hi;

		while (d < t->ndim && t->slot[d] != c->slot)
			d++;
		if (d == t->ndim) {
			exact = false; /* a field the tree does not see */
			continue;
		}
		if (!cond_box(c, t->type[d], &lo, &hi)) {
			exact = false;
			seen[d] = 2; /* whole axis from now on */
			b->lo[d] = 0;
			b->hi[d] = type_max(t->type[d]);
			continue;
		}
		if (seen[d] == 0) {
			b->lo[d] = lo;
			b->hi[d] = hi;
		} else if (seen[d] == 1) {
			/* OR group: the hull is a superset */
			exact = false;
			b->lo[d] = lo < b->lo[d] ? lo : b->lo[d];
			b->hi[d] = hi > b->hi[d] ? hi : b->hi[d];
		}
		if (seen[d] == 0)
			seen[d] = 1;
	}
	t->exact[i] = exact;
}

/* ---- tree ---- */

struct region {
	uint32_t lo[CT_MAXDIM];
	uint8_t bits[CT_MAXDIM];
};

static uint32_t region_hi(const struct region *r, unsigned d)
{
	return (uint32_t)(r->lo[d] + ((1ull << r->bits[d]) - 1));
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = wfp_realloc(*p, (size_t)n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static uint32_t make_leaf(struct bld *b, const uint32_t *r, uint32_t n)
{
	struct ctree *t = b->t;
	uint32_t off = t->npool, words = n * t->stride + 1, *e;

	if (!grow((void **)&t->pool, &b->cappool, t->npool + words, sizeof(uint32_t))) {
		b->err = -WFP_E_NOMEM;
		return CT_LEAF;
	}
	t->pool[off] = n;
	e = &t->pool[off + 1];
	for (uint32_t k = 0; k < n; k++, e += t->stride) {
		const struct ct_box *bx = &t->box[r[k]];

		e[0] = r[k] | (t->exact[r[k]] ? CT_EXACT : 0);
		e[CT_STRIDE - 1] = b->sub_of[r[k]];
		for (unsigned d = 0; d < CT_MAXDIM; d++) {
			e[1 + d] = d < t->ndim ? bx->lo[d] : 0;
			e[1 + CT_MAXDIM + d] = d < t->ndim ? bx->hi[d] - bx->lo[d] : ~0u;
		}
	}
	t->npool += words;
	b->budget = b->budget > words ? b->budget - words : 0;
	return CT_LEAF | off;
}

static bool covers(const struct ctree *t, uint32_t i, const struct region *rg)
{
	for (unsigned d = 0; d < t->ndim; d++)
		if (t->box[i].lo[d] > rg->lo[d] || t->box[i].hi[d] < region_hi(rg, d))
			return false;
	return true;
}

/* Drops what an exact static filter covering the region hides. */
static uint32_t prune(const struct bld *b, const uint32_t *r, uint32_t n,
		      const struct region *rg, uint32_t *out)
{
	uint32_t m = 0, skip_below = 0;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = r[k];

		if (i < skip_below)
			continue;
		out[m++] = i;
		if (b->t->exact[i] && is_static(&b->cl->filt[i]) && covers(b->t, i, rg))
			skip_below = b->sub_end[i];
	}
	return m;
}

/*
 * Inside a leaf, drop g when an earlier exact PERMIT/BLOCK f of the same
 * sublayer contains every key of g's box that lies in the block: whenever
 * g would match, f matched first and ended the sublayer.  Quadratic, so
 * only for leaves of at most SHADOW_MAX filters.
 */
static bool contains_in(const struct ctree *t, uint32_t f, uint32_t g, const struct region *rg)
{
	for (unsigned d = 0; d < t->ndim; d++) {
		uint32_t lo = t->box[g].lo[d], hi = t->box[g].hi[d], rhi = region_hi(rg, d);

		lo = lo > rg->lo[d] ? lo : rg->lo[d];
		hi = hi < rhi ? hi : rhi;
		if (t->box[f].lo[d] > lo || t->box[f].hi[d] < hi)
			return false;
	}
	return true;
}

static uint32_t shadow(const struct bld *b, uint32_t *r, uint32_t n, const struct region *rg)
{
	uint32_t m = 0;

	if (n > SHADOW_MAX)
		return n;
	for (uint32_t k = 0; k < n; k++) {
		bool hidden = false;

		for (uint32_t j = 0; j < m && !hidden; j++) {
			uint32_t f = r[j];

			hidden = b->sub_end[f] == b->sub_end[r[k]] && b->t->exact[f] &&
				 is_static(&b->cl->filt[f]) && contains_in(b->t, f, r[k], rg);
		}
		if (!hidden)
			r[m++] = r[k];
	}
	return m;
}

/* Children [clo, chi] of filter i when dim d of rg is cut at shift. */
static void span(const struct ctree *t, uint32_t i, const struct region *rg, unsigned d,
		 unsigned shift, uint32_t *clo, uint32_t *chi)
{
	uint32_t lo = t->box[i].lo[d], hi = t->box[i].hi[d], rhi = region_hi(rg, d);

	lo = lo > rg->lo[d] ? lo : rg->lo[d];
	hi = hi < rhi ? hi : rhi;
	*clo = (lo - rg->lo[d]) >> shift;
	*chi = (hi - rg->lo[d]) >> shift;
}

struct cut {
	unsigned dim, bits;
	uint64_t sum;
	uint32_t max;
};

/* Largest cut of dim d within the space factor, and its biggest child. */
static void try_dim(const struct bld *b, const uint32_t *r, uint32_t n,
		    const struct region *rg, unsigned d, unsigned maxbits, uint32_t *cnt,
		    struct cut *c)
{
	unsigned kmax = rg->bits[d] < maxbits ? rg->bits[d] : maxbits;
	uint32_t clo, chi, run = 0;

	c->dim = d;
	c->bits = 0;
	for (unsigned k = 1; k <= kmax; k++) {
		unsigned shift = rg->bits[d] - k;
		uint64_t sum = 0;

		for (uint32_t j = 0; j < n; j++) {
			span(b->t, r[j], rg, d, shift, &clo, &chi);
			sum += chi - clo + 1;
		}
		if (k > 1 && sum > (uint64_t)SPFAC * n + (1u << k))
			break;
		c->bits = k;
		c->sum = sum;
	}
	memset(cnt, 0, ((1u << c->bits) + 1) * sizeof(*cnt));
	for (uint32_t j = 0; j < n; j++) {
		span(b->t, r[j], rg, d, rg->bits[d] - c->bits, &clo, &chi);
		cnt[clo]++;
		cnt[chi + 1]--;
	}
	c->max = 0;
	for (uint32_t k = 0; k < (1u << c->bits); k++) {
		run += cnt[k];
		if (run > c->max)
			c->max = run;
	}
}

static uint32_t build_node(struct bld *b, const uint32_t *r, uint32_t n,
			   const struct region *rg, bool root);

/*
 * May two neighbouring children with the same filters share one subtree?
 * Only if every filter spans both along the cut dimension: then the two
 * blocks look the same to every filter (the subtree's cuts and its
 * pruning depend on where boxes end inside the block).
 */
static bool span_both(const struct ctree *t, const uint32_t *r, uint32_t n, unsigned d,
		      uint32_t lo, uint32_t hi)
{
	for (uint32_t j = 0; j < n; j++)
		if (t->box[r[j]].lo[d] > lo || t->box[r[j]].hi[d] < hi)
			return false;
	return true;
}

/* Splits r along cut c into a new node; returns its reference. */
static uint32_t split(struct bld *b, const uint32_t *r, uint32_t n, const struct region *rg,
		      const struct cut *c)
{
	struct ctree *t = b->t;
	uint32_t np = 1u << c->bits, shift = rg->bits[c->dim] - c->bits;
	uint32_t ni = t->nnode, base = t->nkid, clo, chi;
	uint32_t *off = NULL, *list = NULL, *fill;
	struct region child = *rg;

	if (!grow((void **)&t->node, &b->capnode, ni + 1, sizeof(*t->node)) ||
	    !grow((void **)&t->kid, &b->capkid, base + np, sizeof(uint32_t)))
		goto out_nomem;
	t->nnode++;
	t->nkid += np;
	b->budget = b->budget > np ? b->budget - np : 0;
	t->node[ni] = (struct ct_node){ .dim = (uint8_t)c->dim, .shift = (uint8_t)shift,
					.mask = np - 1, .kids = base };
	off = wfp_calloc(np + 1, sizeof(*off));
	list = wfp_malloc((size_t)(c->sum ? c->sum : 1) * sizeof(*list));
	if (!off || !list)
		goto out_nomem;
	for (uint32_t j = 0; j < n; j++) {
		span(t, r[j], rg, c->dim, shift, &clo, &chi);
		for (uint32_t k = clo; k <= chi; k++)
			off[k + 1]++;
	}
	for (uint32_t k = 0; k < np; k++)
		off[k + 1] += off[k];
	fill = wfp_malloc(np * sizeof(*fill));
	if (!fill)
		goto out_nomem;
	memcpy(fill, off, np * sizeof(*fill));
	for (uint32_t j = 0; j < n; j++) {
		span(t, r[j], rg, c->dim, shift, &clo, &chi);
		for (uint32_t k = clo; k <= chi; k++)
			list[fill[k]++] = r[j];
	}
	wfp_free(fill);
	child.bits[c->dim] = (uint8_t)shift;
	for (uint32_t k = 0; k < np && !b->err; k++) {
		uint32_t len = off[k + 1] - off[k];
		uint32_t ref;

		child.lo[c->dim] = rg->lo[c->dim] + (k << shift);
		if (k && len == off[k] - off[k - 1] &&
		    !memcmp(&list[off[k]], &list[off[k - 1]], len * sizeof(*list)) &&
		    span_both(t, &list[off[k]], len, c->dim, child.lo[c->dim] - (1u << shift),
			      region_hi(&child, c->dim))) {
			ref = t->kid[base + k - 1]; /* same filters, same shape: share */
		} else if (!len) {
			ref = CT_LEAF; /* pool[0]: the empty leaf */
		} else {
			ref = build_node(b, &list[off[k]], len, &child, false);
		}
		t->kid[base + k] = ref;
	}
	wfp_free(off);
	wfp_free(list);
	return ni;

out_nomem:
	wfp_free(off);
	wfp_free(list);
	b->err = -WFP_E_NOMEM;
	return CT_LEAF;
}

static uint32_t build_node(struct bld *b, const uint32_t *r, uint32_t n,
			   const struct region *rg, bool root)
{
	unsigned maxbits = root ? ROOTCUTBITS : MAXCUTBITS;
	struct cut best = { .max = UINT32_MAX }, c;
	uint32_t *p, *cnt, ref, m;

	p = wfp_malloc((n ? n : 1) * sizeof(*p));
	cnt = wfp_malloc(((1u << maxbits) + 1) * sizeof(*cnt));
	if (!p || !cnt) {
		b->err = -WFP_E_NOMEM;
		ref = CT_LEAF;
		goto out;
	}
	m = prune(b, r, n, rg, p);
	if (m <= BINTH || b->budget < m * 2) {
		m = shadow(b, p, m, rg);
		ref = make_leaf(b, p, m);
		goto out;
	}
	for (unsigned d = 0; d < b->t->ndim; d++) {
		if (!rg->bits[d])
			continue;
		try_dim(b, p, m, rg, d, maxbits, cnt, &c);
		if (c.max < best.max || (c.max == best.max && c.sum < best.sum))
			best = c;
	}
	if (best.max >= m) { /* no cut separates anything */
		m = shadow(b, p, m, rg);
		ref = make_leaf(b, p, m);
	}
	else
		ref = split(b, p, m, rg, &best);
out:
	wfp_free(cnt);
	wfp_free(p);
	return ref;
}

/*
 * Rule categories (EffiCuts' separable trees, Vamanan et al. 2010): a
 * filter that is wide on the first address-like dimension and one narrow
 * there would force every cut on that dimension to copy the wide one.
 * The first two 32-bit dimensions (else the first two) split filters into
 * narrow/wide on each, one tree per non-empty category.  Wide means at
 * least 1/16 of the axis (an address prefix of /4 or shorter): measured
 * on the bench sets, a /16 threshold left the /8../16 filters to be cut
 * by ports only, 40-600 candidates per lookup instead of 8-13.
 */
static unsigned category(const struct ctree *t, const unsigned cdim[2], uint32_t i)
{
	unsigned c = 0;

	for (unsigned k = 0; k < 2; k++) {
		unsigned d = cdim[k], bits;

		if (d >= t->ndim)
			continue;
		bits = type_bits(t->type[d]);
		if ((uint64_t)t->box[i].hi[d] - t->box[i].lo[d] + 1 >= 1ull << (bits - bits / 8))
			c |= 1u << k;
	}
	return c;
}

static void category_dims(const struct ctree *t, unsigned cdim[2])
{
	unsigned n = 0;

	cdim[0] = cdim[1] = CT_MAXDIM;
	for (unsigned d = 0; d < t->ndim && n < 2; d++)
		if (t->type[d] == WFP_UINT32)
			cdim[n++] = d;
	for (unsigned d = 0; d < t->ndim && n < 2; d++)
		if (t->type[d] != WFP_UINT32)
			cdim[n++] = d;
}

static int build_tree(const struct clayer *cl, struct ctree *t)
{
	struct bld b = { .cl = cl, .t = t };
	uint32_t *all, *sorted, ncat[CT_MAXTREE] = { 0 }, pos[CT_MAXTREE], k = 0, n;
	unsigned cdim[2];
	struct region rg;
	int ret = -WFP_E_NOMEM;

	memset(&rg, 0, sizeof(rg));
	b.budget = (size_t)BUDGET_PER_FILTER * cl->nfilt + 4096;
	b.sub_end = wfp_malloc(cl->nfilt * sizeof(*b.sub_end));
	b.sub_of = wfp_malloc(cl->nfilt * sizeof(*b.sub_of));
	all = wfp_malloc(cl->nfilt * sizeof(*all));
	sorted = wfp_malloc(cl->nfilt * sizeof(*sorted));
	if (!b.sub_end || !b.sub_of || !all || !sorted)
		goto out;
	for (uint32_t s = 0; s < cl->nsub; s++)
		for (uint32_t j = 0; j < cl->sub[s].count; j++) {
			b.sub_end[cl->sub[s].first + j] = cl->sub[s].first + cl->sub[s].count;
			b.sub_of[cl->sub[s].first + j] = s;
		}
	for (unsigned d = 0; d < t->ndim; d++)
		rg.bits[d] = (uint8_t)type_bits(t->type[d]);
	/*
	 * What a catch-all hides is hidden in every tree: the filters after
	 * the first exact PERMIT/BLOCK of a sublayer that covers the whole
	 * key space never decide anything (keys of the wrong type take the
	 * plain walk), so no tree indexes them.
	 */
	for (uint32_t i = 0; i < cl->nfilt; i++)
		all[i] = i;
	n = prune(&b, all, cl->nfilt, &rg, all);
	category_dims(t, cdim);
	for (uint32_t j = 0; j < n; j++)
		ncat[category(t, cdim, all[j])]++;
	/* widest category first: its early catch-alls set best[] soonest */
	for (int c = CT_MAXTREE - 1; c >= 0; c--) {
		pos[c] = k;
		k += ncat[c];
	}
	for (uint32_t j = 0; j < n; j++) /* stable: ascending per category */
		sorted[pos[category(t, cdim, all[j])]++] = all[j];
	make_leaf(&b, NULL, 0); /* pool[0] = empty leaf */
	k = 0;
	for (int c = CT_MAXTREE - 1; c >= 0 && !b.err; c--) {
		if (!ncat[c])
			continue;
		/* each tree its own share: the first one built must not
		 * starve the others into single long leaves */
		b.budget = (size_t)BUDGET_PER_FILTER * ncat[c] + 4096;
		t->root[t->ntree++] = build_node(&b, &sorted[k], ncat[c], &rg, true);
		k += ncat[c];
	}
	ret = b.err;
out:
	wfp_free(all);
	wfp_free(sorted);
	wfp_free(b.sub_end);
	wfp_free(b.sub_of);
	return ret;
}

void wfp_ctree_free(struct ctree *t)
{
	if (!t)
		return;
	wfp_free(t->node);
	wfp_free(t->kid);
	wfp_free(t->pool);
	wfp_free(t->box);
	wfp_free(t->exact);
	wfp_free(t);
}

size_t wfp_clayer_index_bytes(const struct clayer *cl)
{
	return cl && cl->tree ? cl->tree->bytes : 0;
}

int wfp_ctree_build(struct clayer *cl)
{
	struct ctree *t;
	int ret;

	cl->tree = NULL;
	if (!cl->nfilt)
		return 0;
	t = wfp_calloc(1, sizeof(*t));
	if (!t)
		return -WFP_E_NOMEM;
	choose_dims(cl, t);
	if (!t->ndim) {
		wfp_free(t);
		return 0;
	}
	t->box = wfp_malloc(cl->nfilt * sizeof(*t->box));
	t->exact = wfp_malloc(cl->nfilt);
	ret = -WFP_E_NOMEM;
	if (!t->box || !t->exact)
		goto out_free;
	t->all_static = true;
	for (uint32_t i = 0; i < cl->nfilt; i++) {
		filter_box(cl, t, i);
		t->all_static &= is_static(&cl->filt[i]);
	}
	t->stride = CT_STRIDE;
	for (unsigned d = 0; d < t->ndim; d++) {
		t->kmask[d] = type_max(t->type[d]);
		t->maxslot = t->slot[d] > t->maxslot ? t->slot[d] : t->maxslot;
	}
	if (cl->nfilt >= tree_min()) {
		ret = build_tree(cl, t);
		if (ret)
			goto out_free;
	}
	t->bytes = sizeof(*t) + cl->nfilt * (sizeof(*t->box) + 1) +
		   t->nnode * sizeof(*t->node) + (size_t)(t->nkid + t->npool) * sizeof(uint32_t);
	cl->tree = t;
	return 0;

out_free:
	wfp_ctree_free(t);
	return ret;
}
