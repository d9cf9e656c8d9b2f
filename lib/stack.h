/* SPDX-License-Identifier: MIT */
/*
 * stack.h - private structures of the stack model, shared by stack.c (host,
 * sockets, classification + trace), ale.c (flows, reauthorization) and the
 * protocol shims shim_tcp.c, shim_udp.c, shim_icmp.c.  Private to libwfp;
 * docs/internals/stack.md has the design.
 */
#ifndef WFP_STACK_INT_H
#define WFP_STACK_INT_H

#include <errno.h>
#include <stdbool.h>
#include <wfp/wfp.h>
#include <wfp/wfp_stack.h>

#include "flow.h"

enum {
	HOST_MAX_ADDRS = 8,
	HOST_GC_BUCKETS = 64, /* buckets visited per clock tick */
	SOCK_CHUNK = 64,
	FRAG_SLOTS = 64,     /* datagrams under reassembly at once */
	PORT_BUCKETS = 256,  /* bound-socket index by local port */
	NL_ADDR_UNSPECIFIED = 0,
	NL_ADDR_UNICAST = 1,
	NL_ADDR_MULTICAST = 3,
	NL_ADDR_BROADCAST = 4
};

struct sock {
	bool used;
	bool bound;
	bool has_rsrc;     /* went through RESOURCE_ASSIGNMENT: RELEASE at close */
	bool has_peer;     /* raddr/rport valid */
	bool accept_ready; /* a completed child not yet accept()ed */
	bool implicit;     /* observer: made for a real socket we never saw */
	bool endpoint;     /* TCP: had an AUTH indication or listened (§3.6) */
	bool indexed;      /* in the port index (bound, not an accepted child) */
	int32_t pnext;     /* next socket in its port bucket, -1 */
	uint8_t family;
	uint8_t proto;
	uint8_t state;     /* enum wfp_sock_state */
	int err;           /* pending error (-errno), e.g. -ECONNREFUSED */
	struct wfp_addr laddr; /* unspecified: any */
	uint16_t lport;
	uint16_t rport;
	struct wfp_addr raddr;
	int listener;      /* accepted children: the listener, else -1 */
	uint32_t lrefs;    /* flows naming this socket as their listener */
	struct wfp_flow *flow;  /* TCP: the connection's flow */
	struct wfp_flow *flows; /* UDP: its flows, via snext */
	char *app;         /* owned; NULL = unknown */
	bool has_user;
	uint32_t gid;
	struct wfp_token tok;
};

struct wfp_frags;

struct wfp_host {
	char *name;
	/* the layer table's slot -> field map, copied once: the classify
	 * wrapper reads it for every slot of every classification */
	int8_t field_of[WFP_LAYER_MAX][WFP_MAX_FIELDS_PER_LAYER];
	uint8_t nfields[WFP_LAYER_MAX];
	uint64_t full_gc_ms;  /* clock time of the last GC forced by a full table */
	int32_t port_head[PORT_BUCKETS]; /* bound sockets by local port */
	struct wfp_frags *frags;
	struct wfp_engine *engine;
	struct wfp_addr addrs[HOST_MAX_ADDRS];
	unsigned naddrs;
	struct sock **chunks; /* SOCK_CHUNK sockets each: stable addresses */
	unsigned nchunks;
	unsigned max_socks;
	struct wfp_flow_table *flows;
	uint32_t idle_ms;
	uint32_t tcp_idle_ms;
	uint16_t eph_lo, eph_hi;
	uint16_t eph_next[2];  /* [0] TCP, [1] UDP */
	uint16_t icmp_id_next;
	uint16_t icmp_seq;
	uint64_t now_ms;
	uint64_t seq;
	int last_sd;
	unsigned sock_hint;  /* no free socket below this index */
	uint32_t evict_scan; /* buckets looked at per eviction attempt */
	wfp_trace_fn trace;
	void *trace_ctx;
	wfp_pkt_out_fn out;
	void *out_ctx;
	uint32_t flags;    /* WFP_HOST_F_* */
	wfp_endpoint_fn resolve;
	void *resolve_ctx;
	struct wfp_host_stats st;
};

/* Everything the stack knows for one classification; stack_classify()
 * turns it into the layer's incoming values (spec §1.3, §1.4). */
struct cls {
	uint32_t event;
	uint8_t family;
	uint8_t proto;
	bool has_laddr, has_raddr, has_lport, has_rport, has_dir, has_emb;
	bool ale;          /* an ALE layer: reauth reason, package id */
	bool fwd;          /* IPFORWARD: laddr/raddr are source/destination */
	uint32_t in_if, out_if; /* IPFORWARD: interface indexes, 0 unknown */
	struct wfp_addr laddr, raddr;
	uint16_t lport, rport;
	uint32_t dir;
	uint32_t flags;    /* FWP_CONDITION_FLAG_* */
	uint32_t reauth;   /* FWP_CONDITION_REAUTHORIZE_REASON_* */
	const struct sock *owner; /* app / user, may be NULL */
	uint64_t flow_handle;
	uint32_t bytes;    /* for the filter byte counters */
	struct {
		uint8_t proto;
		struct wfp_addr raddr;
		uint16_t lport, rport;
	} emb;
};

/* ale.c: callouts' flow contexts die with the flow */
void ale_flow_contexts_release(struct wfp_host *h, struct wfp_flow *f);

/* stack.c */
struct sock *stack_sock(struct wfp_host *h, int sd);
/* The bound sockets (not accepted children) with local port `port`: start
 * with stack_port_first, follow sock->pnext; -1 ends.  Any proto/family. */
int stack_port_first(const struct wfp_host *h, uint16_t port);
void stack_port_link(struct wfp_host *h, int sd);
int stack_sock_new(struct wfp_host *h, int family, int proto, const struct sock *owner_of);
void stack_sock_release(struct wfp_host *h, int sd);
bool stack_blocked(const struct wfp_verdict *v);
/* Classifies at layer and traces; fills *v.  md: discard metadata or NULL. */
void stack_classify(struct wfp_host *h, unsigned layer, const struct cls *c,
		    const struct wfp_metadata *md, struct wfp_verdict *v);
/* Classifies at layer; on BLOCK re-indicates at the _DISCARD twin (GENERAL /
 * FIREWALL_POLICY / filter id) unless ABSORB, counts the drop.  0: permit,
 * -EACCES: blocked. */
int stack_check(struct wfp_host *h, unsigned layer, const struct cls *c);
/* Indication at a discard layer with a stack (not firewall) reason.
 * Returns true when a filter there blocked (stealth). */
bool stack_discard(struct wfp_host *h, unsigned layer, const struct cls *c,
		   uint32_t module, uint32_t reason);
/* The send path below the transport: OUTBOUND_TRANSPORT, OUTBOUND_IPPACKET,
 * then the output callback.  0 or -EACCES. */
int stack_ip_output(struct wfp_host *h, struct wfp_pkt *p, uint32_t event);
/* cls for a packet at the IP/transport layers, local = our side. */
void stack_cls_pkt(struct wfp_host *h, struct cls *c, const struct wfp_pkt *p,
		   bool inbound, uint32_t event);
int stack_local_addr_for(struct wfp_host *h, const struct wfp_addr *dst,
			 struct wfp_addr *out);
/* bind(): BIND_REDIRECT, RESOURCE_ASSIGNMENT; port 0: an ephemeral one. */
int stack_bind(struct wfp_host *h, int sd, const struct wfp_addr *addr, uint16_t port);
bool addr_unspec(const struct wfp_addr *a);
/* Neither TCP, UDP nor ICMP: a raw endpoint without ports (§2.2, §5.7). */
bool raw_proto(int proto);
static inline bool stack_observer(const struct wfp_host *h)
{
	return h->flags & WFP_HOST_F_OBSERVER;
}
/* Observer: a socket for a real endpoint (proto, laddr, lport) we never saw
 * created.  inbound: only if the endpoint callback says it exists (a TCP
 * one then listens).  Returns sd or a negative errno. */
int stack_implicit_sock(struct wfp_host *h, int family, int proto, const struct wfp_addr *laddr,
			uint16_t lport, bool inbound);
/* INLINE observer: is the real socket behind implicit socket sd (found for
 * a new inbound flow) still there?  Asks the endpoint callback, refreshes
 * the owner; if gone, closes sd.  Returns sd or -ECONNREFUSED.  Any other
 * socket / host: sd unchanged. */
int stack_implicit_check(struct wfp_host *h, int sd, const struct wfp_addr *laddr);
/* IS_LOOPBACK for a packet or flow between l (ours) and r. */
bool stack_loopback(const struct wfp_host *h, const struct wfp_addr *l,
		    const struct wfp_addr *r);
static inline bool stack_inline(const struct wfp_host *h)
{
	return (h->flags & (WFP_HOST_F_OBSERVER | WFP_HOST_F_INLINE)) ==
	       (WFP_HOST_F_OBSERVER | WFP_HOST_F_INLINE);
}
/* A packet the model itself would send: classified and emitted, unless the
 * host is an observer (the real stack's copy comes through wfp_host_send). */
int stack_respond(struct wfp_host *h, struct wfp_pkt *p, uint32_t event);
/* The layer of the family: v4layer itself or its _V6 sibling. */
unsigned lay(int family, unsigned v4layer);

/* frag.c: 1 and the reassembled packet in *out, 0 while incomplete,
 * -ENOBUFS when every slot is busy. */
struct wfp_frags *frag_table_new(void);
int frag_add(struct wfp_host *h, const struct wfp_pkt *p, struct wfp_pkt *out);

/* ale.c: flows and reauthorization */
void ale_key(struct wfp_flow_key *k, int family, int proto, const struct wfp_addr *l,
	     const struct wfp_addr *r, uint16_t lport, uint16_t rport, uint16_t id);
void ale_cls_addrs(const struct wfp_flow *f, struct wfp_addr *l, struct wfp_addr *r);
/* Lookup that treats an idle-expired non-TCP flow as absent (and frees it). */
struct wfp_flow *ale_lookup(struct wfp_host *h, const struct wfp_flow_key *k);
struct wfp_flow *ale_flow_new(struct wfp_host *h, const struct wfp_flow_key *k);
void ale_flow_free(struct wfp_host *h, struct wfp_flow *f);
/* cls of an ALE classification for flow f (addresses, ports, owner). */
void ale_cls(struct wfp_host *h, struct cls *c, const struct wfp_flow *f, uint32_t event);
/* First authorisation of f at AUTH_CONNECT (outbound) or AUTH_RECV_ACCEPT.
 * 0 or -EACCES (discard indicated). */
int ale_authorize(struct wfp_host *h, struct wfp_flow *f, bool outbound, uint32_t event,
		  uint8_t icmp_type, uint8_t icmp_code);
/* FLOW_ESTABLISHED for f. 0 or -EACCES. */
int ale_established(struct wfp_host *h, struct wfp_flow *f, uint32_t event);
/* Reauthorization if the authorising layer's generation moved (spec §3.3).
 * 0: continue; -EACCES: dropped, discard indicated, flow torn down. */
int ale_reauth(struct wfp_host *h, struct wfp_flow *f, uint32_t event);
void ale_expire(struct wfp_host *h, uint32_t nbuckets);
/* Observer stealth memory: a RST / ICMP error for key k must be refused. */
void ale_stealth_mark(struct wfp_host *h, const struct wfp_flow_key *k);
bool ale_stealth_take(struct wfp_host *h, const struct wfp_flow_key *k);

/* shims */
int tcp_input(struct wfp_host *h, const struct wfp_pkt *p);
int tcp_output(struct wfp_host *h, const struct wfp_pkt *p);
int udp_output(struct wfp_host *h, const struct wfp_pkt *p);
int icmp_output(struct wfp_host *h, const struct wfp_pkt *p);
int tcp_connect(struct wfp_host *h, int sd, const struct wfp_addr *dst, uint16_t port);
int tcp_send(struct wfp_host *h, int sd, uint32_t len);
int tcp_close(struct wfp_host *h, int sd);
void tcp_flow_gone(struct wfp_host *h, struct wfp_flow *f, int err);
int udp_input(struct wfp_host *h, const struct wfp_pkt *p);
int udp_sendto(struct wfp_host *h, int sd, const struct wfp_addr *dst, uint16_t port,
	       uint32_t len);
void udp_close(struct wfp_host *h, int sd);
int icmp_input(struct wfp_host *h, const struct wfp_pkt *p);
int icmp_echo(struct wfp_host *h, const struct wfp_addr *dst, uint16_t id);
/* The port unreachable for p (spec §2.2): OUTBOUND_ICMP_ERROR, then out. */
int icmp_send_unreach(struct wfp_host *h, const struct wfp_pkt *p);
bool icmp_is_error(int family, uint8_t type);
/* The flow key of a non-error ICMP message (sent: by us); false for an
 * error, which has no flow. */
bool icmp_flow_key(struct wfp_flow_key *k, const struct wfp_pkt *p, bool sent);
/* Observer: the handshake of f completes unseen (wfp_host_flow_offload). */
void tcp_offload(struct wfp_host *h, struct wfp_flow *f);

#endif
