/* SPDX-License-Identifier: MIT */
/*
 * live.c - real packets through the stack model: a thin adapter between
 * the NFQUEUE back end and one struct wfp_host in inline observer mode
 * (wfp_stack.h, docs/internals/stack.md "Observer mode").
 *
 * The kernel runs the real TCP/IP stack; wfpd sees each packet at the
 * netfilter input and output hooks and hands it to the host: received
 * packets to wfp_host_receive(), sent ones to wfp_host_send().  The host
 * classifies them at the layers of spec §2, in WFP's order, with its own
 * ALE flows (spec §3): the layer sequences, reauthorization, the discard
 * re-indications of spec §2.6 and stealth (spec §3.8) all live there.
 * What is left here is what only a real host has:
 *
 *   - conntrack facts (carried in the packet mark, docs/wfpd.md): a packet
 *     of a connection the host has no flow for (wfpd restarted, or the
 *     flow was forgotten while the kernel fast-pathed it) seeds the flow
 *     (wfp_host_flow_seed), so the packet reauthorizes it at the layer its
 *     conntrack direction implies;
 *   - the endpoint callback: is there a socket, and who owns it (the
 *     table's socket-lookup bit, NFQUEUE's uid, sock_diag and /proc);
 *   - the verdict: a block of a sent packet at an ALE layer rejects (the
 *     local socket fails at once, as connect() would with EACCES);
 *   - the kernel fast path: which flows may have their conntrack entry
 *     marked with the current epoch (docs/wfpd.md "Which flows take the
 *     fast path"); a marked flow is offloaded in the host;
 *   - monitor events from the host's trace callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <wfp/wfp_stack.h>

#include "live.h"
#include "mgmt.h"
#include "wfpd.h"

/* Which flows of a family may take the fast path (see live_policy_changed). */
enum {
	FAST_ALWAYS = 0,  /* no filter at any per-packet layer */
	FAST_PER_FLOW,    /* only 5-tuple filters there: test each flow once */
	FAST_NEVER        /* a filter there tests per-packet facts, or a callout */
};

enum {
	TIMEOUT_TCP_MS = 3600 * 1000, /* established: long; fast-pathed flows are silent */
	SOCKETS_SPARE = 1024,         /* implicit listeners beyond one socket per flow */
	APP_LEN = 256
};

struct live {
	struct wfpd *d;
	struct wfp_host *h;
	int diag_fd;
	uint32_t mark_shift;
	uint8_t fast_mode[2];   /* FAST_*, [0] IPv4, [1] IPv6 */
	bool est_filters[2];    /* filters at ALE_FLOW_ESTABLISHED */
	bool fwd_filters[2];    /* filters at IPFORWARD */
	/* the packet being classified: the host's callbacks run inside
	 * live_packet() */
	const struct live_pkt *cur;
	bool ale_blocked;       /* ... a block at an ALE layer */
	int32_t pid;            /* ... the owner's pid, when looked up */
	char app[APP_LEN];      /* the endpoint callback's answer */
	/* host counters of hosts freed by live_flush_flows */
	struct wfp_host_stats base;
	/* FAST_PER_FLOW flows a per-packet filter can match, this epoch:
	 * spares their packets the check (a miss only costs the check) */
	struct {
		uint64_t handle;
		uint32_t epoch;
	} slow[256];
};

static const char *const state_names[] = {
	[WFP_FLOW_INFO_OPEN] = "ESTABLISHED",
	[WFP_FLOW_INFO_SYN_SENT] = "SYN_SENT",
	[WFP_FLOW_INFO_SYN_RCVD] = "SYN_RCVD",
	[WFP_FLOW_INFO_ESTABLISHED] = "ESTABLISHED",
	[WFP_FLOW_INFO_CLOSING] = "CLOSING",
};

/* The host's clock: wall time, so that the net events it logs carry real
 * timestamps (the clock never goes back inside the host). */
static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool is_icmp(uint8_t proto)
{
	return proto == WFP_PROTO_ICMP || proto == WFP_PROTO_ICMPV6;
}

static bool pure_syn(const struct wfp_pkt *p)
{
	return p->proto == WFP_PROTO_TCP &&
	       (p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) == WFP_TCP_SYN;
}

/* ---- the endpoint callback: sockets and owners ---- */

static void lookup_sock(struct live *l, int family, int proto, const struct wfp_addr *laddr,
			uint16_t lport, const struct wfp_addr *raddr, uint16_t rport,
			struct sockinfo *si)
{
	memset(si, 0, sizeof(*si));
	if (l->diag_fd < 0 || (proto != WFP_PROTO_TCP && proto != WFP_PROTO_UDP))
		return;
	l->d->ctr.sockdiag_lookups++;
	if (sockdiag_lookup(l->diag_fd, family, proto, laddr, lport, raddr, rport, si) < 0)
		si->found = false;
}

/*
 * Who owns local endpoint (proto, laddr, lport) of the packet being
 * classified?  Inbound: is there a socket at all (the table's socket
 * lookup answers without a system call; sock_diag is asked only when the
 * owner matters: a filter tests ALE_USER_ID / ALE_APP_ID, or a monitor
 * watches).  Sent packets always have a socket; NFQUEUE gives its uid.
 * The executable costs a /proc walk: only when the policy or a monitor
 * needs it.
 */
static int endpoint(struct wfp_host *h, int proto, const struct wfp_addr *laddr, uint16_t lport,
		    struct wfp_sock_owner *o, void *ctx)
{
	struct live *l = ctx;
	const struct live_pkt *lp = l->cur;
	struct wfpd *d = l->d;
	bool watch = mgmt_monitoring(d);
	bool need = d->app_needed || watch || (d->user_needed && !(lp && lp->has_uid));
	const struct wfp_addr *raddr;
	struct sockinfo si;
	uint16_t rport;
	bool found;

	(void)h;
	if (!lp)
		return 0;
	if (proto != WFP_PROTO_TCP && proto != WFP_PROTO_UDP)
		return 1; /* no socket lookup for other protocols: the kernel decides */
	raddr = lp->outbound ? &lp->p.dst : &lp->p.src;
	rport = lp->outbound ? lp->p.dport : lp->p.sport;
	memset(&si, 0, sizeof(si));
	if (!lp->outbound && lp->sock_known && !need) {
		found = lp->sock_found;
	} else if (need || !lp->outbound) {
		lookup_sock(l, lp->p.family, proto, laddr, lport, raddr, rport, &si);
		found = lp->outbound || si.found;
	} else {
		found = true;
	}
	if (lp->has_uid) {
		o->has_user = 1;
		o->uid = lp->uid;
		o->gid = lp->gid;
	} else if (si.inode) {
		o->has_user = 1;
		o->uid = si.uid;
		o->gid = si.uid == 0 ? 0 : (uint32_t)-1;
	}
	/* eBPF recorded the owner at socket(): exact, even after it exited */
	if (si.cookie && !wfpd_ebpf_owner(d, si.cookie, l->app, sizeof(l->app), &l->pid,
					  &o->uid, &o->gid)) {
		o->has_user = 1;
		o->app = l->app[0] ? l->app : NULL;
		return found;
	}
	if (si.inode && (d->app_needed || watch)) {
		d->ctr.app_lookups++;
		if (!sockdiag_app(si.inode, l->app, sizeof(l->app), &l->pid))
			o->app = l->app;
	}
	return found;
}

/* ---- the trace: counters and monitor events ---- */

static const struct wfp_value *in_value(const struct wfp_incoming *in, unsigned field)
{
	int i = wfp_layer_field_index(in->layer, field);

	return i >= 0 && i < in->nvalues && in->values[i].type != WFP_EMPTY ? &in->values[i] :
									   NULL;
}

static void value_addr(const struct wfp_value *v, struct wfp_addr *a)
{
	if (v && v->type == WFP_UINT32) {
		a->family = WFP_AF_INET;
		a->v4 = v->u32;
	} else if (v && v->type == WFP_BYTE_ARRAY16) {
		a->family = WFP_AF_INET6;
		memcpy(a->v6, v->a16, 16);
	}
}

static uint32_t value_uint(const struct wfp_value *v, uint32_t dflt)
{
	if (!v)
		return dflt;
	switch (v->type) {
	case WFP_UINT8: return v->u8;
	case WFP_UINT16: return v->u16;
	case WFP_UINT32: return v->u32;
	default: return dflt;
	}
}

static bool ale_layer(unsigned layer)
{
	const char *n = wfp_layer_name(layer);

	return !strncmp(n, "ALE_AUTH_", 9) || !strncmp(n, "ALE_CONNECT_REDIRECT", 20);
}

/* One classification of the host.  Only drops, discard indications and
 * watched traffic become events: the allowed path costs a counter. */
static void on_trace(const struct wfp_trace_rec *r, void *ctx)
{
	struct live *l = ctx;
	struct wfpd *d = l->d;
	const struct live_pkt *lp = l->cur;
	const struct wfp_incoming *in = r->in;
	bool block = r->verdict.action == WFP_ACTION_BLOCK;
	bool discard = r->md && (r->md->present & WFP_MD_DISCARD_REASON);
	const struct wfp_value *v;
	struct wfpd_event ev;

	d->ctr.classifications++;
	if (r->layer < WFP_LAYER_MAX)
		d->ctr.per_layer[r->layer]++;
	if (block && !discard && ale_layer(r->layer))
		l->ale_blocked = true;
	if (!block && !discard && !mgmt_monitoring(d))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.layer = r->layer;
	ev.action = r->verdict.action;
	ev.filter_id = r->verdict.filter_id;
	ev.event = wfp_stack_event_name(r->event);
	ev.pid = l->pid;
	if (lp) {
		const struct wfp_pkt *p = &lp->p;

		ev.inbound = !lp->outbound;
		ev.family = p->family;
		ev.proto = p->proto;
		ev.laddr = lp->outbound ? p->src : p->dst;
		ev.raddr = lp->outbound ? p->dst : p->src;
		ev.lport = is_icmp(p->proto) ? p->icmp_type : lp->outbound ? p->sport : p->dport;
		ev.rport = is_icmp(p->proto) ? p->icmp_code : lp->outbound ? p->dport : p->sport;
	}
	/* what the layer was given, where it has the field */
	value_addr(in_value(in, WFP_FIELD_IP_LOCAL_ADDRESS), &ev.laddr);
	value_addr(in_value(in, WFP_FIELD_IP_REMOTE_ADDRESS), &ev.raddr);
	ev.lport = (uint16_t)value_uint(in_value(in, WFP_FIELD_IP_LOCAL_PORT), ev.lport);
	ev.rport = (uint16_t)value_uint(in_value(in, WFP_FIELD_IP_REMOTE_PORT), ev.rport);
	ev.proto = (uint8_t)value_uint(in_value(in, WFP_FIELD_IP_PROTOCOL), ev.proto);
	ev.flags = value_uint(in_value(in, WFP_FIELD_FLAGS), 0);
	v = in_value(in, WFP_FIELD_ALE_USER_ID);
	if (v && v->type == WFP_TOKEN_ACCESS_INFORMATION && v->token) {
		ev.has_uid = true;
		ev.uid = v->token->uid;
	}
	if (in->md && (in->md->present & WFP_MD_PROCESS_PATH) && in->md->process_path)
		snprintf(ev.app, sizeof(ev.app), "%s", in->md->process_path);
	if (discard) {
		ev.discard = true;
		ev.discard_module = r->md->discard_module;
		ev.discard_reason = r->md->discard_reason;
	}
	wfpd_event_emit(d, &ev);
}

/* ---- the fast path ---- */

static const unsigned per_packet_layers[] = {
	WFP_LAYER_INBOUND_IPPACKET_V4, WFP_LAYER_OUTBOUND_IPPACKET_V4,
	WFP_LAYER_INBOUND_TRANSPORT_V4, WFP_LAYER_OUTBOUND_TRANSPORT_V4,
	WFP_LAYER_STREAM_V4, WFP_LAYER_DATAGRAM_DATA_V4,
};

/* The V6 twin of a V4 layer: V4, V4_DISCARD, V6, V6_DISCARD come together
 * for every layer below the MAC layers. */
static unsigned lay(int family, unsigned v4layer)
{
	return family == WFP_AF_INET6 ? v4layer + 2 : v4layer;
}

static void set_addr(struct wfp_value *v, const struct wfp_addr *a)
{
	if (a->family == WFP_AF_INET) {
		v->type = WFP_UINT32;
		v->u32 = a->v4;
	} else {
		v->type = WFP_BYTE_ARRAY16;
		memcpy(v->a16, a->v6, 16);
	}
}

static uint8_t addr_type(const struct wfp_addr *a)
{
	if (a->family == WFP_AF_INET) {
		if ((a->v4 >> 28) == 0xe)
			return 3; /* multicast */
		return a->v4 == 0xffffffff ? 4 : 1;
	}
	return a->v6[0] == 0xff ? 3 : 1;
}

/* A quiet classification of the flow's 5-tuple at a per-packet layer: the
 * only fields FAST_PER_FLOW filters may test (tuple_field). */
static bool tuple_matches(struct live *l, unsigned layer, const struct wfp_flow_info *fi,
			  bool inbound)
{
	struct wfp_value vals[WFP_MAX_FIELDS_PER_LAYER];
	struct wfp_metadata md = { 0 };
	struct wfp_incoming in = { .layer = (uint16_t)layer, .values = vals, .md = &md };
	struct wfp_verdict v;
	unsigned n = wfp_layer_field_count(layer);

	if (n > WFP_MAX_FIELDS_PER_LAYER)
		n = WFP_MAX_FIELDS_PER_LAYER;
	memset(vals, 0, sizeof(vals)); /* WFP_EMPTY == 0 */
	for (unsigned i = 0; i < n; i++) {
		struct wfp_value *x = &vals[i];

		switch (wfp_layer_field(layer, i)) {
		case WFP_FIELD_IP_LOCAL_ADDRESS: set_addr(x, &fi->laddr); break;
		case WFP_FIELD_IP_REMOTE_ADDRESS: set_addr(x, &fi->raddr); break;
		case WFP_FIELD_IP_SOURCE_ADDRESS:
			set_addr(x, inbound ? &fi->raddr : &fi->laddr);
			break;
		case WFP_FIELD_IP_DESTINATION_ADDRESS:
			set_addr(x, inbound ? &fi->laddr : &fi->raddr);
			break;
		case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE:
			x->type = WFP_UINT8;
			x->u8 = addr_type(&fi->laddr);
			break;
		case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
			x->type = WFP_UINT8;
			x->u8 = addr_type(inbound ? &fi->laddr : &fi->raddr);
			break;
		case WFP_FIELD_IP_LOCAL_PORT:
			x->type = WFP_UINT16;
			x->u16 = fi->lport;
			break;
		case WFP_FIELD_IP_REMOTE_PORT:
			x->type = WFP_UINT16;
			x->u16 = fi->rport;
			break;
		case WFP_FIELD_IP_PROTOCOL:
			x->type = WFP_UINT8;
			x->u8 = fi->proto;
			break;
		case WFP_FIELD_DIRECTION:
			x->type = WFP_UINT32;
			x->u32 = inbound ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
			break;
		default:
			break;
		}
	}
	in.nvalues = (uint16_t)n;
	memset(&v, 0, sizeof(v));
	if (wfp_classify(l->d->engine, &in, &v, NULL))
		return true; /* cannot tell: not on the fast path */
	return v.nmatched != 0;
}

/*
 * FAST_PER_FLOW: could any filter at a per-packet layer match a packet of
 * this flow?  Those filters test only the 5-tuple (and direction), which
 * is the same for every packet of a TCP/UDP flow in one direction, so one
 * quiet classification per layer and direction answers for the flow's
 * lifetime (until the next policy change, i.e. the next epoch).
 */
static bool flow_fast_check(struct live *l, const struct wfp_flow_info *fi)
{
	size_t slot = (size_t)((fi->handle * 0x9e3779b97f4a7c15ull) >> 56);

	if (fi->proto != WFP_PROTO_TCP && fi->proto != WFP_PROTO_UDP)
		return false; /* ICMP: type/code change per packet */
	if (l->slow[slot].handle == fi->handle && l->slow[slot].epoch == l->d->epoch)
		return false;
	for (size_t i = 0; i < sizeof(per_packet_layers) / sizeof(per_packet_layers[0]); i++)
		for (int dir = 0; dir < 2; dir++)
			if (tuple_matches(l, lay(fi->family, per_packet_layers[i]), fi, dir)) {
				l->slow[slot].handle = fi->handle;
				l->slow[slot].epoch = l->d->epoch;
				return false;
			}
	return true;
}

/*
 * May the flow of this accepted packet take the kernel fast path now?
 * Authorised flows (TCP: established) whose family's per-packet layers
 * cannot match them.  A TCP flow may go at its authorisation (the SYN),
 * before the handshake completes, when nobody could tell the difference:
 * no filter at FLOW_ESTABLISHED (a notification layer whose verdict is not
 * enforced anyway) and no monitor watching.  The client's SYN-ACK never
 * marks: its final ACK must still pass the outbound layers (spec §2.1
 * steps 18-19); FIN and RST segments never do.
 */
static void maybe_mark(struct live *l, const struct live_pkt *lp, struct live_verdict *v)
{
	const struct wfp_pkt *p = &lp->p;
	int fam = p->family == WFP_AF_INET6;
	int mode = l->d->cfg.no_fastpath ? FAST_NEVER : l->fast_mode[fam];
	struct wfp_flow_info fi;

	if (mode == FAST_NEVER)
		return;
	if (p->proto == WFP_PROTO_TCP && (p->tcp_flags & (WFP_TCP_FIN | WFP_TCP_RST)))
		return;
	if (wfp_host_flow_find(l->h, p, lp->outbound, &fi))
		return; /* no flow: ICMP errors, stray segments */
	if (p->proto == WFP_PROTO_TCP) {
		if (fi.state == WFP_FLOW_INFO_SYN_SENT || fi.state == WFP_FLOW_INFO_SYN_RCVD) {
			if (!pure_syn(p) || l->est_filters[fam] || mgmt_monitoring(l->d))
				return;
		} else if (fi.state != WFP_FLOW_INFO_ESTABLISHED ||
			   (!lp->outbound && (p->tcp_flags & WFP_TCP_SYN))) {
			return;
		}
	}
	if (mode == FAST_PER_FLOW && !flow_fast_check(l, &fi))
		return;
	v->set_mark = true;
	v->mark = live_epoch_mark(l);
	wfp_host_flow_offload(l->h, p, lp->outbound);
	l->d->ctr.fastpath_marks++;
}

/* ---- packets ---- */

/* Conntrack says the packet belongs to an existing connection (not a new
 * one, not an ICMP error related to one). */
static bool ct_existing(const struct live_pkt *lp)
{
	return lp->has_ct && lp->ctinfo != LIVE_CT_NEW && lp->ctinfo != LIVE_CT_RELATED &&
	       lp->ctinfo != LIVE_CT_RELATED_REPLY;
}

static void sync_stats(struct live *l)
{
	const struct wfp_host_stats *st = wfp_host_stats(l->h);
	struct wfpd_counters *c = &l->d->ctr;

	c->flows_created = l->base.flows_created + st->flows_created;
	c->flows_expired = l->base.flows_expired + st->flows_expired;
	c->flows_evicted = l->base.flows_evicted + st->flows_evicted;
	c->flows_refused = l->base.drops[WFP_DROP_FLOW_LIMIT] + st->drops[WFP_DROP_FLOW_LIMIT];
	c->reauths = l->base.reauths + st->reauths;
	c->stealth_drops = l->base.drops[WFP_DROP_STEALTH] + st->drops[WFP_DROP_STEALTH];
}

void live_packet(struct live *l, const struct live_pkt *lp, struct live_verdict *v)
{
	const struct wfp_pkt *p = &lp->p;
	bool sent = lp->outbound;
	uint64_t state_drops = wfp_host_stats(l->h)->drops[WFP_DROP_STATE];
	int ret;

	memset(v, 0, sizeof(*v));
	wfp_host_set_time(l->h, wall_ms());
	if (lp->forward) {
		/* spec §8.3: IPFORWARD, every packet, no flow, no fast path */
		l->cur = lp;
		ret = wfp_host_forward(l->h, p, lp->ifindex, lp->out_ifindex);
		l->cur = NULL;
		v->action = ret ? LIVE_DROP : LIVE_ACCEPT;
		sync_stats(l);
		return;
	}
	l->cur = lp;
	l->ale_blocked = false;
	l->pid = 0;
	/*
	 * A connection conntrack already knows but the host has no flow for
	 * (wfpd restarted; the flow expired or was evicted while the kernel
	 * carried it): seed it, opened by whoever the conntrack direction
	 * says, and the packet reauthorizes it (spec §3.3).  A new SYN or a
	 * RST opens or ends nothing old.
	 */
	if (ct_existing(lp) && !pure_syn(p) &&
	    !(p->proto == WFP_PROTO_TCP && (p->tcp_flags & WFP_TCP_RST))) {
		bool reply = lp->ctinfo >= LIVE_CT_ESTABLISHED_REPLY;

		wfp_host_flow_seed(l->h, p, sent, sent ? reply : !reply);
	}
	ret = sent ? wfp_host_send(l->h, p) : wfp_host_receive(l->h, p);
	l->cur = NULL;
	switch (ret) {
	case 0:
		v->action = LIVE_ACCEPT;
		maybe_mark(l, lp, v);
		break;
	case -EINPROGRESS: /* a fragment held for reassembly: judged whole */
	case -ECONNREFUSED: /* no endpoint and no stealth: the kernel answers */
		v->action = LIVE_ACCEPT;
		break;
	case -EINVAL:
		/* a TCP segment the model's state does not expect (a
		 * retransmitted SYN, ...): the layers it passed permitted it,
		 * and the kernel owns TCP.  Anything else the model refuses
		 * is dropped: fail closed */
		v->action = wfp_host_stats(l->h)->drops[WFP_DROP_STATE] != state_drops ?
			    LIVE_ACCEPT : LIVE_DROP;
		break;
	case -EACCES:
		/* WFP fails connect()/sendto() at AUTH_CONNECT with EACCES and
		 * cuts a flow whose reauthorization fails; here the local
		 * socket gets a reset / unreachable at once */
		v->action = sent && l->ale_blocked ? LIVE_REJECT : LIVE_DROP;
		break;
	default:
		v->action = LIVE_DROP; /* flow or socket table full: fail closed */
		break;
	}
	sync_stats(l);
}

/* ---- policy and lifetime ---- */

/* Fields that are the same for every packet of a TCP/UDP flow in one
 * direction: filters testing only these can be decided once per flow. */
static bool tuple_field(unsigned f)
{
	switch (f) {
	case WFP_FIELD_IP_LOCAL_ADDRESS: case WFP_FIELD_IP_REMOTE_ADDRESS:
	case WFP_FIELD_IP_SOURCE_ADDRESS: case WFP_FIELD_IP_DESTINATION_ADDRESS:
	case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE: case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
	case WFP_FIELD_IP_LOCAL_PORT: case WFP_FIELD_IP_REMOTE_PORT:
	case WFP_FIELD_IP_PROTOCOL: case WFP_FIELD_DIRECTION:
		return true;
	default:
		return false;
	}
}

/* The fast-path mode one layer allows (docs/wfpd.md). */
static int layer_fast_mode(struct live *l, unsigned layer, size_t *count)
{
	struct wfp_filter_enum_template t = { .flags = WFP_ENUM_F_LAYER, .layer = (uint16_t)layer };
	struct wfp_filter **a = NULL;
	size_t n = 0;
	int mode = FAST_ALWAYS;

	*count = 0;
	if (wfp_filter_enum(l->d->session, &t, &a, &n))
		return FAST_NEVER;
	for (size_t i = 0; i < n && mode != FAST_NEVER; i++) {
		mode = FAST_PER_FLOW;
		if (a[i]->action.type & WFP_ACTION_FLAG_CALLOUT)
			mode = FAST_NEVER; /* a callout may decide per packet */
		for (uint32_t j = 0; j < a[i]->ncond && mode != FAST_NEVER; j++)
			if (!tuple_field(a[i]->cond[j].field))
				mode = FAST_NEVER;
	}
	wfp_filter_array_free(a, n);
	*count = n;
	return mode;
}

bool live_forward_free(struct live *l, bool v6)
{
	return !l->fwd_filters[v6];
}

bool live_kernel_path_ok(struct live *l, bool v6)
{
	return l->fast_mode[v6] == FAST_ALWAYS && !l->est_filters[v6];
}

void live_policy_changed(struct live *l)
{
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? WFP_AF_INET6 : WFP_AF_INET, mode = FAST_ALWAYS;
		size_t n;

		for (size_t i = 0; i < sizeof(per_packet_layers) / sizeof(per_packet_layers[0]); i++) {
			int m = layer_fast_mode(l, lay(family, per_packet_layers[i]), &n);

			if (m > mode)
				mode = m;
		}
		l->fast_mode[fam] = (uint8_t)mode;
		layer_fast_mode(l, lay(family, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4), &n);
		l->est_filters[fam] = n != 0;
		layer_fast_mode(l, lay(family, WFP_LAYER_IPFORWARD_V4), &n);
		l->fwd_filters[fam] = n != 0;
	}
}

static struct wfp_host *host_new(struct live *l)
{
	struct wfpd *d = l->d;
	struct wfp_host_opts o = {
		.sz = sizeof(o),
		.name = "wfpd",
		.max_flows = d->cfg.max_flows,
		/* at most one implicit socket per flow, plus the listeners */
		.max_sockets = d->cfg.max_flows + SOCKETS_SPARE,
		.idle_timeout_ms = d->cfg.flow_timeout_s * 1000,
		.tcp_idle_timeout_ms = TIMEOUT_TCP_MS,
		.flags = WFP_HOST_F_OBSERVER | WFP_HOST_F_ALL_LOCAL | WFP_HOST_F_INLINE,
	};
	struct wfp_host *h = wfp_host_new(d->engine, &o);

	if (!h)
		return NULL;
	wfp_host_set_time(h, wall_ms());
	wfp_host_set_trace(h, on_trace, l);
	wfp_host_set_endpoint_lookup(h, endpoint, l);
	return h;
}

struct live *live_new(struct wfpd *d)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->d = d;
	l->diag_fd = -1;
	l->h = host_new(l);
	if (!l->h) {
		live_free(l);
		return NULL;
	}
	l->diag_fd = sockdiag_open();
	if (l->diag_fd < 0)
		logmsg(LOG_WARNING, "sock_diag unavailable (%s): no listener checks, no attribution",
		       strerror(-l->diag_fd));
	l->mark_shift = d->cfg.ct_mark_mask ? (uint32_t)__builtin_ctz(d->cfg.ct_mark_mask) : 0;
	return l;
}

void live_free(struct live *l)
{
	if (!l)
		return;
	if (l->diag_fd >= 0)
		close(l->diag_fd);
	wfp_host_free(l->h);
	free(l);
}

/* Bounded expiry of idle flows: the host's clock moves on. */
void live_gc(struct live *l)
{
	wfp_host_set_time(l->h, wall_ms());
	sync_stats(l);
}

/* Forget every flow (a new host); flows still alive are seeded again and
 * reauthorized when they next come up. */
void live_flush_flows(struct live *l)
{
	const struct wfp_host_stats *st = wfp_host_stats(l->h);
	struct wfp_host *h = host_new(l);

	if (!h)
		return; /* keep the old flows rather than none */
	l->base.flows_created += st->flows_created;
	l->base.flows_expired += st->flows_expired;
	l->base.flows_evicted += st->flows_evicted;
	l->base.reauths += st->reauths;
	for (unsigned i = 0; i < WFP_DROP_MAX; i++)
		l->base.drops[i] += st->drops[i];
	wfp_host_free(l->h);
	l->h = h;
	sync_stats(l);
}

uint32_t live_epoch_mark(const struct live *l)
{
	return (l->d->epoch << l->mark_shift) & l->d->cfg.ct_mark_mask;
}

unsigned live_flow_count(const struct live *l)
{
	return wfp_host_stats(l->h)->flows;
}

struct foreach_ctx {
	void (*fn)(const struct live_flow_info *fi, void *ctx);
	void *ctx;
	uint64_t now;
};

static void flow_one(const struct wfp_flow_info *f, void *ctx)
{
	struct foreach_ctx *c = ctx;
	struct live_flow_info fi = {
		.id = f->handle,
		.family = f->family,
		.proto = f->proto,
		.inbound = f->inbound,
		.state = f->state < sizeof(state_names) / sizeof(state_names[0]) &&
				 state_names[f->state] ? state_names[f->state] : "?",
		.auth_layer = f->auth_layer,
		.laddr = f->laddr,
		.raddr = f->raddr,
		.lport = is_icmp(f->proto) ? f->icmp_id : f->lport,
		.rport = is_icmp(f->proto) ? 0 : f->rport,
		.age_ms = c->now > f->created_ms ? c->now - f->created_ms : 0,
		.idle_ms = c->now > f->last_ms ? c->now - f->last_ms : 0,
		.packets = f->packets,
		.fastpath = f->offloaded,
		.has_uid = f->has_user,
		.uid = f->uid,
		.app = f->app,
	};

	c->fn(&fi, c->ctx);
}

void live_flows_foreach(struct live *l, void (*fn)(const struct live_flow_info *fi, void *ctx),
			void *ctx)
{
	struct foreach_ctx c = { .fn = fn, .ctx = ctx, .now = wfp_host_time(l->h) };

	wfp_host_flow_foreach(l->h, flow_one, &c);
}
