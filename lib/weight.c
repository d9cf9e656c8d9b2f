/* SPDX-License-Identifier: MIT */
/*
 * weight.c - automatic filter weights (spec §4.2, §9).
 *
 * WFP computes the weight of an FWP_EMPTY-weighted filter "based on the
 * filter conditions" and never says how; observed values only show that
 * they stay below 2^60 and that narrower conditions weigh more.  Ours is
 * deterministic and documented (docs/internals/weights.md):
 *
 *   specificity(condition) = how many bits of the field it pins down
 *     EQUAL on a scalar        width of the type (8/16/32/64, 128 for IPv6,
 *                              64 for blobs, strings, SIDs)
 *     V4/V6 address mask       prefix length
 *     RANGE [lo, hi]           width - ceil(log2(hi - lo + 1))
 *     FLAGS_*                  number of flag bits tested (at most 8)
 *     PREFIX (suffix test)     8 per byte of the suffix (at most 64)
 *     anything else            1
 *   an OR group (same field) is as specific as its loosest member
 *   S = sum over groups, capped at 2^20 - 1
 *
 *   weight = S << 40 | min(groups, 255) << 32
 *
 * Example: {IP_PROTOCOL == 6, IP_LOCAL_PORT == 80} gives S = 8 + 16 = 24,
 * two groups: weight = 24 << 40 | 2 << 32 = 0x0000180200000000.
 * Filters with equal weights are ordered by ascending filter id.
 */
#include "internal.h"

static unsigned type_bits(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_UINT8:
	case WFP_INT8:
		return 8;
	case WFP_UINT16:
	case WFP_INT16:
		return 16;
	case WFP_UINT32:
	case WFP_INT32:
	case WFP_FLOAT:
		return 32;
	case WFP_BYTE_ARRAY16:
		return 128;
	case WFP_EMPTY:
		return 1;
	default:
		return 64;
	}
}

static unsigned log2_ceil(uint64_t span)
{
	unsigned b = 0;

	while (b < 64 && (span >> b) > 1)
		b++;
	return (span & (span - 1)) ? b + 1 : b;
}

static uint64_t as_u64(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_UINT8: return v->u8;
	case WFP_UINT16: return v->u16;
	case WFP_UINT32: return v->u32;
	case WFP_UINT64: return v->u64;
	case WFP_INT8: return (uint64_t)(int64_t)v->i8;
	case WFP_INT16: return (uint64_t)(int64_t)v->i16;
	case WFP_INT32: return (uint64_t)(int64_t)v->i32;
	case WFP_INT64: return (uint64_t)v->i64;
	default: return 0;
	}
}

static unsigned range_bits(const struct wfp_range *r)
{
	unsigned w = type_bits(&r->low), common = 0;
	uint64_t span;

	if (r->low.type == WFP_BYTE_ARRAY16) {
		while (common < 16 && r->low.a16[common] == r->high.a16[common])
			common++;
		return common * 8;
	}
	if (w == 64 && r->low.type != WFP_UINT64 && r->low.type != WFP_INT64)
		return 1; /* blobs, strings: no useful width */
	span = as_u64(&r->high) - as_u64(&r->low);
	if (span == UINT64_MAX)
		return 0;
	return w > log2_ceil(span + 1) ? w - log2_ceil(span + 1) : 0;
}

static unsigned popcount32(uint32_t x)
{
	return (unsigned)__builtin_popcount(x);
}

static unsigned cond_bits(const struct wfp_filter_cond *c)
{
	const struct wfp_cond_value *v = &c->value;
	unsigned n;

	switch (c->match) {
	case WFP_MATCH_EQUAL:
	case WFP_MATCH_EQUAL_CASE_INSENSITIVE:
		if (v->type == WFP_V4_ADDR_MASK)
			return popcount32(v->v4.mask);
		if (v->type == WFP_V6_ADDR_MASK)
			return v->v6.prefix_len;
		return type_bits(&v->v);
	case WFP_MATCH_RANGE:
		return range_bits(&v->range);
	case WFP_MATCH_FLAGS_ALL_SET:
	case WFP_MATCH_FLAGS_ANY_SET:
	case WFP_MATCH_FLAGS_NONE_SET:
		n = popcount32((uint32_t)as_u64(&v->v)) + popcount32((uint32_t)(as_u64(&v->v) >> 32));
		return n > 8 ? 8 : n;
	case WFP_MATCH_PREFIX:
		n = v->v.type == WFP_BYTE_BLOB || v->v.type == WFP_UNICODE_STRING ?
		    v->v.blob.size * 8 : 8;
		return n > 64 ? 64 : n;
	default:
		return 1;
	}
}

uint64_t wfp_auto_weight(unsigned layer, const struct wfp_filter_cond *cond, uint32_t n)
{
	uint64_t s = 0, groups = 0;
	bool done[WFP_MAX_CONDITIONS] = { false };

	(void)layer;
	for (uint32_t i = 0; i < n && i < WFP_MAX_CONDITIONS; i++) {
		unsigned loosest;

		if (done[i])
			continue;
		loosest = cond_bits(&cond[i]);
		/* every condition on this field joins one OR group (spec §5.4) */
		for (uint32_t j = i + 1; j < n && j < WFP_MAX_CONDITIONS; j++) {
			if (cond[j].field != cond[i].field)
				continue;
			done[j] = true;
			if (cond_bits(&cond[j]) < loosest)
				loosest = cond_bits(&cond[j]);
		}
		s += loosest;
		groups++;
	}
	if (s > (1u << 20) - 1)
		s = (1u << 20) - 1;
	if (groups > 255)
		groups = 255;
	return s << 40 | groups << 32;
}
