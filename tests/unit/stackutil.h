/* SPDX-License-Identifier: MIT */
/*
 * stackutil.h - a two-host network for the stack model's unit tests:
 * client 10.0.0.1 / fd00::1 and server 10.0.0.2 / fd00::2, each with its
 * own engine, a FIFO wire between them, and a record of every
 * classification with the incoming values the tests look at.
 */
#ifndef WFP_STACKUTIL_H
#define WFP_STACKUTIL_H

#include "testutil.h"

#include <stdlib.h>
#include <wfp/wfp_stack.h>

enum { CLI = 0, SRV = 1, NET_QMAX = 4096 };

#define NOVAL 0xFFFFFFFFu

struct rec {
	int host;
	uint32_t event;
	uint16_t layer;
	uint32_t action;
	uint64_t filter_id;
	uint32_t tflags;     /* WFP_TRACE_F_* */
	uint32_t dmod, dreason;
	uint64_t dfilter;
	/* incoming values (NOVAL: EMPTY or absent at the layer) */
	uint32_t flags, reauth, lport, rport, proto, dir, uid, laddr4, raddr4;
	uint32_t emb_proto, emb_lport, emb_rport;
	char app[64];
	bool laddr_empty;
};

struct net {
	struct tu t[2];
	struct wfp_host *h[2];
	struct wfp_pkt q[NET_QMAX];
	unsigned qhead, qlen;
	struct rec *r;
	unsigned n, cap;
	bool record;
	unsigned out_count[2];
};

static inline uint32_t val_u32(const struct wfp_incoming *in, unsigned field)
{
	int i = wfp_layer_field_index(in->layer, field);
	const struct wfp_value *v;

	if (i < 0 || i >= in->nvalues)
		return NOVAL;
	v = &in->values[i];
	switch (v->type) {
	case WFP_UINT8:
		return v->u8;
	case WFP_UINT16:
		return v->u16;
	case WFP_UINT32:
		return v->u32;
	default:
		return NOVAL;
	}
}

static void net_trace(const struct wfp_trace_rec *tr, void *ctx)
{
	struct net *n = ctx;
	const struct wfp_incoming *in = tr->in;
	struct rec *r;
	int i;

	if (!n->record)
		return;
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 256;
		n->r = realloc(n->r, n->cap * sizeof(*n->r));
		assert_non_null(n->r);
	}
	r = &n->r[n->n++];
	memset(r, 0, sizeof(*r));
	r->host = tr->host == n->h[CLI] ? CLI : SRV;
	r->event = tr->event;
	r->layer = tr->layer;
	r->action = tr->verdict.action;
	r->filter_id = tr->verdict.filter_id;
	r->tflags = tr->flags;
	if (tr->md && (tr->md->present & WFP_MD_DISCARD_REASON)) {
		r->dmod = tr->md->discard_module;
		r->dreason = tr->md->discard_reason;
		r->dfilter = tr->md->discard_filter_id;
	}
	r->flags = val_u32(in, WFP_FIELD_FLAGS);
	r->reauth = val_u32(in, WFP_FIELD_REAUTHORIZE_REASON);
	r->lport = val_u32(in, WFP_FIELD_IP_LOCAL_PORT);
	r->rport = val_u32(in, WFP_FIELD_IP_REMOTE_PORT);
	r->proto = val_u32(in, WFP_FIELD_IP_PROTOCOL);
	r->dir = val_u32(in, WFP_FIELD_DIRECTION);
	r->laddr4 = val_u32(in, WFP_FIELD_IP_LOCAL_ADDRESS);
	r->raddr4 = val_u32(in, WFP_FIELD_IP_REMOTE_ADDRESS);
	r->emb_proto = val_u32(in, WFP_FIELD_EMBEDDED_PROTOCOL);
	r->emb_lport = val_u32(in, WFP_FIELD_EMBEDDED_LOCAL_PORT);
	r->emb_rport = val_u32(in, WFP_FIELD_EMBEDDED_REMOTE_PORT);
	r->uid = NOVAL;
	i = wfp_layer_field_index(in->layer, WFP_FIELD_ALE_USER_ID);
	if (i >= 0 && in->values[i].type == WFP_TOKEN_ACCESS_INFORMATION)
		r->uid = in->values[i].token->uid;
	i = wfp_layer_field_index(in->layer, WFP_FIELD_ALE_APP_ID);
	if (i >= 0 && in->values[i].type == WFP_BYTE_BLOB) {
		size_t len = in->values[i].blob.size;

		if (len >= sizeof(r->app))
			len = sizeof(r->app) - 1;
		memcpy(r->app, in->values[i].blob.data, len);
	}
	i = wfp_layer_field_index(in->layer, WFP_FIELD_IP_LOCAL_ADDRESS);
	r->laddr_empty = i >= 0 && in->values[i].type == WFP_EMPTY;
}

static void net_out(struct wfp_host *h, const struct wfp_pkt *p, void *ctx)
{
	struct net *n = ctx;

	n->out_count[h == n->h[CLI] ? CLI : SRV]++;
	assert_true(n->qlen < NET_QMAX);
	n->q[(n->qhead + n->qlen++) % NET_QMAX] = *p;
}

static inline struct wfp_addr net_addr(int host, int family)
{
	struct wfp_addr a;

	assert_int_equal(wfp_addr_parse(family == WFP_AF_INET6 ?
					(host == CLI ? "fd00::1" : "fd00::2") :
					(host == CLI ? "10.0.0.1" : "10.0.0.2"), &a), 0);
	return a;
}

static inline struct net *net_new_opts(const struct wfp_host_opts *o)
{
	struct net *n = calloc(1, sizeof(*n));

	assert_non_null(n);
	n->record = true;
	for (int i = 0; i < 2; i++) {
		struct wfp_host_opts ho = o ? *o : (struct wfp_host_opts){ .sz = sizeof(ho) };
		struct wfp_addr a4 = net_addr(i, WFP_AF_INET), a6 = net_addr(i, WFP_AF_INET6);

		ho.name = i == CLI ? "client" : "server";
		tu_open(&n->t[i]);
		n->h[i] = wfp_host_new(n->t[i].e, &ho);
		assert_non_null(n->h[i]);
		assert_int_equal(wfp_host_add_addr(n->h[i], &a4), 0);
		assert_int_equal(wfp_host_add_addr(n->h[i], &a6), 0);
		wfp_host_set_trace(n->h[i], net_trace, n);
		wfp_host_set_output(n->h[i], net_out, n);
	}
	return n;
}

static inline struct net *net_new(void)
{
	return net_new_opts(NULL);
}

static inline void net_free(struct net *n)
{
	for (int i = 0; i < 2; i++) {
		wfp_host_free(n->h[i]);
		tu_close(&n->t[i]);
	}
	free(n->r);
	free(n);
}

/* Delivers every queued packet, in order, to the owner of its address. */
static inline void net_run(struct net *n)
{
	while (n->qlen) {
		struct wfp_pkt p = n->q[n->qhead];
		int to;

		n->qhead = (n->qhead + 1) % NET_QMAX;
		n->qlen--;
		if (wfp_host_is_local(n->h[CLI], &p.dst) && !wfp_host_is_local(n->h[SRV], &p.dst))
			to = CLI;
		else
			to = SRV;
		if (wfp_host_is_local(n->h[to], &p.src))
			p.flags |= WFP_PKT_F_LOOPBACK;
		wfp_host_receive(n->h[to], &p);
	}
}

static inline void net_clear(struct net *n)
{
	n->n = 0;
}

static inline unsigned net_count(const struct net *n, int host, unsigned layer)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->n; i++)
		if (n->r[i].layer == layer && (host < 0 || n->r[i].host == host))
			c++;
	return c;
}

/* The first record at layer for host (-1: any), or NULL. */
static inline const struct rec *net_find(const struct net *n, int host, unsigned layer)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->r[i].layer == layer && (host < 0 || n->r[i].host == host))
			return &n->r[i];
	return NULL;
}

/* Asserts that host's records (in order) are exactly layers[0..nl). */
static inline void net_expect(const struct net *n, int host, const unsigned *layers,
			      unsigned nl)
{
	unsigned j = 0;

	for (unsigned i = 0; i < n->n; i++) {
		if (n->r[i].host != host)
			continue;
		if (j >= nl)
			fail_msg("host %d: extra classification at %s", host,
				 wfp_layer_name(n->r[i].layer));
		if (n->r[i].layer != layers[j])
			fail_msg("host %d, #%u: %s, expected %s", host, j,
				 wfp_layer_name(n->r[i].layer), wfp_layer_name(layers[j]));
		j++;
	}
	if (j != nl)
		fail_msg("host %d: %u classifications, expected %u", host, j, nl);
}

/* The V6 sibling of a V4 layer (same rule as the stack's). */
static inline unsigned v6(unsigned l)
{
	return l < WFP_LAYER_INBOUND_MAC_FRAME_ETHERNET ? l + 2 : l + 1;
}

static inline unsigned fam_layer(int family, unsigned l)
{
	return family == WFP_AF_INET6 ? v6(l) : l;
}

/* server: listen on port; client: connect; runs the handshake.  Returns
 * the client's socket; *srv gets the server's accepted one. */
static inline int net_tcp_connect(struct net *n, int family, uint16_t port, int *srv)
{
	struct wfp_addr sa = net_addr(SRV, family);
	int l = wfp_sock_open(n->h[SRV], family, WFP_PROTO_TCP, NULL);
	int c = wfp_sock_open(n->h[CLI], family, WFP_PROTO_TCP, NULL);

	assert_true(l >= 0 && c >= 0);
	assert_int_equal(wfp_sock_bind(n->h[SRV], l, NULL, port), 0);
	assert_int_equal(wfp_sock_listen(n->h[SRV], l), 0);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, port), 0);
	net_run(n);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_ESTABLISHED);
	if (srv) {
		*srv = wfp_sock_accept(n->h[SRV], l);
		assert_true(*srv >= 0);
	}
	return c;
}

static inline uint64_t net_filter(struct net *n, int host, unsigned layer, uint32_t action,
				  const struct wfp_filter_cond *c, uint32_t nc)
{
	return tu_filter(&n->t[host], layer, NULL, 0, action, 0, NULL, c, nc);
}

#endif
