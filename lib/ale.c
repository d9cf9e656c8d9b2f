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
	/* an observer's implicit datagram socket lives as long as its flows:
	 * the real one is asked about again for the next flow */
	if (s->implicit && s->proto != WFP_PROTO_TCP && !s->flows && stack_observer(h))
		stack_sock_release(h, f->sd);
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
	struct sock *l = stack_sock(h, f->listener);

	ale_flow_contexts_release(h, f);
	sock_unlink(h, f);
	/* an implicit listener whose real socket closed waited for its
	 * flows, which name it as their owner (stack_implicit_check) */
	if (l && l->lrefs && !--l->lrefs && l->implicit && l->state == WFP_SOCK_CLOSED)
		stack_sock_release(h, f->listener);
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

/* ---- eviction (observer) ---- */

enum { EVICT_SCAN = 256 }; /* buckets looked at per attempt */

struct evict_ctx {
	struct wfp_host *h;
	bool done;
};

/* A flow the host may forget: the caller's fast path carries it
 * (offloaded; it is seeded again if it comes back), a closing TCP flow, or
 * a stealth marker. */
static void evict_one(struct wfp_flow *f, void *ctx)
{
	struct evict_ctx *e = ctx;

	if (e->done)
		return;
	if (f->state == WFP_FLOW_STEALTH) {
		wfp_flow_remove(e->h->flows, f);
	} else if (f->offloaded || (f->key.proto == WFP_PROTO_TCP && (f->fin_sent || f->fin_rcvd))) {
		if (f->key.proto == WFP_PROTO_TCP)
			tcp_flow_gone(e->h, f, -ECONNABORTED);
		else
			ale_flow_free(e->h, f);
	} else {
		return;
	}
	e->h->st.flows_evicted++;
	e->done = true;
}

/* The table is full: make room by forgetting one flow, in a bounded scan
 * that moves on (a flood must not rescan what it just emptied). */
static bool evict(struct wfp_host *h)
{
	struct evict_ctx e = { .h = h };

	wfp_flow_scan(h->flows, EVICT_SCAN, evict_one, &e);
	return e.done;
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
	if (!f && stack_observer(h) && evict(h))
		f = wfp_flow_insert(h->flows, k);
	if (!f) {
		h->st.drops[WFP_DROP_FLOW_LIMIT]++;
		return NULL;
	}
	f->last_ms = f->created_ms = h->now_ms;
	f->packets = 1;
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
	f->packets++;
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

/* ---- flows for observers (wfp_stack.h) ---- */

/* The flow key of packet p (sent: by us).  false: no flow can hold it. */
static bool pkt_key(struct wfp_flow_key *k, const struct wfp_pkt *p, bool sent)
{
	if (p->family != WFP_AF_INET && p->family != WFP_AF_INET6)
		return false;
	if (p->proto == WFP_PROTO_ICMP || p->proto == WFP_PROTO_ICMPV6)
		return icmp_flow_key(k, p, sent);
	ale_key(k, p->family, p->proto, sent ? &p->src : &p->dst, sent ? &p->dst : &p->src,
		sent ? p->sport : p->dport, sent ? p->dport : p->sport, 0);
	return true;
}

static uint8_t info_state(const struct wfp_flow *f)
{
	switch (f->state) {
	case WFP_FLOW_SYN_SENT:
		return WFP_FLOW_INFO_SYN_SENT;
	case WFP_FLOW_SYN_RCVD:
		return WFP_FLOW_INFO_SYN_RCVD;
	case WFP_FLOW_ESTABLISHED:
		return (f->fin_sent || f->fin_rcvd) ? WFP_FLOW_INFO_CLOSING :
		       WFP_FLOW_INFO_ESTABLISHED;
	default:
		return WFP_FLOW_INFO_OPEN;
	}
}

static void flow_info(struct wfp_host *h, const struct wfp_flow *f, struct wfp_flow_info *fi)
{
	const struct sock *s = stack_sock(h, f->sd);

	if (!s)
		s = stack_sock(h, f->listener);
	memset(fi, 0, sizeof(*fi));
	fi->handle = f->handle;
	fi->family = f->key.family;
	fi->proto = f->key.proto;
	fi->state = info_state(f);
	fi->inbound = f->dir == WFP_DIRECTION_INBOUND;
	fi->offloaded = f->offloaded;
	fi->auth_layer = f->auth_layer;
	ale_cls_addrs(f, &fi->laddr, &fi->raddr);
	fi->lport = f->key.lport;
	fi->rport = f->key.rport;
	fi->icmp_id = f->key.icmp_id;
	if (s) {
		fi->has_user = s->has_user;
		fi->uid = s->tok.uid;
		fi->app = s->app;
	}
	fi->created_ms = f->created_ms;
	fi->last_ms = f->last_ms;
	fi->packets = f->packets;
}

static struct wfp_flow *pkt_flow(struct wfp_host *h, const struct wfp_pkt *p, int sent)
{
	struct wfp_flow_key k;
	struct wfp_flow *f;

	if (!h || !p || !pkt_key(&k, p, sent))
		return NULL;
	f = wfp_flow_lookup(h->flows, &k);
	return f && f->state != WFP_FLOW_STEALTH ? f : NULL;
}

WFP_API int wfp_host_flow_find(struct wfp_host *h, const struct wfp_pkt *p, int sent,
			       struct wfp_flow_info *fi)
{
	struct wfp_flow *f = pkt_flow(h, p, sent);

	if (!f)
		return -ENOENT;
	if (fi)
		flow_info(h, f, fi);
	return 0;
}

WFP_API int wfp_host_flow_offload(struct wfp_host *h, const struct wfp_pkt *p, int sent)
{
	struct wfp_flow *f = pkt_flow(h, p, sent);

	if (!f)
		return -ENOENT;
	f->offloaded = 1;
	if (f->key.proto == WFP_PROTO_TCP)
		tcp_offload(h, f);
	return 0;
}

WFP_API int wfp_host_flow_seed(struct wfp_host *h, const struct wfp_pkt *p, int sent,
			       int peer_opened)
{
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_addr l, r;
	struct sock *s;
	uint64_t gen;
	int sd = -1;

	if (!h || !p || p->src.family != p->family || p->dst.family != p->family)
		return -EINVAL;
	if (!pkt_key(&k, p, sent))
		return (p->family == WFP_AF_INET || p->family == WFP_AF_INET6) ? -ENOENT : -EINVAL;
	if (ale_lookup(h, &k))
		return -EEXIST;
	ale_cls_addrs(&(struct wfp_flow){ .key = k }, &l, &r);
	if (p->proto != WFP_PROTO_ICMP && p->proto != WFP_PROTO_ICMPV6) {
		/* the real socket, as the endpoint callback describes it */
		sd = stack_implicit_sock(h, p->family, p->proto, &l, k.lport, false);
		if (sd < 0)
			return sd == -EMFILE ? -ENOBUFS : sd;
	}
	f = ale_flow_new(h, &k);
	if (!f) {
		stack_sock_release(h, sd);
		return -ENOBUFS;
	}
	s = stack_sock(h, sd);
	f->sd = sd;
	f->loopback = stack_loopback(h, &l, &r);
	f->dir = peer_opened ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
	f->auth_layer = (uint16_t)auth_layer(k.family, !peer_opened);
	/* never authorised under the current policy: the next packet is
	 * reauthorized (any value but the current generation will do) */
	gen = wfp_engine_layer_generation(h->engine, f->auth_layer);
	f->auth_gen = ~gen;
	f->packets = 0;
	if (p->proto == WFP_PROTO_TCP) {
		f->state = WFP_FLOW_ESTABLISHED;
		s->state = WFP_SOCK_ESTABLISHED;
		s->flow = f;
		s->endpoint = true;
	} else {
		f->state = WFP_FLOW_OPEN;
		if (s) {
			f->snext = s->flows;
			s->flows = f;
		}
	}
	if (s) {
		s->raddr = r;
		s->rport = k.rport;
		s->has_peer = true;
	}
	return 0;
}

struct foreach_ctx {
	struct wfp_host *h;
	wfp_flow_info_fn fn;
	void *ctx;
};

static void foreach_one(struct wfp_flow *f, void *ctx)
{
	struct foreach_ctx *c = ctx;
	struct wfp_flow_info fi;

	if (f->state == WFP_FLOW_STEALTH)
		return;
	flow_info(c->h, f, &fi);
	c->fn(&fi, c->ctx);
}

WFP_API void wfp_host_flow_foreach(struct wfp_host *h, wfp_flow_info_fn fn, void *ctx)
{
	struct foreach_ctx c = { .h = h, .fn = fn, .ctx = ctx };

	if (!h || !fn)
		return;
	/* a full cycle: the scan position ends where it started */
	wfp_flow_scan(h->flows, wfp_flow_nbuckets(h->flows), foreach_one, &c);
}
