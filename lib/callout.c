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
	const struct callout_obj *c;
	struct callout_reg *r;

	if (!e || !key)
		return -WFP_E_NULL_POINTER;
	c = wfp_callout_find(e, key);
	if (c && c->h.life == LIFE_BUILTIN)
		return -WFP_E_BUILTIN_OBJECT; /* built-in code stays registered */
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
	return (struct callout_obj *)wfp_objlist_find(e->callouts, k);
}

void wfp_callout_unlink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct callout_obj *c = (struct callout_obj *)h;

	wfp_objlist_remove(&e->callouts, h);
	if (c->provider)
		c->provider->h.refs--;
}

void wfp_callout_relink(struct wfp_engine *e, struct obj_hdr *h)
{
	struct callout_obj *c = (struct callout_obj *)h;

	wfp_objlist_push(&e->callouts, h);
	if (c->provider)
		c->provider->h.refs++;
}

void wfp_callout_destroy(struct obj_hdr *h)
{
	if (!h)
		return;
	wfp_hdr_fini(h);
	wfp_free(h);
}

static unsigned callout_count(const struct wfp_engine *e)
{
	unsigned n = 0;

	for (const struct obj_hdr *h = e->callouts; h; h = h->next)
		n++;
	return n;
}

static int callout_new(struct wfp_session *s, const void *arg, struct obj_hdr **out)
{
	const struct wfp_callout *in = arg;
	uint32_t known = WFP_CALLOUT_F_PERSISTENT | WFP_CALLOUT_F_USES_PROVIDER_CONTEXT;
	enum obj_life life = wfp_life_of(s, in->flags & WFP_CALLOUT_F_PERSISTENT);
	struct provider_obj *prov;
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
	ret = wfp_obj_provider(s, &in->provider_key, life, &prov);
	if (ret)
		return ret;
	c = wfp_calloc(1, sizeof(*c));
	if (!c)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&c->h, OBJ_CALLOUT, s, &in->key, &in->display, in->flags, life);
	if (ret == 0 && !(c->reg = wfp_callout_reg_get(s->e, &c->h.key)))
		ret = -WFP_E_NOMEM;
	if (ret) {
		wfp_callout_destroy(&c->h);
		return ret;
	}
	c->provider = prov;
	c->layer = in->applicable_layer;
	c->id = s->e->next_callout_id++;
	*out = &c->h;
	return 0;
}

WFP_API int wfp_callout_add(struct wfp_session *s, const struct wfp_callout *in, uint32_t *id)
{
	struct obj_hdr *h;
	int ret = wfp_obj_add(s, callout_new, in, &h);

	if (ret == 0 && id)
		*id = ((struct callout_obj *)h)->id;
	return ret;
}

WFP_API int wfp_callout_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	if (!s || !key)
		return -WFP_E_NULL_POINTER;
	return wfp_obj_delete(s, OBJ_CALLOUT, (struct obj_hdr *)wfp_callout_find(s->e, key));
}

static void *callout_copy(const struct obj_hdr *h)
{
	const struct callout_obj *c = (const struct callout_obj *)h;
	struct wfp_callout *o = wfp_calloc(1, sizeof(*o));

	if (!o || wfp_display_dup(&o->display, &c->h)) {
		wfp_free(o);
		return NULL;
	}
	o->key = c->h.key;
	o->flags = c->h.flags | (c->reg->registered ? WFP_CALLOUT_F_REGISTERED : 0);
	o->applicable_layer = c->layer;
	o->callout_id = c->id;
	if (c->provider)
		o->provider_key = c->provider->h.key;
	return o;
}

WFP_API int wfp_callout_get(struct wfp_session *s, const struct wfp_guid *key,
			    struct wfp_callout **out)
{
	return wfp_obj_get(s, OBJ_CALLOUT, key, callout_copy, (void **)out);
}

WFP_API void wfp_callout_free(struct wfp_callout *c)
{
	if (!c)
		return;
	wfp_display_free(&c->display);
	wfp_free(c);
}

/* A flow a callout attached a context to is deleted (stack model). */
void wfp_callout_flow_deleted(struct wfp_engine *e, const struct wfp_guid *key,
			      uint64_t flow_handle, uint64_t value)
{
	const struct callout_reg *r;

	for (r = e->regs; r; r = r->next) {
		if (!wfp_guid_eq(&r->key, key))
			continue;
		if (r->registered && r->ops.flow_delete)
			r->ops.flow_delete(r->ctx, flow_handle, value);
		return;
	}
}
