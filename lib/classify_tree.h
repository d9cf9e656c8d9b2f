/* SPDX-License-Identifier: MIT */
/*
 * classify_tree.h - the multi-field index of a compiled layer: per-filter
 * boxes over up to five integer fields, and a HiCuts-style decision tree
 * whose leaves list candidate filters in arbitration order.  Private to
 * libwfp; the theory is in classify_tree.c and docs/internals/classify.md.
 */
#ifndef WFP_CLASSIFY_TREE_H
#define WFP_CLASSIFY_TREE_H

#include <stdbool.h>
#include <stddef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>

#include <wfp/wfp.h>

enum {
	CT_MAXDIM = 5,            /* indexed fields per layer */
	CT_MAXTREE = 4,           /* trees per layer (rule categories) */
	CT_LEAF = 0x80000000u,    /* tag of a leaf reference */
	CT_EXACT = 0x80000000u,   /* tag of an exact filter in a leaf entry */
	CT_STRIDE = 2 + 2 * CT_MAXDIM, /* words of a leaf entry: 48 bytes */
};

/* A filter's bounding box: it can only match keys inside it. */
struct ct_box {
	uint32_t lo[CT_MAXDIM];
	uint32_t hi[CT_MAXDIM];
};

struct ct_node {
	uint8_t dim;
	uint8_t shift;
	uint16_t pad;
	uint32_t mask;  /* cuts - 1 */
	uint32_t kids;  /* index of the first child reference in kid[] */
};

/*
 * One layer's index.  Boxes exist whenever the layer has an indexed field;
 * the tree only for layers with at least wfp_tree_min_filters filters.
 */
struct ctree {
	uint8_t ndim;
	uint16_t slot[CT_MAXDIM];  /* incoming value slot of each dimension */
	uint16_t type[CT_MAXDIM];  /* its data type: UINT8, UINT16 or UINT32 */
	uint32_t kmask[CT_MAXDIM]; /* 0 for unused dimensions */
	uint16_t maxslot;          /* highest slot read */
	struct ct_box *box;        /* per filter, index as clayer.filt */
	uint8_t *exact;            /* 1: matches <=> key inside box */
	uint8_t ntree;             /* 0: boxes only */
	uint32_t root[CT_MAXTREE]; /* node index, or CT_LEAF | pool offset */
	struct ct_node *node;
	uint32_t *kid;
	/*
	 * Leaves: a count, then that many entries of CT_STRIDE words,
	 * ascending by filter index: index | CT_EXACT, lo[5], span[5] (span =
	 * hi - lo; unused dimensions 0 and ~0), sublayer index.  The box is copied so that a
	 * walk reads the leaf sequentially, and tested without branches.
	 */
	uint32_t *pool;
	uint32_t stride;
	uint32_t nnode, nkid, npool;
	bool all_static;           /* only PERMIT/BLOCK filters: no callouts */
	size_t bytes;              /* memory of everything above */
};

struct clayer;

/* Smallest layer that gets a tree (tests and bench lower it). */
extern unsigned wfp_tree_min_filters;

/* wfp_classify() without the index (no tree, no boxes): tests and bench
 * compare the two. */
int wfp_classify_linear(const struct wfp_engine *e, const struct wfp_incoming *in,
			struct wfp_verdict *out, struct wfp_explain *explain);

/* Builds cl->tree (left NULL when nothing can be indexed).  0 or -NOMEM. */
int wfp_ctree_build(struct clayer *cl);
void wfp_ctree_free(struct ctree *t);
/* Bytes of the index of cl (boxes and tree), for the bench. */
size_t wfp_clayer_index_bytes(const struct clayer *cl);

/* The key of an incoming set; false if a dimension's value is missing or
 * of another type (then only the linear path is exact). */
static inline bool wfp_ctree_key(const struct ctree *t, const struct wfp_incoming *in,
				 uint32_t key[CT_MAXDIM])
{
	bool ok = t->maxslot < in->nvalues;

	for (unsigned d = 0; d < CT_MAXDIM && ok; d++) {
		const struct wfp_value *v = &in->values[t->slot[d]];

		/* unused dimensions read slot 0 under a zero mask */
		ok = (v->type == t->type[d]) | !t->kmask[d];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* u8/u16 are the low bytes of u32: the mask keeps them */
		key[d] = v->u32 & t->kmask[d];
#else
		key[d] = (v->type == WFP_UINT32 ? v->u32 :
			  v->type == WFP_UINT16 ? v->u16 : v->u8) & t->kmask[d];
#endif
	}
	return ok;
}

static inline bool wfp_ctree_inbox(const struct ctree *t, uint32_t i,
				   const uint32_t key[CT_MAXDIM])
{
	const struct ct_box *b = &t->box[i];

	for (unsigned d = 0; d < t->ndim; d++)
		if (key[d] < b->lo[d] || key[d] > b->hi[d])
			return false;
	return true;
}

/* A leaf entry against the key: (key - lo) > span, unsigned, is "outside"
 * on either side.  SSE2 does four dimensions at once (unsigned compare by
 * flipping the sign bits). */
static inline bool wfp_ctree_entry_in(const struct ctree *t, const uint32_t *e,
				      const uint32_t key[CT_MAXDIM])
{
	const uint32_t *lo = e + 1, *span = e + 1 + CT_MAXDIM;
#ifdef __SSE2__
	const __m128i sign = _mm_set1_epi32((int)0x80000000u);
	__m128i k = _mm_loadu_si128((const __m128i *)key);
	__m128i d = _mm_sub_epi32(k, _mm_loadu_si128((const __m128i *)lo));
	__m128i out = _mm_cmpgt_epi32(_mm_xor_si128(d, sign),
				      _mm_xor_si128(_mm_loadu_si128((const __m128i *)span), sign));

	_Static_assert(CT_MAXDIM == 5, "four dimensions in SSE, one scalar");
	return !_mm_movemask_epi8(out) && key[4] - lo[4] <= span[4];
#else
	uint32_t out = 0;

	for (unsigned d = 0; d < CT_MAXDIM; d++)
		out |= key[d] - lo[d] > span[d]; /* wraps below lo */
	return !out;
#endif
}

/* The leaf of key in tree k: a count followed by that many filter
 * indexes. */
static inline const uint32_t *wfp_ctree_leaf(const struct ctree *t, unsigned k,
					     const uint32_t key[CT_MAXDIM])
{
	uint32_t ref = t->root[k];

	while (!(ref & CT_LEAF)) {
		const struct ct_node *n = &t->node[ref];

		ref = t->kid[n->kids + ((key[n->dim] >> n->shift) & n->mask)];
	}
	return &t->pool[ref & ~CT_LEAF];
}

/* The leaves of key in every tree. */
static inline void wfp_ctree_leaves(const struct ctree *t, const uint32_t key[CT_MAXDIM],
				    const uint32_t *leaf[CT_MAXTREE])
{
	for (unsigned k = 0; k < t->ntree; k++)
		leaf[k] = wfp_ctree_leaf(t, k, key);
}

#endif
