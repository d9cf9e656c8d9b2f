/* SPDX-License-Identifier: MIT */
/*
 * cond.c - condition values: validation when a filter is added, deep
 * copies, the test of one compiled condition against one incoming value,
 * and human-readable formatting (spec §5.1-§5.5, §9;
 * docs/internals/conditions.md).
 *
 * wfp_cond_check() runs its checks in one fixed order, so that a
 * condition with several faults always reports the same error:
 *
 *	1. NULL condition			-WFP_E_NULL_POINTER
 *	2. layer id out of range		-WFP_E_LAYER_NOT_FOUND
 *	3. field not indicated at the layer	-WFP_E_CONDITION_NOT_FOUND
 *	4. match type or data type (or a range
 *	   end's type) not an enumerator	-WFP_E_INVALID_ENUMERATOR
 *	5. value type vs the field's type	-WFP_E_TYPE_MISMATCH
 *	6. match type vs the value type		-WFP_E_MATCH_TYPE_MISMATCH
 *	7. non-contiguous v4 mask, v6 prefix
 *	   longer than 128			-WFP_E_INVALID_NET_MASK
 *	8. NULL blob data, bad SID or SDDL,
 *	   NaN, bitmap index > 63		-WFP_E_INVALID_PARAMETER
 *	9. range with high < low		-WFP_E_INVALID_RANGE
 *
 * Step 8 precedes step 9 because ordering a range needs readable ends.
 *
 * wfp_ccond_test() is on the classify hot path: no allocation, no lock,
 * no logging; every byte it reads was validated when the filter was
 * added, and a malformed incoming value simply does not match.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <wfp/wfp.h>

#include "alloc.h"
#include "cond.h"

enum {
	ACTRL_MATCH_FILTER = 0x1, /* FWP_ACTRL_MATCH_FILTER, spec §5.8 */
	BITMAP_BITS = 64,
};

/* ---- data type classes (spec §5.3) ---- */

/* One bit per data type: single types by number, the three
 * condition-only types after them. */
static uint32_t tbit(unsigned t)
{
	if (t <= WFP_BITMAP_ARRAY64)
		return 1u << t;
	if (t >= WFP_V4_ADDR_MASK && t <= WFP_RANGE)
		return 1u << (WFP_BITMAP_ARRAY64 + 1 + t - WFP_V4_ADDR_MASK);
	return 0;
}

#define T(x) (1u << (x))
#define T_UINT (T(WFP_UINT8) | T(WFP_UINT16) | T(WFP_UINT32) | T(WFP_UINT64))
#define T_SINT (T(WFP_INT8) | T(WFP_INT16) | T(WFP_INT32) | T(WFP_INT64))
/* "sortable" of spec §5.3, plus FLOAT/DOUBLE (no field carries them) */
#define T_SORT (T_UINT | T_SINT | T(WFP_FLOAT) | T(WFP_DOUBLE) | \
		T(WFP_BYTE_ARRAY16) | T(WFP_BYTE_BLOB) | T(WFP_UNICODE_STRING))
#define T_V4 T(WFP_BITMAP_ARRAY64 + 1)
#define T_V6 T(WFP_BITMAP_ARRAY64 + 2)
#define T_RANGE T(WFP_BITMAP_ARRAY64 + 3)
/* equality makes sense for these too (SID: PACKAGE_ID != S-1-0-0) */
#define T_EQ (T_SORT | T(WFP_EMPTY) | T(WFP_SID) | T(WFP_SECURITY_DESCRIPTOR) | \
	      T(WFP_BYTE_ARRAY6) | T(WFP_BITMAP_INDEX) | T(WFP_BITMAP_ARRAY64) | \
	      T_V4 | T_V6)
#define T_STR (T(WFP_BYTE_BLOB) | T(WFP_UNICODE_STRING))

/* Which condition value types each match type accepts (spec §5.3). */
static const uint32_t match_accepts[WFP_MATCH_MAX] = {
	[WFP_MATCH_EQUAL] = T_EQ,
	[WFP_MATCH_GREATER] = T_SORT,
	[WFP_MATCH_LESS] = T_SORT,
	[WFP_MATCH_GREATER_OR_EQUAL] = T_SORT,
	[WFP_MATCH_LESS_OR_EQUAL] = T_SORT,
	[WFP_MATCH_RANGE] = T_RANGE,
	[WFP_MATCH_FLAGS_ALL_SET] = T_UINT,
	[WFP_MATCH_FLAGS_ANY_SET] = T_UINT,
	[WFP_MATCH_FLAGS_NONE_SET] = T_UINT,
	[WFP_MATCH_EQUAL_CASE_INSENSITIVE] = T(WFP_UNICODE_STRING),
	[WFP_MATCH_NOT_EQUAL] = T_EQ,
	[WFP_MATCH_PREFIX] = T_STR,
	[WFP_MATCH_NOT_PREFIX] = T_STR,
};

static bool is_a(unsigned type, uint32_t set)
{
	return (tbit(type) & set) != 0;
}

/* Types whose payload is a blob (owned by a deep copy). */
static bool has_blob(unsigned t)
{
	return t == WFP_BYTE_BLOB || t == WFP_SID ||
	       t == WFP_SECURITY_DESCRIPTOR || t == WFP_UNICODE_STRING;
}

static bool is_token(unsigned t)
{
	return t == WFP_TOKEN_INFORMATION || t == WFP_TOKEN_ACCESS_INFORMATION;
}

static bool addr_field(unsigned f)
{
	return f == WFP_FIELD_IP_LOCAL_ADDRESS || f == WFP_FIELD_IP_REMOTE_ADDRESS ||
	       f == WFP_FIELD_IP_SOURCE_ADDRESS ||
	       f == WFP_FIELD_IP_DESTINATION_ADDRESS ||
	       f == WFP_FIELD_EMBEDDED_REMOTE_ADDRESS;
}

/* The fields whose incoming value is a token, tested against an SD. */
static bool token_field(unsigned f)
{
	return f == WFP_FIELD_ALE_USER_ID || f == WFP_FIELD_ALE_REMOTE_USER_ID ||
	       f == WFP_FIELD_ALE_REMOTE_MACHINE_ID;
}

static bool appid_field(unsigned f)
{
	return f == WFP_FIELD_ALE_APP_ID || f == WFP_FIELD_ALE_ORIGINAL_APP_ID;
}

static bool flags_field(unsigned f)
{
	return f == WFP_FIELD_FLAGS || f == WFP_FIELD_REAUTHORIZE_REASON;
}

/* ---- comparisons (hot path) ---- */

static uint64_t as_u64(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_UINT8:
		return v->u8;
	case WFP_UINT16:
		return v->u16;
	case WFP_UINT32:
		return v->u32;
	default:
		return v->u64;
	}
}

static int64_t as_i64(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_INT8:
		return v->i8;
	case WFP_INT16:
		return v->i16;
	case WFP_INT32:
		return v->i32;
	default:
		return v->i64;
	}
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* Lexicographic: the common prefix by memcmp, then the shorter first. */
static int cmp_blob(struct wfp_blob a, struct wfp_blob b)
{
	uint32_t n = a.size < b.size ? a.size : b.size;
	int r = n ? memcmp(a.data, b.data, n) : 0;

	return r ? (r > 0) - (r < 0) : CMP(a.size, b.size);
}

/*
 * String-like values ignore trailing NULs: Windows app ids and
 * FWP_UNICODE_STRINGs are NUL-terminated, libwfp's are not
 * (docs/internals/conditions.md, "App ids").
 */
static struct wfp_blob strip_nul(struct wfp_blob b)
{
	while (b.size && b.data[b.size - 1] == '\0')
		b.size--;
	return b;
}

static bool strips_nul(const struct wfp_ccond *cc)
{
	return cc->val.type == WFP_UNICODE_STRING || appid_field(cc->field) ||
	       cc->match == WFP_MATCH_PREFIX || cc->match == WFP_MATCH_NOT_PREFIX;
}

/*
 * cmp - order two values of one sortable type: <0, 0, >0.
 * @cc: the condition whose NUL rule applies to blobs, or NULL (exact)
 *
 * One switch, integers first: this is the common case of the hot path.
 * Floats compare numerically; callers keep NaNs away (check_payload
 * rejects them in conditions, the tests treat an incoming NaN as
 * unordered and unequal).
 */
static int cmp(const struct wfp_value *a, const struct wfp_value *b,
	       const struct wfp_ccond *cc)
{
	switch (a->type) {
	case WFP_UINT8:
		return CMP(a->u8, b->u8);
	case WFP_UINT16:
		return CMP(a->u16, b->u16);
	case WFP_UINT32:
		return CMP(a->u32, b->u32);
	case WFP_UINT64:
		return CMP(a->u64, b->u64);
	case WFP_INT8:
		return CMP(a->i8, b->i8);
	case WFP_INT16:
		return CMP(a->i16, b->i16);
	case WFP_INT32:
		return CMP(a->i32, b->i32);
	case WFP_INT64:
		return CMP(a->i64, b->i64);
	case WFP_FLOAT:
		return CMP(a->f32, b->f32);
	case WFP_DOUBLE:
		return CMP(a->f64, b->f64);
	case WFP_BYTE_ARRAY16:
		/* big-endian 16-byte string: IPv6 order (spec §5.3) */
		return CMP(memcmp(a->a16, b->a16, 16), 0);
	default:
		if (cc && strips_nul(cc))
			return cmp_blob(strip_nul(a->blob), strip_nul(b->blob));
		return cmp_blob(a->blob, b->blob);
	}
}

static uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* ASCII-only case folding: locale-independent; other bytes exact. */
static bool eq_nocase(struct wfp_blob a, struct wfp_blob b)
{
	if (a.size != b.size)
		return false;
	for (uint32_t k = 0; k < a.size; k++)
		if (fold(a.data[k]) != fold(b.data[k]))
			return false;
	return true;
}

/* Does v end with c?  (WFP's "PREFIX", spec §5.3) */
static bool ends_with(struct wfp_blob v, struct wfp_blob c)
{
	v = strip_nul(v);
	c = strip_nul(c);
	return c.size <= v.size &&
	       (!c.size || !memcmp(v.data + v.size - c.size, c.data, c.size));
}

/* SIDs compare as canonical text; only the leading 'S' may differ in
 * case (ccond_build canonicalises the condition's SID). */
static bool eq_sid(struct wfp_blob a, struct wfp_blob b)
{
	return a.size == b.size && a.size &&
	       fold(a.data[0]) == fold(b.data[0]) &&
	       !memcmp(a.data + 1, b.data + 1, a.size - 1);
}

static bool in_v6_prefix(const uint8_t v[16], const struct wfp_v6_addr_mask *m)
{
	unsigned bytes = m->prefix_len / 8, bits = m->prefix_len % 8;
	uint8_t mask;

	if (memcmp(v, m->addr, bytes))
		return false;
	if (!bits)
		return true;
	mask = (uint8_t)(0xFF << (8 - bits));
	return ((v[bytes] ^ m->addr[bytes]) & mask) == 0;
}

/*
 * EQUAL of a non-empty incoming value against a non-empty condition:
 * 1 match, 0 no match, -1 incomparable (the incoming value has the
 * wrong type - then neither EQUAL nor NOT_EQUAL holds).
 */
static int test_eq(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	const struct wfp_cond_value *c = &cc->val;

	switch (c->type) {
	case WFP_V4_ADDR_MASK:
		if (v->type != WFP_UINT32)
			return -1;
		return ((v->u32 ^ c->v4.addr) & c->v4.mask) == 0;
	case WFP_V6_ADDR_MASK:
		if (v->type != WFP_BYTE_ARRAY16)
			return -1;
		return in_v6_prefix(v->a16, &c->v6);
	case WFP_SECURITY_DESCRIPTOR:
		if (!is_token(v->type) || !v->token || !cc->sd)
			return -1;
		return wfp_sd_access_check(cc->sd, v->token, ACTRL_MATCH_FILTER);
	case WFP_BITMAP_INDEX:
		if (v->type != WFP_BITMAP_ARRAY64)
			return -1;
		return c->v.u8 < BITMAP_BITS && ((v->u64 >> c->v.u8) & 1);
	default:
		break;
	}
	if (v->type != c->type)
		return -1;
	switch (c->type) {
	case WFP_SID:
		return eq_sid(v->blob, c->v.blob);
	case WFP_BYTE_ARRAY6:
		return !memcmp(v->a6, c->v.a6, 6);
	case WFP_FLOAT:
		return v->f32 == c->v.f32;
	case WFP_DOUBLE:
		return v->f64 == c->v.f64;
	case WFP_BITMAP_ARRAY64:
		return v->u64 == c->v.u64;
	default:
		if (!is_a(c->type, T_SORT))
			return -1; /* e.g. a token: never a condition */
		return cmp(v, &c->v, cc) == 0;
	}
}

static bool is_nan(const struct wfp_value *v)
{
	return (v->type == WFP_FLOAT && v->f32 != v->f32) ||
	       (v->type == WFP_DOUBLE && v->f64 != v->f64);
}

/* An EMPTY (or absent) incoming value: spec §9 */
static bool test_empty(unsigned match, unsigned ctype)
{
	if (match == WFP_MATCH_EQUAL)
		return ctype == WFP_EMPTY;
	if (match == WFP_MATCH_NOT_EQUAL)
		return ctype != WFP_EMPTY;
	return false;
}

static bool test_order(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	int r;

	if (v->type != cc->val.type || !is_a(v->type, T_SORT))
		return false;
	if (is_nan(v))
		return false; /* unordered: every ordered test is false */
	r = cmp(v, &cc->val.v, cc);
	switch (cc->match) {
	case WFP_MATCH_GREATER:
		return r > 0;
	case WFP_MATCH_LESS:
		return r < 0;
	case WFP_MATCH_GREATER_OR_EQUAL:
		return r >= 0;
	default:
		return r <= 0;
	}
}

static bool test_range(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	const struct wfp_range *rg = &cc->val.range;

	if (cc->val.type != WFP_RANGE || v->type != rg->low.type ||
	    v->type != rg->high.type || !is_a(v->type, T_SORT) || is_nan(v))
		return false;
	/* inclusive at both ends (spec §5.1) */
	return cmp(v, &rg->low, cc) >= 0 && cmp(v, &rg->high, cc) <= 0;
}

static bool test_flags(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	uint64_t x, m;

	if (v->type != cc->val.type || !is_a(v->type, T_UINT))
		return false;
	x = as_u64(v);
	m = as_u64(&cc->val.v);
	switch (cc->match) {
	case WFP_MATCH_FLAGS_ALL_SET:
		return (x & m) == m;
	case WFP_MATCH_FLAGS_ANY_SET:
		return (x & m) != 0;
	default:
		return (x & m) == 0;
	}
}

static bool test_str(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	if (v->type != cc->val.type || !is_a(v->type, T_STR))
		return false;
	switch (cc->match) {
	case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
		return eq_nocase(strip_nul(v->blob), strip_nul(cc->val.v.blob));
	case WFP_MATCH_PREFIX:
		return ends_with(v->blob, cc->val.v.blob);
	default:
		return !ends_with(v->blob, cc->val.v.blob);
	}
}

/*
 * The common case first (STYLE §9.4): EQUAL of a port, protocol or v4
 * address against a same-typed incoming value, by direct comparison.
 */
static int fast_eq(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	switch (cc->val.type) {
	case WFP_UINT8:
		return v->u8 == cc->val.v.u8;
	case WFP_UINT16:
		return v->u16 == cc->val.v.u16;
	case WFP_UINT32:
		return v->u32 == cc->val.v.u32;
	default:
		return -1;
	}
}

/*
 * pre: cc was built from a checked condition; v, when not NULL, is a
 * well-formed value (blob data readable for blob.size bytes).
 */
bool wfp_ccond_test(const struct wfp_ccond *cc, const struct wfp_value *v)
{
	int r;

	if (v && v->type == cc->val.type && cc->match == WFP_MATCH_EQUAL) {
		r = fast_eq(cc, v);
		if (r >= 0)
			return r;
	}
	if (!v || v->type == WFP_EMPTY)
		return test_empty(cc->match, cc->val.type);
	if (cc->val.type == WFP_EMPTY)
		return cc->match == WFP_MATCH_NOT_EQUAL;
	switch (cc->match) {
	case WFP_MATCH_EQUAL:
		return test_eq(cc, v) == 1;
	case WFP_MATCH_NOT_EQUAL:
		return test_eq(cc, v) == 0;
	case WFP_MATCH_GREATER:
	case WFP_MATCH_LESS:
	case WFP_MATCH_GREATER_OR_EQUAL:
	case WFP_MATCH_LESS_OR_EQUAL:
		return test_order(cc, v);
	case WFP_MATCH_RANGE:
		return test_range(cc, v);
	case WFP_MATCH_FLAGS_ALL_SET:
	case WFP_MATCH_FLAGS_ANY_SET:
	case WFP_MATCH_FLAGS_NONE_SET:
		return test_flags(cc, v);
	case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
	case WFP_MATCH_PREFIX:
	case WFP_MATCH_NOT_PREFIX:
		return test_str(cc, v);
	default:
		return false;
	}
}

/* ---- validation (spec §5.3, §5.4) ---- */

static bool known_type(unsigned t)
{
	return tbit(t) != 0;
}

/* Step 4: every enumerator in range. */
static bool enums_ok(const struct wfp_filter_cond *c)
{
	const struct wfp_cond_value *cv = &c->value;

	if (c->match >= WFP_MATCH_MAX || !known_type(cv->type))
		return false;
	if (cv->type == WFP_RANGE)
		return known_type(cv->range.low.type) &&
		       known_type(cv->range.high.type);
	return true;
}

/* Step 5: "no implicit conversion" and its documented exceptions. */
static bool type_fits(unsigned field, int ftype, const struct wfp_cond_value *cv)
{
	switch (cv->type) {
	case WFP_EMPTY:
		return true; /* EQUAL/NOT_EQUAL only: step 6 */
	case WFP_V4_ADDR_MASK:
		return addr_field(field) && ftype == WFP_UINT32;
	case WFP_V6_ADDR_MASK:
		return addr_field(field) && ftype == WFP_BYTE_ARRAY16;
	case WFP_SECURITY_DESCRIPTOR:
		return token_field(field) || ftype == WFP_SECURITY_DESCRIPTOR;
	case WFP_RANGE:
		return cv->range.low.type == ftype && cv->range.high.type == ftype;
	case WFP_BITMAP_INDEX:
		return ftype == WFP_BITMAP_ARRAY64;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION:
		return false; /* tokens are incoming values, never conditions */
	default:
		return cv->type == ftype && !token_field(field);
	}
}

/* Step 6 */
static bool match_fits(unsigned match, const struct wfp_cond_value *cv)
{
	if (!is_a(cv->type, match_accepts[match]))
		return false;
	if (cv->type == WFP_RANGE)
		return is_a(cv->range.low.type, T_SORT);
	return true;
}

/* Step 7 */
static int check_mask(const struct wfp_cond_value *cv)
{
	uint32_t inv;

	if (cv->type == WFP_V4_ADDR_MASK) {
		/* ones from the top: ~mask is 0...01...1 */
		inv = ~cv->v4.mask;
		if (inv & (inv + 1))
			return -WFP_E_INVALID_NET_MASK;
	}
	if (cv->type == WFP_V6_ADDR_MASK && cv->v6.prefix_len > 128)
		return -WFP_E_INVALID_NET_MASK;
	return 0;
}

/* Step 8, for one value */
static int check_value(const struct wfp_value *v)
{
	struct wfp_sid sid;

	if (has_blob(v->type) && !v->blob.data && v->blob.size)
		return -WFP_E_INVALID_PARAMETER;
	switch (v->type) {
	case WFP_SID:
		return wfp_sid_parse(v->blob.data, v->blob.size, &sid);
	case WFP_SECURITY_DESCRIPTOR:
		/* out == NULL: validates without allocating */
		return wfp_sd_parse(v->blob.data, v->blob.size, NULL);
	case WFP_FLOAT:
		return v->f32 != v->f32 ? -WFP_E_INVALID_PARAMETER : 0;
	case WFP_DOUBLE:
		return v->f64 != v->f64 ? -WFP_E_INVALID_PARAMETER : 0;
	case WFP_BITMAP_INDEX:
		return v->u8 < BITMAP_BITS ? 0 : -WFP_E_INVALID_PARAMETER;
	default:
		return 0;
	}
}

/*
 * The outer type of a condition value is the one that counts; callers
 * need not repeat it in v.type.  A copy of v carrying the outer type.
 */
static struct wfp_value single(const struct wfp_cond_value *cv)
{
	struct wfp_value v = cv->v;

	v.type = cv->type;
	return v;
}

static int check_payload(const struct wfp_cond_value *cv)
{
	struct wfp_value v;
	int ret;

	if (cv->type == WFP_RANGE) {
		ret = check_value(&cv->range.low);
		return ret ? ret : check_value(&cv->range.high);
	}
	if (cv->type >= WFP_SINGLE_DATA_TYPE_MAX)
		return 0;
	v = single(cv);
	return check_value(&v);
}

int wfp_cond_check(unsigned layer, const struct wfp_filter_cond *c)
{
	int ftype, ret;

	if (!c)
		return -WFP_E_NULL_POINTER;
	if (!wfp_layer_name(layer))
		return -WFP_E_LAYER_NOT_FOUND;
	if (c->field >= WFP_FIELD_MAX || wfp_layer_field_index(layer, c->field) < 0)
		return -WFP_E_CONDITION_NOT_FOUND;
	ftype = wfp_field_type(c->field, layer);
	if (ftype < 0)
		return -WFP_E_CONDITION_NOT_FOUND;
	if (!enums_ok(c))
		return -WFP_E_INVALID_ENUMERATOR;
	if (!type_fits(c->field, ftype, &c->value))
		return -WFP_E_TYPE_MISMATCH;
	if (!match_fits(c->match, &c->value))
		return -WFP_E_MATCH_TYPE_MISMATCH;
	ret = check_mask(&c->value);
	if (!ret)
		ret = check_payload(&c->value);
	if (!ret && c->value.type == WFP_RANGE &&
	    cmp(&c->value.range.high, &c->value.range.low, NULL) < 0)
		ret = -WFP_E_INVALID_RANGE;
	return ret;
}

/* ---- deep copies ---- */

static void value_fini(struct wfp_value *v)
{
	if (has_blob(v->type))
		wfp_free((void *)v->blob.data);
	else if (is_token(v->type))
		wfp_free((void *)v->token);
	memset(v, 0, sizeof(*v));
}

/* The token and its gids in one allocation. */
static int token_dup(struct wfp_value *dst, const struct wfp_token *t)
{
	struct wfp_token *n;
	uint32_t *g;

	if (!t)
		return 0;
	if (t->ngids && !t->gids)
		return -WFP_E_INVALID_PARAMETER;
	n = wfp_malloc(sizeof(*n) + (size_t)t->ngids * sizeof(uint32_t));
	if (!n)
		return -WFP_E_NOMEM;
	g = (uint32_t *)(n + 1);
	if (t->ngids)
		memcpy(g, t->gids, (size_t)t->ngids * sizeof(uint32_t));
	n->uid = t->uid;
	n->ngids = t->ngids;
	n->gids = t->ngids ? g : NULL;
	dst->token = n;
	return 0;
}

static int value_dup(struct wfp_value *dst, const struct wfp_value *src)
{
	*dst = *src;
	if (is_token(src->type)) {
		dst->token = NULL;
		return token_dup(dst, src->token);
	}
	if (!has_blob(src->type))
		return 0;
	dst->blob.data = NULL;
	if (!src->blob.size)
		return 0;
	if (!src->blob.data)
		return -WFP_E_INVALID_PARAMETER;
	dst->blob.data = wfp_memdup(src->blob.data, src->blob.size);
	return dst->blob.data ? 0 : -WFP_E_NOMEM;
}

int wfp_cond_value_dup(struct wfp_cond_value *dst, const struct wfp_cond_value *src)
{
	struct wfp_value v;
	int ret;

	memset(dst, 0, sizeof(*dst));
	dst->type = src->type;
	switch (src->type) {
	case WFP_V4_ADDR_MASK:
		dst->v4 = src->v4;
		return 0;
	case WFP_V6_ADDR_MASK:
		dst->v6 = src->v6;
		return 0;
	case WFP_RANGE:
		ret = value_dup(&dst->range.low, &src->range.low);
		if (!ret)
			ret = value_dup(&dst->range.high, &src->range.high);
		break;
	default:
		if (src->type >= WFP_SINGLE_DATA_TYPE_MAX)
			return -WFP_E_INVALID_ENUMERATOR;
		v = single(src);
		ret = value_dup(&dst->v, &v);
		break;
	}
	if (ret)
		wfp_cond_value_fini(dst);
	return ret;
}

void wfp_cond_value_fini(struct wfp_cond_value *v)
{
	if (!v)
		return;
	if (v->type == WFP_RANGE) {
		value_fini(&v->range.low);
		value_fini(&v->range.high);
	} else if (v->type < WFP_SINGLE_DATA_TYPE_MAX) {
		v->v.type = v->type;
		value_fini(&v->v);
	}
	memset(v, 0, sizeof(*v));
}

/* ---- compiled conditions ---- */

/* Rewrites the condition's SID in canonical text ("s-1-5-018" ->
 * "S-1-5-18") so that the hot path compares bytes. */
static int canon_sid(struct wfp_value *v)
{
	char buf[WFP_SID_TEXT_MAX];
	struct wfp_sid sid;
	uint8_t *text;
	int n;

	if (wfp_sid_parse(v->blob.data, v->blob.size, &sid))
		return -WFP_E_INVALID_PARAMETER;
	n = wfp_sid_format(&sid, buf, sizeof(buf));
	if (n < 0)
		return n;
	text = wfp_memdup(buf, (size_t)n);
	if (!text)
		return -WFP_E_NOMEM;
	wfp_free((void *)v->blob.data);
	v->blob.data = text;
	v->blob.size = (uint32_t)n;
	return 0;
}

int wfp_ccond_build(struct wfp_ccond *cc, unsigned layer,
		    const struct wfp_filter_cond *c)
{
	int slot = wfp_layer_field_index(layer, c->field);
	int ret;

	memset(cc, 0, sizeof(*cc));
	if (slot < 0)
		return -WFP_E_CONDITION_NOT_FOUND;
	cc->slot = (uint16_t)slot;
	cc->field = c->field;
	cc->match = c->match;
	ret = wfp_cond_value_dup(&cc->val, &c->value);
	if (ret)
		return ret;
	if (cc->val.type == WFP_SID)
		ret = canon_sid(&cc->val.v);
	else if (cc->val.type == WFP_SECURITY_DESCRIPTOR)
		ret = wfp_sd_parse(cc->val.v.blob.data, cc->val.v.blob.size, &cc->sd);
	if (ret)
		wfp_ccond_fini(cc);
	return ret;
}

void wfp_ccond_fini(struct wfp_ccond *cc)
{
	if (!cc)
		return;
	wfp_sd_free(cc->sd);
	cc->sd = NULL;
	wfp_cond_value_fini(&cc->val);
}

/* ---- formatting ---- */

struct out {
	char *buf;
	size_t len, n; /* n: bytes wanted so far (may exceed len) */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(o->n < o->len ? o->buf + o->n : NULL,
		      o->n < o->len ? o->len - o->n : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += (size_t)r;
}

/* Length of a valid UTF-8 multi-byte sequence at s (RFC 3629), else 0. */
static size_t utf8_len(const uint8_t *s, size_t left)
{
	size_t n;
	uint8_t lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0; /* overlong */
	else if (s[0] == 0xED)
		hi = 0x9F; /* surrogates */
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return n;
}

/* Text with C-style escapes: printable ASCII and valid UTF-8 as is. */
static void put_text(struct out *o, struct wfp_blob b, bool quoted)
{
	size_t k = 0, u;
	uint8_t c;

	if (quoted)
		put(o, "\"");
	while (k < b.size) {
		c = b.data[k];
		u = c >= 0x80 ? utf8_len(b.data + k, b.size - k) : 0;
		if (u) {
			put(o, "%.*s", (int)u, (const char *)b.data + k);
			k += u;
			continue;
		}
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c == '\r')
			put(o, "\\r");
		else if (c >= 0x20 && c < 0x7F)
			put(o, "%c", c);
		else
			put(o, "\\x%02x", c);
		k++;
	}
	if (quoted)
		put(o, "\"");
}

static void put_v4(struct out *o, uint32_t a)
{
	put(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

static void put_v6(struct out *o, const uint8_t a[16])
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(AF_INET6, a, s, sizeof(s)))
		put(o, "%s", s);
}

static void put_uint(struct out *o, const struct wfp_value *v, unsigned field)
{
	if (v->type == WFP_UINT32 && addr_field(field))
		put_v4(o, v->u32);
	else if (flags_field(field))
		put(o, "0x%08llx", (unsigned long long)as_u64(v));
	else
		put(o, "%llu", (unsigned long long)as_u64(v));
}

static void put_value(struct out *o, const struct wfp_value *v, unsigned field)
{
	if (is_a(v->type, T_UINT)) {
		put_uint(o, v, field);
		return;
	}
	if (is_a(v->type, T_SINT)) {
		put(o, "%lld", (long long)as_i64(v));
		return;
	}
	switch (v->type) {
	case WFP_EMPTY:
		put(o, "empty");
		break;
	case WFP_FLOAT:
		put(o, "%g", (double)v->f32);
		break;
	case WFP_DOUBLE:
		put(o, "%g", v->f64);
		break;
	case WFP_BYTE_ARRAY16:
		put_v6(o, v->a16);
		break;
	case WFP_BYTE_ARRAY6:
		put(o, "%02x:%02x:%02x:%02x:%02x:%02x", v->a6[0], v->a6[1],
		    v->a6[2], v->a6[3], v->a6[4], v->a6[5]);
		break;
	case WFP_BYTE_BLOB:
	case WFP_UNICODE_STRING:
		put_text(o, v->blob, true);
		break;
	case WFP_SID:
	case WFP_SECURITY_DESCRIPTOR:
		put_text(o, v->blob, false);
		break;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION:
		if (v->token)
			put(o, "token(uid=%u)", v->token->uid);
		else
			put(o, "token(none)");
		break;
	case WFP_BITMAP_INDEX:
		put(o, "%u", v->u8);
		break;
	case WFP_BITMAP_ARRAY64:
		put(o, "0x%016llx", (unsigned long long)v->u64);
		break;
	default:
		put(o, "type(%u)", v->type);
		break;
	}
}

static void put_cond_value(struct out *o, const struct wfp_cond_value *v,
			   unsigned field)
{
	uint32_t inv = ~v->v4.mask;
	struct wfp_value one;

	switch (v->type) {
	case WFP_V4_ADDR_MASK:
		put_v4(o, v->v4.addr);
		if (inv & (inv + 1)) {
			put(o, "/");
			put_v4(o, v->v4.mask);
		} else {
			put(o, "/%d", __builtin_popcount(v->v4.mask));
		}
		return;
	case WFP_V6_ADDR_MASK:
		put_v6(o, v->v6.addr);
		put(o, "/%u", v->v6.prefix_len);
		return;
	case WFP_RANGE:
		put_value(o, &v->range.low, field);
		put(o, "-");
		put_value(o, &v->range.high, field);
		return;
	default:
		if (v->type >= WFP_SINGLE_DATA_TYPE_MAX) {
			put(o, "type(%u)", v->type);
			return;
		}
		one = single(v);
		put_value(o, &one, field);
		return;
	}
}

static char *done(struct out *o)
{
	if (o->len && o->n >= o->len)
		o->buf[o->len - 1] = '\0';
	return o->buf;
}

char *wfp_value_format_field(const struct wfp_value *v, unsigned field,
			     char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	static const struct wfp_value empty = { .type = WFP_EMPTY };

	if (len)
		buf[0] = '\0';
	put_value(&o, v ? v : &empty, field);
	return done(&o);
}

char *wfp_value_format(const struct wfp_value *v, char *buf, size_t len)
{
	return wfp_value_format_field(v, WFP_FIELD_MAX, buf, len);
}

char *wfp_cond_value_format_field(const struct wfp_cond_value *v,
				  unsigned field, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };

	if (len)
		buf[0] = '\0';
	if (!v)
		put(&o, "empty");
	else
		put_cond_value(&o, v, field);
	return done(&o);
}

char *wfp_cond_value_format(const struct wfp_cond_value *v, char *buf, size_t len)
{
	return wfp_cond_value_format_field(v, WFP_FIELD_MAX, buf, len);
}
