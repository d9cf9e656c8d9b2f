/* SPDX-License-Identifier: MIT */
/*
 * test_stack_tcp.c - TCP in the stack model: the exact layer sequences of
 * spec §2.1 (§10 item 13) for IPv4 and IPv6, the incoming values each
 * classification carries, blocking at every layer of the path (issue 4
 * scope 2), the closed-port RST and its stealth suppression (§10 item 14),
 * ABSORB, and loopback (§8.2).
 */
#include "stackutil.h"

#define L(x) WFP_LAYER_##x

static const unsigned server_open[] = {
	L(ALE_BIND_REDIRECT_V4), L(ALE_RESOURCE_ASSIGNMENT_V4), L(ALE_AUTH_LISTEN_V4),
	L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_AUTH_RECV_ACCEPT_V4),
	L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4),
	L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_FLOW_ESTABLISHED_V4),
};

static const unsigned client_open[] = {
	L(ALE_BIND_REDIRECT_V4), L(ALE_RESOURCE_ASSIGNMENT_V4), L(ALE_CONNECT_REDIRECT_V4),
	L(ALE_AUTH_CONNECT_V4), L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4),
	L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_FLOW_ESTABLISHED_V4),
	L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4),
};

static void expect_fam(const struct net *n, int host, const unsigned *l, unsigned nl, int fam)
{
	unsigned x[32];

	for (unsigned i = 0; i < nl; i++)
		x[i] = fam_layer(fam, l[i]);
	net_expect(n, host, x, nl);
}

/* §10 item 13: both sides see exactly the §2.1 sequence, in global order. */
static void handshake(int fam)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, fam, 80, &s);
	expect_fam(n, SRV, server_open, 11, fam);
	expect_fam(n, CLI, client_open, 11, fam);
	/* global order: client's AUTH_CONNECT (#7 of 22) before any packet */
	assert_int_equal(n->r[6].layer, fam_layer(fam, L(ALE_AUTH_CONNECT_V4)));
	assert_int_equal(n->r[6].host, CLI);
	assert_int_equal(n->r[11].layer, fam_layer(fam, L(ALE_AUTH_RECV_ACCEPT_V4)));
	assert_int_equal(n->r[21].layer, fam_layer(fam, L(ALE_FLOW_ESTABLISHED_V4)));
	assert_int_equal(n->r[21].host, SRV);
	assert_int_equal(n->n, 22);
	assert_int_equal(wfp_sock_state(n->h[SRV], s), WFP_SOCK_ESTABLISHED);
	assert_int_equal(wfp_sock_local_port(n->h[CLI], c), 49152);
	assert_int_equal(wfp_sock_remote_port(n->h[SRV], s), 49152);
	net_free(n);
}

static void test_handshake_v4(void **state)
{
	handshake(WFP_AF_INET);
}

static void test_handshake_v6(void **state)
{
	handshake(WFP_AF_INET6);
}

/* Incoming values (spec §1.3/§1.4): app, user, addresses, ports, flags. */
static void test_values(void **state)
{
	struct wfp_sock_owner curl = { .app = "/usr/bin/curl", .has_user = 1, .uid = 1000 };
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	const struct rec *r;
	int l, c;

	l = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_bind(n->h[SRV], l, NULL, 80);
	wfp_sock_listen(n->h[SRV], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, &curl);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, 80), 0);
	net_run(n);

	r = net_find(n, CLI, L(ALE_RESOURCE_ASSIGNMENT_V4));
	assert_true(r->laddr_empty); /* unspecified local address: EMPTY (§3.2) */
	assert_int_equal(r->lport, 49152);
	assert_true(r->flags & WFP_CONDITION_FLAG_IS_WILDCARD_BIND);
	assert_string_equal(r->app, "/usr/bin/curl");
	assert_int_equal(r->uid, 1000);

	r = net_find(n, CLI, L(ALE_AUTH_CONNECT_V4));
	assert_string_equal(r->app, "/usr/bin/curl");
	assert_int_equal(r->uid, 1000);
	assert_int_equal(r->laddr4, 0x0A000001);
	assert_int_equal(r->raddr4, 0x0A000002);
	assert_int_equal(r->lport, 49152);
	assert_int_equal(r->rport, 80);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->flags, 0);
	assert_int_equal(r->reauth, 0);

	r = net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4));
	assert_int_equal(r->laddr4, 0x0A000002);
	assert_int_equal(r->raddr4, 0x0A000001);
	assert_int_equal(r->lport, 80);
	assert_int_equal(r->rport, 49152);
	assert_string_equal(r->app, ""); /* the listener's owner is unknown */

	/* INBOUND_TRANSPORT of the SYN says it still needs ALE (§3.4) */
	r = net_find(n, SRV, L(INBOUND_TRANSPORT_V4));
	assert_true(r->flags & WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY);

	/* FLOW_ESTABLISHED: the flow's direction on each side */
	assert_int_equal(net_find(n, CLI, L(ALE_FLOW_ESTABLISHED_V4))->dir,
			 WFP_DIRECTION_OUTBOUND);
	assert_int_equal(net_find(n, SRV, L(ALE_FLOW_ESTABLISHED_V4))->dir,
			 WFP_DIRECTION_INBOUND);
	net_free(n);
}

/* STREAM reports the connection's direction for both send and receive. */
static void test_data(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[SRV], s, 20), 20);
	net_run(n);
	{
		static const unsigned srv[] = { L(STREAM_V4), L(OUTBOUND_TRANSPORT_V4),
						L(OUTBOUND_IPPACKET_V4) };
		static const unsigned cli[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
						L(STREAM_V4) };

		net_expect(n, SRV, srv, 3);
		net_expect(n, CLI, cli, 3);
	}
	assert_int_equal(net_find(n, CLI, L(STREAM_V4))->dir, WFP_DIRECTION_OUTBOUND);
	assert_int_equal(net_find(n, SRV, L(STREAM_V4))->dir, WFP_DIRECTION_INBOUND);
	/* no ALE layer for data (§3.2) */
	assert_int_equal(net_count(n, -1, L(ALE_AUTH_CONNECT_V4)), 0);
	assert_int_equal(net_count(n, -1, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 5), 5);
	net_free(n);
}

/* §2.1 termination: FINs pass transport/IP; the only other indications are
 * the socket notifications of §3.6; the flows are gone afterwards. */
static void test_teardown(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_clear(n);
	assert_int_equal(wfp_sock_close(n->h[CLI], c), 0);
	net_run(n);
	assert_int_equal(wfp_sock_state(n->h[SRV], s), WFP_SOCK_CLOSE_WAIT);
	assert_int_equal(wfp_sock_close(n->h[SRV], s), 0);
	net_run(n);
	for (unsigned i = 0; i < n->n; i++) {
		unsigned l = n->r[i].layer;

		assert_true(l == L(OUTBOUND_TRANSPORT_V4) || l == L(OUTBOUND_IPPACKET_V4) ||
			    l == L(INBOUND_IPPACKET_V4) || l == L(INBOUND_TRANSPORT_V4) ||
			    l == L(ALE_ENDPOINT_CLOSURE_V4) || l == L(ALE_RESOURCE_RELEASE_V4));
	}
	assert_int_equal(net_count(n, CLI, L(ALE_RESOURCE_RELEASE_V4)), 1);
	assert_int_equal(net_count(n, SRV, L(ALE_RESOURCE_RELEASE_V4)), 0);
	assert_int_equal(net_count(n, CLI, L(ALE_ENDPOINT_CLOSURE_V4)), 1);
	assert_int_equal(net_count(n, SRV, L(ALE_ENDPOINT_CLOSURE_V4)), 1);
	/* a TCP socket that was only bound: RESOURCE_RELEASE, no ENDPOINT_CLOSURE */
	net_clear(n);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], c, NULL, 0), 0);
	assert_int_equal(wfp_sock_close(n->h[CLI], c), 0);
	assert_int_equal(net_count(n, CLI, L(ALE_RESOURCE_RELEASE_V4)), 1);
	assert_int_equal(net_count(n, CLI, L(ALE_ENDPOINT_CLOSURE_V4)), 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0);
	net_free(n);
}

/* Issue 4 scope 2: a BLOCK at AUTH_CONNECT fails connect() and no SYN is
 * ever sent; the attempt is re-indicated at the twin with GENERAL /
 * FIREWALL_POLICY / the filter id (§2.6). */
static void test_block_connect(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id = net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, NULL, 0);
	const struct rec *d;
	int c;

	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, 80), -EACCES);
	assert_int_equal(n->out_count[CLI], 0);
	assert_int_equal(n->qlen, 0);
	assert_int_equal(net_count(n, CLI, L(OUTBOUND_TRANSPORT_V4)), 0);
	d = net_find(n, CLI, L(ALE_AUTH_CONNECT_V4_DISCARD));
	assert_non_null(d);
	assert_int_equal(d->dmod, WFP_DISCARD_MODULE_GENERAL);
	assert_int_equal(d->dreason, WFP_DISCARD_FIREWALL_POLICY);
	assert_int_equal(d->dfilter, id);
	assert_true(d->tflags & WFP_TRACE_F_DISCARD);
	assert_int_equal(wfp_host_stats(n->h[CLI])->drops[WFP_DROP_FILTER], 1);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	net_free(n);
}

static void test_block_listen_and_bind(void **state)
{
	struct net *n = net_new();
	struct wfp_filter_cond p81 = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 81);
	int s;

	net_filter(n, SRV, L(ALE_AUTH_LISTEN_V4), WFP_ACTION_BLOCK, NULL, 0);
	net_filter(n, SRV, L(ALE_RESOURCE_ASSIGNMENT_V4), WFP_ACTION_BLOCK, &p81, 1);
	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[SRV], s, NULL, 81), -EACCES);
	assert_non_null(net_find(n, SRV, L(ALE_RESOURCE_ASSIGNMENT_V4_DISCARD)));
	assert_int_equal(wfp_sock_bind(n->h[SRV], s, NULL, 80), 0);
	assert_int_equal(wfp_sock_listen(n->h[SRV], s), -EACCES);
	assert_non_null(net_find(n, SRV, L(ALE_AUTH_LISTEN_V4_DISCARD)));
	assert_int_equal(wfp_sock_state(n->h[SRV], s), WFP_SOCK_BOUND);
	net_free(n);
}

/* Redirect layers have no twin: a static block there fails the call. */
static void test_block_redirect(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	int c;

	net_filter(n, CLI, L(ALE_CONNECT_REDIRECT_V4), WFP_ACTION_BLOCK, NULL, 0);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, 80), -EACCES);
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_CONNECT_V4)), 0);
	net_filter(n, CLI, L(ALE_BIND_REDIRECT_V4), WFP_ACTION_BLOCK, NULL, 0);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], c, NULL, 0), -EACCES);
	net_free(n);
}

/* A BLOCK at AUTH_RECV_ACCEPT drops the SYN silently: no SYN-ACK, no RST. */
static void test_block_recv_accept(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id = net_filter(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_BLOCK, NULL, 0);
	int l, c;

	l = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_bind(n->h[SRV], l, NULL, 80);
	wfp_sock_listen(n->h[SRV], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, 80), 0);
	net_run(n);
	assert_int_equal(n->out_count[SRV], 0);
	assert_int_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4_DISCARD))->dfilter, id);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_SYN_SENT);
	assert_int_equal(wfp_sock_accept(n->h[SRV], l), -EAGAIN);
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0);
	net_free(n);
}

/* Packet layers: a block drops the packet and re-indicates at the twin. */
static void block_packet_layer(unsigned layer, int host)
{
	struct net *n = net_new();
	uint64_t id = net_filter(n, host, layer, WFP_ACTION_BLOCK, NULL, 0);
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	const struct rec *d;
	int l, c;

	l = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_bind(n->h[SRV], l, NULL, 80);
	wfp_sock_listen(n->h[SRV], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_connect(n->h[CLI], c, &sa, 80);
	net_run(n);
	d = net_find(n, host, (unsigned)wfp_layer_discard_twin(layer));
	assert_non_null(d);
	assert_int_equal(d->dmod, WFP_DISCARD_MODULE_GENERAL);
	assert_int_equal(d->dfilter, id);
	assert_int_equal(net_count(n, host, layer), 1);           /* once: dropped */
	assert_int_equal(wfp_sock_state(n->h[CLI], c) == WFP_SOCK_ESTABLISHED, 0);
	net_free(n);
}

static void test_block_packet_layers(void **state)
{
	block_packet_layer(L(OUTBOUND_TRANSPORT_V4), CLI);
	block_packet_layer(L(OUTBOUND_IPPACKET_V4), CLI);
	block_packet_layer(L(INBOUND_IPPACKET_V4), SRV);
	block_packet_layer(L(INBOUND_TRANSPORT_V4), SRV);
	block_packet_layer(L(OUTBOUND_TRANSPORT_V4), SRV);
}

static void test_block_stream(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_filter(n, SRV, L(STREAM_V4), WFP_ACTION_BLOCK, NULL, 0);
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 100), 100);
	net_run(n);
	assert_non_null(net_find(n, SRV, L(STREAM_V4_DISCARD)));
	/* outbound too: send fails, nothing leaves */
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[SRV], s, 10), -EACCES);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_TRANSPORT_V4)), 0);
	net_free(n);
}

/* §2.1 no listener + §10 item 14 without stealth: discard with TRANSPORT /
 * ENDPOINT_NOT_FOUND, then exactly one RST back; connect() is refused. */
static void closed_port(int fam)
{
	struct wfp_addr sa = net_addr(SRV, fam);
	struct net *n = net_new();
	const struct rec *d;
	int c;

	c = wfp_sock_open(n->h[CLI], fam, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &sa, 81), 0);
	net_run(n);
	{
		static const unsigned srv[] = { L(INBOUND_IPPACKET_V4),
			L(INBOUND_TRANSPORT_V4_DISCARD), L(OUTBOUND_TRANSPORT_V4),
			L(OUTBOUND_IPPACKET_V4) };

		expect_fam(n, SRV, srv, 4, fam);
	}
	d = net_find(n, SRV, fam_layer(fam, L(INBOUND_TRANSPORT_V4_DISCARD)));
	assert_int_equal(d->dmod, WFP_DISCARD_MODULE_TRANSPORT);
	assert_int_equal(d->dreason, WFP_INET_DISCARD_ENDPOINT_NOT_FOUND);
	assert_int_equal(d->dfilter, 0);
	assert_int_equal(d->event, WFP_EV_SYN);
	assert_int_equal(net_find(n, SRV, fam_layer(fam, L(OUTBOUND_TRANSPORT_V4)))->event,
			 WFP_EV_RST);
	assert_int_equal(n->out_count[SRV], 1);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_DEAD);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), -ECONNREFUSED);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	net_free(n);
}

static void test_closed_port_rst(void **state)
{
	closed_port(WFP_AF_INET);
	closed_port(WFP_AF_INET6);
}

/* §10 item 14 / §3.8: the MSDN filter (block at INBOUND_TRANSPORT_DISCARD
 * unless loopback) suppresses the RST - but not for loopback. */
static void test_stealth_rst(void **state)
{
	struct wfp_filter_cond nolb = { .field = WFP_FIELD_FLAGS,
					.match = WFP_MATCH_FLAGS_NONE_SET };
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	int c;

	nolb.value.type = nolb.value.v.type = WFP_UINT32;
	nolb.value.v.u32 = WFP_CONDITION_FLAG_IS_LOOPBACK;
	net_filter(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD), WFP_ACTION_BLOCK, &nolb, 1);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_connect(n->h[CLI], c, &sa, 81);
	net_run(n);
	assert_int_equal(n->out_count[SRV], 0);
	assert_int_equal(net_find(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD))->action,
			 WFP_ACTION_BLOCK);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_TRANSPORT_V4)), 0);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_SYN_SENT);
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_STEALTH], 1);
	{
		/* the suppressed RST is a port-scanning drop event */
		struct wfp_netevent *ev;
		size_t ne;

		assert_int_equal(wfp_netevent_enum(n->t[SRV].e, 0, &ev, &ne), 0);
		assert_int_equal(ne, 1);
		assert_int_equal(ev[0].layer_id, L(INBOUND_TRANSPORT_V4_DISCARD));
		assert_int_equal(ev[0].keywords, WFP_NET_EVENT_KEYWORD_PORT_SCANNING_DROP);
		assert_int_equal(ev[0].discard_module, WFP_DISCARD_MODULE_TRANSPORT);
		assert_int_equal(ev[0].local_port, 81);
		wfp_free_memory(ev);
	}
	/* loopback on the server itself still gets its RST */
	net_clear(n);
	c = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[SRV], c, &sa, 82), 0);
	net_run(n);
	assert_int_equal(wfp_sock_error(n->h[SRV], c), -ECONNREFUSED);
	assert_true(net_find(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD))->flags &
		    WFP_CONDITION_FLAG_IS_LOOPBACK);
	net_free(n);
}

/* BLOCK + ABSORB (from a callout) drops silently: no discard indication. */
static void test_absorb(void **state)
{
	struct tu_callout co = { .action = WFP_ACTION_BLOCK,
				 .flags = WFP_CLASSIFY_OUT_F_ABSORB, .clear_right = true };
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	struct wfp_guid k;
	int l, c;

	k = tu_callout_add(&n->t[SRV], 1, L(INBOUND_TRANSPORT_V4), &co);
	tu_filter(&n->t[SRV], L(INBOUND_TRANSPORT_V4), NULL, 0,
		  WFP_ACTION_CALLOUT_TERMINATING, 0, &k, NULL, 0);
	l = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_bind(n->h[SRV], l, NULL, 80);
	wfp_sock_listen(n->h[SRV], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_connect(n->h[CLI], c, &sa, 80);
	net_run(n);
	assert_int_equal(co.calls, 1);
	assert_true(net_find(n, SRV, L(INBOUND_TRANSPORT_V4))->tflags & WFP_TRACE_F_ABSORB);
	{
		/* ABSORB: no event logging either (§4.4) */
		struct wfp_netevent *ev;
		size_t ne;

		assert_int_equal(wfp_netevent_enum(n->t[SRV].e, 0, &ev, &ne), 0);
		assert_int_equal(ne, 0);
		wfp_free_memory(ev);
	}
	assert_int_equal(net_count(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD)), 0);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	net_free(n);
}

/* §8.2: a loopback connection carries IS_LOOPBACK at every packet layer and
 * at both AUTH layers and FLOW_ESTABLISHED, on the one host. */
static void test_loopback(void **state)
{
	struct wfp_addr me = net_addr(CLI, WFP_AF_INET);
	struct net *n = net_new();
	int l, c;

	l = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_bind(n->h[CLI], l, NULL, 8080);
	wfp_sock_listen(n->h[CLI], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], c, &me, 8080), 0);
	net_run(n);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_ESTABLISHED);
	assert_true(wfp_sock_accept(n->h[CLI], l) >= 0);
	assert_int_equal(net_count(n, SRV, L(INBOUND_IPPACKET_V4)), 0);
	for (unsigned i = 0; i < n->n; i++) {
		unsigned ly = n->r[i].layer;

		if (ly == L(ALE_AUTH_CONNECT_V4) || ly == L(ALE_AUTH_RECV_ACCEPT_V4) ||
		    ly == L(ALE_FLOW_ESTABLISHED_V4) || ly == L(INBOUND_IPPACKET_V4) ||
		    ly == L(OUTBOUND_IPPACKET_V4) || ly == L(INBOUND_TRANSPORT_V4) ||
		    ly == L(OUTBOUND_TRANSPORT_V4))
			assert_true(n->r[i].flags & WFP_CONDITION_FLAG_IS_LOOPBACK);
	}
	assert_int_equal(net_count(n, CLI, L(ALE_FLOW_ESTABLISHED_V4)), 2);
	net_free(n);
}

/* §10 items 1 and 2 through the stack: iis.exe accepts on port 80;
 * sublayer A (0x9000) permits the app, B (0x8000) blocks port 80. */
static void iis(bool hard)
{
	struct wfp_sock_owner owner = { .app = "/usr/sbin/iis" };
	struct wfp_filter_cond app = tu_cond_blob(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL,
						  "/usr/sbin/iis");
	struct wfp_filter_cond p80 = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 80);
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	struct tu *t = &n->t[SRV];
	struct wfp_guid a = tu_sublayer(t, 1, 0x9000), b = tu_sublayer(t, 2, 0x8000);
	uint64_t pa, pb;
	const struct rec *r;
	int l, c;

	pa = tu_filter(t, L(ALE_AUTH_RECV_ACCEPT_V4), &a, 1, WFP_ACTION_PERMIT,
		       hard ? WFP_FILTER_F_CLEAR_ACTION_RIGHT : 0, NULL, &app, 1);
	pb = tu_filter(t, L(ALE_AUTH_RECV_ACCEPT_V4), &b, 1, WFP_ACTION_BLOCK, 0, NULL, &p80, 1);
	l = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_TCP, &owner);
	wfp_sock_bind(n->h[SRV], l, NULL, 80);
	wfp_sock_listen(n->h[SRV], l);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	wfp_sock_connect(n->h[CLI], c, &sa, 80);
	net_run(n);
	r = net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4));
	assert_string_equal(r->app, "/usr/sbin/iis");
	if (hard) {
		assert_int_equal(r->action, WFP_ACTION_PERMIT);
		assert_int_equal(r->filter_id, pa);
		assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_ESTABLISHED);
	} else {
		assert_int_equal(r->action, WFP_ACTION_BLOCK);
		assert_int_equal(r->filter_id, pb);
		r = net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4_DISCARD));
		assert_int_equal(r->dmod, WFP_DISCARD_MODULE_GENERAL);
		assert_int_equal(r->dreason, WFP_DISCARD_FIREWALL_POLICY);
		assert_int_equal(r->dfilter, pb);
		assert_int_equal(wfp_layer_discard_twin(L(ALE_AUTH_RECV_ACCEPT_V4)), 45);
		assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_SYN_SENT);
		/* ... and a CLASSIFY_DROP net event with layerId 44 and B's id (§7.1) */
		{
			struct wfp_netevent *ev;
			struct wfp_layer_stats ls;
			size_t ne;

			assert_int_equal(wfp_netevent_enum(t->e, 0, &ev, &ne), 0);
			assert_int_equal(ne, 1);
			assert_int_equal(ev[0].type, WFP_NET_EVENT_CLASSIFY_DROP);
			assert_int_equal(ev[0].layer_id, 44);
			assert_int_equal(ev[0].filter_id, pb);
			assert_int_equal(ev[0].direction, WFP_MS_DIRECTION_IN);
			assert_int_equal(ev[0].local_port, 80);
			assert_int_equal(ev[0].ip_protocol, 6);
			assert_string_equal(ev[0].app_id, "/usr/sbin/iis");
			assert_int_equal(ev[0].remote_addr[0], 10); /* network order */
			assert_int_equal(ev[0].remote_addr[3], 1);
			wfp_free_memory(ev);
			assert_int_equal(wfp_layer_stats_get(t->e, L(ALE_AUTH_RECV_ACCEPT_V4), &ls), 0);
			assert_int_equal(ls.block, 1);
		}
	}
	net_free(n);
}

static void test_spec10_item1_block_overrides_soft_permit(void **state)
{
	iis(false);
}

static void test_spec10_item2_hard_permit(void **state)
{
	iis(true);
}

/* A listener that closes takes its unaccepted connections with it. */
static void test_listener_close(void **state)
{
	struct net *n = net_new();
	int c, l;

	c = net_tcp_connect(n, WFP_AF_INET, 80, NULL);
	l = 0; /* the server's first socket: the listener */
	assert_int_equal(wfp_sock_state(n->h[SRV], l), WFP_SOCK_LISTEN);
	assert_int_equal(wfp_host_stats(n->h[SRV])->sockets, 2);
	assert_int_equal(wfp_sock_close(n->h[SRV], l), 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->sockets, 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_ESTABLISHED);
	net_free(n);
}

/* Established connections do not expire unless a TCP idle timeout is set;
 * a half-closed one gets the short timeout. */
static void test_tcp_idle(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .tcp_idle_timeout_ms = 3600000,
				   .max_flows = 64 }; /* 64 buckets: one GC slice */
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	wfp_host_set_time(n->h[CLI], 24ull * 3600000);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 1), 1);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 1);
	/* the client closes; the server never does: the client's TCB goes */
	wfp_sock_close(n->h[CLI], c);
	net_run(n);
	wfp_host_set_time(n->h[CLI], 25ull * 3600000);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	net_free(n);

	n = net_new_opts(&o);
	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	wfp_host_set_time(n->h[CLI], 3599999);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 1);
	wfp_host_set_time(n->h[CLI], 3600000);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), -ETIMEDOUT);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_v4),
		cmocka_unit_test(test_handshake_v6),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_teardown),
		cmocka_unit_test(test_block_connect),
		cmocka_unit_test(test_block_listen_and_bind),
		cmocka_unit_test(test_block_redirect),
		cmocka_unit_test(test_block_recv_accept),
		cmocka_unit_test(test_block_packet_layers),
		cmocka_unit_test(test_block_stream),
		cmocka_unit_test(test_closed_port_rst),
		cmocka_unit_test(test_stealth_rst),
		cmocka_unit_test(test_absorb),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_spec10_item1_block_overrides_soft_permit),
		cmocka_unit_test(test_spec10_item2_hard_permit),
		cmocka_unit_test(test_listener_close),
		cmocka_unit_test(test_tcp_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
