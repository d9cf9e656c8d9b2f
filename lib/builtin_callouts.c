/* SPDX-License-Identifier: MIT */
/*
 * builtin_callouts.c - callouts that exist in every engine, as WFP's
 * built-in callouts do (spec Appendix A).
 *
 * Only the two that libwfp can honour are modelled: the transport-layer
 * silent drops that the stealth-mode sample (spec §3.8) attaches to
 * INBOUND_TRANSPORT_V4/V6_DISCARD.  Each is both halves of a callout at
 * once: a management object of lifetime BUILTIN (so it cannot be deleted:
 * FWP_E_BUILTIN_OBJECT, spec §6.4) and registered code.  The code returns
 * a hard BLOCK: a block at a discard layer is what makes the stack skip
 * the RST (spec §3.8), so no ABSORB is needed.
 */
#include <string.h>

#include "internal.h"

struct builtin_callout {
	const char *name;
	const char *key;  /* GUID text, as published */
	uint16_t layer;   /* applicable layer */
};

static const struct builtin_callout builtin[] = {
	{ "FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP",
	  "eda08606-2494-4d78-89bc-67837c03b969",
	  WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD },
	{ "FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V6_SILENT_DROP",
	  "8693cc74-a075-4156-b476-9286eece814e",
	  WFP_LAYER_INBOUND_TRANSPORT_V6_DISCARD },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Block, and make the block hard so that no lower sublayer undoes it. */
static void silent_drop(void *ctx, const struct wfp_incoming *in,
			const struct wfp_callout_filter *filter,
			struct wfp_classify_out *out)
{
	out->action = WFP_ACTION_BLOCK;
	out->rights &= ~(uint32_t)WFP_RIGHT_ACTION_WRITE;
}

static const struct wfp_callout_ops silent_drop_ops = {
	.sz = sizeof(struct wfp_callout_ops),
	.classify = silent_drop,
};

static int add_one(struct wfp_engine *e, const struct builtin_callout *b)
{
	struct wfp_display d = { .name = b->name };
	struct wfp_guid key;
	struct callout_obj *c;
	int ret;

	ret = wfp_guid_parse(b->key, &key);
	if (ret)
		return ret;
	c = wfp_calloc(1, sizeof(*c));
	if (!c)
		return -WFP_E_NOMEM;
	ret = wfp_hdr_init(&c->h, OBJ_CALLOUT, NULL, &key, &d, 0, LIFE_BUILTIN);
	if (ret) {
		wfp_free(c);
		return ret;
	}
	c->reg = wfp_callout_reg_get(e, &key);
	if (!c->reg) {
		wfp_callout_destroy(&c->h);
		return -WFP_E_NOMEM;
	}
	c->layer = b->layer;
	c->id = e->next_callout_id++;
	wfp_callout_relink(e, &c->h);
	return wfp_callout_register(e, &key, &silent_drop_ops, NULL);
}

/* Called by wfp_engine_open(); on error the engine is closed. */
int wfp_builtin_callouts_init(struct wfp_engine *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		int ret = add_one(e, &builtin[i]);

		if (ret)
			return ret;
	}
	return 0;
}
