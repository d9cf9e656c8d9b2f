/* SPDX-License-Identifier: MIT */
/*
 * test_ebpf_compile.c - the eBPF back end's compiled policy layout
 * (lib/ebpf_compile.c, docs/internals/ebpf.md): steps, OR groups, jumps,
 * deferred filters, SD reduction, app interning and the incoming values
 * rebuilt for wfp_classify().  The kernel side is tested by
 * tests/netns/ebpf_diff.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>
#include <wfp/wfp_ebpf.h>

struct interned {
	char path[8][64];
	unsigned n;
};

static int intern(void *ctx, const uint8_t *path, size_t len, uint32_t *idx)
{
	struct interned *in = ctx;

	for (unsigned i = 0; i < in->n; i++) {
		if (strlen(in->path[i]) == len && !memcmp(in->path[i], path, len)) {
			*idx = i + 1;
			return 0;
		}
	}
	memcpy(in->path[in->n], path, len);
	in->path[in->n][len] = 0;
	*idx = ++in->n;
	return 0;
}

static struct wfp_ale_policy *compile(const char *text, struct interned *apps,
				      struct wfp_ebpf_stats *st)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session *s = wfp_session_open(e, NULL);
	struct wfp_ale_policy *p = malloc(sizeof(*p));

	assert_non_null(p);
	assert_int_equal(wfp_policy_load_string(s, text, strlen(text), "t", 0, NULL), 0);
	assert_int_equal(wfp_ebpf_compile(e, p, intern, apps, st), 0);
	assert_int_equal(p->generation, wfp_engine_generation(e));
	wfp_session_close(s);
	wfp_engine_close(e);
	return p;
}

static void test_steps(void **state)
{
	struct interned apps = { 0 };
	struct wfp_ebpf_stats st;
	struct wfp_ale_policy *p = compile(
		"filter \"a\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 80"
		" or IP_REMOTE_PORT == 81 and ALE_APP_ID == \"/usr/bin/curl\"\n"
		"filter \"b\" layer ALE_AUTH_CONNECT_V4 permit\n", &apps, &st);
	const struct wfp_ale_range *r = &p->layer[WFP_KL_CONNECT4];
	const struct wfp_ale_cond *c = &p->cond[r->first];

	assert_int_equal(st.nfilt, 2);
	assert_int_equal(st.ndefer, 0);
	assert_int_equal(r->count, 4);
	assert_int_equal(p->layer[WFP_KL_CONNECT6].count, 0);
	/* field order: the port group (IP_REMOTE_PORT), then the app */
	assert_int_equal(c[0].slot, WFP_KS_RPORT);
	assert_int_equal(c[0].flags, WFP_CF_FIRST | WFP_CF_GROUP);
	assert_int_equal(c[0].a.lo, 80);
	assert_int_equal(c[1].slot, WFP_KS_RPORT);
	assert_int_equal(c[1].flags, 0);
	assert_int_equal(c[1].a.lo, 81);
	assert_int_equal(c[2].slot, WFP_KS_APP);
	assert_int_equal(c[2].flags, WFP_CF_GROUP | WFP_CF_LAST);
	assert_int_equal(c[2].a.lo, 1);
	assert_string_equal(apps.path[0], "/usr/bin/curl");
	assert_int_equal(c[3].op, WFP_OP_TRUE);
	assert_int_equal(c[3].flags, WFP_CF_FIRST | WFP_CF_GROUP | WFP_CF_LAST);
	/* jumps: a failing filter goes to the next one, a decided sublayer
	 * past both (they share the default sublayer) */
	assert_int_equal(p->filt[c[0].filt].next_pc, r->first + 3);
	assert_int_equal(p->filt[c[0].filt].sub_end_pc, r->first + 4);
	assert_int_equal(p->filt[c[3].filt].sub_end_pc, r->first + 4);
	assert_int_equal(p->filt[c[0].filt].flags, WFP_AF_HARD);
	assert_int_equal(p->filt[c[0].filt].block, 1);
	assert_int_equal(p->filt[c[0].filt].needs, (1U << WFP_KS_APP) | (1U << WFP_KS_RPORT));
	assert_int_equal(p->filt[c[3].filt].flags, 0); /* soft permit */
	free(p);
}

static void test_defer(void **state)
{
	struct interned apps = { 0 };
	struct wfp_ebpf_stats st;
	struct wfp_ale_policy *p = compile(
		"filter \"if\" layer ALE_AUTH_CONNECT_V6 block where INTERFACE_TYPE == 24"
		" and IP_REMOTE_PORT == 80\n"
		"filter \"suffix\" layer ALE_RESOURCE_ASSIGNMENT_V4 block where"
		" ALE_APP_ID suffix \"/curl\"\n", &apps, &st);
	const struct wfp_ale_cond *c;

	assert_int_equal(st.ndefer, st.nfilt);
	assert_int_equal(p->layer[WFP_KL_CONNECT6].count, 1);
	c = &p->cond[p->layer[WFP_KL_CONNECT6].first];
	assert_int_equal(c->op, WFP_OP_TRUE);
	assert_true(p->filt[c->filt].flags & WFP_AF_DEFER);
	assert_int_equal(p->filt[c->filt].needs, 0);
	/* a layer with a deferring filter is not complete (cannot be strict) */
	assert_int_equal(st.complete_mask,
			 0xff & ~(1U << WFP_KL_CONNECT6) & ~(1U << WFP_KL_BIND4));
	free(p);
	p = compile("callout co layer ALE_AUTH_RECV_ACCEPT_V4\n"
		    "filter \"hard\" layer ALE_AUTH_RECV_ACCEPT_V4 weight 9 block\n"
		    "filter \"co\" layer ALE_AUTH_RECV_ACCEPT_V4 callout co\n"
		    "filter \"app\" layer ALE_AUTH_CONNECT_V4 block where"
		    " ALE_APP_ID == \"/bin/x\"\n", &apps, &st);
	assert_int_equal(st.ncallout, 1);
	/* even behind a hard block: the compiler does not prove it unreachable */
	assert_int_equal(st.complete_mask, 0xff & ~(1U << WFP_KL_ACCEPT4));
	free(p);
}

static void test_sd(void **state)
{
	struct interned apps = { 0 };
	struct wfp_ale_policy *p = compile(
		"filter \"u\" layer ALE_AUTH_LISTEN_V4 block where ALE_USER_ID =="
		" \"O:SYD:(A;;CC;;;S-1-22-1-1000)(A;OICIIO;CC;;;WD)(D;;RC;;;WD)"
		"(A;;CC;;;LS)(D;;CC;;;BA)\"\n", &apps, NULL);
	const struct wfp_ale_cond *c = &p->cond[p->layer[WFP_KL_LISTEN4].first];

	assert_int_equal(c->op, WFP_OP_SD);
	assert_int_equal(c->nace, 2); /* IO, no-CC and LS ACEs dropped */
	assert_int_equal(p->ace[c->ace_first].kind, WFP_ACE_UID);
	assert_int_equal(p->ace[c->ace_first].id, 1000);
	assert_int_equal(p->ace[c->ace_first].deny, 0);
	assert_int_equal(p->ace[c->ace_first + 1].kind, WFP_ACE_GID);
	assert_int_equal(p->ace[c->ace_first + 1].id, 0);
	assert_int_equal(p->ace[c->ace_first + 1].deny, 1);
	free(p);
}

static void test_incoming(void **state)
{
	struct wfp_ale_in in = { .klayer = WFP_KL_CONNECT6 };
	struct wfp_ale_owner o = { .euid = 7, .ngids = 1, .gids = { 9 } };
	struct wfp_value v[WFP_MAX_FIELDS_PER_LAYER];
	struct wfp_token tok;
	int layer, i;

	in.present = in.avail = (1U << WFP_KS_RADDR) | (1U << WFP_KS_USER) |
				(1U << WFP_KS_RPORT) | (1U << WFP_KS_APP);
	in.v[WFP_KS_RADDR].hi = 0x20010db800000000ULL;
	in.v[WFP_KS_RADDR].lo = 1;
	in.v[WFP_KS_RPORT].lo = 443;
	layer = wfp_ebpf_incoming(&in, "/bin/x", &o, &tok, v, WFP_MAX_FIELDS_PER_LAYER);
	assert_int_equal(layer, WFP_LAYER_ALE_AUTH_CONNECT_V6);
	i = wfp_layer_field_index(layer, WFP_FIELD_IP_REMOTE_ADDRESS);
	assert_int_equal(v[i].type, WFP_BYTE_ARRAY16);
	assert_int_equal(v[i].a16[0], 0x20);
	assert_int_equal(v[i].a16[3], 0xb8);
	assert_int_equal(v[i].a16[15], 1);
	i = wfp_layer_field_index(layer, WFP_FIELD_IP_REMOTE_PORT);
	assert_int_equal(v[i].u16, 443);
	i = wfp_layer_field_index(layer, WFP_FIELD_ALE_USER_ID);
	assert_int_equal(v[i].type, WFP_TOKEN_INFORMATION);
	assert_int_equal(v[i].token->uid, 7);
	i = wfp_layer_field_index(layer, WFP_FIELD_IP_LOCAL_PORT);
	assert_int_equal(v[i].type, WFP_EMPTY); /* not available */
	assert_int_equal(wfp_ebpf_klayer(WFP_LAYER_ALE_AUTH_LISTEN_V6), WFP_KL_LISTEN6);
	assert_int_equal(wfp_ebpf_klayer(WFP_LAYER_STREAM_V4), -1);
}

/* Sublayers: highest weight first; sub_end_pc ends each sublayer; a
 * CLEAR_ACTION_RIGHT permit is hard. */
static void test_sublayers(void **state)
{
	struct interned apps = { 0 };
	struct wfp_ale_policy *p = compile(
		"sublayer low weight 0x100\n"
		"sublayer high weight 0x9000\n"
		"filter \"l\" layer ALE_RESOURCE_ASSIGNMENT_V6 sublayer low block"
		" where IP_LOCAL_PORT == 1\n"
		"filter \"h1\" layer ALE_RESOURCE_ASSIGNMENT_V6 sublayer high weight 5"
		" permit where IP_LOCAL_PORT == 2\n"
		"filter \"h2\" layer ALE_RESOURCE_ASSIGNMENT_V6 sublayer high weight 7"
		" permit clear-action-right where IP_LOCAL_ADDRESS == ::1/128\n", &apps, NULL);
	const struct wfp_ale_range *r = &p->layer[WFP_KL_BIND6];
	const struct wfp_ale_cond *c = &p->cond[r->first];
	const struct wfp_ale_filter *f0 = &p->filt[c[0].filt];
	const struct wfp_ale_filter *f1 = &p->filt[c[1].filt];
	const struct wfp_ale_filter *f2 = &p->filt[c[2].filt];

	assert_int_equal(r->count, 3);
	/* h2 (weight 7) first; weights taken by built-in sublayers move */
	assert_true(f0->sub_weight >= 0x8f00);
	assert_int_equal(c[0].slot, WFP_KS_LADDR);
	assert_int_equal(c[0].op, WFP_OP_MASK);
	assert_int_equal(c[0].a.lo, 1);
	assert_int_equal(c[0].b.hi, UINT64_MAX);
	assert_int_equal(c[0].b.lo, UINT64_MAX);
	assert_int_equal(f0->flags, WFP_AF_HARD);
	assert_int_equal(f1->sub_weight, f0->sub_weight);
	assert_int_equal(f1->flags, 0);
	assert_int_equal(f0->sub_end_pc, r->first + 2);
	assert_int_equal(f1->sub_end_pc, r->first + 2);
	assert_true(f2->sub_weight < 0x200);
	assert_int_equal(f2->sub_end_pc, r->first + 3);
	free(p);
}

/* The kernel's bucket lookup (bpf/wfp_ale.bpf.c candidates()). */
static const struct wfp_ale_bucket *bucket_of(const struct wfp_ale_policy *p, unsigned kl,
					      uint64_t lo)
{
	const struct wfp_ale_index *ix = &p->index[kl];
	uint32_t h = wfp_ale_hash(0, lo);

	for (uint32_t k = 0; k < WFP_ALE_PROBES; k++) {
		const struct wfp_ale_bucket *b =
			&p->bucket[ix->bucket_first + ((h + k) & (ix->nbuckets - 1))];

		if (!b->list_n)
			return NULL;
		if (b->key.hi == 0 && b->key.lo == lo)
			return b;
	}
	return NULL;
}

/* Index on IP_REMOTE_PORT: a value's list is its filters merged with the
 * filters that are not indexed, in arbitration order. */
static void test_index(void **state)
{
	struct interned apps = { 0 };
	struct wfp_ebpf_stats st;
	struct wfp_ale_policy *p = compile(
		"filter \"f1\" layer ALE_AUTH_CONNECT_V4 weight 3 block where IP_REMOTE_PORT == 80\n"
		"filter \"f2\" layer ALE_AUTH_CONNECT_V4 weight 2 permit where IP_PROTOCOL == tcp\n"
		"filter \"f3\" layer ALE_AUTH_CONNECT_V4 weight 1 block where IP_REMOTE_PORT == 443"
		" or IP_REMOTE_PORT == 80\n"
		"filter \"f4\" layer ALE_AUTH_CONNECT_V4 weight 0 block where IP_REMOTE_PORT != 22\n",
		&apps, &st);
	const struct wfp_ale_index *ix = &p->index[WFP_KL_CONNECT4];
	const struct wfp_ale_range *r = &p->layer[WFP_KL_CONNECT4];
	const struct wfp_ale_bucket *b80, *b443;
	uint32_t f1 = r->first, f2 = f1 + 1, f3 = f1 + 2, f4 = f1 + 4;

	assert_int_equal(st.nindexed, 2);
	assert_int_equal(ix->slot, WFP_KS_RPORT);
	assert_true(ix->nbuckets >= 8);
	/* the plain list: every filter */
	assert_int_equal(r->list_n, 4);
	assert_int_equal(p->list[r->list_first + 3], f4);
	b80 = bucket_of(p, WFP_KL_CONNECT4, 80);
	b443 = bucket_of(p, WFP_KL_CONNECT4, 443);
	assert_non_null(b80);
	assert_non_null(b443);
	assert_null(bucket_of(p, WFP_KL_CONNECT4, 22));
	assert_int_equal(b80->list_n, 4); /* f1 f2 f3 f4: f3 once */
	assert_int_equal(p->list[b80->list_first], f1);
	assert_int_equal(p->list[b80->list_first + 1], f2);
	assert_int_equal(p->list[b80->list_first + 2], f3);
	assert_int_equal(p->list[b80->list_first + 3], f4);
	assert_int_equal(b443->list_n, 3); /* f2 f3 f4 */
	assert_int_equal(p->list[b443->list_first], f2);
	assert_int_equal(ix->always_n, 2); /* f2 f4: NOT_EQUAL is not indexed */
	assert_int_equal(p->list[ix->always_first], f2);
	assert_int_equal(p->list[ix->always_first + 1], f4);
	free(p);
}

/* A policy larger than the fixed tables is refused, not truncated. */
static void test_limit(void **state)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session *s = wfp_session_open(e, NULL);
	struct wfp_ale_policy *p = malloc(sizeof(*p));
	struct interned apps = { 0 };

	assert_non_null(p);
	assert_int_equal(wfp_txn_begin(s, 0), 0);
	for (unsigned i = 0; i <= WFP_ALE_MAX_FILT; i++) {
		struct wfp_filter f = { .display = { .name = "x" },
					.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4 };

		f.action.type = WFP_ACTION_PERMIT;
		assert_int_equal(wfp_filter_add(s, &f, NULL), 0);
	}
	assert_int_equal(wfp_txn_commit(s), 0);
	assert_int_equal(wfp_ebpf_compile(e, p, intern, &apps, NULL), -WFP_E_LIMIT);
	free(p);
	wfp_session_close(s);
	wfp_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_sd),
		cmocka_unit_test(test_incoming),
		cmocka_unit_test(test_sublayers),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
