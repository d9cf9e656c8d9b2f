/* SPDX-License-Identifier: MIT */
/*
 * wfp_mgmt.h - the management API (FwpmXxx equivalents, spec §6).
 *
 * An engine holds providers, sublayers, callouts and filters.  Clients
 * work through sessions; a dynamic session's objects die with it.  Every
 * write runs in a transaction: an explicit one (wfp_txn_begin/commit/
 * abort) or an implicit one around the single call.  Commit compiles the
 * changed layers and publishes them at once; the classify path never sees
 * half a transaction.
 *
 * Input structs are plain data the caller owns; libwfp copies what it
 * keeps.  Output objects from get/enum are allocated by libwfp and freed
 * with the matching _free call.
 */
#ifndef WFP_MGMT_H
#define WFP_MGMT_H

#include <wfp/wfp_types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wfp_engine;
struct wfp_session;

struct wfp_display {
	const char *name; /* mandatory: NULL -> WFP_E_NULL_DISPLAY_NAME */
	const char *description;
};

/* ---- engine ---- */
struct wfp_engine_opts {
	size_t sz; /* sizeof(struct wfp_engine_opts) */
	uint32_t flags;
	/* Persistent objects live in this file (docs/internals/store.md):
	 * loaded at open, rewritten by every commit that changes one.
	 * NULL: nothing persists. */
	const char *store_path;
};

/* Returns a new engine owned by the caller, or NULL with errno set. */
WFP_API struct wfp_engine *wfp_engine_open(const struct wfp_engine_opts *opts);
/* Closes every session, frees every object; NULL is fine. */
WFP_API void wfp_engine_close(struct wfp_engine *e);
/* Generation of the published policy: bumped by every commit that changed
 * something. */
WFP_API uint64_t wfp_engine_generation(const struct wfp_engine *e);
/* Generation of one layer: changes whenever a commit adds or removes a
 * filter at that layer.  The ALE flow table keeps the value it saw at
 * authorisation; a different value means "reauthorize" (spec §3.3). */
WFP_API uint64_t wfp_engine_layer_generation(const struct wfp_engine *e,
					     unsigned layer);

/* ---- sessions (spec §6.2) ---- */
enum {
	WFP_SESSION_F_DYNAMIC = 0x1
};

struct wfp_session_opts {
	size_t sz;
	struct wfp_guid key; /* zero: generated */
	struct wfp_display display;
	uint32_t flags;      /* WFP_SESSION_F_* */
};

/* NULL opts: a static session.  Returns NULL with errno = -wfp_err
 * (WFP_E_ALREADY_EXISTS for a duplicate key). */
WFP_API struct wfp_session *wfp_session_open(struct wfp_engine *e,
					     const struct wfp_session_opts *opts);
/* Aborts its transaction; deletes its objects if dynamic. NULL is fine. */
WFP_API void wfp_session_close(struct wfp_session *s);
WFP_API struct wfp_engine *wfp_session_engine(const struct wfp_session *s);

/* ---- transactions (spec §6.3) ---- */
enum {
	WFP_TXN_READ_ONLY = 0x1
};
WFP_API int wfp_txn_begin(struct wfp_session *s, uint32_t flags);
WFP_API int wfp_txn_commit(struct wfp_session *s);
WFP_API int wfp_txn_abort(struct wfp_session *s);
/* Non-zero while the session has an explicit transaction open. */
WFP_API int wfp_txn_active(const struct wfp_session *s);

/* ---- providers ---- */
enum {
	WFP_PROVIDER_F_PERSISTENT = 0x1,
	WFP_PROVIDER_F_DISABLED = 0x10
};

struct wfp_provider {
	struct wfp_guid key;
	struct wfp_display display;
	uint32_t flags;
	const char *service_name;
};

WFP_API int wfp_provider_add(struct wfp_session *s, const struct wfp_provider *p);
WFP_API int wfp_provider_delete(struct wfp_session *s, const struct wfp_guid *key);
WFP_API int wfp_provider_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_provider **out);
WFP_API void wfp_provider_free(struct wfp_provider *p);

/* ---- sublayers ---- */
enum {
	WFP_SUBLAYER_F_PERSISTENT = 0x1
};

struct wfp_sublayer {
	struct wfp_guid key;
	struct wfp_display display;
	uint32_t flags;
	struct wfp_guid provider_key; /* zero: none */
	uint16_t weight;
};

WFP_API int wfp_sublayer_add(struct wfp_session *s, const struct wfp_sublayer *sl);
WFP_API int wfp_sublayer_delete(struct wfp_session *s, const struct wfp_guid *key);
WFP_API int wfp_sublayer_get(struct wfp_session *s, const struct wfp_guid *key,
			     struct wfp_sublayer **out);
WFP_API void wfp_sublayer_free(struct wfp_sublayer *sl);
/* All sublayers, built-in ones included, highest weight first. */
WFP_API int wfp_sublayer_enum(struct wfp_session *s, struct wfp_sublayer ***out,
			      size_t *n);
WFP_API void wfp_sublayer_array_free(struct wfp_sublayer **a, size_t n);

/* ---- callouts (management side; the code is registered separately) ---- */
enum {
	WFP_CALLOUT_F_PERSISTENT = 0x10000,
	WFP_CALLOUT_F_USES_PROVIDER_CONTEXT = 0x20000,
	WFP_CALLOUT_F_REGISTERED = 0x40000 /* output only */
};

struct wfp_callout {
	struct wfp_guid key;
	struct wfp_display display;
	uint32_t flags;
	struct wfp_guid provider_key;
	uint16_t applicable_layer; /* enum wfp_layer_id */
	uint32_t callout_id;       /* output */
};

WFP_API int wfp_callout_add(struct wfp_session *s, const struct wfp_callout *c,
			    uint32_t *id);
WFP_API int wfp_callout_delete(struct wfp_session *s, const struct wfp_guid *key);
WFP_API int wfp_callout_get(struct wfp_session *s, const struct wfp_guid *key,
			    struct wfp_callout **out);
WFP_API void wfp_callout_free(struct wfp_callout *c);

/* ---- filters (spec §6.5, §6.6) ---- */
enum {
	WFP_FILTER_F_PERSISTENT = 0x1,
	WFP_FILTER_F_BOOTTIME = 0x2,
	WFP_FILTER_F_HAS_PROVIDER_CONTEXT = 0x4,
	WFP_FILTER_F_CLEAR_ACTION_RIGHT = 0x8,
	WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED = 0x10,
	WFP_FILTER_F_DISABLED = 0x20, /* output only */
	WFP_FILTER_F_INDEXED = 0x40,
	WFP_FILTER_F_ALL = 0x7F
};

struct wfp_filter_cond {
	uint16_t field; /* enum wfp_field */
	uint16_t match; /* enum wfp_match */
	struct wfp_cond_value value;
};

struct wfp_action {
	uint32_t type; /* enum wfp_action_type */
	/* filter type (static actions) or callout key (callout actions) */
	struct wfp_guid key;
};

struct wfp_filter {
	struct wfp_guid key; /* zero: generated */
	struct wfp_display display;
	uint32_t flags;               /* WFP_FILTER_F_* */
	struct wfp_guid provider_key; /* zero: none */
	uint16_t layer;               /* enum wfp_layer_id */
	struct wfp_guid sublayer_key; /* zero: the layer's default, UNIVERSAL */
	/* EMPTY: auto; UINT8 0..15: range index; UINT64: explicit */
	struct wfp_value weight;
	uint32_t ncond;
	const struct wfp_filter_cond *cond;
	struct wfp_action action;
	uint64_t raw_context;
	/* outputs (ignored on add) */
	uint64_t filter_id;
	uint64_t effective_weight;
};

/* Adds a filter; on success *id (may be NULL) receives its run-time id. */
WFP_API int wfp_filter_add(struct wfp_session *s, const struct wfp_filter *f,
			   uint64_t *id);
WFP_API int wfp_filter_delete_by_id(struct wfp_session *s, uint64_t id);
WFP_API int wfp_filter_delete_by_key(struct wfp_session *s, const struct wfp_guid *key);
/* *out is a deep copy owned by the caller: free with wfp_filter_free(). */
WFP_API int wfp_filter_get_by_id(struct wfp_session *s, uint64_t id,
				 struct wfp_filter **out);
WFP_API int wfp_filter_get_by_key(struct wfp_session *s, const struct wfp_guid *key,
				  struct wfp_filter **out);
WFP_API void wfp_filter_free(struct wfp_filter *f);

/* Enumeration template (FWPM_FILTER_ENUM_TEMPLATE0, simplified). */
enum {
	WFP_ENUM_F_LAYER = 0x1,    /* only filters at .layer */
	WFP_ENUM_F_PROVIDER = 0x2, /* only filters of .provider_key */
	WFP_ENUM_F_SUBLAYER = 0x4  /* only filters in .sublayer_key */
};

struct wfp_filter_enum_template {
	uint32_t flags;
	uint16_t layer;
	struct wfp_guid provider_key;
	struct wfp_guid sublayer_key;
};

/* Snapshot of the matching filters in arbitration order: layer, then
 * sublayer weight descending, filter weight descending, id ascending.
 * NULL template: all filters. */
WFP_API int wfp_filter_enum(struct wfp_session *s,
			    const struct wfp_filter_enum_template *t,
			    struct wfp_filter ***out, size_t *n);
WFP_API void wfp_filter_array_free(struct wfp_filter **a, size_t n);

#ifdef __cplusplus
}
#endif
#endif
