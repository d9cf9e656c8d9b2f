/* SPDX-License-Identifier: MIT */
/*
 * compile.c - turn one layer's filters into its immutable published form.
 *
 * The compiled layer is three arrays in one allocation:
 *
 *   sub[]   sublayers that hold filters at this layer, highest weight first
 *   filt[]  filters grouped by sublayer (sub[i].first .. +count), each
 *           group ordered by effective weight descending, then filter id
 *           ascending (spec §9: stable order for equal weights)
 *   cond[]  every filter's conditions, sorted by field inside a filter so
 *           that the conditions on one field form one contiguous OR group
 *           (spec §5.4; non-consecutive repeats are OR'ed too, §9)
 *
 * Worked example: sublayers A (0x9000) and B (0x8000), filters
 * f1 {A, w=10}, f2 {B, w=5}, f3 {A, w=20} compile to
 *   sub  = [A first=0 count=2, B first=2 count=1]
 *   filt = [f3, f1, f2]
 * and classify.c walks filt[] in exactly that order.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "classify_tree.h"

static int by_order(const void *a, const void *b)
{
	const struct filter_obj *x = *(struct filter_obj *const *)a;
	const struct filter_obj *y = *(struct filter_obj *const *)b;

	if (x->sublayer->weight != y->sublayer->weight)
		return x->sublayer->weight > y->sublayer->weight ? -1 : 1;
	if (x->eff_weight != y->eff_weight)
		return x->eff_weight > y->eff_weight ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void wfp_clayer_free(struct clayer *cl)
{
	if (!cl)
		return;
	wfp_ctree_free(cl->tree);
	for (uint32_t i = 0; i < cl->ncond; i++)
		wfp_ccond_fini(&cl->cond[i]);
	wfp_free(cl);
}

/* Conditions of f in field order, stable (insertion sort: n is small). */
static void sort_cond_index(const struct filter_obj *f, uint32_t *idx)
{
	for (uint32_t i = 0; i < f->ncond; i++) {
		uint32_t j = i;

		while (j > 0 && f->cond[idx[j - 1]].field > f->cond[i].field) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
}

static int compile_filter(struct clayer *cl, const struct filter_obj *f, struct cfilter *cf)
{
	uint32_t idx[WFP_MAX_CONDITIONS];

	cf->id = f->id;
	cf->weight = f->eff_weight;
	cf->action = f->action.type;
	cf->flags = f->h.flags;
	cf->context = f->raw_context;
	cf->reg = f->callout ? f->callout->reg : NULL;
	cf->cond_first = cl->ncond;
	cf->ncond = f->ncond;
	sort_cond_index(f, idx);
	for (uint32_t i = 0; i < f->ncond; i++) {
		int ret = wfp_ccond_build(&cl->cond[cl->ncond], cl->layer, &f->cond[idx[i]]);

		if (ret)
			return ret;
		cl->ncond++;
	}
	return 0;
}

static struct clayer *clayer_alloc(unsigned layer, uint32_t nfilt, uint32_t ncond)
{
	size_t sz = sizeof(struct clayer) + nfilt * (sizeof(struct csub) + sizeof(struct cfilter)) +
		    ncond * sizeof(struct wfp_ccond);
	struct clayer *cl = wfp_calloc(1, sz);

	if (!cl)
		return NULL;
	cl->layer = (uint16_t)layer;
	cl->filt = (struct cfilter *)(cl + 1);
	cl->cond = (struct wfp_ccond *)(cl->filt + nfilt);
	cl->sub = (struct csub *)(cl->cond + ncond);
	return cl;
}

struct clayer *wfp_clayer_build(const struct wfp_engine *e, unsigned layer, int *err)
{
	uint32_t n = e->layer_nfilt[layer], ncond = 0, i = 0;
	struct filter_obj **v;
	struct clayer *cl = NULL;

	*err = -WFP_E_NOMEM;
	v = wfp_calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	for (struct filter_obj *f = e->layer_head[layer]; f; f = f->layer_next) {
		v[i++] = f;
		ncond += f->ncond;
	}
	qsort(v, n, sizeof(*v), by_order);
	cl = clayer_alloc(layer, n, ncond);
	if (!cl)
		goto out_free_v;
	for (i = 0; i < n; i++) {
		const struct sublayer_obj *sl = v[i]->sublayer;
		struct csub *cs = cl->nsub ? &cl->sub[cl->nsub - 1] : NULL;

		if (!cs || cs->weight != sl->weight) {
			cs = &cl->sub[cl->nsub++];
			cs->key = sl->h.key;
			cs->weight = sl->weight;
			cs->first = i;
		}
		cs->count++;
		*err = compile_filter(cl, v[i], &cl->filt[i]);
		if (*err)
			goto out_free_cl;
	}
	cl->nfilt = n;
	*err = wfp_ctree_build(cl);
	if (*err)
		goto out_free_cl;
	wfp_free(v);
	return cl;

out_free_cl:
	wfp_clayer_free(cl);
	cl = NULL;
out_free_v:
	wfp_free(v);
	return cl;
}
