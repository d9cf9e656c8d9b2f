/* SPDX-License-Identifier: MIT */
/*
 * object.c - what every management object has in common: the per-kind
 * operations table that transactions use to undo and reap, the intrusive
 * lists of providers, sublayers and callouts, and the add/delete
 * skeletons every Fwpm*Add0/Delete*0 equivalent follows.
 */
#include "internal.h"

const struct obj_ops wfp_obj_ops[OBJ_KIND_MAX] = {
	[OBJ_PROVIDER] = { -WFP_E_PROVIDER_NOT_FOUND, WFP_OBJECT_PROVIDER,
			   wfp_provider_unlink, wfp_provider_relink, wfp_provider_destroy },
	[OBJ_SUBLAYER] = { -WFP_E_SUBLAYER_NOT_FOUND, WFP_OBJECT_SUBLAYER,
			   wfp_sublayer_unlink, wfp_sublayer_relink, wfp_sublayer_destroy },
	[OBJ_CALLOUT] = { -WFP_E_CALLOUT_NOT_FOUND, WFP_OBJECT_CALLOUT,
			  wfp_callout_unlink, wfp_callout_relink, wfp_callout_destroy },
	[OBJ_FILTER] = { -WFP_E_FILTER_NOT_FOUND, WFP_OBJECT_FILTER,
			 wfp_filter_unlink, wfp_filter_relink, wfp_filter_destroy },
};

struct obj_hdr *wfp_objlist_find(struct obj_hdr *head, const struct wfp_guid *k)
{
	for (; head; head = head->next)
		if (wfp_guid_eq(&head->key, k))
			return head;
	return NULL;
}

void wfp_objlist_remove(struct obj_hdr **head, struct obj_hdr *h)
{
	for (; *head; head = &(*head)->next) {
		if (*head == h) {
			*head = h->next;
			break;
		}
	}
	h->next = NULL;
	h->live = false;
}

void wfp_objlist_push(struct obj_hdr **head, struct obj_hdr *h)
{
	h->next = *head;
	*head = h;
	h->live = true;
}

int wfp_obj_insert(struct wfp_engine *e, struct txn *t, struct obj_hdr *h)
{
	const struct obj_ops *ops = &wfp_obj_ops[h->kind];
	int ret = wfp_txn_log(t, true, h);

	if (ret) {
		ops->destroy(h);
		return ret;
	}
	ops->relink(e, h);
	return 0;
}

int wfp_obj_delete(struct wfp_session *s, enum obj_kind kind, struct obj_hdr *h)
{
	const struct obj_ops *ops = &wfp_obj_ops[kind];
	struct txn *t;
	int ret;

	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	if (!h)
		ret = ops->not_found;
	else if ((ret = wfp_hdr_may_delete(s, h)) == 0 && h->refs)
		ret = -WFP_E_IN_USE;
	if (ret == 0 && (ret = wfp_txn_log(t, false, h)) == 0)
		ops->unlink(s->e, h);
	return wfp_txn_leave(s, t, ret);
}

int wfp_obj_add(struct wfp_session *s, obj_new_fn build, const void *in,
		struct obj_hdr **out)
{
	struct obj_hdr *h = NULL;
	struct txn *t;
	int ret;

	if (!in)
		return -WFP_E_NULL_POINTER;
	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	ret = build(s, in, &h);
	if (ret == 0)
		ret = wfp_obj_insert(s->e, t, h);
	if (ret == 0 && out)
		*out = h;
	return wfp_txn_leave(s, t, ret);
}

static struct obj_hdr *find(const struct wfp_engine *e, enum obj_kind kind,
			    const struct wfp_guid *key)
{
	switch (kind) {
	case OBJ_PROVIDER:
		return wfp_objlist_find(e->providers, key);
	case OBJ_SUBLAYER:
		return wfp_objlist_find(e->sublayers, key);
	case OBJ_CALLOUT:
		return wfp_objlist_find(e->callouts, key);
	default:
		return (struct obj_hdr *)wfp_filter_find_key(e, key);
	}
}

int wfp_obj_get(struct wfp_session *s, enum obj_kind kind, const struct wfp_guid *key,
		obj_copy_fn copy, void **out)
{
	struct obj_hdr *h;
	struct txn *t;
	int ret;

	if (!key || !out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	ret = wfp_txn_enter(s, false, &t);
	if (ret)
		return ret;
	h = find(s->e, kind, key);
	if (!h)
		return wfp_txn_leave(s, t, wfp_obj_ops[kind].not_found);
	*out = copy(h);
	return wfp_txn_leave(s, t, *out ? 0 : -WFP_E_NOMEM);
}

int wfp_obj_provider(struct wfp_session *s, const struct wfp_guid *key, enum obj_life life,
		     struct provider_obj **out)
{
	*out = NULL;
	if (wfp_guid_is_zero(key))
		return 0;
	*out = wfp_provider_find(s->e, key);
	if (!*out)
		return -WFP_E_PROVIDER_NOT_FOUND;
	return wfp_hdr_may_link(life, s, &(*out)->h);
}

int wfp_display_dup(struct wfp_display *out, const struct obj_hdr *h)
{
	out->name = wfp_strdup(h->name);
	out->description = h->desc ? wfp_strdup(h->desc) : NULL;
	if (!out->name || (h->desc && !out->description)) {
		wfp_display_free(out);
		return -WFP_E_NOMEM;
	}
	return 0;
}

void wfp_display_free(struct wfp_display *d)
{
	wfp_free((char *)d->name);
	wfp_free((char *)d->description);
	d->name = d->description = NULL;
}
