/* SPDX-License-Identifier: MIT */
/*
 * classify.c - THE hot path: one layer of the published policy against one
 * set of incoming values, with WFP's cross-sublayer arbitration.
 *
 * The algorithm is spec §4.5, step for step:
 *   - every sublayer with filters at the layer is visited, highest weight
 *     first, even after a hard decision (their callouts still run, §10.5);
 *   - inside a sublayer, filters are tried in weight order; the first
 *     matching filter whose verdict is not CONTINUE decides the sublayer;
 *   - the sublayer's verdict replaces the running result only while the
 *     result still holds FWPS_RIGHT_ACTION_WRITE (no decision yet, or a
 *     soft one); a hard verdict clears the right;
 *   - once the right is cleared, only a callout that returns BLOCK against
 *     a hard PERMIT changes the result: a veto (§4.4).
 *
 * Verdicts of a filter (§4.3, §4.4): static BLOCK is hard; static PERMIT
 * is soft unless the filter has CLEAR_ACTION_RIGHT; a callout's verdict is
 * hard when it cleared the right.  Callout results are coerced by the
 * filter's action type; an unregistered callout acts as a static BLOCK
 * (PERMIT with PERMIT_IF_CALLOUT_UNREGISTERED), an unregistered inspection
 * callout as CONTINUE (§9).
 *
 * Which filters a sublayer looks at comes from the layer's index
 * (classify_tree.c, docs/internals/classify.md): the candidates of the
 * key's tree leaves, in filter order, each verified; or, for small layers
 * and keys the index cannot read, every filter.  The order, the callouts
 * invoked and the result are the same either way; wfp_classify_linear()
 * is the plain walk the tests compare against.
 *
 * No allocation, no lock, no logging.  The explain record is filled only
 * when the caller asks for it.
 */
#include <string.h>

#include "internal.h"
#include "classify_tree.h"

struct result {
	uint32_t action;
	uint32_t rights;
	uint32_t flags;
	uint64_t filter_id;
	uint16_t slw;
};

struct fverdict {
	uint32_t action; /* PERMIT, BLOCK or CONTINUE */
	uint32_t flags;
	bool hard;
	bool from_callout; /* a registered callout produced it */
};

static bool filter_matches(const struct clayer *cl, const struct cfilter *cf,
			   const struct wfp_incoming *in)
{
	const struct wfp_ccond *c = &cl->cond[cf->cond_first];
	const struct wfp_ccond *end = c + cf->ncond;

	while (c < end) {
		uint16_t field = c->field;
		const struct wfp_value *v = c->slot < in->nvalues ? &in->values[c->slot] : NULL;
		bool ok = false;

		/* one OR group: the conditions on one field */
		for (; c < end && c->field == field; c++)
			if (!ok && wfp_ccond_test(c, v))
				ok = true;
		if (!ok)
			return false;
	}
	return true;
}

static uint32_t coerce(uint32_t filter_action, uint32_t returned)
{
	switch (filter_action) {
	case WFP_ACTION_CALLOUT_TERMINATING:
		/* anything but BLOCK/PERMIT counts as BLOCK */
		return returned == WFP_ACTION_PERMIT ? WFP_ACTION_PERMIT : WFP_ACTION_BLOCK;
	case WFP_ACTION_CALLOUT_UNKNOWN:
		if (returned == WFP_ACTION_PERMIT || returned == WFP_ACTION_BLOCK)
			return returned;
		return WFP_ACTION_CONTINUE;
	default: /* INSPECTION: whatever it says, CONTINUE */
		return WFP_ACTION_CONTINUE;
	}
}

static void call_callout(const struct cfilter *cf, uint16_t slw, const struct wfp_incoming *in,
			 const struct result *r, struct fverdict *v)
{
	const struct callout_reg *reg = cf->reg;
	struct wfp_callout_filter fi = {
		.filter_id = cf->id, .weight = cf->weight, .sublayer_weight = slw,
		.flags = cf->flags, .action_type = cf->action, .context = cf->context,
	};
	struct wfp_classify_out out = {
		.action = r->action, .rights = r->rights, .flags = 0,
	};

	reg->ops.classify(reg->ctx, in, &fi, &out);
	v->action = coerce(cf->action, out.action);
	v->hard = !(out.rights & WFP_RIGHT_ACTION_WRITE);
	v->flags = out.flags;
	v->from_callout = true;
}

static void filter_verdict(const struct cfilter *cf, uint16_t slw, const struct wfp_incoming *in,
			   const struct result *r, struct fverdict *v)
{
	bool clear = cf->flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT;

	memset(v, 0, sizeof(*v));
	switch (cf->action) {
	case WFP_ACTION_BLOCK:
		v->action = WFP_ACTION_BLOCK;
		v->hard = true;
		return;
	case WFP_ACTION_PERMIT:
		v->action = WFP_ACTION_PERMIT;
		v->hard = clear;
		return;
	default:
		break;
	}
	if (cf->reg && __atomic_load_n(&cf->reg->registered, __ATOMIC_ACQUIRE)) {
		call_callout(cf, slw, in, r, v);
	} else if (cf->action == WFP_ACTION_CALLOUT_INSPECTION) {
		v->action = WFP_ACTION_CONTINUE;
	} else if (cf->flags & WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED) {
		v->action = WFP_ACTION_PERMIT; /* as a static PERMIT filter */
		v->hard = clear;
	} else {
		v->action = WFP_ACTION_BLOCK; /* as a static BLOCK filter */
		v->hard = true;
	}
}

/* Step 9: merge one sublayer's verdict.  Returns 1 if applied, 2 if veto. */
static int merge(struct result *r, const struct fverdict *v, const struct cfilter *cf,
		 uint16_t slw)
{
	if (r->rights & WFP_RIGHT_ACTION_WRITE) {
		r->action = v->action;
		r->filter_id = cf->id;
		r->flags = v->flags;
		r->slw = slw;
		if (v->hard)
			r->rights &= ~(uint32_t)WFP_RIGHT_ACTION_WRITE;
		return 1;
	}
	if (r->action == WFP_ACTION_PERMIT && v->action == WFP_ACTION_BLOCK && v->from_callout) {
		r->action = WFP_ACTION_BLOCK;
		r->filter_id = cf->id;
		r->flags = v->flags | WFP_CLASSIFY_OUT_F_VETO;
		r->slw = slw;
		return 2;
	}
	return 0;
}

static __attribute__((cold, noinline)) void
explain_sub(struct wfp_explain *x, const struct csub *cs, const struct cfilter *cf,
	    const struct fverdict *v, uint32_t rights_before, const struct result *r,
	    int merged, unsigned ncallouts)
{
	struct wfp_explain_sublayer *es;

	if (x->nsublayers >= WFP_EXPLAIN_MAX_SUBLAYERS) {
		x->truncated++;
		return;
	}
	es = &x->sub[x->nsublayers++];
	memset(es, 0, sizeof(*es));
	es->key = cs->key;
	es->weight = cs->weight;
	es->action = cf ? v->action : WFP_ACTION_NONE;
	es->filter_id = cf ? cf->id : 0;
	es->filter_weight = cf ? cf->weight : 0;
	es->rights_before = rights_before;
	es->rights_after = r->rights;
	es->hard = cf ? v->hard : 0;
	es->applied = merged != 0;
	es->veto = merged == 2;
	es->ncallouts = (uint8_t)(ncallouts > 255 ? 255 : ncallouts);
}

/*
 * Where a sublayer's filters come from: the whole sublayer (linear), or the
 * tree leaf of the key (candidates, ascending filter index).  With a valid
 * key, every filter's box is a cheap first test and an exact filter needs
 * no other.
 */
struct walk {
	const struct ctree *t;  /* NULL: no valid key */
	uint32_t key[CT_MAXDIM];
	unsigned ncand;         /* 0: linear */
	const uint32_t *cur[CT_MAXTREE];
	const uint32_t *end[CT_MAXTREE];
	uint32_t *best;         /* all-static layers: first match per sublayer */
};

enum { FAST_MAXSUB = 64 }; /* sublayers the all-static pass keeps on the stack */

static inline bool try_filter(const struct clayer *cl, const struct walk *w, uint32_t i,
			      const struct wfp_incoming *in)
{
	if (w->t) {
		if (!wfp_ctree_inbox(w->t, i, w->key))
			return false;
		if (w->t->exact[i])
			return true;
	}
	return filter_matches(cl, &cl->filt[i], in);
}

/* The same for a leaf entry (its box is inline). */
static inline bool try_entry(const struct clayer *cl, const struct walk *w, const uint32_t *e,
			     const struct wfp_incoming *in)
{
	if (!wfp_ctree_entry_in(w->t, e, w->key))
		return false;
	return (e[0] & CT_EXACT) || filter_matches(cl, &cl->filt[e[0] & ~CT_EXACT], in);
}

static inline uint32_t eidx(const uint32_t *e)
{
	return e[0] & ~CT_EXACT;
}

/* Steps 5-8 for filter i once it matched: true if it decides. */
static inline bool decide(const struct clayer *cl, const struct csub *cs, uint32_t i,
			  const struct wfp_incoming *in, const struct result *r,
			  struct fverdict *v, unsigned *nmatched, unsigned *ncallouts)
{
	(*nmatched)++;
	filter_verdict(&cl->filt[i], cs->weight, in, r, v);
	*ncallouts += v->from_callout;
	return v->action != WFP_ACTION_CONTINUE;
}

/*
 * A layer of static filters only: one pass over each tree's leaf keeps,
 * per sublayer, the lowest matching filter index; a static filter always
 * terminates and each filter lives in one tree, so that is the
 * sublayer's first matching filter.  best[s] = end of s: none.
 */
static void first_static(const struct clayer *cl, const struct walk *w,
			 const struct wfp_incoming *in, uint32_t *best)
{
	uint32_t key[CT_MAXDIM]; /* a local copy: stores to best[] cannot alias it */

	memcpy(key, w->key, sizeof(key));
	for (uint32_t s = 0; s < cl->nsub; s++)
		best[s] = cl->sub[s].first + cl->sub[s].count;
	for (unsigned k = 0; k < w->ncand; k++) {
		const uint32_t *p = w->cur[k], *pe = w->end[k];

		for (; p < pe; p += CT_STRIDE) {
			uint32_t i = eidx(p), s = p[CT_STRIDE - 1];

			if (i < best[s] && wfp_ctree_entry_in(w->t, p, key) &&
			    ((p[0] & CT_EXACT) || filter_matches(cl, &cl->filt[i], in)))
				best[s] = i;
		}
	}
}

/* Any layer: candidates of all leaves merged in filter order. */
static const struct cfilter *merged(const struct clayer *cl, const struct csub *cs,
				    struct walk *w, const struct wfp_incoming *in,
				    const struct result *r, struct fverdict *v,
				    unsigned *nmatched, unsigned *ncallouts)
{
	uint32_t end = cs->first + cs->count, stride = w->t->stride;

	for (;;) {
		uint32_t i = UINT32_MAX;
		unsigned k = 0;

		/* the next candidate: the lowest head of the leaves */
		for (unsigned j = 0; j < w->ncand; j++) {
			while (w->cur[j] < w->end[j] && eidx(w->cur[j]) < cs->first)
				w->cur[j] += stride; /* rest of a sublayer that decided */
			if (w->cur[j] < w->end[j] && eidx(w->cur[j]) < i) {
				i = eidx(w->cur[j]);
				k = j;
			}
		}
		if (i >= end)
			return NULL;
		w->cur[k] += stride;
		if (try_entry(cl, w, w->cur[k] - stride, in) &&
		    decide(cl, cs, i, in, r, v, nmatched, ncallouts))
			return &cl->filt[i];
	}
}

/* Steps 3-8 for one sublayer: its first terminating verdict, or NULL. */
static const struct cfilter *run_sublayer(const struct clayer *cl, const struct csub *cs,
					  struct walk *w, const struct wfp_incoming *in,
					  const struct result *r, struct fverdict *v,
					  unsigned *nmatched, unsigned *ncallouts)
{
	uint32_t end = cs->first + cs->count;

	if (w->best) {
		uint32_t i = w->best[cs - cl->sub];

		if (i < end && decide(cl, cs, i, in, r, v, nmatched, ncallouts))
			return &cl->filt[i];
		return NULL;
	}
	if (w->ncand)
		return merged(cl, cs, w, in, r, v, nmatched, ncallouts);
	for (uint32_t i = cs->first; i < end; i++)
		if (try_filter(cl, w, i, in) && decide(cl, cs, i, in, r, v, nmatched, ncallouts))
			return &cl->filt[i];
	return NULL;
}

static void walk_init(const struct clayer *cl, const struct wfp_incoming *in, bool use_tree,
		      struct walk *w)
{
	const struct ctree *t = cl->tree;
	const uint32_t *leaf[CT_MAXTREE];

	w->t = NULL;
	w->ncand = 0;
	w->best = NULL;
	if (!use_tree || !t || !wfp_ctree_key(t, in, w->key))
		return; /* plain linear: the reference, or no valid key */
	w->t = t;
	if (!t->ntree)
		return; /* small layer: linear, boxes as a fast first test */
	wfp_ctree_leaves(t, w->key, leaf);
	for (unsigned k = 0; k < t->ntree; k++) {
		if (!leaf[k][0])
			continue;
		w->cur[w->ncand] = leaf[k] + 1;
		w->end[w->ncand] = leaf[k] + 1 + (size_t)leaf[k][0] * t->stride;
		w->ncand++;
	}
	if (!w->ncand) { /* no candidate anywhere: an empty walk, not linear */
		w->cur[0] = w->end[0] = NULL;
		w->ncand = 1;
	}
}

/*
 * Steps 5-9 for a layer of static filters, given every sublayer's first
 * match: what filter_verdict() and merge() compute for static verdicts
 * (BLOCK hard, PERMIT soft unless CLEAR_ACTION_RIGHT, no callout so no
 * veto), without building a verdict per sublayer.
 */
static void arbitrate_static(const struct clayer *cl, const uint32_t *best, struct result *r,
			     unsigned *nmatched)
{
	for (uint32_t s = 0; s < cl->nsub; s++) {
		const struct csub *cs = &cl->sub[s];
		const struct cfilter *cf;

		if (best[s] >= cs->first + cs->count)
			continue;
		(*nmatched)++;
		if (!(r->rights & WFP_RIGHT_ACTION_WRITE))
			continue;
		cf = &cl->filt[best[s]];
		r->action = cf->action;
		r->filter_id = cf->id;
		r->flags = 0;
		r->slw = cs->weight;
		if (cf->action == WFP_ACTION_BLOCK || (cf->flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT))
			r->rights &= ~(uint32_t)WFP_RIGHT_ACTION_WRITE;
	}
}

static int classify(const struct wfp_engine *e, const struct wfp_incoming *in,
		    struct wfp_verdict *out, struct wfp_explain *explain, bool use_tree)
{
	struct result r = { .action = WFP_ACTION_NONE, .rights = WFP_RIGHT_ACTION_WRITE };
	const struct clayer *cl;
	unsigned nmatched = 0;
	uint32_t best[FAST_MAXSUB];
	struct walk w;

	if (!e || !in || !out)
		return -WFP_E_NULL_POINTER;
	if (in->layer >= WFP_LAYER_MAX)
		return -WFP_E_LAYER_NOT_FOUND;
	if (explain) {
		explain->nsublayers = 0;
		explain->truncated = 0;
	}
	cl = __atomic_load_n(&e->published[in->layer], __ATOMIC_ACQUIRE);
	if (cl)
		walk_init(cl, in, use_tree, &w);
	if (cl && w.ncand && w.t->all_static && cl->nsub <= FAST_MAXSUB) {
		first_static(cl, &w, in, best);
		w.best = best;
		if (!explain) {
			arbitrate_static(cl, best, &r, &nmatched);
			cl = NULL; /* done */
		}
	}
	for (uint32_t s = 0; cl && s < cl->nsub; s++) {
		const struct csub *cs = &cl->sub[s];
		uint32_t before = r.rights;
		unsigned ncallouts = 0;
		struct fverdict v;
		const struct cfilter *cf;
		int merged = 0;

		cf = run_sublayer(cl, cs, &w, in, &r, &v, &nmatched, &ncallouts);
		if (cf)
			merged = merge(&r, &v, cf, cs->weight);
		if (__builtin_expect(explain != NULL, 0))
			explain_sub(explain, cs, cf, &v, before, &r, merged, ncallouts);
	}
	if (r.action == WFP_ACTION_NONE && nmatched == 0)
		r.action = WFP_ACTION_NONE_NO_MATCH;
	out->action = r.action;
	out->rights = r.rights;
	out->flags = r.flags;
	out->filter_id = r.filter_id;
	out->sublayer_weight = r.slw;
	out->nmatched = (uint16_t)(nmatched > 0xFFFF ? 0xFFFF : nmatched);
	return 0;
}

WFP_API int wfp_classify(const struct wfp_engine *e, const struct wfp_incoming *in,
			 struct wfp_verdict *out, struct wfp_explain *explain)
{
	return classify(e, in, out, explain, true);
}

/* The plain linear walk, without tree or boxes: the reference the tests
 * and the bench compare against. */
int wfp_classify_linear(const struct wfp_engine *e, const struct wfp_incoming *in,
			struct wfp_verdict *out, struct wfp_explain *explain)
{
	return classify(e, in, out, explain, false);
}
