/* SPDX-License-Identifier: MIT */
/*
 * wfp_classify.h - classification and callouts (FwpsXxx equivalents).
 *
 * wfp_classify() evaluates one layer of the published policy against the
 * layer's incoming values and arbitrates the result across sublayers
 * exactly as spec §4.5 describes.  It never allocates, locks or logs.  A
 * caller who wants to know *why* passes a struct wfp_explain; the normal
 * path passes NULL and pays nothing for it.
 */
#ifndef WFP_CLASSIFY_H
#define WFP_CLASSIFY_H

#include <wfp/wfp_types.h>
#include <wfp/wfp_mgmt.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	WFP_RIGHT_ACTION_WRITE = 0x1 /* FWPS_RIGHT_ACTION_WRITE */
};

enum {
	WFP_CLASSIFY_OUT_F_ABSORB = 0x1, /* FWPS_CLASSIFY_OUT_FLAG_ABSORB */
	WFP_CLASSIFY_OUT_F_VETO = 0x100  /* libwfp: the result is a veto */
};

/* Metadata that accompanies a classification (a subset of
 * FWPS_INCOMING_METADATA_VALUES0). */
struct wfp_metadata {
	uint32_t present; /* WFP_MD_* bits */
	uint32_t discard_module;
	uint32_t discard_reason;
	uint64_t discard_filter_id;
	uint64_t flow_handle;
	uint32_t process_id;
	const char *process_path;
};

enum {
	WFP_MD_DISCARD_REASON = 0x1,
	WFP_MD_FLOW_HANDLE = 0x2,
	WFP_MD_PROCESS_PATH = 0x8,
	WFP_MD_PROCESS_ID = 0x20
};

/* What a classification is given: the layer's incoming values, slot i =
 * field wfp_layer_field(layer, i).  Missing slots count as EMPTY. */
struct wfp_incoming {
	uint16_t layer;
	uint16_t nvalues;
	const struct wfp_value *values;
	const struct wfp_metadata *md; /* may be NULL */
};

/* The result of one classification. */
struct wfp_verdict {
	uint32_t action;    /* PERMIT, BLOCK, or NONE/NONE_NO_MATCH (-> permit) */
	uint32_t rights;    /* WFP_RIGHT_ACTION_WRITE when soft */
	uint32_t flags;     /* WFP_CLASSIFY_OUT_F_* */
	uint64_t filter_id; /* deciding filter, 0 if none */
	uint16_t sublayer_weight;
	uint16_t nmatched;  /* filters that matched, all sublayers */
};

/* One sublayer's part in an explained classification. */
struct wfp_explain_sublayer {
	struct wfp_guid key;
	uint16_t weight;
	uint32_t action;     /* its first terminating verdict, or CONTINUE/NONE */
	uint64_t filter_id;  /* the filter that gave it, 0 if none */
	uint64_t filter_weight;
	uint32_t rights_before;
	uint32_t rights_after;
	uint8_t hard;        /* the verdict cleared the write right */
	uint8_t applied;     /* it changed the layer result */
	uint8_t veto;        /* it vetoed a hard permit */
	uint8_t ncallouts;   /* callouts invoked in this sublayer */
};

struct wfp_explain {
	unsigned nsublayers; /* entries filled (sublayers with filters) */
	unsigned truncated;  /* sublayers that did not fit */
	struct wfp_explain_sublayer sub[WFP_EXPLAIN_MAX_SUBLAYERS];
};

/**
 * wfp_classify - classify at one layer of the published policy.
 * @e:       engine
 * @in:      the layer and its incoming values
 * @out:     verdict
 * @explain: NULL, or filled with the per-sublayer arbitration
 *
 * Return: 0, or -WFP_E_LAYER_NOT_FOUND for a bad layer id.  A NONE action
 * means no sublayer decided; the caller treats it as PERMIT (spec §4.8).
 */
WFP_API int wfp_classify(const struct wfp_engine *e, const struct wfp_incoming *in,
			 struct wfp_verdict *out, struct wfp_explain *explain);

/* The action the caller should enforce: PERMIT or BLOCK. */
static inline int wfp_verdict_blocks(const struct wfp_verdict *v)
{
	return v->action == WFP_ACTION_BLOCK;
}

/* ---- callouts as C plug-ins ---- */

/* What a callout's classify function sees of the filter that invoked it. */
struct wfp_callout_filter {
	uint64_t filter_id;
	uint64_t weight;
	uint16_t sublayer_weight;
	uint32_t flags; /* WFP_FILTER_F_* */
	uint32_t action_type;
	uint64_t context;
};

/* FWPS_CLASSIFY_OUT0: the callout reads and writes action/rights/flags. */
struct wfp_classify_out {
	uint32_t action;
	uint32_t rights;
	uint32_t flags;
};

enum wfp_notify_type {
	WFP_NOTIFY_ADD_FILTER = 1,
	WFP_NOTIFY_DELETE_FILTER = 2
};

struct wfp_callout_ops {
	size_t sz;
	/* Must not block; may be called from any thread classifying. */
	void (*classify)(void *ctx, const struct wfp_incoming *in,
			 const struct wfp_callout_filter *filter,
			 struct wfp_classify_out *out);
	/* Optional: a filter using the callout is added/deleted; non-zero
	 * return on add fails the add (FWP_E_CALLOUT_NOTIFICATION_FAILED). */
	int (*notify)(void *ctx, enum wfp_notify_type type, uint64_t filter_id);
	/* Optional: a flow the callout attached context to is deleted. */
	void (*flow_delete)(void *ctx, uint64_t flow_handle, uint64_t flow_ctx);
};

/* Registers code for the callout with key (FwpsCalloutRegister).  The
 * management object may be added before or after; a filter whose callout
 * is not registered acts as BLOCK, or PERMIT with
 * WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED (spec §4.3). */
WFP_API int wfp_callout_register(struct wfp_engine *e, const struct wfp_guid *key,
				 const struct wfp_callout_ops *ops, void *ctx);
WFP_API int wfp_callout_unregister(struct wfp_engine *e, const struct wfp_guid *key);

#ifdef __cplusplus
}
#endif
#endif
