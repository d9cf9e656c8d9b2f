/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - allocation-failure torture test (curl's torture tests,
 * jq's inject_errors).
 *
 * Each scenario is a setup that runs normally and a change that runs with
 * wfp_fault_inject(n): the nth allocation from there on fails.  For
 * n = 1, 2, ... until the change runs without reaching its nth
 * allocation, every run must end cleanly:
 *   - the failing call returns a negative error (never crashes),
 *   - nothing leaks (LeakSanitizer in the ASan build of make check),
 *   - nothing is half applied: the filters, sublayers and providers the
 *     engine enumerates, and the verdicts it gives, equal the state
 *     before the change,
 *   - classification allocates nothing at all.
 * Policy loading (wfp_policy.h) runs the same way, plain and REPLACE.
 *
 * TAP on stdout; one test per scenario.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wfp/wfp.h>
#include <wfp/wfp_sim.h>
#ifdef WFP_HAVE_REPLAY
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_replay.h>
#endif

/* lib/alloc.c: exported for tests, not in a public header */
void wfp_fault_inject(unsigned long n);
unsigned long wfp_fault_count(void);

enum { MAXSNAP = 64, MAXRUNS = 50000 };

static unsigned ntest, nfailed;

static void ok(bool good, const char *name)
{
	ntest++;
	nfailed += !good;
	printf("%sok %u - %s\n", good ? "" : "not ", ntest, name);
	fflush(stdout);
}

static struct wfp_guid guid(uint8_t tag)
{
	struct wfp_guid g = { { 0xfa, 0x17, 0, 0, 0, 0, 0x40, 0, 0x80,
				0, 0, 0, 0, 0, 0, 0 } };

	g.b[15] = tag;
	return g;
}

/* ---- the policies ---- */

#define KEY_PROVIDER guid(1)
#define KEY_SUBLAYER guid(2)
#define KEY_CALLOUT guid(3)
#define KEY_F(i) guid((uint8_t)(0x10 + (i)))
#define KEY_BASE(i) guid((uint8_t)(0x40 + (i)))

static const char app_curl[] = "/usr/bin/curl";
static const char peer[] = "example.com";
static const char sid_null[] = "S-1-0-0";

static struct wfp_filter_cond blob_cond(unsigned field, unsigned match, uint16_t type,
					const char *s)
{
	struct wfp_filter_cond c;

	memset(&c, 0, sizeof(c));
	c.field = (uint16_t)field;
	c.match = (uint16_t)match;
	c.value.type = type;
	c.value.v.type = type;
	c.value.v.blob.data = (const uint8_t *)s;
	c.value.v.blob.size = (uint32_t)strlen(s);
	return c;
}

static struct wfp_filter_cond u_cond(unsigned field, unsigned match, uint16_t type,
				     uint64_t x)
{
	struct wfp_filter_cond c;

	memset(&c, 0, sizeof(c));
	c.field = (uint16_t)field;
	c.match = (uint16_t)match;
	c.value.type = type;
	c.value.v.type = type;
	if (type == WFP_UINT8)
		c.value.v.u8 = (uint8_t)x;
	else if (type == WFP_UINT16)
		c.value.v.u16 = (uint16_t)x;
	else
		c.value.v.u32 = (uint32_t)x;
	return c;
}

static int add(struct wfp_session *s, struct wfp_guid key, unsigned layer,
	       const struct wfp_guid *sublayer, uint32_t action,
	       const struct wfp_filter_cond *c, unsigned nc, uint64_t w)
{
	struct wfp_filter f;

	memset(&f, 0, sizeof(f));
	f.key = key;
	f.display.name = "fault";
	f.display.description = "a filter added under fault injection";
	f.layer = (uint16_t)layer;
	if (sublayer)
		f.sublayer_key = *sublayer;
	f.weight.type = w ? WFP_UINT64 : WFP_EMPTY;
	f.weight.u64 = w;
	f.ncond = nc;
	f.cond = c;
	f.action.type = action;
	if (action & WFP_ACTION_FLAG_CALLOUT)
		f.action.key = KEY_CALLOUT;
	return wfp_filter_add(s, &f, NULL);
}

/* The state every scenario starts from: two plain filters. */
static int base_setup(struct wfp_session *s)
{
	struct wfp_filter_cond tcp = u_cond(WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL,
					    WFP_UINT8, 6);
	struct wfp_filter_cond ssh = u_cond(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL,
					    WFP_UINT16, 22);
	int err;

	err = add(s, KEY_BASE(0), WFP_LAYER_ALE_AUTH_CONNECT_V4, NULL,
		  WFP_ACTION_PERMIT, &tcp, 1, 0);
	if (!err)
		err = add(s, KEY_BASE(1), WFP_LAYER_ALE_AUTH_CONNECT_V4, NULL,
			  WFP_ACTION_BLOCK, &ssh, 1, 0);
	return err;
}

/* The objects of the big change, added without a transaction of its own
 * (the caller decides). */
static int add_policy(struct wfp_session *s)
{
	struct wfp_provider pr = {
		.key = KEY_PROVIDER, .display = { "fault provider", "torture" },
		.service_name = "faultd",
	};
	struct wfp_sublayer sl = {
		.key = KEY_SUBLAYER, .display = { "fault sublayer", "torture" },
		.provider_key = KEY_PROVIDER, .weight = 0x7777,
	};
	struct wfp_callout co = {
		.key = KEY_CALLOUT, .display = { "fault callout", NULL },
		.provider_key = KEY_PROVIDER,
		.applicable_layer = WFP_LAYER_ALE_AUTH_CONNECT_V4,
	};
	struct wfp_filter_cond c1[3], c2[3], c3[2];
	const struct wfp_guid ks = KEY_SUBLAYER;
	int err;

	c1[0] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL, WFP_BYTE_BLOB, app_curl);
	c1[1] = blob_cond(WFP_FIELD_PEER_NAME, WFP_MATCH_PREFIX, WFP_BYTE_BLOB, peer);
	c1[2] = blob_cond(WFP_FIELD_ALE_PACKAGE_ID, WFP_MATCH_NOT_EQUAL, WFP_SID, sid_null);

	memset(c2, 0, sizeof(c2));
	c2[0].field = WFP_FIELD_IP_REMOTE_ADDRESS;
	c2[0].match = WFP_MATCH_EQUAL;
	c2[0].value.type = WFP_V4_ADDR_MASK;
	c2[0].value.v4.addr = 0x0a000000;
	c2[0].value.v4.mask = 0xff000000;
	c2[1].field = WFP_FIELD_IP_REMOTE_PORT;
	c2[1].match = WFP_MATCH_RANGE;
	c2[1].value.type = WFP_RANGE;
	c2[1].value.range.low.type = WFP_UINT16;
	c2[1].value.range.low.u16 = 80;
	c2[1].value.range.high.type = WFP_UINT16;
	c2[1].value.range.high.u16 = 90;
	c2[2] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL, WFP_BYTE_BLOB, app_curl);

	memset(c3, 0, sizeof(c3));
	c3[0].field = WFP_FIELD_IP_REMOTE_ADDRESS;
	c3[0].match = WFP_MATCH_EQUAL;
	c3[0].value.type = WFP_V6_ADDR_MASK;
	c3[0].value.v6.addr[0] = 0xfd;
	c3[0].value.v6.prefix_len = 8;
	c3[1] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_NOT_PREFIX, WFP_BYTE_BLOB, "sshd");

	if ((err = wfp_provider_add(s, &pr)) || (err = wfp_sublayer_add(s, &sl)) ||
	    (err = wfp_callout_add(s, &co, NULL)))
		return err;
	if ((err = add(s, KEY_F(0), WFP_LAYER_ALE_AUTH_CONNECT_V4, &ks, WFP_ACTION_BLOCK,
		       c1, 3, 0)) ||
	    (err = add(s, KEY_F(1), WFP_LAYER_ALE_AUTH_CONNECT_V4, &ks, WFP_ACTION_PERMIT,
		       c2, 3, 5)) ||
	    (err = add(s, KEY_F(2), WFP_LAYER_ALE_AUTH_CONNECT_V6, NULL, WFP_ACTION_BLOCK,
		       c3, 2, 0)) ||
	    (err = add(s, KEY_F(3), WFP_LAYER_ALE_AUTH_CONNECT_V4, &ks,
		       WFP_ACTION_CALLOUT_TERMINATING, c2, 1, 1ULL << 62)) ||
	    (err = add(s, KEY_F(4), WFP_LAYER_INBOUND_TRANSPORT_V4, NULL,
		       WFP_ACTION_PERMIT, NULL, 0, 0)))
		return err;
	return 0;
}

/* Persistent objects (the store, docs/internals/store.md). */
#define KEY_PPROV guid(0x60)
#define KEY_PSUB guid(0x61)
#define KEY_PF(i) guid((uint8_t)(0x70 + (i)))

static int add_persistent(struct wfp_session *s, unsigned first, unsigned n)
{
	struct wfp_filter_cond c[2];
	int err;

	c[0] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_PREFIX, WFP_BYTE_BLOB, "/sshd");
	c[1] = u_cond(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_LESS, WFP_UINT16, 1024);
	for (unsigned i = first; i < first + n; i++) {
		struct wfp_filter f;
		const struct wfp_guid ks = KEY_PSUB, kp = KEY_PPROV;

		memset(&f, 0, sizeof(f));
		f.key = KEY_PF(i);
		f.display.name = "persistent";
		f.flags = WFP_FILTER_F_PERSISTENT;
		f.provider_key = kp;
		f.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
		f.sublayer_key = ks;
		f.ncond = 1 + i % 2;
		f.cond = c;
		f.action.type = i % 2 ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
		if ((err = wfp_filter_add(s, &f, NULL)))
			return err;
	}
	return 0;
}

static int store_base(struct wfp_session *s)
{
	struct wfp_provider pr = {
		.key = KEY_PPROV, .display = { "persistent provider", NULL },
		.flags = WFP_PROVIDER_F_PERSISTENT,
	};
	struct wfp_sublayer sl = {
		.key = KEY_PSUB, .display = { "persistent sublayer", NULL },
		.flags = WFP_SUBLAYER_F_PERSISTENT, .provider_key = KEY_PPROV,
		.weight = 0x6666,
	};
	int err;

	if ((err = wfp_provider_add(s, &pr)) || (err = wfp_sublayer_add(s, &sl)))
		return err;
	return add_persistent(s, 0, 2);
}

static int store_setup(struct wfp_session *s)
{
	int err = base_setup(s);

	if (!err)
		err = wfp_txn_begin(s, 0);
	if (!err && (err = store_base(s)))
		wfp_txn_abort(s);
	return err ? err : wfp_txn_commit(s);
}

/* Adds three persistent filters and deletes one: the commit rewrites the
 * store before it publishes. */
static int store_change(struct wfp_session *s)
{
	const struct wfp_guid k0 = KEY_PF(0);
	int err = wfp_txn_begin(s, 0);

	if (err)
		return err;
	if (!(err = add_persistent(s, 2, 3)) && !(err = wfp_filter_delete_by_key(s, &k0)))
		err = wfp_txn_commit(s);
	if (err)
		wfp_txn_abort(s);
	return err;
}

/* A dynamic session with a sublayer and two filters, beside the static
 * session of base_setup; closing it must delete them (spec §6.2) even
 * when memory runs out, since wfp_session_close() cannot fail. */
static struct wfp_session *dyn;

static int dynamic_setup(struct wfp_session *s)
{
	struct wfp_session_opts so = {
		.sz = sizeof(so), .display = { "dynamic", NULL },
		.flags = WFP_SESSION_F_DYNAMIC,
	};
	struct wfp_sublayer sl = {
		.key = guid(0x50), .display = { "dynamic sublayer", NULL }, .weight = 0x5555,
	};
	struct wfp_filter_cond c = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL,
					     WFP_BYTE_BLOB, app_curl);
	const struct wfp_guid ks = guid(0x50);
	int err = base_setup(s);

	if (err)
		return err;
	dyn = wfp_session_open(wfp_session_engine(s), &so);
	if (!dyn)
		return -WFP_E_NOMEM;
	if ((err = wfp_sublayer_add(dyn, &sl)))
		return err;
	if ((err = add(dyn, guid(0x51), WFP_LAYER_ALE_AUTH_CONNECT_V4, &ks,
		       WFP_ACTION_BLOCK, &c, 1, 0)))
		return err;
	return add(dyn, guid(0x52), WFP_LAYER_ALE_AUTH_CONNECT_V4, NULL, WFP_ACTION_BLOCK,
		   NULL, 0, 0);
}

static int dynamic_close(struct wfp_session *s)
{
	wfp_session_close(dyn);
	dyn = NULL;
	return 0;
}

/* Runs fn in one explicit transaction; aborts it on any error. */
static int in_txn(struct wfp_session *s, int (*fn)(struct wfp_session *))
{
	int err = wfp_txn_begin(s, 0);

	if (err)
		return err;
	err = fn(s);
	if (!err)
		err = wfp_txn_commit(s);
	if (err)
		wfp_txn_abort(s); /* may say there is none: commit failed */
	return err;
}

static int change_txn_add(struct wfp_session *s)
{
	return in_txn(s, add_policy);
}

/* One filter with blob conditions, in its implicit transaction. */
static int change_implicit_add(struct wfp_session *s)
{
	struct wfp_filter_cond c[2];

	c[0] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_EQUAL, WFP_BYTE_BLOB, app_curl);
	c[1] = blob_cond(WFP_FIELD_ALE_APP_ID, WFP_MATCH_PREFIX, WFP_BYTE_BLOB, "wget");
	return add(s, KEY_F(9), WFP_LAYER_ALE_AUTH_CONNECT_V4, NULL, WFP_ACTION_BLOCK,
		   c, 2, 0);
}

static int setup_with_policy(struct wfp_session *s)
{
	int err = base_setup(s);

	return err ? err : in_txn(s, add_policy);
}

static int delete_policy(struct wfp_session *s)
{
	const struct wfp_guid kp = KEY_PROVIDER, ks = KEY_SUBLAYER, kc = KEY_CALLOUT;
	int err;

	for (unsigned i = 0; i < 5; i++) {
		struct wfp_guid k = KEY_F(i);

		if ((err = wfp_filter_delete_by_key(s, &k)))
			return err;
	}
	if ((err = wfp_callout_delete(s, &kc)) || (err = wfp_sublayer_delete(s, &ks)))
		return err;
	return wfp_provider_delete(s, &kp);
}

static int change_txn_delete(struct wfp_session *s)
{
	return in_txn(s, delete_policy);
}

/* The same kinds of objects as add_policy(), in the text format. */
static const char policy_text[] =
	"provider fp \"fault provider\" service \"faultd\"\n"
	"sublayer fs \"fault sublayer\" weight 0x7777 provider fp\n"
	"callout fc layer ALE_AUTH_CONNECT_V4 provider fp\n"
	"filter \"apps\" layer ALE_AUTH_CONNECT_V4 sublayer fs block where "
	"ALE_APP_ID == \"/usr/bin/curl\" and PEER_NAME suffix \"example.com\" "
	"and ALE_PACKAGE_ID != S-1-0-0\n"
	"filter \"net\" layer ALE_AUTH_CONNECT_V4 sublayer fs weight 5 permit where "
	"IP_REMOTE_ADDRESS == 10.0.0.0/8 and IP_REMOTE_PORT in 80 - 90\n"
	"filter \"v6\" layer ALE_AUTH_CONNECT_V6 block where "
	"IP_REMOTE_ADDRESS == fd00::/8 and ALE_APP_ID not-suffix \"sshd\"\n"
	"filter \"user\" layer ALE_AUTH_CONNECT_V4 permit where "
	"ALE_USER_ID == \"O:LSD:(A;;CC;;;S-1-22-1-1000)(A;;CC;;;WD)\"\n"
	"filter \"callout\" layer ALE_AUTH_CONNECT_V4 sublayer fs callout fc\n"
	"filter \"all\" layer INBOUND_TRANSPORT_V4 permit\n";

static int change_policy_load(struct wfp_session *s)
{
	struct wfp_policy_error pe;

	return wfp_policy_load_string(s, policy_text, strlen(policy_text), "fault.wfp",
				      0, &pe);
}

/* Much the same in JSON (docs/policy.md). */
static const char policy_json[] =
	"{ \"format\": \"openwfp-policy\", \"version\": 1,\n"
	"  \"providers\": [ { \"name\": \"fp\", \"display\": { \"name\": \"fault\" } } ],\n"
	"  \"sublayers\": [ { \"name\": \"fs\", \"provider\": \"fp\", \"weight\": 30583 } ],\n"
	"  \"filters\": [\n"
	"    { \"display\": { \"name\": \"apps\" }, \"layer\": \"ALE_AUTH_CONNECT_V4\",\n"
	"      \"sublayer\": \"fs\", \"action\": { \"type\": \"block\" },\n"
	"      \"conditions\": [ { \"field\": \"ALE_APP_ID\", \"value\": \"/usr/bin/curl\" },\n"
	"        { \"field\": \"IP_REMOTE_PORT\", \"match\": \"in\",\n"
	"          \"value\": { \"low\": 80, \"high\": 90 } } ] },\n"
	"    { \"display\": { \"name\": \"v6\" }, \"layer\": \"ALE_AUTH_CONNECT_V6\",\n"
	"      \"weight\": { \"range\": 3 }, \"action\": { \"type\": \"permit\" },\n"
	"      \"conditions\": [ { \"field\": \"ALE_USER_ID\", \"value\": \"O:LSD:(A;;CC;;;WD)\" },\n"
	"        { \"field\": \"IP_REMOTE_ADDRESS\", \"value\": \"fd00::/8\" } ] } ] }\n";

static int change_policy_json(struct wfp_session *s)
{
	struct wfp_policy_error pe;

	return wfp_policy_load_string(s, policy_json, strlen(policy_json), "fault.json",
				      0, &pe);
}

/* The same through REPLACE: the old objects go in the same transaction. */
static int change_policy_replace(struct wfp_session *s)
{
	struct wfp_policy_error pe;

	return wfp_policy_load_string(s, policy_text, strlen(policy_text), "fault.wfp",
				      WFP_POLICY_REPLACE, &pe);
}

/* ---- state snapshots ---- */

struct snap {
	int err;
	size_t nf;
	struct {
		uint64_t id, eff;
		char name[32]; /* not the key: loaded filters get random keys */
		uint16_t layer;
		uint32_t ncond;
	} f[MAXSNAP];
	size_t nsl;
	uint16_t slw[MAXSNAP];
	bool provider, sublayer, callout;
	struct {
		uint32_t action;
		uint64_t filter_id;
	} v[8];
	long flen;      /* the store file, -1: none */
	char file[16384];
};

static char store_path[256]; /* non-empty while a store scenario runs */

static void read_store(struct snap *sn)
{
	FILE *f = store_path[0] ? fopen(store_path, "rb") : NULL;

	sn->flen = -1;
	if (!f)
		return;
	sn->flen = (long)fread(sn->file, 1, sizeof(sn->file), f);
	fclose(f);
}

/* Incoming values at ALE_AUTH_CONNECT_V4 / _V6 for a few connections. */
static void classify_all(const struct wfp_engine *e, struct snap *sn)
{
	struct wfp_value v[WFP_MAX_FIELDS_PER_LAYER];
	static const struct {
		uint16_t layer;
		const char *app;
		uint32_t addr;
		uint16_t port;
		uint8_t proto;
	} in[8] = {
		{ WFP_LAYER_ALE_AUTH_CONNECT_V4, app_curl, 0x0a000001, 80, 6 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V4, app_curl, 0x0b000001, 22, 6 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V4, "/usr/bin/wget", 0x0a0000ff, 90, 17 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V4, "/usr/sbin/sshd", 0x0a000001, 85, 6 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V6, app_curl, 0, 443, 6 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V6, "/usr/sbin/sshd", 0, 22, 6 },
		{ WFP_LAYER_INBOUND_TRANSPORT_V4, NULL, 0x0a000001, 80, 6 },
		{ WFP_LAYER_ALE_AUTH_CONNECT_V4, NULL, 0, 0, 0 },
	};

	for (unsigned i = 0; i < 8; i++) {
		unsigned layer = in[i].layer, n = wfp_layer_field_count(layer);
		struct wfp_incoming inc = { .layer = (uint16_t)layer,
					    .nvalues = (uint16_t)n, .values = v };
		struct wfp_verdict vd;

		memset(v, 0, sizeof(v));
		for (unsigned s = 0; s < n && s < WFP_MAX_FIELDS_PER_LAYER; s++) {
			int f = wfp_layer_field(layer, s);

			if (f == WFP_FIELD_ALE_APP_ID && in[i].app) {
				v[s].type = WFP_BYTE_BLOB;
				v[s].blob.data = (const uint8_t *)in[i].app;
				v[s].blob.size = (uint32_t)strlen(in[i].app);
			} else if (f == WFP_FIELD_PEER_NAME && in[i].app) {
				v[s].type = WFP_BYTE_BLOB;
				v[s].blob.data = (const uint8_t *)"www.example.com";
				v[s].blob.size = 15;
			} else if (f == WFP_FIELD_ALE_PACKAGE_ID && in[i].app) {
				v[s].type = WFP_SID;
				v[s].blob.data = (const uint8_t *)"S-1-15-2-1";
				v[s].blob.size = 10;
			} else if (f == WFP_FIELD_IP_REMOTE_ADDRESS && in[i].proto) {
				if (wfp_layer_flags(layer) & WFP_LAYER_F_V6) {
					v[s].type = WFP_BYTE_ARRAY16;
					v[s].a16[0] = 0xfd;
					v[s].a16[15] = 1;
				} else {
					v[s].type = WFP_UINT32;
					v[s].u32 = in[i].addr;
				}
			} else if (f == WFP_FIELD_IP_REMOTE_PORT && in[i].proto) {
				v[s].type = WFP_UINT16;
				v[s].u16 = in[i].port;
			} else if (f == WFP_FIELD_IP_PROTOCOL && in[i].proto) {
				v[s].type = WFP_UINT8;
				v[s].u8 = in[i].proto;
			}
		}
		memset(&vd, 0, sizeof(vd));
		wfp_classify(e, &inc, &vd, NULL);
		sn->v[i].action = vd.action == WFP_ACTION_NONE_NO_MATCH ?
				  WFP_ACTION_NONE : vd.action;
		sn->v[i].filter_id = vd.filter_id;
	}
}

static void snapshot(struct wfp_engine *e, struct wfp_session *s, struct snap *sn)
{
	const struct wfp_guid kp = KEY_PROVIDER, ks = KEY_SUBLAYER, kc = KEY_CALLOUT;
	struct wfp_filter **fa = NULL;
	struct wfp_sublayer **sa = NULL;
	struct wfp_provider *p;
	struct wfp_sublayer *sl;
	struct wfp_callout *c;
	size_t n = 0;

	memset(sn, 0, sizeof(*sn));
	sn->err = wfp_filter_enum(s, NULL, &fa, &n);
	for (size_t i = 0; !sn->err && i < n && i < MAXSNAP; i++) {
		sn->f[i].id = fa[i]->filter_id;
		sn->f[i].eff = fa[i]->effective_weight;
		if (fa[i]->display.name)
			snprintf(sn->f[i].name, sizeof(sn->f[i].name), "%s",
				 fa[i]->display.name);
		sn->f[i].layer = fa[i]->layer;
		sn->f[i].ncond = fa[i]->ncond;
	}
	sn->nf = n;
	if (!sn->err)
		wfp_filter_array_free(fa, n);
	if (!sn->err && !(sn->err = wfp_sublayer_enum(s, &sa, &n))) {
		for (size_t i = 0; i < n && i < MAXSNAP; i++)
			sn->slw[i] = sa[i]->weight;
		sn->nsl = n;
		wfp_sublayer_array_free(sa, n);
	}
	if (!wfp_provider_get(s, &kp, &p)) {
		sn->provider = true;
		wfp_provider_free(p);
	}
	if (!wfp_sublayer_get(s, &ks, &sl)) {
		sn->sublayer = true;
		wfp_sublayer_free(sl);
	}
	if (!wfp_callout_get(s, &kc, &c)) {
		sn->callout = true;
		wfp_callout_free(c);
	}
	classify_all(e, sn);
	read_store(sn);
}

static bool snap_eq(const struct snap *a, const struct snap *b, const char **why)
{
	*why = NULL;
	if (a->err || b->err)
		*why = "enumeration failed";
	else if (a->nf != b->nf)
		*why = "filter count";
	else if (memcmp(a->f, b->f, sizeof(a->f)))
		*why = "filters (ids, names, weights, layers)";
	else if (a->nsl != b->nsl || memcmp(a->slw, b->slw, sizeof(a->slw)))
		*why = "sublayers";
	else if (a->provider != b->provider)
		*why = "provider";
	else if (a->sublayer != b->sublayer)
		*why = "sublayer";
	else if (a->callout != b->callout)
		*why = "callout";
	else if (memcmp(a->v, b->v, sizeof(a->v)))
		*why = "verdicts";
	else if (a->flen != b->flen || (a->flen > 0 && memcmp(a->file, b->file, a->flen)))
		*why = "store file";
	return !*why;
}

/* ---- the torture loop ---- */

struct scenario {
	const char *name;
	int (*setup)(struct wfp_session *s);
	int (*change)(struct wfp_session *s);
	bool store; /* open the engine on a fresh store file */
	/* the change cannot report an error (a void call such as
	 * wfp_session_close): every run must reach the final state */
	bool cannot_fail;
	/* an engine bug this scenario shows: skipped unless
	 * WFP_FAULT_KNOWN_BUGS is set (docs/internals/testing.md) */
	const char *known_bug;
};

static char store_dir[200];

/* NULL came back: errno holds the error, whichever sign it was given. */
static int errno_err(void)
{
	return errno > 0 ? -errno : errno < 0 ? errno : -1;
}

static int open_setup(const struct scenario *sc, struct wfp_engine **e,
		      struct wfp_session **s)
{
	struct wfp_engine_opts eo = { .sz = sizeof(eo) };

	*s = NULL;
	store_path[0] = '\0';
	if (sc->store) {
		char tmp[300];

		snprintf(store_path, sizeof(store_path), "%s/store.json", store_dir);
		snprintf(tmp, sizeof(tmp), "%s.tmp", store_path);
		unlink(store_path);
		unlink(tmp);
		eo.store_path = store_path;
	}
	errno = 0;
	*e = wfp_engine_open(&eo);
	if (!*e)
		return errno_err();
	*s = wfp_session_open(*e, NULL);
	if (!*s)
		return errno_err();
	return sc->setup ? sc->setup(*s) : 0;
}

static void close_all(struct wfp_engine *e, struct wfp_session *s)
{
	wfp_session_close(s);
	wfp_engine_close(e);
}

static void run_scenario(const struct scenario *sc)
{
	struct snap before, after, now;
	struct wfp_engine *e;
	struct wfp_session *s;
	unsigned long n, runs = 0, failed_runs = 0, bad = 0, odd = 0;
	const char *why;
	char name[200];
	int err;

	if (sc->known_bug && !getenv("WFP_FAULT_KNOWN_BUGS")) {
		ntest++;
		printf("ok %u - %s # SKIP known engine bug: %s\n", ntest, sc->name,
		       sc->known_bug);
		return;
	}
	/* without faults: the states before and after the change */
	wfp_fault_inject(0);
	if ((err = open_setup(sc, &e, &s))) {
		printf("# %s: setup failed: %s\n", sc->name, wfp_strerror_name(err));
		close_all(e, s);
		ok(false, sc->name);
		return;
	}
	snapshot(e, s, &before);
	err = sc->change(s);
	snapshot(e, s, &after);
	close_all(e, s);
	if (err) {
		printf("# %s: the change fails even without faults: %s\n", sc->name,
		       wfp_strerror_name(err));
		ok(false, sc->name);
		return;
	}

	for (n = 1; n < MAXRUNS; n++) {
		unsigned long count, c0;

		wfp_fault_inject(0);
		if (open_setup(sc, &e, &s)) {
			close_all(e, s);
			bad++;
			break;
		}
		wfp_fault_inject(n);
		err = sc->change(s);
		/* the hot path must not allocate: count stays put */
		c0 = wfp_fault_count();
		classify_all(e, &now);
		count = wfp_fault_count();
		wfp_fault_inject(0);
		runs++;
		if (count != c0 && bad++ < 3)
			printf("# %s, n=%lu: classification allocated\n", sc->name, n);
		snapshot(e, s, &now);
		if (err > 0 && bad++ < 3)
			printf("# %s, n=%lu: positive error %d\n", sc->name, n, err);
		if (err) {
			failed_runs++;
			if (err != -WFP_E_NOMEM && odd++ < 3)
				printf("# %s, n=%lu: failed with %s, not FWP_E_NOMEM\n",
				       sc->name, n, wfp_strerror_name(err));
			if (!snap_eq(&now, &before, &why) && bad++ < 3)
				printf("# %s, n=%lu: half applied after %s: %s differ\n",
				       sc->name, n, wfp_strerror_name(err), why);
		} else if (!snap_eq(&now, &after, &why) && bad++ < 3) {
			printf("# %s, n=%lu: succeeded but the state is wrong: %s\n",
			       sc->name, n, why);
		}
		close_all(e, s);
		if (count < n)
			break; /* the change no longer reaches allocation n */
	}
	if (n == MAXRUNS)
		bad++;
	snprintf(name, sizeof(name), "%s: %lu runs, %lu failed cleanly", sc->name,
		 runs, failed_runs);
	ok(!bad && (failed_runs > 0 || sc->cannot_fail), name);
}

/* Engine open, session open and a small policy, everything under faults:
 * only cleanliness (negative errors, no crash, no leak) is checked. */
static void run_open(void)
{
	unsigned long n, runs = 0, bad = 0;
	char name[120];

	for (n = 1; n < MAXRUNS; n++) {
		static const struct scenario sc = { .name = "open", .setup = setup_with_policy };
		struct wfp_engine *e;
		struct wfp_session *s;
		unsigned long count;
		int err;

		wfp_fault_inject(n);
		errno = 0;
		err = open_setup(&sc, &e, &s);
		count = wfp_fault_count();
		wfp_fault_inject(0);
		runs++;
		if (err > 0 && bad++ < 3)
			printf("# open, n=%lu: positive error %d\n", n, err);
		if (err == -1 && bad++ < 3)
			printf("# open, n=%lu: NULL without errno\n", n);
		close_all(e, s);
		if (count < n)
			break;
	}
	snprintf(name, sizeof(name), "engine open + session + policy: %lu runs", runs);
	ok(!bad && n < MAXRUNS, name);
}

/* The stack model: a whole scenario (hosts, sockets, a TCP handshake,
 * data, filters added mid-flow and the re-authorisations they cause)
 * under faults.  A model that runs out of memory may drop packets, so
 * only cleanliness is demanded: no crash, no leak, negative errors, and
 * the same trace as without faults once no fault is reached. */
static const char sim_script[] =
	"host client 10.0.0.1 fd00::1\n"
	"host server 10.0.0.2 fd00::2\n"
	"server tcp listen 80\n"
	"client tcp connect server 80\n"
	"filter server ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80\n"
	"client send 100\n"
	"filter client ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 80\n"
	"server send 20\n"
	"client send 50\n"
	"client tcp connect server 81\n";

static unsigned long sim_records;

static void count_trace(const struct wfp_trace_rec *r, void *ctx)
{
	(void)r;
	(void)ctx;
	sim_records++;
}

static int sim_once(unsigned long n, unsigned long *count)
{
	struct wfp_sim_error se;
	struct wfp_sim *sim;
	int err = -1;

	sim_records = 0;
	wfp_fault_inject(n);
	errno = 0;
	sim = wfp_sim_new();
	if (sim) {
		wfp_sim_set_trace(sim, count_trace, NULL);
		err = wfp_sim_load_string(sim, sim_script, strlen(sim_script), "fault.sim",
					  NULL, &se);
		if (!err)
			err = wfp_sim_run(sim, &se);
	} else {
		err = errno_err();
	}
	*count = wfp_fault_count();
	wfp_fault_inject(0);
	wfp_sim_free(sim);
	return err;
}

static void run_sim(void)
{
	unsigned long n, runs = 0, failed = 0, bad = 0, count, want;
	char name[120];
	int err;

	err = sim_once(0, &count);
	want = sim_records;
	if (err || !want) {
		printf("# sim: the scenario fails without faults: %s, %lu records\n",
		       wfp_strerror_name(err), want);
		ok(false, "stack model (sim scenario)");
		return;
	}
	for (n = 1; n < MAXRUNS; n++) {
		err = sim_once(n, &count);
		runs++;
		failed += err != 0;
		if (err > 0 && bad++ < 3)
			printf("# sim, n=%lu: positive error %d\n", n, err);
		if (count < n) {
			if (err || sim_records != want)
				bad++, printf("# sim, n=%lu: no fault, yet %d and %lu records "
					      "(want %lu)\n", n, err, sim_records, want);
			break;
		}
	}
	snprintf(name, sizeof(name), "stack model (sim scenario): %lu runs, %lu failed, "
		 "%lu trace records", runs, failed, want);
	ok(!bad && n < MAXRUNS, name);
}

#ifdef WFP_HAVE_REPLAY
/* A replay (wfpctl replay): raw IPv4 packets of a TCP connection to
 * 10.0.0.2:80, one to port 22 (blocked by base_setup's policy) and a UDP
 * exchange, classified by an engine built without faults; the replay
 * itself (its flow table, its stack model) runs under faults. */
static size_t ip4_packet(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto,
			 uint16_t sport, uint16_t dport, uint8_t tcp_flags)
{
	size_t l4 = proto == 6 ? 20 : 8, len = 20 + l4;

	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = proto;
	for (int i = 0; i < 4; i++) {
		b[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		b[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
	if (proto == 6) {
		b[32] = 5 << 4;
		b[33] = tcp_flags;
		b[34] = 0xff;
	} else {
		b[25] = 8;
	}
	return len;
}

static unsigned long replay_summary;

static int replay_once(unsigned long n, unsigned long *count)
{
	static const struct {
		uint32_t src, dst;
		uint8_t proto;
		uint16_t sport, dport;
		uint8_t flags;
	} pk[] = {
		{ 0x0a000001, 0x0a000002, 6, 49152, 80, 0x02 },
		{ 0x0a000002, 0x0a000001, 6, 80, 49152, 0x12 },
		{ 0x0a000001, 0x0a000002, 6, 49152, 80, 0x10 },
		{ 0x0a000001, 0x0a000002, 6, 49153, 22, 0x02 },
		{ 0x0a000001, 0x0a000002, 17, 5353, 53, 0 },
		{ 0x0a000002, 0x0a000001, 17, 53, 5353, 0 },
		{ 0x0a000001, 0x0a000002, 6, 49152, 80, 0x11 },
	};
	static struct wfp_replay_rec rec;
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_replay *r;
	uint8_t buf[64];
	int err;
	static const struct scenario sc = { .name = "replay", .setup = base_setup };

	replay_summary = 0;
	if (open_setup(&sc, &e, &s)) {
		close_all(e, s);
		return -1;
	}
	wfp_fault_inject(n);
	errno = 0;
	r = wfp_replay_new(e, NULL);
	err = r ? 0 : errno_err();
	for (unsigned pass = 0; r && pass < 2 && !err; pass++) {
		for (unsigned i = 0; i < sizeof(pk) / sizeof(pk[0]) && !err; i++) {
			size_t len = ip4_packet(buf, pk[i].src, pk[i].dst, pk[i].proto,
						pk[i].sport, pk[i].dport, pk[i].flags);

			if (!pass) {
				wfp_replay_learn(r, WFP_LINK_RAW, buf, len);
				continue;
			}
			err = wfp_replay_packet(r, WFP_LINK_RAW, i * 1000, buf, len, len, &rec);
			replay_summary = replay_summary * 31 + rec.verdict * 7 + rec.filter_id;
		}
		if (!pass && !err)
			err = wfp_replay_learn_done(r);
	}
	if (r)
		wfp_replay_finish(r);
	*count = wfp_fault_count();
	wfp_fault_inject(0);
	wfp_replay_free(r);
	close_all(e, s);
	return err;
}

static void run_replay(void)
{
	unsigned long n, runs = 0, failed = 0, bad = 0, count, want;
	char name[120];
	int err;

	err = replay_once(0, &count);
	want = replay_summary;
	if (err) {
		printf("# replay fails without faults: %s\n", wfp_strerror_name(err));
		ok(false, "replay");
		return;
	}
	for (n = 1; n < MAXRUNS; n++) {
		err = replay_once(n, &count);
		runs++;
		failed += err != 0;
		if (err > 0 && bad++ < 3)
			printf("# replay, n=%lu: positive error %d\n", n, err);
		if (count < n) {
			if (err || replay_summary != want)
				bad++, printf("# replay, n=%lu: no fault, yet %d and other "
					      "verdicts\n", n, err);
			break;
		}
	}
	snprintf(name, sizeof(name), "replay of a capture: %lu runs, %lu failed", runs,
		 failed);
	ok(!bad && n < MAXRUNS, name);
}
#endif

int main(void)
{
	static const struct scenario sc[] = {
		{ .name = "one filter with blob conditions, implicit transaction",
		  .setup = base_setup, .change = change_implicit_add },
		{ .name = "provider, sublayer, callout, 5 filters in one transaction",
		  .setup = base_setup, .change = change_txn_add },
		{ .name = "deleting them all in one transaction",
		  .setup = setup_with_policy, .change = change_txn_delete },
		{ .name = "wfp_policy_load_string", .setup = base_setup,
		  .change = change_policy_load },
		{ .name = "wfp_policy_load_string, REPLACE", .setup = setup_with_policy,
		  .change = change_policy_replace },
		{ .name = "wfp_policy_load_string, JSON", .setup = base_setup,
		  .change = change_policy_json },
		{ .name = "persistent objects: the commit rewrites the store",
		  .setup = store_setup, .change = store_change, .store = true },
		{ .name = "closing a dynamic session deletes its objects",
		  .setup = dynamic_setup, .change = dynamic_close, .cannot_fail = true },
	};
	unsigned nsc = sizeof(sc) / sizeof(sc[0]);

	snprintf(store_dir, sizeof(store_dir), "%s/wfp-fault-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(store_dir)) {
		perror("mkdtemp");
		return 1;
	}
#ifdef WFP_HAVE_REPLAY
	printf("1..%u\n", nsc + 3);
	run_replay();
#else
	printf("1..%u\n", nsc + 2);
#endif
	run_open();
	run_sim();
	for (unsigned i = 0; i < nsc; i++)
		run_scenario(&sc[i]);
	unlink(store_path);
	snprintf(store_path, sizeof(store_path), "%s/store.json.tmp", store_dir);
	unlink(store_path);
	rmdir(store_dir);
	return nfailed ? 1 : 0;
}
