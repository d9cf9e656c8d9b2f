/* SPDX-License-Identifier: MIT */
/*
 * test_arbitration.c - filter arbitration (spec §4.3-4.6): the worked
 * example of §4.6 and every row of its variation table, and spec §10
 * items 1-7 as far as they need no stack model.
 */
#include "testutil.h"

#define RA WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4
#define IT WFP_LAYER_INBOUND_TRANSPORT_V4

static const char IIS[] = "/usr/sbin/iis";

/* An inbound TCP connection to port 80 accepted by IIS. */
static void iis_port80(struct tu_in *x)
{
	tu_in_init(x, RA);
	tu_set_blob(x, WFP_FIELD_ALE_APP_ID, IIS);
	tu_set_u16(x, WFP_FIELD_IP_LOCAL_PORT, 80);
	tu_set_u8(x, WFP_FIELD_IP_PROTOCOL, 6);
}

/* §4.6, first diagram: inbound transport, permit + (ids callout, permit). */
static void test_worked_example_transport(void **state)
{
	struct tu t;
	struct tu_callout ids = { .action = WFP_ACTION_CONTINUE };
	struct wfp_guid s1, s2, co;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t p1;

	tu_open(&t);
	s1 = tu_sublayer(&t, 1, 0x7000);
	s2 = tu_sublayer(&t, 2, 0x6000);
	co = tu_callout_add(&t, 1, IT, &ids);
	p1 = tu_filter(&t, IT, &s1, 10, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	tu_filter(&t, IT, &s2, 20, WFP_ACTION_CALLOUT_INSPECTION, 0, &co, NULL, 0);
	tu_filter(&t, IT, &s2, 10, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	tu_in_init(&x, IT);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	/* the IDS callout saw the packet although sublayer 1 had permitted */
	assert_int_equal(ids.calls, 1);
	/* soft permit followed by soft permit: the lower sublayer's permit
	 * overwrote the result, the right is still there */
	assert_true(v.rights & WFP_RIGHT_ACTION_WRITE);
	assert_true(v.filter_id != p1);
	tu_close(&t);
}

/* §4.6, second diagram and §10 item 1: block overrides a soft permit. */
static void test_worked_example_recv_accept(void **state)
{
	struct tu t;
	struct tu_callout log = { .action = WFP_ACTION_CONTINUE };
	struct wfp_filter_cond app = tu_cond_blob(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL, IIS);
	struct wfp_filter_cond port = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 80);
	struct wfp_guid fw1, fw2, s3, co;
	struct wfp_explain ex;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t block;

	tu_open(&t);
	fw1 = tu_sublayer(&t, 1, 0x7000);
	fw2 = tu_sublayer(&t, 2, 0x6000);
	s3 = tu_sublayer(&t, 3, 0x5000);
	co = tu_callout_add(&t, 1, RA, &log);
	tu_filter(&t, RA, &fw1, 1, WFP_ACTION_PERMIT, 0, NULL, &app, 1);
	block = tu_filter(&t, RA, &fw2, 1, WFP_ACTION_BLOCK, 0, NULL, &port, 1);
	tu_filter(&t, RA, &s3, 1, WFP_ACTION_CALLOUT_INSPECTION, 0, &co, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, &ex);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, block);
	assert_int_equal(v.sublayer_weight, 0x6000);
	assert_false(v.rights & WFP_RIGHT_ACTION_WRITE);
	assert_int_equal(log.calls, 1); /* §4.5 step 2: still visited */
	assert_false(log.rights_seen & WFP_RIGHT_ACTION_WRITE);
	/* explain: the three sublayers, in order, with their decisions */
	assert_int_equal(ex.nsublayers, 3);
	assert_int_equal(ex.sub[0].weight, 0x7000);
	assert_int_equal(ex.sub[0].action, WFP_ACTION_PERMIT);
	assert_true(ex.sub[0].applied);
	assert_false(ex.sub[0].hard);
	assert_int_equal(ex.sub[1].action, WFP_ACTION_BLOCK);
	assert_int_equal(ex.sub[1].filter_id, block);
	assert_true(ex.sub[1].hard);
	assert_true(ex.sub[1].applied);
	assert_int_equal(ex.sub[2].action, WFP_ACTION_NONE);
	assert_int_equal(ex.sub[2].ncallouts, 1);
	assert_false(ex.sub[2].applied);
	tu_close(&t);
}

/* Variation: hard permit in A, static block in B -> PERMIT (§10 item 2). */
static void test_hard_permit(void **state)
{
	struct tu t;
	struct wfp_guid a, b;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t p;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	p = tu_filter(&t, RA, &a, 1, WFP_ACTION_PERMIT, WFP_FILTER_F_CLEAR_ACTION_RIGHT, NULL, NULL, 0);
	tu_filter(&t, RA, &b, 1, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_int_equal(v.filter_id, p);
	assert_false(v.rights & WFP_RIGHT_ACTION_WRITE);
	assert_false(v.flags & WFP_CLASSIFY_OUT_F_VETO);
	tu_close(&t);
}

/* Variation: hard permit, then a callout BLOCK -> veto (§10 item 3). */
static void test_veto(void **state)
{
	struct tu t;
	struct tu_callout vetoer = { .action = WFP_ACTION_BLOCK, .clear_right = true };
	struct wfp_guid a, b, co;
	struct wfp_explain ex;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t vf;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	co = tu_callout_add(&t, 1, RA, &vetoer);
	tu_filter(&t, RA, &a, 1, WFP_ACTION_PERMIT, WFP_FILTER_F_CLEAR_ACTION_RIGHT, NULL, NULL, 0);
	vf = tu_filter(&t, RA, &b, 1, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, &ex);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, vf);
	assert_true(v.flags & WFP_CLASSIFY_OUT_F_VETO);
	assert_int_equal(vetoer.rights_seen & WFP_RIGHT_ACTION_WRITE, 0);
	assert_int_equal(vetoer.action_seen, WFP_ACTION_PERMIT);
	assert_true(ex.sub[1].veto);
	tu_close(&t);
}

/* A static BLOCK cannot veto a hard permit; an unregistered callout acts
 * as a static filter and cannot either. */
static void test_static_block_no_veto(void **state)
{
	struct tu t;
	struct wfp_guid a, b, co;
	struct tu_in x;
	struct wfp_verdict v;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	co = tu_callout_add(&t, 1, RA, NULL);
	tu_filter(&t, RA, &a, 1, WFP_ACTION_PERMIT, WFP_FILTER_F_CLEAR_ACTION_RIGHT, NULL, NULL, 0);
	tu_filter(&t, RA, &b, 2, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	tu_filter(&t, RA, &b, 1, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_false(v.flags & WFP_CLASSIFY_OUT_F_VETO);
	tu_close(&t);
}

static uint32_t two_sublayers_callout_then_permit(bool clear_right, uint64_t *permit_id)
{
	struct tu t;
	struct tu_callout c = { .action = WFP_ACTION_BLOCK, .clear_right = clear_right };
	struct wfp_guid a, b, co;
	struct tu_in x;
	struct wfp_verdict v;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	co = tu_callout_add(&t, 1, RA, &c);
	tu_filter(&t, RA, &a, 1, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	*permit_id = tu_filter(&t, RA, &b, 1, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(c.calls, 1);
	tu_close(&t);
	return v.action;
}

/* Variations: soft callout block is overridden by a lower static permit;
 * a hard callout block is not. */
static void test_soft_and_hard_callout_block(void **state)
{
	uint64_t id;

	assert_int_equal(two_sublayers_callout_then_permit(false, &id), WFP_ACTION_PERMIT);
	assert_int_equal(two_sublayers_callout_then_permit(true, &id), WFP_ACTION_BLOCK);
}

/* Variation: nothing matches in A, static permit in B -> PERMIT. */
static void test_no_match_then_permit(void **state)
{
	struct tu t;
	struct wfp_filter_cond port = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 22);
	struct wfp_guid a, b;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t p;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	tu_filter(&t, RA, &a, 1, WFP_ACTION_BLOCK, 0, NULL, &port, 1);
	p = tu_filter(&t, RA, &b, 1, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_int_equal(v.filter_id, p);
	assert_int_equal(v.nmatched, 1);
	tu_close(&t);
}

/* Variation: an inspection callout only -> NONE (permit, §4.8), and an
 * empty layer -> NONE_NO_MATCH. */
static void test_none(void **state)
{
	struct tu t;
	struct tu_callout insp = { .action = WFP_ACTION_BLOCK, .clear_right = true };
	struct wfp_guid co;
	struct tu_in x;
	struct wfp_verdict v;

	tu_open(&t);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_NONE_NO_MATCH);
	assert_false(wfp_verdict_blocks(&v));
	co = tu_callout_add(&t, 1, RA, &insp);
	tu_filter(&t, RA, NULL, 1, WFP_ACTION_CALLOUT_INSPECTION, 0, &co, NULL, 0);
	v = tu_classify(&t, &x, NULL);
	/* §10 item 6: an inspection callout's BLOCK counts as CONTINUE */
	assert_int_equal(v.action, WFP_ACTION_NONE);
	assert_int_equal(v.filter_id, 0);
	assert_int_equal(insp.calls, 1);
	assert_false(wfp_verdict_blocks(&v));
	tu_close(&t);
}

/* §10 item 4: the first terminating filter of a sublayer wins. */
static void test_first_terminating(void **state)
{
	for (int swap = 0; swap < 2; swap++) {
		struct tu t;
		struct tu_callout logb = { .action = WFP_ACTION_BLOCK };
		struct wfp_guid co;
		struct tu_in x;
		struct wfp_verdict v;
		uint64_t p, b;

		tu_open(&t);
		co = tu_callout_add(&t, 1, RA, &logb);
		p = tu_filter(&t, RA, NULL, swap ? 10 : 20, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
		b = tu_filter(&t, RA, NULL, swap ? 20 : 10, WFP_ACTION_CALLOUT_TERMINATING, 0, &co,
			      NULL, 0);
		iis_port80(&x);
		v = tu_classify(&t, &x, NULL);
		if (!swap) {
			assert_int_equal(v.action, WFP_ACTION_PERMIT);
			assert_int_equal(v.filter_id, p);
			assert_int_equal(logb.calls, 0); /* never invoked */
		} else {
			assert_int_equal(v.action, WFP_ACTION_BLOCK);
			assert_int_equal(v.filter_id, b);
			assert_int_equal(logb.calls, 1);
		}
		tu_close(&t);
	}
}

/* Variation: same sublayer, CALLOUT_TERMINATING w=20 returning CONTINUE
 * and BLOCK w=10 -> BLOCK by the callout's filter (§10 item 6). */
static void test_terminating_continue_is_block(void **state)
{
	struct tu t;
	struct tu_callout cont = { .action = WFP_ACTION_CONTINUE };
	struct wfp_guid co;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t cf;

	tu_open(&t);
	co = tu_callout_add(&t, 1, RA, &cont);
	cf = tu_filter(&t, RA, NULL, 20, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	tu_filter(&t, RA, NULL, 10, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, cf);
	tu_close(&t);
}

/* CALLOUT_UNKNOWN honours BLOCK, PERMIT and CONTINUE. */
static void test_unknown_callout(void **state)
{
	const uint32_t ret[] = { WFP_ACTION_BLOCK, WFP_ACTION_PERMIT, WFP_ACTION_CONTINUE };

	for (unsigned i = 0; i < 3; i++) {
		struct tu t;
		struct tu_callout c = { .action = ret[i] };
		struct wfp_guid co;
		struct tu_in x;
		struct wfp_verdict v;
		uint64_t cf, p;

		tu_open(&t);
		co = tu_callout_add(&t, 1, RA, &c);
		cf = tu_filter(&t, RA, NULL, 20, WFP_ACTION_CALLOUT_UNKNOWN, 0, &co, NULL, 0);
		p = tu_filter(&t, RA, NULL, 10, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
		iis_port80(&x);
		v = tu_classify(&t, &x, NULL);
		if (ret[i] == WFP_ACTION_CONTINUE) {
			assert_int_equal(v.action, WFP_ACTION_PERMIT);
			assert_int_equal(v.filter_id, p);
		} else {
			assert_int_equal(v.action, ret[i]);
			assert_int_equal(v.filter_id, cf);
		}
		tu_close(&t);
	}
}

/* §10 item 5: a hard BLOCK on top, an inspection callout at the bottom:
 * the callout runs without the write right and cannot change anything. */
static void test_all_sublayers_visited(void **state)
{
	struct tu t;
	struct tu_callout insp = { .action = WFP_ACTION_PERMIT, .clear_right = true };
	struct wfp_guid a, low, co;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t b;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7F00);
	low = tu_sublayer(&t, 2, 0x0001);
	co = tu_callout_add(&t, 1, RA, &insp);
	b = tu_filter(&t, RA, &a, 1, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	tu_filter(&t, RA, &low, 1, WFP_ACTION_CALLOUT_INSPECTION, 0, &co, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(insp.calls, 1);
	assert_int_equal(insp.rights_seen & WFP_RIGHT_ACTION_WRITE, 0);
	assert_int_equal(insp.action_seen, WFP_ACTION_BLOCK);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, b);
	tu_close(&t);
}

/* §10 item 7: unregistered callouts. */
static void test_unregistered_callout(void **state)
{
	struct tu t;
	struct tu_callout code = { .action = WFP_ACTION_PERMIT };
	struct wfp_callout_ops ops = { .sz = sizeof(ops), .classify = tu_callout_fn };
	struct wfp_filter f = { 0 };
	struct wfp_guid co, co2;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t id;

	tu_open(&t);
	co = tu_callout_add(&t, 1, RA, NULL);
	id = tu_filter(&t, RA, NULL, 10, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, id);
	/* registering the code takes effect without a commit */
	assert_int_equal(wfp_callout_register(t.e, &co, &ops, &code), 0);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_int_equal(code.calls, 1);
	assert_int_equal(wfp_callout_unregister(t.e, &co), 0);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	/* with PERMIT_IF_CALLOUT_UNREGISTERED */
	co2 = tu_callout_add(&t, 2, RA, NULL);
	id = tu_filter(&t, RA, NULL, 20, WFP_ACTION_CALLOUT_UNKNOWN,
		       WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED, &co2, NULL, 0);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_int_equal(v.filter_id, id);
	/* the flag is rejected on inspection callouts and static filters */
	f.display.name = "bad";
	f.layer = RA;
	f.action.type = WFP_ACTION_CALLOUT_INSPECTION;
	f.action.key = co2;
	f.flags = WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_FLAGS);
	f.action.type = WFP_ACTION_PERMIT;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_FLAGS);
	tu_close(&t);
}

/* An unregistered inspection callout acts as CONTINUE (§9 decision). */
static void test_unregistered_inspection(void **state)
{
	struct tu t;
	struct wfp_guid co;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t p;

	tu_open(&t);
	co = tu_callout_add(&t, 1, RA, NULL);
	tu_filter(&t, RA, NULL, 20, WFP_ACTION_CALLOUT_INSPECTION, 0, &co, NULL, 0);
	p = tu_filter(&t, RA, NULL, 10, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_PERMIT);
	assert_int_equal(v.filter_id, p);
	tu_close(&t);
}

/* ABSORB set by a callout travels in the verdict. */
static void test_absorb(void **state)
{
	struct tu t;
	struct tu_callout c = { .action = WFP_ACTION_BLOCK, .clear_right = true,
				.flags = WFP_CLASSIFY_OUT_F_ABSORB };
	struct wfp_guid co;
	struct tu_in x;
	struct wfp_verdict v;

	tu_open(&t);
	co = tu_callout_add(&t, 1, RA, &c);
	tu_filter(&t, RA, NULL, 1, WFP_ACTION_CALLOUT_TERMINATING, 0, &co, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_true(v.flags & WFP_CLASSIFY_OUT_F_ABSORB);
	tu_close(&t);
}

/* Equal weights in one sublayer: ascending filter id decides (§9). */
static void test_equal_weight_order(void **state)
{
	struct tu t;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t first;

	tu_open(&t);
	first = tu_filter(&t, RA, NULL, 7, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	tu_filter(&t, RA, NULL, 7, WFP_ACTION_PERMIT, 0, NULL, NULL, 0);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, first);
	tu_close(&t);
}

/* The same sublayer key holds filters at several layers; arbitration is
 * per (layer, sublayer) and there is no cross-layer arbitration. */
static void test_layers_independent(void **state)
{
	struct tu t;
	struct wfp_guid a;
	struct tu_in x;
	struct wfp_verdict v;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	tu_filter(&t, IT, &a, 1, WFP_ACTION_PERMIT, WFP_FILTER_F_CLEAR_ACTION_RIGHT, NULL, NULL, 0);
	tu_filter(&t, RA, &a, 1, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	tu_in_init(&x, IT);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_PERMIT);
	iis_port80(&x);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	tu_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example_transport),
		cmocka_unit_test(test_worked_example_recv_accept),
		cmocka_unit_test(test_hard_permit),
		cmocka_unit_test(test_veto),
		cmocka_unit_test(test_static_block_no_veto),
		cmocka_unit_test(test_soft_and_hard_callout_block),
		cmocka_unit_test(test_no_match_then_permit),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_first_terminating),
		cmocka_unit_test(test_terminating_continue_is_block),
		cmocka_unit_test(test_unknown_callout),
		cmocka_unit_test(test_all_sublayers_visited),
		cmocka_unit_test(test_unregistered_callout),
		cmocka_unit_test(test_unregistered_inspection),
		cmocka_unit_test(test_absorb),
		cmocka_unit_test(test_equal_weight_order),
		cmocka_unit_test(test_layers_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
