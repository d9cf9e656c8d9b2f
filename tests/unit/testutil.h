/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers shared by the engine's unit tests: an engine
 * with one static session, filters and sublayers in one call, incoming
 * values set by field name, and scriptable test callouts.
 */
#ifndef WFP_TESTUTIL_H
#define WFP_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>

struct tu {
	struct wfp_engine *e;
	struct wfp_session *s;
};

static inline struct wfp_guid tu_guid(unsigned n)
{
	struct wfp_guid g = { { 0 } };

	g.b[0] = 0xAA;
	g.b[14] = (uint8_t)(n >> 8);
	g.b[15] = (uint8_t)n;
	return g;
}

static inline void tu_open(struct tu *t)
{
	t->e = wfp_engine_open(NULL);
	assert_non_null(t->e);
	t->s = wfp_session_open(t->e, NULL);
	assert_non_null(t->s);
}

static inline void tu_close(struct tu *t)
{
	wfp_engine_close(t->e);
	t->e = NULL;
	t->s = NULL;
}

static inline struct wfp_guid tu_sublayer(struct tu *t, unsigned n, uint16_t weight)
{
	struct wfp_sublayer sl = { .key = tu_guid(0x100 + n), .weight = weight };

	sl.display.name = "test sublayer";
	assert_int_equal(wfp_sublayer_add(t->s, &sl), 0);
	return sl.key;
}

/* Adds a filter; weight: UINT64 explicit.  Returns its id. */
static inline uint64_t tu_filter(struct tu *t, unsigned layer, const struct wfp_guid *sl,
				 uint64_t weight, uint32_t action, uint32_t flags,
				 const struct wfp_guid *callout,
				 const struct wfp_filter_cond *c, uint32_t n)
{
	struct wfp_filter f = { 0 };
	uint64_t id = 0;

	f.display.name = "test filter";
	f.layer = (uint16_t)layer;
	if (sl)
		f.sublayer_key = *sl;
	f.weight.type = WFP_UINT64;
	f.weight.u64 = weight;
	f.action.type = action;
	if (callout)
		f.action.key = *callout;
	f.flags = flags;
	f.cond = c;
	f.ncond = n;
	assert_int_equal(wfp_filter_add(t->s, &f, &id), 0);
	assert_true(id != 0);
	return id;
}

/* Incoming values of one layer, all EMPTY until set. */
struct tu_in {
	struct wfp_incoming in;
	struct wfp_value v[WFP_MAX_FIELDS_PER_LAYER];
};

static inline void tu_in_init(struct tu_in *x, unsigned layer)
{
	memset(x, 0, sizeof(*x));
	x->in.layer = (uint16_t)layer;
	x->in.nvalues = (uint16_t)wfp_layer_field_count(layer);
	x->in.values = x->v;
}

static inline struct wfp_value *tu_slot(struct tu_in *x, unsigned field)
{
	int i = wfp_layer_field_index(x->in.layer, field);

	assert_true(i >= 0);
	return &x->v[i];
}

static inline void tu_set_u8(struct tu_in *x, unsigned field, uint8_t v)
{
	tu_slot(x, field)->type = WFP_UINT8;
	tu_slot(x, field)->u8 = v;
}

static inline void tu_set_u16(struct tu_in *x, unsigned field, uint16_t v)
{
	tu_slot(x, field)->type = WFP_UINT16;
	tu_slot(x, field)->u16 = v;
}

static inline void tu_set_u32(struct tu_in *x, unsigned field, uint32_t v)
{
	tu_slot(x, field)->type = WFP_UINT32;
	tu_slot(x, field)->u32 = v;
}

static inline void tu_set_blob(struct tu_in *x, unsigned field, const char *s)
{
	tu_slot(x, field)->type = WFP_BYTE_BLOB;
	tu_slot(x, field)->blob.data = (const uint8_t *)s;
	tu_slot(x, field)->blob.size = (uint32_t)strlen(s);
}

static inline struct wfp_verdict tu_classify(struct tu *t, struct tu_in *x,
					     struct wfp_explain *ex)
{
	struct wfp_verdict v;

	assert_int_equal(wfp_classify(t->e, &x->in, &v, ex), 0);
	return v;
}

/* Conditions. */
static inline struct wfp_filter_cond tu_cond_u16(unsigned field, unsigned match, uint16_t v)
{
	struct wfp_filter_cond c = { .field = (uint16_t)field, .match = (uint16_t)match };

	c.value.type = WFP_UINT16;
	c.value.v.type = WFP_UINT16;
	c.value.v.u16 = v;
	return c;
}

static inline struct wfp_filter_cond tu_cond_u8(unsigned field, unsigned match, uint8_t v)
{
	struct wfp_filter_cond c = { .field = (uint16_t)field, .match = (uint16_t)match };

	c.value.type = WFP_UINT8;
	c.value.v.type = WFP_UINT8;
	c.value.v.u8 = v;
	return c;
}

static inline struct wfp_filter_cond tu_cond_blob(unsigned field, unsigned match, const char *s)
{
	struct wfp_filter_cond c = { .field = (uint16_t)field, .match = (uint16_t)match };

	c.value.type = WFP_BYTE_BLOB;
	c.value.v.type = WFP_BYTE_BLOB;
	c.value.v.blob.data = (const uint8_t *)s;
	c.value.v.blob.size = (uint32_t)strlen(s);
	return c;
}

/* A scriptable callout: returns .action, clears the write right if
 * .clear_right, counts calls and records the rights it was given. */
struct tu_callout {
	uint32_t action;
	bool clear_right;
	uint32_t flags;
	unsigned calls;
	uint32_t rights_seen;
	uint32_t action_seen;
};

static void tu_callout_fn(void *ctx, const struct wfp_incoming *in,
			  const struct wfp_callout_filter *f, struct wfp_classify_out *out)
{
	struct tu_callout *c = ctx;

	(void)in;
	(void)f;
	c->calls++;
	c->rights_seen = out->rights;
	c->action_seen = out->action;
	out->action = c->action;
	out->flags = c->flags;
	if (c->clear_right)
		out->rights &= ~(uint32_t)WFP_RIGHT_ACTION_WRITE;
}

static inline struct wfp_guid tu_callout_add(struct tu *t, unsigned n, unsigned layer,
					     struct tu_callout *code)
{
	struct wfp_callout c = { .key = tu_guid(0x200 + n), .applicable_layer = (uint16_t)layer };
	struct wfp_callout_ops ops = { .sz = sizeof(ops), .classify = tu_callout_fn };

	c.display.name = "test callout";
	assert_int_equal(wfp_callout_add(t->s, &c, NULL), 0);
	if (code)
		assert_int_equal(wfp_callout_register(t->e, &c.key, &ops, code), 0);
	return c.key;
}

#endif
