// SPDX-License-Identifier: MIT
/*
 * shim_udp.c - UDP (and every protocol other than TCP and ICMP) in the
 * stack model: the layer sequences of spec §2.2.
 *
 *   send, new peer   implicit bind, CONNECT_REDIRECT, AUTH_CONNECT,
 *                    FLOW_ESTABLISHED, DATAGRAM_DATA, OUTBOUND_TRANSPORT,
 *                    OUTBOUND_IPPACKET
 *   receive, new     INBOUND_IPPACKET, INBOUND_TRANSPORT, AUTH_RECV_ACCEPT,
 *                    FLOW_ESTABLISHED, DATAGRAM_DATA
 *   known flow       the same without the ALE layers (spec §3.2), unless
 *                    the flow must be reauthorized
 *   no socket        INBOUND_IPPACKET, INBOUND_IPPACKET_DISCARD (NETWORK /
 *                    PORT_UNREACHABLE), then the ICMP error of shim_icmp.c
 *                    unless a filter blocked at the discard layer
 *
 * A socket has one flow per remote address and port; its flows die with
 * it or after the idle timeout.
 */
#include <string.h>

#include "stack.h"

static void dgram(struct wfp_pkt *p, int proto, const struct wfp_addr *src, uint16_t sport,
		  const struct wfp_addr *dst, uint16_t dport, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->family = src->family;
	p->proto = (uint8_t)proto;
	p->src = *src;
	p->dst = *dst;
	p->sport = sport;
	p->dport = dport;
	p->payload_len = len;
}

static void link_flow(struct sock *s, struct wfp_flow *f, int sd)
{
	f->sd = sd;
	f->state = WFP_FLOW_OPEN;
	f->snext = s->flows;
	s->flows = f;
}

/* DATAGRAM_DATA: the packet's own direction (spec §1.4). */
static int datagram_data(struct wfp_host *h, const struct wfp_pkt *p, bool inbound)
{
	struct cls c;

	stack_cls_pkt(h, &c, p, inbound, WFP_EV_DATAGRAM);
	return stack_check(h, lay(p->family, WFP_LAYER_DATAGRAM_DATA_V4), &c);
}

/* A new outbound flow (§2.2 steps 5-7). */
static struct wfp_flow *new_out(struct wfp_host *h, int sd, const struct wfp_flow_key *k,
				const struct wfp_addr *l, const struct wfp_addr *dst,
				uint16_t port, int *err)
{
	struct sock *s = stack_sock(h, sd);
	struct cls c = { .event = WFP_EV_DATAGRAM, .ale = true };
	struct wfp_flow *f;

	c.family = s->family;
	c.proto = s->proto;
	c.owner = s;
	c.has_laddr = c.has_raddr = c.has_lport = c.has_rport = true;
	c.laddr = *l;
	c.raddr = *dst;
	c.lport = s->lport;
	c.rport = port;
	*err = -EACCES;
	if (stack_check(h, lay(s->family, WFP_LAYER_ALE_CONNECT_REDIRECT_V4), &c))
		return NULL;
	f = ale_flow_new(h, k);
	if (!f) {
		*err = -ENOBUFS;
		return NULL;
	}
	link_flow(s, f, sd);
	f->loopback = stack_loopback(h, l, dst);
	if (ale_authorize(h, f, true, WFP_EV_DATAGRAM, 0, 0) ||
	    ale_established(h, f, WFP_EV_DATAGRAM)) {
		ale_flow_free(h, f);
		return NULL;
	}
	return f;
}

/* sendto() from socket sd; src: the source address the real stack chose
 * (observer), NULL: the model picks it. */
static int send_from(struct wfp_host *h, int sd, const struct wfp_addr *src,
		     const struct wfp_addr *dst, uint16_t port, uint32_t len)
{
	struct sock *s = stack_sock(h, sd);
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_addr l;
	struct wfp_pkt p;
	int ret;

	if (!port && s->proto == WFP_PROTO_UDP)
		return -EINVAL;
	if (!s->bound) {
		ret = stack_bind(h, sd, NULL, 0);
		if (ret)
			return ret;
	}
	if (src) {
		l = *src;
	} else if (addr_unspec(&s->laddr)) {
		ret = stack_local_addr_for(h, dst, &l);
		if (ret)
			return ret;
	} else {
		l = s->laddr;
	}
	ale_key(&k, s->family, s->proto, &l, dst, s->lport, port, 0);
	f = ale_lookup(h, &k);
	if (!f) {
		f = new_out(h, sd, &k, &l, dst, port, &ret);
		if (!f)
			return ret;
		s->raddr = *dst;
		s->rport = port;
		s->has_peer = true;
		h->last_sd = sd;
	} else if (ale_reauth(h, f, WFP_EV_DATAGRAM)) {
		return -EACCES;
	}
	dgram(&p, s->proto, &l, s->lport, dst, port, len);
	if (datagram_data(h, &p, false))
		return -EACCES;
	ret = stack_ip_output(h, &p, WFP_EV_DATAGRAM);
	return ret ? ret : (int)(len > INT32_MAX ? INT32_MAX : len);
}

int udp_sendto(struct wfp_host *h, int sd, const struct wfp_addr *dst, uint16_t port,
	       uint32_t len)
{
	return send_from(h, sd, NULL, dst, port, len);
}

/* The socket bound to (laddr, lport) for the protocol, or -1. */
static int bound_sock(struct wfp_host *h, int family, int proto, const struct wfp_addr *laddr,
		      uint16_t lport)
{
	for (int sd = stack_port_first(h, lport); sd >= 0; sd = stack_sock(h, sd)->pnext) {
		struct sock *s = stack_sock(h, sd);

		if (s->proto == proto && s->family == family && s->lport == lport &&
		    (addr_unspec(&s->laddr) || wfp_addr_eq(&s->laddr, laddr)))
			return sd;
	}
	return -1;
}

static int find_sock(struct wfp_host *h, const struct wfp_pkt *p)
{
	return bound_sock(h, p->family, p->proto, &p->dst, p->dport);
}

int udp_input(struct wfp_host *h, const struct wfp_pkt *p)
{
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct sock *s;
	struct cls c;
	int sd;

	ale_key(&k, p->family, p->proto, &p->dst, &p->src, p->dport, p->sport, 0);
	f = ale_lookup(h, &k);
	if (f) {
		sd = f->sd;
	} else {
		sd = find_sock(h, p);
		if (sd >= 0)
			sd = stack_implicit_check(h, sd, &p->dst); /* inline: still there? */
		else if (stack_observer(h))
			sd = stack_implicit_sock(h, p->family, p->proto, &p->dst, p->dport, true);
	}
	s = stack_sock(h, sd);
	stack_cls_pkt(h, &c, p, true, WFP_EV_DATAGRAM);
	if (!s) {
		uint32_t why = p->proto == WFP_PROTO_UDP ? WFP_IP_DISCARD_PORT_UNREACHABLE :
			       3 /* IpDiscardProtocolUnreachable */;

		h->st.drops[WFP_DROP_NO_ENDPOINT]++;
		/* spec §2.2: reported at the IP packet discard layer */
		if (stack_discard(h, lay(p->family, WFP_LAYER_INBOUND_IPPACKET_V4_DISCARD), &c,
				  WFP_DISCARD_MODULE_NETWORK, why)) {
			if (stack_inline(h)) {
				h->st.drops[WFP_DROP_STEALTH]++; /* the caller drops it */
				return -EACCES;
			}
			if (stack_observer(h))
				ale_stealth_mark(h, &k); /* refuse the real ICMP error */
			else
				h->st.drops[WFP_DROP_STEALTH]++;
			return -ECONNREFUSED;
		}
		if (!stack_observer(h))
			icmp_send_unreach(h, p);
		return -ECONNREFUSED;
	}
	if (!f)
		c.flags |= WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY;
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
		return -EACCES;
	if (f) {
		if (ale_reauth(h, f, WFP_EV_DATAGRAM))
			return -EACCES;
	} else {
		f = ale_flow_new(h, &k);
		if (!f)
			return -ENOBUFS;
		link_flow(s, f, sd);
		f->loopback = (c.flags & WFP_CONDITION_FLAG_IS_LOOPBACK) != 0;
		if (ale_authorize(h, f, false, WFP_EV_DATAGRAM, 0, 0) ||
		    ale_established(h, f, WFP_EV_DATAGRAM)) {
			ale_flow_free(h, f);
			return -EACCES;
		}
		s->raddr = p->src;
		s->rport = p->sport;
		s->has_peer = true;
		h->last_sd = sd;
	}
	if (datagram_data(h, p, true))
		return -EACCES;
	return 0;
}

void udp_close(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);

	while (s->flows)
		ale_flow_free(h, s->flows);
}

/* A socket bound to (src, sport), or an implicit one. */
static int sender_sock(struct wfp_host *h, const struct wfp_pkt *p)
{
	int sd = bound_sock(h, p->family, p->proto, &p->src, p->sport);

	if (sd >= 0)
		return sd;
	return stack_implicit_sock(h, p->family, p->proto, &p->src, p->sport, false);
}

/* A datagram the real stack sends (wfp_host_send): sendto() semantics. */
int udp_output(struct wfp_host *h, const struct wfp_pkt *p)
{
	struct wfp_flow_key k;
	struct wfp_flow *f;
	int sd, ret;

	ale_key(&k, p->family, p->proto, &p->src, &p->dst, p->sport, p->dport, 0);
	f = ale_lookup(h, &k);
	sd = f ? f->sd : sender_sock(h, p);
	if (sd < 0)
		return sd;
	ret = send_from(h, sd, &p->src, &p->dst, p->dport, p->payload_len);
	if (ret < 0 && stack_sock(h, sd) && stack_sock(h, sd)->implicit && !stack_sock(h, sd)->flows)
		stack_sock_release(h, sd); /* refused before it had a flow */
	return ret < 0 ? ret : 0;
}
