/* SPDX-License-Identifier: MIT */
/*
 * live.h - real packets of the host wfpd runs on through the stack model
 * (wfp_stack.h): live.c adapts NFQUEUE packets to one struct wfp_host in
 * inline observer mode, which runs WFP's layer sequences (spec §2) with
 * real ALE flow state (spec §3); what is specific to a real host -
 * conntrack, sockets, the kernel fast path, rejects - stays here.
 */
#ifndef WFPD_LIVE_H
#define WFPD_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

struct wfpd;
struct live;

/* enum ip_conntrack_info, as NFQA_CT_INFO carries it */
enum {
	LIVE_CT_ESTABLISHED = 0,
	LIVE_CT_RELATED = 1,
	LIVE_CT_NEW = 2,
	LIVE_CT_ESTABLISHED_REPLY = 3,
	LIVE_CT_RELATED_REPLY = 4
};

/* A packet as the backend hands it to the model. */
struct live_pkt {
	struct wfp_pkt p;
	bool outbound;     /* the output hook (locally sent) */
	bool forward;      /* the forward hook: neither from nor to us */
	uint32_t out_ifindex; /* forward: the output interface (ifindex: input) */
	bool has_ct;
	uint8_t ctinfo;    /* LIVE_CT_* */
	uint32_t pkt_mark;  /* skb mark as queued (NFQA_MARK) */
	bool sock_known;   /* inbound: the table looked up the socket */
	bool sock_found;   /* ... and a local socket would take the packet */
	bool has_uid;      /* the socket owner, outbound packets only */
	uint32_t uid, gid;
	uint32_t ifindex;  /* in- or output interface */
};

enum live_action {
	LIVE_ACCEPT = 0,
	LIVE_DROP,
	LIVE_REJECT        /* drop and make the local sender fail now */
};

struct live_verdict {
	enum live_action action;
	bool set_mark;     /* authorise the conntrack entry: kernel fast path */
	uint32_t mark;     /* packet mark to set (ACCEPT with set_mark, REJECT) */
};

struct live *live_new(struct wfpd *d);
void live_free(struct live *l);
void live_packet(struct live *l, const struct live_pkt *lp, struct live_verdict *v);
/* The policy changed: recompute which families may take the fast path;
 * flows notice their layer generation at their next packet. */
void live_policy_changed(struct live *l);
/* Bounded expiry of idle flows; call about once a second. */
void live_gc(struct live *l);
void live_flush_flows(struct live *l);
/* Flows in the table now (metrics). */
unsigned live_flow_count(const struct live *l);
/* Does the policy let new flows of this family skip the queue when eBPF
 * decides their ALE layer?  Only if no per-packet layer has a filter and
 * none sits at FLOW_ESTABLISHED (docs/wfpd.md "eBPF"; the caller also
 * requires that no monitor watches). */
bool live_kernel_path_ok(struct live *l, bool v6);
/* Has IPFORWARD_V4 (v6: _V6) no filter?  Then forwarded packets of the
 * family are accepted in the kernel without a look. */
bool live_forward_free(struct live *l, bool v6);
/* The ct mark value of the current epoch (owned bits only). */
uint32_t live_epoch_mark(const struct live *l);

/* For `show flows`: one callback per flow. */
struct live_flow_info {
	uint64_t id;
	uint8_t family, proto;
	bool inbound;
	const char *state;
	uint16_t auth_layer;
	struct wfp_addr laddr, raddr;
	uint16_t lport, rport;
	uint64_t age_ms, idle_ms, packets;
	bool fastpath;
	bool has_uid;
	uint32_t uid;
	int32_t pid;
	const char *app;
};
void live_flows_foreach(struct live *l, void (*fn)(const struct live_flow_info *fi, void *ctx),
			void *ctx);

/* sockdiag.c: who owns the socket a packet belongs to. */
struct sockinfo {
	bool found;
	uint8_t state;     /* TCP_* of the socket found */
	uint32_t uid;
	uint64_t inode;
	uint64_t cookie;   /* the socket cookie: eBPF's owner map key */
};
int sockdiag_open(void);
/* 0 (see si->found) or -errno; local/remote are our side / the peer. */
int sockdiag_lookup(int fd, int family, int proto, const struct wfp_addr *laddr,
		    uint16_t lport, const struct wfp_addr *raddr, uint16_t rport,
		    struct sockinfo *si);
/* The executable of a process holding socket inode; 0 or -ENOENT. */
int sockdiag_app(uint64_t inode, char *path, size_t len, int32_t *pid);

#endif
