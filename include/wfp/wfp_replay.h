/* SPDX-License-Identifier: MIT */
/*
 * wfp_replay.h - replay a packet capture through a policy (docs/replay.md).
 *
 * Two objects:
 *
 *   struct wfp_capture  a streaming pcap / pcapng reader (libpcap), from a
 *                       file or from memory (the fuzzer);
 *   struct wfp_replay   one protected host (a stack model, wfp_stack.h,
 *                       classifying against a caller's engine) that takes
 *                       captured packets one at a time, decides for each
 *                       whether it is inbound or outbound of the host,
 *                       drives the stack model with it (socket calls
 *                       implied by the traffic for outbound packets, the
 *                       receive path for inbound ones) and reports one
 *                       struct wfp_replay_rec per packet.
 *
 * Memory is constant in the capture size: flows live in a table of
 * max_flows entries (idle ones expire, the least recently used one goes
 * when it is full).  An optional first pass (wfp_replay_learn) infers the
 * host's addresses and listening ports from the capture.
 */
#ifndef WFP_REPLAY_H
#define WFP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <wfp/wfp_stack.h>
#include <wfp/wfp_classify.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- capture reader ---- */

struct wfp_capture;

/* path "-" is stdin.  NULL on error with a message in err. */
WFP_API struct wfp_capture *wfp_capture_open(const char *path, char *err, size_t errlen);
/* A capture held in memory (copied); same contract. */
WFP_API struct wfp_capture *wfp_capture_open_mem(const void *buf, size_t len, char *err,
						 size_t errlen);
WFP_API void wfp_capture_close(struct wfp_capture *c);
/* The pcap link type (DLT_*). */
WFP_API int wfp_capture_linktype(const struct wfp_capture *c);
WFP_API int wfp_capture_snaplen(const struct wfp_capture *c);

struct wfp_capture_pkt {
	uint64_t ts_us;
	uint32_t caplen; /* bytes in data */
	uint32_t len;    /* bytes on the wire */
	const uint8_t *data; /* valid until the next call */
};

/* 1: *p holds the next packet; 0: end of capture; -WFP_E_PARSE: the file
 * is truncated or corrupt from here on (err says why). */
WFP_API int wfp_capture_next(struct wfp_capture *c, struct wfp_capture_pkt *p, char *err,
			     size_t errlen);

/* ---- replay ---- */

struct wfp_replay;

enum wfp_replay_dir {
	WFP_REPLAY_DIR_NONE = 0,
	WFP_REPLAY_DIR_IN,
	WFP_REPLAY_DIR_OUT
};

enum wfp_replay_verdict {
	WFP_RV_SKIP = 0, /* not replayed (malformed, not IP, not the host's) */
	WFP_RV_PERMIT,
	WFP_RV_BLOCK,    /* a filter (or the flow's blocking filter) */
	WFP_RV_DROP      /* the stack dropped it, not the policy */
};

enum wfp_replay_reason {
	WFP_RR_FILTER = 0,   /* classified: the layers decided */
	WFP_RR_NO_LISTENER,  /* no socket for it: RST / port unreachable */
	WFP_RR_STEALTH,      /* the host's RST / ICMP error the policy suppresses */
	WFP_RR_FLOW_BLOCKED, /* a later packet of a blocked flow */
	WFP_RR_FLOW,         /* a packet of a live flow the model does not
				classify (pure ACK, retransmission) */
	WFP_RR_REAUTH,       /* blocked by reauthorization: the flow is cut */
	WFP_RR_FRAGMENT,     /* a fragment: only the IP packet layer sees it */
	WFP_RR_TCP_STATE,    /* fits no TCP state of the model */
	WFP_RR_LIMIT,        /* flow or socket table full */
	WFP_RR_MALFORMED,
	WFP_RR_NOT_IP,
	WFP_RR_NOT_HOST,     /* neither address is the host's */
	WFP_RR_MAX
};

WFP_API const char *wfp_replay_verdict_name(unsigned v);
WFP_API const char *wfp_replay_reason_name(unsigned r);
WFP_API const char *wfp_replay_dir_name(unsigned d);

enum {
	WFP_REPLAY_MAX_LAYERS = 24,
	WFP_REPLAY_MAX_EXPLAIN = 24
};

/* One classification made for a packet. */
struct wfp_replay_layer {
	uint16_t layer;
	uint16_t pad;
	uint32_t event;   /* enum wfp_stack_event */
	uint32_t flags;   /* WFP_TRACE_F_* */
	struct wfp_verdict verdict;
};

/* The same with the full arbitration (--explain). */
struct wfp_replay_explain {
	struct wfp_replay_layer l;
	struct wfp_explain ex;
};

struct wfp_replay_rec {
	uint64_t num;        /* 1-based packet number */
	uint64_t ts_us;
	uint32_t caplen, len;
	int parse_err;       /* 0 or -WFP_PKT_E_* (wfp_pkt.h) */
	struct wfp_pkt pkt;  /* valid when !parse_err */
	uint8_t dir;         /* enum wfp_replay_dir */
	uint8_t verdict;     /* enum wfp_replay_verdict */
	uint8_t reason;      /* enum wfp_replay_reason */
	uint8_t response;    /* the model's own answer to an earlier packet */
	uint64_t flow_id;    /* 0: no flow */
	uint64_t filter_id;  /* the deciding filter, 0: none */
	uint16_t layer;      /* the deciding layer, valid when has_layer */
	uint16_t sublayer_weight;
	uint8_t has_layer;
	uint8_t policy_changed; /* the engine changed since the previous packet */
	unsigned nlayers;
	unsigned layers_dropped; /* classifications that did not fit */
	struct wfp_replay_layer layers[WFP_REPLAY_MAX_LAYERS];
	unsigned nexplain;   /* the explained packet only */
	const struct wfp_replay_explain *explain;
};

/* A flow's outcome, reported when it ends (idle, evicted, finished, or at
 * wfp_replay_finish). */
struct wfp_replay_flow {
	uint64_t id;
	uint64_t first_num, last_num;
	uint8_t family, proto;
	uint8_t dir;         /* who opened it: IN = the peer */
	uint8_t verdict;     /* enum wfp_replay_verdict of its authorization */
	uint8_t reason;
	uint8_t cut;         /* permitted, then blocked by a reauthorization */
	uint16_t layer;      /* the deciding layer */
	uint64_t filter_id;  /* the deciding filter, 0: none */
	uint64_t cut_filter_id;
	uint64_t cut_num;    /* the packet whose reauthorization cut it */
	struct wfp_addr laddr, raddr; /* host side, peer side */
	uint16_t lport, rport; /* ICMP: echo id and 0, or type and code */
	uint64_t pkts_permitted, pkts_blocked, bytes;
};

typedef void (*wfp_replay_flow_fn)(const struct wfp_replay_flow *f, void *ctx);

struct wfp_replay_opts {
	size_t sz;               /* sizeof(struct wfp_replay_opts) */
	const struct wfp_addr *hosts; /* the host's addresses; none: inferred */
	unsigned nhosts;
	uint32_t max_flows;      /* 0: 65536 */
	uint32_t idle_timeout_ms; /* UDP/ICMP flows, finished TCP; 0: 60000 */
};

/* A replay classifying against e (borrowed).  NULL with errno. */
WFP_API struct wfp_replay *wfp_replay_new(struct wfp_engine *e,
					  const struct wfp_replay_opts *opts);
WFP_API void wfp_replay_free(struct wfp_replay *r);

/* Pass 1 (optional): show every packet before replaying; learn_done then
 * picks the host addresses (unless given) and the listening ports.
 * learn_done returns 0 or -WFP_E_NOT_FOUND (no address could be chosen). */
WFP_API void wfp_replay_learn(struct wfp_replay *r, int linktype, const void *data,
			      size_t caplen);
WFP_API int wfp_replay_learn_done(struct wfp_replay *r);
/* The host's addresses (given or inferred); returns how many. */
WFP_API unsigned wfp_replay_hosts(const struct wfp_replay *r, struct wfp_addr *out,
				  unsigned max);

/* Fill rec->explain for packet num (0: none). */
WFP_API void wfp_replay_set_explain(struct wfp_replay *r, uint64_t num);
WFP_API void wfp_replay_set_flow_end(struct wfp_replay *r, wfp_replay_flow_fn fn,
				     void *ctx);

/* Pass 2: the next packet (numbered from 1 in call order).  rec is filled
 * completely; its explain pointer is valid until the next call.  0, or
 * -WFP_E_NOMEM-like errors that stop the replay (never for bad input). */
WFP_API int wfp_replay_packet(struct wfp_replay *r, int linktype, uint64_t ts_us,
			      const void *data, size_t caplen, size_t len,
			      struct wfp_replay_rec *rec);
/* Ends every live flow (flow-end callbacks in table order, the same for
 * two replays of one capture, whatever their policies). */
WFP_API void wfp_replay_finish(struct wfp_replay *r);
/* The stack model of the host (for its statistics). */
WFP_API const struct wfp_host *wfp_replay_host(const struct wfp_replay *r);

#ifdef __cplusplus
}
#endif
#endif
