/* SPDX-License-Identifier: MIT */
/*
 * loader.h - load the ALE programs, attach them to a cgroup, publish
 * compiled policies and read their events.  This is the interface wfpd's
 * eBPF back end uses (docs/internals/ebpf.md "Daemon interface").
 */
#ifndef WFP_BPF_LOADER_H
#define WFP_BPF_LOADER_H

#include <stdbool.h>
#include <wfp/wfp.h>
#include <wfp/wfp_ebpf.h>

struct wfp_ebpf;

/* Which hooks are live; a missing one is named with its errno. */
struct wfp_ebpf_hooks {
	bool sock_addr;		/* bind/connect/sendmsg: cgroup sock_addr */
	bool lsm_cgroup;	/* listen and recv-accept: BPF LSM per cgroup */
	bool exec_path;		/* tp_btf exec/fork/exit: app paths */
	bool sk_lookup;		/* recv-accept per netns (attached) */
	bool skb_ingress;	/* recv-accept: cgroup_skb/ingress, silent drop */
	/* listen without the LSM: sockops classifies at listen() (which
	 * still succeeds) and skb_ingress drops every SYN to a blocked
	 * listener; never together with lsm_cgroup */
	bool listen_sockops;
	int lsm_err;		/* why lsm_cgroup is missing (-errno) */
	int exec_err;
	int skb_err;		/* why skb_ingress is missing (-errno) */
	int sockops_err;	/* why listen_sockops is off (-errno; 0: the LSM decides) */
};

/* Loads the programs; NULL with errno on failure, *why names the hook. */
struct wfp_ebpf *wfp_ebpf_open(const char **why);
/* Attaches the socket programs to the cgroup directory at path (with
 * cgroup_skb/ingress for ALE_AUTH_RECV_ACCEPT, unless missing, and the
 * sockops listen path where the LSM is missing and skb_ingress is live). */
int wfp_ebpf_attach(struct wfp_ebpf *b, const char *cgroup_path, const char **why);
/* Also decides ALE_AUTH_RECV_ACCEPT for the cgroup's bound sockets in
 * the network namespace at netns_path (e.g. /run/netns/NAME), with
 * sk_lookup (a block refuses); it stands by while skb_ingress is
 * attached, so a flow is never classified twice. */
int wfp_ebpf_attach_netns(struct wfp_ebpf *b, const char *netns_path, const char **why);
void wfp_ebpf_hooks(const struct wfp_ebpf *b, struct wfp_ebpf_hooks *h);
/* Compiles the engine's published ALE layers and swaps them in; the
 * same as wfp_ebpf_publish_strict(b, e, 0, st). */
int wfp_ebpf_publish(struct wfp_ebpf *b, const struct wfp_engine *e,
		     struct wfp_ebpf_stats *st);
/*
 * The same, with strict layers (bits of enum wfp_ale_klayer) for a
 * caller that lets those layers' new flows bypass userspace: in a layer
 * of strict_mask that is complete (st->complete_mask: no filter defers
 * statically and its hook is attached, so call it after
 * wfp_ebpf_attach()), a classification that would defer at run time
 * (a value not available) blocks instead and its event carries
 * WFP_ALE_EV_UNAVAILABLE.  st (may be NULL) gets complete_mask and the
 * strict_mask actually published (strict_mask & complete_mask), which
 * goes into the policy with it, atomically.
 */
int wfp_ebpf_publish_strict(struct wfp_ebpf *b, const struct wfp_engine *e,
			    uint32_t strict_mask, struct wfp_ebpf_stats *st);
/* Removes the policy: every socket call is permitted again. */
int wfp_ebpf_unpublish(struct wfp_ebpf *b);

typedef void (*wfp_ebpf_event_fn)(const struct wfp_ale_event *ev, void *ctx);
/* Waits up to timeout_ms and hands every event to fn; count or -errno. */
int wfp_ebpf_poll(struct wfp_ebpf *b, int timeout_ms, wfp_ebpf_event_fn fn, void *ctx);
/* An fd that becomes readable when events wait (for an epoll loop; then
 * wfp_ebpf_poll(b, 0, ...)); -1 with errno on failure. */
int wfp_ebpf_event_fd(struct wfp_ebpf *b);
/* Permit events on or off (default on); blocks and defers always go. */
void wfp_ebpf_permit_events(struct wfp_ebpf *b, bool on);
/* Looks up a socket's owner by cookie (the daemon's attribution map). */
int wfp_ebpf_owner(struct wfp_ebpf *b, uint64_t cookie, struct wfp_ale_owner *out);
/* Counters of one kernel layer, summed over CPUs. */
int wfp_ebpf_stats(struct wfp_ebpf *b, unsigned klayer, struct wfp_ale_stats *out);
void wfp_ebpf_close(struct wfp_ebpf *b);

#endif
