/* SPDX-License-Identifier: MIT */
/*
 * netevent.c - net events, engine options, counters and change
 * notifications (spec §6.7, §7.1).
 *
 * The net event log is a ring of fixed-size records, allocated on the
 * first event (WFP's log is "about 100 to 150 events" in 128 KB; ours
 * defaults to 1024 and is an option).  The newest overwrite the oldest;
 * sequence numbers let a reader ask for "everything after what I saw".
 * Collection rules follow WFP: drops are always logged while collection
 * is on, allows only with the CLASSIFY_ALLOW keyword.
 */
#include <string.h>

#include "internal.h"

enum { RING_DEFAULT = 1024, RING_MAX = 1 << 20 };

void wfp_netevent_init(struct wfp_engine *e)
{
	e->ring.collect = true;
	e->ring.want_cap = RING_DEFAULT;
	e->ring.next_seq = 1;
	e->next_sub_id = 1;
}

void wfp_netevent_fini(struct wfp_engine *e)
{
	wfp_free(e->ring.ev);
	e->ring.ev = NULL;
	while (e->ev_subs) {
		struct ev_sub *s = e->ev_subs;

		e->ev_subs = s->next;
		wfp_free(s);
	}
	while (e->change_subs) {
		struct change_sub *s = e->change_subs;

		e->change_subs = s->next;
		wfp_free(s);
	}
}

WFP_API int wfp_engine_set_option(struct wfp_engine *e, enum wfp_engine_option opt,
				  uint64_t value)
{
	if (!e)
		return -WFP_E_NULL_POINTER;
	switch (opt) {
	case WFP_OPTION_COLLECT_NET_EVENTS:
		if (value > 1)
			return -WFP_E_OUT_OF_BOUNDS;
		e->ring.collect = value;
		return 0;
	case WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS:
		if (value > UINT32_MAX)
			return -WFP_E_OUT_OF_BOUNDS;
		e->ring.keywords = (uint32_t)value;
		return 0;
	case WFP_OPTION_NET_EVENT_RING_SIZE:
		if (value < 1 || value > RING_MAX)
			return -WFP_E_OUT_OF_BOUNDS;
		/* a new size starts a new, empty log */
		wfp_free(e->ring.ev);
		e->ring.ev = NULL;
		e->ring.cap = e->ring.head = e->ring.count = 0;
		e->ring.want_cap = (size_t)value;
		return 0;
	}
	return -WFP_E_INVALID_ENUMERATOR;
}

WFP_API int wfp_engine_get_option(const struct wfp_engine *e, enum wfp_engine_option opt,
				  uint64_t *value)
{
	if (!e || !value)
		return -WFP_E_NULL_POINTER;
	switch (opt) {
	case WFP_OPTION_COLLECT_NET_EVENTS:
		*value = e->ring.collect;
		return 0;
	case WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS:
		*value = e->ring.keywords;
		return 0;
	case WFP_OPTION_NET_EVENT_RING_SIZE:
		*value = e->ring.want_cap;
		return 0;
	}
	return -WFP_E_INVALID_ENUMERATOR;
}

static bool wanted(const struct ev_ring *r, const struct wfp_netevent *ev)
{
	if (!r->collect)
		return false;
	if (ev->type == WFP_NET_EVENT_CLASSIFY_ALLOW)
		return r->keywords & WFP_NET_EVENT_KEYWORD_CLASSIFY_ALLOW;
	return true;
}

WFP_API int wfp_netevent_report(struct wfp_engine *e, const struct wfp_netevent *ev)
{
	struct ev_ring *r;
	struct wfp_netevent *slot;

	if (!e || !ev)
		return -WFP_E_NULL_POINTER;
	r = &e->ring;
	if (!wanted(r, ev))
		return 0;
	if (!r->ev) {
		r->ev = wfp_calloc(r->want_cap, sizeof(*r->ev));
		if (!r->ev)
			return -WFP_E_NOMEM;
		r->cap = r->want_cap;
	}
	slot = &r->ev[r->head];
	*slot = *ev;
	slot->app_id[sizeof(slot->app_id) - 1] = '\0';
	slot->seq = r->next_seq++;
	r->head = (r->head + 1) % r->cap;
	if (r->count < r->cap)
		r->count++;
	for (struct ev_sub *s = e->ev_subs; s; s = s->next)
		s->fn(s->ctx, slot);
	return 1;
}

WFP_API int wfp_netevent_enum(const struct wfp_engine *e, uint64_t since,
			      struct wfp_netevent **out, size_t *n)
{
	const struct ev_ring *r;
	size_t oldest, k = 0;

	if (!e || !out || !n)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	*n = 0;
	r = &e->ring;
	if (!r->collect)
		return -WFP_E_NET_EVENTS_DISABLED;
	*out = wfp_calloc(r->count ? r->count : 1, sizeof(**out));
	if (!*out)
		return -WFP_E_NOMEM;
	oldest = r->cap ? (r->head + r->cap - r->count) % r->cap : 0;
	for (size_t i = 0; i < r->count; i++) {
		const struct wfp_netevent *ev = &r->ev[(oldest + i) % r->cap];

		if (ev->seq > since)
			(*out)[k++] = *ev;
	}
	*n = k;
	return 0;
}

WFP_API int wfp_netevent_subscribe(struct wfp_engine *e, wfp_netevent_fn fn, void *ctx)
{
	struct ev_sub *s;

	if (!e || !fn)
		return -WFP_E_NULL_POINTER;
	s = wfp_calloc(1, sizeof(*s));
	if (!s)
		return -WFP_E_NOMEM;
	s->id = e->next_sub_id++;
	s->fn = fn;
	s->ctx = ctx;
	s->next = e->ev_subs;
	e->ev_subs = s;
	return s->id;
}

WFP_API int wfp_netevent_unsubscribe(struct wfp_engine *e, int id)
{
	if (!e)
		return -WFP_E_NULL_POINTER;
	for (struct ev_sub **pp = &e->ev_subs; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct ev_sub *s = *pp;

			*pp = s->next;
			wfp_free(s);
			return 0;
		}
	}
	return -WFP_E_NOT_FOUND;
}

WFP_API void wfp_free_memory(void *p)
{
	wfp_free(p);
}

/* ---- counters ---- */

WFP_API void wfp_counters_account(struct wfp_engine *e, unsigned layer,
				  const struct wfp_verdict *v, uint64_t bytes)
{
	struct wfp_layer_stats *st;
	struct filter_obj *f;

	if (!e || !v || layer >= WFP_LAYER_MAX)
		return;
	st = &e->stats[layer];
	if (v->flags & WFP_CLASSIFY_OUT_F_VETO)
		__atomic_add_fetch(&st->veto, 1, __ATOMIC_RELAXED);
	if (v->action == WFP_ACTION_BLOCK)
		__atomic_add_fetch(&st->block, 1, __ATOMIC_RELAXED);
	else if (v->action == WFP_ACTION_PERMIT)
		__atomic_add_fetch(&st->permit, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&st->none, 1, __ATOMIC_RELAXED);
	if (!v->filter_id || !(f = wfp_filter_find_id(e, v->filter_id)))
		return;
	__atomic_add_fetch(&f->hits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->bytes, bytes, __ATOMIC_RELAXED);
}

WFP_API int wfp_layer_stats_get(const struct wfp_engine *e, unsigned layer,
				struct wfp_layer_stats *out)
{
	if (!e || !out)
		return -WFP_E_NULL_POINTER;
	if (layer >= WFP_LAYER_MAX)
		return -WFP_E_LAYER_NOT_FOUND;
	*out = e->stats[layer];
	return 0;
}

WFP_API int wfp_filter_counters_get(const struct wfp_engine *e, uint64_t filter_id,
				    uint64_t *hits, uint64_t *bytes)
{
	const struct filter_obj *f;

	if (!e || !hits || !bytes)
		return -WFP_E_NULL_POINTER;
	f = wfp_filter_find_id(e, filter_id);
	if (!f)
		return -WFP_E_FILTER_NOT_FOUND;
	*hits = __atomic_load_n(&f->hits, __ATOMIC_RELAXED);
	*bytes = __atomic_load_n(&f->bytes, __ATOMIC_RELAXED);
	return 0;
}

/* ---- change notifications ---- */

WFP_API int wfp_change_subscribe(struct wfp_session *s, uint32_t object, uint32_t flags,
				 wfp_change_fn fn, void *ctx)
{
	struct change_sub *c;

	if (!s || !fn)
		return -WFP_E_NULL_POINTER;
	if (object < WFP_OBJECT_PROVIDER || object > WFP_OBJECT_FILTER)
		return -WFP_E_INVALID_ENUMERATOR;
	if (!flags || flags & ~(uint32_t)(WFP_SUBSCRIBE_ON_ADD | WFP_SUBSCRIBE_ON_DELETE))
		return -WFP_E_INVALID_FLAGS;
	c = wfp_calloc(1, sizeof(*c));
	if (!c)
		return -WFP_E_NOMEM;
	c->id = s->e->next_sub_id++;
	c->s = s;
	c->object = object;
	c->flags = flags;
	c->fn = fn;
	c->ctx = ctx;
	c->next = s->e->change_subs;
	s->e->change_subs = c;
	return c->id;
}

WFP_API int wfp_change_unsubscribe(struct wfp_session *s, int id)
{
	if (!s)
		return -WFP_E_NULL_POINTER;
	for (struct change_sub **pp = &s->e->change_subs; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id && (*pp)->s == s) {
			struct change_sub *c = *pp;

			*pp = c->next;
			wfp_free(c);
			return 0;
		}
	}
	return -WFP_E_NOT_FOUND;
}

void wfp_change_unsubscribe_session(struct wfp_session *s)
{
	struct change_sub **pp = &s->e->change_subs;

	while (*pp) {
		if ((*pp)->s == s) {
			struct change_sub *c = *pp;

			*pp = c->next;
			wfp_free(c);
		} else {
			pp = &(*pp)->next;
		}
	}
}

static void describe(const struct undo *u, struct wfp_change *c)
{
	const struct obj_hdr *h = u->obj;

	memset(c, 0, sizeof(*c));
	c->object = wfp_obj_ops[h->kind].object;
	c->key = h->key;
	c->change = u->add ? WFP_CHANGE_ADD : WFP_CHANGE_DELETE;
	if (h->kind == OBJ_CALLOUT)
		c->id = ((const struct callout_obj *)h)->id;
	else if (h->kind == OBJ_FILTER)
		c->id = ((const struct filter_obj *)h)->id;
}

void wfp_change_notify(struct wfp_engine *e, const struct txn *t)
{
	if (!e->change_subs)
		return;
	for (size_t i = 0; i < t->nlog; i++) {
		struct wfp_change c;

		describe(&t->log[i], &c);
		for (struct change_sub *s = e->change_subs; s; s = s->next) {
			uint32_t want = c.change == WFP_CHANGE_ADD ? WFP_SUBSCRIBE_ON_ADD :
				       WFP_SUBSCRIBE_ON_DELETE;

			/* spec §6.7: not for changes made through its own session */
			if (s->object == c.object && (s->flags & want) && s->s != t->s)
				s->fn(s->ctx, &c);
		}
	}
}
