/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cond.c - condition values as the management API receives them:
 * any layer, field, match type and value (blobs, SIDs, SDDL, strings,
 * masks, ranges of any types), through wfp_cond_check(), and for those it
 * accepts the deep copy, the compiled condition, the test against an
 * incoming value of any type (the classify path must not crash on a
 * malformed incoming value) and the formatting used by listings.
 *
 * Input layout (all read with bounds; missing bytes read as 0):
 *   layer u8, field u8, match u8, then a condition value, then an
 *   incoming value.  A value is a type selector u8 followed by its
 *   payload; blob payloads are a length u8 and that many bytes.
 */
#include <stdint.h>
#include <string.h>

#include <wfp/wfp.h>

#include "cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	uint8_t x = 0;

	if (r->n) {
		x = *r->p++;
		r->n--;
	}
	return x;
}

static void bytes(struct rd *r, void *out, size_t len)
{
	size_t k = len < r->n ? len : r->n;

	memset(out, 0, len);
	memcpy(out, r->p, k);
	r->p += k;
	r->n -= k;
}

/* A blob pointing into the input (no copy: the library must not keep it). */
static struct wfp_blob blob(struct rd *r)
{
	struct wfp_blob b;
	size_t len = u8(r);

	if (len > r->n)
		len = r->n;
	b.data = r->n ? r->p : NULL;
	b.size = (uint32_t)len;
	r->p += len;
	r->n -= len;
	return b;
}

/* The data types a selector maps to: every FWP_DATA_TYPE plus a few
 * out-of-range numbers. */
static uint16_t pick_type(uint8_t sel, bool cond)
{
	static const uint16_t extra[] = {
		WFP_V4_ADDR_MASK, WFP_V6_ADDR_MASK, WFP_RANGE, WFP_DATA_TYPE_MAX,
		WFP_SINGLE_DATA_TYPE_MAX, 21, 0xffff,
	};

	if (sel <= WFP_BITMAP_ARRAY64)
		return sel;
	if (!cond)
		return sel & 0x1f;
	return extra[sel % (sizeof(extra) / sizeof(extra[0]))];
}

static const uint32_t gids[] = { 0, 27, 1000 };
static struct wfp_token token;

static void value(struct rd *r, struct wfp_value *v, uint16_t type)
{
	memset(v, 0, sizeof(*v));
	v->type = type;
	switch (type) {
	case WFP_BYTE_BLOB:
	case WFP_SID:
	case WFP_SECURITY_DESCRIPTOR:
	case WFP_UNICODE_STRING:
	case WFP_BITMAP_ARRAY64:
		v->blob = blob(r);
		break;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION:
		token.uid = u8(r);
		token.ngids = u8(r) % 4;
		token.gids = gids;
		v->token = u8(r) & 1 ? &token : NULL;
		break;
	default:
		bytes(r, v->a16, sizeof(v->a16));
	}
}

static void cond_value(struct rd *r, struct wfp_cond_value *cv)
{
	uint16_t type = pick_type(u8(r), true);

	memset(cv, 0, sizeof(*cv));
	cv->type = type;
	switch (type) {
	case WFP_V4_ADDR_MASK:
		bytes(r, &cv->v4, sizeof(cv->v4));
		break;
	case WFP_V6_ADDR_MASK:
		bytes(r, &cv->v6, sizeof(cv->v6));
		break;
	case WFP_RANGE: {
		uint16_t lo = pick_type(u8(r), false), hi = pick_type(u8(r), false);

		value(r, &cv->range.low, lo);
		value(r, &cv->range.high, hi);
		break;
	}
	default:
		if (type < WFP_SINGLE_DATA_TYPE_MAX)
			value(r, &cv->v, type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct wfp_filter_cond c;
	struct wfp_cond_value copy;
	struct wfp_ccond cc;
	struct wfp_value in;
	unsigned layer;
	char buf[512];

	layer = u8(&r);
	memset(&c, 0, sizeof(c));
	c.field = u8(&r);
	c.match = u8(&r) % 16;
	cond_value(&r, &c.value);
	value(&r, &in, pick_type(u8(&r), false));

	wfp_cond_value_format(&c.value, buf, sizeof(buf));
	wfp_value_format(&in, buf, sizeof(buf));
	if (wfp_cond_check(layer, &c))
		return 0;
	if (!wfp_cond_value_dup(&copy, &c.value)) {
		wfp_cond_value_format(&copy, buf, sizeof(buf));
		wfp_cond_value_fini(&copy);
	}
	if (wfp_ccond_build(&cc, layer, &c))
		return 0;
	wfp_ccond_test(&cc, &in);
	wfp_ccond_test(&cc, NULL);
	wfp_cond_value_format(&cc.val, buf, sizeof(buf));
	wfp_cond_value_format(&cc.val, buf, 3); /* truncation */
	wfp_ccond_fini(&cc);
	return 0;
}
