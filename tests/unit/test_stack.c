/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c - the host object and the sim: addresses, socket-call
 * errors, the ephemeral port allocator, the SYN flood against a bounded
 * flow table (counted, never a crash), the GC on the virtual clock, and
 * sim scripts: runs, file:line errors, mutated scripts that must not crash.
 */
#include "stackutil.h"

#include <stdio.h>
#include <wfp/wfp_sim.h>

#define L(x) WFP_LAYER_##x

static void test_addresses(void **state)
{
	struct wfp_addr a, b;
	char buf[64];
	struct tu t;
	struct wfp_host *h;

	assert_int_equal(wfp_addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(a.family, WFP_AF_INET);
	assert_int_equal(a.v4, 0x0A010203);
	assert_string_equal(wfp_addr_format(&a, buf, sizeof(buf)), "10.1.2.3");
	assert_int_equal(wfp_addr_parse("fd00::2", &b), 0);
	assert_string_equal(wfp_addr_format(&b, buf, sizeof(buf)), "fd00::2");
	assert_int_equal(wfp_addr_parse("300.1.1.1", &a), -WFP_E_PARSE);
	assert_int_equal(wfp_addr_parse(NULL, &a), -WFP_E_PARSE);

	tu_open(&t);
	assert_null(wfp_host_new(NULL, NULL));
	h = wfp_host_new(t.e, NULL);
	assert_non_null(h);
	assert_string_equal(wfp_host_name(h), "host");
	assert_ptr_equal(wfp_host_engine(h), t.e);
	assert_int_equal(wfp_addr_parse("10.0.0.9", &a), 0);
	assert_int_equal(wfp_host_add_addr(h, &a), 0);
	assert_int_equal(wfp_host_add_addr(h, &a), -WFP_E_ALREADY_EXISTS);
	assert_true(wfp_host_is_local(h, &a));
	assert_int_equal(wfp_addr_parse("127.0.0.1", &a), 0);
	assert_true(wfp_host_is_local(h, &a));
	assert_int_equal(wfp_addr_parse("::1", &a), 0);
	assert_true(wfp_host_is_local(h, &a));
	assert_null(wfp_host_addr(h, WFP_AF_INET6));
	assert_int_equal(wfp_host_last_socket(h), -ENOTCONN);
	wfp_host_free(h);
	wfp_host_free(NULL);
	tu_close(&t);
}

static void test_socket_errors(void **state)
{
	struct net *n = net_new();
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET), s6 = net_addr(SRV, WFP_AF_INET6);
	struct wfp_addr other;
	int a, b;

	assert_int_equal(wfp_sock_open(n->h[CLI], 5, WFP_PROTO_TCP, NULL), -EAFNOSUPPORT);
	assert_int_equal(wfp_sock_open(n->h[CLI], WFP_AF_INET, 256, NULL), -EPROTONOSUPPORT);
	assert_int_equal(wfp_sock_bind(n->h[CLI], 1234, NULL, 1), -EBADF);
	a = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	b = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], a, NULL, 80), 0);
	assert_int_equal(wfp_sock_bind(n->h[CLI], a, NULL, 81), -EINVAL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], b, NULL, 80), -EADDRINUSE);
	assert_int_equal(wfp_sock_bind(n->h[CLI], b, &s6, 0), -EAFNOSUPPORT);
	assert_int_equal(wfp_addr_parse("10.9.9.9", &other), 0);
	assert_int_equal(wfp_sock_bind(n->h[CLI], b, &other, 0), -EADDRNOTAVAIL);
	assert_int_equal(wfp_sock_connect(n->h[CLI], b, &s6, 80), -EINVAL);
	assert_int_equal(wfp_sock_send(n->h[CLI], b, 1), -ENOTCONN);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], b, &sa, 1, 1), -EOPNOTSUPP);
	assert_int_equal(wfp_sock_accept(n->h[CLI], b), -EINVAL);
	assert_int_equal(wfp_sock_close(n->h[CLI], b), 0);
	assert_int_equal(wfp_sock_close(n->h[CLI], b), -EBADF);
	net_free(n);
}

/* Sequential, deterministic, skipping ports in use; exhaustion is an
 * error, not a hang. */
static void test_ephemeral_ports(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .eph_lo = 40000, .eph_hi = 40002 };
	struct net *n = net_new_opts(&o);
	int s[4];

	s[0] = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], s[0], NULL, 40001), 0);
	for (int i = 1; i < 4; i++)
		s[i] = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], s[1], NULL, 0), 0);
	assert_int_equal(wfp_sock_local_port(n->h[CLI], s[1]), 40000);
	assert_int_equal(wfp_sock_bind(n->h[CLI], s[2], NULL, 0), 0);
	assert_int_equal(wfp_sock_local_port(n->h[CLI], s[2]), 40002);
	assert_int_equal(wfp_sock_bind(n->h[CLI], s[3], NULL, 0), -EADDRINUSE);
	/* a TCP socket has its own port space */
	s[3] = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_TCP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[CLI], s[3], NULL, 0), 0);
	assert_int_equal(wfp_sock_local_port(n->h[CLI], s[3]), 40000);
	net_free(n);
}

/* The flow-table limit: 100k SYNs from distinct peers to listening and
 * closed ports of a host with room for 1024 flows.  The table stays at
 * its limit, every refused flow is counted, nothing crashes; the virtual
 * clock then drains the half-open flows in bounded slices. */
static void test_syn_flood(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .max_flows = 1024 };
	struct tu t;
	struct wfp_host *h;
	struct wfp_addr me;
	struct wfp_pkt p = { 0 };
	const struct wfp_host_stats *st;
	unsigned open = 0, closed = 0;
	uint64_t now = 0;

	tu_open(&t);
	h = wfp_host_new(t.e, &o);
	assert_non_null(h);
	assert_int_equal(wfp_addr_parse("10.0.0.2", &me), 0);
	wfp_host_add_addr(h, &me);
	for (uint16_t port = 1000; port < 1010; port++) {
		int l = wfp_sock_open(h, WFP_AF_INET, WFP_PROTO_TCP, NULL);

		assert_int_equal(wfp_sock_bind(h, l, NULL, port), 0);
		assert_int_equal(wfp_sock_listen(h, l), 0);
	}
	p.family = WFP_AF_INET;
	p.proto = WFP_PROTO_TCP;
	p.tcp_flags = WFP_TCP_SYN;
	p.dst = me;
	p.src.family = WFP_AF_INET;
	for (uint32_t i = 0; i < 100000; i++) {
		p.src.v4 = 0x0B000000 | (i >> 8);
		p.sport = (uint16_t)(1024 + (i & 0xff));
		p.dport = (uint16_t)(1000 + i % 20); /* half to closed ports */
		if (p.dport < 1010)
			open++;
		else
			closed++;
		wfp_host_receive(h, &p);
	}
	st = wfp_host_stats(h);
	assert_int_equal(st->flows, 1024);
	assert_int_equal(st->flows_peak, 1024);
	assert_int_equal(st->drops[WFP_DROP_FLOW_LIMIT], open - 1024);
	assert_int_equal(st->drops[WFP_DROP_NO_ENDPOINT], closed);
	assert_int_equal(st->flows_created, 1024);
	/* the idle timeout frees them, a bounded slice per tick */
	for (int s = 0; s < 200 && wfp_host_stats(h)->flows; s++) {
		now += 1000;
		wfp_host_set_time(h, now);
	}
	assert_int_equal(wfp_host_stats(h)->flows, 0);
	assert_int_equal(wfp_host_stats(h)->flows_expired, 1024);
	wfp_host_free(h);
	tu_close(&t);
}

/* ---- fragments (spec §2.5) ---- */

/* 8 + 3000 bytes of UDP in n fragments of `chunk` bytes, from the client. */
static unsigned send_frags(struct wfp_host *h, uint32_t id, uint32_t chunk, int skip)
{
	uint32_t ipp = 3008, nf = 0;

	for (uint32_t off = 0; off < ipp; off += chunk, nf++) {
		struct wfp_pkt f = { .family = WFP_AF_INET, .proto = WFP_PROTO_UDP };
		uint32_t len = ipp - off < chunk ? ipp - off : chunk;

		if ((int)nf == skip)
			continue;
		f.src = net_addr(CLI, WFP_AF_INET);
		f.dst = net_addr(SRV, WFP_AF_INET);
		f.sport = 40000;
		f.dport = 53;
		f.flags = WFP_PKT_F_FRAGMENT | (off + len < ipp ? WFP_PKT_F_MORE_FRAGS : 0);
		f.frag_off = (uint16_t)(off / 8);
		f.frag_len = (uint16_t)len;
		f.payload_len = off ? len : len - 8;
		f.ip_id = id;
		wfp_host_receive(h, &f);
	}
	return nf;
}

static void test_fragments(void **state)
{
	struct wfp_filter_cond nofrag = { .field = WFP_FIELD_FLAGS,
					  .match = WFP_MATCH_FLAGS_NONE_SET };
	struct wfp_filter_cond frag = nofrag;
	struct net *n = net_new();
	uint64_t id;
	int s;

	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	wfp_sock_bind(n->h[SRV], s, NULL, 53);
	net_clear(n);
	/* the documented example: 4 fragments -> 4 + 4 + 1 = 9 classifications */
	assert_int_equal(send_frags(n->h[SRV], 1, 760, -1), 4);
	assert_int_equal(net_count(n, SRV, L(INBOUND_IPPACKET_V4)), 9);
	assert_int_equal(net_count(n, SRV, L(INBOUND_TRANSPORT_V4)), 1);
	assert_int_equal(net_count(n, SRV, L(DATAGRAM_DATA_V4)), 1);
	assert_true(n->r[8].flags & WFP_CONDITION_FLAG_IS_REASSEMBLED);
	assert_true(n->r[1].flags & WFP_CONDITION_FLAG_IS_FRAGMENT);
	assert_false(n->r[0].flags & WFP_CONDITION_FLAG_IS_FRAGMENT);
	/* FLAGS NONE_SET IS_FRAGMENT matches all but the fragment group */
	nofrag.value.type = nofrag.value.v.type = WFP_UINT32;
	nofrag.value.v.u32 = WFP_CONDITION_FLAG_IS_FRAGMENT;
	id = net_filter(n, SRV, L(INBOUND_IPPACKET_V4), WFP_ACTION_PERMIT, &nofrag, 1);
	net_clear(n);
	send_frags(n->h[SRV], 2, 760, -1);
	assert_int_equal(net_count(n, SRV, L(INBOUND_IPPACKET_V4)), 9);
	for (unsigned i = 0; i < 9; i++)
		assert_int_equal(n->r[i].filter_id ? 1 : 0, (i % 2 == 0 || i == 8) ? 1 : 0);
	assert_int_equal(n->r[0].filter_id, id);
	/* a block of the fragment indication stops reassembly */
	frag = nofrag;
	frag.match = WFP_MATCH_FLAGS_ALL_SET;
	net_filter(n, SRV, L(INBOUND_IPPACKET_V4), WFP_ACTION_BLOCK, &frag, 1);
	net_clear(n);
	send_frags(n->h[SRV], 3, 760, -1);
	assert_int_equal(net_count(n, SRV, L(INBOUND_IPPACKET_V4_DISCARD)), 4);
	assert_int_equal(net_count(n, SRV, L(INBOUND_TRANSPORT_V4)), 0);
	net_free(n);
}

/* A missing fragment: nothing goes up; the slot times out; a table full of
 * incomplete datagrams drops and counts further fragments. */
static void test_fragments_incomplete(void **state)
{
	struct net *n = net_new();
	int s;

	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	wfp_sock_bind(n->h[SRV], s, NULL, 53);
	net_clear(n);
	send_frags(n->h[SRV], 7, 760, 2);
	assert_int_equal(net_count(n, SRV, L(INBOUND_IPPACKET_V4)), 6);
	assert_int_equal(net_count(n, SRV, L(INBOUND_TRANSPORT_V4)), 0);
	for (uint32_t id = 100; id < 100 + 64; id++)
		send_frags(n->h[SRV], id, 760, 3); /* 64 more incomplete: full */
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_FRAGMENT], 3);
	/* after the idle timeout the slots are free again */
	wfp_host_set_time(n->h[SRV], 60000);
	net_clear(n);
	send_frags(n->h[SRV], 500, 760, -1);
	assert_int_equal(net_count(n, SRV, L(INBOUND_TRANSPORT_V4)), 1);
	net_free(n);
}

/* ---- observer mode (replay, daemon) ---- */

static int nginx_on_80(struct wfp_host *h, int proto, const struct wfp_addr *laddr,
		       uint16_t lport, struct wfp_sock_owner *o, void *ctx)
{
	unsigned *asked = ctx;

	(*asked)++;
	if (lport != 80 && lport != 53)
		return 0;
	o->app = "/usr/sbin/nginx";
	o->has_user = 1;
	o->uid = 33;
	return 1;
}

static struct wfp_pkt tcp_pkt(int from, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct wfp_pkt p = { .family = WFP_AF_INET, .proto = WFP_PROTO_TCP };

	p.src = net_addr(from, WFP_AF_INET);
	p.dst = net_addr(!from, WFP_AF_INET);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	return p;
}

/* The server is an observer: its real stack answers; the model classifies
 * what it sees in both directions, in the §2.1 server order. */
static void test_observer_server(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = WFP_HOST_F_OBSERVER };
	static const unsigned srv[] = {
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_AUTH_RECV_ACCEPT_V4),
		L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4),
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_FLOW_ESTABLISHED_V4),
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(STREAM_V4),
		L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4) };
	struct net *n = net_new_opts(&o);
	struct wfp_pkt p;
	unsigned asked = 0;

	wfp_host_set_endpoint_lookup(n->h[SRV], nginx_on_80, &asked);
	p = tcp_pkt(CLI, 40000, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	assert_int_equal(n->qlen, 0); /* no SYN-ACK of its own */
	assert_int_equal(asked, 1);
	assert_string_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->app, "/usr/sbin/nginx");
	assert_int_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->uid, 33);
	p = tcp_pkt(SRV, 80, 40000, WFP_TCP_SYN | WFP_TCP_ACK);
	assert_int_equal(wfp_host_send(n->h[SRV], &p), 0);
	p = tcp_pkt(CLI, 40000, 80, WFP_TCP_ACK);
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	p = tcp_pkt(CLI, 40000, 80, WFP_TCP_ACK | WFP_TCP_PSH);
	p.payload_len = 100;
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	p = tcp_pkt(SRV, 80, 40000, WFP_TCP_RST);
	assert_int_equal(wfp_host_send(n->h[SRV], &p), 0);
	net_expect(n, SRV, srv, 13);
	/* the implicit listener stays, the connection's socket went with it */
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->sockets, 1);
	/* a known listener is not asked about again */
	p = tcp_pkt(CLI, 40001, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	assert_int_equal(asked, 1);
	net_free(n);
}

/* An observed SYN is an active open: CONNECT_REDIRECT, AUTH_CONNECT, then
 * the SYN's layers; a block at AUTH_CONNECT refuses it. */
static void test_observer_client(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = WFP_HOST_F_OBSERVER };
	static const unsigned cli[] = {
		L(ALE_CONNECT_REDIRECT_V4), L(ALE_AUTH_CONNECT_V4), L(OUTBOUND_TRANSPORT_V4),
		L(OUTBOUND_IPPACKET_V4), L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
		L(ALE_FLOW_ESTABLISHED_V4), L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4) };
	struct wfp_filter_cond p23 = tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 23);
	struct net *n = net_new_opts(&o);
	struct wfp_pkt p;

	p = tcp_pkt(CLI, 50000, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_host_send(n->h[CLI], &p), 0);
	p = tcp_pkt(SRV, 80, 50000, WFP_TCP_SYN | WFP_TCP_ACK);
	assert_int_equal(wfp_host_receive(n->h[CLI], &p), 0);
	p = tcp_pkt(CLI, 50000, 80, WFP_TCP_ACK);
	assert_int_equal(wfp_host_send(n->h[CLI], &p), 0);
	net_expect(n, CLI, cli, 9);
	assert_int_equal(net_find(n, CLI, L(ALE_AUTH_CONNECT_V4))->lport, 50000);
	net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, &p23, 1);
	p = tcp_pkt(CLI, 50001, 23, WFP_TCP_SYN);
	assert_int_equal(wfp_host_send(n->h[CLI], &p), -EACCES);
	assert_int_equal(wfp_host_stats(n->h[CLI])->sockets, 1); /* the refused one is gone */
	/* the established flow is reauthorised on its next packet: permitted */
	p = tcp_pkt(CLI, 50000, 80, WFP_TCP_ACK | WFP_TCP_FIN);
	assert_int_equal(wfp_host_send(n->h[CLI], &p), 0);
	assert_true(n->r[n->n - 3].flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE);
	p = tcp_pkt(SRV, 80, 50000, WFP_TCP_ACK | WFP_TCP_FIN);
	assert_int_equal(wfp_host_receive(n->h[CLI], &p), 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->sockets, 0);
	net_free(n);
}

/* Stealth for an observer: the real stack's RST / port unreachable is
 * refused when the discard layer blocked the packet it answers. */
static void test_observer_stealth(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = WFP_HOST_F_OBSERVER };
	struct wfp_filter_cond t3 = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 3);
	struct net *n = net_new_opts(&o);
	struct wfp_pkt p, e = { .family = WFP_AF_INET, .proto = WFP_PROTO_ICMP };
	unsigned asked = 0;

	wfp_host_set_endpoint_lookup(n->h[SRV], nginx_on_80, &asked);
	/* no filter: the RST passes OUTBOUND_TRANSPORT and OUTBOUND_IPPACKET */
	p = tcp_pkt(CLI, 40000, 81, WFP_TCP_SYN);
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), -ECONNREFUSED);
	p = tcp_pkt(SRV, 81, 40000, WFP_TCP_RST | WFP_TCP_ACK);
	assert_int_equal(wfp_host_send(n->h[SRV], &p), 0);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_IPPACKET_V4)), 1);
	/* with the stealth filter: refused */
	net_filter(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD), WFP_ACTION_BLOCK, NULL, 0);
	p = tcp_pkt(CLI, 40001, 81, WFP_TCP_SYN);
	wfp_host_receive(n->h[SRV], &p);
	p = tcp_pkt(SRV, 81, 40001, WFP_TCP_RST | WFP_TCP_ACK);
	assert_int_equal(wfp_host_send(n->h[SRV], &p), -EACCES);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_IPPACKET_V4)), 1);
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_STEALTH], 1);
	/* UDP: the real ICMP error passes OUTBOUND_ICMP_ERROR ... */
	p = tcp_pkt(CLI, 40002, 9999, 0);
	p.proto = WFP_PROTO_UDP;
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), -ECONNREFUSED);
	e.src = p.dst;
	e.dst = p.src;
	e.icmp_type = 3;
	e.icmp_code = 3;
	e.flags = WFP_PKT_F_EMBEDDED;
	e.emb.proto = WFP_PROTO_UDP;
	e.emb.src = p.src;
	e.emb.dst = p.dst;
	e.emb.sport = p.sport;
	e.emb.dport = p.dport;
	assert_int_equal(wfp_host_send(n->h[SRV], &e), 0);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_ICMP_ERROR_V4)), 1);
	/* ... unless blocked there (the MSDN filter) */
	net_filter(n, SRV, L(OUTBOUND_ICMP_ERROR_V4), WFP_ACTION_BLOCK, &t3, 1);
	assert_int_equal(wfp_host_send(n->h[SRV], &e), -EACCES);
	/* or at INBOUND_IPPACKET_DISCARD, remembered for the real error */
	net_filter(n, SRV, L(INBOUND_IPPACKET_V4_DISCARD), WFP_ACTION_BLOCK, NULL, 0);
	p.sport = 40003;
	e.dport = e.emb.sport = 40003;
	wfp_host_receive(n->h[SRV], &p);
	net_clear(n);
	assert_int_equal(wfp_host_send(n->h[SRV], &e), -EACCES);
	assert_int_equal(n->n, 0); /* refused before any layer */
	/* UDP to port 53: the endpoint callback knows a socket there */
	p.dport = 53;
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	assert_string_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->app, "/usr/sbin/nginx");
	net_free(n);
}


/* ---- inline observer (the daemon): ALL_LOCAL, INLINE, the flow API ---- */

#define INLINE_FLAGS (WFP_HOST_F_OBSERVER | WFP_HOST_F_ALL_LOCAL | WFP_HOST_F_INLINE)

struct listening {
	unsigned asked;
	bool on;        /* a listener on port 80 */
	const char *app;
};

static int maybe_80(struct wfp_host *h, int proto, const struct wfp_addr *laddr,
		    uint16_t lport, struct wfp_sock_owner *o, void *ctx)
{
	struct listening *ls = ctx;

	ls->asked++;
	o->app = ls->app;
	o->has_user = 1;
	o->uid = 1000;
	/* port 80: a listener while on; ports from 1024: connected sockets */
	return (lport == 80 && ls->on) || lport >= 1024;
}

static struct wfp_pkt addr_pkt(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			       uint16_t dport, uint8_t flags)
{
	struct wfp_pkt p = { .proto = proto, .tcp_flags = flags, .sport = sport,
			     .dport = dport };

	assert_int_equal(wfp_addr_parse(src, &p.src), 0);
	assert_int_equal(wfp_addr_parse(dst, &p.dst), 0);
	p.family = p.src.family;
	return p;
}

/* Any address is ours; IS_LOOPBACK only between a host and itself; a
 * stealth block drops the SYN (-EACCES) and leaves no marker behind; a
 * known implicit listener is asked about again, and goes when it is gone. */
static void test_inline_stealth_listener(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = INLINE_FLAGS, .max_flows = 64 };
	struct listening ls = { .on = true, .app = "/usr/bin/httpd" };
	struct net *n = net_new_opts(&o);
	struct wfp_host *h = n->h[SRV];
	struct wfp_flow_info fi;
	struct wfp_pkt p;

	wfp_host_set_endpoint_lookup(h, maybe_80, &ls);
	/* 192.0.2.7 is on no address list: received all the same */
	p = addr_pkt("198.51.100.1", "192.0.2.7", WFP_PROTO_TCP, 40000, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_host_receive(h, &p), 0);
	assert_int_equal(net_find(n, SRV, L(INBOUND_IPPACKET_V4))->flags &
			 WFP_CONDITION_FLAG_IS_LOOPBACK, 0);
	assert_string_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->app, "/usr/bin/httpd");
	assert_int_equal(ls.asked, 1);
	/* a second connection asks again (the inline host trusts no cache),
	 * and sees the new owner */
	ls.app = "/usr/sbin/nginx";
	net_clear(n);
	p.sport = 40001;
	assert_int_equal(wfp_host_receive(h, &p), 0);
	assert_int_equal(ls.asked, 2);
	assert_string_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->app, "/usr/sbin/nginx");
	assert_int_equal(wfp_host_stats(h)->sockets, 1);
	/* the listener closed: no endpoint; the implicit socket stays, closed,
	 * as long as the two half-open flows it owns */
	ls.on = false;
	p.sport = 40002;
	assert_int_equal(wfp_host_receive(h, &p), -ECONNREFUSED);
	assert_int_equal(wfp_host_stats(h)->sockets, 1);
	p.sport = 40001;
	assert_int_equal(wfp_host_flow_find(h, &p, 0, &fi), 0);
	assert_string_equal(fi.app, "/usr/sbin/nginx");
	/* stealth: dropped on the way in, nothing remembered */
	net_filter(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD), WFP_ACTION_BLOCK, NULL, 0);
	p.sport = 40003;
	assert_int_equal(wfp_host_receive(h, &p), -EACCES);
	assert_int_equal(wfp_host_stats(h)->drops[WFP_DROP_STEALTH], 1);
	assert_int_equal(wfp_host_stats(h)->flows, 2); /* the two half-open ones */
	/* UDP likewise at the IP packet discard layer */
	net_filter(n, SRV, L(INBOUND_IPPACKET_V4_DISCARD), WFP_ACTION_BLOCK, NULL, 0);
	p = addr_pkt("198.51.100.1", "192.0.2.7", WFP_PROTO_UDP, 40000, 9, 0);
	assert_int_equal(wfp_host_receive(h, &p), -EACCES);
	assert_int_equal(wfp_host_stats(h)->drops[WFP_DROP_STEALTH], 2);
	assert_int_equal(wfp_host_stats(h)->flows, 2);
	/* a packet from ourselves to ourselves is loopback */
	net_clear(n);
	p = addr_pkt("192.0.2.7", "192.0.2.7", WFP_PROTO_UDP, 40000, 9, 0);
	wfp_host_receive(h, &p);
	assert_true(net_find(n, SRV, L(INBOUND_IPPACKET_V4))->flags &
		    WFP_CONDITION_FLAG_IS_LOOPBACK);
	/* the half-open flows idle out: the closed listener goes with them */
	wfp_host_set_time(h, 600000);
	assert_int_equal(wfp_host_stats(h)->flows, 0);
	assert_int_equal(wfp_host_stats(h)->sockets, 0);
	net_free(n);
}

struct seen {
	unsigned n, offloaded, inbound;
	struct wfp_flow_info last;
};

static void count_flow(const struct wfp_flow_info *fi, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	s->offloaded += fi->offloaded;
	s->inbound += fi->inbound;
	s->last = *fi;
}

/* find / offload / foreach; an offloaded flow is forgotten first when the
 * table is full, a flow still on the packet path never is. */
static void test_flow_offload_evict(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = INLINE_FLAGS, .max_flows = 4 };
	struct listening ls = { .on = true, .app = "/usr/bin/httpd" };
	struct net *n = net_new_opts(&o);
	struct wfp_host *h = n->h[CLI];
	struct wfp_flow_info fi;
	struct seen seen = { 0 };
	struct wfp_pkt p, a;

	wfp_host_set_endpoint_lookup(h, maybe_80, &ls);
	p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_TCP, 50000, 443, WFP_TCP_SYN);
	assert_int_equal(wfp_host_flow_find(h, &p, 1, &fi), -ENOENT);
	assert_int_equal(wfp_host_send(h, &p), 0);
	assert_int_equal(wfp_host_flow_find(h, &p, 1, &fi), 0);
	assert_int_equal(fi.state, WFP_FLOW_INFO_SYN_SENT);
	assert_int_equal(fi.lport, 50000);
	assert_int_equal(fi.rport, 443);
	assert_int_equal(fi.inbound, 0);
	assert_int_equal(fi.auth_layer, L(ALE_AUTH_CONNECT_V4));
	assert_string_equal(fi.app, "/usr/bin/httpd");
	assert_int_equal(fi.uid, 1000);
	/* the SYN-ACK, seen from the other side, finds the same flow */
	a = addr_pkt("10.0.0.2", "10.0.0.1", WFP_PROTO_TCP, 443, 50000,
		     WFP_TCP_SYN | WFP_TCP_ACK);
	assert_int_equal(wfp_host_flow_find(h, &a, 0, NULL), 0);
	/* offloaded in its handshake: established without FLOW_ESTABLISHED */
	net_clear(n);
	assert_int_equal(wfp_host_flow_offload(h, &p, 1), 0);
	assert_int_equal(n->n, 0);
	assert_int_equal(wfp_host_flow_find(h, &p, 1, &fi), 0);
	assert_int_equal(fi.state, WFP_FLOW_INFO_ESTABLISHED);
	assert_true(fi.offloaded);
	/* three more flows, not offloaded: the table (4) is full */
	for (uint16_t port = 1; port <= 3; port++) {
		p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_UDP, 5000, port, 0);
		assert_int_equal(wfp_host_send(h, &p), 0);
	}
	wfp_host_flow_foreach(h, count_flow, &seen);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.offloaded, 1);
	/* a fifth flow: the offloaded one makes room */
	p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_UDP, 5000, 4, 0);
	assert_int_equal(wfp_host_send(h, &p), 0);
	assert_int_equal(wfp_host_stats(h)->flows_evicted, 1);
	p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_TCP, 50000, 443, WFP_TCP_ACK);
	assert_int_equal(wfp_host_flow_find(h, &p, 1, NULL), -ENOENT);
	/* a sixth: nothing may go, refused (fail closed) */
	p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_UDP, 5000, 5, 0);
	assert_int_equal(wfp_host_send(h, &p), -ENOBUFS);
	assert_int_equal(wfp_host_stats(h)->drops[WFP_DROP_FLOW_LIMIT], 1);
	/* one implicit UDP socket for the four flows of port 5000 */
	assert_int_equal(wfp_host_stats(h)->sockets, 1);
	assert_int_equal(wfp_host_flow_offload(h, &p, 1), -ENOENT);
	net_free(n);
}

/* A connection older than the host: seeded from its first packet, then
 * reauthorized by that packet at the layer of whoever opened it. */
static void test_flow_seed(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = INLINE_FLAGS };
	struct listening ls = { .on = true, .app = "/usr/bin/httpd" };
	struct wfp_filter_cond p22 = tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 22);
	static const unsigned seq[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
					L(ALE_AUTH_RECV_ACCEPT_V4), L(STREAM_V4) };
	struct net *n = net_new_opts(&o);
	struct wfp_host *h = n->h[SRV];
	struct wfp_flow_info fi;
	struct wfp_pkt p, e;

	wfp_host_set_endpoint_lookup(h, maybe_80, &ls);
	/* mid-stream data of a connection a peer opened to our port 80 */
	p = addr_pkt("198.51.100.1", "10.0.0.2", WFP_PROTO_TCP, 40000, 80,
		     WFP_TCP_ACK | WFP_TCP_PSH);
	p.payload_len = 100;
	assert_int_equal(wfp_host_flow_seed(h, &p, 0, 1), 0);
	assert_int_equal(wfp_host_flow_seed(h, &p, 0, 1), -EEXIST);
	assert_int_equal(n->n, 0); /* seeding classifies nothing */
	assert_int_equal(wfp_host_flow_find(h, &p, 0, &fi), 0);
	assert_int_equal(fi.state, WFP_FLOW_INFO_ESTABLISHED);
	assert_true(fi.inbound);
	assert_int_equal(wfp_host_receive(h, &p), 0);
	net_expect(n, SRV, seq, 4);
	assert_true(n->r[2].tflags & WFP_TRACE_F_REAUTH);
	assert_int_equal(n->r[2].reauth, WFP_REAUTH_POLICY_CHANGE);
	assert_string_equal(n->r[2].app, "/usr/bin/httpd");
	/* once: the next segment is not reauthorized */
	net_clear(n);
	assert_int_equal(wfp_host_receive(h, &p), 0);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	/* our own connection to port 22, now blocked: the reauthorization
	 * of its next packet drops it and ends the flow */
	net_filter(n, SRV, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, &p22, 1);
	p = addr_pkt("10.0.0.2", "198.51.100.1", WFP_PROTO_TCP, 41000, 22, WFP_TCP_ACK);
	assert_int_equal(wfp_host_flow_seed(h, &p, 1, 0), 0);
	net_clear(n);
	assert_int_equal(wfp_host_send(h, &p), -EACCES);
	assert_true(net_find(n, SRV, L(ALE_AUTH_CONNECT_V4))->tflags & WFP_TRACE_F_REAUTH);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_CONNECT_V4_DISCARD)), 1);
	assert_int_equal(wfp_host_flow_find(h, &p, 1, NULL), -ENOENT);
	/* UDP and ICMP echo flows; ICMP errors have none */
	p = addr_pkt("198.51.100.1", "10.0.0.2", WFP_PROTO_UDP, 5353, 5353, 0);
	assert_int_equal(wfp_host_flow_seed(h, &p, 0, 0), 0);
	assert_int_equal(wfp_host_receive(h, &p), 0);
	e = addr_pkt("198.51.100.1", "10.0.0.2", WFP_PROTO_ICMP, 0, 0, 0);
	e.icmp_type = 0; /* echo reply to our ping */
	e.icmp_id = 7;
	assert_int_equal(wfp_host_flow_seed(h, &e, 0, 0), 0);
	e.icmp_type = 8; /* our next request belongs to the same flow */
	e.src = p.dst;
	e.dst = p.src;
	assert_int_equal(wfp_host_flow_seed(h, &e, 1, 0), -EEXIST);
	e.icmp_type = 3;
	assert_int_equal(wfp_host_flow_seed(h, &e, 1, 0), -ENOENT);
	e.family = 9;
	assert_int_equal(wfp_host_flow_seed(h, &e, 1, 0), -EINVAL);
	net_free(n);
}

/* A port reused for a new connection while the old flow lingers (its end
 * was never seen): the SYN is authorised afresh; datagram sockets of an
 * inline host die with their last flow. */
static void test_inline_reuse_and_sockets(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = INLINE_FLAGS, .idle_timeout_ms = 1000,
				   .max_flows = 256 };
	struct listening ls = { .on = true };
	struct net *n = net_new_opts(&o);
	struct wfp_host *h = n->h[CLI];
	struct wfp_pkt p;

	wfp_host_set_endpoint_lookup(h, maybe_80, &ls);
	p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_TCP, 50000, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_host_send(h, &p), 0);
	assert_int_equal(wfp_host_flow_offload(h, &p, 1), 0);
	net_clear(n);
	assert_int_equal(wfp_host_send(h, &p), 0);
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_CONNECT_V4)), 1);
	assert_int_equal(wfp_host_stats(h)->flows, 1);
	assert_int_equal(wfp_host_stats(h)->sockets, 1);
	for (uint16_t port = 1; port <= 100; port++) {
		p = addr_pkt("10.0.0.1", "10.0.0.2", WFP_PROTO_UDP, 20000 + port, 53, 0);
		assert_int_equal(wfp_host_send(h, &p), 0);
	}
	assert_int_equal(wfp_host_stats(h)->sockets, 101);
	wfp_host_set_time(h, 60000); /* every flow idles out */
	assert_int_equal(wfp_host_stats(h)->flows, 0);
	assert_int_equal(wfp_host_stats(h)->sockets, 0);
	net_free(n);
}

/* ---- sim ---- */

struct counter {
	unsigned n;
	unsigned layer_count[WFP_LAYER_MAX];
};

/* Forwarding (spec §8.3): IPFORWARD once per packet, nothing else; a
 * block re-indicates at the discard twin and is a FORWARD net event. */
static void test_forward(void **state)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .flags = INLINE_FLAGS };
	struct net *n = net_new_opts(&o);
	struct wfp_pkt p = addr_pkt("10.1.0.1", "10.2.0.2", WFP_PROTO_TCP, 40000, 80, WFP_TCP_SYN);
	struct wfp_pkt q = addr_pkt("fd01::1", "fd02::2", WFP_PROTO_UDP, 5353, 53, 0);
	struct wfp_filter_cond in7 = { .field = WFP_FIELD_SOURCE_INTERFACE_INDEX,
				       .match = WFP_MATCH_EQUAL };
	struct wfp_netevent *ev;
	size_t ne;
	uint64_t id;

	(void)state;
	in7.value.type = in7.value.v.type = WFP_UINT32;
	in7.value.v.u32 = 7;
	/* no filter: forwarded, one classification at IPFORWARD_V4 only */
	assert_int_equal(wfp_host_forward(n->h[SRV], &p, 7, 8), 0);
	assert_int_equal(n->n, 1);
	assert_int_equal(n->r[0].layer, L(IPFORWARD_V4));
	assert_int_equal(wfp_host_forward(n->h[SRV], &q, 7, 8), 0);
	assert_int_equal(n->r[1].layer, L(IPFORWARD_V6));
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0); /* no ALE flow */
	/* a filter on the arrival interface: 7 blocked, 9 not */
	id = net_filter(n, SRV, L(IPFORWARD_V4), WFP_ACTION_BLOCK, &in7, 1);
	net_clear(n);
	assert_int_equal(wfp_host_forward(n->h[SRV], &p, 7, 8), -EACCES);
	assert_int_equal(n->n, 2);
	assert_int_equal(n->r[0].filter_id, id);
	assert_int_equal(n->r[1].layer, L(IPFORWARD_V4_DISCARD));
	assert_int_equal(n->r[1].dfilter, id);
	assert_int_equal(wfp_host_forward(n->h[SRV], &p, 9, 8), 0);
	assert_int_equal(wfp_host_forward(n->h[SRV], &q, 7, 8), 0); /* V6: other layer */
	assert_int_equal(wfp_netevent_enum(n->t[SRV].e, 0, &ev, &ne), 0);
	assert_int_equal(ne, 1);
	assert_int_equal(ev[0].direction, WFP_MS_DIRECTION_FORWARD);
	assert_int_equal(ev[0].layer_id, L(IPFORWARD_V4));
	assert_int_equal(ev[0].filter_id, id);
	assert_int_equal(ev[0].remote_addr[3], 2); /* 10.2.0.2 */
	wfp_free_memory(ev);
	/* malformed: refused, counted */
	p.family = 9;
	assert_int_equal(wfp_host_forward(n->h[SRV], &p, 7, 8), -EINVAL);
	net_free(n);
}

static void count_trace(const struct wfp_trace_rec *r, void *ctx)
{
	struct counter *c = ctx;

	c->n++;
	c->layer_count[r->layer]++;
}

static int sim_run(const char *text, struct counter *c, struct wfp_sim_error *err)
{
	struct wfp_sim *s = wfp_sim_new();
	int ret;

	assert_non_null(s);
	memset(err, 0, sizeof(*err));
	ret = wfp_sim_load_string(s, text, strlen(text), "t.sim", NULL, err);
	if (!ret) {
		wfp_sim_set_trace(s, count_trace, c);
		ret = wfp_sim_run(s, err);
	}
	wfp_sim_free(s);
	return ret;
}

static void test_sim_runs(void **state)
{
	struct counter c = { 0 };
	struct wfp_sim_error err;

	assert_int_equal(sim_run("host a 10.0.0.1 fd00::1\nhost b 10.0.0.2 fd00::2\n"
				 "b tcp listen 80\na tcp connect b 80\n"
				 "a send 10\nb send 10\na close\nb close\n"
				 "b udp -6 bind 53\na udp -6 send b 53 1 app \"/a b/c\" user root\n"
				 "a icmp echo b\nadvance 61\nadvance 500ms\n"
				 "filter a ALE_AUTH_CONNECT_V4 block weight 3 where "
				 "IP_REMOTE_ADDRESS == 10.0.0.0/8 and FLAGS none loopback|reauthorize\n"
				 "a tcp connect b 80 # blocked\n", &c, &err), 0);
	assert_int_equal(c.layer_count[L(ALE_AUTH_CONNECT_V4)], 3);
	assert_int_equal(c.layer_count[L(ALE_AUTH_CONNECT_V4_DISCARD)], 1);
	assert_int_equal(c.layer_count[WFP_LAYER_ALE_AUTH_CONNECT_V6], 1);
	assert_true(c.n > 80);
}

/* Errors name file and line and run nothing. */
static void test_sim_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} bad[] = {
		{ "host a 10.0.0.1\nb tcp listen 80\n", 2, "unknown command or host 'b'" },
		{ "host a 10.0.0.1\nhost a 10.0.0.2\n", 2, "already declared" },
		{ "host a 10.0.0.1\nhost b 10.0.0.1\n", 2, "already taken" },
		{ "host a 10.0.0.1\na tcp listen 0\n", 2, "bad port" },
		{ "host a 10.0.0.1\na tcp listen 70000\n", 2, "bad port" },
		{ "host a 10.0.0.1\na tcp -6 listen 80\n", 2, "no IPv6 address" },
		{ "host a 10.0.0.1\nfilter a NOPE block\n", 2, "unknown layer" },
		{ "host a 10.0.0.1\nfilter a STREAM_V4 block where ALE_APP_ID == x\n", 2,
		  "not available at layer" },
		{ "host a 10.0.0.1\nfilter a STREAM_V4 block where IP_LOCAL_PORT == 99999\n", 2,
		  "bad value" },
		{ "host a 10.0.0.1\nfilter a STREAM_V4 block where IP_LOCAL_ADDRESS == fd00::1\n",
		  2, "not an IPv4 address" },
		{ "host a 10.0.0.1\n\n\na udp send a 53 1 app \"unterminated\n", 4,
		  "unterminated quote" },
		{ "host a 10.0.0.1\na frobnicate\n", 2, "expected tcp" },
		{ "host a 10.0.0.1\na send\n", 2, "usage" },
		{ "advance 5 years\n", 1, "usage" },
		{ "policy nobody x.wfp\n", 1, "unknown host" },
		{ "host 1.2 10.0.0.1 10.0.0.2\n", 1, "two addresses" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct counter c = { 0 };
		struct wfp_sim_error err;

		assert_int_equal(sim_run(bad[i].text, &c, &err), -WFP_E_PARSE);
		assert_string_equal(err.file, "t.sim");
		if (err.line != bad[i].line || !strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: got %u: %s", i, err.line, err.msg);
		assert_int_equal(c.n, 0);
	}
}

/* Mutated scripts: random bytes replaced, lines cut and swapped.  Any
 * outcome is fine except a crash or a hang. */
static void test_sim_mutations(void **state)
{
	static const char base[] =
		"host client 10.0.0.1 fd00::1\nhost server 10.0.0.2 fd00::2\n"
		"filter server ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80\n"
		"server tcp listen 80 app /x user 5\nclient tcp connect server 80\n"
		"client send 100\nserver send 20\nclient close\nserver udp bind 53\n"
		"client udp -6 send server 53 40\nclient icmp echo server\nadvance 61\n";
	static const char alphabet[] = " \n\"#-0123456789abcdefghijklmnopqrstuvwxyz.:/=<>!";
	unsigned seed = 4242;
	char buf[sizeof(base)];

	for (int it = 0; it < 3000; it++) {
		struct counter c = { 0 };
		struct wfp_sim_error err;
		int edits;

		memcpy(buf, base, sizeof(base));
		seed = seed * 1103515245u + 12345u;
		edits = 1 + (int)((seed >> 16) % 4);
		for (int e = 0; e < edits; e++) {
			size_t at;

			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % (sizeof(base) - 1);
			buf[at] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		sim_run(buf, &c, &err);
	}
}

static void test_sim_file(void **state)
{
	struct wfp_sim *s = wfp_sim_new();
	struct wfp_sim_error err = { 0 };

	assert_int_equal(wfp_sim_load_file(s, "/nonexistent/x.sim", &err), -WFP_E_IO);
	assert_string_equal(err.file, "/nonexistent/x.sim");
	assert_int_equal(wfp_sim_load_string(s, "host a 10.0.0.1\nhost b 10.0.0.2\n",
					     32, "x", NULL, &err), 0);
	assert_int_equal(wfp_sim_name_width(s), 4);
	assert_int_equal(wfp_sim_run(s, &err), 0);
	assert_int_equal(wfp_sim_host_count(s), 2);
	assert_non_null(wfp_sim_host(s, 1));
	assert_null(wfp_sim_host(s, 2));
	assert_int_equal(wfp_sim_run(s, &err), -WFP_E_INVAL); /* once */
	wfp_sim_free(s);
	wfp_sim_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_socket_errors),
		cmocka_unit_test(test_ephemeral_ports),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_fragments_incomplete),
		cmocka_unit_test(test_observer_server),
		cmocka_unit_test(test_observer_client),
		cmocka_unit_test(test_observer_stealth),
		cmocka_unit_test(test_inline_stealth_listener),
		cmocka_unit_test(test_flow_offload_evict),
		cmocka_unit_test(test_flow_seed),
		cmocka_unit_test(test_inline_reuse_and_sockets),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_sim_runs),
		cmocka_unit_test(test_sim_errors),
		cmocka_unit_test(test_sim_mutations),
		cmocka_unit_test(test_sim_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
