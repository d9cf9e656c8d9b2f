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
	assert_int_equal(wfp_sock_open(n->h[CLI], WFP_AF_INET, 99, NULL), -EPROTONOSUPPORT);
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

/* ---- sim ---- */

struct counter {
	unsigned n;
	unsigned layer_count[WFP_LAYER_MAX];
};

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
		cmocka_unit_test(test_sim_runs),
		cmocka_unit_test(test_sim_errors),
		cmocka_unit_test(test_sim_mutations),
		cmocka_unit_test(test_sim_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
