/* SPDX-License-Identifier: MIT */
/*
 * test_stack_udp.c - UDP in the stack model: spec §2.2 sequences, §10
 * item 11 (ALE once per flow), the closed-port ICMP error and its two
 * stealth suppressions (§2.2, §3.8, §10 item 14), the idle timeout on the
 * virtual clock (§3.1), and flows dying with their socket.
 */
#include "stackutil.h"

#define L(x) WFP_LAYER_##x

static int udp_sock(struct net *n, int host, int fam, uint16_t port)
{
	int s = wfp_sock_open(n->h[host], fam, WFP_PROTO_UDP, NULL);

	assert_true(s >= 0);
	if (port)
		assert_int_equal(wfp_sock_bind(n->h[host], s, NULL, port), 0);
	return s;
}

static void first_datagram(int fam)
{
	static const unsigned cli[] = {
		L(ALE_BIND_REDIRECT_V4), L(ALE_RESOURCE_ASSIGNMENT_V4),
		L(ALE_CONNECT_REDIRECT_V4), L(ALE_AUTH_CONNECT_V4), L(ALE_FLOW_ESTABLISHED_V4),
		L(DATAGRAM_DATA_V4), L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4) };
	static const unsigned srv[] = {
		L(ALE_BIND_REDIRECT_V4), L(ALE_RESOURCE_ASSIGNMENT_V4),
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_AUTH_RECV_ACCEPT_V4),
		L(ALE_FLOW_ESTABLISHED_V4), L(DATAGRAM_DATA_V4) };
	struct wfp_addr sa = net_addr(SRV, fam);
	struct net *n = net_new();
	unsigned x[8];
	int c;

	udp_sock(n, SRV, fam, 53);
	c = udp_sock(n, CLI, fam, 0);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 53, 40), 40);
	net_run(n);
	for (unsigned i = 0; i < 8; i++)
		x[i] = fam_layer(fam, cli[i]);
	net_expect(n, CLI, x, 8);
	for (unsigned i = 0; i < 7; i++)
		x[i] = fam_layer(fam, srv[i]);
	net_expect(n, SRV, x, 7);
	/* the send side's ALE layers precede DATAGRAM_DATA; FLOW_ESTABLISHED
	 * directly follows the AUTH layer (§2.2 asymmetry note) */
	assert_int_equal(net_find(n, CLI, fam_layer(fam, L(ALE_FLOW_ESTABLISHED_V4)))->dir,
			 WFP_DIRECTION_OUTBOUND);
	assert_int_equal(net_find(n, SRV, fam_layer(fam, L(ALE_FLOW_ESTABLISHED_V4)))->dir,
			 WFP_DIRECTION_INBOUND);
	assert_int_equal(net_find(n, SRV, fam_layer(fam, L(ALE_AUTH_RECV_ACCEPT_V4)))->proto, 17);
	net_free(n);
}

static void test_first_datagram_v4(void **state)
{
	first_datagram(WFP_AF_INET);
}

static void test_first_datagram_v6(void **state)
{
	first_datagram(WFP_AF_INET6);
}

/* §10 item 11, word for word. */
static void test_ale_once_per_flow(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id = net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_PERMIT, NULL, 0);
	int c, s;

	s = udp_sock(n, SRV, WFP_AF_INET, 53);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 53, 40), 40);
		net_run(n);
	}
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_CONNECT_V4)), 1);
	assert_int_equal(net_find(n, CLI, L(ALE_AUTH_CONNECT_V4))->filter_id, id);
	assert_int_equal(net_count(n, CLI, L(ALE_FLOW_ESTABLISHED_V4)), 1);
	assert_int_equal(net_count(n, CLI, L(DATAGRAM_DATA_V4)), 100);
	assert_int_equal(net_count(n, CLI, L(OUTBOUND_TRANSPORT_V4)), 100);
	assert_int_equal(net_count(n, CLI, L(OUTBOUND_IPPACKET_V4)), 100);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 1);
	/* replies from that peer are not classified at AUTH_RECV_ACCEPT */
	net_clear(n);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(wfp_sock_send(n->h[SRV], s, 20), 20);
		net_run(n);
	}
	assert_int_equal(net_count(n, CLI, L(DATAGRAM_DATA_V4)), 10);
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_CONNECT_V4)), 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 1);
	net_free(n);
}

/* §2.2 no socket: IPPACKET_DISCARD (NETWORK / PORT_UNREACHABLE), then the
 * ICMP error through OUTBOUND_ICMP_ERROR, TRANSPORT, IPPACKET. */
static void no_socket(int fam)
{
	static const unsigned srv[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_IPPACKET_V4_DISCARD),
		L(OUTBOUND_ICMP_ERROR_V4), L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4) };
	struct wfp_addr sa = net_addr(SRV, fam);
	struct net *n = net_new();
	const struct rec *r;
	unsigned x[5];
	int c;

	c = udp_sock(n, CLI, fam, 0);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 9999, 40), 40);
	net_run(n);
	for (unsigned i = 0; i < 5; i++)
		x[i] = fam_layer(fam, srv[i]);
	net_expect(n, SRV, x, 5);
	r = net_find(n, SRV, fam_layer(fam, L(INBOUND_IPPACKET_V4_DISCARD)));
	assert_int_equal(r->dmod, WFP_DISCARD_MODULE_NETWORK);
	assert_int_equal(r->dreason, WFP_IP_DISCARD_PORT_UNREACHABLE);
	r = net_find(n, SRV, fam_layer(fam, L(OUTBOUND_ICMP_ERROR_V4)));
	assert_int_equal(r->lport, fam == WFP_AF_INET ? 3 : 1); /* ICMP_TYPE */
	assert_int_equal(r->rport, fam == WFP_AF_INET ? 3 : 4); /* ICMP_CODE */
	r = net_find(n, SRV, fam_layer(fam, L(OUTBOUND_TRANSPORT_V4)));
	assert_int_equal(r->proto, fam == WFP_AF_INET ? 1 : 58);
	assert_int_equal(r->event, WFP_EV_ICMP_ERROR);
	/* the error reaches the sender's socket */
	assert_int_equal(wfp_sock_error(n->h[CLI], c), -ECONNREFUSED);
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_NO_ENDPOINT], 1);
	net_free(n);
}

static void test_no_socket(void **state)
{
	no_socket(WFP_AF_INET);
	no_socket(WFP_AF_INET6);
}

/* Stealth, the two documented ways (§2.2, §3.8). */
static void test_stealth_icmp(void **state)
{
	struct wfp_filter_cond t3 = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT /* ICMP_TYPE */,
						WFP_MATCH_EQUAL, 3);
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id;
	int c;

	/* 1. OUTBOUND_ICMP_ERROR, type 3 (the MSDN sample) */
	id = net_filter(n, SRV, L(OUTBOUND_ICMP_ERROR_V4), WFP_ACTION_BLOCK, &t3, 1);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	wfp_sock_sendto(n->h[CLI], c, &sa, 9999, 40);
	net_run(n);
	assert_int_equal(n->out_count[SRV], 0);
	assert_int_equal(net_find(n, SRV, L(OUTBOUND_ICMP_ERROR_V4_DISCARD))->dfilter, id);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_TRANSPORT_V4)), 0);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), 0);
	net_free(n);

	/* 2. a block at INBOUND_IPPACKET_DISCARD: no ICMP_ERROR layer at all */
	n = net_new();
	net_filter(n, SRV, L(INBOUND_IPPACKET_V4_DISCARD), WFP_ACTION_BLOCK, NULL, 0);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	wfp_sock_sendto(n->h[CLI], c, &sa, 9999, 40);
	net_run(n);
	assert_int_equal(n->out_count[SRV], 0);
	assert_int_equal(net_count(n, SRV, L(OUTBOUND_ICMP_ERROR_V4)), 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_STEALTH], 1);
	net_free(n);
}

static void test_block_auth(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id;
	int c;

	/* AUTH_CONNECT: sendto fails, nothing sent, no flow left */
	id = net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, NULL, 0);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 53, 40), -EACCES);
	assert_int_equal(net_find(n, CLI, L(ALE_AUTH_CONNECT_V4_DISCARD))->dfilter, id);
	assert_int_equal(n->out_count[CLI], 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	net_free(n);

	/* AUTH_RECV_ACCEPT: dropped, no DATAGRAM_DATA, no flow */
	n = net_new();
	id = net_filter(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_BLOCK, NULL, 0);
	udp_sock(n, SRV, WFP_AF_INET, 53);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 53, 40), 40);
	net_run(n);
	assert_int_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4_DISCARD))->dfilter, id);
	assert_int_equal(net_count(n, SRV, L(DATAGRAM_DATA_V4)), 0);
	assert_int_equal(net_count(n, SRV, L(ALE_FLOW_ESTABLISHED_V4)), 0);
	assert_int_equal(wfp_host_stats(n->h[SRV])->flows, 0);
	net_free(n);
}

/* §3.1: 60 s idle by default (virtual clock), configurable. */
static void idle(uint32_t timeout_ms)
{
	struct wfp_host_opts o = { .sz = sizeof(o), .idle_timeout_ms = timeout_ms };
	uint32_t t = timeout_ms ? timeout_ms : 60000;
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new_opts(&o);
	uint64_t now = 0;
	int c;

	udp_sock(n, SRV, WFP_AF_INET, 53);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1);
	net_run(n);
	/* just under the timeout: the same flow, refreshed */
	now += t - 1;
	wfp_host_set_time(n->h[CLI], now);
	wfp_host_set_time(n->h[SRV], now);
	wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1);
	net_run(n);
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_CONNECT_V4)), 1);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 1);
	/* exactly the timeout without a packet: gone, ALE again */
	now += t;
	wfp_host_set_time(n->h[CLI], now);
	wfp_host_set_time(n->h[SRV], now);
	wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1);
	net_run(n);
	assert_int_equal(net_count(n, CLI, L(ALE_AUTH_CONNECT_V4)), 2);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 2);
	assert_true(wfp_host_stats(n->h[CLI])->flows_expired >= 1);
	net_free(n);
}

static void test_idle_timeout(void **state)
{
	idle(0);
	idle(5000);
}

/* A socket's flows die with it. */
static void test_close_frees_flows(void **state)
{
	struct net *n = net_new();
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	int c;

	udp_sock(n, SRV, WFP_AF_INET, 53);
	udp_sock(n, SRV, WFP_AF_INET, 54);
	c = udp_sock(n, CLI, WFP_AF_INET, 0);
	wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1);
	wfp_sock_sendto(n->h[CLI], c, &sa, 54, 1);
	net_run(n);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 2);
	net_clear(n);
	assert_int_equal(wfp_sock_close(n->h[CLI], c), 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	/* one ENDPOINT_CLOSURE per non-TCP endpoint, however many peers (§3.6) */
	assert_int_equal(net_count(n, CLI, L(ALE_ENDPOINT_CLOSURE_V4)), 1);
	assert_int_equal(net_count(n, CLI, L(ALE_RESOURCE_RELEASE_V4)), 1);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), -EBADF);
	net_free(n);
}

/* Every protocol other than TCP follows the UDP pattern (§2.2): a raw
 * GRE endpoint, no ports, IS_RAW_ENDPOINT at the layers that know it. */
static void test_raw_protocol(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	const struct rec *r;
	int c, s;

	assert_int_equal(wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_ICMP, NULL),
			 -EPROTONOSUPPORT);
	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, 47, NULL);
	assert_int_equal(wfp_sock_bind(n->h[SRV], s, NULL, 0), 0);
	assert_int_equal(wfp_sock_local_port(n->h[SRV], s), 0);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, 47, NULL);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 0, 100), 100);
	net_run(n);
	r = net_find(n, CLI, L(ALE_AUTH_CONNECT_V4));
	assert_int_equal(r->proto, 47);
	assert_true(r->flags & WFP_CONDITION_FLAG_IS_RAW_ENDPOINT);
	assert_true(net_find(n, CLI, L(ALE_RESOURCE_ASSIGNMENT_V4))->flags &
		    WFP_CONDITION_FLAG_IS_RAW_ENDPOINT);
	assert_int_equal(net_count(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), 1);
	assert_int_equal(net_count(n, SRV, L(DATAGRAM_DATA_V4)), 1);
	/* no socket for protocol 50: NETWORK / PROTOCOL_UNREACHABLE */
	net_clear(n);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, 50, NULL);
	wfp_sock_sendto(n->h[CLI], c, &sa, 0, 10);
	net_run(n);
	r = net_find(n, SRV, L(INBOUND_IPPACKET_V4_DISCARD));
	assert_int_equal(r->dmod, WFP_DISCARD_MODULE_NETWORK);
	assert_int_equal(r->dreason, 3);
	assert_int_equal(net_find(n, SRV, L(OUTBOUND_ICMP_ERROR_V4))->rport, 2); /* code 2 */
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_datagram_v4),
		cmocka_unit_test(test_first_datagram_v6),
		cmocka_unit_test(test_ale_once_per_flow),
		cmocka_unit_test(test_no_socket),
		cmocka_unit_test(test_stealth_icmp),
		cmocka_unit_test(test_block_auth),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_close_frees_flows),
		cmocka_unit_test(test_raw_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
