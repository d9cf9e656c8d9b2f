/* SPDX-License-Identifier: MIT */
/*
 * live.c - classify real packets at the WFP layers, in WFP's order.
 *
 * The kernel runs the real TCP/IP stack; wfpd sees each packet at the
 * netfilter input and output hooks and replays, for that packet, the part
 * of spec §2 that the host's stack would have classified:
 *
 *   inbound  INBOUND_IPPACKET -> INBOUND_TRANSPORT -> [ALE_AUTH_RECV_ACCEPT
 *            -> (UDP/ICMP) ALE_FLOW_ESTABLISHED] -> STREAM | DATAGRAM_DATA
 *   outbound [ALE_AUTH_CONNECT -> (UDP/ICMP) ALE_FLOW_ESTABLISHED]
 *            -> STREAM | DATAGRAM_DATA -> OUTBOUND_TRANSPORT -> OUTBOUND_IPPACKET
 *
 * TCP FLOW_ESTABLISHED is indicated when the handshake completes on this
 * host: the SYN-ACK received (client), the final ACK received (server).
 * A block at a layer re-indicates the packet at its _DISCARD twin
 * (spec §2.6).  Packets the kernel would discard itself for "no socket"
 * go to INBOUND_TRANSPORT_DISCARD (TCP) or INBOUND_IPPACKET_DISCARD
 * (UDP); a block there drops the packet before the kernel sees it, so
 * no RST / port unreachable is ever generated (stealth, spec §3.8).
 * Errors the kernel generates anyway pass OUTBOUND_ICMP_ERROR.
 *
 * ALE flows are keyed by the 5-tuple (ICMP: addresses + echo id) and
 * remember the generation of their authorising layer; a different
 * generation at the next packet means reauthorization (spec §3.3).  A
 * packet that conntrack says belongs to an existing connection but that
 * has no flow here (wfpd restarted, flow expired while fast-pathed) is
 * reauthorized too, at the layer its conntrack direction implies.
 *
 * Fast path (docs/wfpd.md "Which flows take the fast path"): once a flow
 * is authorised (TCP: established) and the policy has no filter at any
 * per-packet layer of its address family (IPPACKET, TRANSPORT, STREAM,
 * DATAGRAM_DATA), its conntrack entry is marked with the current epoch and
 * the kernel accepts its later packets without asking.  Every policy
 * change starts a new epoch, so every marked flow comes back up once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

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
	FLOW_SYN_SENT = 1,
	FLOW_SYN_RCVD,
	FLOW_ESTABLISHED,
	FLOW_CLOSING
};

static const char *const flow_state_names[] = {
	"?", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSING"
};

enum {
	TIMEOUT_TCP_MS = 3600 * 1000,     /* established: long; fast-pathed flows are silent */
	TIMEOUT_HANDSHAKE_MS = 30 * 1000,
	TIMEOUT_CLOSING_MS = 10 * 1000,
	GC_BUCKETS_PER_TICK = 1024,
	EVICT_SCAN = 256,
	APP_LEN = 128
};

struct flow_key {
	uint8_t family, proto;
	uint16_t lport, rport; /* ICMP: echo id, 0 */
	uint8_t laddr[16], raddr[16];
};

struct flow {
	struct flow_key k;
	struct flow *next;      /* hash chain or free list */
	uint64_t id;
	uint64_t gen;           /* auth layer generation at authorisation */
	uint64_t created_ms, last_ms, packets;
	uint16_t auth_layer;
	uint8_t state;
	bool inbound;
	bool marked;
	bool fast_checked, fast_res; /* per-flow fast-path test, this epoch */
	uint32_t fast_epoch;
	bool has_uid;
	uint32_t uid, gid;
	int32_t pid;
	char app[APP_LEN];
};

struct live {
	struct wfpd *d;
	struct flow *pool;
	struct flow *free;
	struct flow **buckets;
	uint32_t nbuckets;      /* power of two */
	uint32_t nflows, max_flows;
	uint32_t gc_cursor;
	uint32_t evict_cursor;  /* where the next eviction scan starts */
	uint64_t next_id;
	uint32_t hash_seed;
	int diag_fd;
	uint32_t mark_shift;
	uint8_t fast_mode[2];   /* FAST_*, [0] IPv4, [1] IPv6 */
	bool est_filters[2];    /* filters at ALE_FLOW_ESTABLISHED */
};

/* What one classification is given (cf. the stack model's struct cls). */
struct cls {
	const char *event;
	uint8_t family, proto;
	bool inbound;
	bool has_ports, has_dir, ale, has_emb;
	struct wfp_addr laddr, raddr;
	uint16_t lport, rport;
	uint32_t dir;
	uint32_t flags;         /* WFP_CONDITION_FLAG_* */
	uint32_t reauth;
	const struct flow *owner;   /* app / user */
	const struct sockinfo *si;  /* user of a not-yet-flow */
	const char *app;
	int32_t pid;
	uint32_t bytes;         /* payload, for the filter byte counters */
	struct wfp_pkt_embedded emb;
};

/* ---- helpers ---- */

/* The V6 twin of a V4 layer id: the table keeps V4, V4_DISCARD, V6,
 * V6_DISCARD together for every layer below the MAC layers. */
static unsigned lay(int family, unsigned v4layer)
{
	return family == 6 ? v4layer + 2 : v4layer;
}

static uint32_t hash_key(const struct live *l, const struct flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u ^ l->hash_seed;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void key_addr(uint8_t *dst, const struct wfp_addr *a)
{
	memset(dst, 0, 16);
	if (a->family == 4)
		memcpy(dst, &a->v4, 4);
	else
		memcpy(dst, a->v6, 16);
}

static void flow_key_of(struct flow_key *k, const struct cls *c)
{
	memset(k, 0, sizeof(*k));
	k->family = c->family;
	k->proto = c->proto;
	key_addr(k->laddr, &c->laddr);
	key_addr(k->raddr, &c->raddr);
	k->lport = c->lport;
	k->rport = c->rport;
}

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static uint8_t addr_type(const struct wfp_addr *a)
{
	if (a->family == 4) {
		if ((a->v4 >> 28) == 0xe)
			return 3; /* multicast */
		if (a->v4 == 0xffffffff)
			return 4; /* broadcast */
		return 1;
	}
	return a->v6[0] == 0xff ? 3 : 1;
}

static bool addr_loopback(const struct wfp_addr *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (a->family == 4)
		return (a->v4 >> 24) == 127;
	return !memcmp(a->v6, lo6, 16);
}

/* ---- incoming values ---- */

static void set_addr(struct wfp_value *v, const struct wfp_addr *a)
{
	if (a->family == 4) {
		v->type = WFP_UINT32;
		v->u32 = a->v4;
	} else {
		v->type = WFP_BYTE_ARRAY16;
		memcpy(v->a16, a->v6, 16);
	}
}

static void set_uint(struct wfp_value *v, uint16_t type, uint64_t x)
{
	v->type = type;
	switch (type) {
	case WFP_UINT8: v->u8 = (uint8_t)x; break;
	case WFP_UINT16: v->u16 = (uint16_t)x; break;
	case WFP_UINT32: v->u32 = (uint32_t)x; break;
	default: v->type = WFP_UINT64; v->u64 = x; break;
	}
}

static const char null_sid[] = "S-1-0-0";

static void fill_one(struct wfp_value *v, unsigned f, const struct cls *c,
		     const struct wfp_token *tok)
{
	switch (f) {
	case WFP_FIELD_IP_LOCAL_ADDRESS:
		set_addr(v, &c->laddr);
		break;
	case WFP_FIELD_IP_REMOTE_ADDRESS:
		set_addr(v, &c->raddr);
		break;
	case WFP_FIELD_IP_SOURCE_ADDRESS:
		set_addr(v, c->inbound ? &c->raddr : &c->laddr);
		break;
	case WFP_FIELD_IP_DESTINATION_ADDRESS:
		set_addr(v, c->inbound ? &c->laddr : &c->raddr);
		break;
	case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE:
		set_uint(v, WFP_UINT8, addr_type(&c->laddr));
		break;
	case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
		set_uint(v, WFP_UINT8, addr_type(c->inbound ? &c->laddr : &c->raddr));
		break;
	case WFP_FIELD_IP_LOCAL_PORT:
		if (c->has_ports)
			set_uint(v, WFP_UINT16, c->lport);
		break;
	case WFP_FIELD_IP_REMOTE_PORT:
		if (c->has_ports)
			set_uint(v, WFP_UINT16, c->rport);
		break;
	case WFP_FIELD_IP_PROTOCOL:
		set_uint(v, WFP_UINT8, c->proto);
		break;
	case WFP_FIELD_FLAGS:
		set_uint(v, WFP_UINT32, c->flags);
		break;
	case WFP_FIELD_DIRECTION:
		if (c->has_dir)
			set_uint(v, WFP_UINT32, c->dir);
		break;
	case WFP_FIELD_REAUTHORIZE_REASON:
		if (c->ale)
			set_uint(v, WFP_UINT32, c->reauth);
		break;
	case WFP_FIELD_EMBEDDED_PROTOCOL:
		if (c->has_emb)
			set_uint(v, WFP_UINT8, c->emb.proto);
		break;
	case WFP_FIELD_EMBEDDED_REMOTE_ADDRESS:
		/* the quoted packet was sent by us (outbound error: by the peer) */
		if (c->has_emb)
			set_addr(v, c->inbound ? &c->emb.dst : &c->emb.src);
		break;
	case WFP_FIELD_EMBEDDED_LOCAL_ADDRESS_TYPE:
		if (c->has_emb)
			set_uint(v, WFP_UINT8, 1);
		break;
	case WFP_FIELD_EMBEDDED_LOCAL_PORT:
		if (c->has_emb)
			set_uint(v, WFP_UINT16, c->inbound ? c->emb.sport : c->emb.dport);
		break;
	case WFP_FIELD_EMBEDDED_REMOTE_PORT:
		if (c->has_emb)
			set_uint(v, WFP_UINT16, c->inbound ? c->emb.dport : c->emb.sport);
		break;
	case WFP_FIELD_ALE_APP_ID:
		if (c->app && c->app[0]) {
			v->type = WFP_BYTE_BLOB;
			v->blob.data = (const uint8_t *)c->app;
			v->blob.size = (uint32_t)strlen(c->app);
		}
		break;
	case WFP_FIELD_ALE_USER_ID:
		if (tok) {
			v->type = WFP_TOKEN_ACCESS_INFORMATION;
			v->token = tok;
		}
		break;
	case WFP_FIELD_ALE_PACKAGE_ID:
		if (c->ale) {
			v->type = WFP_SID;
			v->blob.data = (const uint8_t *)null_sid;
			v->blob.size = sizeof(null_sid) - 1;
		}
		break;
	default:
		break; /* not known on Linux: EMPTY */
	}
}

/* ---- classification and events ---- */

static void emit(struct live *l, unsigned layer, const struct cls *c,
		 const struct wfp_metadata *md, const struct wfp_verdict *v)
{
	struct wfpd_event ev;

	/* only drops, discard indications and watched traffic are recorded:
	 * the allowed path costs nothing when nobody is looking */
	if (v->action != WFP_ACTION_BLOCK && !(md && (md->present & WFP_MD_DISCARD_REASON)) &&
	    !mgmt_monitoring(l->d))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.layer = (uint16_t)layer;
	ev.proto = c->proto;
	ev.family = c->family;
	ev.action = v->action;
	ev.filter_id = v->filter_id;
	ev.flags = c->flags;
	ev.inbound = c->inbound;
	ev.laddr = c->laddr;
	ev.raddr = c->raddr;
	ev.lport = c->lport;
	ev.rport = c->rport;
	ev.event = c->event;
	ev.pid = c->pid;
	if (md && (md->present & WFP_MD_DISCARD_REASON)) {
		ev.discard = true;
		ev.discard_module = md->discard_module;
		ev.discard_reason = md->discard_reason;
	}
	if (c->owner && c->owner->has_uid) {
		ev.has_uid = true;
		ev.uid = c->owner->uid;
	} else if (c->si && c->si->inode) {
		ev.has_uid = true;
		ev.uid = c->si->uid;
	}
	if (c->app)
		snprintf(ev.app, sizeof(ev.app), "%s", c->app);
	wfpd_event_emit(l->d, &ev);
}

static void put_addr16(uint8_t *dst, const struct wfp_addr *a)
{
	if (a->family == 4) {
		uint32_t n = htonl(a->v4);

		memcpy(dst, &n, 4);
	} else {
		memcpy(dst, a->v6, 16);
	}
}

/* A drop goes to the engine's net event log (spec §7.1): the layer that
 * decided, the filter, the 5-tuple and the owner.  A block at a discard
 * layer for the stack's own drop is a port-scanning drop (stealth). */
static void report_drop(struct live *l, unsigned layer, const struct cls *c,
			const struct wfp_metadata *md, const struct wfp_verdict *v)
{
	struct wfp_netevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.time_ns = (uint64_t)time(NULL) * 1000000000ull;
	ev.type = WFP_NET_EVENT_CLASSIFY_DROP;
	ev.flags = WFP_NET_EVENT_F_IP_PROTOCOL_SET | WFP_NET_EVENT_F_LOCAL_ADDR_SET |
		   WFP_NET_EVENT_F_REMOTE_ADDR_SET | WFP_NET_EVENT_F_IP_VERSION_SET;
	if (c->has_ports)
		ev.flags |= WFP_NET_EVENT_F_LOCAL_PORT_SET | WFP_NET_EVENT_F_REMOTE_PORT_SET;
	ev.ip_version = c->family;
	ev.ip_protocol = c->proto;
	ev.layer_id = (uint16_t)layer;
	put_addr16(ev.local_addr, &c->laddr);
	put_addr16(ev.remote_addr, &c->raddr);
	ev.local_port = c->lport;
	ev.remote_port = c->rport;
	ev.direction = c->inbound ? WFP_MS_DIRECTION_IN : WFP_MS_DIRECTION_OUT;
	ev.filter_id = v->filter_id;
	ev.is_loopback = (c->flags & WFP_CONDITION_FLAG_IS_LOOPBACK) != 0;
	if (c->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE) {
		ev.flags |= WFP_NET_EVENT_F_REAUTH_REASON_SET;
		ev.reauth_reason = c->reauth;
	}
	if (md && (md->present & WFP_MD_DISCARD_REASON)) {
		ev.discard_module = md->discard_module;
		ev.discard_reason = md->discard_reason;
		if (md->discard_module != WFP_DISCARD_MODULE_GENERAL)
			ev.keywords |= WFP_NET_EVENT_KEYWORD_PORT_SCANNING_DROP;
	}
	if (c->owner && c->owner->has_uid) {
		ev.flags |= WFP_NET_EVENT_F_USER_ID_SET;
		ev.uid = c->owner->uid;
	}
	if (c->app && c->app[0]) {
		ev.flags |= WFP_NET_EVENT_F_APP_ID_SET;
		snprintf(ev.app_id, sizeof(ev.app_id), "%s", c->app);
	}
	ev.pid = c->pid > 0 ? (uint32_t)c->pid : 0;
	wfp_netevent_report(l->d->engine, &ev);
}

/* Builds the incoming values and classifies; no counters, no events. */
static void classify_quiet(struct live *l, unsigned layer, const struct cls *c,
			   const struct wfp_metadata *md, struct wfp_verdict *v)
{
	struct wfp_value vals[WFP_MAX_FIELDS_PER_LAYER];
	struct wfp_metadata m = { 0 };
	struct wfp_token tok = { 0 };
	const struct wfp_token *tp = NULL;
	struct wfp_incoming in;
	unsigned n = wfp_layer_field_count(layer);
	uint32_t gid;

	if (n > WFP_MAX_FIELDS_PER_LAYER)
		n = WFP_MAX_FIELDS_PER_LAYER;
	memset(vals, 0, sizeof(vals)); /* WFP_EMPTY == 0 */
	if (c->owner && c->owner->has_uid) {
		tok.uid = c->owner->uid;
		gid = c->owner->gid;
		tok.ngids = 1;
		tok.gids = &gid;
		tp = &tok;
	} else if (c->si && c->si->inode) {
		tok.uid = c->si->uid;
		tp = &tok;
	}
	for (unsigned i = 0; i < n; i++) {
		int f = wfp_layer_field(layer, i);

		if (f >= 0)
			fill_one(&vals[i], (unsigned)f, c, c->ale ? tp : NULL);
	}
	if (md)
		m = *md;
	if (c->owner) {
		m.present |= WFP_MD_FLOW_HANDLE;
		m.flow_handle = c->owner->id;
	}
	if (c->app && c->app[0]) {
		m.present |= WFP_MD_PROCESS_PATH;
		m.process_path = c->app;
	}
	if (c->pid > 0) {
		m.present |= WFP_MD_PROCESS_ID;
		m.process_id = (uint32_t)c->pid;
	}
	in.layer = (uint16_t)layer;
	in.nvalues = (uint16_t)n;
	in.values = vals;
	in.md = &m;
	memset(v, 0, sizeof(*v));
	if (wfp_classify(l->d->engine, &in, v, NULL))
		v->action = WFP_ACTION_BLOCK; /* cannot classify: fail closed */
}

static void classify(struct live *l, unsigned layer, const struct cls *c,
		     const struct wfp_metadata *md, struct wfp_verdict *v)
{
	classify_quiet(l, layer, c, md, v);
	l->d->ctr.classifications++;
	l->d->ctr.per_layer[layer]++;
	wfp_counters_account(l->d->engine, layer, v, c->bytes);
	if (wfp_verdict_blocks(v))
		report_drop(l, layer, c, md, v);
	emit(l, layer, c, md, v);
}

/* Classify at layer; a block re-indicates at the discard twin with
 * GENERAL / FIREWALL_POLICY (spec §2.6) unless absorbed.  true: blocked. */
static bool check(struct live *l, unsigned layer, const struct cls *c)
{
	struct wfp_verdict v, dv;
	struct wfp_metadata md = {
		.present = WFP_MD_DISCARD_REASON,
		.discard_module = WFP_DISCARD_MODULE_GENERAL,
		.discard_reason = WFP_DISCARD_FIREWALL_POLICY,
	};
	int twin;

	classify(l, layer, c, NULL, &v);
	if (!wfp_verdict_blocks(&v))
		return false;
	twin = wfp_layer_discard_twin(layer);
	if (twin >= 0 && !(v.flags & WFP_CLASSIFY_OUT_F_ABSORB)) {
		md.discard_filter_id = v.filter_id;
		classify(l, (unsigned)twin, c, &md, &dv);
	}
	return true;
}

/* An indication at a discard layer for a drop of the stack's own (no
 * endpoint).  true: a filter blocked it there (stealth). */
static bool discard(struct live *l, unsigned layer, const struct cls *c,
		    uint32_t module, uint32_t reason)
{
	struct wfp_metadata md = {
		.present = WFP_MD_DISCARD_REASON,
		.discard_module = module,
		.discard_reason = reason,
	};
	struct wfp_verdict v;

	classify(l, layer, c, &md, &v);
	return wfp_verdict_blocks(&v);
}

/* ---- flows ---- */

static struct flow *flow_find(struct live *l, const struct flow_key *k)
{
	struct flow *f = l->buckets[hash_key(l, k) & (l->nbuckets - 1)];

	for (; f; f = f->next)
		if (!memcmp(&f->k, k, sizeof(*k)))
			return f;
	return NULL;
}

static void flow_unlink(struct live *l, struct flow *f)
{
	struct flow **pp = &l->buckets[hash_key(l, &f->k) & (l->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			f->next = l->free;
			l->free = f;
			l->nflows--;
			return;
		}
	}
}

/*
 * The table is full: make room by forgetting one flow the kernel carries on
 * its own (marked: fast path) or one that is closing.  Forgetting is safe:
 * a forgotten flow that is still alive is adopted and reauthorized at its
 * next packet that comes up (after the next policy change).  Bounded: at
 * most EVICT_SCAN buckets are looked at; if none qualifies the new flow is
 * refused (fail closed).
 */
static bool evict_one(struct live *l)
{
	/* the cursor moves on: a flood of new flows must not rescan the
	 * buckets it has just emptied (tests/netns/flood.sh) */
	for (unsigned i = 0; i < EVICT_SCAN; i++) {
		uint32_t b = l->evict_cursor;

		l->evict_cursor = (b + 1) & (l->nbuckets - 1);
		for (struct flow *f = l->buckets[b]; f; f = f->next) {
			if (f->marked || f->state == FLOW_CLOSING) {
				flow_unlink(l, f);
				l->d->ctr.flows_evicted++;
				return true;
			}
		}
	}
	return false;
}

static struct flow *flow_new(struct live *l, const struct flow_key *k)
{
	struct flow *f;
	uint32_t b;

	if (!l->free && !evict_one(l)) {
		l->d->ctr.flows_refused++;
		return NULL;
	}
	f = l->free;
	l->free = f->next;
	memset(f, 0, sizeof(*f));
	f->k = *k;
	f->id = ++l->next_id;
	f->created_ms = f->last_ms = now_ms();
	b = hash_key(l, k) & (l->nbuckets - 1);
	f->next = l->buckets[b];
	l->buckets[b] = f;
	l->nflows++;
	l->d->ctr.flows_created++;
	return f;
}

static uint64_t flow_timeout(const struct flow *f)
{
	if (f->k.proto != 6)
		return 0; /* the configured idle timeout */
	if (f->state == FLOW_CLOSING)
		return TIMEOUT_CLOSING_MS;
	if (f->state != FLOW_ESTABLISHED)
		return TIMEOUT_HANDSHAKE_MS;
	return TIMEOUT_TCP_MS;
}

void live_gc(struct live *l)
{
	uint64_t now = now_ms(), idle = (uint64_t)l->d->cfg.flow_timeout_s * 1000;

	for (unsigned i = 0; i < GC_BUCKETS_PER_TICK && i < l->nbuckets; i++) {
		struct flow *f = l->buckets[l->gc_cursor], *next;

		for (; f; f = next) {
			uint64_t t = flow_timeout(f);

			next = f->next;
			if (now - f->last_ms > (t ? t : idle)) {
				flow_unlink(l, f);
				l->d->ctr.flows_expired++;
			}
		}
		l->gc_cursor = (l->gc_cursor + 1) & (l->nbuckets - 1);
	}
}

void live_flush_flows(struct live *l)
{
	for (uint32_t b = 0; b < l->nbuckets; b++)
		while (l->buckets[b])
			flow_unlink(l, l->buckets[b]);
}

uint32_t live_epoch_mark(const struct live *l)
{
	return (l->d->epoch << l->mark_shift) & l->d->cfg.ct_mark_mask;
}

/* The owner of a new flow: uid/gid from NFQUEUE (outbound), else the
 * socket's uid from sock_diag; the executable only when the policy needs
 * it or a monitor is watching (it costs a /proc walk). */
static void flow_owner(struct live *l, struct flow *f, const struct live_pkt *lp,
		       const struct sockinfo *si)
{
	f->pid = 0;
	if (lp->has_uid) {
		f->has_uid = true;
		f->uid = lp->uid;
		f->gid = lp->gid;
	} else if (si && si->inode) {
		f->has_uid = true;
		f->uid = si->uid;
		f->gid = si->uid == 0 ? 0 : (uint32_t)-1;
	}
	/* eBPF recorded the owner at socket(): exact, even after it exited */
	if (si && si->cookie &&
	    !wfpd_ebpf_owner(l->d, si->cookie, f->app, sizeof(f->app), &f->pid, &f->uid, &f->gid)) {
		f->has_uid = true;
		return;
	}
	if (si && si->inode && (l->d->app_needed || mgmt_monitoring(l->d))) {
		l->d->ctr.app_lookups++;
		if (sockdiag_app(si->inode, f->app, sizeof(f->app), &f->pid))
			f->app[0] = '\0';
	}
}

static void lookup_sock(struct live *l, const struct cls *c, struct sockinfo *si)
{
	memset(si, 0, sizeof(*si));
	if (l->diag_fd < 0 || (c->proto != 6 && c->proto != 17))
		return;
	l->d->ctr.sockdiag_lookups++;
	if (sockdiag_lookup(l->diag_fd, c->family, c->proto, &c->laddr, c->lport,
			    &c->raddr, c->rport, si) < 0)
		si->found = false;
}

/* ---- the sequences ---- */

static const char *pkt_event(const struct wfp_pkt *p)
{
	if (p->proto == 6) {
		if (p->tcp_flags & 0x04)
			return "RST";
		if ((p->tcp_flags & 0x12) == 0x12)
			return "SYN-ACK";
		if (p->tcp_flags & 0x02)
			return "SYN";
		if (p->tcp_flags & 0x01)
			return "FIN";
		return p->payload_len ? "data" : "ACK";
	}
	if (p->proto == 17)
		return "datagram";
	if (is_icmp(p->proto)) {
		if (pkt_icmp_is_error(p))
			return "icmp-error";
		if ((p->proto == 1 && p->icmp_type == 8) || (p->proto == 58 && p->icmp_type == 128))
			return "icmp-echo";
		if ((p->proto == 1 && p->icmp_type == 0) || (p->proto == 58 && p->icmp_type == 129))
			return "icmp-reply";
		return "icmp";
	}
	return "packet";
}

static void cls_of(struct cls *c, const struct live_pkt *lp)
{
	const struct wfp_pkt *p = &lp->p;

	memset(c, 0, sizeof(*c));
	c->event = pkt_event(p);
	c->family = p->family;
	c->proto = p->proto;
	c->inbound = !lp->outbound;
	c->laddr = lp->outbound ? p->src : p->dst;
	c->raddr = lp->outbound ? p->dst : p->src;
	if (p->proto == 6 || p->proto == 17) {
		c->has_ports = true;
		c->lport = lp->outbound ? p->sport : p->dport;
		c->rport = lp->outbound ? p->dport : p->sport;
	} else if (is_icmp(p->proto)) {
		/* ICMP type/code travel in the port slots (spec §1.4) */
		c->has_ports = true;
		c->lport = p->icmp_type;
		c->rport = p->icmp_code;
	}
	c->bytes = p->payload_len;
	if (addr_loopback(&c->raddr) || wfp_addr_eq(&c->laddr, &c->raddr))
		c->flags |= WFP_CONDITION_FLAG_IS_LOOPBACK;
	if (p->flags & WFP_PKT_F_FRAGMENT)
		c->flags |= WFP_CONDITION_FLAG_IS_FRAGMENT;
	if (p->flags & WFP_PKT_F_EMBEDDED) {
		c->has_emb = true;
		c->emb = p->emb;
	}
}

/* Non-error ICMP flows key on the echo id only (spec §3.1). */
static void flow_key_pkt(struct flow_key *k, const struct cls *c, const struct wfp_pkt *p)
{
	flow_key_of(k, c);
	if (is_icmp(p->proto)) {
		k->lport = p->icmp_id;
		k->rport = 0;
	}
}

static const unsigned per_packet_layers[] = {
	WFP_LAYER_INBOUND_IPPACKET_V4, WFP_LAYER_OUTBOUND_IPPACKET_V4,
	WFP_LAYER_INBOUND_TRANSPORT_V4, WFP_LAYER_OUTBOUND_TRANSPORT_V4,
	WFP_LAYER_STREAM_V4, WFP_LAYER_DATAGRAM_DATA_V4,
};

/*
 * FAST_PER_FLOW: could any filter at a per-packet layer match a packet of
 * this flow?  Those filters test only the 5-tuple (and direction), which
 * is the same for every packet of a TCP/UDP flow in one direction, so one
 * quiet classification per layer and direction answers for the flow's
 * lifetime (until the next policy change, i.e. the next epoch).
 */
static bool flow_fast_check(struct live *l, struct flow *f, const struct cls *c)
{
	struct cls cc = *c;
	struct wfp_verdict v;

	if (f->fast_checked && f->fast_epoch == l->d->epoch)
		return f->fast_res;
	f->fast_checked = true;
	f->fast_epoch = l->d->epoch;
	f->fast_res = false;
	if (f->k.proto != 6 && f->k.proto != 17)
		return false; /* ICMP: type/code change per packet */
	cc.ale = false;
	cc.si = NULL;
	cc.flags &= WFP_CONDITION_FLAG_IS_LOOPBACK;
	for (size_t i = 0; i < sizeof(per_packet_layers) / sizeof(per_packet_layers[0]); i++) {
		unsigned layer = lay(f->k.family, per_packet_layers[i]);

		for (int dir = 0; dir < 2; dir++) {
			cc.inbound = dir;
			cc.has_dir = true;
			cc.dir = dir ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
			classify_quiet(l, layer, &cc, NULL, &v);
			if (v.nmatched)
				return false;
		}
	}
	f->fast_res = true;
	return true;
}

static bool fast_ok(struct live *l, struct flow *f, const struct cls *c)
{
	switch (l->d->cfg.no_fastpath ? FAST_NEVER : l->fast_mode[f->k.family == 6]) {
	case FAST_ALWAYS:
		return true;
	case FAST_PER_FLOW:
		return flow_fast_check(l, f, c);
	default:
		return false;
	}
}

/*
 * May a new TCP flow take the fast path at its authorisation, before the
 * handshake completes?  Only when nobody could tell the difference: no
 * per-packet filter (fast_ok), no filter at FLOW_ESTABLISHED (a
 * notification layer whose verdict is not enforced anyway), and no monitor
 * watching the trace.  Then the handshake's later packets stay in the
 * kernel and FLOW_ESTABLISHED is not indicated; this is what brings new
 * connections/s above the floor of a do-nothing NFQUEUE consumer (issue 10
 * item 8): one packet per connection crosses to userspace instead of three.
 */
static bool early_fast(struct live *l, struct flow *f, const struct cls *c)
{
	int fam = f->k.family == 6;

	return f->k.proto == 6 && !l->est_filters[fam] && !mgmt_monitoring(l->d) &&
	       fast_ok(l, f, c);
}

static void maybe_mark(struct live *l, struct flow *f, const struct cls *c,
		       struct live_verdict *v)
{
	if (!fast_ok(l, f, c))
		return;
	if (f->k.proto == 6 && f->state != FLOW_ESTABLISHED)
		return;
	v->set_mark = true;
	v->mark = live_epoch_mark(l);
	f->marked = true;
	l->d->ctr.fastpath_marks++;
}

/* The ALE classification of a flow: at creation or as reauthorization.
 * true: permitted. */
static bool ale_auth(struct live *l, struct flow *f, struct cls *c, bool reauth)
{
	unsigned layer = lay(c->family, f->inbound ? WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4 :
					   WFP_LAYER_ALE_AUTH_CONNECT_V4);
	uint32_t flags = c->flags;
	bool blocked;

	c->ale = true;
	c->owner = f;
	c->app = f->app;
	c->pid = f->pid;
	if (reauth) {
		c->flags |= WFP_CONDITION_FLAG_IS_REAUTHORIZE;
		c->reauth = WFP_REAUTH_POLICY_CHANGE;
		l->d->ctr.reauths++;
	}
	/* the flow's own orientation, whatever direction this packet has */
	blocked = check(l, layer, c);
	c->flags = flags;
	c->reauth = 0;
	c->ale = false;
	f->auth_layer = (uint16_t)layer;
	f->gen = wfp_engine_layer_generation(l->d->engine, layer);
	return !blocked;
}

static void flow_established(struct live *l, struct flow *f, struct cls *c)
{
	struct wfp_verdict v;

	c->ale = true;
	c->has_dir = true;
	c->dir = f->inbound ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
	c->owner = f;
	c->app = f->app;
	c->pid = f->pid;
	/* a notification layer: its verdict is not enforced (spec §3.2) */
	classify(l, lay(c->family, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4), c, NULL, &v);
	c->ale = false;
	c->has_dir = false;
	f->state = FLOW_ESTABLISHED;
}

static bool data_layer(struct live *l, struct flow *f, struct cls *c, const struct wfp_pkt *p)
{
	unsigned layer;
	bool blocked;

	if (p->proto == 6 && !p->payload_len)
		return false;
	layer = p->proto == 6 ? WFP_LAYER_STREAM_V4 : WFP_LAYER_DATAGRAM_DATA_V4;
	c->has_dir = true;
	c->dir = c->inbound ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
	if (f) {
		c->owner = f;
		c->app = f->app;
		c->pid = f->pid;
	}
	blocked = check(l, lay(c->family, layer), c);
	c->has_dir = false;
	return blocked;
}

/* A flow for a packet conntrack already knows: wfpd restarted, or the
 * flow expired here while the kernel fast-pathed it.  The conntrack
 * direction says who opened it. */
static struct flow *adopt_flow(struct live *l, const struct flow_key *k,
			       const struct live_pkt *lp, struct cls *c)
{
	bool reply = lp->ctinfo >= LIVE_CT_ESTABLISHED_REPLY;
	struct sockinfo si;
	struct flow *f = flow_new(l, k);

	if (!f)
		return NULL;
	f->inbound = lp->outbound ? reply : !reply;
	f->state = FLOW_ESTABLISHED;
	lookup_sock(l, c, &si);
	flow_owner(l, f, lp, &si);
	if (!ale_auth(l, f, c, true)) {
		flow_unlink(l, f);
		return NULL;
	}
	return f;
}

/* A new connection (a SYN conntrack calls new) on the 5-tuple of an old
 * flow of ours (port reuse after a reset or TIME_WAIT): the old flow is
 * over, the new one is authorised afresh. */
static struct flow *reused_tuple(struct live *l, struct flow *f, const struct live_pkt *lp)
{
	const struct wfp_pkt *p = &lp->p;

	if (!f || p->proto != 6 || (p->tcp_flags & 0x16) != 0x02 || lp->ctinfo != LIVE_CT_NEW)
		return f;
	if (f->state == FLOW_SYN_SENT || f->state == FLOW_SYN_RCVD)
		return f; /* a retransmitted SYN of the flow being set up */
	flow_unlink(l, f);
	return NULL;
}

static bool ct_existing(const struct live_pkt *lp)
{
	return lp->has_ct && lp->ctinfo != LIVE_CT_NEW && lp->ctinfo != LIVE_CT_RELATED &&
	       lp->ctinfo != LIVE_CT_RELATED_REPLY;
}

/* Returns false when this packet must not authorise the fast path: the
 * client's SYN-ACK, whose final ACK must still pass the outbound layers
 * (spec §2.1 steps 18-19). */
static bool tcp_progress(struct live *l, struct flow *f, struct cls *c, const struct wfp_pkt *p)
{
	if (p->tcp_flags & 0x05) { /* FIN / RST: the flow is ending */
		if (f->state == FLOW_ESTABLISHED || (p->tcp_flags & 0x04))
			f->state = FLOW_CLOSING;
		return false;
	}
	if (!c->inbound)
		return true;
	/* client: SYN-ACK received; server: the final ACK received */
	if (f->state == FLOW_SYN_SENT && (p->tcp_flags & 0x12) == 0x12) {
		flow_established(l, f, c);
		return false;
	}
	if (f->state == FLOW_SYN_RCVD && (p->tcp_flags & 0x12) == 0x10)
		flow_established(l, f, c);
	return true;
}

static enum live_action inbound_new(struct live *l, const struct live_pkt *lp, struct cls *c,
				    const struct flow_key *k, struct flow **fp)
{
	const struct wfp_pkt *p = &lp->p;
	struct sockinfo si;
	struct flow *f;

	*fp = NULL;
	if (p->proto == 6 || p->proto == 17) {
		/* the table's socket lookup answers "is there an endpoint";
		 * sock_diag is asked only when the owner matters */
		if (lp->sock_known && !l->d->user_needed && !l->d->app_needed &&
		    !mgmt_monitoring(l->d)) {
			memset(&si, 0, sizeof(si));
			si.found = lp->sock_found;
		} else {
			lookup_sock(l, c, &si);
		}
		if (!si.found) {
			/* no endpoint: the kernel would answer RST (TCP, at the
			 * transport discard layer) or port unreachable (UDP, at
			 * the IP packet discard layer); a block there is stealth */
			bool tcp = p->proto == 6;
			unsigned layer = tcp ? WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD :
					       WFP_LAYER_INBOUND_IPPACKET_V4_DISCARD;

			if (discard(l, lay(c->family, layer), c,
				    tcp ? WFP_DISCARD_MODULE_TRANSPORT : WFP_DISCARD_MODULE_NETWORK,
				    tcp ? WFP_INET_DISCARD_ENDPOINT_NOT_FOUND :
					  WFP_IP_DISCARD_PORT_UNREACHABLE)) {
				l->d->ctr.stealth_drops++;
				return LIVE_DROP;
			}
			return LIVE_ACCEPT;
		}
	} else {
		memset(&si, 0, sizeof(si));
	}
	c->si = &si;
	if (check(l, lay(c->family, WFP_LAYER_INBOUND_TRANSPORT_V4), c))
		return LIVE_DROP;
	f = flow_new(l, k);
	if (!f)
		return LIVE_DROP; /* flow table full: fail closed */
	f->inbound = true;
	f->state = p->proto == 6 ? FLOW_SYN_RCVD : FLOW_ESTABLISHED;
	flow_owner(l, f, lp, &si);
	c->si = NULL;
	if (!ale_auth(l, f, c, false)) {
		flow_unlink(l, f);
		return LIVE_DROP;
	}
	if (p->proto != 6)
		flow_established(l, f, c);
	else if (early_fast(l, f, c))
		f->state = FLOW_ESTABLISHED;
	*fp = f;
	return LIVE_ACCEPT;
}

static void inbound(struct live *l, const struct live_pkt *lp, struct live_verdict *v)
{
	const struct wfp_pkt *p = &lp->p;
	struct flow_key k;
	struct flow *f;
	struct cls c;
	bool markable;

	cls_of(&c, lp);
	v->action = LIVE_DROP;
	if (check(l, lay(c.family, WFP_LAYER_INBOUND_IPPACKET_V4), &c))
		return;
	if (p->flags & WFP_PKT_F_FRAGMENT && p->frag_off) {
		v->action = LIVE_ACCEPT; /* transport layers see reassembled packets */
		return;
	}
	if (pkt_icmp_is_error(p)) {
		if (!check(l, lay(c.family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c) &&
		    !check(l, lay(c.family, WFP_LAYER_INBOUND_ICMP_ERROR_V4), &c))
			v->action = LIVE_ACCEPT;
		return;
	}
	flow_key_pkt(&k, &c, p);
	f = flow_find(l, &k);
	f = reused_tuple(l, f, lp);
	if (!f) {
		bool syn = p->proto == 6 && (p->tcp_flags & 0x16) == 0x02;

		if (ct_existing(lp) && !syn && !(p->proto == 6 && (p->tcp_flags & 0x04))) {
			if (check(l, lay(c.family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
				return;
			f = adopt_flow(l, &k, lp, &c);
			if (!f)
				return;
		} else if (p->proto == 6 && !syn) {
			/* a stray segment for no flow of ours: the kernel answers
			 * or ignores it; the transport layer still sees it */
			if (!check(l, lay(c.family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
				v->action = LIVE_ACCEPT;
			return;
		} else {
			v->action = inbound_new(l, lp, &c, &k, &f);
			if (!f)
				return;
		}
	} else {
		if (check(l, lay(c.family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
			return;
		if (f->gen != wfp_engine_layer_generation(l->d->engine, f->auth_layer) &&
		    !ale_auth(l, f, &c, true)) {
			flow_unlink(l, f);
			return;
		}
	}
	f->last_ms = now_ms();
	f->packets++;
	markable = p->proto != 6 || tcp_progress(l, f, &c, p);
	if (data_layer(l, f, &c, p))
		return;
	v->action = LIVE_ACCEPT;
	if (markable)
		maybe_mark(l, f, &c, v);
}

static enum live_action outbound_new(struct live *l, const struct live_pkt *lp, struct cls *c,
				     const struct flow_key *k, struct flow **fp)
{
	const struct wfp_pkt *p = &lp->p;
	struct sockinfo si;
	struct flow *f;

	*fp = NULL;
	f = flow_new(l, k);
	if (!f)
		return LIVE_DROP; /* flow table full: fail closed */
	f->inbound = false;
	f->state = p->proto == 6 ? FLOW_SYN_SENT : FLOW_ESTABLISHED;
	lookup_sock(l, c, &si);
	flow_owner(l, f, lp, &si);
	if (!ale_auth(l, f, c, false)) {
		flow_unlink(l, f);
		/* WFP fails the connect()/sendto() at once (EACCES); here the
		 * kernel answers the local socket with a reset/unreachable */
		return LIVE_REJECT;
	}
	if (p->proto != 6)
		flow_established(l, f, c);
	else if (early_fast(l, f, c))
		f->state = FLOW_ESTABLISHED;
	*fp = f;
	return LIVE_ACCEPT;
}

static void outbound(struct live *l, const struct live_pkt *lp, struct live_verdict *v)
{
	const struct wfp_pkt *p = &lp->p;
	struct flow_key k;
	struct flow *f = NULL;
	struct cls c;

	cls_of(&c, lp);
	v->action = LIVE_DROP;
	if (pkt_icmp_is_error(p)) {
		/* errors the stack generates: OUTBOUND_ICMP_ERROR first (spec §2.2) */
		if (!check(l, lay(c.family, WFP_LAYER_OUTBOUND_ICMP_ERROR_V4), &c) &&
		    !check(l, lay(c.family, WFP_LAYER_OUTBOUND_TRANSPORT_V4), &c) &&
		    !check(l, lay(c.family, WFP_LAYER_OUTBOUND_IPPACKET_V4), &c))
			v->action = LIVE_ACCEPT;
		return;
	}
	if (!(p->flags & WFP_PKT_F_FRAGMENT && p->frag_off)) {
		bool syn = p->proto == 6 && (p->tcp_flags & 0x16) == 0x02;

		flow_key_pkt(&k, &c, p);
		f = flow_find(l, &k);
		f = reused_tuple(l, f, lp);
		if (!f && (p->proto == 6 || p->proto == 17 || is_icmp(p->proto))) {
			if (p->proto == 6 && (p->tcp_flags & 0x04)) {
				/* a reset for no flow of ours (e.g. the kernel's
				 * answer to a closed port): transport + IP only */
			} else if (syn || (p->proto != 6 && !ct_existing(lp))) {
				v->action = outbound_new(l, lp, &c, &k, &f);
				if (!f)
					return;
			} else if (ct_existing(lp)) {
				f = adopt_flow(l, &k, lp, &c);
				if (!f) {
					v->action = LIVE_REJECT;
					return;
				}
			}
		} else if (f && f->gen != wfp_engine_layer_generation(l->d->engine,
								      f->auth_layer) &&
			   !ale_auth(l, f, &c, true)) {
			flow_unlink(l, f);
			v->action = LIVE_REJECT; /* cut the stream: the sender sees a reset */
			return;
		}
	}
	if (f) {
		f->last_ms = now_ms();
		f->packets++;
		if (p->proto == 6 && !tcp_progress(l, f, &c, p))
			f = NULL; /* a FIN/RST: no fast path for a closing flow */
		if (data_layer(l, f, &c, p))
			return;
	}
	if (check(l, lay(c.family, WFP_LAYER_OUTBOUND_TRANSPORT_V4), &c) ||
	    check(l, lay(c.family, WFP_LAYER_OUTBOUND_IPPACKET_V4), &c))
		return;
	v->action = LIVE_ACCEPT;
	if (f)
		maybe_mark(l, f, &c, v);
}

void live_packet(struct live *l, const struct live_pkt *lp, struct live_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (lp->outbound)
		outbound(l, lp, v);
	else
		inbound(l, lp, v);
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

bool live_kernel_path_ok(struct live *l, bool v6)
{
	return l->fast_mode[v6] == FAST_ALWAYS && !l->est_filters[v6];
}

void live_policy_changed(struct live *l)
{
	for (int fam = 0; fam < 2; fam++) {
		int mode = FAST_ALWAYS;
		size_t n;

		for (size_t i = 0; i < sizeof(per_packet_layers) / sizeof(per_packet_layers[0]); i++) {
			int m = layer_fast_mode(l, lay(fam ? 6 : 4, per_packet_layers[i]), &n);

			if (m > mode)
				mode = m;
		}
		l->fast_mode[fam] = (uint8_t)mode;
		layer_fast_mode(l, lay(fam ? 6 : 4, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4), &n);
		l->est_filters[fam] = n != 0;
	}
}

struct live *live_new(struct wfpd *d)
{
	struct live *l = calloc(1, sizeof(*l));
	uint32_t n = 1;

	if (!l)
		return NULL;
	l->d = d;
	l->max_flows = d->cfg.max_flows;
	while (n < l->max_flows)
		n <<= 1;
	l->nbuckets = n;
	l->pool = calloc(l->max_flows, sizeof(*l->pool));
	l->buckets = calloc(n, sizeof(*l->buckets));
	if (!l->pool || !l->buckets) {
		live_free(l);
		return NULL;
	}
	for (uint32_t i = 0; i < l->max_flows; i++) {
		l->pool[i].next = l->free;
		l->free = &l->pool[i];
	}
	l->hash_seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms();
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
	free(l->pool);
	free(l->buckets);
	free(l);
}

void live_flows_foreach(struct live *l, void (*fn)(const struct live_flow_info *fi, void *ctx),
			void *ctx)
{
	uint64_t now = now_ms();

	for (uint32_t b = 0; b < l->nbuckets; b++) {
		for (struct flow *f = l->buckets[b]; f; f = f->next) {
			struct live_flow_info fi = {
				.id = f->id,
				.family = f->k.family,
				.proto = f->k.proto,
				.inbound = f->inbound,
				.state = flow_state_names[f->state < 5 ? f->state : 0],
				.auth_layer = f->auth_layer,
				.lport = f->k.lport,
				.rport = f->k.rport,
				.age_ms = now - f->created_ms,
				.idle_ms = now - f->last_ms,
				.packets = f->packets,
				.fastpath = f->marked,
				.has_uid = f->has_uid,
				.uid = f->uid,
				.pid = f->pid,
				.app = f->app,
			};

			fi.laddr.family = fi.raddr.family = f->k.family;
			if (f->k.family == 4) {
				memcpy(&fi.laddr.v4, f->k.laddr, 4);
				memcpy(&fi.raddr.v4, f->k.raddr, 4);
			} else {
				memcpy(fi.laddr.v6, f->k.laddr, 16);
				memcpy(fi.raddr.v6, f->k.raddr, 16);
			}
			fn(&fi, ctx);
		}
	}
}

unsigned live_flow_count(const struct live *l)
{
	return l->nflows;
}
