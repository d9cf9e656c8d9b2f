// SPDX-License-Identifier: MIT
/*
 * ale.c - Application Layer Enforcement: classify once per flow, then
 * reauthorize when the policy of the authorising layer changes (spec §3).
 *
 * A flow is created by its first packet or connect(); ale_authorize()
 * classifies it at ALE_AUTH_CONNECT (outbound) or ALE_AUTH_RECV_ACCEPT
 * (inbound) and remembers that layer and its generation
 * (wfp_engine_layer_generation).  Every later packet of the flow, in
 * either direction, calls ale_reauth(): if the generation moved - a filter
 * was added to or removed from that layer - the packet is classified
 * again at the same layer with FLAGS IS_REAUTHORIZE and
 * REAUTHORIZE_REASON POLICY_CHANGE.  PERMIT refreshes the remembered
 * generation; BLOCK discards the packet at the layer's _DISCARD twin and
 * tears the flow down (spec §3.3, §9: no RST, the socket gets
 * ECONNABORTED).
 *
 * Non-TCP flows die after idle_ms without a packet (spec §3.1, virtual
 * clock); TCP flows live as long as their connection, except half-open
 * ones, which use the same idle timeout so that a SYN flood drains.
 */
#include <string.h>

#include "internal.h"
#include "stack.h"

void ale_key(struct wfp_flow_key *k, int family, int proto, const struct wfp_addr *l,
	     const struct wfp_addr *r, uint16_t lport, uint16_t rport, uint16_t id)
{
	wfp_flow_key_init(k);
	k->family = (uint8_t)family;
	k->proto = (uint8_t)proto;
	if (family == WFP_AF_INET) {
		memcpy(k->laddr, &l->v4, 4);
		memcpy(k->raddr, &r->v4, 4);
	} else {
		memcpy(k->laddr, l->v6, 16);
		memcpy(k->raddr, r->v6, 16);
	}
	k->lport = lport;
	k->rport = rport;
	k->icmp_id = id;
}

static void key_addr(const struct wfp_flow_key *k, const uint8_t *b, struct wfp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = k->family;
	if (k->family == WFP_AF_INET)
		memcpy(&a->v4, b, 4);
	else
		memcpy(a->v6, b, 16);
}

void ale_cls_addrs(const struct wfp_flow *f, struct wfp_addr *l, struct wfp_addr *r)
{
	key_addr(&f->key, f->key.laddr, l);
	key_addr(&f->key, f->key.raddr, r);
}

static bool expired(const struct wfp_host *h, const struct wfp_flow *f)
{
	uint64_t idle = h->now_ms - f->last_ms;

	/* an open TCP connection lives as long as it is open, or until the
	 * optional TCP idle timeout; a closing one (a FIN has passed) gets the
	 * short timeout, so that a peer that never closes cannot pin it */
	if (f->state == WFP_FLOW_ESTABLISHED && !f->fin_sent && !f->fin_rcvd)
		return h->tcp_idle_ms && idle >= h->tcp_idle_ms;
	return idle >= h->idle_ms;
}

/* Unlinks f from its socket's list of UDP flows. */
static void sock_unlink(struct wfp_host *h, struct wfp_flow *f)
{
	struct sock *s = stack_sock(h, f->sd);
	struct wfp_flow **pp;

	if (!s)
		return;
	if (s->flow == f)
		s->flow = NULL;
	for (pp = &s->flows; *pp; pp = &(*pp)->snext) {
		if (*pp == f) {
			*pp = f->snext;
			break;
		}
	}
}

/* ---- callout flow contexts ---- */

WFP_API int wfp_flow_associate_context(struct wfp_host *h, uint64_t flow_handle,
				       const struct wfp_guid *callout, uint64_t value)
{
	struct wfp_flow *f;

	if (!h || !callout)
		return -WFP_E_NULL_POINTER;
	f = wfp_flow_by_handle(h->flows, flow_handle);
	if (!f)
		return -WFP_E_NOT_FOUND;
	for (unsigned i = 0; i < f->nctx; i++) {
		if (wfp_guid_eq(&f->ctx[i].callout, callout)) {
			f->ctx[i].value = value;
			return 0;
		}
	}
	if (f->nctx >= WFP_FLOW_MAX_CONTEXTS)
		return -WFP_E_LIMIT;
	f->ctx[f->nctx].callout = *callout;
	f->ctx[f->nctx].value = value;
	f->nctx++;
	return 0;
}

WFP_API int wfp_flow_remove_context(struct wfp_host *h, uint64_t flow_handle,
				    const struct wfp_guid *callout)
{
	struct wfp_flow *f;

	if (!h || !callout)
		return -WFP_E_NULL_POINTER;
	f = wfp_flow_by_handle(h->flows, flow_handle);
	for (unsigned i = 0; f && i < f->nctx; i++) {
		if (wfp_guid_eq(&f->ctx[i].callout, callout)) {
			f->ctx[i] = f->ctx[--f->nctx];
			return 0;
		}
	}
	return -WFP_E_NOT_FOUND;
}

/* The flow goes: every callout that attached a context hears of it. */
void ale_flow_contexts_release(struct wfp_host *h, struct wfp_flow *f)
{
	while (f->nctx) {
		unsigned i = --f->nctx;

		wfp_callout_flow_deleted(h->engine, &f->ctx[i].callout, f->handle,
					 f->ctx[i].value);
	}
}

void ale_flow_free(struct wfp_host *h, struct wfp_flow *f)
{
	ale_flow_contexts_release(h, f);
	sock_unlink(h, f);
	wfp_flow_remove(h->flows, f);
}

static void expire_one(struct wfp_flow *f, void *ctx)
{
	struct wfp_host *h = ctx;

	if (!expired(h, f))
		return;
	if (f->state == WFP_FLOW_STEALTH) {
		wfp_flow_remove(h->flows, f);
		return;
	}
	h->st.flows_expired++;
	if (f->key.proto == WFP_PROTO_TCP)
		tcp_flow_gone(h, f, -ETIMEDOUT);
	else
		ale_flow_free(h, f);
}

void ale_expire(struct wfp_host *h, uint32_t nbuckets)
{
	wfp_flow_scan(h->flows, nbuckets, expire_one, h);
}

struct wfp_flow *ale_lookup(struct wfp_host *h, const struct wfp_flow_key *k)
{
	struct wfp_flow *f = wfp_flow_lookup(h->flows, k);

	if (f && expired(h, f)) {
		expire_one(f, h);
		return NULL;
	}
	return f && f->state != WFP_FLOW_STEALTH ? f : NULL;
}

void ale_stealth_mark(struct wfp_host *h, const struct wfp_flow_key *k)
{
	struct wfp_flow *f = wfp_flow_lookup(h->flows, k);

	if (!f)
		f = wfp_flow_insert(h->flows, k);
	if (f && (f->state == WFP_FLOW_FREE || f->state == WFP_FLOW_STEALTH)) {
		f->state = WFP_FLOW_STEALTH;
		f->last_ms = h->now_ms;
	}
}

bool ale_stealth_take(struct wfp_host *h, const struct wfp_flow_key *k)
{
	struct wfp_flow *f = wfp_flow_lookup(h->flows, k);

	if (!f || f->state != WFP_FLOW_STEALTH)
		return false;
	wfp_flow_remove(h->flows, f);
	return true;
}

struct wfp_flow *ale_flow_new(struct wfp_host *h, const struct wfp_flow_key *k)
{
	struct wfp_flow *f = wfp_flow_lookup(h->flows, k);

	if (f && f->state == WFP_FLOW_STEALTH)
		wfp_flow_remove(h->flows, f); /* a real flow replaces the marker */
	f = wfp_flow_insert(h->flows, k);

	if (!f && h->full_gc_ms != h->now_ms) {
		/* full: one bounded GC slice per clock tick (a flood at one
		 * instant cannot make every packet pay for a scan), one retry */
		h->full_gc_ms = h->now_ms;
		ale_expire(h, HOST_GC_BUCKETS);
		f = wfp_flow_insert(h->flows, k);
	}
	if (!f) {
		h->st.drops[WFP_DROP_FLOW_LIMIT]++;
		return NULL;
	}
	f->last_ms = h->now_ms;
	h->st.flows_created++;
	return f;
}

void ale_cls(struct wfp_host *h, struct cls *c, const struct wfp_flow *f, uint32_t event)
{
	struct sock *s = stack_sock(h, f->sd);

	if (!s)
		s = stack_sock(h, f->listener);
	memset(c, 0, sizeof(*c));
	c->event = event;
	c->family = f->key.family;
	c->proto = f->key.proto;
	c->ale = true;
	c->has_laddr = c->has_raddr = c->has_lport = c->has_rport = true;
	key_addr(&f->key, f->key.laddr, &c->laddr);
	key_addr(&f->key, f->key.raddr, &c->raddr);
	c->lport = f->key.lport;
	c->rport = f->key.rport;
	c->owner = s;
	c->flow_handle = f->handle;
	if (f->loopback)
		c->flags |= WFP_CONDITION_FLAG_IS_LOOPBACK;
	if (raw_proto(f->key.proto))
		c->flags |= WFP_CONDITION_FLAG_IS_RAW_ENDPOINT;
}

static unsigned auth_layer(int family, bool outbound)
{
	return lay(family, outbound ? WFP_LAYER_ALE_AUTH_CONNECT_V4 :
			   WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4);
}

int ale_authorize(struct wfp_host *h, struct wfp_flow *f, bool outbound, uint32_t event,
		  uint8_t icmp_type, uint8_t icmp_code)
{
	unsigned layer = auth_layer(f->key.family, outbound);
	struct cls c;

	ale_cls(h, &c, f, event);
	if (f->key.proto == WFP_PROTO_ICMP || f->key.proto == WFP_PROTO_ICMPV6) {
		c.lport = icmp_type;
		c.rport = icmp_code;
	}
	f->auth_layer = (uint16_t)layer;
	f->auth_gen = wfp_engine_layer_generation(h->engine, layer);
	f->dir = outbound ? WFP_DIRECTION_OUTBOUND : WFP_DIRECTION_INBOUND;
	return stack_check(h, layer, &c);
}

int ale_established(struct wfp_host *h, struct wfp_flow *f, uint32_t event)
{
	struct cls c;

	ale_cls(h, &c, f, event);
	/* DIRECTION here is the flow's, not the packet's (spec §1.4) */
	c.has_dir = true;
	c.dir = f->dir;
	return stack_check(h, lay(f->key.family, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4), &c);
}

int ale_reauth(struct wfp_host *h, struct wfp_flow *f, uint32_t event)
{
	uint64_t gen = wfp_engine_layer_generation(h->engine, f->auth_layer);
	struct cls c;

	f->last_ms = h->now_ms;
	if (gen == f->auth_gen)
		return 0;
	ale_cls(h, &c, f, event);
	c.flags |= WFP_CONDITION_FLAG_IS_REAUTHORIZE;
	c.reauth = WFP_REAUTH_POLICY_CHANGE;
	h->st.reauths++;
	if (stack_check(h, f->auth_layer, &c)) {
		if (f->key.proto == WFP_PROTO_TCP)
			tcp_flow_gone(h, f, -ECONNABORTED);
		else
			ale_flow_free(h, f);
		return -EACCES;
	}
	f->auth_gen = gen;
	return 0;
}
