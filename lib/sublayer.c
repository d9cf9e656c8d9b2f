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
#include <string.h>

#include "internal.h"

struct sublayer_obj *wfp_sublayer_find(const struct wfp_engine *e, const struct wfp_guid *k)
{
	for (struct sublayer_obj *sl = e->sublayers; sl; sl = sl->next)
		if (wfp_guid_eq(&sl->h.key, k))
			return sl;
	return NULL;
}

void wfp_sublayer_unlink(struct wfp_engine *e, struct sublayer_obj *sl)
{
	for (struct sublayer_obj **pp = &e->sublayers; *pp; pp = &(*pp)->next) {
		if (*pp == sl) {
			*pp = sl->next;
			break;
		}
	}
	sl->h.live = false;
	if (sl->provider)
		sl->provider->h.refs--;
}

void wfp_sublayer_relink(struct wfp_engine *e, struct sublayer_obj *sl)
{
	sl->next = e->sublayers;
	e->sublayers = sl;
	sl->h.live = true;
	if (sl->provider)
		sl->provider->h.refs++;
}

void wfp_sublayer_destroy(struct sublayer_obj *sl)
{
	if (!sl)
		return;
	wfp_hdr_fini(&sl->h);
	wfp_free(sl);
}

int wfp_sublayers_init_builtin(struct wfp_engine *e)
{
	for (unsigned i = 0; i < wfp_builtin_sublayer_count(); i++) {
		const struct wfp_builtin_sublayer *b = wfp_builtin_sublayer(i);
		struct wfp_display d = { .name = b->name };
		struct sublayer_obj *sl = wfp_calloc(1, sizeof(*sl));

		if (!sl)
			return -WFP_E_NOMEM;
		if (wfp_hdr_init(&sl->h, NULL, &b->key, &d, 0, LIFE_BUILTIN)) {
			wfp_free(sl);
			return -WFP_E_NOMEM;
		}
		sl->weight = b->weight;
		wfp_sublayer_relink(e, sl);
	}
	return 0;
}

/* The closest free weight to want, or -1 if all 65536 are taken. */
static int closest_free_weight(const struct wfp_engine *e, uint16_t want)
{
	uint8_t used[65536 / 8] = { 0 };

	for (const struct sublayer_obj *sl = e->sublayers; sl; sl = sl->next)
		used[sl->weight / 8] |= (uint8_t)(1U << (sl->weight % 8));
	for (int d = 0; d <= 65535; d++) {
		int up = want + d, down = want - d;

		if (up <= 65535 && !(used[up / 8] & (1U << (up % 8))))
			return up;
		if (d && down >= 0 && !(used[down / 8] & (1U << (down % 8))))
			return down;
	}
	return -1;
}

static int sublayer_new(struct wfp_session *s, const struct wfp_sublayer *in,
			struct sublayer_obj **out)
{
	struct provider_obj *prov = NULL;
	enum obj_life life;
	struct sublayer_obj *sl;
	int w, ret;

	if (in->flags & ~(uint32_t)WFP_SUBLAYER_F_PERSISTENT)
		return -WFP_E_INVALID_FLAGS;
	if (!wfp_guid_is_zero(&in->key) && wfp_sublayer_find(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	life = in->flags & WFP_SUBLAYER_F_PERSISTENT ? LIFE_PERSISTENT :
	       s->flags & WFP_SESSION_F_DYNAMIC ? LIFE_DYNAMIC : LIFE_STATIC;
	if (!wfp_guid_is_zero(&in->provider_key)) {
		prov = wfp_provider_find(s->e, &in->provider_key);
		if (!prov)
			return -WFP_E_PROVIDER_NOT_FOUND;
		ret = wfp_hdr_may_link(life, s, &prov->h);
		if (ret)
			return ret;
	}
	w = closest_free_weight(s->e, in->weight);
	if (w < 0)
		return -WFP_E_TOO_MANY_SUBLAYERS;
	sl = wfp_calloc(1, sizeof(*sl));
	if (!sl)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&sl->h, s, &in->key, &in->display, in->flags, life);
	if (ret) {
		wfp_sublayer_destroy(sl);
		return ret;
	}
	sl->provider = prov;
	sl->weight = (uint16_t)w;
	*out = sl;
	return 0;
}

WFP_API int wfp_sublayer_add(struct wfp_session *s, const struct wfp_sublayer *in)
{
	struct sublayer_obj *sl = NULL;
	struct txn *t;
	int ret;

	if (!in)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	ret = sublayer_new(s, in, &sl);
	if (ret == 0) {
		ret = wfp_txn_log(t, UNDO_ADD_SUBLAYER, sl);
		if (ret)
			wfp_sublayer_destroy(sl);
		else
			wfp_sublayer_relink(s->e, sl);
	}
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_sublayer_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	struct sublayer_obj *sl;
	struct txn *t;
	int ret;

	if (!key)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	sl = wfp_sublayer_find(s->e, key);
	if (!sl)
		ret = -WFP_E_SUBLAYER_NOT_FOUND;
	else if ((ret = wfp_hdr_may_delete(s, &sl->h)) == 0 && sl->h.refs)
		ret = -WFP_E_IN_USE;
	if (ret == 0 && (ret = wfp_txn_log(t, UNDO_DEL_SUBLAYER, sl)) == 0)
		wfp_sublayer_unlink(s->e, sl);
	return wfp_txn_leave(s, t, ret);
}

static struct wfp_sublayer *sublayer_copy(const struct sublayer_obj *sl)
{
	struct wfp_sublayer *o = wfp_calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->key = sl->h.key;
	o->flags = sl->h.flags;
	o->weight = sl->weight;
	if (sl->provider)
		o->provider_key = sl->provider->h.key;
	o->display.name = wfp_strdup(sl->h.name);
	o->display.description = sl->h.desc ? wfp_strdup(sl->h.desc) : NULL;
	if (!o->display.name || (sl->h.desc && !o->display.description)) {
		wfp_sublayer_free(o);
		return NULL;
	}
	return o;
}

WFP_API int wfp_sublayer_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_sublayer **out)
{
	struct sublayer_obj *sl;
	struct txn *t;
	int ret;

	if (!key || !out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	sl = wfp_sublayer_find(s->e, key);
	if (!sl)
		return wfp_txn_leave(s, t, -WFP_E_SUBLAYER_NOT_FOUND);
	*out = sublayer_copy(sl);
	return wfp_txn_leave(s, t, *out ? 0 : -WFP_E_NOMEM);
}

WFP_API void wfp_sublayer_free(struct wfp_sublayer *sl)
{
	if (!sl)
		return;
	wfp_free((char *)sl->display.name);
	wfp_free((char *)sl->display.description);
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
	for (struct sublayer_obj *sl = s->e->sublayers; sl; sl = sl->next)
		cnt++;
	a = wfp_calloc(cnt, sizeof(*a));
	if (!a)
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	for (struct sublayer_obj *sl = s->e->sublayers; sl; sl = sl->next) {
		a[i] = sublayer_copy(sl);
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
