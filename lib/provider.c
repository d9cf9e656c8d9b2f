/* SPDX-License-Identifier: MIT */
/*
 * provider.c - provider objects (FWPM_PROVIDER0, spec §6.4-6.5).  A
 * provider only groups other objects; it cannot be deleted while a
 * sublayer, callout or filter references it.
 */
#include <string.h>

#include "internal.h"

struct provider_obj *wfp_provider_find(const struct wfp_engine *e, const struct wfp_guid *k)
{
	for (struct provider_obj *p = e->providers; p; p = p->next)
		if (wfp_guid_eq(&p->h.key, k))
			return p;
	return NULL;
}

void wfp_provider_unlink(struct wfp_engine *e, struct provider_obj *p)
{
	for (struct provider_obj **pp = &e->providers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->h.live = false;
}

void wfp_provider_relink(struct wfp_engine *e, struct provider_obj *p)
{
	p->next = e->providers;
	e->providers = p;
	p->h.live = true;
}

void wfp_provider_destroy(struct provider_obj *p)
{
	if (!p)
		return;
	wfp_hdr_fini(&p->h);
	wfp_free(p->service_name);
	wfp_free(p);
}

static int provider_new(struct wfp_session *s, const struct wfp_provider *in,
			struct provider_obj **out)
{
	uint32_t known = WFP_PROVIDER_F_PERSISTENT | WFP_PROVIDER_F_DISABLED;
	enum obj_life life;
	struct provider_obj *p;
	int ret;

	if (in->flags & ~known || in->flags & WFP_PROVIDER_F_DISABLED)
		return -WFP_E_INVALID_FLAGS;
	if (!wfp_guid_is_zero(&in->key) && wfp_provider_find(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	life = in->flags & WFP_PROVIDER_F_PERSISTENT ? LIFE_PERSISTENT :
	       s->flags & WFP_SESSION_F_DYNAMIC ? LIFE_DYNAMIC : LIFE_STATIC;
	p = wfp_calloc(1, sizeof(*p));
	if (!p)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&p->h, s, &in->key, &in->display, in->flags, life);
	if (ret)
		goto out_free;
	ret = -WFP_E_NOMEM;
	if (in->service_name && !(p->service_name = wfp_strdup(in->service_name)))
		goto out_free;
	*out = p;
	return 0;

out_free:
	wfp_provider_destroy(p);
	return ret;
}

WFP_API int wfp_provider_add(struct wfp_session *s, const struct wfp_provider *in)
{
	struct provider_obj *p = NULL;
	struct txn *t;
	int ret;

	if (!in)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	ret = provider_new(s, in, &p);
	if (ret == 0) {
		ret = wfp_txn_log(t, UNDO_ADD_PROVIDER, p);
		if (ret)
			wfp_provider_destroy(p);
		else
			wfp_provider_relink(s->e, p);
	}
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_provider_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	struct provider_obj *p;
	struct txn *t;
	int ret;

	if (!key)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	p = wfp_provider_find(s->e, key);
	if (!p)
		ret = -WFP_E_PROVIDER_NOT_FOUND;
	else if ((ret = wfp_hdr_may_delete(s, &p->h)) == 0 && p->h.refs)
		ret = -WFP_E_IN_USE;
	if (ret == 0 && (ret = wfp_txn_log(t, UNDO_DEL_PROVIDER, p)) == 0)
		wfp_provider_unlink(s->e, p);
	return wfp_txn_leave(s, t, ret);
}

WFP_API int wfp_provider_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_provider **out)
{
	struct provider_obj *p;
	struct wfp_provider *o;
	struct txn *t;
	int ret;

	if (!key || !out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	p = wfp_provider_find(s->e, key);
	if (!p)
		return wfp_txn_leave(s, t, -WFP_E_PROVIDER_NOT_FOUND);
	o = wfp_calloc(1, sizeof(*o));
	if (!o)
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	o->key = p->h.key;
	o->flags = p->h.flags;
	o->display.name = wfp_strdup(p->h.name);
	o->display.description = p->h.desc ? wfp_strdup(p->h.desc) : NULL;
	o->service_name = p->service_name ? wfp_strdup(p->service_name) : NULL;
	if (!o->display.name || (p->h.desc && !o->display.description) ||
	    (p->service_name && !o->service_name)) {
		wfp_provider_free(o);
		return wfp_txn_leave(s, t, -WFP_E_NOMEM);
	}
	*out = o;
	return wfp_txn_leave(s, t, 0);
}

WFP_API void wfp_provider_free(struct wfp_provider *p)
{
	if (!p)
		return;
	wfp_free((char *)p->display.name);
	wfp_free((char *)p->display.description);
	wfp_free((char *)p->service_name);
	wfp_free(p);
}
