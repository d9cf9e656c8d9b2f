/* SPDX-License-Identifier: MIT */
/*
 * test_policy_text.c - the text policy language (docs/policy.md): what
 * each form parses to, where errors point, that the canonical listing
 * reparses to the same objects, and that applying is all or nothing
 * (own transaction, joined transaction, CHECK_ONLY, REPLACE, allocation
 * failures).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>

#include "policy.h"

void wfp_fault_inject(unsigned long n); /* alloc.c */

static struct wfp_policy *parse_ok(const char *text)
{
	struct wfp_policy_error err = { 0 };
	struct wfp_policy *p = NULL;
	int r = wfp_policy_parse(text, strlen(text), "t.wfp", WFP_POLICY_FMT_TEXT, &p, &err);

	if (r)
		fail_msg("unexpected error %d at %u:%u: %s", r, err.line, err.col, err.msg);
	assert_non_null(p);
	return p;
}

static struct wfp_policy_error parse_err(const char *text)
{
	struct wfp_policy_error err = { 0 };
	struct wfp_policy *p = (struct wfp_policy *)1;

	assert_int_not_equal(wfp_policy_parse(text, strlen(text), "t.wfp", WFP_POLICY_FMT_TEXT,
					      &p, &err), 0);
	assert_null(p);
	assert_int_not_equal(err.code, 0);
	return err;
}

static const struct wfp_filter *one_filter(const struct wfp_policy *p)
{
	assert_int_equal(p->nfilt, 1);
	return &p->filt[0].f;
}

/* ---- the forms of issue 5 ---- */

static void test_issue_forms(void **state)
{
	struct wfp_policy *p = parse_ok(
		"# comment\n"
		"provider acme \"Acme VPN\"\n"
		"sublayer corp weight 0x8000 provider acme\n"
		"filter \"no telnet\" layer ALE_AUTH_CONNECT_V4 sublayer corp weight 10 block "
		"where IP_REMOTE_PORT == 23 and IP_PROTOCOL == tcp\n"
		"filter \"web in\" layer ALE_AUTH_RECV_ACCEPT_V4 permit clear-action-right "
		"where IP_LOCAL_PORT in 80-443\n");
	const struct wfp_filter *f;

	assert_int_equal(p->nprov, 1);
	assert_string_equal(p->prov[0].name, "acme");
	assert_string_equal(p->prov[0].p.display.name, "Acme VPN");
	assert_int_equal(p->nsubl, 1);
	assert_int_equal(p->subl[0].s.weight, 0x8000);
	assert_true(wfp_guid_eq(&p->subl[0].s.provider_key, &p->prov[0].p.key));
	assert_int_equal(p->nfilt, 2);
	f = &p->filt[0].f;
	assert_int_equal(f->layer, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	assert_true(wfp_guid_eq(&f->sublayer_key, &p->subl[0].s.key));
	assert_int_equal(f->weight.type, WFP_UINT64);
	assert_int_equal(f->weight.u64, 10);
	assert_int_equal(f->action.type, WFP_ACTION_BLOCK);
	assert_int_equal(f->ncond, 2);
	assert_int_equal(f->cond[0].field, WFP_FIELD_IP_REMOTE_PORT);
	assert_int_equal(f->cond[0].value.type, WFP_UINT16);
	assert_int_equal(f->cond[0].value.v.u16, 23);
	assert_int_equal(f->cond[1].value.v.u8, 6);
	f = &p->filt[1].f;
	assert_int_equal(f->flags, WFP_FILTER_F_CLEAR_ACTION_RIGHT);
	assert_int_equal(f->weight.type, WFP_EMPTY);
	assert_int_equal(f->cond[0].match, WFP_MATCH_RANGE);
	assert_int_equal(f->cond[0].value.range.low.u16, 80);
	assert_int_equal(f->cond[0].value.range.high.u16, 443);
	assert_int_equal(p->filt[1].loc.line, 5);
	wfp_policy_free(p);
}

/* Every operator spelling to its match type. */
static void test_operators(void **state)
{
	static const struct {
		const char *cond;
		unsigned match;
	} t[] = {
		{ "IP_REMOTE_PORT == 1", WFP_MATCH_EQUAL },
		{ "IP_REMOTE_PORT = 1", WFP_MATCH_EQUAL },
		{ "IP_REMOTE_PORT != 1", WFP_MATCH_NOT_EQUAL },
		{ "IP_REMOTE_PORT < 1", WFP_MATCH_LESS },
		{ "IP_REMOTE_PORT > 1", WFP_MATCH_GREATER },
		{ "IP_REMOTE_PORT <= 1", WFP_MATCH_LESS_OR_EQUAL },
		{ "IP_REMOTE_PORT >= 1", WFP_MATCH_GREATER_OR_EQUAL },
		{ "IP_REMOTE_PORT in 1-2", WFP_MATCH_RANGE },
		{ "FLAGS all-set IS_LOOPBACK", WFP_MATCH_FLAGS_ALL_SET },
		{ "FLAGS any-set 4", WFP_MATCH_FLAGS_ANY_SET },
		{ "FLAGS NONE-SET 0x1", WFP_MATCH_FLAGS_NONE_SET },
		{ "ALE_APP_ID suffix \"x\"", WFP_MATCH_PREFIX },
		{ "ALE_APP_ID prefix \"x\"", WFP_MATCH_PREFIX },
		{ "ALE_APP_ID not-suffix \"x\"", WFP_MATCH_NOT_PREFIX },
		{ "ALE_APP_ID not-prefix \"x\"", WFP_MATCH_NOT_PREFIX },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct wfp_policy *p;

		snprintf(buf, sizeof(buf), "filter \"f\" layer ALE_AUTH_CONNECT_V4 block where %s",
			 t[i].cond);
		p = parse_ok(buf);
		assert_int_equal(one_filter(p)->cond[0].match, t[i].match);
		wfp_policy_free(p);
	}
	/* ~= parses; the engine only allows it on Unicode strings (spec §5.3) */
	assert_int_equal(pol_match_by_op("~=", 2), WFP_MATCH_EQUAL_CASE_INSENSITIVE);
	assert_string_equal(pol_match_op(WFP_MATCH_EQUAL_CASE_INSENSITIVE), "~=");
}

static struct wfp_cond_value cond_of(const char *layer, const char *cond, unsigned idx,
				     struct wfp_policy **keep)
{
	char buf[512];
	struct wfp_policy *p;

	snprintf(buf, sizeof(buf), "filter \"f\" layer %s block where %s", layer, cond);
	p = parse_ok(buf);
	assert_true(one_filter(p)->ncond > idx);
	*keep = p;
	return one_filter(p)->cond[idx].value;
}

static void test_values(void **state)
{
	struct wfp_policy *p;
	struct wfp_cond_value v;

	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_REMOTE_ADDRESS == 10.1.2.3", 0, &p);
	assert_int_equal(v.type, WFP_UINT32);
	assert_int_equal(v.v.u32, 0x0a010203); /* host order, spec §1.4 */
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_REMOTE_ADDRESS == 10.0.0.0/8", 0, &p);
	assert_int_equal(v.type, WFP_V4_ADDR_MASK);
	assert_int_equal(v.v4.mask, 0xff000000);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_REMOTE_ADDRESS != 172.16.0.0/255.240.0.0", 0, &p);
	assert_int_equal(v.v4.addr, 0xac100000);
	assert_int_equal(v.v4.mask, 0xfff00000);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V6", "IP_REMOTE_ADDRESS == fd00::/8", 0, &p);
	assert_int_equal(v.type, WFP_V6_ADDR_MASK);
	assert_int_equal(v.v6.addr[0], 0xfd);
	assert_int_equal(v.v6.prefix_len, 8);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V6", "IP_REMOTE_ADDRESS == ::1", 0, &p);
	assert_int_equal(v.type, WFP_BYTE_ARRAY16);
	assert_int_equal(v.v.a16[15], 1);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_PROTOCOL == icmpv6", 0, &p);
	assert_int_equal(v.v.u8, 58);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "FLAGS all-set is_loopback|FWP_CONDITION_FLAG_IS_REAUTHORIZE|0x100",
		    0, &p);
	assert_int_equal(v.v.u32, 0x105);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "ALE_APP_ID == \"/usr/bin/firefox\"", 0, &p);
	assert_int_equal(v.type, WFP_BYTE_BLOB);
	assert_int_equal(v.v.blob.size, 16); /* UTF-8, no NUL */
	assert_memory_equal(v.v.blob.data, "/usr/bin/firefox", 16);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "ALE_APP_ID == hex:00ff", 0, &p);
	assert_int_equal(v.v.blob.size, 2);
	assert_int_equal(v.v.blob.data[1], 0xff);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "ALE_USER_ID == \"O:LSD:(A;;CC;;;WD)\"", 0, &p);
	assert_int_equal(v.type, WFP_SECURITY_DESCRIPTOR);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "ALE_PACKAGE_ID != S-1-0-0", 0, &p);
	assert_int_equal(v.type, WFP_SID);
	assert_int_equal(v.v.blob.size, 7);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_LOCAL_ADDRESS == empty", 0, &p);
	assert_int_equal(v.type, WFP_EMPTY);
	wfp_policy_free(p);
	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_LOCAL_INTERFACE == 0xffffffffffffffff", 0, &p);
	assert_int_equal(v.type, WFP_UINT64);
	assert_true(v.v.u64 == UINT64_MAX);
	wfp_policy_free(p);
	v = cond_of("DATAGRAM_DATA_V4", "DIRECTION == inbound", 0, &p);
	assert_int_equal(v.v.u32, WFP_DIRECTION_INBOUND);
	wfp_policy_free(p);
}

static void test_ranges_and_lists(void **state)
{
	struct wfp_policy *p;
	struct wfp_cond_value v;
	const struct wfp_filter *f;

	v = cond_of("ALE_AUTH_CONNECT_V4", "IP_REMOTE_ADDRESS in 10.0.0.1 - 10.0.0.9", 0, &p);
	assert_int_equal(v.type, WFP_RANGE);
	assert_int_equal(v.range.low.u32, 0x0a000001);
	assert_int_equal(v.range.high.u32, 0x0a000009);
	wfp_policy_free(p);
	p = parse_ok("filter \"f\" layer ALE_AUTH_CONNECT_V4 block where "
		     "IP_REMOTE_PORT in {22, 80,\n 8000-8080} and IP_PROTOCOL == tcp");
	f = one_filter(p);
	assert_int_equal(f->ncond, 4);
	assert_int_equal(f->cond[0].match, WFP_MATCH_EQUAL);
	assert_int_equal(f->cond[1].value.v.u16, 80);
	assert_int_equal(f->cond[2].match, WFP_MATCH_RANGE);
	assert_int_equal(f->cond[3].field, WFP_FIELD_IP_PROTOCOL);
	wfp_policy_free(p);
	/* or-groups, parenthesised or not, give the same list */
	p = parse_ok("filter \"f\" layer ALE_AUTH_CONNECT_V4 block where "
		     "(IP_REMOTE_PORT == 1 or IP_REMOTE_PORT > 100) and IP_LOCAL_PORT == 2");
	f = one_filter(p);
	assert_int_equal(f->ncond, 3);
	assert_int_equal(f->cond[1].match, WFP_MATCH_GREATER);
	wfp_policy_free(p);
}

static void test_weights_flags_actions(void **state)
{
	struct wfp_policy *p = parse_ok(
		"callout c layer ALE_AUTH_CONNECT_V4 key {aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\n"
		"filter \"a\" layer ALE_AUTH_CONNECT_V4 weight auto permit\n"
		"filter \"b\" layer ALE_AUTH_CONNECT_V4 weight range 15 block persistent indexed\n"
		"filter \"c\" layer ALE_AUTH_CONNECT_V4 weight 18446744073709551615 callout c "
		"permit-if-callout-unregistered\n"
		"filter \"d\" layer ALE_AUTH_CONNECT_V4 callout inspection "
		"{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\n"
		"filter \"e\" layer ALE_AUTH_CONNECT_V4 callout unknown c boottime\n"
		"filter \"f\" layer STREAM_V4 sublayer UNIVERSAL block context 9 flags 0x8\n");
	struct wfp_guid ck;

	assert_int_equal(p->nfilt, 6);
	assert_int_equal(p->filt[0].f.weight.type, WFP_EMPTY);
	assert_int_equal(p->filt[1].f.weight.type, WFP_UINT8);
	assert_int_equal(p->filt[1].f.weight.u8, 15);
	assert_int_equal(p->filt[1].f.flags, WFP_FILTER_F_PERSISTENT | WFP_FILTER_F_INDEXED);
	assert_true(p->filt[2].f.weight.u64 == UINT64_MAX);
	assert_int_equal(p->filt[2].f.action.type, WFP_ACTION_CALLOUT_TERMINATING);
	assert_int_equal(wfp_guid_parse("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", &ck), 0);
	assert_true(wfp_guid_eq(&p->filt[2].f.action.key, &ck));
	assert_int_equal(p->filt[3].f.action.type, WFP_ACTION_CALLOUT_INSPECTION);
	assert_true(wfp_guid_eq(&p->filt[3].f.action.key, &ck));
	assert_int_equal(p->filt[4].f.action.type, WFP_ACTION_CALLOUT_UNKNOWN);
	assert_int_equal(p->filt[4].f.flags, WFP_FILTER_F_BOOTTIME);
	assert_true(wfp_guid_eq(&p->filt[5].f.sublayer_key,
				&wfp_builtin_sublayer_by_name("UNIVERSAL")->key));
	assert_int_equal(p->filt[5].f.raw_context, 9);
	assert_int_equal(p->filt[5].f.flags, WFP_FILTER_F_CLEAR_ACTION_RIGHT);
	wfp_policy_free(p);
}

/* ---- errors ---- */

static void test_error_location(void **state)
{
	struct wfp_policy_error e = parse_err(
		"provider p\n"
		"\tfilter \"x\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 99999\n");

	assert_int_equal(e.line, 2);
	/* columns count bytes: the tab is one */
	assert_int_equal(e.col, 69);
	assert_string_equal(e.file, "t.wfp");
	assert_non_null(strstr(e.msg, "0-65535"));
	assert_string_equal(e.context,
		"\tfilter \"x\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 99999");

	e = parse_err("filter \"x\" layer ALE_AUTH_CONNECT_V4 block where "
		      "IP_REMOTE_PORT == 1 and IP_REMOTE_PORT == 2");
	assert_int_equal(e.code, -WFP_E_DUPLICATE_CONDITION);
	assert_int_equal(e.col, 74);
	e = parse_err("filter \"x\" layer ALE_AUTH_CONNECT_V4 block where "
		      "IP_REMOTE_PORT == 1 or IP_LOCAL_PORT == 2");
	assert_non_null(strstr(e.msg, "different fields"));
	e = parse_err("filter \"x\" layer NOPE block");
	assert_int_equal(e.code, -WFP_E_LAYER_NOT_FOUND);
	e = parse_err("filter \"x\" layer STREAM_V4 block where ALE_APP_ID == \"a\"");
	assert_int_equal(e.code, -WFP_E_CONDITION_NOT_FOUND);
	e = parse_err("filter \"x\" layer ALE_AUTH_CONNECT_V4 block where "
		      "IP_REMOTE_ADDRESS in 10.0.0.9-10.0.0.1");
	assert_int_equal(e.code, -WFP_E_INVALID_RANGE);
	e = parse_err("filter \"x\" layer ALE_AUTH_CONNECT_V4 block where ALE_APP_ID ~= \"a\"");
	assert_int_equal(e.code, -WFP_E_MATCH_TYPE_MISMATCH);
	e = parse_err("filter \"unterminated");
	assert_int_equal(e.line, 1);
	assert_int_equal(e.col, 8);
}

static void test_error_print(void **state)
{
	struct wfp_policy_error e = parse_err("\tfilter \"x\" layer BAD block\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	wfp_policy_error_print(&e, f);
	fclose(f);
	assert_string_equal(buf, "t.wfp:1:19: error: unknown layer 'BAD'\n"
				 "\tfilter \"x\" layer BAD block\n"
				 "\t                 ^\n");
	free(buf);
}

/* Arbitrary bytes never crash the parser and always get a location. */
static void test_garbage(void **state)
{
	static const char seed[] =
		"provider a \"A\"\nsublayer s weight 5 provider a\n"
		"filter \"x\" layer ALE_AUTH_CONNECT_V6 sublayer s block where "
		"IP_REMOTE_ADDRESS in {fd00::/8, ::1-::9} and FLAGS any-set IS_LOOPBACK\n";
	char buf[sizeof(seed)];
	unsigned x = 12345;

	for (int i = 0; i < 3000; i++) {
		struct wfp_policy_error err;
		struct wfp_policy *p = NULL;
		size_t n = sizeof(seed) - 1;

		memcpy(buf, seed, sizeof(seed));
		for (int k = 0; k < 1 + i % 4; k++) {
			x = x * 1103515245 + 12345;
			buf[(x >> 8) % n] = (char)(x >> 20);
		}
		n = (x >> 4) % (n + 1);
		if (wfp_policy_parse(buf, n, "g", WFP_POLICY_FMT_TEXT, &p, &err) == 0)
			wfp_policy_free(p);
		else
			assert_true(err.msg[0] != 0);
	}
}

/* ---- canonical listing ---- */

static char *listing(const struct wfp_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(wfp_policy_write(p, WFP_POLICY_FMT_TEXT, f), 0);
	fclose(f);
	return buf;
}

static void test_print_reparse(void **state)
{
	static const char *const inputs[] = {
		"provider a \"Prov A\" description \"d\\\"q\" persistent service \"s\"\n"
		"sublayer s weight 7 provider a\n"
		"callout c \"Call\" layer STREAM_V4 provider a uses-provider-context\n"
		"filter \"f1\" layer STREAM_V4 sublayer s weight range 3 callout inspection c\n"
		"filter \"f2\" key {01234567-89ab-cdef-0123-456789abcdef} layer ALE_AUTH_CONNECT_V4 "
		"weight 77 permit clear-action-right context 5 where "
		"IP_REMOTE_PORT in {1, 5-9} and IP_PROTOCOL in ipv6-route - 200 and "
		"ALE_APP_ID == \"a\\tb\\x01\" and ALE_ORIGINAL_APP_ID == hex:00\n",
		"filter \"v6\" layer ALE_AUTH_CONNECT_V6 block where IP_REMOTE_ADDRESS in "
		"{::/0, ::1 - ::2} and IP_LOCAL_PORT < 5 or IP_LOCAL_PORT > 6\n",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct wfp_policy *p = parse_ok(inputs[i]), *q;
		char *a = listing(p), *b;

		q = parse_ok(a);
		b = listing(q);
		assert_string_equal(a, b);
		assert_int_equal(p->nfilt, q->nfilt);
		for (size_t j = 0; j < p->nfilt; j++)
			assert_int_equal(p->filt[j].f.ncond, q->filt[j].f.ncond);
		free(a);
		free(b);
		wfp_policy_free(p);
		wfp_policy_free(q);
	}
}

static void test_derived_keys(void **state)
{
	struct wfp_guid a, b, c;
	char s[37];

	pol_derive_key(POL_PROVIDER, "acme", &a);
	pol_derive_key(POL_PROVIDER, "acme", &b);
	pol_derive_key(POL_SUBLAYER, "acme", &c);
	assert_true(wfp_guid_eq(&a, &b));
	assert_false(wfp_guid_eq(&a, &c));
	wfp_guid_format(&a, s);
	assert_int_equal(s[14], '8'); /* version nibble */
}

/* ---- applying ---- */

struct eng {
	struct wfp_engine *e;
	struct wfp_session *s;
};

static void eng_open(struct eng *x)
{
	x->e = wfp_engine_open(NULL);
	assert_non_null(x->e);
	x->s = wfp_session_open(x->e, NULL);
	assert_non_null(x->s);
}

static size_t nfilters(struct eng *x)
{
	struct wfp_filter **a;
	size_t n;

	assert_int_equal(wfp_filter_enum(x->s, NULL, &a, &n), 0);
	wfp_filter_array_free(a, n);
	return n;
}

static const char policy1[] =
	"provider acme \"Acme\"\n"
	"sublayer corp weight 0x7000 provider acme\n"
	"filter \"a\" layer ALE_AUTH_CONNECT_V4 sublayer corp block where IP_REMOTE_PORT == 23\n"
	"filter \"b\" layer ALE_AUTH_CONNECT_V6 sublayer corp permit\n";

static int load(struct eng *x, const char *text, uint32_t flags, struct wfp_policy_error *e)
{
	return wfp_policy_load_string(x->s, text, strlen(text), "t.wfp", flags, e);
}

static void test_apply(void **state)
{
	struct wfp_policy_error err;
	struct eng x;
	struct wfp_sublayer *sl;
	struct wfp_guid k;

	eng_open(&x);
	assert_int_equal(load(&x, policy1, 0, &err), 0);
	assert_int_equal(nfilters(&x), 2);
	pol_derive_key(POL_SUBLAYER, "corp", &k);
	assert_int_equal(wfp_sublayer_get(x.s, &k, &sl), 0);
	assert_int_equal(sl->weight, 0x7000);
	wfp_sublayer_free(sl);
	/* the same objects again: the provider exists, nothing is added */
	assert_int_equal(load(&x, policy1, 0, &err), -WFP_E_ALREADY_EXISTS);
	assert_int_equal(err.line, 1);
	assert_int_equal(nfilters(&x), 2);
	assert_false(wfp_txn_active(x.s));
	/* CHECK_ONLY validates against the engine and changes nothing */
	assert_int_equal(load(&x, "filter \"c\" layer STREAM_V4 block\n",
			      WFP_POLICY_CHECK_ONLY, &err), 0);
	assert_int_equal(nfilters(&x), 2);
	/* REPLACE swaps the whole policy in one transaction */
	assert_int_equal(load(&x, policy1, WFP_POLICY_REPLACE, &err), 0);
	assert_int_equal(nfilters(&x), 2);
	assert_int_equal(load(&x, "filter \"c\" layer STREAM_V4 block\n", WFP_POLICY_REPLACE,
			      &err), 0);
	assert_int_equal(nfilters(&x), 1);
	assert_int_equal(wfp_sublayer_get(x.s, &k, &sl), -WFP_E_SUBLAYER_NOT_FOUND);
	wfp_engine_close(x.e);
}

/* A failure late in the policy leaves nothing of it behind. */
static void test_all_or_nothing(void **state)
{
	struct wfp_policy_error err;
	struct eng x;

	eng_open(&x);
	assert_int_equal(load(&x, "filter \"pre\" layer STREAM_V4 block\n", 0, &err), 0);
	/* a filter in a sublayer from the engine that does not exist */
	assert_int_not_equal(load(&x, "provider p\nfilter \"ok\" layer STREAM_V4 block\n"
				      "filter \"bad\" layer STREAM_V4 sublayer "
				      "{11111111-2222-3333-4444-555555555555} block\n", 0, &err), 0);
	assert_int_equal(err.code, -WFP_E_SUBLAYER_NOT_FOUND);
	assert_int_equal(err.line, 3);
	assert_int_equal(nfilters(&x), 1);
	assert_int_equal(load(&x, "provider p\n", 0, &err), 0); /* p was not left */
	wfp_engine_close(x.e);
}

/* Inside the caller's transaction: join it, and undo only our part. */
static void test_joined_txn(void **state)
{
	struct wfp_policy_error err;
	struct eng x;

	eng_open(&x);
	assert_int_equal(wfp_txn_begin(x.s, 0), 0);
	assert_int_equal(load(&x, "filter \"mine\" layer STREAM_V4 block\n", 0, &err), 0);
	assert_true(wfp_txn_active(x.s));
	assert_int_equal(load(&x, policy1, 0, &err), 0);
	assert_int_equal(nfilters(&x), 3);
	/* failing policy: its own adds are undone, the transaction stays */
	assert_int_not_equal(load(&x, "provider q\nfilter \"x\" layer STREAM_V4 block\n"
				      "provider q\n", 0, &err), 0);
	assert_true(wfp_txn_active(x.s));
	assert_int_equal(nfilters(&x), 3);
	assert_int_equal(load(&x, "filter \"y\" layer STREAM_V4 block\n",
			      WFP_POLICY_CHECK_ONLY, &err), 0);
	assert_int_equal(nfilters(&x), 3);
	assert_int_equal(wfp_txn_abort(x.s), 0);
	assert_int_equal(nfilters(&x), 0);
	wfp_engine_close(x.e);
}

/* Fail the nth allocation for every n: an error, and no change. */
static void test_alloc_failures(void **state)
{
	struct wfp_policy_error err;
	struct eng x;
	int r = -1;

	eng_open(&x);
	for (unsigned long n = 1; r && n < 5000; n++) {
		wfp_fault_inject(n);
		r = load(&x, policy1, 0, &err);
		wfp_fault_inject(0);
		if (r) {
			assert_false(wfp_txn_active(x.s));
			assert_int_equal(nfilters(&x), 0);
		}
	}
	assert_int_equal(r, 0);
	assert_int_equal(nfilters(&x), 2);
	wfp_engine_close(x.e);
}

static void test_snapshot_text(void **state)
{
	struct eng x;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	eng_open(&x);
	assert_int_equal(load(&x, policy1, 0, NULL), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(wfp_policy_write_text(x.s, f), 0);
	fclose(f);
	/* names and keys come back; filters carry id and weight comments */
	assert_non_null(strstr(buf, "provider acme \"Acme\"\n"));
	assert_non_null(strstr(buf, "sublayer corp provider acme weight 0x7000\n"));
	assert_non_null(strstr(buf, "# id "));
	assert_non_null(strstr(buf, "IP_REMOTE_PORT == 23"));
	/* and the listing loads into a fresh engine */
	wfp_engine_close(x.e);
	eng_open(&x);
	assert_int_equal(load(&x, buf, 0, NULL), 0);
	assert_int_equal(nfilters(&x), 2);
	free(buf);
	wfp_engine_close(x.e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_forms),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_ranges_and_lists),
		cmocka_unit_test(test_weights_flags_actions),
		cmocka_unit_test(test_error_location),
		cmocka_unit_test(test_error_print),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_print_reparse),
		cmocka_unit_test(test_derived_keys),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_joined_txn),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_snapshot_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
