// SPDX-License-Identifier: MIT
/*
 * stack.c - the host object of the stack model: addresses, sockets, the
 * classification wrapper that turns what the stack knows into a layer's
 * incoming values (spec §1.3, §1.4) and reports it to the trace, the
 * discard re-indication of spec §2.6, and the IP layer of both paths
 * (INBOUND_IPPACKET on receive; OUTBOUND_TRANSPORT + OUTBOUND_IPPACKET on
 * send).  The protocol shims (shim_*.c) decide which layers a socket call
 * or packet visits; ale.c keeps the flows.  docs/internals/stack.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "compat.h"
#include "stack.h"

static const char *const event_names[WFP_EV_MAX] = {
	[WFP_EV_BIND] = "bind",
	[WFP_EV_LISTEN] = "listen",
	[WFP_EV_CONNECT] = "connect",
	[WFP_EV_ACCEPT] = "accept",
	[WFP_EV_SYN] = "SYN",
	[WFP_EV_SYN_ACK] = "SYN-ACK",
	[WFP_EV_ACK] = "ACK",
	[WFP_EV_DATA] = "data",
	[WFP_EV_FIN] = "FIN",
	[WFP_EV_RST] = "RST",
	[WFP_EV_DATAGRAM] = "datagram",
	[WFP_EV_ICMP_ECHO] = "icmp-echo",
	[WFP_EV_ICMP_REPLY] = "icmp-reply",
	[WFP_EV_ICMP_ERROR] = "icmp-error",
	[WFP_EV_ICMP] = "icmp",
	[WFP_EV_CLOSE] = "close",
	[WFP_EV_PACKET] = "packet",
};

const char *wfp_stack_event_name(unsigned ev)
{
	return ev < WFP_EV_MAX && event_names[ev] ? event_names[ev] : "?";
}

static const char *const drop_names[WFP_DROP_MAX] = {
	[WFP_DROP_NONE] = "none",
	[WFP_DROP_FILTER] = "filter",
	[WFP_DROP_REAUTH] = "reauth",
	[WFP_DROP_NO_ENDPOINT] = "no-endpoint",
	[WFP_DROP_STEALTH] = "stealth",
	[WFP_DROP_FLOW_LIMIT] = "flow-limit",
	[WFP_DROP_SOCK_LIMIT] = "socket-limit",
	[WFP_DROP_NOT_LOCAL] = "not-local",
	[WFP_DROP_MALFORMED] = "malformed",
	[WFP_DROP_FRAGMENT] = "fragment",
	[WFP_DROP_STATE] = "tcp-state",
};

const char *wfp_drop_reason_name(unsigned r)
{
	return r < WFP_DROP_MAX && drop_names[r] ? drop_names[r] : "?";
}

/* ---- addresses ---- */

int wfp_addr_parse(const char *s, struct wfp_addr *out)
{
	struct in_addr a4;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -WFP_E_PARSE;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out->family = WFP_AF_INET;
		out->v4 = ntohl(a4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->v6) == 1) {
		out->family = WFP_AF_INET6;
		return 0;
	}
	return -WFP_E_PARSE;
}

char *wfp_addr_format(const struct wfp_addr *a, char *buf, size_t len)
{
	struct in_addr a4;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (a->family == WFP_AF_INET) {
		a4.s_addr = htonl(a->v4);
		inet_ntop(AF_INET, &a4, buf, len);
	} else if (a->family == WFP_AF_INET6) {
		inet_ntop(AF_INET6, a->v6, buf, len);
	}
	return buf;
}

int wfp_addr_eq(const struct wfp_addr *a, const struct wfp_addr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == WFP_AF_INET)
		return a->v4 == b->v4;
	return !memcmp(a->v6, b->v6, 16);
}

bool addr_unspec(const struct wfp_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == WFP_AF_INET)
		return a->v4 == 0;
	return !memcmp(a->v6, zero, 16);
}

static bool addr_is_loopback(const struct wfp_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (a->family == WFP_AF_INET)
		return (a->v4 >> 24) == 127;
	return !memcmp(a->v6, one, 16);
}

static uint8_t addr_type(const struct wfp_addr *a)
{
	if (addr_unspec(a))
		return NL_ADDR_UNSPECIFIED;
	if (a->family == WFP_AF_INET) {
		if ((a->v4 >> 28) == 0xe)
			return NL_ADDR_MULTICAST;
		if (a->v4 == 0xffffffffU)
			return NL_ADDR_BROADCAST;
		return NL_ADDR_UNICAST;
	}
	return a->v6[0] == 0xff ? NL_ADDR_MULTICAST : NL_ADDR_UNICAST;
}

bool raw_proto(int proto)
{
	return proto != WFP_PROTO_TCP && proto != WFP_PROTO_UDP && proto != WFP_PROTO_ICMP &&
	       proto != WFP_PROTO_ICMPV6;
}

unsigned lay(int family, unsigned v4layer)
{
	if (family != WFP_AF_INET6)
		return v4layer;
	/* ids 0-55 come in V4, V4_DISCARD, V6, V6_DISCARD quadruples;
	 * ids 62-71 in V4, V6 pairs (spec §1.2). */
	return v4layer < WFP_LAYER_INBOUND_MAC_FRAME_ETHERNET ? v4layer + 2 : v4layer + 1;
}

/* ---- host ---- */

struct wfp_host *wfp_host_new(struct wfp_engine *e, const struct wfp_host_opts *o)
{
	struct wfp_host_opts def = { .sz = sizeof(def) };
	struct wfp_host *h;

	if (!e) {
		errno = EINVAL;
		return NULL;
	}
	if (o) {
		/* libbpf OPTS style: copy what the caller knows, zero the rest */
		if (o->sz < offsetof(struct wfp_host_opts, name)) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(&def, o, o->sz < sizeof(def) ? o->sz : sizeof(def));
	}
	o = &def;
	if (o->eph_lo && o->eph_hi < o->eph_lo) {
		errno = EINVAL;
		return NULL;
	}
	h = wfp_calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->engine = e;
	h->name = wfp_strdup(o->name ? o->name : "host");
	h->max_socks = o->max_sockets ? o->max_sockets : 4096;
	h->nchunks = (h->max_socks + SOCK_CHUNK - 1) / SOCK_CHUNK;
	h->chunks = wfp_calloc(h->nchunks, sizeof(*h->chunks));
	h->flows = wfp_flow_table_new(o->max_flows ? o->max_flows : 65536,
				      (o->flags & WFP_HOST_F_FIXED_KEY) ? o->hash_key : NULL);
	h->frags = frag_table_new();
	if (!h->name || !h->chunks || !h->flows || !h->frags)
		goto err_free_host;
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		unsigned n = wfp_layer_field_count(l);

		h->nfields[l] = (uint8_t)(n > WFP_MAX_FIELDS_PER_LAYER ? WFP_MAX_FIELDS_PER_LAYER : n);
		for (unsigned i = 0; i < h->nfields[l]; i++)
			h->field_of[l][i] = (int8_t)wfp_layer_field(l, i);
	}
	h->full_gc_ms = UINT64_MAX;
	for (unsigned i = 0; i < PORT_BUCKETS; i++)
		h->port_head[i] = -1;
	h->flags = o->flags;
	h->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : 60000;
	h->tcp_idle_ms = o->tcp_idle_timeout_ms;
	h->eph_lo = o->eph_lo ? o->eph_lo : 49152;
	h->eph_hi = o->eph_lo ? o->eph_hi : 65535;
	h->eph_next[0] = h->eph_next[1] = h->eph_lo;
	h->icmp_id_next = 1;
	h->last_sd = -ENOTCONN;
	h->st.flows_max = wfp_flow_max(h->flows);
	return h;

err_free_host:
	wfp_host_free(h);
	return NULL;
}

static void release_contexts(struct wfp_flow *f, void *ctx)
{
	ale_flow_contexts_release(ctx, f);
}

void wfp_host_free(struct wfp_host *h)
{
	if (!h)
		return;
	for (unsigned i = 0; h->chunks && i < h->nchunks; i++) {
		if (!h->chunks[i])
			continue;
		for (unsigned j = 0; j < SOCK_CHUNK; j++)
			wfp_free(h->chunks[i][j].app);
		wfp_free(h->chunks[i]);
	}
	wfp_free(h->chunks);
	if (h->flows) /* the host goes: its flows' callout contexts too */
		wfp_flow_scan(h->flows, wfp_flow_nbuckets(h->flows), release_contexts, h);
	wfp_flow_table_free(h->flows);
	wfp_free(h->frags);
	wfp_free(h->name);
	wfp_free(h);
}

const char *wfp_host_name(const struct wfp_host *h)
{
	return h->name;
}

struct wfp_engine *wfp_host_engine(const struct wfp_host *h)
{
	return h->engine;
}

int wfp_host_add_addr(struct wfp_host *h, const struct wfp_addr *a)
{
	if (!a || (a->family != WFP_AF_INET && a->family != WFP_AF_INET6) ||
	    addr_unspec(a))
		return -WFP_E_INVAL;
	if (addr_is_loopback(a))
		return -WFP_E_ALREADY_EXISTS;
	for (unsigned i = 0; i < h->naddrs; i++)
		if (wfp_addr_eq(&h->addrs[i], a))
			return -WFP_E_ALREADY_EXISTS;
	if (h->naddrs == HOST_MAX_ADDRS)
		return -WFP_E_LIMIT;
	h->addrs[h->naddrs++] = *a;
	return 0;
}

const struct wfp_addr *wfp_host_addr(const struct wfp_host *h, int family)
{
	for (unsigned i = 0; i < h->naddrs; i++)
		if (h->addrs[i].family == family)
			return &h->addrs[i];
	return NULL;
}

int wfp_host_is_local(const struct wfp_host *h, const struct wfp_addr *a)
{
	if (h->flags & WFP_HOST_F_ALL_LOCAL)
		return 1;
	if (addr_is_loopback(a))
		return 1;
	for (unsigned i = 0; i < h->naddrs; i++)
		if (wfp_addr_eq(&h->addrs[i], a))
			return 1;
	return 0;
}

bool stack_loopback(const struct wfp_host *h, const struct wfp_addr *l,
		    const struct wfp_addr *r)
{
	if (h->flags & WFP_HOST_F_ALL_LOCAL)
		return addr_is_loopback(r) || wfp_addr_eq(l, r);
	return wfp_host_is_local(h, r);
}

void wfp_host_set_trace(struct wfp_host *h, wfp_trace_fn fn, void *ctx)
{
	h->trace = fn;
	h->trace_ctx = ctx;
}

void wfp_host_set_output(struct wfp_host *h, wfp_pkt_out_fn fn, void *ctx)
{
	h->out = fn;
	h->out_ctx = ctx;
}

void wfp_host_set_endpoint_lookup(struct wfp_host *h, wfp_endpoint_fn fn, void *ctx)
{
	h->resolve = fn;
	h->resolve_ctx = ctx;
}

void wfp_host_set_time(struct wfp_host *h, uint64_t now_ms)
{
	uint64_t ticks;

	if (now_ms <= h->now_ms)
		return;
	/* One GC slice per elapsed second, at most one full sweep: the work
	 * per call stays bounded however far the clock jumps. */
	ticks = (now_ms - h->now_ms + 999) / 1000;
	h->now_ms = now_ms;
	if (ticks * HOST_GC_BUCKETS > wfp_flow_nbuckets(h->flows))
		ale_expire(h, wfp_flow_nbuckets(h->flows));
	else
		ale_expire(h, (uint32_t)ticks * HOST_GC_BUCKETS);
}

uint64_t wfp_host_time(const struct wfp_host *h)
{
	return h->now_ms;
}

const struct wfp_host_stats *wfp_host_stats(const struct wfp_host *h)
{
	struct wfp_host_stats *st = (struct wfp_host_stats *)&h->st;

	st->flows = wfp_flow_count(h->flows);
	st->flows_peak = wfp_flow_peak(h->flows);
	st->flows_max = wfp_flow_max(h->flows);
	return st;
}

int wfp_host_last_socket(const struct wfp_host *h)
{
	return h->last_sd;
}

/* ---- sockets ---- */

struct sock *stack_sock(struct wfp_host *h, int sd)
{
	struct sock *s;

	if (sd < 0 || (unsigned)sd >= h->max_socks || !h->chunks[sd / SOCK_CHUNK])
		return NULL;
	s = &h->chunks[sd / SOCK_CHUNK][sd % SOCK_CHUNK];
	return s->used ? s : NULL;
}

/* A new socket; the owner is copied from owner_of (NULL: unknown).  The
 * search starts at the lowest slot that may be free (sock_hint), so an
 * observer with thousands of implicit sockets does not rescan them. */
int stack_sock_new(struct wfp_host *h, int family, int proto, const struct sock *owner_of)
{
	char *app = NULL;

	if (owner_of && owner_of->app) {
		app = wfp_strdup(owner_of->app);
		if (!app)
			return -ENOMEM;
	}
	for (unsigned sd = h->sock_hint; sd < h->max_socks; sd++) {
		unsigned c = sd / SOCK_CHUNK;
		struct sock *s;

		if (!h->chunks[c]) {
			h->chunks[c] = wfp_calloc(SOCK_CHUNK, sizeof(struct sock));
			if (!h->chunks[c]) {
				wfp_free(app);
				return -ENOMEM;
			}
		}
		s = &h->chunks[c][sd % SOCK_CHUNK];
		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->family = (uint8_t)family;
		s->proto = (uint8_t)proto;
		s->laddr.family = (uint8_t)family;
		s->raddr.family = (uint8_t)family;
		s->listener = -1;
		s->pnext = -1;
		s->app = app;
		if (owner_of && owner_of->has_user) {
			s->has_user = true;
			s->tok.uid = owner_of->tok.uid;
			s->gid = owner_of->gid;
		}
		h->st.sockets++;
		h->sock_hint = sd + 1;
		return (int)sd;
	}
	h->sock_hint = h->max_socks;
	wfp_free(app);
	h->st.drops[WFP_DROP_SOCK_LIMIT]++;
	return -EMFILE;
}

int stack_port_first(const struct wfp_host *h, uint16_t port)
{
	return h->port_head[port % PORT_BUCKETS];
}

void stack_port_link(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);
	int32_t *head;

	if (!s || s->indexed)
		return;
	head = &h->port_head[s->lport % PORT_BUCKETS];
	s->pnext = *head;
	*head = sd;
	s->indexed = true;
}

static void port_unlink(struct wfp_host *h, int sd, struct sock *s)
{
	int32_t *pp = &h->port_head[s->lport % PORT_BUCKETS];

	while (*pp >= 0) {
		if (*pp == sd) {
			*pp = s->pnext;
			break;
		}
		pp = &stack_sock(h, *pp)->pnext;
	}
	s->indexed = false;
}

void stack_sock_release(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return;
	if (s->indexed)
		port_unlink(h, sd, s);
	wfp_free(s->app);
	memset(s, 0, sizeof(*s));
	h->st.sockets--;
	if ((unsigned)sd < h->sock_hint)
		h->sock_hint = (unsigned)sd;
	if (h->last_sd == sd)
		h->last_sd = -ENOTCONN;
}

int stack_implicit_sock(struct wfp_host *h, int family, int proto, const struct wfp_addr *laddr,
			uint16_t lport, bool inbound)
{
	struct wfp_sock_owner o = { 0 };
	struct sock tmp = { 0 }, *s;
	int known = 0, sd;

	if (h->resolve)
		known = h->resolve(h, proto, laddr, lport, &o, h->resolve_ctx) > 0;
	if (inbound && !known)
		return -ECONNREFUSED;
	tmp.app = (char *)o.app;
	tmp.has_user = known && o.has_user;
	tmp.tok.uid = o.uid;
	tmp.gid = o.gid;
	sd = stack_sock_new(h, family, proto, known ? &tmp : NULL);
	if (sd < 0)
		return sd;
	s = stack_sock(h, sd);
	s->implicit = true;
	s->bound = true;
	s->lport = lport;
	stack_port_link(h, sd);
	if (!inbound)
		s->laddr = *laddr; /* a connecting socket: its real source */
	s->state = (inbound && proto == WFP_PROTO_TCP) ? WFP_SOCK_LISTEN : WFP_SOCK_BOUND;
	return sd;
}

int stack_implicit_check(struct wfp_host *h, int sd, const struct wfp_addr *laddr)
{
	struct sock *s = stack_sock(h, sd);
	struct wfp_sock_owner o = { 0 };

	if (!s || !s->implicit || !(h->flags & WFP_HOST_F_INLINE))
		return sd;
	if (!h->resolve || h->resolve(h, s->proto, laddr, s->lport, &o, h->resolve_ctx) <= 0) {
		/* the real socket is gone; flows that still name it as their
		 * owner keep it until they go (sock_unlink, ale_flow_free),
		 * unfindable */
		if (s->indexed)
			port_unlink(h, sd, s);
		s->state = WFP_SOCK_CLOSED;
		if (!s->flows && !s->lrefs)
			stack_sock_release(h, sd);
		return -ECONNREFUSED;
	}
	/* the owner may have changed (another process listens now) */
	if (o.app && (!s->app || strcmp(o.app, s->app))) {
		char *app = wfp_strdup(o.app);

		if (app) {
			wfp_free(s->app);
			s->app = app;
		}
	} else if (!o.app && s->app) {
		wfp_free(s->app);
		s->app = NULL;
	}
	s->has_user = o.has_user != 0;
	s->tok.uid = o.uid;
	s->gid = o.gid;
	return sd;
}

int wfp_sock_open(struct wfp_host *h, int family, int proto,
		  const struct wfp_sock_owner *owner)
{
	struct sock tmp = { 0 };

	if (family != WFP_AF_INET && family != WFP_AF_INET6)
		return -EAFNOSUPPORT;
	/* TCP, UDP, or a raw protocol handled like UDP without ports (§2.2);
	 * ICMP belongs to the host's ICMP module */
	if (proto <= 0 || proto > 255 || proto == WFP_PROTO_ICMP || proto == WFP_PROTO_ICMPV6)
		return -EPROTONOSUPPORT;
	if (owner) {
		tmp.app = (char *)owner->app;
		tmp.has_user = owner->has_user;
		tmp.tok.uid = owner->uid;
		tmp.gid = owner->gid;
	}
	return stack_sock_new(h, family, proto, owner ? &tmp : NULL);
}

int wfp_sock_state(const struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock((struct wfp_host *)h, sd);

	return s ? s->state : -EBADF;
}

int wfp_sock_error(const struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock((struct wfp_host *)h, sd);

	return s ? s->err : -EBADF;
}

int wfp_sock_local_port(const struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock((struct wfp_host *)h, sd);

	return s ? s->lport : -EBADF;
}

int wfp_sock_remote_port(const struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock((struct wfp_host *)h, sd);

	return s ? s->rport : -EBADF;
}

static bool port_in_use(struct wfp_host *h, int family, int proto, uint16_t port)
{
	for (int sd = stack_port_first(h, port); sd >= 0; sd = stack_sock(h, sd)->pnext) {
		struct sock *s = stack_sock(h, sd);

		if (s->proto == proto && s->family == family && s->lport == port)
			return true;
	}
	return false;
}

/* Ephemeral ports are handed out in order from eph_lo, wrapping, skipping
 * ports in use: deterministic, which the sim's golden traces need. */
static int eph_port(struct wfp_host *h, int family, int proto)
{
	uint16_t *next = &h->eph_next[proto == WFP_PROTO_TCP ? 0 : 1];
	unsigned span = (unsigned)h->eph_hi - h->eph_lo + 1;

	for (unsigned i = 0; i < span; i++) {
		uint16_t p = *next;

		*next = p == h->eph_hi ? h->eph_lo : p + 1;
		if (!port_in_use(h, family, proto, p))
			return p;
	}
	return -EADDRINUSE;
}

/* The bind of spec §2.1 steps 1-2 / 4-5: BIND_REDIRECT, then
 * RESOURCE_ASSIGNMENT with the assigned port (IS_WILDCARD_BIND when the
 * application left the port or the address to the stack, spec §3.2). */
int stack_bind(struct wfp_host *h, int sd, const struct wfp_addr *addr, uint16_t port)
{
	struct sock *s = stack_sock(h, sd);
	struct cls c = { .event = WFP_EV_BIND, .ale = true };
	int eph;

	if (!s)
		return -EBADF;
	if (s->bound)
		return -EINVAL;
	if (addr && addr->family != s->family)
		return -EAFNOSUPPORT;
	if (addr && !addr_unspec(addr) && !wfp_host_is_local(h, addr))
		return -EADDRNOTAVAIL;
	if (port && port_in_use(h, s->family, s->proto, port))
		return -EADDRINUSE;
	c.family = s->family;
	c.proto = s->proto;
	c.owner = s;
	c.has_laddr = true;
	c.laddr.family = s->family;
	if (addr)
		c.laddr = *addr;
	c.has_lport = true;
	c.lport = port;
	if (!port || addr_unspec(&c.laddr))
		c.flags |= WFP_CONDITION_FLAG_IS_WILDCARD_BIND;
	/* Redirect layers carry no _DISCARD twin; a static BLOCK there fails
	 * the call (docs/internals/stack.md). */
	if (stack_check(h, lay(s->family, WFP_LAYER_ALE_BIND_REDIRECT_V4), &c))
		return -EACCES;
	if (raw_proto(s->proto)) {
		c.flags |= WFP_CONDITION_FLAG_IS_RAW_ENDPOINT;
	} else if (!port) {
		eph = eph_port(h, s->family, s->proto);
		if (eph < 0)
			return eph;
		c.lport = (uint16_t)eph;
	}
	if (stack_check(h, lay(s->family, WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4), &c))
		return -EACCES;
	s->laddr = c.laddr;
	s->lport = c.lport;
	s->bound = true;
	stack_port_link(h, sd);
	s->has_rsrc = true;
	if (s->state == WFP_SOCK_CLOSED)
		s->state = WFP_SOCK_BOUND;
	return 0;
}

int wfp_sock_bind(struct wfp_host *h, int sd, const struct wfp_addr *addr, uint16_t port)
{
	return stack_bind(h, sd, addr, port);
}

/* ALE_AUTH_LISTEN (spec §2.1 step 3). */
int wfp_sock_listen(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);
	struct cls c = { .event = WFP_EV_LISTEN, .ale = true };
	int ret;

	if (!s)
		return -EBADF;
	if (s->proto != WFP_PROTO_TCP)
		return -EOPNOTSUPP;
	if (s->state == WFP_SOCK_LISTEN)
		return 0;
	if (!s->bound) {
		ret = stack_bind(h, sd, NULL, 0);
		if (ret)
			return ret;
	}
	if (s->state != WFP_SOCK_BOUND)
		return -EINVAL;
	c.family = s->family;
	c.proto = s->proto;
	c.owner = s;
	c.has_laddr = c.has_lport = true;
	c.laddr = s->laddr;
	c.lport = s->lport;
	if (stack_check(h, lay(s->family, WFP_LAYER_ALE_AUTH_LISTEN_V4), &c))
		return -EACCES;
	s->state = WFP_SOCK_LISTEN;
	s->endpoint = true;
	return 0;
}

int wfp_sock_connect(struct wfp_host *h, int sd, const struct wfp_addr *dst, uint16_t port)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return -EBADF;
	if (!dst || dst->family != s->family || addr_unspec(dst))
		return -EINVAL;
	if (s->proto == WFP_PROTO_TCP)
		return tcp_connect(h, sd, dst, port);
	/* connected UDP: only the default peer; ALE runs per datagram flow */
	if (!s->bound) {
		int ret = stack_bind(h, sd, NULL, 0);

		if (ret)
			return ret;
	}
	s->raddr = *dst;
	s->rport = port;
	s->has_peer = true;
	return 0;
}

int wfp_sock_accept(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return -EBADF;
	if (s->state != WFP_SOCK_LISTEN)
		return -EINVAL;
	for (unsigned c = 0; c < h->nchunks; c++) {
		if (!h->chunks[c])
			continue;
		for (unsigned j = 0; j < SOCK_CHUNK; j++) {
			struct sock *k = &h->chunks[c][j];

			if (k->used && k->accept_ready && k->listener == sd) {
				k->accept_ready = false;
				return (int)(c * SOCK_CHUNK + j);
			}
		}
	}
	return -EAGAIN;
}

int wfp_sock_send(struct wfp_host *h, int sd, uint32_t len)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return -EBADF;
	if (s->proto == WFP_PROTO_TCP)
		return tcp_send(h, sd, len);
	if (!s->has_peer)
		return -EDESTADDRREQ;
	return udp_sendto(h, sd, &s->raddr, s->rport, len);
}

int wfp_sock_sendto(struct wfp_host *h, int sd, const struct wfp_addr *dst,
		    uint16_t port, uint32_t len)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return -EBADF;
	if (s->proto == WFP_PROTO_TCP)
		return -EOPNOTSUPP;
	if (!dst || dst->family != s->family || addr_unspec(dst))
		return -EINVAL;
	return udp_sendto(h, sd, dst, port, len);
}

/* ENDPOINT_CLOSURE then RESOURCE_RELEASE (spec §3.6): notifications; a
 * verdict there changes nothing. */
static void close_notify(struct wfp_host *h, struct sock *s)
{
	struct cls c = { .event = WFP_EV_CLOSE, .ale = true };
	struct wfp_verdict v;

	c.family = s->family;
	c.proto = s->proto;
	c.owner = s;
	c.has_laddr = c.has_lport = true;
	c.laddr = s->laddr;
	c.lport = s->lport;
	if (s->has_peer && s->proto == WFP_PROTO_TCP) {
		c.has_raddr = c.has_rport = true;
		c.raddr = s->raddr;
		c.rport = s->rport;
	}
	/* once per TCP connection (an AUTH_CONNECT or RECV_ACCEPT indication)
	 * or listener, once per non-TCP endpoint (§3.6) */
	if (s->proto != WFP_PROTO_TCP || s->endpoint)
		stack_classify(h, lay(s->family, WFP_LAYER_ALE_ENDPOINT_CLOSURE_V4), &c, NULL,
			       &v);
	if (s->has_rsrc)
		stack_classify(h, lay(s->family, WFP_LAYER_ALE_RESOURCE_RELEASE_V4), &c,
			       NULL, &v);
}

/* Connections a closing listener completed but nobody accepted go with it,
 * silently (no RST is modelled for them). */
static void drop_unaccepted(struct wfp_host *h, int sd)
{
	for (unsigned c = 0; c < h->nchunks; c++) {
		if (!h->chunks[c])
			continue;
		for (unsigned j = 0; j < SOCK_CHUNK; j++) {
			struct sock *k = &h->chunks[c][j];

			if (!k->used || k->listener != sd || !k->accept_ready)
				continue;
			if (k->flow)
				ale_flow_free(h, k->flow);
			stack_sock_release(h, (int)(c * SOCK_CHUNK + j));
		}
	}
}

int wfp_sock_close(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);

	if (!s)
		return -EBADF;
	if (s->proto == WFP_PROTO_TCP && s->state == WFP_SOCK_LISTEN)
		drop_unaccepted(h, sd);
	if (s->proto == WFP_PROTO_TCP)
		tcp_close(h, sd);
	else
		udp_close(h, sd);
	if (s->bound || s->state != WFP_SOCK_CLOSED)
		close_notify(h, s);
	stack_sock_release(h, sd);
	return 0;
}

/* ---- classification ---- */

static void set_addr(struct wfp_value *v, const struct wfp_addr *a)
{
	if (addr_unspec(a))
		return; /* unspecified: EMPTY (spec §3.2) */
	if (a->family == WFP_AF_INET) {
		v->type = WFP_UINT32;
		v->u32 = a->v4;
	} else {
		v->type = WFP_BYTE_ARRAY16;
		memcpy(v->a16, a->v6, 16);
	}
}

static void set_u8(struct wfp_value *v, uint8_t x)
{
	v->type = WFP_UINT8;
	v->u8 = x;
}

static void set_u16(struct wfp_value *v, uint16_t x)
{
	v->type = WFP_UINT16;
	v->u16 = x;
}

static void set_u32(struct wfp_value *v, uint32_t x)
{
	v->type = WFP_UINT32;
	v->u32 = x;
}

static const char null_sid[] = "S-1-0-0";

/* One incoming value: what the stack knows about field f, else EMPTY. */
static void fill_one(struct wfp_value *v, unsigned f, const struct cls *c,
		     const struct wfp_token *tok)
{
	const struct sock *o = c->owner;

	switch (f) {
	case WFP_FIELD_IP_LOCAL_ADDRESS:
		if (c->has_laddr)
			set_addr(v, &c->laddr);
		break;
	case WFP_FIELD_IP_REMOTE_ADDRESS:
		if (c->has_raddr)
			set_addr(v, &c->raddr);
		break;
	case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE:
		if (c->has_laddr)
			set_u8(v, addr_type(&c->laddr));
		break;
	case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
		if (c->has_raddr)
			set_u8(v, addr_type(&c->raddr));
		break;
	case WFP_FIELD_IP_SOURCE_ADDRESS:
		if (c->fwd)
			set_addr(v, &c->laddr);
		break;
	case WFP_FIELD_IP_DESTINATION_ADDRESS:
		if (c->fwd)
			set_addr(v, &c->raddr);
		break;
	case WFP_FIELD_SOURCE_INTERFACE_INDEX:
		if (c->fwd && c->in_if)
			set_u32(v, c->in_if);
		break;
	case WFP_FIELD_DESTINATION_INTERFACE_INDEX:
		if (c->fwd && c->out_if)
			set_u32(v, c->out_if);
		break;
	case WFP_FIELD_IP_LOCAL_PORT:
		if (c->has_lport)
			set_u16(v, c->lport);
		break;
	case WFP_FIELD_IP_REMOTE_PORT:
		if (c->has_rport)
			set_u16(v, c->rport);
		break;
	case WFP_FIELD_IP_PROTOCOL:
		set_u8(v, c->proto);
		break;
	case WFP_FIELD_FLAGS:
		set_u32(v, c->flags);
		break;
	case WFP_FIELD_DIRECTION:
		if (c->has_dir)
			set_u32(v, c->dir);
		break;
	case WFP_FIELD_REAUTHORIZE_REASON:
		if (c->ale)
			set_u32(v, c->reauth);
		break;
	case WFP_FIELD_EMBEDDED_PROTOCOL:
		if (c->has_emb)
			set_u8(v, c->emb.proto);
		break;
	case WFP_FIELD_EMBEDDED_REMOTE_ADDRESS:
		if (c->has_emb)
			set_addr(v, &c->emb.raddr);
		break;
	case WFP_FIELD_EMBEDDED_LOCAL_ADDRESS_TYPE:
		if (c->has_emb)
			set_u8(v, NL_ADDR_UNICAST);
		break;
	case WFP_FIELD_EMBEDDED_LOCAL_PORT:
		if (c->has_emb)
			set_u16(v, c->emb.lport);
		break;
	case WFP_FIELD_EMBEDDED_REMOTE_PORT:
		if (c->has_emb)
			set_u16(v, c->emb.rport);
		break;
	case WFP_FIELD_ALE_APP_ID:
		if (o && o->app) {
			v->type = WFP_BYTE_BLOB;
			v->blob.data = (const uint8_t *)o->app;
			v->blob.size = (uint32_t)strlen(o->app);
		}
		break;
	case WFP_FIELD_ALE_USER_ID:
		if (o && o->has_user) {
			v->type = WFP_TOKEN_ACCESS_INFORMATION;
			v->token = tok;
		}
		break;
	case WFP_FIELD_ALE_PACKAGE_ID:
		/* non-packaged processes report the NULL SID (spec §1.4) */
		if (o) {
			v->type = WFP_SID;
			v->blob.data = (const uint8_t *)null_sid;
			v->blob.size = sizeof(null_sid) - 1;
		}
		break;
	default:
		break; /* unknown to the model: EMPTY */
	}
}

static void emit(struct wfp_host *h, unsigned layer, const struct cls *c,
		 const struct wfp_metadata *md, const struct wfp_incoming *in,
		 const struct wfp_verdict *v)
{
	struct wfp_trace_rec r = {
		.host = h,
		.host_name = h->name,
		.seq = h->seq,
		.event = c->event,
		.layer = (uint16_t)layer,
		.verdict = *v,
		.md = md,
		.in = in,
	};

	if (!h->trace)
		return;
	if (c->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE) {
		r.flags |= WFP_TRACE_F_REAUTH;
		r.reauth_reason = c->reauth;
	}
	if (c->flags & WFP_CONDITION_FLAG_IS_LOOPBACK)
		r.flags |= WFP_TRACE_F_LOOPBACK;
	if (c->flags & WFP_CONDITION_FLAG_IS_FRAGMENT)
		r.flags |= WFP_TRACE_F_FRAGMENT;
	if (c->flags & WFP_CONDITION_FLAG_IS_REASSEMBLED)
		r.flags |= WFP_TRACE_F_REASSEMBLED;
	if (md && (md->present & WFP_MD_DISCARD_REASON))
		r.flags |= WFP_TRACE_F_DISCARD;
	if (stack_blocked(v) && (v->flags & WFP_CLASSIFY_OUT_F_ABSORB))
		r.flags |= WFP_TRACE_F_ABSORB;
	h->trace(&r, h->trace_ctx);
}

/* msFwpDirection of a classification (spec §7.1). */
static uint32_t ms_direction(unsigned layer, const struct cls *c)
{
	const char *n = wfp_layer_name(layer);

	if (c->fwd)
		return WFP_MS_DIRECTION_FORWARD; /* spec §8.3 */
	if (c->has_dir)
		return c->dir == WFP_DIRECTION_INBOUND ? WFP_MS_DIRECTION_IN : WFP_MS_DIRECTION_OUT;
	if (!strncmp(n, "INBOUND", 7) || strstr(n, "RECV_ACCEPT") || strstr(n, "LISTEN"))
		return WFP_MS_DIRECTION_IN;
	return WFP_MS_DIRECTION_OUT;
}

static void ev_addr(uint8_t out[16], const struct wfp_addr *a)
{
	if (a->family == WFP_AF_INET) {
		uint32_t n = htonl(a->v4);

		memcpy(out, &n, 4);
	} else {
		memcpy(out, a->v6, 16);
	}
}

/*
 * A net event for a carried-out verdict (spec §7.1): drops always, allows
 * when someone asked for them.  Cold: only blocks and explicit permits
 * get here.
 */
static __attribute__((cold, noinline)) void report(struct wfp_host *h, unsigned layer,
						  const struct cls *c,
						  const struct wfp_verdict *v,
						  const struct wfp_metadata *md, uint32_t keywords)
{
	struct wfp_netevent ev = { 0 };
	uint64_t kw = 0;

	if (v->action != WFP_ACTION_BLOCK) {
		wfp_engine_get_option(h->engine, WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS, &kw);
		if (!(kw & WFP_NET_EVENT_KEYWORD_CLASSIFY_ALLOW))
			return;
	}
	ev.time_ns = h->now_ms * 1000000ull;
	ev.type = v->action == WFP_ACTION_BLOCK ? WFP_NET_EVENT_CLASSIFY_DROP :
		  WFP_NET_EVENT_CLASSIFY_ALLOW;
	ev.keywords = keywords;
	ev.ip_version = c->family;
	ev.ip_protocol = c->proto;
	ev.layer_id = (uint16_t)layer;
	ev.flags = WFP_NET_EVENT_F_IP_VERSION_SET | WFP_NET_EVENT_F_IP_PROTOCOL_SET;
	if (c->has_laddr && !addr_unspec(&c->laddr)) {
		ev_addr(ev.local_addr, &c->laddr);
		ev.flags |= WFP_NET_EVENT_F_LOCAL_ADDR_SET;
	}
	if (c->has_raddr) {
		ev_addr(ev.remote_addr, &c->raddr);
		ev.flags |= WFP_NET_EVENT_F_REMOTE_ADDR_SET;
	}
	if (c->has_lport) {
		ev.local_port = c->lport;
		ev.flags |= WFP_NET_EVENT_F_LOCAL_PORT_SET;
	}
	if (c->has_rport) {
		ev.remote_port = c->rport;
		ev.flags |= WFP_NET_EVENT_F_REMOTE_PORT_SET;
	}
	ev.direction = ms_direction(layer, c);
	ev.filter_id = v->filter_id;
	if (c->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE) {
		ev.reauth_reason = c->reauth;
		ev.flags |= WFP_NET_EVENT_F_REAUTH_REASON_SET;
	}
	if (md && (md->present & WFP_MD_DISCARD_REASON)) {
		ev.discard_module = md->discard_module;
		ev.discard_reason = md->discard_reason;
	} else {
		ev.discard_module = WFP_DISCARD_MODULE_GENERAL;
		ev.discard_reason = WFP_DISCARD_FIREWALL_POLICY;
	}
	ev.is_loopback = (c->flags & WFP_CONDITION_FLAG_IS_LOOPBACK) != 0;
	if (c->owner && c->owner->app) {
		strlcpy(ev.app_id, c->owner->app, sizeof(ev.app_id));
		ev.flags |= WFP_NET_EVENT_F_APP_ID_SET;
	}
	if (c->owner && c->owner->has_user) {
		ev.uid = c->owner->tok.uid;
		ev.flags |= WFP_NET_EVENT_F_USER_ID_SET;
	}
	wfp_netevent_report(h->engine, &ev);
}

bool stack_blocked(const struct wfp_verdict *v)
{
	return v->action == WFP_ACTION_BLOCK;
}

void stack_classify(struct wfp_host *h, unsigned layer, const struct cls *c,
		    const struct wfp_metadata *md, struct wfp_verdict *v)
{
	struct wfp_value vals[WFP_MAX_FIELDS_PER_LAYER];
	struct wfp_metadata m = { 0 };
	struct wfp_token tok = { 0 };
	struct wfp_incoming in;
	unsigned n = layer < WFP_LAYER_MAX ? h->nfields[layer] : 0;

	memset(vals, 0, n * sizeof(vals[0])); /* WFP_EMPTY == 0 */
	if (c->owner && c->owner->has_user) {
		tok.uid = c->owner->tok.uid;
		tok.ngids = 1;
		tok.gids = &c->owner->gid;
	}
	for (unsigned i = 0; i < n; i++) {
		int f = h->field_of[layer][i];

		if (f >= 0)
			fill_one(&vals[i], (unsigned)f, c, &tok);
	}
	if (md)
		m = *md;
	if (c->flow_handle) {
		m.present |= WFP_MD_FLOW_HANDLE;
		m.flow_handle = c->flow_handle;
	}
	if (c->owner && c->owner->app) {
		m.present |= WFP_MD_PROCESS_PATH;
		m.process_path = c->owner->app;
	}
	in.layer = (uint16_t)layer;
	in.nvalues = (uint16_t)n;
	in.values = vals;
	in.md = &m;
	memset(v, 0, sizeof(*v));
	if (wfp_classify(h->engine, &in, v, NULL))
		v->action = WFP_ACTION_NONE; /* a bad layer id: no decision */
	wfp_counters_account(h->engine, layer, v, c->bytes);
	h->st.classifications++;
	h->seq++;
	emit(h, layer, c, md ? &m : NULL, &in, v);
}

int stack_check(struct wfp_host *h, unsigned layer, const struct cls *c)
{
	struct wfp_metadata md = { .present = WFP_MD_DISCARD_REASON,
				   .discard_module = WFP_DISCARD_MODULE_GENERAL,
				   .discard_reason = WFP_DISCARD_FIREWALL_POLICY };
	struct wfp_verdict v, dv;
	int twin;

	stack_classify(h, layer, c, NULL, &v);
	if (!stack_blocked(&v)) {
		if (v.action == WFP_ACTION_PERMIT)
			report(h, layer, c, &v, NULL, 0);
		return 0;
	}
	h->st.drops[(c->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE) ?
		    WFP_DROP_REAUTH : WFP_DROP_FILTER]++;
	/* spec §2.6: re-indicate at the twin unless ABSORB (§4.4) */
	if (v.flags & WFP_CLASSIFY_OUT_F_ABSORB)
		return -EACCES; /* silent: no discard indication, no event (§4.4) */
	report(h, layer, c, &v, NULL, 0);
	twin = wfp_layer_discard_twin(layer);
	if (twin >= 0) {
		md.discard_filter_id = v.filter_id;
		stack_classify(h, (unsigned)twin, c, &md, &dv);
	}
	return -EACCES;
}

bool stack_discard(struct wfp_host *h, unsigned layer, const struct cls *c,
		   uint32_t module, uint32_t reason)
{
	struct wfp_metadata md = { .present = WFP_MD_DISCARD_REASON,
				   .discard_module = module,
				   .discard_reason = reason };
	struct wfp_verdict v;

	stack_classify(h, layer, c, &md, &v);
	if (!stack_blocked(&v))
		return false;
	/* a block at a discard layer suppresses the answer: a port-scan drop */
	report(h, layer, c, &v, &md, WFP_NET_EVENT_KEYWORD_PORT_SCANNING_DROP);
	return true;
}

/* ---- IP layer ---- */

static uint32_t pkt_event(const struct wfp_pkt *p)
{
	if (p->proto == WFP_PROTO_TCP) {
		if (p->tcp_flags & WFP_TCP_RST)
			return WFP_EV_RST;
		if (p->tcp_flags & WFP_TCP_SYN)
			return (p->tcp_flags & WFP_TCP_ACK) ? WFP_EV_SYN_ACK : WFP_EV_SYN;
		if (p->tcp_flags & WFP_TCP_FIN)
			return WFP_EV_FIN;
		return p->payload_len ? WFP_EV_DATA : WFP_EV_ACK;
	}
	if (p->proto == WFP_PROTO_UDP)
		return WFP_EV_DATAGRAM;
	if (p->proto == WFP_PROTO_ICMP || p->proto == WFP_PROTO_ICMPV6) {
		bool v6 = p->family == WFP_AF_INET6;

		if (icmp_is_error(p->family, p->icmp_type))
			return WFP_EV_ICMP_ERROR;
		if (p->icmp_type == (v6 ? 128 : 8))
			return WFP_EV_ICMP_ECHO;
		if (p->icmp_type == (v6 ? 129 : 0))
			return WFP_EV_ICMP_REPLY;
		return WFP_EV_ICMP;
	}
	return WFP_EV_PACKET;
}

void stack_cls_pkt(struct wfp_host *h, struct cls *c, const struct wfp_pkt *p,
		   bool inbound, uint32_t event)
{
	bool icmp = p->proto == WFP_PROTO_ICMP || p->proto == WFP_PROTO_ICMPV6;

	memset(c, 0, sizeof(*c));
	c->event = event;
	c->family = p->family;
	c->proto = p->proto;
	c->has_laddr = c->has_raddr = true;
	c->laddr = inbound ? p->dst : p->src;
	c->raddr = inbound ? p->src : p->dst;
	c->has_lport = c->has_rport = true;
	if (icmp) {
		/* ICMP type/code travel in the port slots (spec §1.4) */
		c->lport = p->icmp_type;
		c->rport = p->icmp_code;
	} else {
		c->lport = inbound ? p->dport : p->sport;
		c->rport = inbound ? p->sport : p->dport;
	}
	c->has_dir = true;
	c->dir = inbound ? WFP_DIRECTION_INBOUND : WFP_DIRECTION_OUTBOUND;
	c->bytes = p->payload_len;
	if (raw_proto(p->proto))
		c->flags |= WFP_CONDITION_FLAG_IS_RAW_ENDPOINT;
	if ((p->flags & WFP_PKT_F_LOOPBACK) || stack_loopback(h, &c->laddr, &c->raddr))
		c->flags |= WFP_CONDITION_FLAG_IS_LOOPBACK;
}

int stack_ip_output(struct wfp_host *h, struct wfp_pkt *p, uint32_t event)
{
	struct cls c;

	stack_cls_pkt(h, &c, p, false, event);
	if (c.flags & WFP_CONDITION_FLAG_IS_LOOPBACK)
		p->flags |= WFP_PKT_F_LOOPBACK;
	if (stack_check(h, lay(p->family, WFP_LAYER_OUTBOUND_TRANSPORT_V4), &c))
		return -EACCES;
	if (stack_check(h, lay(p->family, WFP_LAYER_OUTBOUND_IPPACKET_V4), &c))
		return -EACCES;
	if (h->out)
		h->out(h, p, h->out_ctx);
	return 0;
}

int stack_respond(struct wfp_host *h, struct wfp_pkt *p, uint32_t event)
{
	if (stack_observer(h))
		return 0;
	return stack_ip_output(h, p, event);
}

int stack_local_addr_for(struct wfp_host *h, const struct wfp_addr *dst,
			 struct wfp_addr *out)
{
	const struct wfp_addr *a;

	if (addr_is_loopback(dst) ||
	    (!(h->flags & WFP_HOST_F_ALL_LOCAL) && wfp_host_is_local(h, dst))) {
		*out = *dst; /* loopback: talk to ourselves from the same address */
		return 0;
	}
	a = wfp_host_addr(h, dst->family);
	if (!a)
		return -ENETUNREACH;
	*out = *a;
	return 0;
}

static bool pkt_valid(const struct wfp_pkt *p)
{
	if (p->family != WFP_AF_INET && p->family != WFP_AF_INET6)
		return false;
	if (p->src.family != p->family || p->dst.family != p->family)
		return false;
	if (p->proto == WFP_PROTO_ICMP && p->family != WFP_AF_INET)
		return false;
	if (p->proto == WFP_PROTO_ICMPV6 && p->family != WFP_AF_INET6)
		return false;
	if ((p->flags & WFP_PKT_F_EMBEDDED) &&
	    (p->emb.src.family != p->family || p->emb.dst.family != p->family))
		return false;
	return true;
}

static int transport_in(struct wfp_host *h, const struct wfp_pkt *p);

/*
 * Spec §2.5: each fragment is indicated at INBOUND_IPPACKET as a packet
 * (done by the caller) and again as a fragment (IS_FRAGMENT); the
 * reassembled packet once more (IS_REASSEMBLED), and only it goes up.
 */
static int fragment_in(struct wfp_host *h, const struct wfp_pkt *p, struct cls *c)
{
	struct wfp_pkt full;
	int ret;

	c->flags |= WFP_CONDITION_FLAG_IS_FRAGMENT;
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_IPPACKET_V4), c))
		return -EACCES;
	ret = frag_add(h, p, &full);
	if (ret < 0) {
		h->st.drops[WFP_DROP_FRAGMENT]++;
		return ret;
	}
	if (!ret)
		return -EINPROGRESS; /* held until the datagram is complete */
	stack_cls_pkt(h, c, &full, true, pkt_event(&full));
	c->flags |= WFP_CONDITION_FLAG_IS_REASSEMBLED;
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_IPPACKET_V4), c))
		return -EACCES;
	return transport_in(h, &full);
}

/* The receive path: INBOUND_IPPACKET, then the transport shim (spec §2). */
int wfp_host_receive(struct wfp_host *h, const struct wfp_pkt *p)
{
	struct cls c;

	if (!p || !pkt_valid(p)) {
		h->st.drops[WFP_DROP_MALFORMED]++;
		return -EINVAL;
	}
	if (!wfp_host_is_local(h, &p->dst)) {
		/* not ours: the caller forwards it (wfp_host_forward) */
		h->st.drops[WFP_DROP_NOT_LOCAL]++;
		return -EHOSTUNREACH;
	}
	stack_cls_pkt(h, &c, p, true, pkt_event(p));
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_IPPACKET_V4), &c))
		return -EACCES;
	if (p->flags & WFP_PKT_F_FRAGMENT)
		return fragment_in(h, p, &c);
	return transport_in(h, p);
}

/*
 * Forwarding (spec §8.3): a packet neither from nor to this host is seen
 * at IPFORWARD only - no ALE, no transport layer, no flow - once per
 * packet (and per fragment); a block re-indicates at the discard twin
 * (§2.6) and is a net event with direction FORWARD.
 */
int wfp_host_forward(struct wfp_host *h, const struct wfp_pkt *p, uint32_t in_if,
		     uint32_t out_if)
{
	struct cls c;

	if (!p || !pkt_valid(p)) {
		if (h)
			h->st.drops[WFP_DROP_MALFORMED]++;
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.event = pkt_event(p);
	c.family = p->family;
	c.proto = p->proto;
	c.fwd = true;
	c.laddr = p->src;
	c.raddr = p->dst;
	c.has_laddr = c.has_raddr = true;
	c.in_if = in_if;
	c.out_if = out_if;
	c.bytes = p->payload_len;
	if (p->flags & WFP_PKT_F_FRAGMENT)
		c.flags |= WFP_CONDITION_FLAG_IS_FRAGMENT;
	return stack_check(h, lay(p->family, WFP_LAYER_IPFORWARD_V4), &c);
}

/* Above the IP layer: the transport shim of the packet's protocol. */
static int transport_in(struct wfp_host *h, const struct wfp_pkt *p)
{
	switch (p->proto) {
	case WFP_PROTO_TCP:
		return tcp_input(h, p);
	case WFP_PROTO_ICMP:
	case WFP_PROTO_ICMPV6:
		return icmp_input(h, p);
	default:
		/* UDP, and every other protocol follows the UDP pattern (§2.2) */
		return udp_input(h, p);
	}
}

/* The send path of a packet the host's real stack sends (observer). */
int wfp_host_send(struct wfp_host *h, const struct wfp_pkt *p)
{
	if (!p || !pkt_valid(p)) {
		h->st.drops[WFP_DROP_MALFORMED]++;
		return -EINVAL;
	}
	if (!wfp_host_is_local(h, &p->src)) {
		h->st.drops[WFP_DROP_NOT_LOCAL]++;
		return -EADDRNOTAVAIL;
	}
	switch (p->proto) {
	case WFP_PROTO_TCP:
		return tcp_output(h, p);
	case WFP_PROTO_ICMP:
	case WFP_PROTO_ICMPV6:
		return icmp_output(h, p);
	default:
		return udp_output(h, p);
	}
}

int wfp_host_icmp_echo(struct wfp_host *h, const struct wfp_addr *dst, uint16_t id)
{
	if (!dst || (dst->family != WFP_AF_INET && dst->family != WFP_AF_INET6) ||
	    addr_unspec(dst))
		return -EINVAL;
	return icmp_echo(h, dst, id);
}
