// SPDX-License-Identifier: MIT
/*
 * shim_tcp.c - TCP in the stack model: the layer sequences of spec §2.1.
 *
 *   active open   implicit bind (BIND_REDIRECT, RESOURCE_ASSIGNMENT),
 *                 CONNECT_REDIRECT, AUTH_CONNECT (no packet yet), then the
 *                 SYN: OUTBOUND_TRANSPORT, OUTBOUND_IPPACKET
 *   passive open  SYN: INBOUND_IPPACKET, INBOUND_TRANSPORT,
 *                 AUTH_RECV_ACCEPT; SYN-ACK out
 *   handshake     client: SYN-ACK in, FLOW_ESTABLISHED, ACK out;
 *                 server: ACK in, FLOW_ESTABLISHED, child socket ready
 *   no listener   SYN: INBOUND_IPPACKET, INBOUND_TRANSPORT_DISCARD
 *                 (TRANSPORT / ENDPOINT_NOT_FOUND), RST out unless a filter
 *                 blocked at the discard layer (stealth, spec §3.8)
 *   data          send: STREAM, OUTBOUND_TRANSPORT, OUTBOUND_IPPACKET;
 *                 receive: INBOUND_IPPACKET, INBOUND_TRANSPORT, STREAM
 *   teardown      FIN segments pass the transport and IP layers like any
 *                 segment; no layer marks the end of a connection.
 *
 * Simplifications (docs/internals/stack.md): one segment per send(), no
 * sequence numbers, no retransmission, no pure ACKs for data or FIN, no
 * TIME_WAIT - a flow ends when both FINs have passed or on RST.
 */
#include <string.h>

#include "stack.h"

static void key_of_pkt(struct wfp_flow_key *k, const struct wfp_pkt *p)
{
	ale_key(k, p->family, WFP_PROTO_TCP, &p->dst, &p->src, p->dport, p->sport, 0);
}

/* A segment of flow f from our side. */
static void seg(struct wfp_pkt *p, const struct wfp_flow *f, uint8_t flags, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->family = f->key.family;
	p->proto = WFP_PROTO_TCP;
	p->tcp_flags = flags;
	p->payload_len = len;
	p->src.family = p->dst.family = f->key.family;
	if (f->key.family == WFP_AF_INET) {
		memcpy(&p->src.v4, f->key.laddr, 4);
		memcpy(&p->dst.v4, f->key.raddr, 4);
	} else {
		memcpy(p->src.v6, f->key.laddr, 16);
		memcpy(p->dst.v6, f->key.raddr, 16);
	}
	p->sport = f->key.lport;
	p->dport = f->key.rport;
}

static int find_listener(struct wfp_host *h, const struct wfp_pkt *p)
{
	for (int sd = stack_port_first(h, p->dport); sd >= 0; sd = stack_sock(h, sd)->pnext) {
		struct sock *s = stack_sock(h, sd);

		if (s->proto == WFP_PROTO_TCP && s->family == p->family &&
		    s->state == WFP_SOCK_LISTEN && s->lport == p->dport &&
		    (addr_unspec(&s->laddr) || wfp_addr_eq(&s->laddr, &p->dst)))
			return sd;
	}
	return -1;
}

/* The connection is over (RST, failed reauthorization, idle half-open):
 * the socket, if any, learns err, and the flow goes. */
void tcp_flow_gone(struct wfp_host *h, struct wfp_flow *f, int err)
{
	struct sock *s = stack_sock(h, f->sd);

	int sd = f->sd;

	if (s) {
		s->state = WFP_SOCK_DEAD;
		s->err = err;
	}
	ale_flow_free(h, f);
	if (s && s->implicit)
		stack_sock_release(h, sd);
}

/* Both FINs have passed: the TCB ends (TIME_WAIT is not modelled). */
static void flow_done(struct wfp_host *h, struct wfp_flow *f)
{
	struct sock *s = stack_sock(h, f->sd);
	int sd = f->sd;

	if (s)
		s->state = WFP_SOCK_CLOSED;
	ale_flow_free(h, f);
	if (s && s->implicit)
		stack_sock_release(h, sd);
}

static int stream(struct wfp_host *h, struct wfp_flow *f, uint32_t event)
{
	struct cls c;

	ale_cls(h, &c, f, event);
	c.ale = false;
	c.owner = NULL;
	/* STREAM reports the connection's direction, not the segment's (§1.4) */
	c.has_dir = true;
	c.dir = f->dir;
	return stack_check(h, lay(f->key.family, WFP_LAYER_STREAM_V4), &c);
}

int tcp_connect(struct wfp_host *h, int sd, const struct wfp_addr *dst, uint16_t port)
{
	struct sock *s = stack_sock(h, sd);
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_addr l;
	struct wfp_pkt p;
	struct cls c = { .event = WFP_EV_CONNECT, .ale = true };
	int ret;

	if (s->state != WFP_SOCK_CLOSED && s->state != WFP_SOCK_BOUND)
		return s->state == WFP_SOCK_SYN_SENT ? -EALREADY : -EISCONN;
	if (!port)
		return -EINVAL;
	if (!s->bound) {
		ret = stack_bind(h, sd, NULL, 0);
		if (ret)
			return ret;
	}
	if (addr_unspec(&s->laddr)) {
		ret = stack_local_addr_for(h, dst, &l);
		if (ret)
			return ret;
	} else {
		l = s->laddr;
	}
	c.family = s->family;
	c.proto = WFP_PROTO_TCP;
	c.owner = s;
	c.has_laddr = c.has_raddr = c.has_lport = c.has_rport = true;
	c.laddr = l;
	c.raddr = *dst;
	c.lport = s->lport;
	c.rport = port;
	if (stack_check(h, lay(s->family, WFP_LAYER_ALE_CONNECT_REDIRECT_V4), &c))
		return -EACCES;
	ale_key(&k, s->family, WFP_PROTO_TCP, &l, dst, s->lport, port, 0);
	if (ale_lookup(h, &k))
		return -EADDRINUSE;
	f = ale_flow_new(h, &k);
	if (!f)
		return -ENOBUFS;
	f->sd = sd;
	f->loopback = stack_loopback(h, &l, dst);
	s->endpoint = true;
	/* spec §2.1 step 7: authorised before any packet exists */
	if (ale_authorize(h, f, true, WFP_EV_CONNECT, 0, 0)) {
		ale_flow_free(h, f);
		return -EACCES; /* and no SYN is ever sent */
	}
	f->state = WFP_FLOW_SYN_SENT;
	s->flow = f;
	s->raddr = *dst;
	s->rport = port;
	s->has_peer = true;
	s->state = WFP_SOCK_SYN_SENT;
	seg(&p, f, WFP_TCP_SYN, 0);
	ret = stack_ip_output(h, &p, WFP_EV_SYN);
	if (ret) {
		/* no retransmission is modelled: the connection fails now */
		tcp_flow_gone(h, f, ret);
		return ret;
	}
	return 0;
}

/* The segment p of the existing flow f, after INBOUND_TRANSPORT and any
 * reauthorization. */
static int segment(struct wfp_host *h, struct wfp_flow *f, const struct wfp_pkt *p)
{
	uint8_t fl = p->tcp_flags;
	struct sock *s = stack_sock(h, f->sd);
	struct wfp_pkt q;
	int sd;

	if (fl & WFP_TCP_RST) {
		tcp_flow_gone(h, f, f->state == WFP_FLOW_SYN_SENT ? -ECONNREFUSED :
				    -ECONNRESET);
		return 0;
	}
	switch (f->state) {
	case WFP_FLOW_SYN_SENT:
		if ((fl & (WFP_TCP_SYN | WFP_TCP_ACK)) != (WFP_TCP_SYN | WFP_TCP_ACK))
			goto bad_state;
		f->state = WFP_FLOW_ESTABLISHED;
		/* client: FLOW_ESTABLISHED carries the outgoing final ACK (§2.4) */
		if (ale_established(h, f, WFP_EV_ACK)) {
			tcp_flow_gone(h, f, -ECONNABORTED);
			return -EACCES;
		}
		if (s) {
			s->state = WFP_SOCK_ESTABLISHED;
			h->last_sd = f->sd;
		}
		seg(&q, f, WFP_TCP_ACK, 0);
		return stack_respond(h, &q, WFP_EV_ACK);
	case WFP_FLOW_SYN_RCVD:
		if ((fl & WFP_TCP_SYN) || !(fl & WFP_TCP_ACK))
			goto bad_state;
		f->state = WFP_FLOW_ESTABLISHED;
		if (ale_established(h, f, WFP_EV_ACK)) {
			tcp_flow_gone(h, f, -ECONNABORTED);
			return -EACCES;
		}
		if (stack_observer(h)) {
			/* nobody accept()s for an observer (the real stack's
			 * application does): the listener stays the owner, no
			 * socket per connection to keep */
			if (!p->payload_len && !(fl & WFP_TCP_FIN))
				return 0;
			break;
		}
		sd = stack_sock_new(h, f->key.family, WFP_PROTO_TCP, stack_sock(h, f->listener));
		if (sd < 0) {
			tcp_flow_gone(h, f, sd);
			return sd;
		}
		s = stack_sock(h, sd);
		ale_cls_addrs(f, &s->laddr, &s->raddr);
		s->lport = f->key.lport;
		s->rport = f->key.rport;
		s->has_peer = true;
		s->bound = true;
		s->state = WFP_SOCK_ESTABLISHED;
		s->listener = f->listener;
		s->accept_ready = true;
		s->endpoint = true;
		s->flow = f;
		f->sd = sd;
		h->last_sd = sd;
		if (!p->payload_len && !(fl & WFP_TCP_FIN))
			return 0;
		break;
	case WFP_FLOW_ESTABLISHED:
		if (fl & WFP_TCP_SYN)
			goto bad_state;
		break;
	default:
		goto bad_state;
	}
	if (p->payload_len) {
		if (!s && !stack_observer(h))
			goto bad_state; /* data for a closed socket */
		if (stream(h, f, WFP_EV_DATA))
			return -EACCES;
	}
	if (fl & WFP_TCP_FIN) {
		f->fin_rcvd = 1;
		if (f->fin_sent)
			flow_done(h, f);
		else if (s)
			s->state = WFP_SOCK_CLOSE_WAIT;
	}
	return 0;

bad_state:
	h->st.drops[WFP_DROP_STATE]++;
	return -EINVAL;
}

static int no_endpoint(struct wfp_host *h, const struct wfp_pkt *p, struct cls *c)
{
	struct wfp_pkt q;

	h->st.drops[WFP_DROP_NO_ENDPOINT]++;
	/* spec §2.1: the SYN appears only at the transport discard layer */
	if (stack_discard(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4_DISCARD), c,
			  WFP_DISCARD_MODULE_TRANSPORT, WFP_INET_DISCARD_ENDPOINT_NOT_FOUND)) {
		/* stealth: no RST (§3.8); an inline observer drops the SYN so
		 * that the real stack never answers, another one refuses the
		 * real RST when it is sent */
		if (stack_inline(h)) {
			h->st.drops[WFP_DROP_STEALTH]++;
			return -EACCES;
		}
		if (stack_observer(h)) {
			struct wfp_flow_key k;

			key_of_pkt(&k, p);
			ale_stealth_mark(h, &k);
		} else {
			h->st.drops[WFP_DROP_STEALTH]++;
		}
		return -ECONNREFUSED;
	}
	if ((p->tcp_flags & WFP_TCP_RST) || stack_observer(h))
		return -ECONNREFUSED; /* never answer a RST; observers never answer */
	memset(&q, 0, sizeof(q));
	q.family = p->family;
	q.proto = WFP_PROTO_TCP;
	q.src = p->dst;
	q.dst = p->src;
	q.sport = p->dport;
	q.dport = p->sport;
	q.tcp_flags = WFP_TCP_RST | WFP_TCP_ACK;
	stack_ip_output(h, &q, WFP_EV_RST);
	return -ECONNREFUSED;
}

static uint32_t tcp_event(const struct wfp_pkt *p)
{
	if (p->tcp_flags & WFP_TCP_RST)
		return WFP_EV_RST;
	if (p->tcp_flags & WFP_TCP_SYN)
		return (p->tcp_flags & WFP_TCP_ACK) ? WFP_EV_SYN_ACK : WFP_EV_SYN;
	if (p->tcp_flags & WFP_TCP_FIN)
		return WFP_EV_FIN;
	return p->payload_len ? WFP_EV_DATA : WFP_EV_ACK;
}

/* Observer: a SYN on the tuple of a connection past its handshake is a new
 * connection (the old one ended unseen, e.g. on a kernel fast path, and
 * the port was reused): the old flow is over. */
static struct wfp_flow *reused(struct wfp_host *h, struct wfp_flow *f, const struct wfp_pkt *p)
{
	if (!f || !stack_observer(h) ||
	    (p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) != WFP_TCP_SYN ||
	    f->state == WFP_FLOW_SYN_SENT || f->state == WFP_FLOW_SYN_RCVD)
		return f;
	tcp_flow_gone(h, f, -ECONNRESET);
	return NULL;
}

int tcp_input(struct wfp_host *h, const struct wfp_pkt *p)
{
	uint32_t ev = tcp_event(p);
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_pkt q;
	struct cls c;
	int l;

	key_of_pkt(&k, p);
	f = reused(h, ale_lookup(h, &k), p);
	stack_cls_pkt(h, &c, p, true, ev);
	if (f) {
		if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
			return -EACCES;
		if (ale_reauth(h, f, ev))
			return -EACCES;
		return segment(h, f, p);
	}
	if ((p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) != WFP_TCP_SYN)
		return no_endpoint(h, p, &c);
	l = find_listener(h, p);
	if (l >= 0)
		l = stack_implicit_check(h, l, &p->dst); /* inline: still listening? */
	else if (stack_observer(h))
		l = stack_implicit_sock(h, p->family, WFP_PROTO_TCP, &p->dst, p->dport, true);
	if (l < 0)
		return no_endpoint(h, p, &c);
	/* the SYN still needs its ALE classification (spec §3.4) */
	c.flags |= WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY;
	if (stack_check(h, lay(p->family, WFP_LAYER_INBOUND_TRANSPORT_V4), &c))
		return -EACCES;
	f = ale_flow_new(h, &k);
	if (!f)
		return -ENOBUFS;
	f->listener = l;
	stack_sock(h, l)->lrefs++; /* the owner of the flow (ale_cls) */
	f->loopback = (c.flags & WFP_CONDITION_FLAG_IS_LOOPBACK) != 0;
	if (ale_authorize(h, f, false, WFP_EV_SYN, 0, 0)) {
		ale_flow_free(h, f); /* silently: no RST for a blocked SYN */
		return -EACCES;
	}
	f->state = WFP_FLOW_SYN_RCVD;
	seg(&q, f, WFP_TCP_SYN | WFP_TCP_ACK, 0);
	return stack_respond(h, &q, WFP_EV_SYN_ACK);
}

int tcp_send(struct wfp_host *h, int sd, uint32_t len)
{
	struct sock *s = stack_sock(h, sd);
	struct wfp_flow *f = s->flow;
	struct wfp_pkt p;
	int ret;

	if (s->state != WFP_SOCK_ESTABLISHED && s->state != WFP_SOCK_CLOSE_WAIT)
		return s->err ? s->err : -ENOTCONN;
	if (!f)
		return -ENOTCONN;
	/* an outbound reauthorization precedes STREAM, as AUTH_CONNECT precedes
	 * DATAGRAM_DATA on the UDP send path (docs/internals/stack.md) */
	if (ale_reauth(h, f, WFP_EV_DATA))
		return -EACCES;
	if (stream(h, f, WFP_EV_DATA))
		return -EACCES;
	seg(&p, f, WFP_TCP_PSH | WFP_TCP_ACK, len);
	ret = stack_ip_output(h, &p, WFP_EV_DATA);
	return ret ? ret : (int)(len > INT32_MAX ? INT32_MAX : len);
}

int tcp_close(struct wfp_host *h, int sd)
{
	struct sock *s = stack_sock(h, sd);
	struct wfp_flow *f = s->flow;
	struct wfp_pkt p;

	if (!f)
		return 0;
	if (s->state == WFP_SOCK_ESTABLISHED || s->state == WFP_SOCK_CLOSE_WAIT) {
		if (ale_reauth(h, f, WFP_EV_FIN))
			return 0; /* torn down */
		seg(&p, f, WFP_TCP_FIN | WFP_TCP_ACK, 0);
		stack_ip_output(h, &p, WFP_EV_FIN);
		f->fin_sent = 1;
		if (f->fin_rcvd) {
			flow_done(h, f);
			return 0;
		}
		/* the TCB outlives the socket until the peer's FIN */
		s->flow = NULL;
		f->sd = -1;
		return 0;
	}
	ale_flow_free(h, f); /* half-open: abandon quietly */
	return 0;
}

/* A free socket bound to the packet's source port, or an implicit one. */
static int sender_sock(struct wfp_host *h, const struct wfp_pkt *p)
{
	for (int sd = stack_port_first(h, p->sport); sd >= 0; sd = stack_sock(h, sd)->pnext) {
		struct sock *s = stack_sock(h, sd);

		if (s->proto == WFP_PROTO_TCP && s->family == p->family &&
		    s->state == WFP_SOCK_BOUND && s->lport == p->sport &&
		    (addr_unspec(&s->laddr) || wfp_addr_eq(&s->laddr, &p->src)))
			return sd;
	}
	return stack_implicit_sock(h, p->family, WFP_PROTO_TCP, &p->src, p->sport, false);
}

void tcp_offload(struct wfp_host *h, struct wfp_flow *f)
{
	struct sock *s = stack_sock(h, f->sd);

	if (f->state != WFP_FLOW_SYN_SENT && f->state != WFP_FLOW_SYN_RCVD)
		return;
	/* the handshake completes where the host cannot see it */
	f->state = WFP_FLOW_ESTABLISHED;
	if (s)
		s->state = WFP_SOCK_ESTABLISHED;
}

/* A segment the real stack sends (wfp_host_send). */
int tcp_output(struct wfp_host *h, const struct wfp_pkt *p)
{
	uint32_t ev = tcp_event(p);
	struct wfp_flow_key k;
	struct wfp_flow *f;
	struct wfp_pkt q = *p;
	int sd, ret;

	ale_key(&k, p->family, WFP_PROTO_TCP, &p->src, &p->dst, p->sport, p->dport, 0);
	f = reused(h, ale_lookup(h, &k), p);
	if (!f) {
		if ((p->tcp_flags & WFP_TCP_RST) && ale_stealth_take(h, &k)) {
			h->st.drops[WFP_DROP_STEALTH]++; /* stealth (§3.8) */
			return -EACCES;
		}
		if ((p->tcp_flags & (WFP_TCP_SYN | WFP_TCP_ACK | WFP_TCP_RST)) != WFP_TCP_SYN)
			return stack_ip_output(h, &q, ev); /* a RST for a closed port ... */
		/* an active open we see only now: connect() semantics (§2.1) */
		sd = sender_sock(h, p);
		if (sd < 0)
			return sd;
		ret = tcp_connect(h, sd, &p->dst, p->dport);
		if (ret && stack_sock(h, sd)->implicit)
			stack_sock_release(h, sd);
		return ret;
	}
	if (ale_reauth(h, f, ev))
		return -EACCES;
	if (p->payload_len && f->state == WFP_FLOW_ESTABLISHED && stream(h, f, WFP_EV_DATA))
		return -EACCES;
	ret = stack_ip_output(h, &q, ev);
	if (ret)
		return ret;
	if (p->tcp_flags & WFP_TCP_RST) {
		tcp_flow_gone(h, f, -ECONNRESET);
	} else if (p->tcp_flags & WFP_TCP_FIN) {
		f->fin_sent = 1;
		if (f->fin_rcvd)
			flow_done(h, f);
	}
	return 0;
}
