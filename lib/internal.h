/* SPDX-License-Identifier: MIT */
/*
 * internal.h - private structures of the engine (never installed).
 *
 * Two worlds live in an engine:
 *   - management objects (providers, sublayers, callouts, filters), owned
 *     by the engine, changed only inside transactions, and
 *   - compiled layers, one immutable blob per layer, built from the
 *     management objects at commit and published with one pointer store;
 *     wfp_classify() reads only these.
 *
 * Protection legend for the fields below:
 *   [I] immutable after creation
 *   [T] changed only by the session holding the write transaction
 *   [P] published: written at commit with a release store, read with acquire
 */
#ifndef WFP_INTERNAL_H
#define WFP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <wfp/wfp.h>
#include <wfp/wfp_netevent.h>

#include "alloc.h"
#include "cond.h"

/* Lifetime rank, for association rules (spec §6.4): an object may only
 * reference objects of equal or longer lifetime. */
enum obj_life {
	LIFE_DYNAMIC = 0,
	LIFE_STATIC = 1,
	LIFE_PERSISTENT = 2,
	LIFE_BUILTIN = 3
};

enum obj_kind {
	OBJ_PROVIDER,
	OBJ_SUBLAYER,
	OBJ_CALLOUT,
	OBJ_FILTER,
	OBJ_KIND_MAX
};

/* Header shared by every management object; always the first member. */
struct obj_hdr {
	enum obj_kind kind;          /* [I] */
	struct obj_hdr *next;        /* [T] engine list (not filters) */
	struct wfp_guid key;         /* [I] */
	char *name;                  /* [I] */
	char *desc;                  /* [I] may be NULL */
	uint32_t flags;              /* [I] */
	enum obj_life life;          /* [I] */
	struct wfp_session *owner;   /* [I] dynamic objects: their session */
	unsigned refs;               /* [T] objects referencing this one */
	bool live;                   /* [T] false while deleted in an open txn */
};

struct provider_obj {
	struct obj_hdr h;
	char *service_name;
};

struct sublayer_obj {
	struct obj_hdr h;
	struct provider_obj *provider; /* [I] may be NULL */
	uint16_t weight;               /* [I] effective (unique) weight */
};

/* Code registered for a callout key; lives until the engine closes, so
 * compiled filters may point at it and see registration changes at once. */
struct callout_reg {
	struct wfp_guid key;
	struct wfp_callout_ops ops;
	void *ctx;
	bool registered;
	struct callout_reg *next;
};

struct callout_obj {
	struct obj_hdr h;
	struct provider_obj *provider;
	uint16_t layer;
	uint32_t id;
	struct callout_reg *reg;       /* [I] never NULL */
};

struct filter_obj {
	struct obj_hdr h;
	uint64_t id;                   /* [I] */
	uint16_t layer;                /* [I] */
	struct provider_obj *provider; /* [I] */
	struct sublayer_obj *sublayer; /* [I] */
	struct wfp_value weight;       /* [I] as given */
	uint64_t eff_weight;           /* [I] */
	uint32_t ncond;                /* [I] */
	struct wfp_filter_cond *cond;  /* [I] deep copies */
	struct wfp_action action;      /* [I] */
	struct callout_obj *callout;   /* [I] callout actions only */
	uint64_t raw_context;          /* [I] */
	uint64_t hits, bytes;          /* counters.c, relaxed atomics */
	/* [T] indexes */
	struct filter_obj *id_next;
	struct filter_obj *key_next;
	struct filter_obj *layer_prev, *layer_next;
};

/* ---- compiled layers (compile.c, classify.c) ---- */

struct cfilter {
	uint64_t id;
	uint64_t weight;
	uint32_t action;      /* static action or callout action type */
	uint32_t flags;       /* WFP_FILTER_F_* */
	uint32_t cond_first;  /* index into clayer.cond; sorted by field */
	uint32_t ncond;
	const struct callout_reg *reg; /* callout actions */
	uint64_t context;
};

struct csub {
	struct wfp_guid key;
	uint16_t weight;
	uint32_t first;  /* index into clayer.filt */
	uint32_t count;
};

struct ctree; /* classify_tree.h: the multi-field index */

/* One layer's published policy; immutable once published. */
struct clayer {
	uint16_t layer;
	uint32_t nsub;
	uint32_t nfilt;
	uint32_t ncond;
	struct csub *sub;       /* descending weight */
	struct cfilter *filt;   /* per sublayer: weight desc, id asc */
	struct wfp_ccond *cond;
	struct ctree *tree;     /* NULL: nothing to index */
};

struct clayer *wfp_clayer_build(const struct wfp_engine *e, unsigned layer, int *err);
void wfp_clayer_free(struct clayer *cl);

/* ---- transactions ---- */

/* What a transaction did to one object, so that it can be undone. */
struct undo {
	bool add;             /* added (else deleted) */
	struct obj_hdr *obj;
};

/* Per-kind operations, used by the generic add/delete/undo/reap code. */
struct obj_ops {
	int not_found;        /* -WFP_E_<kind>_NOT_FOUND */
	uint32_t object;      /* WFP_OBJECT_* of change notifications */
	void (*unlink)(struct wfp_engine *e, struct obj_hdr *h);
	void (*relink)(struct wfp_engine *e, struct obj_hdr *h);
	void (*destroy)(struct obj_hdr *h);
};

extern const struct obj_ops wfp_obj_ops[OBJ_KIND_MAX];

struct txn {
	struct wfp_session *s;
	uint32_t flags;        /* WFP_TXN_READ_ONLY */
	bool implicit;
	unsigned depth;        /* nested implicit entries (session purge) */
	struct undo *log;
	size_t nlog, caplog;
	uint64_t dirty[(WFP_LAYER_MAX + 63) / 64]; /* layers whose filters changed */
};

struct wfp_session {
	struct wfp_engine *e;
	struct wfp_guid key;
	char *name;
	uint32_t flags;
	struct txn *txn;            /* open explicit transaction, or NULL */
	bool zombie;                /* closed, objects still to purge */
	struct wfp_session *next;
};

/* Filter hash indexes (by id and by key), chained, power-of-two buckets. */
struct findex {
	struct filter_obj **by_id;
	struct filter_obj **by_key;
	size_t nbuckets;
	size_t count;
};

/* Net event ring (netevent.c). */
struct ev_ring {
	struct wfp_netevent *ev;
	size_t cap;       /* entries; 0 until the first event */
	size_t head;      /* next slot to write */
	size_t count;
	uint64_t next_seq;
	bool collect;
	uint32_t keywords;
	size_t want_cap;
};

struct ev_sub {
	int id;
	wfp_netevent_fn fn;
	void *ctx;
	struct ev_sub *next;
};

struct change_sub {
	int id;
	struct wfp_session *s;
	uint32_t object;
	uint32_t flags;
	wfp_change_fn fn;
	void *ctx;
	struct change_sub *next;
};

struct wfp_engine {
	struct wfp_session *sessions;
	struct txn *wtxn;           /* the write transaction in progress */
	struct obj_hdr *providers;  /* lists of struct provider_obj, ... */
	struct obj_hdr *sublayers;
	struct obj_hdr *callouts;
	struct callout_reg *regs;
	struct findex fidx;
	struct filter_obj *layer_head[WFP_LAYER_MAX];
	uint32_t layer_nfilt[WFP_LAYER_MAX];
	uint64_t next_filter_id;
	uint32_t next_callout_id;
	uint64_t generation;                   /* [P] */
	uint64_t layer_gen[WFP_LAYER_MAX];     /* [P] */
	struct clayer *published[WFP_LAYER_MAX]; /* [P] NULL: no filters */
	/* diagnostics */
	struct ev_ring ring;
	struct ev_sub *ev_subs;
	struct change_sub *change_subs;
	int next_sub_id;
	struct wfp_layer_stats stats[WFP_LAYER_MAX];
	/* persistence (store.c) */
	char *store_path;
	bool store_loading;
	bool closing;               /* wfp_engine_close() in progress */
	bool reaping;               /* reap_zombies() in progress */
};

/* engine.c: transaction plumbing used by every object file. */
int wfp_txn_enter(struct wfp_session *s, bool write, struct txn **out);
int wfp_txn_leave(struct wfp_session *s, struct txn *t, int ret);
int wfp_txn_log(struct txn *t, bool add, struct obj_hdr *h);
void wfp_txn_dirty(struct txn *t, unsigned layer);
int wfp_hdr_init(struct obj_hdr *h, enum obj_kind kind, struct wfp_session *s,
		 const struct wfp_guid *key, const struct wfp_display *d, uint32_t flags,
		 enum obj_life life);
void wfp_hdr_fini(struct obj_hdr *h);
/* May session s delete an object with header h? (spec §6.6) */
int wfp_hdr_may_delete(const struct wfp_session *s, const struct obj_hdr *h);
/* May an object of lifetime life owned by s reference h? (spec §6.4) */
int wfp_hdr_may_link(enum obj_life life, const struct wfp_session *s,
		     const struct obj_hdr *h);
/* The lifetime an object gets from its PERSISTENT flag and its session. */
enum obj_life wfp_life_of(const struct wfp_session *s, bool persistent);
void wfp_guid_generate(struct wfp_guid *g);

/* object.c: what providers, sublayers and callouts have in common. */
struct obj_hdr *wfp_objlist_find(struct obj_hdr *head, const struct wfp_guid *k);
void wfp_objlist_remove(struct obj_hdr **head, struct obj_hdr *h);
void wfp_objlist_push(struct obj_hdr **head, struct obj_hdr *h);
/* Logs the new object in t and links it, or destroys it on failure. */
int wfp_obj_insert(struct wfp_engine *e, struct txn *t, struct obj_hdr *h);
/* Deletes h (NULL: not found) through s, in s's transaction. */
int wfp_obj_delete(struct wfp_session *s, enum obj_kind kind, struct obj_hdr *h);
/* Builds a new object from caller input (validation included). */
typedef int (*obj_new_fn)(struct wfp_session *s, const void *in, struct obj_hdr **out);
/* Copies an object out for get/enum; NULL when out of memory. */
typedef void *(*obj_copy_fn)(const struct obj_hdr *h);
/* The skeleton of every *_add: build, log, link, in s's transaction.
 * *out (may be NULL) receives the new object, which outlives the call. */
int wfp_obj_add(struct wfp_session *s, obj_new_fn build, const void *in,
		struct obj_hdr **out);
/* The skeleton of every *_get: find by key, copy out. */
int wfp_obj_get(struct wfp_session *s, enum obj_kind kind, const struct wfp_guid *key,
		obj_copy_fn copy, void **out);
/* Resolves an optional provider key for an object of lifetime life. */
int wfp_obj_provider(struct wfp_session *s, const struct wfp_guid *key, enum obj_life life,
		     struct provider_obj **out);
/* Copies display data out (get/enum); 0 or -WFP_E_NOMEM. */
int wfp_display_dup(struct wfp_display *out, const struct obj_hdr *h);
void wfp_display_free(struct wfp_display *d);

/* Object lookups (live objects only). */
struct provider_obj *wfp_provider_find(const struct wfp_engine *e, const struct wfp_guid *k);
struct sublayer_obj *wfp_sublayer_find(const struct wfp_engine *e, const struct wfp_guid *k);
struct callout_obj *wfp_callout_find(const struct wfp_engine *e, const struct wfp_guid *k);
struct callout_reg *wfp_callout_reg_get(struct wfp_engine *e, const struct wfp_guid *k);
struct filter_obj *wfp_filter_find_id(const struct wfp_engine *e, uint64_t id);
struct filter_obj *wfp_filter_find_key(const struct wfp_engine *e, const struct wfp_guid *k);

/* Per-kind hooks behind wfp_obj_ops (object files). */
void wfp_provider_unlink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_provider_relink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_provider_destroy(struct obj_hdr *h);
void wfp_sublayer_unlink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_sublayer_relink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_sublayer_destroy(struct obj_hdr *h);
int wfp_sublayers_init_builtin(struct wfp_engine *e);
/* builtin_callouts.c: the built-in callouts (spec Appendix A). */
int wfp_builtin_callouts_init(struct wfp_engine *e);
void wfp_callout_unlink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_callout_relink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_callout_destroy(struct obj_hdr *h);
void wfp_callout_regs_free(struct wfp_engine *e);
/* Calls the callout's flow_delete, if registered (stack model). */
void wfp_callout_flow_deleted(struct wfp_engine *e, const struct wfp_guid *key,
			      uint64_t flow_handle, uint64_t value);
void wfp_filter_unlink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_filter_relink(struct wfp_engine *e, struct obj_hdr *h);
void wfp_filter_destroy(struct obj_hdr *h);
void wfp_findex_free(struct findex *x);

/* Deletes every object owned by session s (dynamic session close). */
int wfp_session_purge(struct wfp_session *s);

/* Diagnostics (netevent.c) */
void wfp_netevent_init(struct wfp_engine *e);
void wfp_netevent_fini(struct wfp_engine *e);
/* Tell subscribers about the committed changes in t's log. */
void wfp_change_notify(struct wfp_engine *e, const struct txn *t);
void wfp_change_unsubscribe_session(struct wfp_session *s);

/* store.c */
bool wfp_txn_touches_persistent(const struct txn *t);

/* Auto weight (filter.c), documented in docs/internals/weights.md. */
uint64_t wfp_auto_weight(unsigned layer, const struct wfp_filter_cond *cond, uint32_t n);

#endif
