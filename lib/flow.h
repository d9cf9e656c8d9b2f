/* SPDX-License-Identifier: MIT */
/*
 * flow.h - the ALE flow table: a keyed hash (SipHash-2-4, random key)
 * over a power-of-two bucket array, entries from a preallocated pool with
 * a hard limit.  A full pool is a counted event, never a crash.  Private
 * to libwfp; docs/internals/flow.md has the design.
 */
#ifndef WFP_FLOW_H
#define WFP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wfp/wfp_types.h>

/*
 * Flow key, from the owning host's point of view (local = this host).
 * TCP/UDP: the 5-tuple.  ICMP (non-error): lport/rport hold the ICMP type
 * and code of the message that opened the flow (the request type for echo
 * request/reply, so that both belong to one flow) and icmp_id the echo id
 * (spec §3.1).  Built with flow_key_init so that padding is zero.
 */
struct wfp_flow_key {
	uint8_t laddr[16]; /* IPv4: host-order u32 in the first 4 bytes */
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint16_t icmp_id;
	uint8_t family;
	uint8_t proto;
};

_Static_assert(sizeof(struct wfp_flow_key) == 40, "flow key must have no padding");

/* TCP states of a flow (what the TCB knows); UDP/ICMP flows stay OPEN. */
enum wfp_flow_state {
	WFP_FLOW_FREE = 0,
	WFP_FLOW_OPEN,      /* non-TCP: authorised */
	WFP_FLOW_SYN_SENT,
	WFP_FLOW_SYN_RCVD,
	WFP_FLOW_ESTABLISHED,
	WFP_FLOW_STEALTH    /* observer: a suppressed RST / ICMP error is due */
};

struct wfp_flow {
	struct wfp_flow_key key;
	struct wfp_flow *hnext;  /* bucket chain */
	struct wfp_flow *snext;  /* the owning socket's flows (UDP) */
	uint64_t handle;         /* unique, FLOW_HANDLE metadata */
	uint64_t auth_gen;       /* layer generation seen at (re)authorisation */
	uint64_t last_ms;        /* virtual time of the last packet */
	uint64_t created_ms;
	uint64_t packets;        /* packets / socket calls seen (wfp_flow_info) */
	uint16_t auth_layer;     /* ALE_AUTH_CONNECT_* or ALE_AUTH_RECV_ACCEPT_* */
	uint8_t state;           /* enum wfp_flow_state */
	uint8_t dir;             /* WFP_DIRECTION_* of the creating packet */
	uint8_t fin_sent;
	uint8_t fin_rcvd;
	uint8_t loopback;
	uint8_t offloaded;       /* wfp_host_flow_offload: evictable */
	int32_t sd;              /* owning socket, -1 none (closed) */
	int32_t listener;        /* TCP half-open: the listening socket */
	/* contexts callouts attached (wfp_flow_associate_context) */
	uint8_t nctx;
	struct {
		struct wfp_guid callout;
		uint64_t value;
	} ctx[WFP_FLOW_MAX_CONTEXTS];
};

struct wfp_flow_table;

/* The flow with this handle, or NULL: a scan of the pool, O(max); callouts
 * attach contexts once per flow, at its authorisation. */
struct wfp_flow *wfp_flow_by_handle(struct wfp_flow_table *t, uint64_t handle);

/* SipHash-2-4 of data under key (exposed for its test vectors). */
uint64_t wfp_siphash24(const void *data, size_t len, const uint8_t key[16]);

/**
 * wfp_flow_table_new - a table of at most max flows.
 * @max: hard limit (>= 1); the bucket count is the next power of two
 * @key: 16-byte SipHash key, NULL for a random one
 * Return: the table, or NULL (out of memory).
 */
struct wfp_flow_table *wfp_flow_table_new(uint32_t max, const uint8_t *key);
void wfp_flow_table_free(struct wfp_flow_table *t);

void wfp_flow_key_init(struct wfp_flow_key *k);
uint64_t wfp_flow_hash(const struct wfp_flow_table *t, const struct wfp_flow_key *k);

/* Lookup, never allocates. */
struct wfp_flow *wfp_flow_lookup(const struct wfp_flow_table *t, const struct wfp_flow_key *k);
/* A zeroed flow with the key, linked in; NULL when the pool is empty
 * (counted in wfp_flow_limit_hits) or the key exists. */
struct wfp_flow *wfp_flow_insert(struct wfp_flow_table *t, const struct wfp_flow_key *k);
void wfp_flow_remove(struct wfp_flow_table *t, struct wfp_flow *f);

uint32_t wfp_flow_count(const struct wfp_flow_table *t);
uint32_t wfp_flow_max(const struct wfp_flow_table *t);
uint32_t wfp_flow_peak(const struct wfp_flow_table *t);
uint64_t wfp_flow_limit_hits(const struct wfp_flow_table *t);

/* Visits at most nbuckets buckets from where the last call stopped and
 * calls fn on each flow (removal of that flow inside fn is allowed).
 * Returns the number of flows visited.  Bounded GC (STYLE §7). */
typedef void (*wfp_flow_visit_fn)(struct wfp_flow *f, void *ctx);
uint32_t wfp_flow_scan(struct wfp_flow_table *t, uint32_t nbuckets,
		       wfp_flow_visit_fn fn, void *ctx);
uint32_t wfp_flow_nbuckets(const struct wfp_flow_table *t);

#endif
