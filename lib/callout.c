/* SPDX-License-Identifier: MIT */
/*
 * callout.c - callouts: the management object (FWPM_CALLOUT0) and the
 * code behind it (FwpsCalloutRegister), spec §4.3.
 *
 * The two halves are independent, as in WFP: a callout may be added
 * before or after its code is registered.  Registrations are kept for the
 * engine's lifetime in a list keyed by GUID; compiled filters point at
 * the registration, so (un)registering takes effect on the next
 * classification without a commit.  A filter whose callout has no code
 * acts as BLOCK (or PERMIT with PERMIT_IF_CALLOUT_UNREGISTERED).
 */
#include <string.h>

#include "internal.h"

enum { MAX_CALLOUTS = 100000 }; /* spec §6.4 */

struct callout_reg *wfp_callout_reg_get(struct wfp_engine *e, const struct wfp_guid *k)
{
	struct callout_reg *r;

	for (r = e->regs; r; r = r->next)
		if (wfp_guid_eq(&r->key, k))
			return r;
	r = wfp_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = *k;
	r->next = e->regs;
	e->regs = r;
	return r;
}

void wfp_callout_regs_free(struct wfp_engine *e)
{
	while (e->regs) {
		struct callout_reg *r = e->regs;

		e->regs = r->next;
		wfp_free(r);
	}
}

WFP_API int wfp_callout_register(struct wfp_engine *e, const struct wfp_guid *key,
				 const struct wfp_callout_ops *ops, void *ctx)
{
	struct callout_reg *r;

	if (!e || !key || !ops || !ops->classify)
		return -WFP_E_NULL_POINTER;
	if (ops->sz < sizeof(size_t))
		return -WFP_E_INVAL;
	r = wfp_callout_reg_get(e, key);
	if (!r)
		return -WFP_E_NOMEM;
	if (r->registered)
		return -WFP_E_ALREADY_EXISTS;
	memset(&r->ops, 0, sizeof(r->ops));
	memcpy(&r->ops, ops, ops->sz < sizeof(r->ops) ? ops->sz : sizeof(r->ops));
	r->ctx = ctx;
	__atomic_store_n(&r->registered, true, __ATOMIC_RELEASE);
	return 0;
}

WFP_API int wfp_callout_unregister(struct wfp_engine *e, const struct wfp_guid *key)
{
	struct callout_reg *r;

	if (!e || !key)
		return -WFP_E_NULL_POINTER;
	for (r = e->regs; r; r = r->next) {
		if (wfp_guid_eq(&r->key, key) && r->registered) {
			__atomic_store_n(&r->registered, false, __ATOMIC_RELEASE);
			return 0;
		}
	}
	return -WFP_E_CALLOUT_NOT_FOUND;
}

struct callout_obj *wfp_callout_find(const struct wfp_engine *e, const struct wfp_guid *k)
{
	for (struct callout_obj *c = e->callouts; c; c = c->next)
		if (wfp_guid_eq(&c->h.key, k))
			return c;
	return NULL;
}

void wfp_callout_unlink(struct wfp_engine *e, struct callout_obj *c)
{
	for (struct callout_obj **pp = &e->callouts; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->h.live = false;
	if (c->provider)
		c->provider->h.refs--;
}

void wfp_callout_relink(struct wfp_engine *e, struct callout_obj *c)
{
	c->next = e->callouts;
	e->callouts = c;
	c->h.live = true;
	if (c->provider)
		c->provider->h.refs++;
}

void wfp_callout_destroy(struct callout_obj *c)
{
	if (!c)
		return;
	wfp_hdr_fini(&c->h);
	wfp_free(c);
}

static unsigned callout_count(const struct wfp_engine *e)
{
	unsigned n = 0;

	for (const struct callout_obj *c = e->callouts; c; c = c->next)
		n++;
	return n;
}

static int callout_new(struct wfp_session *s, const struct wfp_callout *in,
		       struct callout_obj **out)
{
	uint32_t known = WFP_CALLOUT_F_PERSISTENT | WFP_CALLOUT_F_USES_PROVIDER_CONTEXT;
	struct provider_obj *prov = NULL;
	enum obj_life life;
	struct callout_obj *c;
	int ret;

	if (in->flags & ~known)
		return -WFP_E_INVALID_FLAGS;
	if (in->applicable_layer >= WFP_LAYER_MAX ||
	    wfp_layer_flags(in->applicable_layer) & WFP_LAYER_F_NO_FIELDS)
		return -WFP_E_LAYER_NOT_FOUND;
	if (!wfp_guid_is_zero(&in->key) && wfp_callout_find(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	if (callout_count(s->e) >= MAX_CALLOUTS)
		return -WFP_E_TOO_MANY_CALLOUTS;
	life = in->flags & WFP_CALLOUT_F_PERSISTENT ? LIFE_PERSISTENT :
	       s->flags & WFP_SESSION_F_DYNAMIC ? LIFE_DYNAMIC : LIFE_STATIC;
	if (!wfp_guid_is_zero(&in->provider_key)) {
		prov = wfp_provider_find(s->e, &in->provider_key);
		if (!prov)
			return -WFP_E_PROVIDER_NOT_FOUND;
		ret = wfp_hdr_may_link(life, s, &prov->h);
		if (ret)
			return ret;
	}
	c = wfp_calloc(1, sizeof(*c));
	if (!c)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&c->h, s, &in->key, &in->display, in->flags, life);
	if (ret == 0) {
		c->reg = wfp_callout_reg_get(s->e, &c->h.key);
		if (!c->reg)
			ret = -WFP_E_NOMEM;
	}
	if (ret) {
		wfp_callout_destroy(c);
		return ret;
	}
	c->provider = prov;
	c->layer = in->applicable_layer;
	c->id = s->e->next_callout_id++;
	*out = c;
	return 0;
}

WFP_API int wfp_callout_add(struct wfp_session *s, const struct wfp_callout *in, uint32_t *id)
{
	struct callout_obj *c = NULL;
	struct txn *t;
	int ret;

	if (!in)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	ret = callout_new(s, in, &c);
	if (ret == 0) {
		ret = wfp_txn_log(t, UNDO_ADD_CALLOUT, c);
		if (ret) {
			wfp_callout_destroy(c);
		} else {
			wfp_callout_relink(s->e, c);
			if (id)
				*id = c->id;
		}
	}
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_callout_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	struct callout_obj *c;
	struct txn *t;
	int ret;

	if (!key)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	c = wfp_callout_find(s->e, key);
	if (!c)
		ret = -WFP_E_CALLOUT_NOT_FOUND;
	else if ((ret = wfp_hdr_may_delete(s, &c->h)) == 0 && c->h.refs)
		ret = -WFP_E_IN_USE;
	if (ret == 0 && (ret = wfp_txn_log(t, UNDO_DEL_CALLOUT, c)) == 0)
		wfp_callout_unlink(s->e, c);
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_callout_get(struct wfp_session *s, const struct wfp_guid *key,
			    struct wfp_callout **out)
{
	struct callout_obj *c;
	struct wfp_callout *o;
	struct txn *t;
	int ret;

	if (!key || !out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	c = wfp_callout_find(s->e, key);
	if (!c)
		return wfp_txn_leave(s, t, -WFP_E_CALLOUT_NOT_FOUND);
	o = wfp_calloc(1, sizeof(*o));
	if (!o)
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	o->key = c->h.key;
	o->flags = c->h.flags | (c->reg->registered ? WFP_CALLOUT_F_REGISTERED : 0);
	o->applicable_layer = c->layer;
	o->callout_id = c->id;
	if (c->provider)
		o->provider_key = c->provider->h.key;
	o->display.name = wfp_strdup(c->h.name);
	o->display.description = c->h.desc ? wfp_strdup(c->h.desc) : NULL;
	if (!o->display.name || (c->h.desc && !o->display.description)) {
		wfp_callout_free(o);
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	}
	*out = o;
	return wfp_txn_leave(s, t, 0);
}

WFP_API void wfp_callout_free(struct wfp_callout *c)
{
	if (!c)
		return;
	wfp_free((char *)c->display.name);
	wfp_free((char *)c->display.description);
	wfp_free(c);
}
