/* SPDX-License-Identifier: MIT */
/*
 * provider.c - provider objects (FWPM_PROVIDER0, spec §6.4-6.5).  A
 * provider only groups other objects; it cannot be deleted while a
 * sublayer, callout or filter references it.
 */
#include "internal.h"

struct provider_obj *wfp_provider_find(const struct wfp_engine *e, const struct wfp_guid *k)
{
	return (struct provider_obj *)wfp_objlist_find(e->providers, k);
}

void wfp_provider_unlink(struct wfp_engine *e, struct obj_hdr *h)
{
	wfp_objlist_remove(&e->providers, h);
}

void wfp_provider_relink(struct wfp_engine *e, struct obj_hdr *h)
{
	wfp_objlist_push(&e->providers, h);
}

void wfp_provider_destroy(struct obj_hdr *h)
{
	struct provider_obj *p = (struct provider_obj *)h;

	if (!p)
		return;
	wfp_hdr_fini(&p->h);
	wfp_free(p->service_name);
	wfp_free(p);
}

static int provider_new(struct wfp_session *s, const void *arg, struct obj_hdr **out)
{
	const struct wfp_provider *in = arg;
	uint32_t known = WFP_PROVIDER_F_PERSISTENT | WFP_PROVIDER_F_DISABLED;
	struct provider_obj *p;
	int ret;

	/* DISABLED is output only */
	if (in->flags & ~known || in->flags & WFP_PROVIDER_F_DISABLED)
		return -WFP_E_INVALID_FLAGS;
	if (!wfp_guid_is_zero(&in->key) && wfp_provider_find(s->e, &in->key))
		return -WFP_E_ALREADY_EXISTS;
	p = wfp_calloc(1, sizeof(*p));
	if (!p)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&p->h, OBJ_PROVIDER, s, &in->key, &in->display, in->flags,
			   wfp_life_of(s, in->flags & WFP_PROVIDER_F_PERSISTENT));
	if (ret == 0 && in->service_name && !(p->service_name = wfp_strdup(in->service_name)))
		ret = -WFP_E_NOMEM;
	if (ret) {
		wfp_provider_destroy(&p->h);
		return ret;
	}
	*out = &p->h;
	return 0;
}

WFP_API int wfp_provider_add(struct wfp_session *s, const struct wfp_provider *in)
{
	return wfp_obj_add(s, provider_new, in, NULL);
}

WFP_API int wfp_provider_delete(struct wfp_session *s, const struct wfp_guid *key)
{
	if (!s || !key)
		return -WFP_E_NULL_POINTER;
	return wfp_obj_delete(s, OBJ_PROVIDER, (struct obj_hdr *)wfp_provider_find(s->e, key));
}

static void *provider_copy(const struct obj_hdr *h)
{
	const struct provider_obj *p = (const struct provider_obj *)h;
	struct wfp_provider *o = wfp_calloc(1, sizeof(*o));

	if (!o || wfp_display_dup(&o->display, &p->h) ||
	    (p->service_name && !(o->service_name = wfp_strdup(p->service_name)))) {
		wfp_provider_free(o);
		return NULL;
	}
	o->key = p->h.key;
	o->flags = p->h.flags;
	return o;
}

WFP_API int wfp_provider_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_provider **out)
{
	return wfp_obj_get(s, OBJ_PROVIDER, key, provider_copy, (void **)out);
}

WFP_API void wfp_provider_free(struct wfp_provider *p)
{
	if (!p)
		return;
	wfp_display_free(&p->display);
	wfp_free((char *)p->service_name);
	wfp_free(p);
}
