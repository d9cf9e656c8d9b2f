// SPDX-License-Identifier: MIT
/*
 * replay.c - a packet capture through a policy (docs/replay.md): the pcap
 * reader, host and listener inference (pass 1), and the replay proper
 * (pass 2), which turns each captured packet into what the stack model
 * (stack.c, ale.c, shim_*.c) would have seen and reports the verdict.
 *
 * Inbound packets go through wfp_host_receive() as they are.  A capture
 * has no socket calls, so outbound packets are mapped to the calls they
 * imply: a SYN to connect(), data to send(), a FIN to close(), a UDP
 * datagram to sendto() on a socket bound to its source port, an echo
 * request to the ICMP module's echo.  The model answers packets itself
 * (SYN-ACK, the client's ACK, RST, port unreachable, echo reply); those
 * answers wait in a small queue and a captured outbound packet that
 * matches one *is* that answer.  Listening sockets exist before the SYN
 * that needs them: pass 1 learns them from the SYN-ACKs the host sent.
 *
 * The replay keeps its own table of flows (keyed by the capture's
 * 5-tuple, independent of any decision) so that two replays of one
 * capture under different policies see the same flows in the same
 * order: that is what makes the what-if diff a lockstep comparison.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_replay.h>

#include "alloc.h"
#include "compat.h"
#include "stack.h"

enum {
	PENDING_MAX = 64,     /* model answers not yet seen in the capture */
	PENDING_AGE = 4096,   /* packets after which an unseen answer is dropped */
	LEARN_ADDRS = 1024,   /* addresses counted by host inference */
	LEARN_PROBE = 32,     /* slots probed per address */
	LEARN_PORTS = 16384,  /* (address, port) pairs of listeners / closed ports */
	SOCKMAP_SIZE = 8192,  /* modelled sockets (power of two) */
	EXPIRE_PER_PKT = 4,   /* idle flows ended per packet, at most */
	FRAGMEM_MAX = 16      /* outbound fragmented datagrams remembered */
};

/* ---- capture reader ---- */

struct wfp_capture {
	pcap_t *pc;
	FILE *mem;   /* fmemopen stream of a memory capture */
	void *buf;
};

static struct wfp_capture *capture_from(FILE *f, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct wfp_capture *c = wfp_calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pc = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf)
		  : pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							    ebuf);
	if (!c->pc) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : "not a pcap or pcapng file");
		wfp_free(c);
		return NULL;
	}
	return c;
}

struct wfp_capture *wfp_capture_open(const char *path, char *err, size_t errlen)
{
	if (!path) {
		snprintf(err, errlen, "no capture");
		return NULL;
	}
	return capture_from(NULL, path, err, errlen);
}

struct wfp_capture *wfp_capture_open_mem(const void *buf, size_t len, char *err,
					 size_t errlen)
{
	struct wfp_capture *c;
	void *copy;
	FILE *f;

	if (!len) {
		snprintf(err, errlen, "empty capture");
		return NULL;
	}
	copy = wfp_malloc(len);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	f = fmemopen(copy, len, "rb");
	if (!f) {
		wfp_free(copy);
		snprintf(err, errlen, "fmemopen: %s", strerror(errno));
		return NULL;
	}
	c = capture_from(f, NULL, err, errlen);
	if (!c) {
		/* pcap_fopen_offline closes f only on success */
		fclose(f);
		wfp_free(copy);
		return NULL;
	}
	c->mem = f;
	c->buf = copy;
	return c;
}

void wfp_capture_close(struct wfp_capture *c)
{
	if (!c)
		return;
	pcap_close(c->pc); /* closes c->mem as well */
	wfp_free(c->buf);
	wfp_free(c);
}

int wfp_capture_linktype(const struct wfp_capture *c)
{
	return pcap_datalink(c->pc);
}

int wfp_capture_snaplen(const struct wfp_capture *c)
{
	return pcap_snapshot(c->pc);
}

int wfp_capture_next(struct wfp_capture *c, struct wfp_capture_pkt *p, char *err,
		     size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int ret = pcap_next_ex(c->pc, &h, &d);

	if (ret == 1) {
		p->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		p->caplen = h->caplen;
		p->len = h->len;
		p->data = d;
		return 1;
	}
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s", pcap_geterr(c->pc));
	return -WFP_E_PARSE;
}

/* ---- names ---- */

static const char *const verdict_names[] = { "skip", "permit", "block", "drop" };
static const char *const reason_names[WFP_RR_MAX] = {
	[WFP_RR_FILTER] = "filter",
	[WFP_RR_NO_LISTENER] = "no-listener",
	[WFP_RR_STEALTH] = "stealth",
	[WFP_RR_FLOW_BLOCKED] = "flow-blocked",
	[WFP_RR_FLOW] = "flow",
	[WFP_RR_REAUTH] = "reauth",
	[WFP_RR_FRAGMENT] = "fragment",
	[WFP_RR_TCP_STATE] = "tcp-state",
	[WFP_RR_LIMIT] = "limit",
	[WFP_RR_MALFORMED] = "malformed",
	[WFP_RR_NOT_IP] = "not-ip",
	[WFP_RR_NOT_HOST] = "not-host",
};

const char *wfp_replay_verdict_name(unsigned v)
{
	return v < 4 ? verdict_names[v] : "?";
}

const char *wfp_replay_reason_name(unsigned r)
{
	return r < WFP_RR_MAX ? reason_names[r] : "?";
}

const char *wfp_replay_dir_name(unsigned d)
{
	return d == WFP_REPLAY_DIR_IN ? "in" : d == WFP_REPLAY_DIR_OUT ? "out" : "-";
}

/* ---- replay state ---- */

struct fkey {
	uint8_t family, proto;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
};

_Static_assert(sizeof(struct fkey) <= 40, "fkey_hash reads five words");

struct rflow {
	struct wfp_replay_flow pub;
	struct fkey k;
	bool used;
	bool decided;
	bool stealth;        /* the model suppressed its RST / ICMP error */
	bool answered;       /* the model sent an RST / ICMP error for it */
	uint8_t fin_in, fin_out, done;
	int sd;              /* the model socket of this connection, -1 */
	int usock;           /* UDP: sockmap slot it holds, -1 */
	uint64_t stealth_filter;
	uint16_t stealth_layer;
	bool has_layer;      /* pub.layer is valid */
	uint64_t block_gen;  /* engine generation when it was blocked */
	uint64_t last_us;
	uint32_t hnext, lprev, lnext; /* hash chain, LRU (indices + 1, 0 = none) */
};

struct sockent {
	uint8_t used, family, proto, failed;
	uint16_t port;
	int sd;
	uint32_t refs;
};

struct pending {
	bool used;
	struct wfp_pkt p;
	uint64_t num;        /* the packet that caused it */
	uint64_t flow_id;
	unsigned nlayers;
	struct wfp_replay_layer layers[WFP_REPLAY_MAX_LAYERS];
};

struct learn_addr {
	struct wfp_addr a;
	uint32_t hash;
	uint64_t score, pkts, rcvd, first;
	bool used;
};

/* An outbound datagram the host fragmented: its first fragment's verdict. */
struct fragmem {
	bool used;
	uint8_t proto, verdict, has_layer;
	uint16_t layer;
	uint32_t ip_id;
	uint64_t filter_id;
	struct wfp_addr src, dst;
};

struct learn_port {
	struct wfp_addr a;
	uint16_t port;
	uint8_t kind; /* 0 free, 1 TCP listener, 2 closed UDP port */
};

struct wfp_replay {
	struct wfp_engine *e;
	struct wfp_host *h;
	uint32_t max_flows;
	uint64_t idle_us;
	struct rflow *flows;      /* max_flows */
	uint32_t *buckets;        /* nbuckets, index + 1 */
	uint32_t nbuckets, nflows, free_head;
	uint32_t lru_head, lru_tail; /* head = most recent */
	uint64_t next_flow_id;
	struct sockent *socks;
	struct pending pend[PENDING_MAX];
	unsigned pend_next;
	struct fragmem fragmem[FRAGMEM_MAX];
	unsigned fragmem_next;
	/* pass 1 */
	struct wfp_addr hosts[HOST_MAX_ADDRS];
	unsigned nhosts;
	bool hosts_given;
	struct learn_addr *learn;
	struct learn_port *lports;
	uint64_t learn_seq;
	uint8_t listen_tcp[2][8192]; /* bitmaps: the host sent a SYN-ACK from */
	uint8_t closed_udp[2][8192]; /* the host answered port unreachable */
	/* pass 2 */
	uint64_t num, ts0_us;
	bool have_ts0;
	uint64_t last_gen;
	uint64_t explain_num;
	struct wfp_replay_explain explain[WFP_REPLAY_MAX_EXPLAIN];
	wfp_replay_flow_fn flow_end;
	void *flow_end_ctx;
	/* the packet being replayed */
	struct wfp_replay_rec *rec;
	uint32_t cur_event;
	bool inbound;
	bool cur_frag;       /* an inbound fragment: reassembly may run */
	bool quiet;          /* model calls of our own bookkeeping: not traced */
	bool self;           /* output of the call is the captured packet itself */
	bool self_out;
	unsigned nresp;
	struct wfp_replay_layer resp[WFP_REPLAY_MAX_LAYERS];
};

static bool bit(const uint8_t *m, uint16_t port)
{
	return m[port >> 3] & (1u << (port & 7));
}

static void set_bit(uint8_t *m, uint16_t port)
{
	m[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static int fam_idx(int family)
{
	return family == WFP_AF_INET6;
}

static void addr_bytes(const struct wfp_addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	if (a->family == WFP_AF_INET)
		memcpy(out, &a->v4, 4);
	else
		memcpy(out, a->v6, 16);
}

static void bytes_addr(int family, const uint8_t b[16], struct wfp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == WFP_AF_INET)
		memcpy(&a->v4, b, 4);
	else
		memcpy(a->v6, b, 16);
}

static uint32_t fkey_hash(const struct fkey *k)
{
	uint64_t w[5] = { 0 }, h = 0x9e3779b97f4a7c15ull;

	/* not keyed: replay input is a file the user chose, not an attacker
	 * filling a live table (the model's own table is SipHash-keyed) */
	memcpy(w, k, sizeof(*k));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

/* ---- object ---- */

struct wfp_replay *wfp_replay_new(struct wfp_engine *e, const struct wfp_replay_opts *o)
{
	struct wfp_replay_opts def = { .sz = sizeof(def) };
	struct wfp_host_opts ho = { .sz = sizeof(ho), .name = "host" };
	struct wfp_replay *r;

	if (!e) {
		errno = EINVAL;
		return NULL;
	}
	if (!o)
		o = &def;
	if (o->sz < sizeof(*o) || o->nhosts > HOST_MAX_ADDRS || (o->nhosts && !o->hosts)) {
		errno = EINVAL;
		return NULL;
	}
	r = wfp_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->e = e;
	r->max_flows = o->max_flows ? o->max_flows : 65536;
	if (r->max_flows > (1u << 24))
		r->max_flows = 1u << 24;
	r->idle_us = (uint64_t)(o->idle_timeout_ms ? o->idle_timeout_ms : 60000) * 1000u;
	for (r->nbuckets = 1; r->nbuckets < r->max_flows; r->nbuckets <<= 1)
		;
	r->flows = wfp_calloc(r->max_flows, sizeof(*r->flows));
	r->buckets = wfp_calloc(r->nbuckets, sizeof(*r->buckets));
	r->socks = wfp_calloc(SOCKMAP_SIZE, sizeof(*r->socks));
	r->learn = wfp_calloc(LEARN_ADDRS, sizeof(*r->learn));
	r->lports = wfp_calloc(LEARN_PORTS, sizeof(*r->lports));
	/* the model's own tables are never the limit: ours is */
	ho.max_flows = r->max_flows * 2 + 64;
	ho.max_sockets = r->max_flows < 4096 ? 4096 : r->max_flows;
	ho.idle_timeout_ms = o->idle_timeout_ms;
	ho.flags = WFP_HOST_F_FIXED_KEY; /* reproducible */
	r->h = wfp_host_new(e, &ho);
	if (!r->flows || !r->buckets || !r->socks || !r->learn || !r->lports || !r->h)
		goto err_free;
	for (uint32_t i = 0; i < r->max_flows; i++)
		r->flows[i].hnext = i + 2 <= r->max_flows ? i + 2 : 0; /* free list */
	r->free_head = 1;
	for (unsigned i = 0; i < o->nhosts; i++) {
		if (o->hosts[i].family != WFP_AF_INET && o->hosts[i].family != WFP_AF_INET6)
			continue;
		r->hosts[r->nhosts++] = o->hosts[i];
	}
	r->hosts_given = r->nhosts > 0;
	r->last_gen = wfp_engine_generation(e);
	r->next_flow_id = 1;
	return r;

err_free:
	wfp_replay_free(r);
	errno = ENOMEM;
	return NULL;
}

void wfp_replay_free(struct wfp_replay *r)
{
	if (!r)
		return;
	wfp_host_free(r->h);
	wfp_free(r->flows);
	wfp_free(r->buckets);
	wfp_free(r->socks);
	wfp_free(r->learn);
	wfp_free(r->lports);
	wfp_free(r);
}

void wfp_replay_set_explain(struct wfp_replay *r, uint64_t num)
{
	r->explain_num = num;
}

void wfp_replay_set_flow_end(struct wfp_replay *r, wfp_replay_flow_fn fn, void *ctx)
{
	r->flow_end = fn;
	r->flow_end_ctx = ctx;
}

const struct wfp_host *wfp_replay_host(const struct wfp_replay *r)
{
	return r->h;
}

unsigned wfp_replay_hosts(const struct wfp_replay *r, struct wfp_addr *out, unsigned max)
{
	unsigned n = r->nhosts < max ? r->nhosts : max;

	if (out)
		memcpy(out, r->hosts, n * sizeof(*out));
	return r->nhosts;
}

static bool is_host(const struct wfp_replay *r, const struct wfp_addr *a)
{
	for (unsigned i = 0; i < r->nhosts; i++)
		if (wfp_addr_eq(&r->hosts[i], a))
			return true;
	return false;
}

/* ---- pass 1: who is the host, which ports listen ---- */

static struct learn_addr *learn_slot(struct wfp_replay *r, const struct wfp_addr *a)
{
	uint8_t b[16];
	struct fkey k = { .family = a->family };
	uint32_t h;

	addr_bytes(a, b);
	memcpy(k.laddr, b, 16);
	h = fkey_hash(&k);
	/* a bounded probe: when the neighbourhood is full, a new address is
	 * not counted (documented); lookups stay O(1) on any capture */
	for (unsigned i = 0; i < LEARN_PROBE; i++) {
		struct learn_addr *l = &r->learn[(h + i) & (LEARN_ADDRS - 1)];

		if (!l->used) {
			l->used = true;
			l->hash = h;
			l->a = *a;
			l->first = ++r->learn_seq;
			return l;
		}
		if (l->hash == h && wfp_addr_eq(&l->a, a))
			return l;
	}
	return NULL;
}

/* Remembers that a (address, port) listens or is closed; a full set
 * ignores new pairs (documented). */
static void learn_port(struct wfp_replay *r, const struct wfp_addr *a, uint16_t port,
		       uint8_t kind)
{
	struct fkey k = { .family = a->family, .lport = port, .proto = kind };
	uint32_t h;

	addr_bytes(a, k.laddr);
	h = fkey_hash(&k);
	for (unsigned i = 0; i < 64; i++) {
		struct learn_port *l = &r->lports[(h + i) & (LEARN_PORTS - 1)];

		if (!l->kind) {
			l->a = *a;
			l->port = port;
			l->kind = kind;
			return;
		}
		if (l->kind == kind && l->port == port && wfp_addr_eq(&l->a, a))
			return;
	}
}

static void learn_ports(struct wfp_replay *r, const struct wfp_pkt *p)
{
	if (p->proto == WFP_PROTO_TCP &&
	    (p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) ==
	    (WFP_TCP_SYN | WFP_TCP_ACK))
		learn_port(r, &p->src, p->sport, 1);
	if ((p->flags & WFP_PKT_F_EMBEDDED) && p->emb.proto == WFP_PROTO_UDP &&
	    ((p->family == WFP_AF_INET && p->icmp_type == 3 && p->icmp_code == 3) ||
	     (p->family == WFP_AF_INET6 && p->icmp_type == 1 && p->icmp_code == 4)))
		learn_port(r, &p->src, p->emb.dport, 2);
}

void wfp_replay_learn(struct wfp_replay *r, int linktype, const void *data, size_t caplen)
{
	struct learn_addr *s, *d;
	struct wfp_pkt p;

	if (wfp_pkt_parse_link(linktype, data, caplen, &p, NULL))
		return;
	s = learn_slot(r, &p.src);
	d = learn_slot(r, &p.dst);
	if (s)
		s->pkts++;
	if (d) {
		d->pkts++;
		d->rcvd++;
	}
	if (p.flags & WFP_PKT_F_FRAGMENT && p.frag_off)
		return;
	if (p.proto == WFP_PROTO_TCP) {
		uint8_t f = p.tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST);

		/* the side that receives SYNs / answers them owns listening ports */
		if (f == WFP_TCP_SYN && d)
			d->score++;
		if (f == (WFP_TCP_SYN | WFP_TCP_ACK) && s)
			s->score++;
	}
	learn_ports(r, &p);
}

/* A host address is never multicast, broadcast or unspecified. */
static bool unicast(const struct wfp_addr *a)
{
	if (addr_unspec(a))
		return false;
	if (a->family == WFP_AF_INET)
		return (a->v4 >> 28) != 0xe && a->v4 != 0xffffffffu;
	return a->v6[0] != 0xff;
}

int wfp_replay_learn_done(struct wfp_replay *r)
{
	if (!r->hosts_given) {
		/* per family: most SYNs received + SYN-ACKs sent; then the
		 * address in most packets, then the one that received most;
		 * last, the first seen */
		for (int fam = WFP_AF_INET; fam <= WFP_AF_INET6; fam += 2) {
			struct learn_addr *best = NULL;

			for (unsigned i = 0; i < LEARN_ADDRS; i++) {
				struct learn_addr *l = &r->learn[i];

				if (!l->used || l->a.family != fam || !unicast(&l->a))
					continue;
				if (!best || l->score > best->score ||
				    (l->score == best->score &&
				     (l->pkts > best->pkts ||
				      (l->pkts == best->pkts &&
				       (l->rcvd > best->rcvd ||
					(l->rcvd == best->rcvd && l->first < best->first))))))
					best = l;
			}
			if (best)
				r->hosts[r->nhosts++] = best->a;
		}
		/* with TCP in one family only, the other family's pick is the
		 * busiest address, which is as good a guess as any */
	}
	if (!r->nhosts)
		return -WFP_E_NOT_FOUND;
	for (unsigned i = 0; i < LEARN_PORTS; i++) {
		struct learn_port *l = &r->lports[i];

		if (l->kind && is_host(r, &l->a))
			set_bit(l->kind == 1 ? r->listen_tcp[fam_idx(l->a.family)] :
				r->closed_udp[fam_idx(l->a.family)], l->port);
	}
	return 0;
}

/* The addresses and listeners go into the model before pass 2. */
static void setup_host(struct wfp_replay *r)
{
	for (unsigned i = 0; i < r->nhosts; i++)
		wfp_host_add_addr(r->h, &r->hosts[i]);
}

/* ---- flows ---- */

static struct rflow *fl(struct wfp_replay *r, uint32_t idx1)
{
	return idx1 ? &r->flows[idx1 - 1] : NULL;
}

static uint32_t fidx(struct wfp_replay *r, const struct rflow *f)
{
	return (uint32_t)(f - r->flows) + 1;
}

static void lru_unlink(struct wfp_replay *r, struct rflow *f)
{
	if (f->lprev)
		fl(r, f->lprev)->lnext = f->lnext;
	else
		r->lru_head = f->lnext;
	if (f->lnext)
		fl(r, f->lnext)->lprev = f->lprev;
	else
		r->lru_tail = f->lprev;
	f->lprev = f->lnext = 0;
}

static void lru_front(struct wfp_replay *r, struct rflow *f)
{
	uint32_t i = fidx(r, f);

	f->lprev = 0;
	f->lnext = r->lru_head;
	if (r->lru_head)
		fl(r, r->lru_head)->lprev = i;
	r->lru_head = i;
	if (!r->lru_tail)
		r->lru_tail = i;
}

static struct rflow *flow_find(struct wfp_replay *r, const struct fkey *k)
{
	uint32_t i = r->buckets[fkey_hash(k) & (r->nbuckets - 1)];

	while (i) {
		struct rflow *f = fl(r, i);

		if (!memcmp(&f->k, k, sizeof(*k)))
			return f;
		i = f->hnext;
	}
	return NULL;
}

static void sock_unref(struct wfp_replay *r, int slot);

/* The model's flow for our flow f, if it still has one, goes with it:
 * the two tables stay in step (the model's is never the limit). */
static void model_flow_free(struct wfp_replay *r, struct rflow *f)
{
	struct wfp_flow_key mk;
	struct wfp_addr l, rm;
	struct wfp_flow *mf;
	bool v6 = f->k.family == WFP_AF_INET6;

	bytes_addr(f->k.family, f->k.laddr, &l);
	bytes_addr(f->k.family, f->k.raddr, &rm);
	if (f->k.proto == WFP_PROTO_ICMP || f->k.proto == WFP_PROTO_ICMPV6) {
		/* echo flows are keyed by the request type (shim_icmp.c) */
		ale_key(&mk, f->k.family, f->k.proto, &l, &rm, v6 ? 128 : 8, 0, f->k.lport);
		mf = wfp_flow_lookup(r->h->flows, &mk);
		if (!mf) {
			ale_key(&mk, f->k.family, f->k.proto, &l, &rm, f->k.lport, f->k.rport, 0);
			mf = wfp_flow_lookup(r->h->flows, &mk);
		}
	} else {
		ale_key(&mk, f->k.family, f->k.proto, &l, &rm, f->k.lport, f->k.rport, 0);
		mf = wfp_flow_lookup(r->h->flows, &mk);
	}
	if (!mf)
		return;
	if (mf->sd >= 0 && f->k.proto == WFP_PROTO_TCP) {
		struct sock *s = stack_sock(r->h, mf->sd);

		if (s && s->flow == mf)
			s->flow = NULL;
	}
	ale_flow_free(r->h, mf);
}

static void flow_end(struct wfp_replay *r, struct rflow *f)
{
	uint32_t *pp = &r->buckets[fkey_hash(&f->k) & (r->nbuckets - 1)];
	uint32_t i = fidx(r, f);

	if (r->flow_end)
		r->flow_end(&f->pub, r->flow_end_ctx);
	while (*pp && *pp != i)
		pp = &fl(r, *pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(r, f);
	/* the model's flow and socket go quietly (no FIN is in the capture) */
	r->quiet = true;
	model_flow_free(r, f);
	if (f->sd >= 0)
		wfp_sock_close(r->h, f->sd);
	if (f->usock >= 0)
		sock_unref(r, f->usock);
	r->quiet = false;
	memset(f, 0, sizeof(*f));
	f->hnext = r->free_head;
	r->free_head = i;
	r->nflows--;
}

static struct rflow *flow_new(struct wfp_replay *r, const struct fkey *k, uint8_t dir)
{
	uint32_t b = fkey_hash(k) & (r->nbuckets - 1), i;
	struct rflow *f;

	if (!r->free_head)
		flow_end(r, fl(r, r->lru_tail)); /* full: the least recently used */
	i = r->free_head;
	f = fl(r, i);
	r->free_head = f->hnext;
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->k = *k;
	f->sd = -1;
	f->usock = -1;
	f->hnext = r->buckets[b];
	r->buckets[b] = i;
	lru_front(r, f);
	r->nflows++;
	f->pub.id = r->next_flow_id++;
	f->pub.first_num = r->num;
	f->pub.family = k->family;
	f->pub.proto = k->proto;
	f->pub.dir = dir;
	bytes_addr(k->family, k->laddr, &f->pub.laddr);
	bytes_addr(k->family, k->raddr, &f->pub.raddr);
	f->pub.lport = k->lport;
	f->pub.rport = k->rport;
	f->pub.verdict = WFP_RV_PERMIT;
	return f;
}

static void expire(struct wfp_replay *r, uint64_t now_us)
{
	for (int n = 0; n < EXPIRE_PER_PKT && r->lru_tail; n++) {
		struct rflow *f = fl(r, r->lru_tail);
		uint64_t idle = r->idle_us;

		/* open TCP connections stay (as in the model); finished ones and
		 * other protocols idle out */
		if (f->k.proto == WFP_PROTO_TCP && !f->done)
			idle = r->idle_us * 120; /* two hours at the default */
		/* a capture may step back in time (merged files): not idle */
		if (now_us <= f->last_us || now_us - f->last_us < idle)
			return;
		flow_end(r, f);
	}
}

void wfp_replay_finish(struct wfp_replay *r)
{
	for (uint32_t i = 0; i < r->max_flows; i++)
		if (r->flows[i].used)
			flow_end(r, &r->flows[i]);
}

/* ---- modelled sockets ---- */

static int sock_slot(struct wfp_replay *r, int family, int proto, uint16_t port, bool add)
{
	uint32_t h = ((uint32_t)port * 2654435761u ^ (uint32_t)proto << 8 ^ (uint32_t)family) &
		     (SOCKMAP_SIZE - 1);

	for (unsigned i = 0; i < SOCKMAP_SIZE; i++) {
		struct sockent *s = &r->socks[(h + i) & (SOCKMAP_SIZE - 1)];

		if (!s->used) {
			if (!add)
				return -1;
			s->used = 1;
			s->family = (uint8_t)family;
			s->proto = (uint8_t)proto;
			s->port = port;
			s->sd = -1;
			return (int)((h + i) & (SOCKMAP_SIZE - 1));
		}
		if (s->family == family && s->proto == proto && s->port == port)
			return (int)((h + i) & (SOCKMAP_SIZE - 1));
	}
	return -1;
}

static void sock_unref(struct wfp_replay *r, int slot)
{
	struct sockent *s = &r->socks[slot];

	if (s->refs && --s->refs)
		return;
	if (s->proto == WFP_PROTO_TCP)
		return; /* listeners stay */
	if (s->sd >= 0)
		wfp_sock_close(r->h, s->sd);
	s->sd = -1;
	s->failed = 0;
	/* the slot stays used (a tombstone keeps probe chains intact) */
}

/* A socket bound to (any, port), listening for TCP.  The slot or -1. */
static int model_socket(struct wfp_replay *r, int family, int proto, uint16_t port)
{
	int slot = sock_slot(r, family, proto, port, true);
	struct sockent *s;
	int sd;

	if (slot < 0)
		return -1;
	s = &r->socks[slot];
	if (s->sd >= 0 || s->failed)
		return slot;
	sd = wfp_sock_open(r->h, family, proto, NULL);
	if (sd < 0)
		goto failed;
	if (wfp_sock_bind(r->h, sd, NULL, port) ||
	    (proto == WFP_PROTO_TCP && wfp_sock_listen(r->h, sd))) {
		wfp_sock_close(r->h, sd);
		goto failed;
	}
	s->sd = sd;
	return slot;

failed:
	/* blocked at BIND / LISTEN or out of sockets: the port stays closed */
	s->failed = 1;
	return slot;
}

/* ---- trace and output of the model ---- */

static bool layer_ale_auth(unsigned l)
{
	return l == WFP_LAYER_ALE_AUTH_CONNECT_V4 || l == WFP_LAYER_ALE_AUTH_CONNECT_V6 ||
	       l == WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4 || l == WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6;
}

/* The send path below the transport: where the model's answers go. */
static bool send_layer(unsigned l)
{
	return (l >= WFP_LAYER_OUTBOUND_IPPACKET_V4 &&
		l <= WFP_LAYER_OUTBOUND_IPPACKET_V6_DISCARD) ||
	       (l >= WFP_LAYER_OUTBOUND_TRANSPORT_V4 &&
		l <= WFP_LAYER_OUTBOUND_TRANSPORT_V6_DISCARD) ||
	       (l >= WFP_LAYER_OUTBOUND_ICMP_ERROR_V4 &&
		l <= WFP_LAYER_OUTBOUND_ICMP_ERROR_V6_DISCARD);
}

static void on_trace(const struct wfp_trace_rec *t, void *ctx)
{
	struct wfp_replay *r = ctx;
	struct wfp_replay_rec *rec = r->rec;
	struct wfp_replay_layer l = {
		.layer = t->layer, .event = t->event, .flags = t->flags, .verdict = t->verdict,
	};
	bool mine;

	if (r->quiet || !rec)
		return;
	/* an inbound packet's own layers carry its event; the layers of the
	 * model's answer (SYN-ACK, ACK, RST, echo reply) carry another */
	mine = r->self || !r->inbound || t->event == r->cur_event ||
	       (r->cur_frag && !send_layer(t->layer));
	if (mine) {
		if (rec->nlayers < WFP_REPLAY_MAX_LAYERS)
			rec->layers[rec->nlayers++] = l;
		else
			rec->layers_dropped++;
	} else if (r->nresp < WFP_REPLAY_MAX_LAYERS) {
		r->resp[r->nresp++] = l;
	}
	if (r->explain_num == rec->num && rec->nexplain < WFP_REPLAY_MAX_EXPLAIN && mine) {
		struct wfp_replay_explain *x = &r->explain[rec->nexplain++];
		struct wfp_verdict v;

		x->l = l;
		memset(&x->ex, 0, sizeof(x->ex));
		/* the same classification again, explained (cold path) */
		wfp_classify(r->e, t->in, &v, &x->ex);
	}
}

static void on_output(struct wfp_host *h, const struct wfp_pkt *p, void *ctx)
{
	struct wfp_replay *r = ctx;
	struct pending *q;

	if (r->quiet)
		return;
	if (r->self && !r->inbound) {
		r->self_out = true; /* the captured packet itself went out */
		return;
	}
	q = &r->pend[r->pend_next];
	r->pend_next = (r->pend_next + 1) % PENDING_MAX;
	q->used = true;
	q->p = *p;
	q->num = r->num;
	q->flow_id = r->rec ? r->rec->flow_id : 0;
	q->nlayers = r->nresp;
	memcpy(q->layers, r->resp, r->nresp * sizeof(r->resp[0]));
	r->nresp = 0;
}

static bool pend_match(const struct wfp_pkt *a, const struct wfp_pkt *b)
{
	const uint8_t m = WFP_TCP_SYN | WFP_TCP_RST | WFP_TCP_FIN;

	if (a->family != b->family || a->proto != b->proto ||
	    !wfp_addr_eq(&a->src, &b->src) || !wfp_addr_eq(&a->dst, &b->dst))
		return false;
	if (a->proto == WFP_PROTO_ICMP || a->proto == WFP_PROTO_ICMPV6)
		return a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
		       (icmp_is_error(a->family, a->icmp_type) || a->icmp_id == b->icmp_id);
	if (a->sport != b->sport || a->dport != b->dport)
		return false;
	/* the model's answers carry no data: a segment with data is the
	 * host's own (send()), even when it also acknowledges */
	return a->proto != WFP_PROTO_TCP ||
	       ((a->tcp_flags & m) == (b->tcp_flags & m) && !b->payload_len);
}

static struct pending *pend_find(struct wfp_replay *r, const struct wfp_pkt *p)
{
	for (unsigned i = 0; i < PENDING_MAX; i++) {
		struct pending *q = &r->pend[i];

		if (!q->used)
			continue;
		if (r->num - q->num > PENDING_AGE) {
			q->used = false;
			continue;
		}
		if (pend_match(&q->p, p))
			return q;
	}
	return NULL;
}

/* ---- the verdict of a packet from its classifications ---- */

/* Notifications whose verdict changes nothing (spec §3.6). */
static bool notify_layer(unsigned l)
{
	return l == WFP_LAYER_ALE_ENDPOINT_CLOSURE_V4 || l == WFP_LAYER_ALE_ENDPOINT_CLOSURE_V6 ||
	       l == WFP_LAYER_ALE_RESOURCE_RELEASE_V4 || l == WFP_LAYER_ALE_RESOURCE_RELEASE_V6;
}

static void decide(struct wfp_replay_rec *rec)
{
	const struct wfp_replay_layer *pick = NULL;

	for (unsigned i = 0; i < rec->nlayers; i++) {
		const struct wfp_replay_layer *l = &rec->layers[i];

		if (l->verdict.action == WFP_ACTION_BLOCK && !(l->flags & WFP_TRACE_F_DISCARD)) {
			pick = l;
			rec->verdict = WFP_RV_BLOCK;
			if (l->flags & WFP_TRACE_F_REAUTH)
				rec->reason = WFP_RR_REAUTH;
			break;
		}
	}
	if (!pick) {
		/* a permit: the ALE authorization decides for the flow; else
		 * the last layer whose filter decided */
		for (unsigned i = 0; i < rec->nlayers; i++) {
			const struct wfp_replay_layer *l = &rec->layers[i];

			if ((l->flags & WFP_TRACE_F_DISCARD) || notify_layer(l->layer))
				continue;
			if (layer_ale_auth(l->layer)) {
				pick = l;
				break;
			}
			if (l->verdict.filter_id)
				pick = l;
		}
	}
	if (!pick)
		return;
	rec->has_layer = 1;
	rec->layer = pick->layer;
	rec->filter_id = pick->verdict.filter_id;
	rec->sublayer_weight = pick->verdict.sublayer_weight;
}

/* A blocking classification at a discard layer (stealth): its filter. */
static uint64_t discard_block(const struct wfp_replay_rec *rec, uint16_t *layer)
{
	for (unsigned i = 0; i < rec->nlayers; i++)
		if ((rec->layers[i].flags & WFP_TRACE_F_DISCARD) &&
		    rec->layers[i].verdict.action == WFP_ACTION_BLOCK) {
			*layer = rec->layers[i].layer;
			return rec->layers[i].verdict.filter_id;
		}
	return 0;
}

/* The flow's outcome after a classified packet. */
static void flow_account(struct wfp_replay *r, struct rflow *f, struct wfp_replay_rec *rec)
{
	bool ale = false;

	if (!f || rec->reason == WFP_RR_TCP_STATE || rec->reason == WFP_RR_FLOW ||
	    rec->reason == WFP_RR_FLOW_BLOCKED || rec->reason == WFP_RR_STEALTH)
		return;
	for (unsigned i = 0; i < rec->nlayers; i++)
		if (layer_ale_auth(rec->layers[i].layer) &&
		    !(rec->layers[i].flags & WFP_TRACE_F_REAUTH))
			ale = true;
	if (rec->verdict == WFP_RV_BLOCK && rec->reason == WFP_RR_REAUTH) {
		if (!f->pub.cut && f->pub.verdict == WFP_RV_PERMIT) {
			f->pub.cut = 1;
			f->pub.cut_filter_id = rec->filter_id;
			f->pub.cut_num = rec->num;
		}
		f->pub.verdict = WFP_RV_BLOCK;
		f->pub.reason = WFP_RR_REAUTH;
		f->pub.layer = rec->layer;
		f->has_layer = rec->has_layer;
		f->block_gen = wfp_engine_generation(r->e);
		f->decided = true;
		return;
	}
	if (f->decided && !(ale && f->pub.verdict != WFP_RV_PERMIT))
		return;
	if (rec->verdict == WFP_RV_BLOCK || rec->verdict == WFP_RV_DROP || ale) {
		f->decided = true;
		f->pub.verdict = rec->verdict;
		f->pub.reason = rec->reason;
		f->pub.filter_id = rec->filter_id;
		f->pub.layer = rec->layer;
		f->has_layer = rec->has_layer;
		if (rec->verdict != WFP_RV_PERMIT)
			f->block_gen = wfp_engine_generation(r->e);
	}
}

/* ---- pass 2 ---- */

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
	return WFP_EV_DATAGRAM;
}

static bool is_icmp(const struct wfp_pkt *p)
{
	return p->proto == WFP_PROTO_ICMP || p->proto == WFP_PROTO_ICMPV6;
}

/* The flow key of p as seen from the host; false: p belongs to no flow. */
static bool key_of(const struct wfp_pkt *p, bool in, struct fkey *k)
{
	const struct wfp_addr *l = in ? &p->dst : &p->src, *rm = in ? &p->src : &p->dst;

	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->proto = p->proto;
	if (is_icmp(p) && icmp_is_error(p->family, p->icmp_type)) {
		if (!(p->flags & WFP_PKT_F_EMBEDDED))
			return false;
		/* the flow of the quoted packet, which went the other way */
		k->proto = p->emb.proto;
		addr_bytes(in ? &p->emb.src : &p->emb.dst, k->laddr);
		addr_bytes(in ? &p->emb.dst : &p->emb.src, k->raddr);
		k->lport = in ? p->emb.sport : p->emb.dport;
		k->rport = in ? p->emb.dport : p->emb.sport;
		return true;
	}
	addr_bytes(l, k->laddr);
	addr_bytes(rm, k->raddr);
	if (is_icmp(p)) {
		bool v6 = p->family == WFP_AF_INET6;
		bool echo = p->icmp_type == (v6 ? 128 : 8) || p->icmp_type == (v6 ? 129 : 0);

		k->lport = echo ? p->icmp_id : p->icmp_type;
		k->rport = echo ? 0 : p->icmp_code;
	} else if (!(p->flags & WFP_PKT_F_FRAGMENT) || !p->frag_off) {
		k->lport = in ? p->dport : p->sport;
		k->rport = in ? p->sport : p->dport;
	}
	return true;
}

static bool tcp_opening(const struct wfp_pkt *p)
{
	return p->proto == WFP_PROTO_TCP &&
	       (p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) == WFP_TCP_SYN;
}

static void set_verdict(struct wfp_replay_rec *rec, uint8_t v, uint8_t reason)
{
	rec->verdict = v;
	rec->reason = reason;
}

/* A packet accounted to its flow's decision without classification. */
static void by_flow(struct rflow *f, struct wfp_replay_rec *rec)
{
	if (f->stealth) {
		set_verdict(rec, WFP_RV_BLOCK, WFP_RR_STEALTH);
		rec->filter_id = f->stealth_filter;
		rec->layer = f->stealth_layer;
		rec->has_layer = f->stealth_filter != 0;
		return;
	}
	if (f->pub.verdict == WFP_RV_PERMIT)
		set_verdict(rec, WFP_RV_PERMIT, WFP_RR_FLOW);
	else
		set_verdict(rec, f->pub.verdict == WFP_RV_DROP ? WFP_RV_DROP : WFP_RV_BLOCK,
			    WFP_RR_FLOW_BLOCKED);
	rec->filter_id = f->pub.cut ? f->pub.cut_filter_id : f->pub.filter_id;
	rec->layer = f->pub.layer;
	rec->has_layer = f->has_layer;
}

static void map_errno(struct wfp_replay_rec *rec, int ret)
{
	switch (ret) {
	case -EACCES:
		if (rec->verdict != WFP_RV_BLOCK)
			set_verdict(rec, WFP_RV_BLOCK, WFP_RR_FILTER);
		break;
	case -ECONNREFUSED:
		set_verdict(rec, WFP_RV_DROP, WFP_RR_NO_LISTENER);
		break;
	case -EOPNOTSUPP:
	case -EINPROGRESS: /* a fragment held for reassembly (stack) */
		set_verdict(rec, WFP_RV_PERMIT, WFP_RR_FRAGMENT);
		break;
	case -ENOBUFS:
	case -ENFILE:
	case -EMFILE:
		set_verdict(rec, WFP_RV_DROP, WFP_RR_LIMIT);
		break;
	case -EHOSTUNREACH:
		set_verdict(rec, WFP_RV_SKIP, WFP_RR_NOT_HOST);
		break;
	default:
		if (ret < 0)
			set_verdict(rec, WFP_RV_DROP, WFP_RR_TCP_STATE);
		else
			set_verdict(rec, WFP_RV_PERMIT, WFP_RR_FILTER);
	}
}

static bool ip_layer(unsigned l)
{
	return l == WFP_LAYER_INBOUND_IPPACKET_V4 || l == WFP_LAYER_INBOUND_IPPACKET_V6 ||
	       l == WFP_LAYER_INBOUND_IPPACKET_V4_DISCARD ||
	       l == WFP_LAYER_INBOUND_IPPACKET_V6_DISCARD;
}

/* A fragment completed its datagram: layers above IP ran. */
static bool went_up(const struct wfp_replay_rec *rec)
{
	for (unsigned i = 0; i < rec->nlayers; i++)
		if (!ip_layer(rec->layers[i].layer))
			return true;
	return false;
}

/* The model's flow of TCP packet p, or NULL. */
static struct wfp_flow *model_flow(struct wfp_replay *r, const struct wfp_pkt *p, bool in)
{
	struct wfp_flow_key k;

	if (in)
		ale_key(&k, p->family, WFP_PROTO_TCP, &p->dst, &p->src, p->dport, p->sport, 0);
	else
		ale_key(&k, p->family, WFP_PROTO_TCP, &p->src, &p->dst, p->sport, p->dport, 0);
	return ale_lookup(r->h, &k);
}

static void inbound(struct wfp_replay *r, struct rflow *f, const struct wfp_pkt *p,
		    struct wfp_replay_rec *rec)
{
	const struct wfp_host_stats *st = wfp_host_stats(r->h);
	uint64_t stealth0 = st->drops[WFP_DROP_STEALTH];
	int ret, sd;

	if (tcp_opening(p) && f && f->decided && f->pub.verdict == WFP_RV_PERMIT) {
		by_flow(f, rec); /* a retransmitted SYN */
		return;
	}
	if (f && f->decided && f->pub.verdict != WFP_RV_PERMIT &&
	    (p->proto == WFP_PROTO_TCP ? !tcp_opening(p) :
	     f->block_gen == wfp_engine_generation(r->e))) {
		by_flow(f, rec);
		return;
	}
	if (p->proto == WFP_PROTO_TCP && !tcp_opening(p) && f && f->decided &&
	    (f->fin_in || f->fin_out || f->done) && !model_flow(r, p, true)) {
		by_flow(f, rec); /* the last ACK: TIME_WAIT is not modelled */
		return;
	}
	/* the sockets the traffic implies exist before it arrives */
	if (tcp_opening(p) && !p->frag_off &&
	    bit(r->listen_tcp[fam_idx(p->family)], p->dport)) {
		r->quiet = true;
		model_socket(r, p->family, WFP_PROTO_TCP, p->dport);
		r->quiet = false;
	}
	if (!is_icmp(p) && p->proto != WFP_PROTO_TCP && f && f->usock < 0 && !p->frag_off &&
	    !bit(r->closed_udp[fam_idx(p->family)], p->dport)) {
		r->quiet = true;
		f->usock = model_socket(r, p->family, p->proto, p->dport);
		if (f->usock >= 0)
			r->socks[f->usock].refs++;
		r->quiet = false;
	}
	r->inbound = true;
	r->cur_event = pkt_event(p);
	r->cur_frag = (p->flags & WFP_PKT_F_FRAGMENT) != 0;
	ret = wfp_host_receive(r->h, p);
	r->cur_frag = false;
	decide(rec);
	map_errno(rec, ret);
	if (!ret && (p->flags & WFP_PKT_F_FRAGMENT) && !went_up(rec))
		rec->reason = WFP_RR_FRAGMENT; /* held for reassembly (spec §2.5) */
	if (f && st->drops[WFP_DROP_STEALTH] != stealth0) {
		f->stealth = true;
		f->stealth_filter = discard_block(rec, &f->stealth_layer);
		if (!f->stealth_filter) {
			/* suppressed at OUTBOUND_ICMP_ERROR: in the answer's layers */
			for (unsigned i = 0; i < r->nresp; i++)
				if (r->resp[i].verdict.action == WFP_ACTION_BLOCK) {
					f->stealth_filter = r->resp[i].verdict.filter_id;
					f->stealth_layer = r->resp[i].layer;
					break;
				}
		}
		if (f->stealth_filter) {
			rec->filter_id = f->stealth_filter;
			rec->layer = f->stealth_layer;
			rec->has_layer = 1;
		}
	}
	sd = wfp_host_last_socket(r->h);
	if (f && p->proto == WFP_PROTO_TCP && f->sd < 0 && sd >= 0) {
		struct sock *s = stack_sock(r->h, sd);

		if (s && s->listener >= 0 && s->flow && s->lport == f->k.lport &&
		    s->rport == f->k.rport && !memcmp(s->flow->key.raddr, f->k.raddr,
						      f->k.family == WFP_AF_INET ? 4 : 16)) {
			f->sd = sd;
			s->accept_ready = false; /* accept()ed */
		}
	}
	flow_account(r, f, rec);
}

/* TCP packets of our side that are no socket call: reauthorization if
 * the policy changed, else the flow's decision. */
static void tcp_other(struct wfp_replay *r, struct rflow *f, const struct wfp_pkt *p,
		      struct wfp_replay_rec *rec)
{
	struct wfp_flow *mf = model_flow(r, p, false);

	if (!mf) {
		/* a blocked flow, or the last ACK of a finished one (TIME_WAIT
		 * is not modelled) */
		if (f && f->decided && (f->pub.verdict != WFP_RV_PERMIT ||
					f->fin_in || f->fin_out || f->done))
			by_flow(f, rec);
		else
			set_verdict(rec, WFP_RV_DROP, WFP_RR_TCP_STATE);
		return;
	}
	r->self = true;
	if (ale_reauth(r->h, mf, pkt_event(p))) {
		decide(rec);
		set_verdict(rec, WFP_RV_BLOCK, WFP_RR_REAUTH);
		return;
	}
	if (p->tcp_flags & WFP_TCP_RST) {
		/* our side aborts: the model has no abort call */
		tcp_flow_gone(r->h, mf, -ECONNRESET);
		if (f && f->sd >= 0) {
			r->quiet = true;
			wfp_sock_close(r->h, f->sd);
			r->quiet = false;
			f->sd = -1;
		}
	}
	if (f)
		by_flow(f, rec);
	else
		set_verdict(rec, WFP_RV_PERMIT, WFP_RR_FLOW);
}

static void outbound_tcp(struct wfp_replay *r, struct rflow *f, const struct wfp_pkt *p,
			 struct wfp_replay_rec *rec)
{
	int ret, sd;

	if (tcp_opening(p)) {
		struct wfp_addr dst = p->dst;

		if (f && (f->decided || f->sd >= 0)) {
			by_flow(f, rec); /* a retransmitted SYN */
			return;
		}
		r->self = true;
		sd = wfp_sock_open(r->h, p->family, WFP_PROTO_TCP, NULL);
		if (sd < 0) {
			map_errno(rec, sd);
			return;
		}
		ret = wfp_sock_bind(r->h, sd, &p->src, p->sport);
		if (!ret)
			ret = wfp_sock_connect(r->h, sd, &dst, p->dport);
		decide(rec);
		if (ret && ret != -EACCES) {
			wfp_sock_close(r->h, sd);
			map_errno(rec, ret);
			return;
		}
		map_errno(rec, ret);
		if (ret || !r->self_out) {
			wfp_sock_close(r->h, sd);
			if (!ret)
				set_verdict(rec, WFP_RV_BLOCK, WFP_RR_FILTER);
			return;
		}
		if (f)
			f->sd = sd;
		else
			wfp_sock_close(r->h, sd);
		return;
	}
	sd = f ? f->sd : -1;
	if (sd >= 0 && (p->payload_len || (p->tcp_flags & WFP_TCP_FIN)) &&
	    !(p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_RST))) {
		int st = wfp_sock_state(r->h, sd);

		if (st != WFP_SOCK_ESTABLISHED && st != WFP_SOCK_CLOSE_WAIT) {
			tcp_other(r, f, p, rec);
			return;
		}
		r->self = true;
		ret = 0;
		if (p->payload_len)
			ret = wfp_sock_send(r->h, sd, p->payload_len);
		if (ret >= 0 && (p->tcp_flags & WFP_TCP_FIN)) {
			ret = wfp_sock_close(r->h, sd);
			f->sd = -1;
			if (!ret && !r->self_out) {
				/* torn down by a reauthorization on close */
				ret = -EACCES;
			}
		}
		decide(rec);
		map_errno(rec, ret);
		return;
	}
	tcp_other(r, f, p, rec);
}

static void outbound_udp(struct wfp_replay *r, struct rflow *f, const struct wfp_pkt *p,
			 struct wfp_replay_rec *rec)
{
	struct wfp_addr dst = p->dst;
	int ret;

	if (f && f->decided && f->pub.verdict != WFP_RV_PERMIT &&
	    f->block_gen == wfp_engine_generation(r->e)) {
		by_flow(f, rec);
		return;
	}
	if (f && f->usock < 0) {
		r->self = true;
		f->usock = model_socket(r, p->family, p->proto, p->sport);
		if (f->usock >= 0)
			r->socks[f->usock].refs++;
	}
	if (!f || f->usock < 0 || r->socks[f->usock].sd < 0) {
		decide(rec);
		if (rec->verdict != WFP_RV_BLOCK)
			set_verdict(rec, WFP_RV_DROP, WFP_RR_LIMIT);
		return;
	}
	r->self = true;
	ret = wfp_sock_sendto(r->h, r->socks[f->usock].sd, &dst, p->dport, p->payload_len);
	decide(rec);
	map_errno(rec, ret);
	if (ret >= 0 && !r->self_out)
		set_verdict(rec, WFP_RV_BLOCK, WFP_RR_FILTER);
}

static bool frag_same(const struct fragmem *m, const struct wfp_pkt *p)
{
	return m->used && m->proto == p->proto && m->ip_id == p->ip_id &&
	       wfp_addr_eq(&m->src, &p->src) && wfp_addr_eq(&m->dst, &p->dst);
}

static const struct fragmem *frag_find(struct wfp_replay *r, const struct wfp_pkt *p)
{
	for (unsigned i = 0; i < FRAGMEM_MAX; i++)
		if (frag_same(&r->fragmem[i], p))
			return &r->fragmem[i];
	return NULL;
}

/* The verdict of an outbound first fragment, for the ones after it. */
static void frag_remember(struct wfp_replay *r, const struct wfp_pkt *p,
			  const struct wfp_replay_rec *rec)
{
	struct fragmem *m = &r->fragmem[r->fragmem_next];

	r->fragmem_next = (r->fragmem_next + 1) % FRAGMEM_MAX;
	m->used = true;
	m->proto = p->proto;
	m->ip_id = p->ip_id;
	m->src = p->src;
	m->dst = p->dst;
	m->verdict = rec->verdict;
	m->filter_id = rec->filter_id;
	m->layer = rec->layer;
	m->has_layer = rec->has_layer;
}

static void outbound(struct wfp_replay *r, struct rflow *f, const struct wfp_pkt *p,
		     struct wfp_replay_rec *rec)
{
	struct pending *q = pend_find(r, p);
	bool v6 = p->family == WFP_AF_INET6;

	r->inbound = false;
	r->cur_event = pkt_event(p);
	if (q) {
		/* the model's own answer to an earlier packet */
		q->used = false;
		rec->response = 1;
		rec->nlayers = q->nlayers;
		memcpy(rec->layers, q->layers, q->nlayers * sizeof(q->layers[0]));
		decide(rec);
		set_verdict(rec, WFP_RV_PERMIT, WFP_RR_FILTER);
		return;
	}
	if (f && f->stealth && (p->proto == WFP_PROTO_TCP ? (p->tcp_flags & WFP_TCP_RST) :
				is_icmp(p))) {
		by_flow(f, rec);
		return;
	}
	if (p->flags & WFP_PKT_F_FRAGMENT && p->frag_off) {
		/* the host fragments after classifying the datagram (spec
		 * §2.5): a later fragment has its first fragment's verdict */
		const struct fragmem *m = frag_find(r, p);

		set_verdict(rec, m ? m->verdict : WFP_RV_PERMIT, WFP_RR_FRAGMENT);
		if (m) {
			rec->filter_id = m->filter_id;
			rec->layer = m->layer;
			rec->has_layer = m->has_layer;
		}
		return;
	}
	switch (p->proto) {
	case WFP_PROTO_TCP:
		outbound_tcp(r, f, p, rec);
		break;
	case WFP_PROTO_ICMP:
	case WFP_PROTO_ICMPV6:
		if (p->icmp_type == (v6 ? 128 : 8) && p->icmp_id) {
			struct wfp_addr dst = p->dst;
			int ret;

			r->self = true;
			ret = wfp_host_icmp_echo(r->h, &dst, p->icmp_id);
			decide(rec);
			map_errno(rec, ret);
			if (!ret && !r->self_out)
				set_verdict(rec, WFP_RV_BLOCK, WFP_RR_FILTER);
			break;
		}
		if (f && f->decided && f->pub.verdict != WFP_RV_PERMIT) {
			by_flow(f, rec);
			break;
		}
		/* an answer the model did not give: the send path */
		{
			struct wfp_pkt c = *p;

			r->self = true;
			map_errno(rec, stack_ip_output(r->h, &c, pkt_event(p)));
			decide(rec);
		}
		break;
	default:
		outbound_udp(r, f, p, rec);
		break;
	}
	if (p->flags & WFP_PKT_F_FRAGMENT)
		frag_remember(r, p, rec);
}

int wfp_replay_packet(struct wfp_replay *r, int linktype, uint64_t ts_us, const void *data,
		      size_t caplen, size_t len, struct wfp_replay_rec *rec)
{
	struct wfp_pkt *p = &rec->pkt;
	struct rflow *f = NULL;
	uint64_t gen;
	struct fkey k;
	bool in;

	memset(rec, 0, offsetof(struct wfp_replay_rec, layers));
	rec->nexplain = 0;
	rec->explain = NULL;
	rec->num = ++r->num;
	rec->ts_us = ts_us;
	rec->caplen = (uint32_t)caplen;
	rec->len = (uint32_t)len;
	if (r->num == 1) {
		if (!r->nhosts)
			wfp_replay_learn_done(r);
		setup_host(r);
		wfp_host_set_trace(r->h, on_trace, r);
		wfp_host_set_output(r->h, on_output, r);
	}
	gen = wfp_engine_generation(r->e);
	if (gen != r->last_gen) {
		rec->policy_changed = 1;
		r->last_gen = gen;
	}
	rec->parse_err = wfp_pkt_parse_link(linktype, data, caplen, p, NULL);
	if (rec->parse_err) {
		set_verdict(rec, WFP_RV_SKIP, rec->parse_err == -WFP_PKT_E_NOT_IP ?
			    WFP_RR_NOT_IP : WFP_RR_MALFORMED);
		return 0;
	}
	if (!r->have_ts0) {
		r->ts0_us = ts_us;
		r->have_ts0 = true;
	}
	if (ts_us > r->ts0_us)
		wfp_host_set_time(r->h, (ts_us - r->ts0_us) / 1000);
	expire(r, ts_us);
	/* direction: from one of the host's addresses is outbound; a packet
	 * between two of them is replayed as outbound (docs/replay.md) */
	if (is_host(r, &p->src))
		in = false;
	else if (is_host(r, &p->dst))
		in = true;
	else {
		set_verdict(rec, WFP_RV_SKIP, WFP_RR_NOT_HOST);
		return 0;
	}
	rec->dir = in ? WFP_REPLAY_DIR_IN : WFP_REPLAY_DIR_OUT;
	if (key_of(p, in, &k)) {
		f = flow_find(r, &k);
		if (f && f->done && tcp_opening(p)) {
			flow_end(r, f); /* a new connection on a finished 5-tuple */
			f = NULL;
		}
		if (!f)
			f = flow_new(r, &k, rec->dir);
		f->last_us = ts_us;
		lru_unlink(r, f);
		lru_front(r, f);
		rec->flow_id = f->pub.id;
	}
	r->rec = rec;
	r->nresp = 0;
	r->self = r->self_out = false;
	if (r->explain_num == rec->num)
		rec->explain = r->explain;
	if (in)
		inbound(r, f, p, rec);
	else
		outbound(r, f, p, rec);
	r->self = false;
	r->rec = NULL;
	if (f) {
		f->pub.last_num = rec->num;
		f->pub.bytes += len;
		if (rec->verdict == WFP_RV_PERMIT)
			f->pub.pkts_permitted++;
		else
			f->pub.pkts_blocked++;
		if (!in && !rec->response)
			flow_account(r, f, rec);
		if (p->proto == WFP_PROTO_TCP && f->k.proto == WFP_PROTO_TCP) {
			if (p->tcp_flags & WFP_TCP_RST)
				f->done = 1;
			if (p->tcp_flags & WFP_TCP_FIN)
				*(in ? &f->fin_in : &f->fin_out) = 1;
			if (f->fin_in && f->fin_out)
				f->done = 1;
		}
	}
	return 0;
}
