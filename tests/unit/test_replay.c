/* SPDX-License-Identifier: MIT */
/*
 * test_replay.c - the replay object (wfp_replay.h) on packets built here:
 * its flow table stays within max_flows however many flows a capture
 * has, two replays of one capture under different policies see the same
 * flows in the same order (what --diff relies on), and the verdicts of
 * the basic cases name the filter that decided.  The golden suite
 * (tests/golden/replay/) covers the scenarios end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_policy.h>
#include <wfp/wfp_replay.h>

static uint8_t b[256];

static void w16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* 10.0.x.y:sport -> 10.0.0.2:dport (or the reverse), UDP or a TCP SYN */
static size_t pkt(unsigned src, unsigned sport, unsigned dport, int tcp, int out)
{
	size_t l4 = tcp ? 20 : 8 + 4;

	memset(b, 0, 20 + l4);
	b[0] = 0x45;
	w16(b + 2, (unsigned)(20 + l4));
	b[8] = 64;
	b[9] = tcp ? 6 : 17;
	b[12] = 10, b[14] = (uint8_t)(src >> 8), b[15] = (uint8_t)src;
	b[16] = 10, b[19] = 2;
	if (out) {
		uint8_t t[4];

		memcpy(t, b + 12, 4);
		memcpy(b + 12, b + 16, 4);
		memcpy(b + 16, t, 4);
	}
	w16(b + 20, sport);
	w16(b + 22, dport);
	if (tcp) {
		b[32] = 5 << 4;
		b[33] = WFP_TCP_SYN;
	} else {
		w16(b + 24, 12);
	}
	return 20 + l4;
}

struct ends {
	unsigned n;
	uint64_t ids[256];
	uint8_t verdicts[256];
};

static void on_end(const struct wfp_replay_flow *f, void *ctx)
{
	struct ends *e = ctx;

	if (e->n < 256) {
		e->verdicts[e->n] = f->verdict;
		e->ids[e->n] = f->id;
	}
	e->n++;
}

static struct wfp_replay *mk(const char *policy, uint32_t max_flows, struct wfp_engine **e,
			     struct wfp_session **s)
{
	struct wfp_addr h;
	struct wfp_replay_opts o = { .sz = sizeof(o), .hosts = &h, .nhosts = 1,
				     .max_flows = max_flows };

	assert_int_equal(wfp_addr_parse("10.0.0.2", &h), 0);
	*e = wfp_engine_open(NULL);
	assert_non_null(*e);
	*s = wfp_session_open(*e, NULL);
	assert_non_null(*s);
	assert_int_equal(wfp_policy_load_string(*s, policy, strlen(policy), "t", 0, NULL), 0);
	return wfp_replay_new(*e, &o);
}

static void test_bounded_and_lockstep(void **state)
{
	struct wfp_engine *ea, *eb;
	struct wfp_session *sa, *sb;
	struct wfp_replay *a = mk("", 4, &ea, &sa);
	struct wfp_replay *bb = mk("filter \"x\" layer ALE_AUTH_RECV_ACCEPT_V4 block\n", 4,
				   &eb, &sb);
	struct wfp_replay_rec ra, rb;
	struct ends enda = { 0 }, endb = { 0 };

	assert_non_null(a);
	assert_non_null(bb);
	wfp_replay_set_flow_end(a, on_end, &enda);
	wfp_replay_set_flow_end(bb, on_end, &endb);
	for (unsigned i = 0; i < 50; i++) {
		size_t n = pkt(100 + i, 1000 + i, 53, 0, 0);

		assert_int_equal(wfp_replay_packet(a, WFP_LINK_RAW, 1000 * i, b, n, n, &ra), 0);
		assert_int_equal(wfp_replay_packet(bb, WFP_LINK_RAW, 1000 * i, b, n, n, &rb), 0);
		assert_int_equal(ra.flow_id, rb.flow_id);
		assert_int_equal(ra.flow_id, i + 1);
		assert_int_equal(ra.verdict, WFP_RV_PERMIT);
		assert_int_equal(rb.verdict, WFP_RV_BLOCK);
		assert_int_not_equal(rb.filter_id, 0);
		/* the table holds 4: the fifth flow ends the oldest */
		assert_int_equal(enda.n, i < 4 ? 0 : i - 3);
	}
	wfp_replay_finish(a);
	wfp_replay_finish(bb);
	assert_int_equal(enda.n, 50);
	assert_int_equal(endb.n, 50);
	for (unsigned i = 0; i < 50; i++) {
		assert_int_equal(enda.ids[i], endb.ids[i]);
		assert_int_equal(enda.verdicts[i], WFP_RV_PERMIT);
		assert_int_equal(endb.verdicts[i], WFP_RV_BLOCK);
	}
	assert_true(wfp_host_stats(wfp_replay_host(a))->flows_peak <= 8);
	wfp_replay_free(a);
	wfp_replay_free(bb);
	wfp_engine_close(ea);
	wfp_engine_close(eb);
}

static void test_connect_blocked(void **state)
{
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_replay *r = mk("filter \"no-ssh\" layer ALE_AUTH_CONNECT_V4 block where "
				  "IP_REMOTE_PORT == 22\n", 0, &e, &s);
	struct wfp_filter **fs;
	struct wfp_replay_rec rec;
	size_t n, nf;

	assert_non_null(r);
	assert_int_equal(wfp_filter_enum(s, NULL, &fs, &nf), 0);
	assert_int_equal(nf, 1);
	n = pkt(9, 50000, 22, 1, 1);
	wfp_replay_packet(r, WFP_LINK_RAW, 0, b, n, n, &rec);
	assert_int_equal(rec.dir, WFP_REPLAY_DIR_OUT);
	assert_int_equal(rec.verdict, WFP_RV_BLOCK);
	assert_int_equal(rec.reason, WFP_RR_FILTER);
	assert_int_equal(rec.filter_id, fs[0]->filter_id);
	assert_int_equal(rec.layer, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	wfp_replay_packet(r, WFP_LINK_RAW, 1, b, n, n, &rec);
	assert_int_equal(rec.reason, WFP_RR_FLOW_BLOCKED);
	assert_int_equal(rec.filter_id, fs[0]->filter_id);
	/* another port: permitted by default, no filter */
	n = pkt(9, 50001, 443, 1, 1);
	wfp_replay_packet(r, WFP_LINK_RAW, 2, b, n, n, &rec);
	assert_int_equal(rec.verdict, WFP_RV_PERMIT);
	assert_int_equal(rec.filter_id, 0);
	/* garbage and strangers */
	wfp_replay_packet(r, WFP_LINK_RAW, 3, b, 7, 7, &rec);
	assert_int_equal(rec.verdict, WFP_RV_SKIP);
	assert_int_equal(rec.reason, WFP_RR_MALFORMED);
	n = pkt(9, 1, 2, 0, 0);
	b[19] = 3; /* to 10.0.0.3 */
	wfp_replay_packet(r, WFP_LINK_RAW, 4, b, n, n, &rec);
	assert_int_equal(rec.reason, WFP_RR_NOT_HOST);
	wfp_filter_array_free(fs, nf);
	wfp_replay_free(r);
	wfp_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded_and_lockstep),
		cmocka_unit_test(test_connect_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
