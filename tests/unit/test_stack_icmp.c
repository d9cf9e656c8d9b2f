/* SPDX-License-Identifier: MIT */
/*
 * test_stack_icmp.c - ICMP in the stack model (spec §2.3): echo flows like
 * UDP, type/code in the port slots (§1.4), replies on the request's flow,
 * errors at the ICMP_ERROR layers with the quoted packet in EMBEDDED_*,
 * never at ALE.
 */
#include "stackutil.h"

#define L(x) WFP_LAYER_##x

static void echo(int fam)
{
	static const unsigned cli[] = {
		L(ALE_AUTH_CONNECT_V4), L(ALE_FLOW_ESTABLISHED_V4), L(DATAGRAM_DATA_V4),
		L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4),
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(DATAGRAM_DATA_V4) };
	static const unsigned srv[] = {
		L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4), L(ALE_AUTH_RECV_ACCEPT_V4),
		L(ALE_FLOW_ESTABLISHED_V4), L(DATAGRAM_DATA_V4),
		L(DATAGRAM_DATA_V4), L(OUTBOUND_TRANSPORT_V4), L(OUTBOUND_IPPACKET_V4) };
	struct wfp_addr sa = net_addr(SRV, fam);
	uint32_t req = fam == WFP_AF_INET ? 8 : 128, rep = fam == WFP_AF_INET ? 0 : 129;
	uint32_t proto = fam == WFP_AF_INET ? 1 : 58;
	struct net *n = net_new();
	const struct rec *r;
	unsigned x[8];

	assert_int_equal(wfp_host_icmp_echo(n->h[CLI], &sa, 0), 0);
	net_run(n);
	for (unsigned i = 0; i < 8; i++)
		x[i] = fam_layer(fam, cli[i]);
	net_expect(n, CLI, x, 8);
	for (unsigned i = 0; i < 8; i++)
		x[i] = fam_layer(fam, srv[i]);
	net_expect(n, SRV, x, 8);
	r = net_find(n, CLI, fam_layer(fam, L(ALE_AUTH_CONNECT_V4)));
	assert_int_equal(r->proto, proto);
	assert_int_equal(r->lport, req); /* ICMP type in the local port slot */
	assert_int_equal(r->rport, 0);   /* code in the remote port slot */
	r = net_find(n, SRV, fam_layer(fam, L(ALE_AUTH_RECV_ACCEPT_V4)));
	assert_int_equal(r->lport, req);
	/* the reply's DATAGRAM_DATA on the client carries the reply type */
	r = &n->r[n->n - 1];
	assert_int_equal(r->host, CLI);
	assert_int_equal(r->event, WFP_EV_ICMP_REPLY);
	assert_int_equal(r->lport, rep);
	assert_int_equal(r->dir, WFP_DIRECTION_INBOUND);
	/* a second ping is the same flow: no ALE at all */
	net_clear(n);
	assert_int_equal(wfp_host_icmp_echo(n->h[CLI], &sa, 0), 0);
	net_run(n);
	assert_int_equal(net_count(n, -1, fam_layer(fam, L(ALE_AUTH_CONNECT_V4))), 0);
	assert_int_equal(net_count(n, -1, fam_layer(fam, L(ALE_AUTH_RECV_ACCEPT_V4))), 0);
	assert_int_equal(net_count(n, -1, fam_layer(fam, L(DATAGRAM_DATA_V4))), 4);
	/* another id is another flow */
	net_clear(n);
	assert_int_equal(wfp_host_icmp_echo(n->h[CLI], &sa, 77), 0);
	net_run(n);
	assert_int_equal(net_count(n, CLI, fam_layer(fam, L(ALE_AUTH_CONNECT_V4))), 1);
	net_free(n);
}

static void test_echo_v4(void **state)
{
	echo(WFP_AF_INET);
}

static void test_echo_v6(void **state)
{
	echo(WFP_AF_INET6);
}

static void test_echo_blocked(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct wfp_filter_cond t8 = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 8);
	struct net *n = net_new();
	uint64_t id = net_filter(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_BLOCK, &t8, 1);

	assert_int_equal(wfp_host_icmp_echo(n->h[CLI], &sa, 0), 0);
	net_run(n);
	assert_int_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4_DISCARD))->dfilter, id);
	assert_int_equal(n->out_count[SRV], 0); /* no reply */
	net_free(n);
}

/* A received error: IPPACKET -> TRANSPORT -> ICMP_ERROR (§2.3/§9), with
 * the quoted datagram's fields, and no ALE classification. */
static void error_in(int fam)
{
	static const unsigned cli_in[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
					   L(INBOUND_ICMP_ERROR_V4) };
	struct wfp_addr sa = net_addr(SRV, fam);
	struct net *n = net_new();
	const struct rec *r;
	unsigned x[3], j = 0;
	int c;

	c = wfp_sock_open(n->h[CLI], fam, WFP_PROTO_UDP, NULL);
	wfp_sock_sendto(n->h[CLI], c, &sa, 9999, 10);
	net_clear(n);
	net_run(n);
	for (unsigned i = 0; i < 3; i++)
		x[i] = fam_layer(fam, cli_in[i]);
	net_expect(n, CLI, x, 3);
	r = net_find(n, CLI, fam_layer(fam, L(INBOUND_ICMP_ERROR_V4)));
	assert_int_equal(r->emb_proto, 17);
	assert_int_equal(r->emb_lport, 49152);
	assert_int_equal(r->emb_rport, 9999);
	assert_int_equal(r->lport, fam == WFP_AF_INET ? 3 : 1);
	assert_int_equal(r->rport, fam == WFP_AF_INET ? 3 : 4);
	assert_int_equal(r->event, WFP_EV_ICMP_ERROR);
	for (unsigned i = 0; i < n->n; i++)
		if (wfp_layer_flags(n->r[i].layer) & WFP_LAYER_F_ALE)
			j++;
	assert_int_equal(j, 0);
	net_free(n);
}

static void test_error_in(void **state)
{
	error_in(WFP_AF_INET);
	error_in(WFP_AF_INET6);
}

static void test_error_in_blocked(void **state)
{
	struct wfp_filter_cond p = tu_cond_u16(WFP_FIELD_EMBEDDED_REMOTE_PORT, WFP_MATCH_EQUAL, 9999);
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct net *n = net_new();
	uint64_t id = net_filter(n, CLI, L(INBOUND_ICMP_ERROR_V4), WFP_ACTION_BLOCK, &p, 1);
	int c;

	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	wfp_sock_sendto(n->h[CLI], c, &sa, 9999, 10);
	net_run(n);
	assert_int_equal(net_find(n, CLI, L(INBOUND_ICMP_ERROR_V4_DISCARD))->dfilter, id);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), 0); /* the socket never heard */
	net_free(n);
}

/* A hand-made packet: an ICMP error about a flow we do not have, and a
 * malformed packet, are handled without trouble. */
static void test_raw_packets(void **state)
{
	struct net *n = net_new();
	struct wfp_pkt p = { 0 };

	p.family = WFP_AF_INET;
	p.proto = WFP_PROTO_ICMP;
	p.src = net_addr(CLI, WFP_AF_INET);
	p.dst = net_addr(SRV, WFP_AF_INET);
	p.icmp_type = 11; /* time exceeded, no embedded header */
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), 0);
	assert_int_equal(net_count(n, SRV, L(INBOUND_ICMP_ERROR_V4)), 1);
	p.dst = net_addr(SRV, WFP_AF_INET6); /* family mismatch */
	assert_int_equal(wfp_host_receive(n->h[SRV], &p), -EINVAL);
	assert_int_equal(wfp_host_stats(n->h[SRV])->drops[WFP_DROP_MALFORMED], 1);
	assert_int_equal(wfp_host_receive(n->h[SRV], NULL), -EINVAL);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_v4),
		cmocka_unit_test(test_echo_v6),
		cmocka_unit_test(test_echo_blocked),
		cmocka_unit_test(test_error_in),
		cmocka_unit_test(test_error_in_blocked),
		cmocka_unit_test(test_raw_packets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
