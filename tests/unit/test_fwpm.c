/* SPDX-License-Identifier: MIT */
/*
 * test_fwpm.c - the Windows-named API (fwpm.h): spec §10 item 15 through
 * Fwpm calls, object round trips, built-in callouts, filter enumeration
 * with paging and templates, net events, change subscriptions, string
 * conversions, and the stealth-mode sample (spec §3.8) against the engine.
 *
 * Every test binds a fresh engine, so the tests do not see each other's
 * objects.
 */
#include <locale.h>
#include <wchar.h>

#include <wfp/fwpm.h>
#include <wfp/wfp_stack.h>

#include "testutil.h"

#define STEALTH_NO_MAIN
#include "../../examples/fwpm/stealth.c"

static struct wfp_engine *eng;

static int setup(void **state)
{
	(void)state;
	eng = wfp_engine_open(NULL);
	if (!eng || wfp_fwpm_bind_engine(eng))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (wfp_fwpm_bind_engine(NULL))
		return -1; /* a test left a handle open */
	wfp_engine_close(eng);
	eng = NULL;
	return 0;
}

static HANDLE open_session(bool dynamic)
{
	FWPM_SESSION0 s;
	HANDLE h = NULL;

	memset(&s, 0, sizeof(s));
	s.displayData.name = L"test session";
	s.flags = dynamic ? FWPM_SESSION_FLAG_DYNAMIC : 0;
	assert_int_equal(FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &s, &h), ERROR_SUCCESS);
	assert_non_null(h);
	return h;
}

static GUID test_guid(unsigned n)
{
	GUID g = { 0x5eed0000u + n, 0x1234, 0x4321, { 0x80, 1, 2, 3, 4, 5, 6, (uint8_t)n } };

	return g;
}

/* A BLOCK filter at ALE_AUTH_CONNECT_V4 for remote port `port`. */
static DWORD add_port_filter(HANDLE h, unsigned key, UINT16 port, UINT64 *id)
{
	FWPM_FILTER_CONDITION0 c;
	FWPM_FILTER0 f;

	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.filterKey = test_guid(key);
	f.displayData.name = L"block port";
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = FWP_ACTION_BLOCK;
	f.numFilterConditions = 1;
	f.filterCondition = &c;
	c.fieldKey = FWPM_CONDITION_IP_REMOTE_PORT;
	c.matchType = FWP_MATCH_EQUAL;
	c.conditionValue.type = FWP_UINT16;
	c.conditionValue.uint16 = port;
	return FwpmFilterAdd0(h, &f, NULL, id);
}

static bool filter_exists(HANDLE h, UINT64 id)
{
	FWPM_FILTER0 *f = NULL;
	DWORD r = FwpmFilterGetById0(h, id, &f);

	if (r == ERROR_SUCCESS) {
		assert_int_equal(f->filterId, id);
		FwpmFreeMemory0((void **)&f);
		assert_null(f);
		return true;
	}
	assert_int_equal(r, FWP_E_FILTER_NOT_FOUND);
	return false;
}

/* ---- GUID constants ---- */

struct named_guid {
	const char *name;
	const GUID *g;
};

#define LAYER_ENTRY(n) { #n, &FWPM_LAYER_##n },
#define COND_ENTRY(n) { #n, &FWPM_CONDITION_##n },
#define SUBLAYER_ENTRY(n) { #n, &FWPM_SUBLAYER_##n },
static const struct named_guid layers[] = { FWPM_LAYER_LIST(LAYER_ENTRY) };
static const struct named_guid conds[] = { FWPM_CONDITION_LIST(COND_ENTRY) };
static const struct named_guid sublayers[] = { FWPM_SUBLAYER_LIST(SUBLAYER_ENTRY) };

static void test_guid_constants(void **state)
{
	struct wfp_guid w, back;
	GUID g;

	(void)state;
	assert_int_equal(sizeof(layers) / sizeof(layers[0]), WFP_LAYER_MAX);
	for (size_t i = 0; i < WFP_LAYER_MAX; i++) {
		int l = wfp_layer_by_name(layers[i].name);

		assert_true(l >= 0);
		wfp_guid_from_win(layers[i].g, &w);
		assert_true(wfp_guid_eq(&w, wfp_layer_guid((unsigned)l)));
	}
	assert_int_equal(sizeof(conds) / sizeof(conds[0]), WFP_FIELD_MAX);
	for (size_t i = 0; i < WFP_FIELD_MAX; i++) {
		wfp_guid_from_win(conds[i].g, &w);
		assert_int_equal(wfp_field_by_guid(&w), wfp_field_by_name(conds[i].name));
	}
	assert_int_equal(sizeof(sublayers) / sizeof(sublayers[0]), wfp_builtin_sublayer_count());
	for (size_t i = 0; i < wfp_builtin_sublayer_count(); i++) {
		wfp_guid_from_win(sublayers[i].g, &w);
		assert_true(wfp_guid_eq(&w, &wfp_builtin_sublayer_by_name(sublayers[i].name)->key));
	}
	/* Windows layout: Data1..Data3 as numbers (spec §1.2:
	 * ALE_AUTH_CONNECT_V4 = c38d57d1-05a7-4c33-904f-7fbceee60e82) */
	assert_int_equal(FWPM_LAYER_ALE_AUTH_CONNECT_V4.Data1, 0xc38d57d1);
	assert_int_equal(FWPM_LAYER_ALE_AUTH_CONNECT_V4.Data2, 0x05a7);
	assert_int_equal(FWPM_LAYER_ALE_AUTH_CONNECT_V4.Data3, 0x4c33);
	assert_int_equal(FWPM_LAYER_ALE_AUTH_CONNECT_V4.Data4[0], 0x90);
	assert_int_equal(FWPM_LAYER_ALE_AUTH_CONNECT_V4.Data4[7], 0x82);
	/* aliases */
	assert_memory_equal(&FWPM_CONDITION_ICMP_TYPE, &FWPM_CONDITION_IP_LOCAL_PORT, sizeof(GUID));
	/* the silent drops, against the text of spec Appendix A */
	assert_int_equal(wfp_guid_parse("eda08606-2494-4d78-89bc-67837c03b969", &w), 0);
	wfp_guid_to_win(&w, &g);
	assert_memory_equal(&g, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP, sizeof(g));
	assert_int_equal(wfp_guid_parse("8693cc74-a075-4156-b476-9286eece814e", &w), 0);
	wfp_guid_to_win(&w, &g);
	assert_memory_equal(&g, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V6_SILENT_DROP, sizeof(g));
	wfp_guid_from_win(&g, &back);
	assert_true(wfp_guid_eq(&w, &back));
	/* the rest of Appendix A */
	assert_int_equal(FWPM_PROVIDER_MPSSVC_WF.Data1, 0xdecc16ca);
	assert_int_equal(FWPM_PROVIDER_MPSSVC_WF.Data3, 0x4346);
	assert_int_equal(FWPM_PROVIDER_MPSSVC_WF.Data4[7], 0x62);
	assert_int_equal(FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V6.Data1,
			 0x5fbfc31d);
	assert_int_equal(FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V6.Data4[7], 0x03);
	wfp_guid_from_win(&FWPM_LAYER_INBOUND_TRANSPORT_FAST, &w);
	assert_true(wfp_layer_by_guid(&w) < 0); /* not a modelled layer */
}

/* ---- spec §10 item 15 ---- */

static void test_spec15_sessions(void **state)
{
	HANDLE stat = open_session(false), d1, d2;
	UINT64 id = 0, id2 = 0;
	GUID k;

	(void)state;
	/* a dynamic session's filter dies with it */
	d1 = open_session(true);
	assert_int_equal(add_port_filter(d1, 1, 80, &id), ERROR_SUCCESS);
	assert_true(id != 0);
	assert_true(filter_exists(stat, id));
	assert_int_equal(FwpmEngineClose0(d1), ERROR_SUCCESS);
	assert_false(filter_exists(stat, id));

	/* another dynamic session may not delete it */
	d1 = open_session(true);
	d2 = open_session(true);
	assert_int_equal(add_port_filter(d1, 2, 81, &id2), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterDeleteById0(d2, id2), FWP_E_WRONG_SESSION);
	k = test_guid(2);
	assert_int_equal(FwpmFilterDeleteByKey0(d2, &k), FWP_E_WRONG_SESSION);
	/* nor a static one added outside any dynamic session */
	assert_int_equal(add_port_filter(stat, 3, 82, &id), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterDeleteById0(d2, id), FWP_E_DYNAMIC_SESSION_IN_PROGRESS);
	assert_int_equal(FwpmFilterDeleteById0(d1, id2), ERROR_SUCCESS);
	assert_false(filter_exists(stat, id2));
	assert_int_equal(FwpmFilterDeleteById0(stat, id), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterDeleteById0(stat, id), FWP_E_FILTER_NOT_FOUND);
	assert_int_equal(FwpmEngineClose0(d1), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(d2), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(stat), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(stat), ERROR_INVALID_HANDLE);
}

static void test_spec15_transactions(void **state)
{
	HANDLE h = open_session(false);
	UINT64 ids[3];
	FWPM_FILTER0 *f = NULL;
	GUID k;

	(void)state;
	/* read-only: no writes, and one transaction at a time */
	assert_int_equal(FwpmTransactionBegin0(h, FWPM_TXN_READ_ONLY), ERROR_SUCCESS);
	assert_int_equal(add_port_filter(h, 10, 80, NULL), FWP_E_INCOMPATIBLE_TXN);
	assert_int_equal(FwpmTransactionBegin0(h, 0), FWP_E_TXN_IN_PROGRESS);
	assert_int_equal(FwpmTransactionBegin0(h, FWPM_TXN_READ_ONLY), FWP_E_TXN_IN_PROGRESS);
	assert_int_equal(FwpmTransactionAbort0(h), ERROR_SUCCESS);
	assert_int_equal(FwpmTransactionAbort0(h), FWP_E_NO_TXN_IN_PROGRESS);

	/* abort of three adds leaves none */
	assert_int_equal(FwpmTransactionBegin0(h, 0), ERROR_SUCCESS);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(add_port_filter(h, 20 + i, (UINT16)(100 + i), &ids[i]),
				 ERROR_SUCCESS);
		assert_true(filter_exists(h, ids[i])); /* the session sees its own */
	}
	assert_int_equal(FwpmTransactionAbort0(h), ERROR_SUCCESS);
	for (unsigned i = 0; i < 3; i++)
		assert_false(filter_exists(h, ids[i]));
	k = test_guid(20);
	assert_int_equal(FwpmFilterGetByKey0(h, &k, &f), FWP_E_FILTER_NOT_FOUND);
	assert_null(f);

	/* a failed fourth add does not doom the transaction */
	assert_int_equal(FwpmTransactionBegin0(h, 0), ERROR_SUCCESS);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(add_port_filter(h, 30 + i, (UINT16)(200 + i), &ids[i]),
				 ERROR_SUCCESS);
	assert_int_equal(add_port_filter(h, 30, 203, NULL), FWP_E_ALREADY_EXISTS);
	assert_int_equal(FwpmTransactionCommit0(h), ERROR_SUCCESS);
	assert_int_equal(FwpmTransactionCommit0(h), FWP_E_NO_TXN_IN_PROGRESS);
	for (unsigned i = 0; i < 3; i++)
		assert_true(filter_exists(h, ids[i]));
	k = test_guid(31);
	assert_int_equal(FwpmFilterGetByKey0(h, &k, &f), ERROR_SUCCESS);
	assert_int_equal(f->filterId, ids[1]);
	FwpmFreeMemory0((void **)&f);

	/* duplicate key outside a transaction */
	assert_int_equal(add_port_filter(h, 32, 999, NULL), FWP_E_ALREADY_EXISTS);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* Committed filters are what the classify path sees. */
static void test_commit_publishes(void **state)
{
	HANDLE h = open_session(false);
	struct tu t = { .e = eng };
	struct tu_in in;
	UINT64 id;

	(void)state;
	assert_int_equal(FwpmTransactionBegin0(h, 0), ERROR_SUCCESS);
	assert_int_equal(add_port_filter(h, 1, 443, &id), ERROR_SUCCESS);
	tu_in_init(&in, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	tu_set_u16(&in, WFP_FIELD_IP_REMOTE_PORT, 443);
	assert_int_not_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	assert_int_equal(FwpmTransactionCommit0(h), ERROR_SUCCESS);
	assert_int_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	assert_int_equal(tu_classify(&t, &in, NULL).filter_id, id);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* ---- objects ---- */

static void test_provider_sublayer_callout(void **state)
{
	HANDLE h = open_session(false), d;
	GUID pk = test_guid(1), sk = test_guid(2), ck = test_guid(3);
	FWPM_PROVIDER0 p, *po = NULL;
	FWPM_SUBLAYER0 s, *so = NULL;
	FWPM_CALLOUT0 c, *co = NULL;
	UINT32 cid = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.providerKey = pk;
	p.displayData.name = L"Provider \u00e9";
	p.displayData.description = L"desc";
	p.serviceName = L"svc";
	assert_int_equal(FwpmProviderAdd0(h, &p, NULL), ERROR_SUCCESS);
	assert_int_equal(FwpmProviderAdd0(h, &p, NULL), FWP_E_ALREADY_EXISTS);
	p.displayData.name = NULL;
	p.providerKey = test_guid(9);
	assert_int_equal(FwpmProviderAdd0(h, &p, NULL), FWP_E_NULL_DISPLAY_NAME);
	assert_int_equal(FwpmProviderGetByKey0(h, &pk, &po), ERROR_SUCCESS);
	assert_memory_equal(&po->providerKey, &pk, sizeof(pk));
	assert_int_equal(wcscmp(po->displayData.name, L"Provider \u00e9"), 0);
	assert_int_equal(wcscmp(po->displayData.description, L"desc"), 0);
	assert_int_equal(wcscmp(po->serviceName, L"svc"), 0);
	FwpmFreeMemory0((void **)&po);

	memset(&s, 0, sizeof(s));
	s.subLayerKey = sk;
	s.displayData.name = L"my sublayer";
	s.providerKey = &pk;
	s.weight = 0x4242;
	assert_int_equal(FwpmSubLayerAdd0(h, &s, NULL), ERROR_SUCCESS);
	assert_int_equal(FwpmSubLayerGetByKey0(h, &sk, &so), ERROR_SUCCESS);
	assert_non_null(so->providerKey);
	assert_memory_equal(so->providerKey, &pk, sizeof(pk));
	assert_int_equal(so->weight, 0x4242);
	FwpmFreeMemory0((void **)&so);
	assert_int_equal(FwpmSubLayerGetByKey0(h, &FWPM_SUBLAYER_UNIVERSAL, &so), ERROR_SUCCESS);
	assert_null(so->providerKey);
	FwpmFreeMemory0((void **)&so);
	assert_int_equal(FwpmSubLayerDeleteByKey0(h, &FWPM_SUBLAYER_UNIVERSAL),
			 FWP_E_BUILTIN_OBJECT);

	memset(&c, 0, sizeof(c));
	c.calloutKey = ck;
	c.displayData.name = L"my callout";
	c.applicableLayer = FWPM_LAYER_STREAM_V4;
	assert_int_equal(FwpmCalloutAdd0(h, &c, NULL, &cid), ERROR_SUCCESS);
	assert_true(cid != 0);
	assert_int_equal(FwpmCalloutGetByKey0(h, &ck, &co), ERROR_SUCCESS);
	assert_int_equal(co->calloutId, cid);
	assert_memory_equal(&co->applicableLayer, &FWPM_LAYER_STREAM_V4, sizeof(GUID));
	assert_int_equal(co->flags & FWPM_CALLOUT_FLAG_REGISTERED, 0);
	FwpmFreeMemory0((void **)&co);
	c.calloutKey = test_guid(4);
	c.applicableLayer = test_guid(99);
	assert_int_equal(FwpmCalloutAdd0(h, &c, NULL, NULL), FWP_E_LAYER_NOT_FOUND);

	/* the provider is referenced by the sublayer */
	assert_int_equal(FwpmProviderDeleteByKey0(h, &pk), FWP_E_IN_USE);
	assert_int_equal(FwpmSubLayerDeleteByKey0(h, &sk), ERROR_SUCCESS);
	assert_int_equal(FwpmProviderDeleteByKey0(h, &pk), ERROR_SUCCESS);
	assert_int_equal(FwpmProviderGetByKey0(h, &pk, &po), FWP_E_PROVIDER_NOT_FOUND);
	assert_int_equal(FwpmCalloutDeleteByKey0(h, &ck), ERROR_SUCCESS);
	assert_int_equal(FwpmCalloutDeleteByKey0(h, &ck), FWP_E_CALLOUT_NOT_FOUND);

	/* a dynamic session's sublayer goes with it */
	d = open_session(true);
	s.providerKey = NULL;
	assert_int_equal(FwpmSubLayerAdd0(d, &s, NULL), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(d), ERROR_SUCCESS);
	assert_int_equal(FwpmSubLayerGetByKey0(h, &sk, &so), FWP_E_SUBLAYER_NOT_FOUND);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* Every condition value shape survives add + get, pointers and all. */
static void test_filter_roundtrip(void **state)
{
	HANDLE h = open_session(false);
	FWP_V4_ADDR_AND_MASK v4 = { 0x0A000000, 0xFF000000 };
	FWP_V6_ADDR_AND_MASK v6 = { { 0xfd, 0 }, 8 };
	FWP_RANGE0 range;
	UINT64 ifidx = 0x1122334455667788ULL;
	UINT8 app[] = "/usr/bin/curl";
	FWP_BYTE_BLOB appblob = { sizeof(app) - 1, app };
	/* S-1-5-32-544, binary */
	struct {
		SID sid;
		DWORD more;
	} admin = { { 1, 2, { { 0, 0, 0, 0, 0, 5 } }, { 32 } }, 544 };
	FWPM_FILTER_CONDITION0 c[7];
	FWPM_FILTER0 f, *o = NULL;
	UINT64 id = 0;

	(void)state;
	memset(c, 0, sizeof(c));
	memset(&range, 0, sizeof(range));
	range.valueLow.type = FWP_UINT16;
	range.valueLow.uint16 = 1000;
	range.valueHigh.type = FWP_UINT16;
	range.valueHigh.uint16 = 2000;
	c[0].fieldKey = FWPM_CONDITION_IP_REMOTE_ADDRESS;
	c[0].conditionValue.type = FWP_V4_ADDR_MASK;
	c[0].conditionValue.v4AddrMask = &v4;
	c[1].fieldKey = FWPM_CONDITION_IP_REMOTE_PORT;
	c[1].matchType = FWP_MATCH_RANGE;
	c[1].conditionValue.type = FWP_RANGE_TYPE;
	c[1].conditionValue.rangeValue = &range;
	c[2].fieldKey = FWPM_CONDITION_IP_LOCAL_INTERFACE;
	c[2].conditionValue.type = FWP_UINT64;
	c[2].conditionValue.uint64 = &ifidx;
	c[3].fieldKey = FWPM_CONDITION_ALE_APP_ID;
	c[3].matchType = FWP_MATCH_PREFIX;
	c[3].conditionValue.type = FWP_BYTE_BLOB_TYPE;
	c[3].conditionValue.byteBlob = &appblob;
	c[4].fieldKey = FWPM_CONDITION_ALE_PACKAGE_ID;
	c[4].matchType = FWP_MATCH_NOT_EQUAL;
	c[4].conditionValue.type = FWP_SID;
	c[4].conditionValue.sid = &admin.sid;
	c[5].fieldKey = FWPM_CONDITION_FLAGS;
	c[5].matchType = FWP_MATCH_FLAGS_NONE_SET;
	c[5].conditionValue.type = FWP_UINT32;
	c[5].conditionValue.uint32 = FWP_CONDITION_FLAG_IS_LOOPBACK;
	c[6].fieldKey = FWPM_CONDITION_IP_PROTOCOL;
	c[6].conditionValue.type = FWP_UINT8;
	c[6].conditionValue.uint8 = 6;

	memset(&f, 0, sizeof(f));
	f.filterKey = test_guid(7);
	f.displayData.name = L"round trip";
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.subLayerKey = FWPM_SUBLAYER_UNIVERSAL;
	f.weight.type = FWP_UINT8;
	f.weight.uint8 = 9;
	f.numFilterConditions = 7;
	f.filterCondition = c;
	f.action.type = FWP_ACTION_PERMIT;
	f.flags = FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT;
	f.rawContext = 0xC0FFEE;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterGetByKey0(h, &f.filterKey, &o), ERROR_SUCCESS);

	assert_int_equal(o->filterId, id);
	assert_int_equal(wcscmp(o->displayData.name, L"round trip"), 0);
	assert_null(o->displayData.description);
	assert_null(o->providerKey);
	assert_memory_equal(&o->layerKey, &FWPM_LAYER_ALE_AUTH_CONNECT_V4, sizeof(GUID));
	assert_memory_equal(&o->subLayerKey, &FWPM_SUBLAYER_UNIVERSAL, sizeof(GUID));
	assert_int_equal(o->flags, FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT);
	assert_int_equal(o->weight.type, FWP_UINT8);
	assert_int_equal(o->weight.uint8, 9);
	assert_int_equal(o->effectiveWeight.type, FWP_UINT64);
	assert_int_equal(*o->effectiveWeight.uint64 >> 60, 9); /* spec §10 item 8 */
	assert_int_equal(o->action.type, FWP_ACTION_PERMIT);
	assert_int_equal(o->rawContext, 0xC0FFEE);
	assert_int_equal(o->numFilterConditions, 7);
	for (unsigned i = 0; i < 7; i++) {
		assert_memory_equal(&o->filterCondition[i].fieldKey, &c[i].fieldKey, sizeof(GUID));
		assert_int_equal(o->filterCondition[i].matchType, c[i].matchType);
		assert_int_equal(o->filterCondition[i].conditionValue.type,
				 c[i].conditionValue.type);
	}
	assert_int_equal(o->filterCondition[0].conditionValue.v4AddrMask->addr, 0x0A000000);
	assert_int_equal(o->filterCondition[0].conditionValue.v4AddrMask->mask, 0xFF000000);
	assert_ptr_not_equal(o->filterCondition[0].conditionValue.v4AddrMask, &v4);
	assert_int_equal(o->filterCondition[1].conditionValue.rangeValue->valueLow.uint16, 1000);
	assert_int_equal(o->filterCondition[1].conditionValue.rangeValue->valueHigh.uint16, 2000);
	assert_int_equal(*o->filterCondition[2].conditionValue.uint64, ifidx);
	assert_int_equal(o->filterCondition[3].conditionValue.byteBlob->size, appblob.size);
	assert_memory_equal(o->filterCondition[3].conditionValue.byteBlob->data, app,
			    appblob.size);
	{
		const SID *s = o->filterCondition[4].conditionValue.sid;

		assert_int_equal(s->Revision, 1);
		assert_int_equal(s->SubAuthorityCount, 2);
		assert_int_equal(s->IdentifierAuthority.Value[5], 5);
		assert_int_equal(s->SubAuthority[0], 32);
		assert_int_equal(s->SubAuthority[1], 544);
	}
	assert_int_equal(o->filterCondition[5].conditionValue.uint32, 1);
	assert_int_equal(o->filterCondition[6].conditionValue.uint8, 6);
	FwpmFreeMemory0((void **)&o);
	assert_null(o);
	FwpmFreeMemory0(NULL);
	FwpmFreeMemory0((void **)&o); /* *p NULL: nothing */

	/* v6 mask and a 16-byte value at a V6 layer */
	memset(&f, 0, sizeof(f));
	f.displayData.name = L"v6";
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V6;
	f.action.type = FWP_ACTION_BLOCK;
	f.numFilterConditions = 1;
	f.filterCondition = c;
	memset(c, 0, sizeof(c));
	c[0].fieldKey = FWPM_CONDITION_IP_REMOTE_ADDRESS;
	c[0].conditionValue.type = FWP_V6_ADDR_MASK;
	c[0].conditionValue.v6AddrMask = &v6;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterGetById0(h, id, &o), ERROR_SUCCESS);
	assert_int_equal(o->filterCondition[0].conditionValue.v6AddrMask->addr[0], 0xfd);
	assert_int_equal(o->filterCondition[0].conditionValue.v6AddrMask->prefixLength, 8);
	/* the zero filter key was generated */
	assert_false(o->filterKey.Data1 == 0 && o->filterKey.Data2 == 0);
	FwpmFreeMemory0((void **)&o);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

static void test_filter_errors(void **state)
{
	HANDLE h = open_session(false);
	FWPM_FILTER_CONDITION0 c;
	FWPM_FILTER0 f;
	UINT64 w = 5;

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = FWP_ACTION_BLOCK;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_NULL_DISPLAY_NAME);
	f.displayData.name = L"x";
	f.layerKey = test_guid(77);
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_LAYER_NOT_FOUND);
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.subLayerKey = test_guid(78);
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_SUBLAYER_NOT_FOUND);
	memset(&f.subLayerKey, 0, sizeof(GUID));
	f.weight.type = FWP_UINT8;
	f.weight.uint8 = 16;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_INVALID_WEIGHT);
	f.weight.type = FWP_UINT64;
	f.weight.uint64 = NULL;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_NULL_POINTER);
	f.weight.uint64 = &w;
	f.numFilterConditions = 1;
	f.filterCondition = &c;
	c.fieldKey = test_guid(79);
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_CONDITION_NOT_FOUND);
	/* spec §10 item 10: a UINT16 condition on a UINT32 field */
	c.fieldKey = FWPM_CONDITION_IP_REMOTE_ADDRESS;
	c.conditionValue.type = FWP_UINT16;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_TYPE_MISMATCH);
	c.conditionValue.type = FWP_V4_ADDR_MASK;
	c.conditionValue.v4AddrMask = NULL;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_NULL_POINTER);
	f.numFilterConditions = 0;
	f.action.type = FWP_ACTION_CALLOUT_TERMINATING;
	f.action.calloutKey = test_guid(80);
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_CALLOUT_NOT_FOUND);
	f.action.type = 0x42;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_INVALID_ACTION_TYPE);
	f.action.type = FWP_ACTION_BLOCK;
	assert_int_equal(FwpmFilterAdd0(h, NULL, NULL, NULL), FWP_E_NULL_POINTER);
	assert_int_equal(FwpmFilterAdd0((HANDLE)&f, &f, NULL, NULL), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmFilterAdd0(NULL, &f, NULL, NULL), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

static void test_engine_handles(void **state)
{
	FWPM_SESSION0 s;
	FWP_VALUE0 v, *out = NULL;
	HANDLE h = NULL, h2 = NULL;

	(void)state;
	assert_int_equal(FwpmEngineOpen0(L"remote", RPC_C_AUTHN_WINNT, NULL, NULL, &h),
			 ERROR_INVALID_PARAMETER);
	assert_null(h);
	assert_int_equal(FwpmEngineOpen0(NULL, 0, NULL, NULL, NULL), FWP_E_NULL_POINTER);
	memset(&s, 0, sizeof(s));
	s.sessionKey = test_guid(5);
	assert_int_equal(FwpmEngineOpen0(L"", RPC_C_AUTHN_WINNT, NULL, &s, &h), ERROR_SUCCESS);
	assert_ptr_equal(wfp_fwpm_engine(h), eng);
	assert_non_null(wfp_fwpm_session(h));
	assert_int_equal(FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &s, &h2),
			 FWP_E_ALREADY_EXISTS);
	s.flags = 0x4;
	s.sessionKey = test_guid(6);
	assert_int_equal(FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &s, &h2),
			 FWP_E_INVALID_FLAGS);
	/* no rebinding while a handle is open */
	assert_int_equal(wfp_fwpm_bind_engine(NULL), -WFP_E_IN_USE);

	/* options */
	assert_int_equal(FwpmEngineGetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &out),
			 ERROR_SUCCESS);
	assert_int_equal(out->type, FWP_UINT32);
	assert_int_equal(out->uint32, 1);
	FwpmFreeMemory0((void **)&out);
	v.type = FWP_UINT32;
	v.uint32 = FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW | FWPM_NET_EVENT_KEYWORD_INBOUND_MCAST;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS, &v),
			 ERROR_SUCCESS);
	assert_int_equal(FwpmEngineGetOption0(h, FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS, &out),
			 ERROR_SUCCESS);
	assert_int_equal(out->uint32, 0x11);
	FwpmFreeMemory0((void **)&out);
	v.type = FWP_UINT16;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &v),
			 FWP_E_TYPE_MISMATCH);
	v.type = FWP_UINT32;
	v.uint32 = 7;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &v),
			 FWP_E_OUT_OF_BOUNDS);
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_PACKET_QUEUING, &v), 50);
	assert_int_equal(FwpmEngineGetOption0(h, FWPM_ENGINE_OPTION_MAX, &out),
			 FWP_E_INVALID_ENUMERATOR);
	assert_int_equal(FwpmTransactionBegin0(NULL, 0), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineGetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &out),
			 ERROR_INVALID_HANDLE);
}

/* ---- built-in callouts ---- */

static void test_builtin_callouts(void **state)
{
	HANDLE h = open_session(false);
	struct tu t = { .e = eng };
	FWPM_FILTER_CONDITION0 c;
	FWPM_CALLOUT0 *co = NULL;
	struct wfp_explain ex;
	struct wfp_verdict v;
	struct tu_in in;
	FWPM_FILTER0 f;
	UINT64 id;

	(void)state;
	assert_int_equal(FwpmCalloutGetByKey0(h, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP,
					      &co), ERROR_SUCCESS);
	assert_true(co->flags & FWPM_CALLOUT_FLAG_REGISTERED);
	assert_memory_equal(&co->applicableLayer, &FWPM_LAYER_INBOUND_TRANSPORT_V4_DISCARD,
			    sizeof(GUID));
	FwpmFreeMemory0((void **)&co);
	assert_int_equal(FwpmCalloutGetByKey0(h, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V6_SILENT_DROP,
					      &co), ERROR_SUCCESS);
	assert_memory_equal(&co->applicableLayer, &FWPM_LAYER_INBOUND_TRANSPORT_V6_DISCARD,
			    sizeof(GUID));
	FwpmFreeMemory0((void **)&co);
	assert_int_equal(FwpmCalloutDeleteByKey0(h, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP),
			 FWP_E_BUILTIN_OBJECT);

	/* a silent-drop filter, and a soft permit in a higher sublayer: the
	 * drop's block is hard, so it still wins */
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.displayData.name = L"drop";
	f.layerKey = FWPM_LAYER_INBOUND_TRANSPORT_V4_DISCARD;
	f.subLayerKey = FWPM_SUBLAYER_INSPECTION;
	f.action.type = FWP_ACTION_CALLOUT_TERMINATING;
	f.action.calloutKey = FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), ERROR_SUCCESS);
	f.subLayerKey = FWPM_SUBLAYER_UNIVERSAL;
	f.action.type = FWP_ACTION_PERMIT;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), ERROR_SUCCESS);
	/* the callout's layer is fixed */
	f.layerKey = FWPM_LAYER_INBOUND_TRANSPORT_V6_DISCARD;
	f.action.type = FWP_ACTION_CALLOUT_TERMINATING;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, NULL), FWP_E_ACTION_INCOMPATIBLE_WITH_LAYER);
	/* and it cannot go while a filter uses it */
	assert_int_equal(FwpmCalloutDeleteByKey0(h, &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP),
			 FWP_E_BUILTIN_OBJECT);

	tu_in_init(&in, WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD);
	v = tu_classify(&t, &in, &ex);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	assert_int_equal(v.filter_id, id);
	assert_int_equal(v.rights & WFP_RIGHT_ACTION_WRITE, 0);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* ---- the stealth sample (spec §3.8, §10 item 14 at the classify level) ---- */

static void test_stealth_policy(void **state)
{
	HANDLE h = open_session(true), other;
	struct tu t = { .e = eng };
	struct tu_in in;
	HANDLE en = NULL;
	FWPM_FILTER0 **fl = NULL;
	UINT32 n = 0;

	(void)state;
	assert_int_equal(BlockPortScanning(h, L"stealth", NULL, NULL), ERROR_SUCCESS);

	/* SYN to a closed port, not loopback: blocked (no RST) */
	tu_in_init(&in, WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD);
	tu_set_u8(&in, WFP_FIELD_IP_PROTOCOL, 6);
	tu_set_u32(&in, WFP_FIELD_FLAGS, 0);
	assert_int_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	/* loopback keeps its RST */
	tu_set_u32(&in, WFP_FIELD_FLAGS, WFP_CONDITION_FLAG_IS_LOOPBACK);
	assert_int_not_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	tu_in_init(&in, WFP_LAYER_INBOUND_TRANSPORT_V6_DISCARD);
	tu_set_u32(&in, WFP_FIELD_FLAGS, 0);
	assert_int_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	/* port unreachable (type 3) is not sent; time exceeded (11) is */
	tu_in_init(&in, WFP_LAYER_OUTBOUND_ICMP_ERROR_V4);
	tu_set_u16(&in, WFP_FIELD_IP_LOCAL_PORT, 3);
	assert_int_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	tu_set_u16(&in, WFP_FIELD_IP_LOCAL_PORT, 11);
	assert_int_not_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);
	tu_in_init(&in, WFP_LAYER_OUTBOUND_ICMP_ERROR_V6);
	tu_set_u16(&in, WFP_FIELD_IP_LOCAL_PORT, 3);
	assert_int_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);

	/* all four came in one transaction; they vanish with the session */
	other = open_session(false);
	assert_int_equal(FwpmFilterCreateEnumHandle0(other, NULL, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterEnum0(other, en, 10, &fl, &n), ERROR_SUCCESS);
	assert_int_equal(n, 4);
	FwpmFreeMemory0((void **)&fl);
	assert_int_equal(FwpmFilterDestroyEnumHandle0(other, en), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	tu_in_init(&in, WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD);
	assert_int_not_equal(tu_classify(&t, &in, NULL).action, WFP_ACTION_BLOCK);

	/* a failure inside the sample's transaction leaves nothing behind:
	 * a provider key that does not exist fails the first add */
	{
		GUID nope = test_guid(66);

		assert_int_equal(BlockPortScanning(other, L"stealth", &nope, NULL),
				 FWP_E_PROVIDER_NOT_FOUND);
		assert_int_equal(FwpmFilterCreateEnumHandle0(other, NULL, &en), ERROR_SUCCESS);
		assert_int_equal(FwpmFilterEnum0(other, en, 10, &fl, &n), ERROR_SUCCESS);
		assert_int_equal(n, 0);
		FwpmFreeMemory0((void **)&fl);
	}
	assert_int_equal(FwpmEngineClose0(other), ERROR_SUCCESS);
}

/* ---- spec §10 item 14 through the stack model ---- */

struct wire {
	unsigned npkt;
	struct wfp_pkt last;
	unsigned ntrace;
	uint16_t layers[32];
};

static void on_output(struct wfp_host *h, const struct wfp_pkt *p, void *ctx)
{
	struct wire *w = ctx;

	(void)h;
	w->npkt++;
	w->last = *p;
}

static void on_trace(const struct wfp_trace_rec *r, void *ctx)
{
	struct wire *w = ctx;

	if (w->ntrace < 32)
		w->layers[w->ntrace] = r->layer;
	w->ntrace++;
}

static struct wfp_pkt probe(uint8_t proto, bool loopback)
{
	struct wfp_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = WFP_AF_INET;
	p.proto = proto;
	p.tcp_flags = proto == WFP_PROTO_TCP ? WFP_TCP_SYN : 0;
	p.sport = 40000;
	p.dport = 81; /* nobody listens */
	assert_int_equal(wfp_addr_parse(loopback ? "127.0.0.1" : "10.0.0.1", &p.src), 0);
	assert_int_equal(wfp_addr_parse(loopback ? "127.0.0.1" : "10.0.0.2", &p.dst), 0);
	if (loopback)
		p.flags |= WFP_PKT_F_LOOPBACK;
	return p;
}

/* Sends p to a fresh host on eng; returns what went back on the wire. */
static struct wire scan(const struct wfp_pkt *p)
{
	struct wfp_host *host = wfp_host_new(eng, NULL);
	struct wfp_addr a;
	struct wire w;

	memset(&w, 0, sizeof(w));
	assert_non_null(host);
	assert_int_equal(wfp_addr_parse("10.0.0.2", &a), 0);
	assert_int_equal(wfp_host_add_addr(host, &a), 0);
	wfp_host_set_output(host, on_output, &w);
	wfp_host_set_trace(host, on_trace, &w);
	wfp_host_receive(host, p);
	wfp_host_free(host);
	return w;
}

static void test_stealth_stack(void **state)
{
	struct wfp_pkt syn = probe(WFP_PROTO_TCP, false), udp = probe(WFP_PROTO_UDP, false);
	struct wfp_pkt lo = probe(WFP_PROTO_TCP, true);
	HANDLE h = open_session(true);
	struct wire w;

	(void)state;
	/* without the policy: RST, after IN_IPPACKET -> IN_TRANSPORT_DISCARD
	 * -> OUT_TRANSPORT(RST) -> OUT_IPPACKET(RST) (spec §10 item 14) */
	w = scan(&syn);
	assert_int_equal(w.npkt, 1);
	assert_int_equal(w.last.proto, WFP_PROTO_TCP);
	assert_true(w.last.tcp_flags & WFP_TCP_RST);
	assert_int_equal(w.ntrace, 4);
	assert_int_equal(w.layers[0], WFP_LAYER_INBOUND_IPPACKET_V4);
	assert_int_equal(w.layers[1], WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD);
	assert_int_equal(w.layers[2], WFP_LAYER_OUTBOUND_TRANSPORT_V4);
	assert_int_equal(w.layers[3], WFP_LAYER_OUTBOUND_IPPACKET_V4);
	/* and a UDP datagram to a closed port: ICMP port unreachable */
	w = scan(&udp);
	assert_int_equal(w.npkt, 1);
	assert_int_equal(w.last.proto, WFP_PROTO_ICMP);
	assert_int_equal(w.last.icmp_type, 3);
	assert_int_equal(w.last.icmp_code, 3);

	/* with the sample's policy: silence */
	assert_int_equal(BlockPortScanning(h, L"stealth", NULL, NULL), ERROR_SUCCESS);
	w = scan(&syn);
	assert_int_equal(w.npkt, 0);
	w = scan(&udp);
	assert_int_equal(w.npkt, 0);
	/* loopback still gets its RST */
	w = scan(&lo);
	assert_int_equal(w.npkt, 1);
	assert_true(w.last.tcp_flags & WFP_TCP_RST);

	/* the policy dies with the dynamic session */
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	w = scan(&syn);
	assert_int_equal(w.npkt, 1);
}

/* ---- enumeration ---- */

static UINT32 enum_count(HANDLE h, const FWPM_FILTER_ENUM_TEMPLATE0 *t, UINT64 *ids)
{
	FWPM_FILTER0 **fl = NULL;
	HANDLE en = NULL;
	UINT32 n = 0;

	assert_int_equal(FwpmFilterCreateEnumHandle0(h, t, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterEnum0(h, en, 100, &fl, &n), ERROR_SUCCESS);
	for (UINT32 i = 0; ids && i < n; i++)
		ids[i] = fl[i]->filterId;
	FwpmFreeMemory0((void **)&fl);
	assert_int_equal(FwpmFilterDestroyEnumHandle0(h, en), ERROR_SUCCESS);
	return n;
}

static void test_enum_paging(void **state)
{
	HANDLE h = open_session(false), h2 = open_session(false);
	FWPM_FILTER0 **fl = NULL;
	UINT64 ids[7], extra;
	HANDLE en = NULL;
	UINT32 n = 99;

	(void)state;
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(add_port_filter(h, 40 + i, (UINT16)(1000 + i), &ids[i]),
				 ERROR_SUCCESS);
	assert_int_equal(FwpmFilterCreateEnumHandle0(h, NULL, &en), ERROR_SUCCESS);
	/* the snapshot is taken now: later changes do not show */
	assert_int_equal(add_port_filter(h, 50, 2000, &extra), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterDeleteById0(h, ids[0]), ERROR_SUCCESS);

	assert_int_equal(FwpmFilterEnum0(h, en, 3, &fl, &n), ERROR_SUCCESS);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_non_null(fl[i]->displayData.name);
	FwpmFreeMemory0((void **)&fl);
	assert_int_equal(FwpmFilterEnum0(h, en, 3, &fl, &n), ERROR_SUCCESS);
	assert_int_equal(n, 3);
	FwpmFreeMemory0((void **)&fl);
	assert_int_equal(FwpmFilterEnum0(h, en, 3, &fl, &n), ERROR_SUCCESS);
	assert_int_equal(n, 1); /* fewer than asked: the end */
	FwpmFreeMemory0((void **)&fl);
	assert_int_equal(FwpmFilterEnum0(h, en, 3, &fl, &n), ERROR_SUCCESS);
	assert_int_equal(n, 0);
	FwpmFreeMemory0((void **)&fl);
	/* an enum handle belongs to its engine handle */
	assert_int_equal(FwpmFilterEnum0(h2, en, 3, &fl, &n), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmFilterDestroyEnumHandle0(h2, en), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmFilterDestroyEnumHandle0(h, en), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterEnum0(h, en, 3, &fl, &n), ERROR_INVALID_HANDLE);
	assert_int_equal(FwpmNetEventEnum0(h, en, 3, NULL, &n), FWP_E_NULL_POINTER);

	assert_int_equal(enum_count(h, NULL, NULL), 7);
	/* a handle closed with enumerations open frees them */
	assert_int_equal(FwpmFilterCreateEnumHandle0(h2, NULL, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(h2), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

static UINT64 add_filter(HANDLE h, const GUID *layer, UINT32 action, const GUID *callout,
			 const GUID *provider, FWPM_FILTER_CONDITION0 *c, UINT32 n, UINT64 weight)
{
	FWPM_FILTER0 f;
	UINT64 id = 0;

	memset(&f, 0, sizeof(f));
	f.displayData.name = L"t";
	f.layerKey = *layer;
	f.action.type = action;
	if (callout)
		f.action.calloutKey = *callout;
	f.providerKey = (GUID *)provider;
	f.numFilterConditions = n;
	f.filterCondition = c;
	f.weight.type = FWP_UINT64;
	f.weight.uint64 = &weight;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), ERROR_SUCCESS);
	return id;
}

static FWPM_FILTER_CONDITION0 port_cond(FWP_MATCH_TYPE m, UINT16 port)
{
	FWPM_FILTER_CONDITION0 c;

	memset(&c, 0, sizeof(c));
	c.fieldKey = FWPM_CONDITION_IP_LOCAL_PORT;
	c.matchType = m;
	c.conditionValue.type = FWP_UINT16;
	c.conditionValue.uint16 = port;
	return c;
}

static bool has(const UINT64 *ids, UINT32 n, UINT64 id)
{
	for (UINT32 i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void test_enum_templates(void **state)
{
	HANDLE h = open_session(false);
	const GUID *L = &FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
	GUID pk = test_guid(1), ck = test_guid(2);
	FWP_RANGE0 r1024, r7090;
	FWP_V4_ADDR_AND_MASK ten = { 0x0A000000, 0xFF000000 };
	FWPM_FILTER_CONDITION0 c[2], tc[2];
	FWPM_FILTER_ENUM_TEMPLATE0 t;
	FWPM_PROVIDER0 p;
	FWPM_CALLOUT0 co;
	UINT64 A, B, C, D, E, F, G, P, K, ids[32];
	UINT32 n;
	HANDLE en;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.providerKey = pk;
	p.displayData.name = L"p";
	assert_int_equal(FwpmProviderAdd0(h, &p, NULL), ERROR_SUCCESS);
	memset(&co, 0, sizeof(co));
	co.calloutKey = ck;
	co.displayData.name = L"c";
	co.applicableLayer = *L;
	assert_int_equal(FwpmCalloutAdd0(h, &co, NULL, NULL), ERROR_SUCCESS);

	memset(&r1024, 0, sizeof(r1024));
	r1024.valueLow.type = r1024.valueHigh.type = FWP_UINT16;
	r1024.valueLow.uint16 = 1;
	r1024.valueHigh.uint16 = 1024;
	r7090 = r1024;
	r7090.valueLow.uint16 = 70;
	r7090.valueHigh.uint16 = 90;

	c[0] = port_cond(FWP_MATCH_EQUAL, 80);
	A = add_filter(h, L, FWP_ACTION_BLOCK, NULL, NULL, c, 1, 10);
	c[0] = port_cond(FWP_MATCH_RANGE, 0);
	c[0].conditionValue.type = FWP_RANGE_TYPE;
	c[0].conditionValue.rangeValue = &r1024;
	B = add_filter(h, L, FWP_ACTION_PERMIT, NULL, NULL, c, 1, 20);
	C = add_filter(h, L, FWP_ACTION_BLOCK, NULL, NULL, NULL, 0, 5);
	c[0] = port_cond(FWP_MATCH_EQUAL, 443);
	D = add_filter(h, L, FWP_ACTION_PERMIT, NULL, NULL, c, 1, 30);
	c[0] = port_cond(FWP_MATCH_EQUAL, 80);
	memset(&c[1], 0, sizeof(c[1]));
	c[1].fieldKey = FWPM_CONDITION_IP_REMOTE_ADDRESS;
	c[1].conditionValue.type = FWP_V4_ADDR_MASK;
	c[1].conditionValue.v4AddrMask = &ten;
	E = add_filter(h, L, FWP_ACTION_BLOCK, NULL, NULL, c, 2, 40);
	c[0] = port_cond(FWP_MATCH_NOT_EQUAL, 80);
	F = add_filter(h, L, FWP_ACTION_PERMIT, NULL, NULL, c, 1, 50);
	/* another layer, a provider, a callout */
	memset(c, 0, sizeof(c));
	c[0].fieldKey = FWPM_CONDITION_FLAGS;
	c[0].matchType = FWP_MATCH_FLAGS_NONE_SET;
	c[0].conditionValue.type = FWP_UINT32;
	c[0].conditionValue.uint32 = FWP_CONDITION_FLAG_IS_LOOPBACK;
	G = add_filter(h, &FWPM_LAYER_INBOUND_TRANSPORT_V4, FWP_ACTION_BLOCK, NULL, NULL, c, 1, 1);
	P = add_filter(h, &FWPM_LAYER_INBOUND_TRANSPORT_V4, FWP_ACTION_PERMIT, NULL, &pk, NULL, 0, 2);
	K = add_filter(h, L, FWP_ACTION_CALLOUT_INSPECTION, &ck, NULL, NULL, 0, 3);

	memset(&t, 0, sizeof(t));
	t.actionMask = 0xFFFFFFFF;
	assert_int_equal(enum_count(h, &t, NULL), 9);
	t.actionMask = 0; /* no action type shares a bit with 0 */
	assert_int_equal(enum_count(h, &t, NULL), 0);
	t.actionMask = FWP_ACTION_FLAG_CALLOUT;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], K);
	t.calloutKey = &ck;
	assert_int_equal(enum_count(h, &t, NULL), 1);
	t.calloutKey = &pk;
	assert_int_equal(enum_count(h, &t, NULL), 0);
	t.calloutKey = NULL;
	t.actionMask = 0xFFFFFFFF;
	t.providerKey = &pk;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], P);
	t.providerKey = NULL;
	t.layerKey = FWPM_LAYER_INBOUND_TRANSPORT_V4;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 2);
	assert_true(has(ids, n, G) && has(ids, n, P));

	/* conditions: the point port 80 */
	t.layerKey = *L;
	t.numFilterConditions = 1;
	t.filterCondition = tc;
	tc[0] = port_cond(FWP_MATCH_EQUAL, 80);
	t.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 4);
	assert_true(has(ids, n, A) && has(ids, n, B) && has(ids, n, C) && has(ids, n, K));
	t.enumType = FWP_FILTER_ENUM_OVERLAPPING;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 5);
	assert_true(has(ids, n, A) && has(ids, n, B) && has(ids, n, C) && has(ids, n, E) &&
		    has(ids, n, K));
	assert_false(has(ids, n, D) || has(ids, n, F));

	/* the interval 70..90 */
	tc[0].matchType = FWP_MATCH_RANGE;
	tc[0].conditionValue.type = FWP_RANGE_TYPE;
	tc[0].conditionValue.rangeValue = &r7090;
	t.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 3);
	assert_true(has(ids, n, B) && has(ids, n, C) && has(ids, n, K));
	t.enumType = FWP_FILTER_ENUM_OVERLAPPING;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 6);
	assert_false(has(ids, n, D));
	assert_true(has(ids, n, F)); /* != 80 meets 70..90 */

	/* >= 2000: only "not 80", no condition and the callout filter */
	tc[0] = port_cond(FWP_MATCH_GREATER_OR_EQUAL, 2000);
	t.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 3);
	assert_true(has(ids, n, F) && has(ids, n, C) && has(ids, n, K));

	/* the best terminating match for port 80: E (weight 40) */
	tc[0] = port_cond(FWP_MATCH_EQUAL, 80);
	t.enumType = FWP_FILTER_ENUM_OVERLAPPING;
	t.flags = FWP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], E);
	t.flags = FWP_FILTER_ENUM_FLAG_SORTED;

	/* flag tests decided exactly for a point */
	t.layerKey = FWPM_LAYER_INBOUND_TRANSPORT_V4;
	memset(tc, 0, sizeof(tc));
	tc[0].fieldKey = FWPM_CONDITION_FLAGS;
	tc[0].conditionValue.type = FWP_UINT32;
	tc[0].conditionValue.uint32 = 0;
	t.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 2);
	tc[0].conditionValue.uint32 = FWP_CONDITION_FLAG_IS_LOOPBACK;
	n = enum_count(h, &t, ids);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], P);

	/* errors: duplicate fields, a field the layer lacks, bad layer */
	t.layerKey = *L;
	t.numFilterConditions = 2;
	tc[0] = port_cond(FWP_MATCH_EQUAL, 80);
	tc[1] = port_cond(FWP_MATCH_EQUAL, 81);
	assert_int_equal(FwpmFilterCreateEnumHandle0(h, &t, &en), FWP_E_DUPLICATE_CONDITION);
	t.numFilterConditions = 1;
	tc[0].fieldKey = FWPM_CONDITION_IP_FORWARD_INTERFACE;
	assert_int_equal(FwpmFilterCreateEnumHandle0(h, &t, &en), FWP_E_CONDITION_NOT_FOUND);
	t.layerKey = test_guid(42);
	assert_int_equal(FwpmFilterCreateEnumHandle0(h, &t, &en), FWP_E_LAYER_NOT_FOUND);
	t.layerKey = *L;
	t.numFilterConditions = 0;
	t.enumType = FWP_FILTER_ENUM_TYPE_MAX;
	assert_int_equal(FwpmFilterCreateEnumHandle0(h, &t, &en), FWP_E_INVALID_ENUMERATOR);
	t.enumType = FWP_FILTER_ENUM_OVERLAPPING;
	t.providerContextTemplate = (FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0 *)&t;
	assert_int_equal(enum_count(h, &t, NULL), 0);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* ---- net events ---- */

static void report(uint32_t type, uint8_t ver, uint8_t proto, uint16_t lport,
		   uint64_t t_ns, uint64_t filter)
{
	struct wfp_netevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.time_ns = t_ns;
	ev.type = type;
	ev.flags = WFP_NET_EVENT_F_IP_PROTOCOL_SET | WFP_NET_EVENT_F_LOCAL_ADDR_SET |
		   WFP_NET_EVENT_F_REMOTE_ADDR_SET | WFP_NET_EVENT_F_LOCAL_PORT_SET |
		   WFP_NET_EVENT_F_REMOTE_PORT_SET | WFP_NET_EVENT_F_IP_VERSION_SET |
		   WFP_NET_EVENT_F_APP_ID_SET | WFP_NET_EVENT_F_USER_ID_SET;
	ev.ip_version = ver;
	ev.ip_protocol = proto;
	ev.layer_id = WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
	if (ver == 4) {
		memcpy(ev.local_addr, "\x0a\x00\x00\x01", 4);
		memcpy(ev.remote_addr, "\xc0\xa8\x01\x02", 4);
	} else {
		ev.local_addr[0] = 0xfd;
		ev.remote_addr[15] = 2;
	}
	ev.local_port = lport;
	ev.remote_port = 5555;
	ev.direction = WFP_MS_DIRECTION_IN;
	ev.filter_id = filter;
	ev.uid = 1000;
	snprintf(ev.app_id, sizeof(ev.app_id), "%s", "/usr/bin/nc");
	assert_true(wfp_netevent_report(eng, &ev) >= 0);
}

struct seen {
	unsigned n;
	FWPM_NET_EVENT_TYPE type;
	UINT64 filter;
	UINT16 port;
};

static void on_event(void *ctx, const FWPM_NET_EVENT1 *ev)
{
	struct seen *s = ctx;

	s->n++;
	s->type = ev->type;
	s->filter = ev->classifyDrop->filterId;
	s->port = ev->header.localPort;
}

static void test_netevents(void **state)
{
	HANDLE h = open_session(false), en = NULL, sub = NULL;
	FWPM_NET_EVENT_ENUM_TEMPLATE0 t;
	FWPM_NET_EVENT_SUBSCRIPTION0 s;
	FWPM_FILTER_CONDITION0 c[2];
	FWPM_NET_EVENT1 **e1 = NULL;
	FWPM_NET_EVENT0 **e0 = NULL;
	struct seen seen = { 0 };
	FWP_VALUE0 v;
	UINT32 n = 0;

	(void)state;
	v.type = FWP_UINT32;
	v.uint32 = 0;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &v),
			 ERROR_SUCCESS);
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, NULL, &en), FWP_E_NET_EVENTS_DISABLED);
	v.uint32 = 1;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_COLLECT_NET_EVENTS, &v),
			 ERROR_SUCCESS);

	memset(&s, 0, sizeof(s));
	assert_int_equal(FwpmNetEventSubscribe0(h, &s, on_event, &seen, &sub), ERROR_SUCCESS);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 6, 80, 1000, 11);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 6, 17, 53, 2000, 12);
	report(WFP_NET_EVENT_CLASSIFY_ALLOW, 4, 6, 22, 3000, 13); /* not kept */
	report(WFP_NET_EVENT_VETO, 4, 6, 443, 4000, 14);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.type, FWPM_NET_EVENT_TYPE_OPENWFP_VETO);
	assert_int_equal(seen.filter, 14);
	v.uint32 = FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW;
	assert_int_equal(FwpmEngineSetOption0(h, FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS, &v),
			 ERROR_SUCCESS);
	report(WFP_NET_EVENT_CLASSIFY_ALLOW, 4, 6, 22, 5000, 15);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.type, FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW);
	assert_int_equal(FwpmNetEventUnsubscribe0(h, sub), ERROR_SUCCESS);
	assert_int_equal(FwpmNetEventUnsubscribe0(h, sub), ERROR_INVALID_HANDLE);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 6, 8080, 6000, 16);
	assert_int_equal(seen.n, 4);

	/* all five, paged, in order; version 1 has every type */
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, NULL, &en), ERROR_SUCCESS);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 6, 9, 7000, 17); /* after the snapshot */
	assert_int_equal(FwpmNetEventEnum1(h, en, 2, &e1, &n), ERROR_SUCCESS);
	assert_int_equal(n, 2);
	{
		const FWPM_NET_EVENT_HEADER1 *hd = &e1[0]->header;
		const SID *u = hd->userId;
		uint64_t ft = (uint64_t)hd->timeStamp.dwHighDateTime << 32 |
			      hd->timeStamp.dwLowDateTime;

		assert_int_equal(e1[0]->type, FWPM_NET_EVENT_TYPE_CLASSIFY_DROP);
		assert_int_equal(e1[0]->classifyDrop->filterId, 11);
		assert_int_equal(e1[0]->classifyDrop->layerId, WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4);
		assert_int_equal(e1[0]->classifyDrop->msFwpDirection, FWP_DIRECTION_IN);
		assert_int_equal(ft, 116444736000000000ULL + 10);
		assert_int_equal(hd->ipVersion, FWP_IP_VERSION_V4);
		assert_int_equal(hd->ipProtocol, 6);
		assert_int_equal(hd->localAddrV4, 0x0A000001);  /* host order */
		assert_int_equal(hd->remoteAddrV4, 0xC0A80102);
		assert_int_equal(hd->localPort, 80);
		assert_int_equal(hd->remotePort, 5555);
		assert_true(hd->flags & FWPM_NET_EVENT_FLAG_APP_ID_SET);
		assert_int_equal(hd->appId.size, sizeof("/usr/bin/nc"));
		assert_string_equal((const char *)hd->appId.data, "/usr/bin/nc");
		assert_non_null(u);
		assert_int_equal(u->SubAuthorityCount, 2);
		assert_int_equal(u->IdentifierAuthority.Value[5], 22);
		assert_int_equal(u->SubAuthority[0], 1);
		assert_int_equal(u->SubAuthority[1], 1000);
		assert_int_equal(e1[1]->header.ipVersion, FWP_IP_VERSION_V6);
		assert_int_equal(e1[1]->header.localAddrV6.byteArray16[0], 0xfd);
	}
	FwpmFreeMemory0((void **)&e1);
	assert_int_equal(FwpmNetEventEnum1(h, en, 10, &e1, &n), ERROR_SUCCESS);
	assert_int_equal(n, 3); /* veto, allow, drop(8080); not the late one */
	assert_int_equal(e1[0]->type, FWPM_NET_EVENT_TYPE_OPENWFP_VETO);
	assert_int_equal(e1[1]->type, FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW);
	assert_int_equal(e1[1]->classifyAllow->filterId, 15);
	FwpmFreeMemory0((void **)&e1);
	assert_int_equal(FwpmNetEventDestroyEnumHandle0(h, en), ERROR_SUCCESS);

	/* version 0 leaves the allow out */
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, NULL, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmNetEventEnum0(h, en, 100, &e0, &n), ERROR_SUCCESS);
	assert_int_equal(n, 5);
	for (UINT32 i = 0; i < n; i++)
		assert_int_not_equal(e0[i]->type, FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW);
	assert_int_equal(e0[0]->classifyDrop->filterId, 11);
	assert_int_equal(e0[0]->header.localPort, 80);
	FwpmFreeMemory0((void **)&e0);
	assert_int_equal(FwpmNetEventDestroyEnumHandle0(h, en), ERROR_SUCCESS);

	/* templates: time window, protocol, a port range OR'ed with a port */
	memset(&t, 0, sizeof(t));
	t.startTime.dwLowDateTime = (DWORD)(116444736000000000ULL + 15);
	t.startTime.dwHighDateTime = (DWORD)((116444736000000000ULL + 15) >> 32);
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, &t, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmNetEventEnum1(h, en, 100, &e1, &n), ERROR_SUCCESS);
	assert_int_equal(n, 5); /* 2000 ns onwards */
	FwpmFreeMemory0((void **)&e1);
	assert_int_equal(FwpmNetEventDestroyEnumHandle0(h, en), ERROR_SUCCESS);
	memset(&t, 0, sizeof(t));
	memset(c, 0, sizeof(c));
	c[0].fieldKey = FWPM_CONDITION_IP_PROTOCOL;
	c[0].conditionValue.type = FWP_UINT8;
	c[0].conditionValue.uint8 = 6;
	c[1] = port_cond(FWP_MATCH_GREATER, 1000);
	t.numFilterConditions = 2;
	t.filterCondition = c;
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, &t, &en), ERROR_SUCCESS);
	assert_int_equal(FwpmNetEventEnum1(h, en, 100, &e1, &n), ERROR_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(e1[0]->header.localPort, 8080);
	FwpmFreeMemory0((void **)&e1);
	assert_int_equal(FwpmNetEventDestroyEnumHandle0(h, en), ERROR_SUCCESS);
	c[1].fieldKey = FWPM_CONDITION_IP_FORWARD_INTERFACE;
	assert_int_equal(FwpmNetEventCreateEnumHandle0(h, &t, &en), FWP_E_CONDITION_NOT_FOUND);

	/* a subscription with a template */
	c[1] = port_cond(FWP_MATCH_EQUAL, 53);
	c[0].conditionValue.uint8 = 17;
	s.enumTemplate = &t;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(FwpmNetEventSubscribe0(h, &s, on_event, &seen, &sub), ERROR_SUCCESS);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 6, 53, 8000, 18);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 17, 54, 8000, 19);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 17, 53, 8000, 20);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.filter, 20);
	/* closing the handle cancels its subscriptions */
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	report(WFP_NET_EVENT_CLASSIFY_DROP, 4, 17, 53, 9000, 21);
	assert_int_equal(seen.n, 1);
}

/* ---- change notifications ---- */

struct changes {
	unsigned add, del;
	UINT64 last_id;
	GUID last_key;
};

static void on_change(void *ctx, const FWPM_FILTER_CHANGE0 *c)
{
	struct changes *ch = ctx;

	if (c->changeType == FWPM_CHANGE_ADD)
		ch->add++;
	else
		ch->del++;
	ch->last_id = c->filterId;
	ch->last_key = c->filterKey;
}

static void test_change_subscription(void **state)
{
	HANDLE watcher = open_session(false), writer = open_session(false);
	HANDLE sub = NULL, sub2, sub3;
	FWPM_FILTER_SUBSCRIPTION0 s;
	FWPM_FILTER_ENUM_TEMPLATE0 t;
	struct changes ch = { 0 }, ch2 = { 0 }, ch3 = { 0 };
	GUID k = test_guid(60);
	UINT64 id, pre, stream;

	(void)state;
	pre = add_filter(writer, &FWPM_LAYER_STREAM_V4, FWP_ACTION_PERMIT, NULL, NULL, NULL, 0, 1);
	memset(&s, 0, sizeof(s));
	s.flags = FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_ADD | FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_DELETE;
	assert_int_equal(FwpmFilterSubscribeChanges0(watcher, &s, on_change, &ch, &sub),
			 ERROR_SUCCESS);
	memset(&t, 0, sizeof(t));
	t.layerKey = FWPM_LAYER_STREAM_V4;
	t.actionMask = 0xFFFFFFFF;
	s.enumTemplate = &t;
	assert_int_equal(FwpmFilterSubscribeChanges0(watcher, &s, on_change, &ch2, &sub2),
			 ERROR_SUCCESS);
	s.enumTemplate = NULL;
	s.flags = FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_ADD;
	assert_int_equal(FwpmFilterSubscribeChanges0(watcher, &s, on_change, &ch3, &sub3),
			 ERROR_SUCCESS);

	assert_int_equal(add_port_filter(writer, 60, 80, &id), ERROR_SUCCESS);
	assert_int_equal(ch.add, 1);
	assert_int_equal(ch.last_id, id);
	assert_memory_equal(&ch.last_key, &k, sizeof(k));
	assert_int_equal(ch2.add, 0); /* another layer */
	assert_int_equal(ch3.add, 1);
	/* not told about its own changes (spec §6.7) */
	assert_int_equal(add_port_filter(watcher, 61, 81, NULL), ERROR_SUCCESS);
	assert_int_equal(ch.add, 1);
	/* nothing until the commit */
	assert_int_equal(FwpmTransactionBegin0(writer, 0), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterDeleteById0(writer, id), ERROR_SUCCESS);
	assert_int_equal(ch.del, 0);
	assert_int_equal(FwpmTransactionCommit0(writer), ERROR_SUCCESS);
	assert_int_equal(ch.del, 1);
	assert_int_equal(ch.last_id, id);
	assert_int_equal(ch2.del, 0); /* the template applies to deletes too */
	assert_int_equal(ch3.del, 0); /* ON_ADD only */

	/* the templated subscription: adds and deletes at its layer, also of
	 * a filter that existed before it subscribed */
	stream = add_filter(writer, &FWPM_LAYER_STREAM_V4, FWP_ACTION_BLOCK, NULL, NULL, NULL, 0, 2);
	assert_int_equal(ch2.add, 1);
	assert_int_equal(ch2.last_id, stream);
	assert_int_equal(FwpmFilterDeleteById0(writer, stream), ERROR_SUCCESS);
	assert_int_equal(ch2.del, 1);
	assert_int_equal(FwpmFilterDeleteById0(writer, pre), ERROR_SUCCESS);
	assert_int_equal(ch2.del, 2);
	assert_int_equal(ch2.last_id, pre);
	assert_int_equal(ch.del, 3);

	assert_int_equal(FwpmFilterUnsubscribeChanges0(watcher, sub), ERROR_SUCCESS);
	assert_int_equal(FwpmFilterUnsubscribeChanges0(watcher, sub), ERROR_INVALID_HANDLE);
	assert_int_equal(add_port_filter(writer, 62, 82, NULL), ERROR_SUCCESS);
	assert_int_equal(ch.add, 2); /* port 80 and the stream filter only */
	s.flags = 0x8;
	assert_int_equal(FwpmFilterSubscribeChanges0(watcher, &s, on_change, &ch, &sub),
			 FWP_E_INVALID_FLAGS);
	assert_int_equal(FwpmEngineClose0(watcher), ERROR_SUCCESS);
	assert_int_equal(FwpmEngineClose0(writer), ERROR_SUCCESS);
}

/* ---- strings ---- */

static void app_id_is(const wchar_t *w, const char *bytes, size_t n)
{
	FWP_BYTE_BLOB *b = NULL;

	assert_int_equal(FwpmGetAppIdFromFileName0(w, &b), ERROR_SUCCESS);
	assert_int_equal(b->size, n + 1);
	assert_memory_equal(b->data, bytes, n + 1);
	FwpmFreeMemory0((void **)&b);
	assert_null(b);
}

static void test_strings(void **state)
{
	static const wchar_t lone_hi[] = { L'a', 0xD800, L'b', 0 };
	static const wchar_t lone_lo[] = { 0xDC00, 0 };
	static const wchar_t pair[] = { 0xD83D, 0xDE00, 0 }; /* U+1F600 as UTF-16 */
	static const wchar_t huge[] = { 0x110000, L'x', 0 };
	struct wfp_provider np = { 0 };
	HANDLE h = open_session(false);
	FWPM_PROVIDER0 p, *po = NULL;
	FWP_BYTE_BLOB *b = NULL;
	struct wfp_session *ns;
	GUID k = test_guid(70);

	(void)state;
	/* the C locale would make wcstombs fail on all of these */
	setlocale(LC_ALL, "C");
	app_id_is(L"/usr/bin/curl", "/usr/bin/curl", 13);
	app_id_is(L"", "", 0);
	app_id_is(L"/opt/\u00e9\u20ac", "/opt/\xc3\xa9\xe2\x82\xac", 10);
	app_id_is(L"\U0001F600", "\xf0\x9f\x98\x80", 4);
	app_id_is(pair, "\xf0\x9f\x98\x80", 4);
	app_id_is(lone_hi, "a\xef\xbf\xbd" "b", 5);
	app_id_is(lone_lo, "\xef\xbf\xbd", 3);
	app_id_is(huge, "\xef\xbf\xbdx", 4);
	app_id_is(L"\x7f\x80\u07ff\u0800\uffff\U00010000\U0010FFFF",
		  "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		  19);
	assert_int_equal(FwpmGetAppIdFromFileName0(NULL, &b), FWP_E_NULL_POINTER);

	/* wchar_t -> UTF-8 -> wchar_t through the engine */
	memset(&p, 0, sizeof(p));
	p.providerKey = k;
	p.displayData.name = L"\u00fcber \U0001F600 \u4e2d";
	assert_int_equal(FwpmProviderAdd0(h, &p, NULL), ERROR_SUCCESS);
	assert_int_equal(FwpmProviderGetByKey0(h, &k, &po), ERROR_SUCCESS);
	assert_int_equal(wcscmp(po->displayData.name, L"\u00fcber \U0001F600 \u4e2d"), 0);
	assert_null(po->displayData.description);
	assert_null(po->serviceName);
	FwpmFreeMemory0((void **)&po);

	/* invalid UTF-8 from the native side becomes U+FFFD, one per bad byte */
	ns = wfp_fwpm_session(h);
	np.key = tu_guid(71);
	np.display.name = "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82";
	assert_int_equal(wfp_provider_add(ns, &np), 0);
	wfp_guid_to_win(&np.key, &k);
	assert_int_equal(FwpmProviderGetByKey0(h, &k, &po), ERROR_SUCCESS);
	assert_int_equal(wcscmp(po->displayData.name,
				L"a\ufffdb\ufffd\ufffdc\ufffd\ufffd\ufffdd\ufffd\ufffd"), 0);
	FwpmFreeMemory0((void **)&po);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
}

/* UNICODE_STRING conditions are converted too. */
static void test_unicode_condition(void **state)
{
	HANDLE h = open_session(false);
	FWPM_FILTER_CONDITION0 c;
	FWPM_FILTER0 f, *o = NULL;
	UINT64 id;

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.displayData.name = L"peer";
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = FWP_ACTION_BLOCK;
	f.numFilterConditions = 1;
	f.filterCondition = &c;
	c.fieldKey = FWPM_CONDITION_ALE_APP_ID;
	c.matchType = FWP_MATCH_EQUAL;
	c.conditionValue.type = FWP_BYTE_BLOB_TYPE;
	c.conditionValue.byteBlob = NULL;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), FWP_E_NULL_POINTER);
	c.conditionValue.type = FWP_TOKEN_INFORMATION_TYPE;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), FWP_E_TYPE_MISMATCH);
	c.conditionValue.type = FWP_DATA_TYPE_MAX;
	assert_int_equal(FwpmFilterAdd0(h, &f, NULL, &id), FWP_E_INVALID_ENUMERATOR);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	(void)o;
}

/* ---- allocation failures ---- */

void wfp_fault_inject(unsigned long n);

#define TRY(call)					\
	do {						\
		r = (call);				\
		if (r != ERROR_SUCCESS)			\
			goto out;			\
	} while (0)

/* Every Fwpm call of a typical session, stopping at the first error. */
static DWORD fault_scenario(HANDLE h)
{
	struct {
		SID sid;
		DWORD more;
	} sid = { { 1, 2, { { 0, 0, 0, 0, 0, 5 } }, { 32 } }, 544 };
	FWPM_FILTER_CONDITION0 c[2];
	FWPM_NET_EVENT1 **ev = NULL;
	FWPM_FILTER0 f, *o = NULL, **fl = NULL;
	FWPM_PROVIDER0 p, *po = NULL;
	FWPM_FILTER_ENUM_TEMPLATE0 t;
	FWP_BYTE_BLOB *app = NULL;
	HANDLE en = NULL, sub = NULL;
	FWPM_NET_EVENT_SUBSCRIPTION0 s;
	GUID pk = test_guid(90);
	UINT32 n;
	DWORD r;

	memset(&p, 0, sizeof(p));
	p.providerKey = pk;
	p.displayData.name = L"fault provider \u00e9";
	p.serviceName = L"svc";
	TRY(FwpmProviderAdd0(h, &p, NULL));
	TRY(FwpmProviderGetByKey0(h, &pk, &po));
	memset(&f, 0, sizeof(f));
	memset(c, 0, sizeof(c));
	f.filterKey = test_guid(91);
	f.displayData.name = L"fault filter";
	f.displayData.description = L"d";
	f.providerKey = &pk;
	f.layerKey = FWPM_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = FWP_ACTION_BLOCK;
	f.numFilterConditions = 2;
	f.filterCondition = c;
	c[0] = port_cond(FWP_MATCH_EQUAL, 80);
	c[0].fieldKey = FWPM_CONDITION_IP_REMOTE_PORT;
	c[1].fieldKey = FWPM_CONDITION_ALE_PACKAGE_ID;
	c[1].matchType = FWP_MATCH_NOT_EQUAL;
	c[1].conditionValue.type = FWP_SID;
	c[1].conditionValue.sid = &sid.sid;
	TRY(FwpmFilterAdd0(h, &f, NULL, NULL));
	TRY(FwpmFilterGetByKey0(h, &f.filterKey, &o));
	memset(&t, 0, sizeof(t));
	t.actionMask = 0xFFFFFFFF;
	t.numFilterConditions = 1;
	t.filterCondition = c;
	TRY(FwpmFilterCreateEnumHandle0(h, &t, &en));
	TRY(FwpmFilterEnum0(h, en, 10, &fl, &n));
	TRY(FwpmFilterDestroyEnumHandle0(h, en));
	en = NULL;
	TRY(FwpmNetEventCreateEnumHandle0(h, NULL, &en));
	TRY(FwpmNetEventEnum1(h, en, 10, &ev, &n));
	memset(&s, 0, sizeof(s));
	s.enumTemplate = (FWPM_NET_EVENT_ENUM_TEMPLATE0 *)&t;
	t.numFilterConditions = 0;
	TRY(FwpmNetEventSubscribe0(h, &s, on_event, NULL, &sub));
	TRY(FwpmGetAppIdFromFileName0(L"/usr/bin/\u00e9", &app));
out:
	FwpmFreeMemory0((void **)&po);
	FwpmFreeMemory0((void **)&o);
	FwpmFreeMemory0((void **)&fl);
	FwpmFreeMemory0((void **)&ev);
	FwpmFreeMemory0((void **)&app);
	return r;
}

#undef TRY

static void test_allocation_failures(void **state)
{
	struct wfp_netevent ev;
	unsigned long k;
	DWORD r = 1;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = WFP_NET_EVENT_CLASSIFY_DROP;
	ev.flags = WFP_NET_EVENT_F_APP_ID_SET | WFP_NET_EVENT_F_USER_ID_SET;
	snprintf(ev.app_id, sizeof(ev.app_id), "/bin/x");
	assert_int_equal(wfp_netevent_report(eng, &ev), 1);
	for (k = 1; r != ERROR_SUCCESS && k < 2000; k++) {
		HANDLE h = NULL;
		GUID pk = test_guid(90), fk = test_guid(91);

		wfp_fault_inject(k);
		r = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, NULL, &h);
		if (r == ERROR_SUCCESS)
			r = fault_scenario(h);
		wfp_fault_inject(0);
		/* a failure is an error code, never a crash or a half-done change */
		if (r != ERROR_SUCCESS)
			assert_true(r == ERROR_NOT_ENOUGH_MEMORY);
		if (h) {
			FwpmFilterDeleteByKey0(h, &fk);
			FwpmProviderDeleteByKey0(h, &pk);
			assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
		} else {
			assert_null(h);
		}
	}
	assert_int_equal(r, ERROR_SUCCESS);
	assert_true(k > 20); /* the loop really failed allocations */
}

/* The process-wide engine: used when nothing is bound, kept across
 * handles, closed by wfp_fwpm_shutdown. */
static void test_private_engine(void **state)
{
	HANDLE h;
	UINT64 id;

	(void)state;
	assert_int_equal(wfp_fwpm_bind_engine(NULL), 0);
	h = open_session(false);
	assert_ptr_not_equal(wfp_fwpm_engine(h), eng);
	assert_int_equal(add_port_filter(h, 1, 80, &id), ERROR_SUCCESS);
	assert_int_equal(wfp_fwpm_shutdown(), -WFP_E_IN_USE);
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	h = open_session(false);
	assert_true(filter_exists(h, id)); /* static objects outlive the handle */
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	assert_int_equal(wfp_fwpm_shutdown(), 0);
	h = open_session(false);
	assert_false(filter_exists(h, id));
	assert_int_equal(FwpmEngineClose0(h), ERROR_SUCCESS);
	assert_int_equal(wfp_fwpm_shutdown(), 0);
	assert_int_equal(wfp_fwpm_bind_engine(eng), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guid_constants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec15_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec15_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_publishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_sublayer_callout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builtin_callouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stealth_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stealth_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netevents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unicode_condition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
