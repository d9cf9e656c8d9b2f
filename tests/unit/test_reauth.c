/* SPDX-License-Identifier: MIT */
/*
 * test_reauth.c - ALE reauthorization (spec §3.3, §10 item 12): a filter
 * added or removed at the authorising layer makes the next packet of the
 * flow, in either direction, be classified there again with IS_REAUTHORIZE
 * and REAUTHORIZE_REASON POLICY_CHANGE; PERMIT keeps the flow, BLOCK
 * discards the packet at the _DISCARD twin and tears the flow down.
 */
#include "stackutil.h"

#define L(x) WFP_LAYER_##x

static struct wfp_filter_cond port80(unsigned field)
{
	return tu_cond_u16(field, WFP_MATCH_EQUAL, 80);
}

static void assert_reauth(const struct rec *r, unsigned layer, uint32_t action)
{
	assert_non_null(r);
	assert_int_equal(r->layer, layer);
	if (action == WFP_ACTION_NONE) /* no filter decided: NONE or NONE_NO_MATCH */
		assert_true(r->action != WFP_ACTION_PERMIT && r->action != WFP_ACTION_BLOCK);
	else
		assert_int_equal(r->action, action);
	assert_true(r->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE);
	assert_true(r->reauth & WFP_REAUTH_POLICY_CHANGE);
	assert_true(r->tflags & WFP_TRACE_F_REAUTH);
}

/* §10 item 12 with the inbound packet: the server's data reaches the
 * client, whose flow was authorised at AUTH_CONNECT. */
static void test_item12_inbound(void **state)
{
	struct wfp_filter_cond c80 = port80(WFP_FIELD_IP_REMOTE_PORT);
	struct net *n = net_new();
	const struct rec *d;
	uint64_t id;
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	id = net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, &c80, 1);
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[SRV], s, 20), 20);
	net_run(n);
	assert_reauth(net_find(n, CLI, L(ALE_AUTH_CONNECT_V4)), L(ALE_AUTH_CONNECT_V4),
		      WFP_ACTION_BLOCK);
	d = net_find(n, CLI, L(ALE_AUTH_CONNECT_V4_DISCARD));
	assert_non_null(d);
	assert_int_equal(d->dmod, WFP_DISCARD_MODULE_GENERAL);
	assert_int_equal(d->dfilter, id);
	/* data no longer reaches STREAM */
	assert_int_equal(net_count(n, CLI, L(STREAM_V4)), 0);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_DEAD);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), -ECONNABORTED);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->drops[WFP_DROP_REAUTH], 1);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 1), -ECONNABORTED);
	net_free(n);
}

/* ... and with the outbound packet: the client's own send. */
static void test_item12_outbound(void **state)
{
	struct wfp_filter_cond c80 = port80(WFP_FIELD_IP_REMOTE_PORT);
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, &c80, 1);
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 100), -EACCES);
	assert_reauth(&n->r[0], L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK);
	assert_int_equal(n->r[1].layer, L(ALE_AUTH_CONNECT_V4_DISCARD));
	assert_int_equal(n->n, 2);             /* no STREAM, nothing sent */
	assert_int_equal(n->qlen, 0);
	net_free(n);
}

/* Success in both directions; once per change. */
static void test_success_both_directions(void **state)
{
	struct wfp_filter_cond l80 = port80(WFP_FIELD_IP_LOCAL_PORT);
	struct net *n = net_new();
	uint64_t id;
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	id = net_filter(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_PERMIT, &l80, 1);
	/* inbound on the server: IPPACKET, TRANSPORT, RECV_ACCEPT(reauth), STREAM */
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[CLI], c, 10), 10);
	net_run(n);
	{
		static const unsigned srv[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
			L(ALE_AUTH_RECV_ACCEPT_V4), L(STREAM_V4) };

		net_expect(n, SRV, srv, 4);
	}
	assert_reauth(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4)), L(ALE_AUTH_RECV_ACCEPT_V4),
		      WFP_ACTION_PERMIT);
	assert_int_equal(net_find(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4))->filter_id, id);
	/* no second reauthorization without another change */
	net_clear(n);
	wfp_sock_send(n->h[CLI], c, 10);
	wfp_sock_send(n->h[SRV], s, 10);
	net_run(n);
	assert_int_equal(net_count(n, -1, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	/* removing the filter is a change too; an OUTBOUND packet of the
	 * inbound flow is reauthorised at RECV_ACCEPT, before STREAM */
	assert_int_equal(wfp_filter_delete_by_id(n->t[SRV].s, id), 0);
	net_clear(n);
	assert_int_equal(wfp_sock_send(n->h[SRV], s, 10), 10);
	assert_reauth(&n->r[0], L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_NONE);
	assert_int_equal(n->r[1].layer, L(STREAM_V4));
	net_run(n);
	assert_int_equal(net_count(n, CLI, L(STREAM_V4)), 1);
	net_free(n);
}

/* A change at another layer, or on the other host, reauthorizes nothing. */
static void test_unrelated_change(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_filter(n, CLI, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_BLOCK, NULL, 0);
	net_filter(n, SRV, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, NULL, 0);
	net_filter(n, SRV, L(STREAM_V4), WFP_ACTION_PERMIT, NULL, 0);
	net_clear(n);
	wfp_sock_send(n->h[CLI], c, 10);
	wfp_sock_send(n->h[SRV], s, 10);
	net_run(n);
	assert_int_equal(net_count(n, -1, L(ALE_AUTH_CONNECT_V4)), 0);
	assert_int_equal(net_count(n, -1, L(ALE_AUTH_RECV_ACCEPT_V4)), 0);
	assert_int_equal(net_count(n, -1, L(STREAM_V4)), 4);
	net_free(n);
}

/* §2.1 failure flow at the receiver, then the teardown (docs: no RST from
 * the reauthorizing host; the peer's next segment meets a RST). */
static void test_tcp_failure_teardown(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	net_filter(n, SRV, L(ALE_AUTH_RECV_ACCEPT_V4), WFP_ACTION_BLOCK, NULL, 0);
	net_clear(n);
	n->out_count[SRV] = 0;
	wfp_sock_send(n->h[CLI], c, 10);
	net_run(n);
	{
		static const unsigned srv[] = { L(INBOUND_IPPACKET_V4), L(INBOUND_TRANSPORT_V4),
			L(ALE_AUTH_RECV_ACCEPT_V4), L(ALE_AUTH_RECV_ACCEPT_V4_DISCARD) };

		net_expect(n, SRV, srv, 4);
	}
	assert_int_equal(n->out_count[SRV], 0);
	assert_int_equal(wfp_sock_state(n->h[SRV], s), WFP_SOCK_DEAD);
	net_clear(n);
	wfp_sock_send(n->h[CLI], c, 10);
	net_run(n);
	assert_int_equal(net_find(n, SRV, L(INBOUND_TRANSPORT_V4_DISCARD))->dreason,
			 WFP_INET_DISCARD_ENDPOINT_NOT_FOUND);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_DEAD);
	assert_int_equal(wfp_sock_error(n->h[CLI], c), -ECONNRESET);
	net_free(n);
}

/* UDP: a failed reauthorization removes the flow; the next datagram is a
 * new flow, classified again from scratch (not a reauthorization). */
static void test_udp(void **state)
{
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	struct wfp_filter_cond p53 = tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 53);
	struct net *n = net_new();
	const struct rec *r;
	int c, s;

	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	wfp_sock_bind(n->h[SRV], s, NULL, 53);
	c = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1);
	net_run(n);
	net_filter(n, CLI, L(ALE_AUTH_CONNECT_V4), WFP_ACTION_BLOCK, &p53, 1);
	net_clear(n);
	/* the reply (inbound) is reauthorised at AUTH_CONNECT and dropped */
	wfp_sock_send(n->h[SRV], s, 1);
	net_run(n);
	assert_reauth(net_find(n, CLI, L(ALE_AUTH_CONNECT_V4)), L(ALE_AUTH_CONNECT_V4),
		      WFP_ACTION_BLOCK);
	assert_int_equal(net_count(n, CLI, L(DATAGRAM_DATA_V4)), 0);
	assert_int_equal(wfp_host_stats(n->h[CLI])->flows, 0);
	net_clear(n);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], c, &sa, 53, 1), -EACCES);
	r = net_find(n, CLI, L(ALE_AUTH_CONNECT_V4));
	assert_false(r->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE);
	assert_int_equal(r->reauth, 0);
	net_free(n);
}

/* IPv6 uses the _V6 layers. */
static void test_v6(void **state)
{
	struct net *n = net_new();
	int c, s;

	c = net_tcp_connect(n, WFP_AF_INET6, 443, &s);
	net_filter(n, CLI, WFP_LAYER_ALE_AUTH_CONNECT_V6, WFP_ACTION_PERMIT, NULL, 0);
	net_clear(n);
	wfp_sock_send(n->h[SRV], s, 5);
	net_run(n);
	assert_reauth(net_find(n, CLI, WFP_LAYER_ALE_AUTH_CONNECT_V6),
		      WFP_LAYER_ALE_AUTH_CONNECT_V6, WFP_ACTION_PERMIT);
	assert_int_equal(net_count(n, CLI, WFP_LAYER_STREAM_V6), 1);
	assert_int_equal(wfp_sock_state(n->h[CLI], c), WFP_SOCK_ESTABLISHED);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item12_inbound),
		cmocka_unit_test(test_item12_outbound),
		cmocka_unit_test(test_success_both_directions),
		cmocka_unit_test(test_unrelated_change),
		cmocka_unit_test(test_tcp_failure_teardown),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
