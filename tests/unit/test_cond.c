/* SPDX-License-Identifier: MIT */
/*
 * test_cond.c - condition values: wfp_cond_check (every rejection and its
 * order), deep copies, wfp_ccond_test for every match type on every data
 * type it applies to, EMPTY rules, formatting (spec §5.3, §9, §10 item 10;
 * docs/internals/conditions.md).
 *
 * Data types no field carries (INT*, FLOAT, DOUBLE, UNICODE_STRING) are
 * tested by building the compiled condition directly: wfp_ccond_build
 * needs only the field's slot, and the test is type-generic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <wfp/wfp.h>

#include "cond.h"

void wfp_fault_inject(unsigned long n); /* alloc.c */
unsigned long wfp_fault_count(void);

enum {
	L4 = WFP_LAYER_ALE_AUTH_CONNECT_V4,
	L6 = WFP_LAYER_ALE_AUTH_CONNECT_V6,
	LIP4 = WFP_LAYER_INBOUND_IPPACKET_V4,
};

/* ---- value constructors ---- */

#define VAL(t, m, x) ((struct wfp_value){ .type = (t), .m = (x) })
#define U8(x) VAL(WFP_UINT8, u8, (x))
#define U16(x) VAL(WFP_UINT16, u16, (x))
#define U32(x) VAL(WFP_UINT32, u32, (x))
#define U64(x) VAL(WFP_UINT64, u64, (x))
#define I8(x) VAL(WFP_INT8, i8, (x))
#define I16(x) VAL(WFP_INT16, i16, (x))
#define I32(x) VAL(WFP_INT32, i32, (x))
#define I64(x) VAL(WFP_INT64, i64, (x))
#define F32(x) VAL(WFP_FLOAT, f32, (x))
#define F64(x) VAL(WFP_DOUBLE, f64, (x))

static struct wfp_value blobn(unsigned type, const char *s, size_t n)
{
	struct wfp_value v = { .type = (uint16_t)type };

	v.blob.data = (const uint8_t *)s;
	v.blob.size = (uint32_t)n;
	return v;
}

#define BLOB(s) blobn(WFP_BYTE_BLOB, (s), strlen(s))
/* with the NUL terminator, as Windows app ids are */
#define BLOBZ(s) blobn(WFP_BYTE_BLOB, (s), sizeof(s))
#define STR(s) blobn(WFP_UNICODE_STRING, (s), strlen(s))
#define SIDV(s) blobn(WFP_SID, (s), strlen(s))
#define SDV(s) blobn(WFP_SECURITY_DESCRIPTOR, (s), strlen(s))

static const struct wfp_value EMPTYV = { .type = WFP_EMPTY };

static struct wfp_value a16(const char *text)
{
	struct wfp_value v = { .type = WFP_BYTE_ARRAY16 };

	assert_int_equal(inet_pton(AF_INET6, text, v.a16), 1);
	return v;
}

static uint32_t ip4(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return ntohl(a.s_addr); /* host order, spec §1.4 */
}

static struct wfp_cond_value cv(struct wfp_value v)
{
	struct wfp_cond_value c = { .type = v.type };

	c.v = v;
	return c;
}

static struct wfp_cond_value v4m(const char *addr, uint32_t mask)
{
	struct wfp_cond_value c = { .type = WFP_V4_ADDR_MASK };

	c.v4.addr = ip4(addr);
	c.v4.mask = mask;
	return c;
}

static struct wfp_cond_value v6m(const char *addr, unsigned len)
{
	struct wfp_cond_value c = { .type = WFP_V6_ADDR_MASK };
	struct wfp_value a = a16(addr);

	memcpy(c.v6.addr, a.a16, 16);
	c.v6.prefix_len = (uint8_t)len;
	return c;
}

static struct wfp_cond_value range(struct wfp_value lo, struct wfp_value hi)
{
	struct wfp_cond_value c = { .type = WFP_RANGE };

	c.range.low = lo;
	c.range.high = hi;
	return c;
}

/* ---- helpers ---- */

static int check_at(unsigned layer, unsigned field, unsigned match,
		    struct wfp_cond_value c)
{
	struct wfp_filter_cond fc = { .field = (uint16_t)field,
				      .match = (uint16_t)match, .value = c };

	return wfp_cond_check(layer, &fc);
}

/* Build at layer (without checking), test in, tear down. */
static bool test_at(unsigned layer, unsigned field, unsigned match,
		    struct wfp_cond_value c, const struct wfp_value *in)
{
	struct wfp_filter_cond fc = { .field = (uint16_t)field,
				      .match = (uint16_t)match, .value = c };
	struct wfp_ccond cc;
	bool r;

	assert_int_equal(wfp_ccond_build(&cc, layer, &fc), 0);
	assert_int_equal(cc.slot, wfp_layer_field_index(layer, field));
	r = wfp_ccond_test(&cc, in);
	wfp_ccond_fini(&cc);
	return r;
}

/* A field-agnostic test (slot: IP_PROTOCOL at L4). */
static bool t(unsigned match, struct wfp_cond_value c, struct wfp_value in)
{
	return test_at(L4, WFP_FIELD_IP_PROTOCOL, match, c, &in);
}

#define EQ WFP_MATCH_EQUAL
#define NE WFP_MATCH_NOT_EQUAL
#define GT WFP_MATCH_GREATER
#define LT WFP_MATCH_LESS
#define GE WFP_MATCH_GREATER_OR_EQUAL
#define LE WFP_MATCH_LESS_OR_EQUAL
#define RG WFP_MATCH_RANGE

/*
 * Checks all six ordering tests plus RANGE for lo < hi of one type:
 * the comparison must see lo strictly below hi.
 */
static void ordered(struct wfp_value lo, struct wfp_value hi)
{
	assert_true(t(EQ, cv(lo), lo));
	assert_false(t(EQ, cv(lo), hi));
	assert_true(t(NE, cv(lo), hi));
	assert_false(t(NE, cv(hi), hi));
	assert_true(t(GT, cv(lo), hi));
	assert_false(t(GT, cv(hi), lo));
	assert_false(t(GT, cv(lo), lo));
	assert_true(t(LT, cv(hi), lo));
	assert_false(t(LT, cv(lo), hi));
	assert_false(t(LT, cv(lo), lo));
	assert_true(t(GE, cv(lo), lo));
	assert_true(t(GE, cv(lo), hi));
	assert_false(t(GE, cv(hi), lo));
	assert_true(t(LE, cv(hi), hi));
	assert_true(t(LE, cv(hi), lo));
	assert_false(t(LE, cv(lo), hi));
	/* inclusive at both ends */
	assert_true(t(RG, range(lo, hi), lo));
	assert_true(t(RG, range(lo, hi), hi));
	assert_true(t(RG, range(lo, lo), lo));
	assert_false(t(RG, range(lo, lo), hi));
	assert_false(t(RG, range(hi, hi), lo));
}

/* ---- wfp_ccond_test ---- */

static void test_unsigned(void **state)
{
	ordered(U8(0), U8(255));
	ordered(U8(127), U8(128));
	ordered(U16(80), U16(443));
	ordered(U16(0x00FF), U16(0xFF00));
	ordered(U32(0), U32(0xFFFFFFFFu));
	ordered(U32(0x7FFFFFFF), U32(0x80000000u));
	ordered(U64(1), U64(UINT64_MAX));
	/* a bug truncating to 32 bits would see these as equal */
	ordered(U64(0x100000000ull), U64(0x200000000ull));
	assert_false(t(EQ, cv(U64(0x100000001ull)), U64(1)));
	/* ranges, interior and outside */
	assert_true(t(RG, range(U16(80), U16(443)), U16(200)));
	assert_false(t(RG, range(U16(80), U16(443)), U16(79)));
	assert_false(t(RG, range(U16(80), U16(443)), U16(444)));
}

static void test_signed(void **state)
{
	ordered(I8(-128), I8(127));
	ordered(I8(-1), I8(1));
	ordered(I16(-300), I16(-299));
	ordered(I32(INT32_MIN), I32(0));
	ordered(I32(-1), I32(1));
	ordered(I64(INT64_MIN), I64(INT64_MAX));
	ordered(I64(-2), I64(-1));
	assert_true(t(RG, range(I32(-10), I32(10)), I32(-10)));
	assert_true(t(RG, range(I32(-10), I32(10)), I32(0)));
	assert_false(t(RG, range(I32(-10), I32(10)), I32(-11)));
	assert_false(t(RG, range(I32(-10), I32(10)), I32(11)));
}

static void test_float(void **state)
{
	ordered(F32(-0.5f), F32(0.25f));
	ordered(F64(-1e300), F64(1e-300));
	assert_true(t(EQ, cv(F64(0.0)), F64(-0.0)));
	/* NaN: unordered, unequal */
	assert_false(t(EQ, cv(F64(1.0)), F64(__builtin_nan(""))));
	assert_false(t(GT, cv(F64(1.0)), F64(__builtin_nan(""))));
	assert_false(t(LE, cv(F64(1.0)), F64(__builtin_nan(""))));
	assert_false(t(RG, range(F64(-1), F64(1)), F64(__builtin_nan(""))));
}

static void test_byte_array16(void **state)
{
	/* big-endian: byte 0 dominates */
	ordered(a16("::1"), a16("::2"));
	ordered(a16("::ffff"), a16("1::"));
	ordered(a16("fd00::ffff"), a16("fe80::"));
	ordered(a16("::"), a16("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(t(RG, range(a16("fd00::"), a16("fd00::ff")), a16("fd00::80")));
	assert_false(t(RG, range(a16("fd00::"), a16("fd00::ff")), a16("fd00::100")));
}

static void test_blob_order(void **state)
{
	ordered(BLOB("abc"), BLOB("abd"));
	ordered(BLOB("ab"), BLOB("abc"));  /* prefix sorts first */
	ordered(BLOB(""), BLOB("a"));
	ordered(BLOB("Z"), BLOB("a"));     /* bytes, not collation */
	ordered(blobn(WFP_BYTE_BLOB, "a\0", 2), blobn(WFP_BYTE_BLOB, "a\x01", 2));
	ordered(STR("apple"), STR("banana"));
	/* memcmp is unsigned: 0x80 > 0x7f */
	ordered(BLOB("\x7f"), BLOB("\x80"));
	assert_true(t(RG, range(BLOB("b"), BLOB("d")), BLOB("c")));
	assert_true(t(RG, range(BLOB("b"), BLOB("d")), BLOB("d")));
	assert_false(t(RG, range(BLOB("b"), BLOB("d")), BLOB("da")));
}

static void test_flags(void **state)
{
	const unsigned ALL = WFP_MATCH_FLAGS_ALL_SET, ANY = WFP_MATCH_FLAGS_ANY_SET,
		       NONE = WFP_MATCH_FLAGS_NONE_SET;

	assert_true(t(ALL, cv(U32(0x4)), U32(0x5)));
	assert_true(t(ALL, cv(U32(0x5)), U32(0x5)));
	assert_false(t(ALL, cv(U32(0x6)), U32(0x5)));
	assert_true(t(ANY, cv(U32(0x6)), U32(0x5)));
	assert_false(t(ANY, cv(U32(0x2)), U32(0x5)));
	assert_true(t(NONE, cv(U32(0x2)), U32(0x5)));
	assert_false(t(NONE, cv(U32(0x6)), U32(0x5)));
	/* empty mask: ALL and NONE trivially true, ANY false */
	assert_true(t(ALL, cv(U32(0)), U32(0x5)));
	assert_true(t(NONE, cv(U32(0)), U32(0x5)));
	assert_false(t(ANY, cv(U32(0)), U32(0xFFFFFFFF)));
	/* every unsigned width, top bits */
	assert_true(t(ALL, cv(U8(0x80)), U8(0x81)));
	assert_true(t(ANY, cv(U16(0x8000)), U16(0xFFFF)));
	assert_true(t(ANY, cv(U64(1ull << 63)), U64(1ull << 63)));
	assert_false(t(ANY, cv(U64(1ull << 63)), U64(1ull << 31)));
	assert_true(t(NONE, cv(U64(1ull << 40)), U64(1ull << 8)));
}

/* spec §10 item 10, verbatim */
static void test_v4_mask(void **state)
{
	struct wfp_cond_value ten = { .type = WFP_V4_ADDR_MASK,
				      .v4 = { .addr = 0x0A000000, .mask = 0xFF000000 } };
	const unsigned F = WFP_FIELD_IP_REMOTE_ADDRESS;
	struct wfp_value a = U32(0x0A010203), b = U32(0x0B000001);

	assert_int_equal(check_at(L4, F, EQ, ten), 0);
	assert_true(test_at(L4, F, EQ, ten, &a));
	assert_false(test_at(L4, F, EQ, ten, &b));
	assert_false(test_at(L4, F, NE, ten, &a));
	assert_true(test_at(L4, F, NE, ten, &b));
	/* /0 matches all, /32 exactly one */
	a = U32(ip4("203.0.113.9"));
	assert_true(test_at(L4, F, EQ, v4m("0.0.0.0", 0), &a));
	assert_true(test_at(L4, F, EQ, v4m("203.0.113.9", 0xFFFFFFFF), &a));
	b = U32(ip4("203.0.113.8"));
	assert_false(test_at(L4, F, EQ, v4m("203.0.113.9", 0xFFFFFFFF), &b));
	/* host bits in the condition address are ignored */
	assert_true(test_at(L4, F, EQ, v4m("10.9.9.9", 0xFF000000), &(struct wfp_value){
		.type = WFP_UINT32, .u32 = ip4("10.200.0.1") }));
	/* /25 boundary */
	a = U32(ip4("192.168.1.127"));
	b = U32(ip4("192.168.1.128"));
	assert_true(test_at(L4, F, EQ, v4m("192.168.1.0", 0xFFFFFF80), &a));
	assert_false(test_at(L4, F, EQ, v4m("192.168.1.0", 0xFFFFFF80), &b));
	/* a v6 address never lies in a v4 subnet */
	a = a16("::a01:203");
	assert_false(test_at(L4, F, EQ, ten, &a));
	assert_false(test_at(L4, F, NE, ten, &a));
}

static void test_v6_mask(void **state)
{
	const unsigned F = WFP_FIELD_IP_REMOTE_ADDRESS;
	struct wfp_value a = a16("2001:db8:1:2:3:4:5:6");
	struct wfp_value b = a16("2001:db8:1:3::");

	assert_true(test_at(L6, F, EQ, v6m("::", 0), &a));
	assert_true(test_at(L6, F, EQ, v6m("2001:db8:1:2:3:4:5:6", 128), &a));
	assert_false(test_at(L6, F, EQ, v6m("2001:db8:1:2:3:4:5:7", 128), &a));
	assert_true(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 64), &a));
	assert_false(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 64), &b));
	assert_true(test_at(L6, F, NE, v6m("2001:db8:1:2::", 64), &b));
	/* /63 contains both ...:2 and ...:3; a bit-level prefix */
	assert_true(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 63), &b));
	assert_false(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 65), &b));
	b = a16("2001:db8:1:2:7fff::");
	assert_true(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 65), &b));
	b = a16("2001:db8:1:2:8000::");
	assert_false(test_at(L6, F, EQ, v6m("2001:db8:1:2::", 65), &b));
	assert_true(test_at(L6, F, EQ, v6m("fe80::", 10), &(struct wfp_value){
		.type = WFP_BYTE_ARRAY16, .a16 = { 0xfe, 0xbf } }));
	assert_false(test_at(L6, F, EQ, v6m("fe80::", 10), &(struct wfp_value){
		.type = WFP_BYTE_ARRAY16, .a16 = { 0xfe, 0xc0 } }));
}

/* spec §9: only EQUAL-to-EMPTY and NOT_EQUAL can be true on EMPTY */
static void test_empty(void **state)
{
	struct wfp_cond_value e = { .type = WFP_EMPTY };
	static const unsigned all[] = {
		EQ, GT, LT, GE, LE, RG, WFP_MATCH_FLAGS_ALL_SET,
		WFP_MATCH_FLAGS_ANY_SET, WFP_MATCH_FLAGS_NONE_SET,
		WFP_MATCH_EQUAL_CASE_INSENSITIVE, NE, WFP_MATCH_PREFIX,
		WFP_MATCH_NOT_PREFIX,
	};
	struct wfp_cond_value conds[] = {
		cv(U32(0)), cv(U16(5)), range(U16(0), U16(65535)), v4m("0.0.0.0", 0),
		cv(BLOB("")), cv(STR("x")), cv(SIDV("S-1-0-0")),
	};

	assert_true(t(EQ, e, EMPTYV));
	assert_true(test_at(L4, WFP_FIELD_IP_PROTOCOL, EQ, e, NULL));
	assert_false(t(NE, e, EMPTYV));
	assert_false(t(EQ, e, U8(0)));
	assert_true(t(NE, e, U8(0)));
	for (size_t k = 0; k < sizeof(conds) / sizeof(conds[0]); k++) {
		for (size_t m = 0; m < sizeof(all) / sizeof(all[0]); m++) {
			bool want = all[m] == NE;

			assert_int_equal(t(all[m], conds[k], EMPTYV), want);
			assert_int_equal(test_at(L4, WFP_FIELD_IP_PROTOCOL, all[m],
						 conds[k], NULL), want);
		}
	}
	/* even a range or mask covering everything does not match EMPTY */
	assert_false(t(RG, range(U32(0), U32(UINT32_MAX)), EMPTYV));
	assert_false(t(EQ, v4m("0.0.0.0", 0), EMPTYV));
}

static void test_case_insensitive(void **state)
{
	const unsigned CI = WFP_MATCH_EQUAL_CASE_INSENSITIVE;

	assert_true(t(CI, cv(STR("HeLLo World")), STR("hello world")));
	assert_true(t(CI, cv(STR("abc")), STR("ABC")));
	assert_false(t(CI, cv(STR("abc")), STR("abd")));
	assert_false(t(CI, cv(STR("abc")), STR("abcd")));
	assert_true(t(CI, cv(STR("")), STR("")));
	/* ASCII folding only: '@' (0x40) and '`' (0x60) are not letters */
	assert_false(t(CI, cv(STR("@")), STR("`")));
	assert_false(t(CI, cv(STR("[")), STR("{")));
	/* non-ASCII UTF-8 compares bytewise: Ö (C3 96) vs ö (C3 B6) */
	assert_false(t(CI, cv(STR("H\xc3\x96")), STR("h\xc3\xb6")));
	assert_true(t(CI, cv(STR("H\xc3\xb6")), STR("h\xc3\xb6")));
	/* a NUL-terminated string equals its unterminated form */
	assert_true(t(CI, cv(blobn(WFP_UNICODE_STRING, "ABC", 4)), STR("abc")));
	/* and plain EQUAL stays case-sensitive */
	assert_false(t(EQ, cv(STR("abc")), STR("ABC")));
}

/* PREFIX is a suffix test (spec §5.3 "misnamed", §10 item 10) */
static void test_prefix_is_suffix(void **state)
{
	const unsigned F = WFP_FIELD_ALE_APP_ID, P = WFP_MATCH_PREFIX,
		       NP = WFP_MATCH_NOT_PREFIX;
	struct wfp_value app = BLOB("/usr/bin/curl");
	struct wfp_value appz = BLOBZ("/usr/bin/curl");
	struct wfp_value other = BLOB("/usr/bin/curl2");

	assert_int_equal(check_at(L4, F, P, cv(BLOB("/curl"))), 0);
	assert_true(test_at(L4, F, P, cv(BLOB("/curl")), &app));
	assert_true(test_at(L4, F, P, cv(BLOB("curl")), &app));
	assert_true(test_at(L4, F, P, cv(BLOB("/usr/bin/curl")), &app));
	assert_true(test_at(L4, F, P, cv(BLOB("")), &app));
	assert_false(test_at(L4, F, P, cv(BLOB("/usr")), &app)); /* a real prefix */
	assert_false(test_at(L4, F, P, cv(BLOB("/curl")), &other));
	assert_false(test_at(L4, F, P, cv(BLOB("x/usr/bin/curl")), &app));
	/* trailing NUL on either side or both */
	assert_true(test_at(L4, F, P, cv(BLOB("curl")), &appz));
	assert_true(test_at(L4, F, P, cv(BLOBZ("bin/curl")), &app));
	assert_true(test_at(L4, F, P, cv(BLOBZ("bin/curl")), &appz));
	assert_false(test_at(L4, F, P, cv(BLOBZ("curl2")), &appz));
	/* NOT_PREFIX: does not end with */
	assert_false(test_at(L4, F, NP, cv(BLOB("/curl")), &app));
	assert_true(test_at(L4, F, NP, cv(BLOB("/curl")), &other));
	assert_false(test_at(L4, F, NP, cv(BLOBZ("curl")), &app));
	assert_true(test_at(L4, F, NP, cv(BLOB("/usr")), &app));
	/* strings, too */
	assert_true(t(P, cv(STR(".exe")), STR("c:\\app.exe")));
	assert_false(t(P, cv(STR(".EXE")), STR("c:\\app.exe")));
	/* app ids: EQUAL ignores the NUL terminator as well */
	assert_true(test_at(L4, F, EQ, cv(BLOBZ("/usr/bin/curl")), &app));
	assert_true(test_at(L4, F, EQ, cv(BLOB("/usr/bin/curl")), &appz));
	assert_false(test_at(L4, F, NE, cv(BLOB("/usr/bin/curl")), &appz));
	/* other blobs compare exactly */
	app = BLOB("peer");
	appz = BLOBZ("peer");
	assert_false(test_at(L4, WFP_FIELD_PEER_NAME, EQ, cv(BLOB("peer")), &appz));
	assert_true(test_at(L4, WFP_FIELD_PEER_NAME, EQ, cv(BLOB("peer")), &app));
}

static void test_sid(void **state)
{
	const unsigned F = WFP_FIELD_ALE_PACKAGE_ID;
	struct wfp_value null_sid = SIDV("S-1-0-0");
	struct wfp_value pkg = SIDV("S-1-15-2-1-2-3");
	struct wfp_value lower = SIDV("s-1-0-0");

	/* Windows' own rule: PACKAGE_ID != S-1-0-0 selects packaged apps */
	assert_int_equal(check_at(L4, F, NE, cv(SIDV("S-1-0-0"))), 0);
	assert_false(test_at(L4, F, NE, cv(SIDV("S-1-0-0")), &null_sid));
	assert_true(test_at(L4, F, NE, cv(SIDV("S-1-0-0")), &pkg));
	assert_true(test_at(L4, F, EQ, cv(SIDV("S-1-0-0")), &null_sid));
	assert_true(test_at(L4, F, EQ, cv(SIDV("S-1-0-0")), &lower));
	/* the condition is canonicalised when compiled */
	assert_true(test_at(L4, F, EQ, cv(SIDV("s-1-0-00")), &null_sid));
	assert_true(test_at(L4, F, EQ, cv(SIDV("S-1-15-2-01-2-3")), &pkg));
	assert_false(test_at(L4, F, EQ, cv(SIDV("S-1-15-2-1-2")), &pkg));
	assert_false(test_at(L4, F, EQ, cv(SIDV("S-1-15-2-1-2-30")), &pkg));
}

static void test_sd(void **state)
{
	const unsigned F = WFP_FIELD_ALE_USER_ID;
	const uint32_t gids[] = { 100 };
	struct wfp_token alice = { .uid = 1000, .ngids = 1, .gids = gids };
	struct wfp_token bob = { .uid = 1001 };
	struct wfp_value va = { .type = WFP_TOKEN_ACCESS_INFORMATION, .token = &alice };
	struct wfp_value vb = { .type = WFP_TOKEN_INFORMATION, .token = &bob };
	struct wfp_value none = { .type = WFP_TOKEN_INFORMATION, .token = NULL };
	struct wfp_cond_value sd = cv(SDV("D:(A;;CC;;;S-1-22-2-100)"));

	assert_int_equal(check_at(L4, F, EQ, sd), 0);
	assert_int_equal(check_at(L4, F, NE, sd), 0);
	assert_true(test_at(L4, F, EQ, sd, &va));
	assert_false(test_at(L4, F, EQ, sd, &vb));
	/* NOT_EQUAL on an SD: access denied */
	assert_false(test_at(L4, F, NE, sd, &va));
	assert_true(test_at(L4, F, NE, sd, &vb));
	/* no token, or not a token: neither */
	assert_false(test_at(L4, F, EQ, sd, &none));
	assert_false(test_at(L4, F, NE, sd, &none));
	vb = U32(1001);
	assert_false(test_at(L4, F, EQ, sd, &vb));
	assert_false(test_at(L4, F, NE, sd, &vb));
	/* the same on the remote-user and remote-machine fields */
	assert_true(test_at(L4, WFP_FIELD_ALE_REMOTE_USER_ID, EQ, sd, &va));
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_REMOTE_MACHINE_ID, EQ, sd), 0);
}

static void test_bitmap(void **state)
{
	const unsigned F = WFP_FIELD_BITMAP_IP_REMOTE_PORT;
	struct wfp_value bits = { .type = WFP_BITMAP_ARRAY64, .u64 = 1ull << 5 | 1ull << 63 };
	struct wfp_cond_value i5 = { .type = WFP_BITMAP_INDEX, .v = { .u8 = 5 } };
	struct wfp_cond_value i6 = { .type = WFP_BITMAP_INDEX, .v = { .u8 = 6 } };
	struct wfp_cond_value i63 = { .type = WFP_BITMAP_INDEX, .v = { .u8 = 63 } };
	struct wfp_cond_value i64 = { .type = WFP_BITMAP_INDEX, .v = { .u8 = 64 } };

	assert_int_equal(check_at(L4, F, EQ, i5), 0);
	assert_true(test_at(L4, F, EQ, i5, &bits));
	assert_true(test_at(L4, F, EQ, i63, &bits));
	assert_false(test_at(L4, F, EQ, i6, &bits));
	assert_true(test_at(L4, F, NE, i6, &bits));
	assert_int_equal(check_at(L4, F, EQ, i64), -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, F, GT, i5), -WFP_E_MATCH_TYPE_MISMATCH);
	/* a whole bitmap compares for equality */
	assert_int_equal(check_at(L4, F, EQ, cv(bits)), 0);
	assert_true(test_at(L4, F, EQ, cv(bits), &bits));
	assert_false(test_at(L4, F, NE, cv(bits), &bits));
	assert_int_equal(check_at(L4, F, GT, cv(bits)), -WFP_E_MATCH_TYPE_MISMATCH);
	/* an index on a non-bitmap field */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_PROTOCOL, EQ, i5), -WFP_E_TYPE_MISMATCH);
}

/* An incoming value of another type than the condition never matches. */
static void test_wrong_incoming_type(void **state)
{
	static const unsigned all[] = {
		EQ, GT, LT, GE, LE, NE, WFP_MATCH_FLAGS_ALL_SET,
		WFP_MATCH_FLAGS_ANY_SET, WFP_MATCH_FLAGS_NONE_SET,
	};

	for (size_t m = 0; m < sizeof(all) / sizeof(all[0]); m++) {
		assert_false(t(all[m], cv(U32(1)), U16(1)));
		assert_false(t(all[m], cv(U16(1)), U32(1)));
		assert_false(t(all[m], cv(U64(1)), I64(1)));
	}
	assert_false(t(RG, range(U32(0), U32(9)), U16(1)));
	assert_false(t(WFP_MATCH_PREFIX, cv(BLOB("a")), STR("a")));
	assert_false(t(WFP_MATCH_NOT_PREFIX, cv(BLOB("a")), STR("b")));
	assert_false(t(WFP_MATCH_EQUAL_CASE_INSENSITIVE, cv(STR("a")), BLOB("a")));
	assert_false(t(EQ, cv(SIDV("S-1-0-0")), BLOB("S-1-0-0")));
	assert_false(t(NE, cv(a16("::1")), U32(1)));
	/* a token condition (never accepted by the check) matches nothing */
	{
		struct wfp_token tk = { .uid = 1 };
		struct wfp_value tv = { .type = WFP_TOKEN_INFORMATION, .token = &tk };

		assert_false(t(EQ, cv(tv), tv));
		assert_false(t(NE, cv(tv), tv));
		assert_false(t(GT, cv(tv), tv));
	}
}

static void test_byte_array6(void **state)
{
	struct wfp_value m1 = { .type = WFP_BYTE_ARRAY6,
				.a6 = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 } };
	struct wfp_value m2 = { .type = WFP_BYTE_ARRAY6,
				.a6 = { 0, 0x11, 0x22, 0x33, 0x44, 0x56 } };

	assert_true(t(EQ, cv(m1), m1));
	assert_false(t(EQ, cv(m1), m2));
	assert_true(t(NE, cv(m1), m2));
}

/* ---- wfp_cond_check ---- */

static void test_check_accepts(void **state)
{
	struct wfp_cond_value e = { .type = WFP_EMPTY };

	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ, cv(U16(443))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG,
				  range(U16(1024), U16(65535))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG,
				  range(U16(80), U16(80))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, RG,
				  range(U32(1), U32(2))), 0);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, RG,
				  range(a16("::1"), a16("::2"))), 0);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_LOCAL_ADDRESS, EQ, v6m("fd00::", 8)), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_LOCAL_ADDRESS, EQ,
				  v4m("0.0.0.0", 0)), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_LOCAL_ADDRESS, EQ,
				  v4m("1.2.3.4", 0xFFFFFFFF)), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_FLAGS, WFP_MATCH_FLAGS_ALL_SET,
				  cv(U32(WFP_CONDITION_FLAG_IS_LOOPBACK))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_PROTOCOL, NE, cv(U8(6))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, GT, cv(BLOB("a"))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, EQ,
				  cv(blobn(WFP_BYTE_BLOB, NULL, 0))), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_LOCAL_ADDRESS, EQ, e), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_LOCAL_ADDRESS, NE, e), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_LOCAL_INTERFACE, LE, cv(U64(9))), 0);
	/* the value's own type need not be repeated in v.type */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ,
				  (struct wfp_cond_value){ .type = WFP_UINT16,
							   .v = { .u16 = 80 } }), 0);
}

static void test_check_rejects(void **state)
{
	struct wfp_filter_cond fc = { .field = WFP_FIELD_IP_PROTOCOL, .match = EQ,
				      .value = cv(U8(6)) };
	struct wfp_cond_value e = { .type = WFP_EMPTY };
	struct wfp_cond_value bad_type = { .type = 0x55 };
	struct wfp_cond_value tok = { .type = WFP_TOKEN_INFORMATION };

	assert_int_equal(wfp_cond_check(L4, NULL), -WFP_E_NULL_POINTER);
	assert_int_equal(wfp_cond_check(WFP_LAYER_MAX, &fc), -WFP_E_LAYER_NOT_FOUND);
	assert_int_equal(wfp_cond_check(9999, &fc), -WFP_E_LAYER_NOT_FOUND);
	/* CONDITION_NOT_FOUND: field not at layer, field out of range */
	assert_int_equal(check_at(LIP4, WFP_FIELD_IP_REMOTE_PORT, EQ, cv(U16(80))),
			 -WFP_E_CONDITION_NOT_FOUND);
	assert_int_equal(check_at(L4, WFP_FIELD_MAX, EQ, cv(U16(80))),
			 -WFP_E_CONDITION_NOT_FOUND);
	assert_int_equal(check_at(L4, 0xFFFF, EQ, cv(U16(80))),
			 -WFP_E_CONDITION_NOT_FOUND);
	/* INVALID_ENUMERATOR */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_MAX, cv(U16(80))),
			 -WFP_E_INVALID_ENUMERATOR);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ, bad_type),
			 -WFP_E_INVALID_ENUMERATOR);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ,
				  (struct wfp_cond_value){ .type = WFP_SINGLE_DATA_TYPE_MAX }),
			 -WFP_E_INVALID_ENUMERATOR);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ,
				  (struct wfp_cond_value){ .type = WFP_DATA_TYPE_MAX }),
			 -WFP_E_INVALID_ENUMERATOR);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG,
				  range(U16(1), (struct wfp_value){ .type = 0x99 })),
			 -WFP_E_INVALID_ENUMERATOR);
	/* TYPE_MISMATCH: a UINT16 condition on a UINT32 field (§10 item 10) */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, cv(U16(1))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ, cv(U32(80))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_PROTOCOL, EQ, cv(I8(6))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ, v4m("1.0.0.0", 0xFF000000)),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_FLAGS, EQ, v4m("1.0.0.0", 0xFF000000)),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v4m("1.0.0.0", 0xFF000000)),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v6m("fd00::", 8)),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, cv(a16("::1"))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, EQ, cv(SDV("D:"))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ, cv(SIDV("S-1-5-18"))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ, tok),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ, cv(BLOB("x"))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, range(U32(1), U32(2))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, range(U16(1), U32(2))),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, range(EMPTYV, EMPTYV)),
			 -WFP_E_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, EQ, cv(STR("x"))),
			 -WFP_E_TYPE_MISMATCH);
	/* MATCH_TYPE_MISMATCH */
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, WFP_MATCH_FLAGS_ANY_SET,
				  cv(BLOB("curl"))), -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID,
				  WFP_MATCH_EQUAL_CASE_INSENSITIVE, cv(BLOB("curl"))),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_PREFIX,
				  cv(U16(80))), -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, GT, cv(SIDV("S-1-0-0"))),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, LE, cv(SDV("D:"))),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, GT,
				  v4m("10.0.0.0", 0xFF000000)), -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, EQ,
				  range(U16(1), U16(2))), -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, cv(U16(1))),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, GT, e),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, e),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	/* INVALID_NET_MASK */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ,
				  v4m("10.0.0.0", 0xFF00FF00)), -WFP_E_INVALID_NET_MASK);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ,
				  v4m("10.0.0.0", 0x00FFFFFF)), -WFP_E_INVALID_NET_MASK);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ,
				  v4m("10.0.0.0", 0xFFFFFFFE)), 0);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, EQ,
				  v4m("10.0.0.0", 0x7FFFFFFF)), -WFP_E_INVALID_NET_MASK);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v6m("::", 129)),
			 -WFP_E_INVALID_NET_MASK);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v6m("::", 255)),
			 -WFP_E_INVALID_NET_MASK);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v6m("::1", 128)), 0);
	/* INVALID_PARAMETER */
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, EQ,
				  cv(blobn(WFP_BYTE_BLOB, NULL, 3))), -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, EQ, cv(SIDV("S-1-"))),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, EQ, cv(SIDV("WD"))),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, EQ, cv(SIDV(""))),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ, cv(SDV("D:(A;;CC;;;ZZ)"))),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ, cv(SDV(""))),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_USER_ID, EQ,
				  cv(blobn(WFP_SECURITY_DESCRIPTOR, NULL, 9))),
			 -WFP_E_INVALID_PARAMETER);
	/* INVALID_RANGE */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG,
				  range(U16(443), U16(80))), -WFP_E_INVALID_RANGE);
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, RG,
				  range(U32(ip4("10.0.0.2")), U32(ip4("10.0.0.1")))),
			 -WFP_E_INVALID_RANGE);
	assert_int_equal(check_at(L6, WFP_FIELD_IP_REMOTE_ADDRESS, RG,
				  range(a16("fe80::"), a16("fd00::"))), -WFP_E_INVALID_RANGE);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, RG,
				  range(BLOB("b"), BLOB("a"))), -WFP_E_INVALID_RANGE);
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, RG,
				  range(BLOB("ab"), BLOB("a"))), -WFP_E_INVALID_RANGE);
}

/* With several faults, the first in the documented order wins. */
static void test_check_order(void **state)
{
	struct wfp_cond_value bad_type = { .type = 0x55 };

	/* 3 before 4: field missing and bad match type */
	assert_int_equal(check_at(LIP4, WFP_FIELD_IP_REMOTE_PORT, 77, bad_type),
			 -WFP_E_CONDITION_NOT_FOUND);
	/* 4 before 5: bad match enumerator and wrong type */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, 77, cv(U32(1))),
			 -WFP_E_INVALID_ENUMERATOR);
	/* 5 before 6: wrong type and unsupported match */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_PREFIX,
				  v4m("1.0.0.0", 0xFF00FF00)), -WFP_E_TYPE_MISMATCH);
	/* 6 before 7: unsupported match and a bad mask */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_ADDRESS, GT,
				  v4m("1.0.0.0", 0xFF00FF00)), -WFP_E_MATCH_TYPE_MISMATCH);
	/* 6 before 8: unsupported match and a bad SID */
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_PACKAGE_ID, GT, cv(SIDV("bad"))),
			 -WFP_E_MATCH_TYPE_MISMATCH);
	/* 8 before 9: unreadable high end and high < low */
	assert_int_equal(check_at(L4, WFP_FIELD_ALE_APP_ID, RG,
				  range(BLOB("z"), blobn(WFP_BYTE_BLOB, NULL, 4))),
			 -WFP_E_INVALID_PARAMETER);
	/* 5 before 9 */
	assert_int_equal(check_at(L4, WFP_FIELD_IP_REMOTE_PORT, RG, range(U32(9), U32(1))),
			 -WFP_E_TYPE_MISMATCH);
}

/* ---- copies ---- */

static void test_dup(void **state)
{
	char lo[] = "aaa", hi[] = "zzz";
	struct wfp_cond_value src = range(blobn(WFP_BYTE_BLOB, lo, 3),
					  blobn(WFP_BYTE_BLOB, hi, 3));
	struct wfp_cond_value d;
	struct wfp_value in = BLOB("mmm");
	uint32_t gids[] = { 1, 2 };
	struct wfp_token tk = { .uid = 7, .ngids = 2, .gids = gids };
	struct wfp_cond_value tv = { .type = WFP_TOKEN_INFORMATION, .v = { .token = &tk } };

	assert_int_equal(wfp_cond_value_dup(&d, &src), 0);
	assert_ptr_not_equal(d.range.low.blob.data, lo);
	assert_ptr_not_equal(d.range.high.blob.data, hi);
	lo[0] = 'x';
	hi[0] = 'b';
	assert_memory_equal(d.range.low.blob.data, "aaa", 3);
	assert_memory_equal(d.range.high.blob.data, "zzz", 3);
	wfp_cond_value_fini(&d);
	assert_int_equal(d.type, WFP_EMPTY);
	wfp_cond_value_fini(&d); /* idempotent */
	wfp_cond_value_fini(NULL);

	/* a compiled condition owns its value */
	lo[0] = 'a';
	hi[0] = 'z';
	{
		struct wfp_filter_cond fc = { .field = WFP_FIELD_ALE_APP_ID,
					      .match = RG, .value = src };
		struct wfp_ccond cc;

		assert_int_equal(wfp_ccond_build(&cc, L4, &fc), 0);
		lo[0] = 'x';
		assert_true(wfp_ccond_test(&cc, &in));
		wfp_ccond_fini(&cc);
	}
	/* tokens deep-copy with their gids */
	assert_int_equal(wfp_cond_value_dup(&d, &tv), 0);
	assert_ptr_not_equal(d.v.token, &tk);
	gids[1] = 99;
	assert_int_equal(d.v.token->uid, 7);
	assert_int_equal(d.v.token->ngids, 2);
	assert_int_equal(d.v.token->gids[1], 2);
	wfp_cond_value_fini(&d);
	/* scalars, masks and empty blobs */
	src = v6m("fd00::1", 64);
	assert_int_equal(wfp_cond_value_dup(&d, &src), 0);
	assert_memory_equal(&d.v6, &src.v6, sizeof(src.v6));
	wfp_cond_value_fini(&d);
	src = cv(blobn(WFP_BYTE_BLOB, NULL, 0));
	assert_int_equal(wfp_cond_value_dup(&d, &src), 0);
	assert_null(d.v.blob.data);
	wfp_cond_value_fini(&d);
}

/* Fail each allocation in turn: a clean -WFP_E_NOMEM, then success
 * (ASan/valgrind check that nothing leaks on the way). */
static void test_nomem(void **state)
{
	struct wfp_filter_cond fcs[] = {
		{ WFP_FIELD_ALE_USER_ID, EQ, cv(SDV("O:SYD:(A;;CC;;;WD)")) },
		{ WFP_FIELD_ALE_PACKAGE_ID, NE, cv(SIDV("s-1-0-0")) },
		{ WFP_FIELD_ALE_APP_ID, RG, range(BLOB("a"), BLOB("b")) },
	};

	for (size_t k = 0; k < sizeof(fcs) / sizeof(fcs[0]); k++) {
		struct wfp_ccond cc;
		unsigned long n;
		int ret = -WFP_E_NOMEM;

		for (n = 1; ret == -WFP_E_NOMEM && n < 20; n++) {
			wfp_fault_inject(n);
			ret = wfp_ccond_build(&cc, L4, &fcs[k]);
			wfp_fault_inject(0);
			if (ret == -WFP_E_NOMEM) {
				assert_null(cc.sd);
				assert_int_equal(cc.val.type, WFP_EMPTY);
			}
		}
		assert_int_equal(ret, 0);
		assert_true(n > 2); /* at least one failure was injected */
		wfp_ccond_fini(&cc);
	}
}

/* The hot path and the formatter never allocate (counted by alloc.c). */
static void test_no_alloc(void **state)
{
	const uint32_t gids[] = { 0 };
	struct wfp_token tk = { .uid = 0, .ngids = 1, .gids = gids };
	struct wfp_filter_cond fcs[] = {
		{ WFP_FIELD_ALE_USER_ID, EQ, cv(SDV("D:(D;;CC;;;AN)(A;;CC;;;BA)")) },
		{ WFP_FIELD_ALE_PACKAGE_ID, NE, cv(SIDV("S-1-0-0")) },
		{ WFP_FIELD_ALE_APP_ID, WFP_MATCH_PREFIX, cv(BLOBZ("curl")) },
		{ WFP_FIELD_IP_REMOTE_ADDRESS, EQ, v4m("10.0.0.0", 0xFF000000) },
		{ WFP_FIELD_IP_REMOTE_PORT, RG, range(U16(1), U16(1023)) },
	};
	struct wfp_value in[] = {
		{ .type = WFP_TOKEN_ACCESS_INFORMATION, .token = &tk },
		SIDV("S-1-15-2-9"), BLOB("/usr/bin/curl"), U32(0x0A000001), U16(22),
	};
	struct wfp_ccond cc[5];
	char buf[64];

	for (size_t k = 0; k < 5; k++)
		assert_int_equal(wfp_ccond_build(&cc[k], L4, &fcs[k]), 0);
	wfp_fault_inject(0); /* resets the count */
	for (size_t k = 0; k < 5; k++) {
		assert_true(wfp_ccond_test(&cc[k], &in[k]));
		assert_int_equal(wfp_ccond_test(&cc[k], NULL), fcs[k].match == NE);
		wfp_value_format(&in[k], buf, sizeof(buf));
		wfp_cond_value_format(&cc[k].val, buf, sizeof(buf));
	}
	assert_int_equal(wfp_fault_count(), 0);
	for (size_t k = 0; k < 5; k++)
		wfp_ccond_fini(&cc[k]);
}

/* ---- formatting ---- */

static const char *fmt(const struct wfp_value *v)
{
	static char buf[256];

	return wfp_value_format(v, buf, sizeof(buf));
}

static const char *fmt_field(struct wfp_value v, unsigned field)
{
	static char buf[256];

	return wfp_value_format_field(&v, field, buf, sizeof(buf));
}

static const char *cfmt(struct wfp_cond_value c, unsigned field)
{
	static char buf[256];

	return wfp_cond_value_format_field(&c, field, buf, sizeof(buf));
}

static void test_format(void **state)
{
	struct wfp_value v;
	struct wfp_token tk = { .uid = 1000 };
	char small[8];

	v = U32(0x0A010203);
	assert_string_equal(fmt(&v), "167838211"); /* not necessarily an address */
	assert_string_equal(fmt_field(v, WFP_FIELD_IP_REMOTE_ADDRESS), "10.1.2.3");
	assert_string_equal(fmt_field(v, WFP_FIELD_EMBEDDED_REMOTE_ADDRESS), "10.1.2.3");
	assert_string_equal(fmt_field(U32(4), WFP_FIELD_FLAGS), "0x00000004");
	assert_string_equal(fmt_field(U32(4), WFP_FIELD_IP_PROTOCOL), "4");
	assert_string_equal(fmt_field(U16(80), WFP_FIELD_IP_LOCAL_PORT), "80");
	assert_string_equal(fmt_field(U8(6), WFP_FIELD_MAX), "6");
	assert_string_equal(fmt_field(U64(UINT64_MAX), WFP_FIELD_MAX), "18446744073709551615");
	assert_string_equal(fmt_field(I8(-5), WFP_FIELD_MAX), "-5");
	assert_string_equal(fmt_field(I64(INT64_MIN), WFP_FIELD_MAX), "-9223372036854775808");
	assert_string_equal(fmt_field(F64(0.5), WFP_FIELD_MAX), "0.5");
	assert_string_equal(fmt_field(a16("fd00::1"), WFP_FIELD_MAX), "fd00::1");
	assert_string_equal(fmt_field(BLOB("/usr/bin/curl"), WFP_FIELD_MAX),
			    "\"/usr/bin/curl\"");
	assert_string_equal(fmt_field(BLOBZ("a\"b\\c\n\x01"), WFP_FIELD_MAX),
			    "\"a\\\"b\\\\c\\n\\x01\\x00\"");
	/* valid UTF-8 as is, invalid bytes escaped */
	assert_string_equal(fmt_field(STR("jos\xc3\xa9"), WFP_FIELD_MAX), "\"jos\xc3\xa9\"");
	assert_string_equal(fmt_field(STR("\xc3\x28\xff\xed\xa0\x80"), WFP_FIELD_MAX),
			    "\"\\xc3(\\xff\\xed\\xa0\\x80\"");
	assert_string_equal(fmt_field(SIDV("S-1-5-18"), WFP_FIELD_MAX), "S-1-5-18");
	assert_string_equal(fmt_field(SDV("O:SYD:(A;;CC;;;WD)"), WFP_FIELD_MAX),
			    "O:SYD:(A;;CC;;;WD)");
	assert_string_equal(fmt(&EMPTYV), "empty");
	assert_string_equal(fmt(NULL), "empty");
	v = (struct wfp_value){ .type = WFP_TOKEN_INFORMATION, .token = &tk };
	assert_string_equal(fmt(&v), "token(uid=1000)");
	v = (struct wfp_value){ .type = WFP_BYTE_ARRAY6, .a6 = { 0, 0x1b, 0x21, 0xa, 0xb, 0xff } };
	assert_string_equal(fmt(&v), "00:1b:21:0a:0b:ff");

	assert_string_equal(cfmt(v4m("10.0.0.0", 0xFF000000), WFP_FIELD_MAX), "10.0.0.0/8");
	assert_string_equal(cfmt(v4m("0.0.0.0", 0), WFP_FIELD_MAX), "0.0.0.0/0");
	assert_string_equal(cfmt(v4m("1.2.3.4", 0xFFFFFFFF), WFP_FIELD_MAX), "1.2.3.4/32");
	assert_string_equal(cfmt(v4m("1.2.3.4", 0xFF00FF00), WFP_FIELD_MAX),
			    "1.2.3.4/255.0.255.0");
	assert_string_equal(cfmt(v6m("fd00::", 64), WFP_FIELD_MAX), "fd00::/64");
	assert_string_equal(cfmt(range(U16(80), U16(443)), WFP_FIELD_IP_LOCAL_PORT), "80-443");
	assert_string_equal(cfmt(range(U32(ip4("10.0.0.1")), U32(ip4("10.0.0.9"))),
				 WFP_FIELD_IP_REMOTE_ADDRESS), "10.0.0.1-10.0.0.9");
	assert_string_equal(cfmt(cv(U32(ip4("10.0.0.1"))), WFP_FIELD_IP_REMOTE_ADDRESS),
			    "10.0.0.1");
	assert_string_equal(cfmt((struct wfp_cond_value){ .type = WFP_UINT16,
							  .v = { .u16 = 53 } }, WFP_FIELD_MAX),
			    "53");
	assert_string_equal(cfmt((struct wfp_cond_value){ .type = WFP_EMPTY }, WFP_FIELD_MAX),
			    "empty");
	assert_string_equal(wfp_cond_value_format(NULL, small, sizeof(small)), "empty");

	/* truncation is safe and terminated */
	v = BLOB("/usr/bin/curl");
	assert_string_equal(wfp_value_format(&v, small, 4), "\"/u");
	assert_string_equal(wfp_value_format(&v, small, 1), "");
	assert_ptr_equal(wfp_value_format(&v, small, 0), small);
	assert_string_equal(wfp_cond_value_format(&(struct wfp_cond_value){
		.type = WFP_RANGE, .range = { U64(1000000), U64(2000000) } }, small,
		sizeof(small)), "1000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_byte_array16),
		cmocka_unit_test(test_blob_order),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_v4_mask),
		cmocka_unit_test(test_v6_mask),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_prefix_is_suffix),
		cmocka_unit_test(test_sid),
		cmocka_unit_test(test_sd),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_wrong_incoming_type),
		cmocka_unit_test(test_byte_array6),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_check_order),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_no_alloc),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
