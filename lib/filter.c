/* SPDX-License-Identifier: MIT */
/*
 * filter.c - filter objects (FWPM_FILTER0, spec §4.2, §6.5, §6.6).
 *
 * Adding a filter validates it in one fixed, documented order (spec §9
 * leaves the precedence open; docs/internals/mgmt.md lists it), deep-copies
 * its conditions, computes its effective weight and links it into three
 * indexes: by run-time id, by key (chained hashes that only ever grow, so
 * undoing a delete can always relink without allocating) and into its
 * layer's list, which compile.c turns into the published blob at commit.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- indexes ---- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: management path only, no attacker keys */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_key(const struct wfp_guid *k)
{
	uint64_t a, b;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	return mix64(a ^ mix64(b));
}

static void findex_insert(struct findex *x, struct filter_obj *f)
{
	size_t mask = x->nbuckets - 1;
	size_t bi = mix64(f->id) & mask, bk = hash_key(&f->h.key) & mask;

	f->id_next = x->by_id[bi];
	x->by_id[bi] = f;
	f->key_next = x->by_key[bk];
	x->by_key[bk] = f;
	x->count++;
}

static int findex_grow(struct findex *x)
{
	size_t n = x->nbuckets ? x->nbuckets * 2 : 64;
	struct filter_obj **id = wfp_calloc(n, sizeof(*id));
	struct filter_obj **key = wfp_calloc(n, sizeof(*key));
	struct findex nx = { .by_id = id, .by_key = key, .nbuckets = n };

	if (!id || !key) {
		wfp_free(id);
		wfp_free(key);
		return -WFP_E_NOMEM;
	}
	for (size_t b = 0; b < x->nbuckets; b++) {
		struct filter_obj *f = x->by_id[b], *next;

		for (; f; f = next) {
			next = f->id_next;
			findex_insert(&nx, f);
		}
	}
	wfp_findex_free(x);
	*x = nx;
	return 0;
}

static void findex_remove(struct findex *x, struct filter_obj *f)
{
	size_t mask = x->nbuckets - 1;
	struct filter_obj **pp;

	for (pp = &x->by_id[mix64(f->id) & mask]; *pp; pp = &(*pp)->id_next)
		if (*pp == f) {
			*pp = f->id_next;
			break;
		}
	for (pp = &x->by_key[hash_key(&f->h.key) & mask]; *pp; pp = &(*pp)->key_next)
		if (*pp == f) {
			*pp = f->key_next;
			break;
		}
	x->count--;
}

void wfp_findex_free(struct findex *x)
{
	wfp_free(x->by_id);
	wfp_free(x->by_key);
	memset(x, 0, sizeof(*x));
}

struct filter_obj *wfp_filter_find_id(const struct wfp_engine *e, uint64_t id)
{
	const struct findex *x = &e->fidx;

	if (!x->nbuckets)
		return NULL;
	for (struct filter_obj *f = x->by_id[mix64(id) & (x->nbuckets - 1)]; f; f = f->id_next)
		if (f->id == id)
			return f;
	return NULL;
}

struct filter_obj *wfp_filter_find_key(const struct wfp_engine *e, const struct wfp_guid *k)
{
	const struct findex *x = &e->fidx;

	if (!x->nbuckets)
		return NULL;
	for (struct filter_obj *f = x->by_key[hash_key(k) & (x->nbuckets - 1)]; f;
	     f = f->key_next)
		if (wfp_guid_eq(&f->h.key, k))
			return f;
	return NULL;
}

/* ---- linking ---- */

static void refs_adjust(struct filter_obj *f, int d)
{
	f->sublayer->h.refs += (unsigned)d;
	if (f->provider)
		f->provider->h.refs += (unsigned)d;
	if (f->callout)
		f->callout->h.refs += (unsigned)d;
}

/* pre: the index has room (wfp_filter_add grew it; undo relinks only). */
void wfp_filter_relink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct filter_obj *f = (struct filter_obj *)h;

	findex_insert(&e->fidx, f);
	f->layer_prev = NULL;
	f->layer_next = e->layer_head[f->layer];
	if (f->layer_next)
		f->layer_next->layer_prev = f;
	e->layer_head[f->layer] = f;
	e->layer_nfilt[f->layer]++;
	refs_adjust(f, 1);
	f->h.live = true;
}

void wfp_filter_unlink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct filter_obj *f = (struct filter_obj *)h;

	findex_remove(&e->fidx, f);
	if (f->layer_prev)
		f->layer_prev->layer_next = f->layer_next;
	else
		e->layer_head[f->layer] = f->layer_next;
	if (f->layer_next)
		f->layer_next->layer_prev = f->layer_prev;
	f->layer_prev = f->layer_next = NULL;
	e->layer_nfilt[f->layer]--;
	refs_adjust(f, -1);
	f->h.live = false;
}

static void conds_free(struct wfp_filter_cond *c, uint32_t n)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < n; i++)
		wfp_cond_value_fini(&c[i].value);
	wfp_free(c);
}

static struct wfp_filter_cond *conds_dup(const struct wfp_filter_cond *c, uint32_t n)
{
	struct wfp_filter_cond *d = wfp_calloc(n, sizeof(*d));

	if (!d)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		d[i].field = c[i].field;
		d[i].match = c[i].match;
		if (wfp_cond_value_dup(&d[i].value, &c[i].value)) {
			conds_free(d, i);
			return NULL;
		}
	}
	return d;
}

void wfp_filter_destroy(struct obj_hdr *h)
{
	struct filter_obj *f = (struct filter_obj *)h;

	if (!f)
		return;
	wfp_hdr_fini(&f->h);
	conds_free(f->cond, f->ncond);
	wfp_free(f);
}

/* ---- validation ---- */

static int check_weight(const struct wfp_value *w)
{
	switch (w->type) {
	case WFP_EMPTY:
	case WFP_UINT64:
		return 0;
	case WFP_UINT8:
		return w->u8 <= 15 ? 0 : -WFP_E_INVALID_WEIGHT;
	default:
		return -WFP_E_INVALID_WEIGHT;
	}
}

static bool is_callout_action(uint32_t type)
{
	return type == WFP_ACTION_CALLOUT_TERMINATING ||
	       type == WFP_ACTION_CALLOUT_INSPECTION ||
	       type == WFP_ACTION_CALLOUT_UNKNOWN;
}

static int check_flags(const struct wfp_filter *in)
{
	uint32_t settable = WFP_FILTER_F_ALL & ~(uint32_t)WFP_FILTER_F_DISABLED;

	if (in->flags & ~settable)
		return -WFP_E_INVALID_FLAGS;
	if ((in->flags & WFP_FILTER_F_PERSISTENT) && (in->flags & WFP_FILTER_F_BOOTTIME))
		return -WFP_E_INVALID_FLAGS;
	return 0;
}

static int check_action(struct wfp_session *s, const struct wfp_filter *in,
			struct callout_obj **callout)
{
	uint32_t type = in->action.type;

	*callout = NULL;
	if (type == WFP_ACTION_BLOCK || type == WFP_ACTION_PERMIT) {
		if (in->flags & WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED)
			return -WFP_E_INVALID_FLAGS;
		return 0;
	}
	if (!is_callout_action(type))
		return -WFP_E_INVALID_ACTION_TYPE;
	/* spec §4.3: only terminating and unknown callouts may fall back */
	if (type == WFP_ACTION_CALLOUT_INSPECTION &&
	    (in->flags & WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED))
		return -WFP_E_INVALID_FLAGS;
	*callout = wfp_callout_find(s->e, &in->action.key);
	if (!*callout)
		return -WFP_E_CALLOUT_NOT_FOUND;
	if ((*callout)->layer != in->layer)
		return -WFP_E_ACTION_INCOMPATIBLE_WITH_LAYER;
	return 0;
}

static int check_conds(const struct wfp_filter *in)
{
	if (in->ncond && !in->cond)
		return -WFP_E_NULL_POINTER;
	if (in->ncond > WFP_MAX_CONDITIONS)
		return -WFP_E_OUT_OF_BOUNDS;
	for (uint32_t i = 0; i < in->ncond; i++) {
		int ret = wfp_cond_check(in->layer, &in->cond[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The validation order (first failing check wins):
 *  1 display name   2 flags   3 layer   4 duplicate key   5 provider
 *  6 sublayer   7 weight   8 action/callout   9 conditions   10 lifetimes
 */
static int filter_validate(struct wfp_session *s, const struct wfp_filter *in,
			   struct provider_obj **prov, struct sublayer_obj **sl,
			   struct callout_obj **co)
{
	const struct wfp_guid *slkey = &in->sublayer_key;
	enum obj_life life = wfp_life_of(s, in->flags & WFP_FILTER_F_PERSISTENT);
	int ret;

	if (!in->display.name)
		return -WFP_E_NULL_DISPLAY_NAME;
	if ((ret = check_flags(in)))
		return ret;
	if (in->flags & WFP_FILTER_F_HAS_PROVIDER_CONTEXT)
		return -WFP_E_PROVIDER_CONTEXT_NOT_FOUND;
	if (in->layer >= WFP_LAYER_MAX || (wfp_layer_flags(in->layer) & WFP_LAYER_F_NO_FIELDS))
		return -WFP_E_LAYER_NOT_FOUND;
	if (!wfp_guid_is_zero(&in->key) && wfp_filter_find_key(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	*prov = NULL;
	if (!wfp_guid_is_zero(&in->provider_key) &&
	    !(*prov = wfp_provider_find(s->e, &in->provider_key)))
		return -WFP_E_PROVIDER_NOT_FOUND;
	if (wfp_guid_is_zero(slkey))
		slkey = &wfp_builtin_sublayer_by_name("UNIVERSAL")->key;
	if (!(*sl = wfp_sublayer_find(s->e, slkey)))
		return -WFP_E_SUBLAYER_NOT_FOUND;
	if ((ret = check_weight(&in->weight)))
		return ret;
	if ((ret = check_action(s, in, co)))
		return ret;
	if ((ret = check_conds(in)))
		return ret;
	if (*prov && (ret = wfp_hdr_may_link(life, s, &(*prov)->h)))
		return ret;
	if ((ret = wfp_hdr_may_link(life, s, &(*sl)->h)))
		return ret;
	if (*co && (ret = wfp_hdr_may_link(life, s, &(*co)->h)))
		return ret;
	return 0;
}

/* pre: f->cond holds the normalised copies (value.v.type filled in). */
static uint64_t effective_weight(const struct filter_obj *f)
{
	uint64_t autow;

	if (f->weight.type == WFP_UINT64)
		return f->weight.u64;
	autow = wfp_auto_weight(f->layer, f->cond, f->ncond);
	if (f->weight.type == WFP_UINT8)
		return (uint64_t)f->weight.u8 << 60 | autow;
	return autow;
}

static int filter_new(struct wfp_session *s, const struct wfp_filter *in,
		      struct filter_obj **out)
{
	struct provider_obj *prov;
	struct sublayer_obj *sl;
	struct callout_obj *co;
	struct filter_obj *f;
	int ret;

	ret = filter_validate(s, in, &prov, &sl, &co);
	if (ret)
		return ret;
	f = wfp_calloc(1, sizeof(*f));
	if (!f)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&f->h, OBJ_FILTER, s, &in->key, &in->display, in->flags,
			   wfp_life_of(s, in->flags & WFP_FILTER_F_PERSISTENT));
	if (ret)
		goto out_destroy;
	ret = -WFP_E_NOMEM;
	if (in->ncond && !(f->cond = conds_dup(in->cond, in->ncond)))
		goto out_destroy;
	f->ncond = in->ncond;
	f->layer = in->layer;
	f->provider = prov;
	f->sublayer = sl;
	f->callout = co;
	f->weight = in->weight;
	f->eff_weight = effective_weight(f);
	f->action = in->action;
	f->raw_context = in->raw_context;
	*out = f;
	return 0;

out_destroy:
	wfp_filter_destroy(&f->h);
	return ret;
}

static int notify(const struct filter_obj *f, enum wfp_notify_type type)
{
	const struct callout_reg *r = f->callout ? f->callout->reg : NULL;

	if (!r || !r->registered || !r->ops.notify)
		return 0;
	return r->ops.notify(r->ctx, type, f->id) ? -WFP_E_CALLOUT_NOTIFICATION_FAILED : 0;
}

static int filter_insert(struct wfp_session *s, struct txn *t, struct filter_obj *f)
{
	struct wfp_engine *e = s->e;
	int ret;

	if (e->fidx.count + 1 > e->fidx.nbuckets && (ret = findex_grow(&e->fidx)))
		return ret;
	f->id = e->next_filter_id;
	ret = wfp_txn_log(t, true, &f->h);
	if (ret)
		return ret;
	ret = notify(f, WFP_NOTIFY_ADD_FILTER);
	if (ret) {
		t->nlog--; /* drop our own log entry: nothing was linked */
		return ret;
	}
	e->next_filter_id++;
	wfp_filter_relink(e, &f->h);
	return 0;
}

WFP_API int wfp_filter_add(struct wfp_session *s, const struct wfp_filter *in, uint64_t *id)
{
	struct filter_obj *f = NULL;
	struct txn *t;
	int ret;

	if (!in)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	ret = filter_new(s, in, &f);
	if (ret == 0) {
		ret = filter_insert(s, t, f);
		if (ret)
			wfp_filter_destroy(&f->h);
		else if (id)
			*id = f->id;
	}
	return wfp_txn_leave(s, t, ret);
}

static int filter_delete(struct wfp_session *s, struct filter_obj *f)
{
	struct txn *t;
	int ret;

	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	if (!f)
		ret = -WFP_E_FILTER_NOT_FOUND;
	else
		ret = wfp_hdr_may_delete(s, &f->h);
	if (ret == 0 && (ret = wfp_txn_log(t, false, &f->h)) == 0) {
		notify(f, WFP_NOTIFY_DELETE_FILTER);
		wfp_filter_unlink(s->e, &f->h);
	}
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_filter_delete_by_id(struct wfp_session *s, uint64_t id)
{
	if (!s)
		return -WFP_E_NULL_POINTER;
	return filter_delete(s, wfp_filter_find_id(s->e, id));
}

WFP_API int wfp_filter_delete_by_key(struct wfp_session *s, const struct wfp_guid *key)
{
	if (!s || !key)
		return -WFP_E_NULL_POINTER;
	return filter_delete(s, wfp_filter_find_key(s->e, key));
}

/* ---- get / enum ---- */

WFP_API void wfp_filter_free(struct wfp_filter *f)
{
	if (!f)
		return;
	wfp_display_free(&f->display);
	conds_free((struct wfp_filter_cond *)f->cond, f->ncond);
	wfp_free(f);
}

static struct wfp_filter *filter_copy(const struct filter_obj *f)
{
	struct wfp_filter *o = wfp_calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->key = f->h.key;
	o->flags = f->h.flags;
	o->layer = f->layer;
	o->sublayer_key = f->sublayer->h.key;
	if (f->provider)
		o->provider_key = f->provider->h.key;
	o->weight = f->weight;
	o->action = f->action;
	o->raw_context = f->raw_context;
	o->filter_id = f->id;
	o->effective_weight = f->eff_weight;
	o->cond = f->ncond ? conds_dup(f->cond, f->ncond) : NULL;
	o->ncond = o->cond ? f->ncond : 0;
	if (wfp_display_dup(&o->display, &f->h) || (f->ncond && !o->cond)) {
		wfp_filter_free(o);
		return NULL;
	}
	return o;
}

static void *filter_copy_hdr(const struct obj_hdr *h)
{
	return filter_copy((const struct filter_obj *)h);
}

WFP_API int wfp_filter_get_by_id(struct wfp_session *s, uint64_t id, struct wfp_filter **out)
{
	struct filter_obj *f;
	struct txn *t;
	int ret;

	if (!out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	f = wfp_filter_find_id(s->e, id);
	if (!f)
		return wfp_txn_leave(s, t, -WFP_E_FILTER_NOT_FOUND);
	*out = filter_copy(f);
	return wfp_txn_leave(s, t, *out ? 0 : -WFP_E_NOMEM);
}

WFP_API int wfp_filter_get_by_key(struct wfp_session *s, const struct wfp_guid *key,
				  struct wfp_filter **out)
{
	return wfp_obj_get(s, OBJ_FILTER, key, filter_copy_hdr, (void **)out);
}

static bool enum_wants(const struct wfp_filter_enum_template *t, const struct filter_obj *f)
{
	if (!t)
		return true;
	if ((t->flags & WFP_ENUM_F_LAYER) && f->layer != t->layer)
		return false;
	if ((t->flags & WFP_ENUM_F_PROVIDER) &&
	    (!f->provider || !wfp_guid_eq(&f->provider->h.key, &t->provider_key)))
		return false;
	if ((t->flags & WFP_ENUM_F_SUBLAYER) && !wfp_guid_eq(&f->sublayer->h.key, &t->sublayer_key))
		return false;
	return true;
}

/* Arbitration order: layer, sublayer weight desc, weight desc, id asc. */
static int by_arbitration_order(const void *a, const void *b)
{
	const struct wfp_filter *x = *(struct wfp_filter *const *)a;
	const struct wfp_filter *y = *(struct wfp_filter *const *)b;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	/* sublayer weight is not in struct wfp_filter: sorted by caller */
	if (x->effective_weight != y->effective_weight)
		return x->effective_weight > y->effective_weight ? -1 : 1;
	return x->filter_id < y->filter_id ? -1 : x->filter_id > y->filter_id;
}

struct enum_item {
	uint16_t slw;
	struct wfp_filter *f;
};

static int by_item(const void *a, const void *b)
{
	const struct enum_item *x = a, *y = b;

	if (x->f->layer == y->f->layer && x->slw != y->slw)
		return x->slw > y->slw ? -1 : 1;
	return by_arbitration_order(&x->f, &y->f);
}

static int enum_collect(struct wfp_engine *e, const struct wfp_filter_enum_template *t,
			struct enum_item *it, size_t *n)
{
	size_t k = 0;

	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		for (struct filter_obj *f = e->layer_head[l]; f; f = f->layer_next) {
			if (!enum_wants(t, f))
				continue;
			it[k].slw = f->sublayer->weight;
			it[k].f = filter_copy(f);
			if (!it[k].f) {
				*n = k;
				return -WFP_E_NOMEM;
			}
			k++;
		}
	}
	*n = k;
	return 0;
}

WFP_API int wfp_filter_enum(struct wfp_session *s, const struct wfp_filter_enum_template *tmpl,
			    struct wfp_filter ***out, size_t *n)
{
	struct enum_item *it = NULL;
	struct wfp_filter **a = NULL;
	size_t cnt = 0;
	struct txn *t;
	int ret;

	if (!out || !n)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	*n = 0;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	it = wfp_calloc(s->e->fidx.count, sizeof(*it));
	a = wfp_calloc(s->e->fidx.count, sizeof(*a));
	ret = -WFP_E_NOMEM;
	if (!it || !a)
		goto out_free;
	ret = enum_collect(s->e, tmpl, it, &cnt);
	if (ret)
		goto out_free;
	qsort(it, cnt, sizeof(*it), by_item);
	for (size_t i = 0; i < cnt; i++)
		a[i] = it[i].f;
	wfp_free(it);
	*out = a;
	*n = cnt;
	return wfp_txn_leave(s, t, 0);

out_free:
	for (size_t i = 0; it && i < cnt; i++)
		wfp_filter_free(it[i].f);
	wfp_free(it);
	wfp_free(a);
	return wfp_txn_leave(s, t, ret);
}

WFP_API void wfp_filter_array_free(struct wfp_filter **a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		wfp_filter_free(a[i]);
	wfp_free(a);
}
