// SPDX-License-Identifier: MIT
/*
 * shim_icmp.c - ICMP and ICMPv6 in the stack model (spec §2.3).
 *
 *   echo request out  AUTH_CONNECT, FLOW_ESTABLISHED (first of its flow),
 *                     DATAGRAM_DATA, OUTBOUND_TRANSPORT, OUTBOUND_IPPACKET
 *   non-error in      INBOUND_IPPACKET, INBOUND_TRANSPORT, AUTH_RECV_ACCEPT,
 *                     FLOW_ESTABLISHED (first of its flow), DATAGRAM_DATA;
 *                     an echo request is answered on the same flow
 *   error in          INBOUND_IPPACKET, INBOUND_TRANSPORT, INBOUND_ICMP_ERROR
 *                     (order of spec §9; errors never reach ALE)
 *   error out         OUTBOUND_ICMP_ERROR, OUTBOUND_TRANSPORT,
 *                     OUTBOUND_IPPACKET
 *
 * Flow key (spec §3.1): type, code, id; an echo reply maps to its
 * request's flow (the key holds the request type), so a permitted ping
 * needs no inbound rule for the reply.  Echo requests come from the
 * host's ICMP module, not from a socket: no bind layers, EMPTY app id.
 */
#include <string.h>

#include "stack.h"

enum {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_UNREACH = 3,
	ICMP4_UNREACH_PROTO = 2,
	ICMP4_UNREACH_PORT = 3,
	ICMP4_ECHO = 8,
	ICMP6_UNREACH = 1,
	ICMP6_UNREACH_PORT = 4,
	ICMP6_PARAM_PROB = 4,
	ICMP6_PARAM_NEXT_HEADER = 1,
	ICMP6_ECHO = 128,
	ICMP6_ECHO_REPLY = 129
};

bool icmp_is_error(int family, uint8_t type)
{
	if (family == WFP_AF_INET6)
		return type < 128;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static int icmp_proto(int family)
{
	return family == WFP_AF_INET6 ? WFP_PROTO_ICMPV6 : WFP_PROTO_ICMP;
}

static uint8_t echo_type(int family)
{
	return family == WFP_AF_INET6 ? ICMP6_ECHO : ICMP4_ECHO;
}

static uint8_t reply_type(int family)
{
	return family == WFP_AF_INET6 ? ICMP6_ECHO_REPLY : ICMP4_ECHO_REPLY;
}

static void icmp_pkt(struct wfp_pkt *p, const struct wfp_addr *src, const struct wfp_addr *dst,
		     uint8_t type, uint8_t code, uint16_t id)
{
	memset(p, 0, sizeof(*p));
	p->family = src->family;
	p->proto = (uint8_t)icmp_proto(src->family);
	p->src = *src;
	p->dst = *dst;
	p->icmp_type = type;
	p->icmp_code = code;
	p->icmp_id = id;
	p->icmp_seq = 1;
	p->payload_len = 56; /* ping's default */
}

static int datagram_data(struct wfp_host *h, const struct wfp_pkt *p, bool inbound,
			 uint32_t event)
{
	struct cls c;

	stack_cls_pkt(h, &c, p, inbound, event);
	return stack_check(h, lay(p->family, WFP_LAYER_DATAGRAM_DATA_V4), &c);
}

/* A non-error message from l to dst: the first of its flow runs
 * AUTH_CONNECT and FLOW_ESTABLISHED, then DATAGRAM_DATA and the IP layers. */
static int send_nonerror(struct wfp_host *h, const struct wfp_addr *l, const struct wfp_addr *dst,
			 uint8_t type, uint8_t code, uint16_t id, uint16_t seq, uint32_t len,
			 uint32_t ev)
{
	bool reply = type == reply_type(dst->family);
	bool echo = reply || type == echo_type(dst->family);
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_pkt p;

	ale_key(&k, dst->family, icmp_proto(dst->family), l, dst,
		reply ? echo_type(dst->family) : type, reply ? 0 : code, echo ? id : 0);
	f = ale_lookup(h, &k);
	if (!f) {
		f = ale_flow_new(h, &k);
		if (!f)
			return -ENOBUFS;
		f->state = WFP_FLOW_OPEN;
		f->loopback = stack_loopback(h, l, dst);
		if (ale_authorize(h, f, true, ev, type, code) || ale_established(h, f, ev)) {
			ale_flow_free(h, f);
			return -EACCES;
		}
	} else if (ale_reauth(h, f, ev)) {
		return -EACCES;
	}
	icmp_pkt(&p, l, dst, type, code, id);
	p.icmp_seq = seq;
	p.payload_len = len;
	if (datagram_data(h, &p, false, ev))
		return -EACCES;
	return stack_ip_output(h, &p, ev);
}

int icmp_echo(struct wfp_host *h, const struct wfp_addr *dst, uint16_t id)
{
	struct wfp_addr l;
	int ret;

	if (!id)
		id = h->icmp_id_next; /* one "ping process" per host */
	ret = stack_local_addr_for(h, dst, &l);
	if (ret)
		return ret;
	return send_nonerror(h, &l, dst, echo_type(dst->family), 0, id, ++h->icmp_seq, 56,
			     WFP_EV_ICMP_ECHO);
}

int icmp_send_unreach(struct wfp_host *h, const struct wfp_pkt *p)
{
	bool v6 = p->family == WFP_AF_INET6, udp = p->proto == WFP_PROTO_UDP;
	struct wfp_pkt q;
	struct cls c;

	icmp_pkt(&q, &p->dst, &p->src,
		 v6 ? (udp ? ICMP6_UNREACH : ICMP6_PARAM_PROB) : ICMP4_UNREACH,
		 v6 ? (udp ? ICMP6_UNREACH_PORT : ICMP6_PARAM_NEXT_HEADER) :
		      (udp ? ICMP4_UNREACH_PORT : ICMP4_UNREACH_PROTO), 0);
	q.icmp_seq = 0;
	q.payload_len = 0;
	q.flags |= WFP_PKT_F_EMBEDDED;
	q.emb.proto = p->proto;
	q.emb.src = p->src;
	q.emb.dst = p->dst;
	q.emb.sport = p->sport;
	q.emb.dport = p->dport;
	stack_cls_pkt(h, &c, &q, false, WFP_EV_ICMP_ERROR);
	if (stack_check(h, lay(p->family, WFP_LAYER_OUTBOUND_ICMP_ERROR_V4), &c)) {
		h->st.drops[WFP_DROP_STEALTH]++; /* the MSDN stealth filter (§3.8) */
		return -EACCES;
	}
	return stack_ip_output(h, &q, WFP_EV_ICMP_ERROR);
}

/* An ICMP error reaches the socket of the quoted packet as a soft error. */
static void error_to_socket(struct wfp_host *h, const struct wfp_pkt *p)
{
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct sock *s;

	if (!(p->flags & WFP_PKT_F_EMBEDDED))
		return;
	ale_key(&k, p->family, p->emb.proto, &p->emb.src, &p->emb.dst, p->emb.sport,
		p->emb.dport, 0);
	f = wfp_flow_lookup(h->flows, &k);
	s = f ? stack_sock(h, f->sd) : NULL;
	if (s)
		s->err = -ECONNREFUSED;
}

static int error_input(struct wfp_host *h, const struct wfp_pkt *p, struct cls *c)
{
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4), c))
		return -EACCES;
	if (p->flags & WFP_PKT_F_EMBEDDED) {
		/* the quoted packet was ours: its source is our side */
		c->has_emb = true;
		c->emb.proto = p->emb.proto;
		c->emb.raddr = p->emb.dst;
		c->emb.lport = p->emb.sport;
		c->emb.rport = p->emb.dport;
	}
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_ICMP_ERROR_V4), c))
		return -EACCES;
	error_to_socket(h, p);
	return 0;
}

int icmp_input(struct wfp_host *h, const struct wfp_pkt *p)
{
	bool reply = p->icmp_type == reply_type(p->family);
	bool echo = reply || p->icmp_type == echo_type(p->family);
	uint32_t ev = reply ? WFP_EV_ICMP_REPLY :
		      p->icmp_type == echo_type(p->family) ? WFP_EV_ICMP_ECHO : WFP_EV_ICMP;
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_pkt q;
	struct cls c;

	if (icmp_is_error(p->family, p->icmp_type)) {
		stack_cls_pkt(h, &c, p, true, WFP_EV_ICMP_ERROR);
		return error_input(h, p, &c);
	}
	stack_cls_pkt(h, &c, p, true, ev);
	ale_key(&k, p->family, p->proto, &p->dst, &p->src,
		reply ? echo_type(p->family) : p->icmp_type, reply ? 0 : p->icmp_code,
		echo ? p->icmp_id : 0);
	f = ale_lookup(h, &k);
	if (!f)
		c.flags |= WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY;
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
		return -EACCES;
	if (f) {
		if (ale_reauth(h, f, ev))
			return -EACCES;
	} else {
		f = ale_flow_new(h, &k);
		if (!f)
			return -ENOBUFS;
		f->state = WFP_FLOW_OPEN;
		f->loopback = (c.flags & WFP_CONDITION_FLAG_IS_LOOPBACK) != 0;
		if (ale_authorize(h, f, false, ev, p->icmp_type, p->icmp_code) ||
		    ale_established(h, f, ev)) {
			ale_flow_free(h, f);
			return -EACCES;
		}
	}
	if (datagram_data(h, p, true, ev))
		return -EACCES;
	if (reply || !echo || stack_observer(h))
		return 0; /* an observer's real stack sends its own reply */
	/* the stack answers the echo on the same flow */
	icmp_pkt(&q, &p->dst, &p->src, reply_type(p->family), 0, p->icmp_id);
	q.icmp_seq = p->icmp_seq;
	q.payload_len = p->payload_len;
	if (ale_reauth(h, f, WFP_EV_ICMP_REPLY) ||
	    datagram_data(h, &q, false, WFP_EV_ICMP_REPLY))
		return -EACCES;
	return stack_ip_output(h, &q, WFP_EV_ICMP_REPLY);
}

bool icmp_flow_key(struct wfp_flow_key *k, const struct wfp_pkt *p, bool sent)
{
	bool reply = p->icmp_type == reply_type(p->family);
	bool echo = reply || p->icmp_type == echo_type(p->family);

	if (icmp_is_error(p->family, p->icmp_type))
		return false; /* errors belong to no flow (spec §3.1) */
	ale_key(k, p->family, p->proto, sent ? &p->src : &p->dst, sent ? &p->dst : &p->src,
		reply ? echo_type(p->family) : p->icmp_type, reply ? 0 : p->icmp_code,
		echo ? p->icmp_id : 0);
	return true;
}

/* A message the real stack sends (wfp_host_send). */
int icmp_output(struct wfp_host *h, const struct wfp_pkt *p)
{
	uint32_t ev = p->icmp_type == echo_type(p->family) ? WFP_EV_ICMP_ECHO :
		      p->icmp_type == reply_type(p->family) ? WFP_EV_ICMP_REPLY : WFP_EV_ICMP;
	struct wfp_flow_key k;
	struct wfp_pkt q = *p;
	struct cls c;

	if (!icmp_is_error(p->family, p->icmp_type))
		return send_nonerror(h, &p->src, &p->dst, p->icmp_type, p->icmp_code,
				     p->icmp_id, p->icmp_seq, p->payload_len, ev);
	if (p->flags & WFP_PKT_F_EMBEDDED) {
		/* the quoted datagram came to us: its destination is our side */
		ale_key(&k, p->family, p->emb.proto, &p->emb.dst, &p->emb.src, p->emb.dport,
			p->emb.sport, 0);
		if (ale_stealth_take(h, &k)) {
			h->st.drops[WFP_DROP_STEALTH]++; /* §2.2: blocked at the discard layer */
			return -EACCES;
		}
	}
	stack_cls_pkt(h, &c, p, false, WFP_EV_ICMP_ERROR);
	if (stack_check(h, lay(p->family, WFP_LAYER_OUTBOUND_ICMP_ERROR_V4), &c)) {
		h->st.drops[WFP_DROP_STEALTH]++;
		return -EACCES;
	}
	return stack_ip_output(h, &q, WFP_EV_ICMP_ERROR);
}
