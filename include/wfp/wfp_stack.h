/* SPDX-License-Identifier: MIT */
/*
 * wfp_stack.h - a model of one host's TCP/IP stack that consults the
 * filter engine at exactly the layers, in exactly the order, that WFP
 * documents (spec §2), with real ALE flow state (spec §3).
 *
 * A struct wfp_host owns: its engine (the policy; borrowed, not owned),
 * its addresses, its sockets, a bounded ALE flow table, an ephemeral port
 * allocator and a virtual clock.  Two kinds of input drive it:
 *
 *   - socket calls (wfp_sock_*), which return 0 / a descriptor, or a
 *     negative errno (-EACCES when ALE blocks, -ECONNREFUSED, -ENOBUFS
 *     when the flow table is full ...);
 *   - parsed packets (wfp_host_receive), which the host classifies on its
 *     receive path and answers (SYN-ACK, RST, ICMP errors, echo replies)
 *     through the output callback;
 *   - in observer mode (pcap replay, live daemon), the packets a real stack
 *     sends (wfp_host_send), classified on the send path; the host then
 *     generates nothing itself.
 *
 * Every classification is reported to the trace callback as one struct
 * wfp_trace_rec.  The sim (wfp_sim.h), the pcap replay tool and the
 * daemon are all clients of this interface.  docs/internals/stack.md has
 * the design, docs/internals/flow.md the flow table.
 */
#ifndef WFP_STACK_H
#define WFP_STACK_H

#include <wfp/wfp_types.h>
#include <wfp/wfp_mgmt.h>
#include <wfp/wfp_classify.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wfp_host;
struct wfp_sock_owner;

enum {
	WFP_AF_INET = 4,
	WFP_AF_INET6 = 6
};

enum {
	WFP_PROTO_ICMP = 1,
	WFP_PROTO_TCP = 6,
	WFP_PROTO_UDP = 17,
	WFP_PROTO_ICMPV6 = 58
};

/* An IP address.  IPv4 in host order (as WFP's incoming values carry it,
 * spec §1.4), IPv6 as the 16 raw bytes.  All-zero = unspecified. */
struct wfp_addr {
	uint8_t family; /* WFP_AF_INET / WFP_AF_INET6 */
	uint8_t pad[3];
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

/* "10.0.0.1" / "fd00::1" -> addr; 0 or -WFP_E_PARSE. */
WFP_API int wfp_addr_parse(const char *s, struct wfp_addr *out);
/* Text form; buf needs 46 bytes.  Returns buf. */
WFP_API char *wfp_addr_format(const struct wfp_addr *a, char *buf, size_t len);
WFP_API int wfp_addr_eq(const struct wfp_addr *a, const struct wfp_addr *b);

/* TCP header flags */
enum {
	WFP_TCP_FIN = 0x01,
	WFP_TCP_SYN = 0x02,
	WFP_TCP_RST = 0x04,
	WFP_TCP_PSH = 0x08,
	WFP_TCP_ACK = 0x10
};

enum {
	WFP_PKT_F_FRAGMENT = 0x1,    /* a fragment (offset != 0 or MF set) */
	WFP_PKT_F_MORE_FRAGS = 0x2,  /* MF bit */
	WFP_PKT_F_LOOPBACK = 0x4,    /* sent by the receiving host itself */
	WFP_PKT_F_EMBEDDED = 0x8     /* emb is valid (ICMP errors) */
};

/* The header of the packet an ICMP error quotes. */
struct wfp_pkt_embedded {
	uint8_t proto;
	uint8_t pad;
	uint16_t sport, dport; /* host order */
	struct wfp_addr src, dst;
};

/*
 * A parsed IP packet: everything the stack model and the classification
 * need, nothing else (pkt.c fills it from raw bytes).  For ICMP, sport /
 * dport are unused and icmp_* carry the header.
 */
struct wfp_pkt {
	uint8_t family;    /* WFP_AF_INET / WFP_AF_INET6 */
	uint8_t proto;     /* IANA protocol number */
	uint8_t tcp_flags; /* WFP_TCP_* */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t pad;
	uint16_t icmp_id;
	uint16_t icmp_seq;
	uint16_t frag_off;    /* fragments: offset in 8-byte units */
	uint32_t flags;       /* WFP_PKT_F_* */
	uint16_t sport, dport; /* host order */
	uint32_t payload_len; /* transport payload bytes */
	struct wfp_addr src, dst;
	struct wfp_pkt_embedded emb; /* WFP_PKT_F_EMBEDDED */
	uint32_t ip_id;       /* IPv4 identification / IPv6 fragment id */
	uint8_t hop_limit;    /* TTL / hop limit */
	uint8_t pad2;
	/* fragments: bytes of IP payload this fragment carries.  The first
	 * fragment (offset 0) also has the transport header fields and, in
	 * payload_len, the transport payload bytes it carries. */
	uint16_t frag_len;
};

/* What made the stack classify (the trace's "event" column). */
enum wfp_stack_event {
	WFP_EV_BIND = 0,
	WFP_EV_LISTEN,
	WFP_EV_CONNECT,
	WFP_EV_ACCEPT,
	WFP_EV_SYN,
	WFP_EV_SYN_ACK,
	WFP_EV_ACK,
	WFP_EV_DATA,
	WFP_EV_FIN,
	WFP_EV_RST,
	WFP_EV_DATAGRAM,
	WFP_EV_ICMP_ECHO,
	WFP_EV_ICMP_REPLY,
	WFP_EV_ICMP_ERROR,
	WFP_EV_ICMP,     /* any other ICMP message */
	WFP_EV_CLOSE,
	WFP_EV_PACKET,   /* a packet the model cannot name further */
	WFP_EV_MAX
};

/* "bind", "SYN-ACK", "icmp-error" ...; "?" out of range. */
WFP_API const char *wfp_stack_event_name(unsigned ev);

enum {
	WFP_TRACE_F_REAUTH = 0x1,   /* FLAGS had IS_REAUTHORIZE */
	WFP_TRACE_F_DISCARD = 0x2,  /* a _DISCARD layer: md has the reason */
	WFP_TRACE_F_ABSORB = 0x4,   /* BLOCK with ABSORB: silent drop */
	WFP_TRACE_F_LOOPBACK = 0x8, /* FLAGS had IS_LOOPBACK */
	WFP_TRACE_F_FRAGMENT = 0x10,   /* FLAGS had IS_FRAGMENT */
	WFP_TRACE_F_REASSEMBLED = 0x20 /* FLAGS had IS_REASSEMBLED */
};

/* One classification, as the trace callback sees it.  Pointers are valid
 * during the callback only. */
struct wfp_trace_rec {
	const struct wfp_host *host;
	const char *host_name;
	uint64_t seq;      /* per host, from 1 */
	uint32_t event;    /* enum wfp_stack_event */
	uint16_t layer;    /* enum wfp_layer_id */
	uint32_t flags;    /* WFP_TRACE_F_* */
	uint32_t reauth_reason; /* WFP_REAUTH_* when REAUTH */
	struct wfp_verdict verdict;
	const struct wfp_metadata *md;  /* discard module/reason/filter */
	const struct wfp_incoming *in;  /* the incoming values */
};

typedef void (*wfp_trace_fn)(const struct wfp_trace_rec *r, void *ctx);
/* The host hands a packet it sends to the network.  p is valid during the
 * call only; the callee copies what it keeps and must not re-enter the
 * sending host (queue the packet instead). */
typedef void (*wfp_pkt_out_fn)(struct wfp_host *h, const struct wfp_pkt *p, void *ctx);

/* Why the stack dropped something (counted per host). */
enum wfp_drop_reason {
	WFP_DROP_NONE = 0,
	WFP_DROP_FILTER,        /* a filter blocked it */
	WFP_DROP_REAUTH,        /* a reauthorization blocked it (flow torn down) */
	WFP_DROP_NO_ENDPOINT,   /* no socket: RST / port unreachable */
	WFP_DROP_STEALTH,       /* RST / ICMP error suppressed by a discard-layer block */
	WFP_DROP_FLOW_LIMIT,    /* the flow table was full */
	WFP_DROP_SOCK_LIMIT,    /* the socket table was full */
	WFP_DROP_NOT_LOCAL,     /* destination is not one of our addresses */
	WFP_DROP_MALFORMED,     /* inconsistent wfp_pkt */
	WFP_DROP_FRAGMENT,      /* every reassembly slot was busy */
	WFP_DROP_STATE,         /* a TCP segment that fits no state */
	WFP_DROP_MAX
};
WFP_API const char *wfp_drop_reason_name(unsigned r);

struct wfp_host_stats {
	uint64_t classifications;
	uint64_t drops[WFP_DROP_MAX];
	uint32_t flows;       /* live flows */
	uint32_t flows_peak;
	uint32_t flows_max;   /* the hard limit */
	uint64_t flows_created;
	uint64_t flows_expired;
	uint64_t reauths;     /* reauthorization classifications */
	uint32_t sockets;
	uint64_t flows_evicted; /* offloaded / closing flows forgotten to make room */
};

enum {
	/* Hash the flow table with hash_key rather than a random key. */
	WFP_HOST_F_FIXED_KEY = 0x1,
	/*
	 * Observer mode, for the pcap replay tool and the live daemon: a real
	 * stack (or a capture) does the talking.  The host never generates
	 * packets (SYN-ACK, ACK, RST, ICMP errors, echo replies); the real
	 * ones arrive through wfp_host_send() and are classified there.
	 * Local endpoints the host has no socket for are asked of the
	 * endpoint callback and then exist as implicit sockets.  A stealth
	 * decision (a block at INBOUND_TRANSPORT_DISCARD or
	 * INBOUND_IPPACKET_DISCARD) is remembered so that the real stack's
	 * RST / port unreachable is refused when it is sent.
	 */
	WFP_HOST_F_OBSERVER = 0x2,
	/*
	 * Every address is local (a daemon in a real host's input/output
	 * hooks: the real stack already decided the packet is ours; the
	 * address list stays empty).  IS_LOOPBACK then means: the packet's
	 * WFP_PKT_F_LOOPBACK, a loopback remote address, or local == remote.
	 */
	WFP_HOST_F_ALL_LOCAL = 0x4,
	/*
	 * Observer in the packet path (with WFP_HOST_F_OBSERVER): the caller
	 * enforces every verdict on the packet itself.  A stealth decision
	 * makes wfp_host_receive() return -EACCES (drop the packet: the real
	 * stack never sees it, so it never answers) instead of being
	 * remembered; and since real sockets come and go unseen, the endpoint
	 * callback is asked again for every new inbound flow even when an
	 * implicit socket exists (an answer of "none" closes it).
	 */
	WFP_HOST_F_INLINE = 0x8
};

struct wfp_host_opts {
	size_t sz;            /* sizeof(struct wfp_host_opts) */
	const char *name;     /* copied; for traces */
	uint32_t max_flows;   /* 0: 65536; rounded up to a power of two buckets */
	uint32_t max_sockets; /* 0: 4096 */
	uint32_t idle_timeout_ms; /* UDP/ICMP (and half-open TCP) flows; 0: 60000 */
	uint16_t eph_lo, eph_hi;  /* ephemeral ports; 0: 49152..65535 */
	uint32_t flags;       /* WFP_HOST_F_* */
	uint8_t hash_key[16];
	/* established TCP flows idle this long expire; 0: never (they live
	 * as long as the connection - a daemon should set one) */
	uint32_t tcp_idle_timeout_ms;
};

/* A new host classifying against engine e (borrowed: it must outlive the
 * host).  NULL opts: defaults; fields past opts->sz count as 0 (an older
 * caller's smaller struct is fine).  NULL with errno on failure. */
WFP_API struct wfp_host *wfp_host_new(struct wfp_engine *e, const struct wfp_host_opts *opts);
/* Frees sockets and flows; no classification happens.  NULL is fine. */
WFP_API void wfp_host_free(struct wfp_host *h);
WFP_API const char *wfp_host_name(const struct wfp_host *h);
WFP_API struct wfp_engine *wfp_host_engine(const struct wfp_host *h);
/* Adds a local address (at most 8).  127.0.0.1 and ::1 are always local. */
WFP_API int wfp_host_add_addr(struct wfp_host *h, const struct wfp_addr *a);
/* The first address of the family, or NULL. */
WFP_API const struct wfp_addr *wfp_host_addr(const struct wfp_host *h, int family);
WFP_API int wfp_host_is_local(const struct wfp_host *h, const struct wfp_addr *a);
WFP_API void wfp_host_set_trace(struct wfp_host *h, wfp_trace_fn fn, void *ctx);
WFP_API void wfp_host_set_output(struct wfp_host *h, wfp_pkt_out_fn fn, void *ctx);
/* Virtual clock in milliseconds; it never goes back.  Advancing it
 * expires idle flows (bounded work per call, see flow.md). */
WFP_API void wfp_host_set_time(struct wfp_host *h, uint64_t now_ms);
WFP_API uint64_t wfp_host_time(const struct wfp_host *h);
WFP_API const struct wfp_host_stats *wfp_host_stats(const struct wfp_host *h);

/* A packet arrives at the host: the receive path of spec §2.  Returns 0
 * when the packet was delivered or answered, -EINPROGRESS for a fragment
 * held for reassembly (spec §2.5; only fragments with frag_len set can be
 * reassembled), or a negative errno saying why it was dropped (-EACCES: a
 * filter; -ENOBUFS: flow table or reassembly slots full; -ECONNREFUSED: no
 * endpoint; -EINVAL: malformed); see also the stats. */
WFP_API int wfp_host_receive(struct wfp_host *h, const struct wfp_pkt *p);

/*
 * A packet the host's own stack sends (observer mode; also usable
 * otherwise): classified on the send path of spec §2 as if the socket call
 * behind it had been made - a SYN without a flow runs CONNECT_REDIRECT and
 * AUTH_CONNECT, the first datagram to a peer AUTH_CONNECT and
 * FLOW_ESTABLISHED, data STREAM, every packet OUTBOUND_TRANSPORT and
 * OUTBOUND_IPPACKET, an ICMP error OUTBOUND_ICMP_ERROR first.  Returns 0
 * to send it, -EACCES when a filter (or a remembered stealth decision)
 * drops it, another -errno when the model refuses it.
 */
WFP_API int wfp_host_send(struct wfp_host *h, const struct wfp_pkt *p);

/*
 * A packet the host forwards, neither from nor to one of its addresses
 * (spec §8.3): classified at IPFORWARD_V4/V6 only - no ALE, no transport
 * layer, no flow - with IP_SOURCE/DESTINATION_ADDRESS, the destination
 * address type, FLAGS and the arrival / forwarding interface indexes
 * in_if, out_if (SOURCE/DESTINATION_INTERFACE_INDEX; 0: unknown, EMPTY).
 * A block re-indicates at IPFORWARD_V*_DISCARD and is a net event with
 * direction FORWARD.  0: forward it; -EACCES: a filter dropped it;
 * -EINVAL: malformed.
 */
WFP_API int wfp_host_forward(struct wfp_host *h, const struct wfp_pkt *p, uint32_t in_if,
			     uint32_t out_if);

/*
 * Who owns local endpoint (proto, laddr, lport)?  Return 1 and fill owner
 * (app may point to storage that lives until the next call) if a socket
 * listens or is bound there, 0 if none.  Asked in observer mode when the
 * host's own socket table has no answer.
 */
typedef int (*wfp_endpoint_fn)(struct wfp_host *h, int proto, const struct wfp_addr *laddr,
			       uint16_t lport, struct wfp_sock_owner *owner, void *ctx);
WFP_API void wfp_host_set_endpoint_lookup(struct wfp_host *h, wfp_endpoint_fn fn, void *ctx);

/* ---- flows, for observers (docs/internals/stack.md "Observer mode") ---- */

enum wfp_flow_info_state {
	WFP_FLOW_INFO_OPEN = 1,    /* non-TCP: authorised */
	WFP_FLOW_INFO_SYN_SENT,
	WFP_FLOW_INFO_SYN_RCVD,
	WFP_FLOW_INFO_ESTABLISHED,
	WFP_FLOW_INFO_CLOSING      /* TCP: a FIN has passed */
};

/* One ALE flow as an observer sees it.  Pointers are valid until the next
 * call into the host. */
struct wfp_flow_info {
	uint64_t handle;      /* FLOW_HANDLE metadata */
	uint8_t family, proto;
	uint8_t state;        /* enum wfp_flow_info_state */
	uint8_t inbound;      /* opened by the peer (authorised at RECV_ACCEPT) */
	uint8_t offloaded;    /* wfp_host_flow_offload() */
	uint8_t has_user;
	uint16_t auth_layer;  /* ALE_AUTH_CONNECT_* / ALE_AUTH_RECV_ACCEPT_* */
	struct wfp_addr laddr, raddr;
	uint16_t lport, rport; /* ICMP: type and code of the opening message */
	uint16_t icmp_id;
	uint32_t uid;
	const char *app;      /* the owner's path, NULL: unknown */
	uint64_t created_ms, last_ms; /* host clock */
	uint64_t packets;     /* packets (and socket calls) seen on the flow */
};

/*
 * The flow packet p belongs to; sent: p is a packet the host sends (else
 * one it receives).  0 and *fi filled (fi may be NULL), -ENOENT when there
 * is none (ICMP errors never have one).
 */
WFP_API int wfp_host_flow_find(struct wfp_host *h, const struct wfp_pkt *p, int sent,
			       struct wfp_flow_info *fi);

/*
 * The caller takes p's flow off the host's packet path (a kernel fast
 * path): its next packets may never be seen.  A TCP flow still in its
 * handshake is taken as established without a FLOW_ESTABLISHED indication
 * (the caller does this only when nothing could observe the difference).
 * When the flow table is full, offloaded flows (and closing TCP flows) are
 * forgotten first to make room (stats flows_evicted); a forgotten flow that
 * comes back is seeded again (below).  0 or -ENOENT.
 */
WFP_API int wfp_host_flow_offload(struct wfp_host *h, const struct wfp_pkt *p, int sent);

/*
 * A connection that existed before the host saw it (the observer started
 * later, or forgot the flow): create p's flow as established (TCP) / open,
 * opened by the peer when peer_opened (authorised at AUTH_RECV_ACCEPT) or
 * by this host (AUTH_CONNECT), owned by what the endpoint callback says,
 * and due for reauthorization: the caller then hands p to
 * wfp_host_send/receive as usual, which reauthorizes the flow at that
 * layer with IS_REAUTHORIZE (spec §3.3) before p goes on.  No layer is
 * classified here.  0, -EEXIST (p has a flow), -ENOENT (an ICMP error has
 * no flow), -ENOBUFS (flow or socket table full), -EINVAL.
 */
WFP_API int wfp_host_flow_seed(struct wfp_host *h, const struct wfp_pkt *p, int sent,
			       int peer_opened);

typedef void (*wfp_flow_info_fn)(const struct wfp_flow_info *fi, void *ctx);
/* Calls fn for every flow (not for stealth markers); fn must not call
 * into the host. */
WFP_API void wfp_host_flow_foreach(struct wfp_host *h, wfp_flow_info_fn fn, void *ctx);

/* ---- sockets ---- */

/* The owner of a socket: what ALE_APP_ID and ALE_USER_ID report. */
struct wfp_sock_owner {
	const char *app;   /* path, NULL: unknown (EMPTY); copied */
	int has_user;
	uint32_t uid;
	uint32_t gid;
};

enum wfp_sock_state {
	WFP_SOCK_CLOSED = 0,
	WFP_SOCK_BOUND,
	WFP_SOCK_LISTEN,
	WFP_SOCK_SYN_SENT,
	WFP_SOCK_SYN_RCVD,
	WFP_SOCK_ESTABLISHED,
	WFP_SOCK_CLOSE_WAIT,  /* the peer sent FIN */
	WFP_SOCK_FIN_WAIT,    /* we sent FIN */
	WFP_SOCK_DEAD         /* reset, refused or torn down by reauth */
};

/* Every call returns a descriptor / 0, or a negative errno. */
WFP_API int wfp_sock_open(struct wfp_host *h, int family, int proto,
			  const struct wfp_sock_owner *owner);
/* addr NULL or unspecified: any address; port 0: an ephemeral port.
 * BIND_REDIRECT, RESOURCE_ASSIGNMENT (spec §2.1 steps 1-2). */
WFP_API int wfp_sock_bind(struct wfp_host *h, int sd, const struct wfp_addr *addr,
			  uint16_t port);
/* AUTH_LISTEN (step 3). */
WFP_API int wfp_sock_listen(struct wfp_host *h, int sd);
/* TCP: implicit bind, CONNECT_REDIRECT, AUTH_CONNECT, then the SYN is
 * sent; 0 means "in progress" (the handshake completes when the SYN-ACK
 * is received).  -EACCES: blocked, no SYN sent.  UDP: sets the default
 * peer only. */
WFP_API int wfp_sock_connect(struct wfp_host *h, int sd, const struct wfp_addr *dst,
			     uint16_t port);
/* A completed connection of a listener, or -EAGAIN. */
WFP_API int wfp_sock_accept(struct wfp_host *h, int sd);
/* TCP: len bytes as one segment.  UDP: one datagram to the default peer
 * (the connect()ed one or the last one seen).  Returns len or -errno. */
WFP_API int wfp_sock_send(struct wfp_host *h, int sd, uint32_t len);
/* UDP: one datagram; the first to a new peer runs the ALE layers. */
WFP_API int wfp_sock_sendto(struct wfp_host *h, int sd, const struct wfp_addr *dst,
			    uint16_t port, uint32_t len);
/* TCP: FIN if connected; ENDPOINT_CLOSURE, RESOURCE_RELEASE. */
WFP_API int wfp_sock_close(struct wfp_host *h, int sd);
WFP_API int wfp_sock_state(const struct wfp_host *h, int sd);
/* The socket's pending error (-ECONNREFUSED, -ECONNRESET, -ECONNABORTED
 * after a failed reauthorization ...), 0 if none, -EBADF. */
WFP_API int wfp_sock_error(const struct wfp_host *h, int sd);
/* Local / remote port of a socket, or -EBADF. */
WFP_API int wfp_sock_local_port(const struct wfp_host *h, int sd);
WFP_API int wfp_sock_remote_port(const struct wfp_host *h, int sd);
/* The most recent connection (connected, accepted, or a UDP socket's last
 * new flow), or -ENOTCONN. */
WFP_API int wfp_host_last_socket(const struct wfp_host *h);

/* An ICMP / ICMPv6 echo request from the host's ICMP module (no socket:
 * like Windows' IcmpSendEcho; spec §2.3).  id 0: the host's own echo id
 * (1), so that successive calls are one flow, like one ping run. */
WFP_API int wfp_host_icmp_echo(struct wfp_host *h, const struct wfp_addr *dst,
			       uint16_t id);

/*
 * FwpsFlowAssociateContext: a callout attaches value to the flow whose
 * handle it saw in the classification metadata (WFP_MD_FLOW_HANDLE).
 * When the flow is deleted (teardown, failed reauthorization, idle
 * timeout, host freed), the callout's flow_delete(ctx, handle, value) runs
 * if its code is registered.  One value per callout; associating again
 * replaces it.  -WFP_E_NOT_FOUND: no such flow; -WFP_E_LIMIT: already
 * WFP_FLOW_MAX_CONTEXTS callouts on this flow.
 */
WFP_API int wfp_flow_associate_context(struct wfp_host *h, uint64_t flow_handle,
				       const struct wfp_guid *callout, uint64_t value);
/* FwpsFlowRemoveContext: detach without calling flow_delete. */
WFP_API int wfp_flow_remove_context(struct wfp_host *h, uint64_t flow_handle,
				    const struct wfp_guid *callout);

#ifdef __cplusplus
}
#endif
#endif
