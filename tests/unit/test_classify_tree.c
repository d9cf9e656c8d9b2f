/* SPDX-License-Identifier: MIT */
/*
 * test_classify_tree.c - the compiled index (lib/classify_tree.c) against
 * the plain linear walk on layers big enough to get deep trees: verdicts,
 * explain records and the exact sequence of callout invocations must be
 * the same (docs/internals/classify.md).  The differential test covers
 * small random policies against the spec; this one covers large layers,
 * where cuts, categories, pruning and shared subtrees come into play.
 */
#include "testutil.h"
#include "classify_tree.h"

#define IT WFP_LAYER_INBOUND_TRANSPORT_V4

enum { MAXTRACE = 256 };

/* A callout that records which filters invoked it, in order. */
struct trace {
	uint64_t id[MAXTRACE];
	unsigned n;
};

static struct trace trace;

struct script {
	uint32_t action;
	bool clear;
};

static void trace_fn(void *ctx, const struct wfp_incoming *in,
		     const struct wfp_callout_filter *f, struct wfp_classify_out *out)
{
	const struct script *s = ctx;

	(void)in;
	if (trace.n < MAXTRACE)
		trace.id[trace.n++] = f->filter_id;
	out->action = s->action;
	if (s->clear)
		out->rights &= ~(uint32_t)WFP_RIGHT_ACTION_WRITE;
}

static struct script scripts[3] = {
	{ WFP_ACTION_CONTINUE, false },
	{ WFP_ACTION_BLOCK, true },
	{ WFP_ACTION_PERMIT, false },
};

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

static const uint32_t nets[] = { 0x0A000000, 0x0A010000, 0x0A010200, 0xC0A80000, 0xC0A80100 };
static const uint16_t ports[] = { 22, 53, 80, 443, 1024, 8080, 21230, 23299 };

static struct wfp_filter_cond rand_cond(void)
{
	static const uint16_t addr_f[] = { WFP_FIELD_IP_LOCAL_ADDRESS, WFP_FIELD_IP_REMOTE_ADDRESS };
	static const uint16_t port_f[] = { WFP_FIELD_IP_LOCAL_PORT, WFP_FIELD_IP_REMOTE_PORT };
	static const uint16_t orders[] = { WFP_MATCH_GREATER, WFP_MATCH_LESS,
					   WFP_MATCH_GREATER_OR_EQUAL, WFP_MATCH_LESS_OR_EQUAL,
					   WFP_MATCH_NOT_EQUAL, WFP_MATCH_EQUAL };
	struct wfp_filter_cond c;
	unsigned plen;

	memset(&c, 0, sizeof(c));
	switch (rnd(4)) {
	case 0: /* address prefix */
		c.field = addr_f[rnd(2)];
		c.match = WFP_MATCH_EQUAL;
		plen = 8 + rnd(25);
		c.value.type = WFP_V4_ADDR_MASK;
		c.value.v4.mask = plen == 32 ? ~0u : ~(~0u >> plen);
		c.value.v4.addr = (nets[rnd(5)] | rnd(256)) & c.value.v4.mask;
		return c;
	case 1: /* port range */
		c.field = port_f[rnd(2)];
		c.match = WFP_MATCH_RANGE;
		c.value.type = WFP_RANGE;
		c.value.range.low.type = c.value.range.high.type = WFP_UINT16;
		c.value.range.low.u16 = ports[rnd(8)];
		c.value.range.high.u16 = (uint16_t)(c.value.range.low.u16 + rnd(3000)); /* < 65535 */
		return c;
	case 2: /* port order or (non-)equality */
		return tu_cond_u16(port_f[rnd(2)], orders[rnd(6)], ports[rnd(8)]);
	default: /* protocol */
		return tu_cond_u8(WFP_FIELD_IP_PROTOCOL, rnd(4) ? WFP_MATCH_EQUAL :
				  WFP_MATCH_NOT_EQUAL, rnd(2) ? 6 : 17);
	}
}

static void add_random_filter(struct tu *t, const struct wfp_guid *sl,
			      const struct wfp_guid *co, bool callouts)
{
	struct wfp_filter_cond c[4];
	uint32_t n = rnd(5), action = WFP_ACTION_BLOCK, flags = 0;
	unsigned kind = rnd(callouts ? 10 : 8);

	for (uint32_t k = 0; k < n; k++)
		c[k] = rand_cond();
	if (kind < 4) {
		action = WFP_ACTION_PERMIT;
		flags = rnd(2) ? WFP_FILTER_F_CLEAR_ACTION_RIGHT : 0;
	} else if (kind == 8) {
		action = WFP_ACTION_CALLOUT_INSPECTION;
	} else if (kind == 9) {
		action = rnd(2) ? WFP_ACTION_CALLOUT_UNKNOWN : WFP_ACTION_CALLOUT_TERMINATING;
	}
	tu_filter(t, IT, sl, rnd(50), action, flags,
		  action & WFP_ACTION_FLAG_CALLOUT ? &co[rnd(4)] : NULL, c, n);
}

static void rand_input(struct tu_in *x)
{
	tu_in_init(x, IT);
	tu_set_u32(x, WFP_FIELD_IP_LOCAL_ADDRESS, nets[rnd(5)] | rnd(65536));
	tu_set_u32(x, WFP_FIELD_IP_REMOTE_ADDRESS, nets[rnd(5)] | rnd(65536));
	tu_set_u16(x, WFP_FIELD_IP_LOCAL_PORT, (uint16_t)(ports[rnd(8)] + rnd(3) - 1));
	if (rnd(20)) /* sometimes EMPTY: the index steps aside */
		tu_set_u16(x, WFP_FIELD_IP_REMOTE_PORT, (uint16_t)(rnd(2) ? ports[rnd(8)] : rnd(65536)));
	tu_set_u8(x, WFP_FIELD_IP_PROTOCOL, rnd(3) ? 6 : 17);
}

/* Classify x both ways; verdict, explain and callout order must agree. */
static void same_both_ways(struct tu *t, struct tu_in *x)
{
	static struct wfp_explain ea, eb;
	struct wfp_verdict va, vb;
	struct trace ta;

	trace.n = 0;
	assert_int_equal(wfp_classify(t->e, &x->in, &va, &ea), 0);
	ta = trace;
	trace.n = 0;
	assert_int_equal(wfp_classify_linear(t->e, &x->in, &vb, &eb), 0);
	assert_int_equal(va.action, vb.action);
	assert_int_equal(va.filter_id, vb.filter_id);
	assert_int_equal(va.rights, vb.rights);
	assert_int_equal(va.flags, vb.flags);
	assert_int_equal(va.sublayer_weight, vb.sublayer_weight);
	assert_int_equal(va.nmatched, vb.nmatched);
	assert_int_equal(ta.n, trace.n);
	assert_memory_equal(ta.id, trace.id, ta.n * sizeof(ta.id[0]));
	assert_int_equal(ea.nsublayers, eb.nsublayers);
	for (unsigned s = 0; s < ea.nsublayers; s++) {
		assert_int_equal(ea.sub[s].filter_id, eb.sub[s].filter_id);
		assert_int_equal(ea.sub[s].action, eb.sub[s].action);
		assert_int_equal(ea.sub[s].applied, eb.sub[s].applied);
		assert_int_equal(ea.sub[s].ncallouts, eb.sub[s].ncallouts);
	}
	/* and without explain (the all-static fast path skips explain_sub) */
	trace.n = 0;
	assert_int_equal(wfp_classify(t->e, &x->in, &va, NULL), 0);
	assert_int_equal(va.filter_id, vb.filter_id);
	assert_int_equal(va.nmatched, vb.nmatched);
	assert_int_equal(trace.n, ta.n);
}

static void random_layer(unsigned nfilt, bool callouts, uint64_t seed)
{
	struct wfp_callout_ops ops = { .sz = sizeof(ops), .classify = trace_fn };
	struct wfp_guid sl[3], co[4];
	struct tu t;
	struct tu_in x;

	rng = seed;
	tu_open(&t);
	for (unsigned k = 0; k < 3; k++)
		sl[k] = tu_sublayer(&t, k, (uint16_t)(0x7000 - 0x1000 * k));
	for (unsigned k = 0; k < 4; k++) {
		co[k] = tu_callout_add(&t, k, IT, NULL);
		if (k < 3) /* callout 3 stays unregistered */
			assert_int_equal(wfp_callout_register(t.e, &co[k], &ops, &scripts[k]), 0);
	}
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	for (unsigned i = 0; i < nfilt; i++) {
		if (rnd(10) < 9)
			add_random_filter(&t, &sl[rnd(3)], co, callouts);
		else /* catch-alls */
			tu_filter(&t, IT, &sl[rnd(3)], rnd(50), WFP_ACTION_BLOCK, 0, NULL,
				  NULL, 0);
	}
	assert_int_equal(wfp_txn_commit(t.s), 0);
	for (unsigned i = 0; i < 3000; i++) {
		rand_input(&x);
		same_both_ways(&t, &x);
	}
	tu_close(&t);
}

static void test_random_static(void **state)
{
	(void)state;
	/* PERMIT/BLOCK only: the one-pass path and direct arbitration */
	for (uint64_t seed = 1; seed <= 3; seed++)
		random_layer(400, false, seed);
}

static void test_random_callouts(void **state)
{
	(void)state;
	for (uint64_t seed = 11; seed <= 13; seed++)
		random_layer(400, true, seed);
}

static void test_small_layers_with_tree(void **state)
{
	unsigned saved = wfp_tree_min_filters;

	(void)state;
	wfp_tree_min_filters = 1;
	for (uint64_t seed = 21; seed <= 40; seed++)
		random_layer(5 + (unsigned)seed, true, seed);
	wfp_tree_min_filters = saved;
}

/*
 * The shared-subtree bug the differential test found: a PERMIT covering
 * one block of ports pruned a later wide BLOCK of its sublayer for the
 * neighbouring block too, which held the same filters.
 */
static void test_shared_block_pruning(void **state)
{
	struct wfp_filter_cond lt = tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_LESS, 21230);
	struct wfp_filter_cond ne = tu_cond_u8(WFP_FIELD_IP_PROTOCOL, WFP_MATCH_NOT_EQUAL, 200);
	unsigned saved = wfp_tree_min_filters;
	struct wfp_guid a, b;
	uint64_t block;
	struct tu t;
	struct tu_in x;

	(void)state;
	wfp_tree_min_filters = 1;
	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x7000);
	b = tu_sublayer(&t, 2, 0x6000);
	tu_filter(&t, IT, &a, 10, WFP_ACTION_PERMIT, 0, NULL, &lt, 1);
	block = tu_filter(&t, IT, &a, 5, WFP_ACTION_BLOCK, 0, NULL, &ne, 1);
	for (unsigned k = 0; k < 8; k++) {
		/* wide port ranges (the same category as a's filters) that
		 * make the root cut the port, none in 16384..32767: there the
		 * blocks hold the same filters, and the PERMIT covers the
		 * blocks left of 21230 but not the one holding it */
		struct wfp_filter_cond rg = { .field = WFP_FIELD_IP_LOCAL_PORT,
					      .match = WFP_MATCH_RANGE };

		if (k == 2 || k == 3)
			continue;
		rg.value.type = WFP_RANGE;
		rg.value.range.low.type = rg.value.range.high.type = WFP_UINT16;
		rg.value.range.low.u16 = (uint16_t)(k * 8192 + 4096);
		rg.value.range.high.u16 = (uint16_t)(k * 8192 + 8191);
		tu_filter(&t, IT, &b, 1, WFP_ACTION_PERMIT, 0, NULL, &rg, 1);
	}
	tu_in_init(&x, IT);
	tu_set_u8(&x, WFP_FIELD_IP_PROTOCOL, 6);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 21300);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, block);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 80);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_PERMIT);
	tu_close(&t);
	wfp_tree_min_filters = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_block_pruning),
		cmocka_unit_test(test_random_static),
		cmocka_unit_test(test_random_callouts),
		cmocka_unit_test(test_small_layers_with_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
