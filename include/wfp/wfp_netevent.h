/* SPDX-License-Identifier: MIT */
/*
 * wfp_netevent.h - diagnostics: net events, counters, change
 * notifications (spec §6.7, §7.1).
 *
 * Net events are what WFP's diagnostic log holds: one record per dropped
 * (and, opt-in, allowed) classification with the 5-tuple, the layer's
 * run-time id and the deciding filter's id, so that "why was this
 * dropped" has an answer naming the rule.  Whoever carries out verdicts
 * (the stack model, wfpd) reports them with wfp_netevent_report(); the
 * engine keeps the newest ones in a bounded ring and hands them to
 * subscribers as they arrive.
 */
#ifndef WFP_NETEVENT_H
#define WFP_NETEVENT_H

#include <wfp/wfp_mgmt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FWPM_NET_EVENT_TYPE (spec §7.1) plus libwfp's veto record. */
enum wfp_netevent_type {
	WFP_NET_EVENT_CLASSIFY_DROP = 3,
	WFP_NET_EVENT_CLASSIFY_ALLOW = 6,
	WFP_NET_EVENT_VETO = 0x100 /* audit 5153 "packet vetoed" */
};

/* FWPM_NET_EVENT_FLAG_*: which header members are valid. */
enum {
	WFP_NET_EVENT_F_IP_PROTOCOL_SET = 0x1,
	WFP_NET_EVENT_F_LOCAL_ADDR_SET = 0x2,
	WFP_NET_EVENT_F_REMOTE_ADDR_SET = 0x4,
	WFP_NET_EVENT_F_LOCAL_PORT_SET = 0x8,
	WFP_NET_EVENT_F_REMOTE_PORT_SET = 0x10,
	WFP_NET_EVENT_F_APP_ID_SET = 0x20,
	WFP_NET_EVENT_F_USER_ID_SET = 0x40,
	WFP_NET_EVENT_F_IP_VERSION_SET = 0x100,
	WFP_NET_EVENT_F_REAUTH_REASON_SET = 0x200
};

/* FWPM_NET_EVENT_KEYWORD_* (value of the match-any-keywords option). */
enum {
	WFP_NET_EVENT_KEYWORD_INBOUND_MCAST = 0x1,
	WFP_NET_EVENT_KEYWORD_INBOUND_BCAST = 0x2,
	WFP_NET_EVENT_KEYWORD_CLASSIFY_ALLOW = 0x10,
	WFP_NET_EVENT_KEYWORD_PORT_SCANNING_DROP = 0x20
};

/* msFwpDirection constants (spec §7.1) */
enum {
	WFP_MS_DIRECTION_IN = 0x3900,
	WFP_MS_DIRECTION_OUT = 0x3901,
	WFP_MS_DIRECTION_FORWARD = 0x3902
};

struct wfp_netevent {
	uint64_t seq;          /* set by the engine: 1, 2, 3, ... */
	uint64_t time_ns;      /* caller's clock (virtual in the simulator) */
	uint32_t type;         /* enum wfp_netevent_type */
	uint32_t flags;        /* WFP_NET_EVENT_F_* */
	uint32_t keywords;     /* WFP_NET_EVENT_KEYWORD_* that apply */
	uint8_t ip_version;    /* 4 or 6 */
	uint8_t ip_protocol;
	uint16_t layer_id;     /* run-time layer id, e.g. 44 */
	uint8_t local_addr[16];  /* IPv4: first 4 bytes, network order */
	uint8_t remote_addr[16];
	uint16_t local_port;
	uint16_t remote_port;
	uint32_t direction;    /* WFP_MS_DIRECTION_* */
	uint64_t filter_id;    /* deciding filter, 0 if none */
	uint32_t reauth_reason;
	uint32_t discard_module;
	uint32_t discard_reason;
	uint32_t uid;
	uint32_t pid;
	uint8_t is_loopback;
	char app_id[256];      /* UTF-8 executable path, "" if unknown */
};

/* Engine options (FWPM_ENGINE_OPTION subset). */
enum wfp_engine_option {
	WFP_OPTION_COLLECT_NET_EVENTS = 0,          /* 0/1, default 1 */
	WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS = 1, /* keyword mask, default 0 */
	WFP_OPTION_NET_EVENT_RING_SIZE = 100         /* entries, default 1024 */
};

WFP_API int wfp_engine_set_option(struct wfp_engine *e, enum wfp_engine_option opt,
				  uint64_t value);
WFP_API int wfp_engine_get_option(const struct wfp_engine *e, enum wfp_engine_option opt,
				  uint64_t *value);

/*
 * Report an event.  Drops are always kept (when collection is on); allows
 * only when the CLASSIFY_ALLOW keyword is enabled, as in WFP.  Returns 1
 * if recorded, 0 if filtered out, negative on error.
 */
WFP_API int wfp_netevent_report(struct wfp_engine *e, const struct wfp_netevent *ev);

/* Copy the recorded events with seq > since, oldest first, into a new
 * array (free with wfp_free_memory()).  FWP_E_NET_EVENTS_DISABLED while
 * collection is off. */
WFP_API int wfp_netevent_enum(const struct wfp_engine *e, uint64_t since,
			      struct wfp_netevent **out, size_t *n);

typedef void (*wfp_netevent_fn)(void *ctx, const struct wfp_netevent *ev);
/* Live delivery; returns a subscription id > 0 or a negative error. */
WFP_API int wfp_netevent_subscribe(struct wfp_engine *e, wfp_netevent_fn fn, void *ctx);
WFP_API int wfp_netevent_unsubscribe(struct wfp_engine *e, int id);

/* ---- counters ---- */

struct wfp_layer_stats {
	uint64_t permit;
	uint64_t block;
	uint64_t veto;
	uint64_t none; /* no filter decided */
};

/* Account one carried-out classification: per layer and, when a filter
 * decided, per filter (hits and bytes). */
WFP_API void wfp_counters_account(struct wfp_engine *e, unsigned layer,
				  const struct wfp_verdict *v, uint64_t bytes);
WFP_API int wfp_layer_stats_get(const struct wfp_engine *e, unsigned layer,
				struct wfp_layer_stats *out);
WFP_API int wfp_filter_counters_get(const struct wfp_engine *e, uint64_t filter_id,
				    uint64_t *hits, uint64_t *bytes);

/* ---- change notifications (spec §6.7) ---- */

enum wfp_change_type {
	WFP_CHANGE_ADD = 1,
	WFP_CHANGE_DELETE = 2
};

enum wfp_object_type {
	WFP_OBJECT_PROVIDER = 1,
	WFP_OBJECT_SUBLAYER = 2,
	WFP_OBJECT_CALLOUT = 3,
	WFP_OBJECT_FILTER = 4
};

enum {
	WFP_SUBSCRIBE_ON_ADD = 0x1,
	WFP_SUBSCRIBE_ON_DELETE = 0x2
};

struct wfp_change {
	uint32_t change;       /* enum wfp_change_type */
	uint32_t object;       /* enum wfp_object_type */
	struct wfp_guid key;
	uint64_t id;           /* filter id / callout id, 0 otherwise */
};

typedef void (*wfp_change_fn)(void *ctx, const struct wfp_change *c);

/*
 * Subscribe session s to committed changes of one object type.  As in
 * WFP, a subscriber is not told about changes made through its own
 * session.  Delivery happens after the commit that made the change.
 */
WFP_API int wfp_change_subscribe(struct wfp_session *s, uint32_t object, uint32_t flags,
				 wfp_change_fn fn, void *ctx);
WFP_API int wfp_change_unsubscribe(struct wfp_session *s, int id);

/* Frees arrays returned by libwfp's enumerations (FwpmFreeMemory0). */
WFP_API void wfp_free_memory(void *p);

#ifdef __cplusplus
}
#endif
#endif
