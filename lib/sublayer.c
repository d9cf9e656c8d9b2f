/* SPDX-License-Identifier: MIT */
/*
 * sublayer.c - sublayer objects (FWPM_SUBLAYER0, spec §4.1).
 *
 * A sublayer is not tied to a layer: one key holds filters at any layer,
 * and arbitration runs per (layer, sublayer).  Every engine starts with
 * the built-in sublayers of the published weight table (layer_table.c,
 * docs/internals/layers.md).
 *
 * Weights are unique.  WFP's BFE "assigns the closest available" weight
 * when the requested one is taken (spec §4.1, §9); we do the same,
 * deterministically: w, w+1, w-1, w+2, w-2, ...  The effective weight is
 * what wfp_sublayer_get() returns.
 */
#include <stdlib.h>

#include "internal.h"

struct sublayer_obj *wfp_sublayer_find(const struct wfp_engine *e, const struct wfp_guid *k)
{
	return (struct sublayer_obj *)wfp_objlist_find(e->sublayers, k);
}

void wfp_sublayer_unlink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct sublayer_obj *sl = (struct sublayer_obj *)h;

	wfp_objlist_remove(&e->sublayers, h);
	if (sl->provider)
		sl->provider->h.refs--;
}

void wfp_sublayer_relink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct sublayer_obj *sl = (struct sublayer_obj *)h;

	wfp_objlist_push(&e->sublayers, h);
	if (sl->provider)
		sl->provider->h.refs++;
}

void wfp_sublayer_destroy(struct obj_hdr *h)
{
	if (!h)
		return;
	wfp_hdr_fini(h);
	wfp_free(h);
}

int wfp_sublayers_init_builtin(struct wfp_engine *e)
{
	for (unsigned i = 0; i < wfp_builtin_sublayer_count(); i++) {
		const struct wfp_builtin_sublayer *b = wfp_builtin_sublayer(i);
		struct wfp_display d = { .name = b->name };
		struct sublayer_obj *sl = wfp_calloc(1, sizeof(*sl));

		if (!sl)
			return -WFP_E_NOMEM;
		if (wfp_hdr_init(&sl->h, OBJ_SUBLAYER, NULL, &b->key, &d, 0, LIFE_BUILTIN)) {
			wfp_free(sl);
			return -WFP_E_NOMEM;
		}
		sl->weight = b->weight;
		wfp_sublayer_relink(e, &sl->h);
	}
	return 0;
}

/* The closest free weight to want, or -1 if all 65536 are taken. */
static int closest_free_weight(const struct wfp_engine *e, uint16_t want)
{
	uint8_t used[65536 / 8] = { 0 };

	for (const struct obj_hdr *h = e->sublayers; h; h = h->next) {
		uint16_t w = ((const struct sublayer_obj *)h)->weight;

		used[w / 8] |= (uint8_t)(1U << (w % 8));
	}
	for (int d = 0; d <= 65535; d++) {
		int up = want + d, down = want - d;

		if (up <= 65535 && !(used[up / 8] & (1U << (up % 8))))
			return up;
		if (d && down >= 0 && !(used[down / 8] & (1U << (down % 8))))
			return down;
	}
	return -1;
}

static int sublayer_new(struct wfp_session *s, const void *arg, struct obj_hdr **out)
{
	const struct wfp_sublayer *in = arg;
	enum obj_life life = wfp_life_of(s, in->flags & WFP_SUBLAYER_F_PERSISTENT);
	struct provider_obj *prov;
	struct sublayer_obj *sl;
	int w, ret;

	if (in->flags & ~(uint32_t)WFP_SUBLAYER_F_PERSISTENT)
		return -WFP_E_INVALID_FLAGS;
	if (!wfp_guid_is_zero(&in->key) && wfp_sublayer_find(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	ret = wfp_obj_provider(s, &in->provider_key, life, &prov);
	if (ret)
		return ret;
	w = closest_free_weight(s->e, in->weight);
	if (w < 0)
		return -WFP_E_TOO_MANY_SUBLAYERS;
	sl = wfp_calloc(1, sizeof(*sl));
	if (!sl)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&sl->h, OBJ_SUBLAYER, s, &in->key, &in->display, in->flags, life);
	if (ret) {
		wfp_sublayer_destroy(&sl->h);
		return ret;
	}
	sl->provider = prov;
	sl->weight = (uint16_t)w;
	*out = &sl->h;
	return 0;
}

WFP_API int wfp_sublayer_add(struct wfp_session *s, const struct wfp_sublayer *in)
{
	return wfp_obj_add(s, sublayer_new, in, NULL);
}

WFP_API int wfp_sublayer_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	if (!s || !key)
		return -WFP_E_NULL_POINTER;
	return wfp_obj_delete(s, OBJ_SUBLAYER, (struct obj_hdr *)wfp_sublayer_find(s->e, key));
}

static void *sublayer_copy(const struct obj_hdr *h)
{
	const struct sublayer_obj *sl = (const struct sublayer_obj *)h;
	struct wfp_sublayer *o = wfp_calloc(1, sizeof(*o));

	if (!o || wfp_display_dup(&o->display, &sl->h)) {
		wfp_free(o);
		return NULL;
	}
	o->key = sl->h.key;
	o->flags = sl->h.flags;
	o->weight = sl->weight;
	if (sl->provider)
		o->provider_key = sl->provider->h.key;
	return o;
}

WFP_API int wfp_sublayer_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_sublayer **out)
{
	return wfp_obj_get(s, OBJ_SUBLAYER, key, sublayer_copy, (void **)out);
}

WFP_API void wfp_sublayer_free(struct wfp_sublayer *sl)
{
	if (!sl)
		return;
	wfp_display_free(&sl->display);
	wfp_free(sl);
}

static int by_weight_desc(const void *a, const void *b)
{
	const struct wfp_sublayer *x = *(struct wfp_sublayer *const *)a;
	const struct wfp_sublayer *y = *(struct wfp_sublayer *const *)b;

	return (int)y->weight - (int)x->weight;
}

WFP_API int wfp_sublayer_enum(struct wfp_session *s, struct wfp_sublayer ***out, size_t *n)
{
	struct wfp_sublayer **a;
	size_t cnt = 0, i = 0;
	struct txn *t;
	int ret;

	if (!out || !n)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	*n = 0;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	for (struct obj_hdr *h = s->e->sublayers; h; h = h->next)
		cnt++;
	a = wfp_calloc(cnt, sizeof(*a));
	if (!a)
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	for (struct obj_hdr *h = s->e->sublayers; h; h = h->next) {
		a[i] = sublayer_copy(h);
		if (!a[i]) {
			wfp_sublayer_array_free(a, i);
			return wfp_txn_leave(s, t, -WFP_E_NOMEM);
		}
		i++;
	}
	qsort(a, cnt, sizeof(*a), by_weight_desc);
	*out = a;
	*n = cnt;
	return wfp_txn_leave(s, t, 0);
}

WFP_API void wfp_sublayer_array_free(struct wfp_sublayer **a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		wfp_sublayer_free(a[i]);
	wfp_free(a);
}
