/* SPDX-License-Identifier: MIT */
/*
 * test_mgmt.c - management semantics (spec §6, §10 items 8, 9 and 15):
 * sessions, transactions, object lifetimes and ownership, validation
 * errors, weights, get/enum, and condition logic through classify.
 */
#include "testutil.h"

#define AC WFP_LAYER_ALE_AUTH_CONNECT_V4
#define IT WFP_LAYER_INBOUND_TRANSPORT_V4

static struct wfp_filter basic(unsigned layer)
{
	struct wfp_filter f = { 0 };

	f.display.name = "f";
	f.layer = (uint16_t)layer;
	f.action.type = WFP_ACTION_BLOCK;
	return f;
}

/* §10 item 15, part 1: a dynamic session's filter dies with it. */
static void test_dynamic_session(void **state)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session_opts o = { .sz = sizeof(o), .flags = WFP_SESSION_F_DYNAMIC };
	struct wfp_session *d1, *d2, *st;
	struct wfp_filter f = basic(AC), *got;
	uint64_t id, sid;

	d1 = wfp_session_open(e, &o);
	d2 = wfp_session_open(e, &o);
	st = wfp_session_open(e, NULL);
	assert_non_null(d1);
	assert_int_equal(wfp_filter_add(d1, &f, &id), 0);
	assert_int_equal(wfp_filter_add(st, &f, &sid), 0);
	/* another dynamic session may not delete it */
	assert_int_equal(wfp_filter_delete_by_id(d2, id), -WFP_E_WRONG_SESSION);
	/* a dynamic session may not delete a static object */
	assert_int_equal(wfp_filter_delete_by_id(d2, sid), -WFP_E_DYNAMIC_SESSION_IN_PROGRESS);
	assert_int_equal(wfp_filter_get_by_id(st, id, &got), 0);
	wfp_filter_free(got);
	wfp_session_close(d1);
	assert_int_equal(wfp_filter_get_by_id(st, id, &got), -WFP_E_FILTER_NOT_FOUND);
	assert_null(got);
	/* the static filter survives */
	assert_int_equal(wfp_filter_get_by_id(st, sid, &got), 0);
	wfp_filter_free(got);
	wfp_engine_close(e);
}

/* A dynamic session's purge also removes sublayers/providers it owns, and
 * the policy it published is withdrawn from classification. */
static void test_dynamic_purge_publishes(void **state)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session_opts o = { .sz = sizeof(o), .flags = WFP_SESSION_F_DYNAMIC };
	struct wfp_session *d = wfp_session_open(e, &o), *st = wfp_session_open(e, NULL);
	struct wfp_provider p = { .key = tu_guid(1), .display = { .name = "vpn" } };
	struct wfp_sublayer sl = { .key = tu_guid(2), .display = { .name = "killswitch" },
				   .provider_key = tu_guid(1), .weight = 0xFFFF };
	struct wfp_filter f = basic(AC), *got = NULL;
	struct wfp_sublayer *gs;
	struct tu_in x;
	struct wfp_verdict v;

	assert_int_equal(wfp_provider_add(d, &p), 0);
	assert_int_equal(wfp_sublayer_add(d, &sl), 0);
	f.sublayer_key = sl.key;
	f.provider_key = p.key;
	assert_int_equal(wfp_filter_add(d, &f, NULL), 0);
	tu_in_init(&x, AC);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	/* in use: cannot delete the provider or sublayer first */
	assert_int_equal(wfp_provider_delete(d, &p.key), -WFP_E_IN_USE);
	assert_int_equal(wfp_sublayer_delete(d, &sl.key), -WFP_E_IN_USE);
	wfp_session_close(d);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.action, WFP_ACTION_NONE_NO_MATCH);
	assert_int_equal(wfp_sublayer_get(st, &sl.key, &gs), -WFP_E_SUBLAYER_NOT_FOUND);
	(void)got;
	wfp_engine_close(e);
}

/* §10 item 15, part 2: transactions. */
static void test_transactions(void **state)
{
	struct tu t;
	struct wfp_filter f = basic(AC), **all;
	struct tu_in x;
	struct wfp_verdict v;
	size_t n;
	uint64_t gen;

	tu_open(&t);
	/* read-only transaction: writes are refused */
	assert_int_equal(wfp_txn_begin(t.s, WFP_TXN_READ_ONLY), 0);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INCOMPATIBLE_TXN);
	assert_int_equal(wfp_txn_begin(t.s, 0), -WFP_E_TXN_IN_PROGRESS);
	assert_int_equal(wfp_txn_commit(t.s), 0);
	assert_int_equal(wfp_txn_commit(t.s), -WFP_E_NO_TXN_IN_PROGRESS);

	/* abort leaves none of three filters */
	gen = wfp_engine_generation(t.e);
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	/* classification does not see an uncommitted transaction */
	tu_in_init(&x, AC);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_NONE_NO_MATCH);
	assert_int_equal(wfp_txn_abort(t.s), 0);
	assert_int_equal(wfp_filter_enum(t.s, NULL, &all, &n), 0);
	assert_int_equal(n, 0);
	wfp_filter_array_free(all, n);
	assert_int_equal(wfp_engine_generation(t.e), gen);

	/* commit after a failed fourth add keeps the first three */
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	f.weight.type = WFP_UINT8;
	f.weight.u8 = 16;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_WEIGHT);
	assert_int_equal(wfp_txn_commit(t.s), 0);
	assert_int_equal(wfp_filter_enum(t.s, NULL, &all, &n), 0);
	assert_int_equal(n, 3);
	wfp_filter_array_free(all, n);
	assert_true(wfp_engine_generation(t.e) > gen);
	v = tu_classify(&t, &x, NULL);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	tu_close(&t);
}

/* Aborting a transaction that deleted filters brings them back, in the
 * management view and in classification. */
static void test_abort_delete(void **state)
{
	struct tu t;
	struct wfp_filter f = basic(AC), *got;
	struct tu_in x;
	uint64_t id;

	tu_open(&t);
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	assert_int_equal(wfp_filter_delete_by_id(t.s, id), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), -WFP_E_FILTER_NOT_FOUND);
	assert_int_equal(wfp_txn_abort(t.s), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), 0);
	assert_int_equal(got->filter_id, id);
	wfp_filter_free(got);
	tu_in_init(&x, AC);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	/* and a committed delete withdraws it */
	assert_int_equal(wfp_filter_delete_by_id(t.s, id), 0);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_NONE_NO_MATCH);
	assert_int_equal(wfp_filter_delete_by_id(t.s, id), -WFP_E_FILTER_NOT_FOUND);
	tu_close(&t);
}

/* Another session's write transaction holds the lock: no waiting, and
 * no dirty reads. */
static void test_write_lock(void **state)
{
	struct tu t;
	struct wfp_session *other;
	struct wfp_filter f = basic(AC), **all;
	size_t n;

	tu_open(&t);
	other = wfp_session_open(t.e, NULL);
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	assert_int_equal(wfp_filter_add(other, &f, NULL), -WFP_E_TIMEOUT);
	assert_int_equal(wfp_txn_begin(other, 0), -WFP_E_TIMEOUT);
	assert_int_equal(wfp_filter_enum(other, NULL, &all, &n), -WFP_E_TIMEOUT);
	/* closing a session aborts its transaction */
	wfp_session_close(t.s);
	t.s = NULL;
	assert_int_equal(wfp_filter_enum(other, NULL, &all, &n), 0);
	assert_int_equal(n, 0);
	wfp_filter_array_free(all, n);
	tu_close(&t);
}

/* §10 item 15: duplicate keys; validation errors and their order. */
static void test_validation(void **state)
{
	struct tu t;
	struct wfp_filter f = basic(AC);
	struct wfp_filter_cond c16 = tu_cond_u16(WFP_FIELD_FLAGS, WFP_MATCH_EQUAL, 1);
	struct wfp_filter_cond port = tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 1);
	struct wfp_guid nokey = tu_guid(77);

	tu_open(&t);
	f.key = tu_guid(1);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_ALREADY_EXISTS);
	f.key = tu_guid(2);
	f.display.name = NULL;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_NULL_DISPLAY_NAME);
	f.display.name = "x";
	f.flags = WFP_FILTER_F_DISABLED;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_FLAGS);
	f.flags = WFP_FILTER_F_PERSISTENT | WFP_FILTER_F_BOOTTIME;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_FLAGS);
	f.flags = 0;
	f.layer = WFP_LAYER_MAX;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_LAYER_NOT_FOUND);
	f.layer = AC;
	f.provider_key = nokey;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_PROVIDER_NOT_FOUND);
	memset(&f.provider_key, 0, sizeof(f.provider_key));
	f.sublayer_key = nokey;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_SUBLAYER_NOT_FOUND);
	memset(&f.sublayer_key, 0, sizeof(f.sublayer_key));
	f.action.type = WFP_ACTION_CONTINUE;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_ACTION_TYPE);
	f.action.type = WFP_ACTION_CALLOUT_TERMINATING;
	f.action.key = nokey;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_CALLOUT_NOT_FOUND);
	f.action.key = tu_callout_add(&t, 1, IT, NULL);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_ACTION_INCOMPATIBLE_WITH_LAYER);
	f.action.type = WFP_ACTION_BLOCK;
	/* a UINT16 condition on the UINT32 FLAGS field (§10 item 10) */
	f.cond = &c16;
	f.ncond = 1;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_TYPE_MISMATCH);
	/* a field the layer does not have */
	f.layer = WFP_LAYER_INBOUND_IPPACKET_V4;
	f.cond = &port;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_CONDITION_NOT_FOUND);
	/* order: the flags error wins over a bad layer */
	f.flags = WFP_FILTER_F_DISABLED;
	f.layer = WFP_LAYER_MAX;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_FLAGS);
	tu_close(&t);
}

/* Lifetime rules (§6.4): a persistent filter cannot use a static
 * sublayer; a static filter cannot use another session's dynamic one. */
static void test_lifetimes(void **state)
{
	struct tu t;
	struct wfp_session_opts o = { .sz = sizeof(o), .flags = WFP_SESSION_F_DYNAMIC };
	struct wfp_session *d;
	struct wfp_sublayer dsl = { .key = tu_guid(9), .display = { .name = "dyn" }, .weight = 5 };
	struct wfp_filter f = basic(AC);
	struct wfp_guid stsl;

	tu_open(&t);
	d = wfp_session_open(t.e, &o);
	stsl = tu_sublayer(&t, 1, 0x4000);
	f.sublayer_key = stsl;
	f.flags = WFP_FILTER_F_PERSISTENT;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_LIFETIME_MISMATCH);
	f.flags = 0;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	assert_int_equal(wfp_sublayer_add(d, &dsl), 0);
	f.sublayer_key = dsl.key;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_LIFETIME_MISMATCH);
	assert_int_equal(wfp_filter_add(d, &f, NULL), 0);
	/* built-in sublayers: usable by everyone, never deletable */
	assert_int_equal(wfp_sublayer_delete(t.s, &wfp_builtin_sublayer_by_name("UNIVERSAL")->key),
			 -WFP_E_BUILTIN_OBJECT);
	/* the built-in silent-drop callout: neither deletable nor unregistrable */
	{
		struct wfp_guid sd;

		assert_int_equal(wfp_guid_parse("eda08606-2494-4d78-89bc-67837c03b969", &sd), 0);
		assert_int_equal(wfp_callout_delete(t.s, &sd), -WFP_E_BUILTIN_OBJECT);
		assert_int_equal(wfp_callout_unregister(t.e, &sd), -WFP_E_BUILTIN_OBJECT);
	}
	tu_close(&t);
}

/* §10 item 8: weight encodings. */
static void test_weights(void **state)
{
	struct tu t;
	struct wfp_filter f = basic(AC), *got;
	struct wfp_filter_cond c[2] = {
		tu_cond_u8(WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL, 6),
		tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 80),
	};
	uint64_t id, w_auto1, w_auto2;

	tu_open(&t);
	f.weight.type = WFP_UINT8;
	f.weight.u8 = 9;
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), 0);
	assert_int_equal(got->effective_weight >> 60, 9);
	assert_int_equal(got->weight.type, WFP_UINT8);
	wfp_filter_free(got);

	f.weight.type = WFP_UINT64;
	f.weight.u64 = 0x1234;
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), 0);
	assert_int_equal(got->effective_weight, 0x1234);
	wfp_filter_free(got);

	f.weight.type = WFP_EMPTY;
	f.cond = c;
	f.ncond = 1;
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), 0);
	w_auto1 = got->effective_weight;
	wfp_filter_free(got);
	f.ncond = 2;
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(wfp_filter_get_by_id(t.s, id, &got), 0);
	w_auto2 = got->effective_weight;
	wfp_filter_free(got);
	assert_true(w_auto1 < (1ULL << 60));
	assert_true(w_auto2 < (1ULL << 60));
	assert_true(w_auto2 > w_auto1); /* more specific weighs more */
	/* the documented example of docs/internals/weights.md */
	assert_int_equal(w_auto2, 0x0000180200000000ULL);

	f.weight.type = WFP_UINT8;
	f.weight.u8 = 16;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_WEIGHT);
	f.weight.type = WFP_UINT32;
	f.weight.u32 = 1;
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), -WFP_E_INVALID_WEIGHT);
	tu_close(&t);
}

/* Sublayer weights are unique: the closest free one is assigned. */
static void test_sublayer_weights(void **state)
{
	struct tu t;
	struct wfp_sublayer *got, **all;
	struct wfp_guid a, b, c;
	size_t n;

	tu_open(&t);
	a = tu_sublayer(&t, 1, 0x8000);
	b = tu_sublayer(&t, 2, 0x8000);
	c = tu_sublayer(&t, 3, 0x8000);
	assert_int_equal(wfp_sublayer_get(t.s, &a, &got), 0);
	assert_int_equal(got->weight, 0x8000);
	wfp_sublayer_free(got);
	assert_int_equal(wfp_sublayer_get(t.s, &b, &got), 0);
	assert_int_equal(got->weight, 0x8001);
	wfp_sublayer_free(got);
	assert_int_equal(wfp_sublayer_get(t.s, &c, &got), 0);
	assert_int_equal(got->weight, 0x7FFF);
	wfp_sublayer_free(got);
	/* built-ins are listed too, highest first */
	assert_int_equal(wfp_sublayer_enum(t.s, &all, &n), 0);
	assert_int_equal(n, wfp_builtin_sublayer_count() + 3);
	for (size_t i = 1; i < n; i++)
		assert_true(all[i - 1]->weight > all[i]->weight);
	wfp_sublayer_array_free(all, n);
	tu_close(&t);
}

/* Get returns a deep copy; enum follows arbitration order and templates. */
static void test_get_enum(void **state)
{
	struct tu t;
	struct wfp_filter_cond c = tu_cond_blob(WFP_FIELD_ALE_APP_ID, WFP_MATCH_PREFIX, "curl");
	struct wfp_filter_enum_template tm = { .flags = WFP_ENUM_F_LAYER, .layer = IT };
	struct wfp_filter f = basic(AC), *got, **all;
	struct wfp_guid hi;
	uint64_t a, b, d;
	size_t n;

	tu_open(&t);
	hi = tu_sublayer(&t, 1, 0xC000);
	f.cond = &c;
	f.ncond = 1;
	f.display.description = "desc";
	f.key = tu_guid(5);
	f.weight.type = WFP_UINT64;
	f.weight.u64 = 5;
	assert_int_equal(wfp_filter_add(t.s, &f, &a), 0);
	f.key = tu_guid(6);
	f.weight.u64 = 50;
	assert_int_equal(wfp_filter_add(t.s, &f, &b), 0);
	f.key = tu_guid(7);
	f.sublayer_key = hi;
	f.weight.u64 = 1;
	assert_int_equal(wfp_filter_add(t.s, &f, &d), 0);
	assert_int_equal(wfp_filter_get_by_key(t.s, &f.key, &got), 0);
	assert_int_equal(got->filter_id, d);
	assert_string_equal(got->display.description, "desc");
	assert_int_equal(got->ncond, 1);
	assert_int_equal(got->cond[0].value.v.blob.size, 4);
	assert_memory_equal(got->cond[0].value.v.blob.data, "curl", 4);
	assert_ptr_not_equal(got->cond[0].value.v.blob.data, c.value.v.blob.data);
	wfp_filter_free(got);
	assert_int_equal(wfp_filter_enum(t.s, NULL, &all, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(all[0]->filter_id, d); /* higher sublayer first */
	assert_int_equal(all[1]->filter_id, b); /* then heavier */
	assert_int_equal(all[2]->filter_id, a);
	wfp_filter_array_free(all, n);
	assert_int_equal(wfp_filter_enum(t.s, &tm, &all, &n), 0);
	assert_int_equal(n, 0);
	wfp_filter_array_free(all, n);
	tu_close(&t);
}

/* §10 item 9: condition logic through classify. */
static void test_condition_logic(void **state)
{
	struct tu t;
	struct wfp_filter_cond c[3] = {
		tu_cond_u8(WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL, 6),
		tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 80),
		tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 443),
	};
	struct tu_in x;
	uint64_t id;

	tu_open(&t);
	id = tu_filter(&t, IT, NULL, 1, WFP_ACTION_BLOCK, 0, NULL, c, 3);
	tu_in_init(&x, IT);
	tu_set_u8(&x, WFP_FIELD_IP_PROTOCOL, 6);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 443);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 80);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 8080);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_NONE_NO_MATCH);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 443);
	tu_set_u8(&x, WFP_FIELD_IP_PROTOCOL, 17);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_NONE_NO_MATCH);
	tu_close(&t);

	/* zero conditions: matches every classification at its layer */
	tu_open(&t);
	id = tu_filter(&t, IT, NULL, 1, WFP_ACTION_BLOCK, 0, NULL, NULL, 0);
	tu_in_init(&x, IT);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	tu_set_u8(&x, WFP_FIELD_IP_PROTOCOL, 1);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	tu_close(&t);
}

/* Non-consecutive conditions on one field are OR'ed too (§9 decision). */
static void test_nonconsecutive_or(void **state)
{
	struct tu t;
	struct wfp_filter_cond c[3] = {
		tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 80),
		tu_cond_u8(WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL, 6),
		tu_cond_u16(WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 443),
	};
	struct tu_in x;
	uint64_t id;

	tu_open(&t);
	id = tu_filter(&t, IT, NULL, 1, WFP_ACTION_BLOCK, 0, NULL, c, 3);
	tu_in_init(&x, IT);
	tu_set_u8(&x, WFP_FIELD_IP_PROTOCOL, 6);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 443);
	assert_int_equal(tu_classify(&t, &x, NULL).filter_id, id);
	tu_set_u16(&x, WFP_FIELD_IP_LOCAL_PORT, 22);
	assert_int_equal(tu_classify(&t, &x, NULL).action, WFP_ACTION_NONE_NO_MATCH);
	tu_close(&t);
}

/* Layer generations change only for layers whose filters changed. */
static void test_layer_generation(void **state)
{
	struct tu t;
	struct wfp_filter f = basic(AC);
	uint64_t g_ac, g_it;

	tu_open(&t);
	g_ac = wfp_engine_layer_generation(t.e, AC);
	g_it = wfp_engine_layer_generation(t.e, IT);
	assert_int_equal(wfp_filter_add(t.s, &f, NULL), 0);
	assert_true(wfp_engine_layer_generation(t.e, AC) != g_ac);
	assert_int_equal(wfp_engine_layer_generation(t.e, IT), g_it);
	tu_close(&t);
}

/* A dynamic session that closes while another session holds the write
 * lock: its objects go as soon as the lock is released. */
static void test_dynamic_close_during_foreign_txn(void **state)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session_opts o = { .sz = sizeof(o), .flags = WFP_SESSION_F_DYNAMIC };
	struct wfp_session *a = wfp_session_open(e, NULL), *d = wfp_session_open(e, &o);
	struct wfp_filter f = basic(AC), *got;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t id;

	assert_int_equal(wfp_filter_add(d, &f, &id), 0);
	assert_int_equal(wfp_txn_begin(a, 0), 0);
	wfp_session_close(d); /* cannot purge now: a holds the lock */
	tu_in_init(&x, AC);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.filter_id, id);
	assert_int_equal(wfp_txn_commit(a), 0);
	/* the lock is free: the closed session's filter is gone */
	assert_int_equal(wfp_filter_get_by_id(a, id, &got), -WFP_E_FILTER_NOT_FOUND);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.action, WFP_ACTION_NONE_NO_MATCH);
	/* and an abort releases the lock just as well */
	d = wfp_session_open(e, &o);
	assert_int_equal(wfp_filter_add(d, &f, &id), 0);
	assert_int_equal(wfp_txn_begin(a, 0), 0);
	wfp_session_close(d);
	assert_int_equal(wfp_txn_abort(a), 0);
	assert_int_equal(wfp_filter_get_by_id(a, id, &got), -WFP_E_FILTER_NOT_FOUND);
	wfp_engine_close(e);
}

/* Sessions with the same key; NULL arguments. */
static void test_session_keys_and_nulls(void **state)
{
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session_opts o = { .sz = sizeof(o), .key = tu_guid(3) };
	struct wfp_session *s = wfp_session_open(e, &o);

	assert_non_null(s);
	assert_null(wfp_session_open(e, &o));
	assert_int_equal(errno, WFP_E_ALREADY_EXISTS);
	assert_int_equal(wfp_filter_add(s, NULL, NULL), -WFP_E_NULL_POINTER);
	assert_int_equal(wfp_filter_add(NULL, NULL, NULL), -WFP_E_NULL_POINTER);
	assert_int_equal(wfp_txn_begin(NULL, 0), -WFP_E_NULL_POINTER);
	assert_int_equal(wfp_txn_begin(s, 0x80), -WFP_E_INVALID_FLAGS);
	wfp_session_close(NULL);
	wfp_engine_close(NULL);
	wfp_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynamic_session),
		cmocka_unit_test(test_dynamic_purge_publishes),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_abort_delete),
		cmocka_unit_test(test_write_lock),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_sublayer_weights),
		cmocka_unit_test(test_get_enum),
		cmocka_unit_test(test_condition_logic),
		cmocka_unit_test(test_nonconsecutive_or),
		cmocka_unit_test(test_layer_generation),
		cmocka_unit_test(test_dynamic_close_during_foreign_txn),
		cmocka_unit_test(test_session_keys_and_nulls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
