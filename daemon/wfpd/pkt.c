/* SPDX-License-Identifier: MIT */
/*
 * pkt.c - parse a raw IPv4/IPv6 packet (as NFQUEUE hands it over, starting
 * at the IP header) into struct dpkt, validating every length on the way
 * (STYLE §9.1: parse once).  Nothing is read that was not checked to be
 * inside the captured bytes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "pkt.h"

enum {
	IP4_HDR_MIN = 20,
	IP6_HDR = 40,
	TCP_HDR_MIN = 20,
	UDP_HDR = 8,
	ICMP_HDR = 8,
	IP6_MAX_EXTHDRS = 8
};

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int daddr_eq(const struct daddr *a, const struct daddr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == 4)
		return a->v4 == b->v4;
	return !memcmp(a->v6, b->v6, 16);
}

char *daddr_format(const struct daddr *a, char *buf, size_t len)
{
	uint32_t n;

	if (a->family == 4) {
		n = htonl(a->v4);
		if (!inet_ntop(AF_INET, &n, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (a->family == 6) {
		if (!inet_ntop(AF_INET6, a->v6, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

int dpkt_icmp_is_error(const struct dpkt *p)
{
	if (p->proto == 1) /* dest-unreach, source-quench, redirect, time-exceeded, param */
		return p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
		       p->icmp_type == 11 || p->icmp_type == 12;
	if (p->proto == 58) /* RFC 4443: types below 128 are errors */
		return p->icmp_type < 128;
	return 0;
}

/* The quoted header of an ICMP error: best effort, since the quote may be
 * cut short by the sender or the copy range; emb stays invalid then. */
static void parse_embedded(const uint8_t *b, size_t len, int family, struct dpkt *p)
{
	struct dpkt_embedded *e = &p->emb;
	size_t hl;

	if (family == 4) {
		if (len < IP4_HDR_MIN || b[0] >> 4 != 4)
			return;
		hl = (size_t)(b[0] & 0xf) * 4;
		if (hl < IP4_HDR_MIN || hl > len)
			return;
		e->proto = b[9];
		e->src.family = e->dst.family = 4;
		e->src.v4 = rd32(b + 12);
		e->dst.v4 = rd32(b + 16);
	} else {
		if (len < IP6_HDR || b[0] >> 4 != 6)
			return;
		hl = IP6_HDR; /* extension headers in a quote are not walked */
		e->proto = b[6];
		e->src.family = e->dst.family = 6;
		memcpy(e->src.v6, b + 8, 16);
		memcpy(e->dst.v6, b + 24, 16);
	}
	if ((e->proto == 6 || e->proto == 17) && len >= hl + 4) {
		e->sport = rd16(b + hl);
		e->dport = rd16(b + hl + 2);
	}
	p->flags |= DPKT_F_EMBEDDED;
}

/*
 * The transport header at b (cap bytes captured, l4len bytes per the IP
 * header).  pre: the packet is not a non-first fragment.
 */
static int parse_l4(const uint8_t *b, size_t cap, size_t l4len, struct dpkt *p)
{
	size_t hl;

	switch (p->proto) {
	case 6:
		if (l4len < TCP_HDR_MIN)
			return -DPKT_E_TOTLEN;
		if (cap < TCP_HDR_MIN)
			return -DPKT_E_SHORT;
		hl = (size_t)(b[12] >> 4) * 4;
		if (hl < TCP_HDR_MIN || hl > l4len)
			return -DPKT_E_HDRLEN;
		if (hl > cap)
			return -DPKT_E_SHORT;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->tcp_flags = b[13] & 0x3f;
		p->payload_len = (uint32_t)(l4len - hl);
		return 0;
	case 17:
		if (l4len < UDP_HDR)
			return -DPKT_E_TOTLEN;
		if (cap < UDP_HDR)
			return -DPKT_E_SHORT;
		/* the UDP length may be shorter (trailer) but never longer */
		if (rd16(b + 4) < UDP_HDR || rd16(b + 4) > l4len)
			return -DPKT_E_TOTLEN;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->payload_len = (uint32_t)(rd16(b + 4) - UDP_HDR);
		return 0;
	case 1:
	case 58:
		if (l4len < ICMP_HDR)
			return -DPKT_E_TOTLEN;
		if (cap < ICMP_HDR)
			return -DPKT_E_SHORT;
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		p->icmp_id = rd16(b + 4);
		p->icmp_seq = rd16(b + 6);
		p->payload_len = (uint32_t)(l4len - ICMP_HDR);
		if (dpkt_icmp_is_error(p))
			parse_embedded(b + ICMP_HDR, cap - ICMP_HDR, p->family, p);
		return 0;
	default:
		p->payload_len = (uint32_t)l4len;
		return 0;
	}
}

static int parse_v4(const uint8_t *b, size_t len, struct dpkt *p)
{
	size_t hl, tot;
	uint16_t frag;

	if (len < IP4_HDR_MIN)
		return -DPKT_E_SHORT;
	hl = (size_t)(b[0] & 0xf) * 4;
	tot = rd16(b + 2);
	if (hl < IP4_HDR_MIN)
		return -DPKT_E_HDRLEN;
	if (hl > len)
		return -DPKT_E_SHORT;
	if (tot < hl || len > tot)
		return -DPKT_E_TOTLEN;
	p->family = 4;
	p->proto = b[9];
	p->src.family = p->dst.family = 4;
	p->src.v4 = rd32(b + 12);
	p->dst.v4 = rd32(b + 16);
	frag = rd16(b + 6);
	p->frag_off = frag & 0x1fff;
	if (frag & 0x2000)
		p->flags |= DPKT_F_MORE_FRAGS | DPKT_F_FRAGMENT;
	if (p->frag_off) {
		p->flags |= DPKT_F_FRAGMENT;
		p->payload_len = (uint32_t)(tot - hl);
		return 0;
	}
	return parse_l4(b + hl, len - hl, tot - hl, p);
}

static int parse_v6(const uint8_t *b, size_t len, struct dpkt *p)
{
	size_t off = IP6_HDR, tot;
	uint8_t nh;

	if (len < IP6_HDR)
		return -DPKT_E_SHORT;
	tot = IP6_HDR + (size_t)rd16(b + 4);
	if (len > tot)
		return -DPKT_E_TOTLEN; /* jumbograms (length 0) are refused too */
	p->family = 6;
	p->src.family = p->dst.family = 6;
	memcpy(p->src.v6, b + 8, 16);
	memcpy(p->dst.v6, b + 24, 16);
	nh = b[6];
	for (int i = 0; i < IP6_MAX_EXTHDRS; i++) {
		size_t hl;

		switch (nh) {
		case 0: case 43: case 60: /* hop-by-hop, routing, dest opts */
			if (off + 8 > len)
				return -DPKT_E_SHORT;
			hl = ((size_t)b[off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units, minus 2 */
			if (off + 8 > len)
				return -DPKT_E_SHORT;
			hl = ((size_t)b[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (off + 8 > len)
				return -DPKT_E_SHORT;
			hl = 8;
			p->frag_off = rd16(b + off + 2) >> 3;
			if (b[off + 3] & 1)
				p->flags |= DPKT_F_MORE_FRAGS | DPKT_F_FRAGMENT;
			if (p->frag_off)
				p->flags |= DPKT_F_FRAGMENT;
			break;
		default:
			p->proto = nh;
			if (p->frag_off) {
				p->payload_len = (uint32_t)(tot - off);
				return 0;
			}
			return parse_l4(b + off, len - off, tot - off, p);
		}
		if (off + hl > tot)
			return -DPKT_E_EXTHDR;
		nh = b[off];
		off += hl;
		if (off > len)
			return -DPKT_E_SHORT;
	}
	return -DPKT_E_EXTHDR;
}

int dpkt_parse(const uint8_t *b, size_t len, struct dpkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < 1)
		return -DPKT_E_SHORT;
	switch (b[0] >> 4) {
	case 4:
		return parse_v4(b, len, p);
	case 6:
		return parse_v6(b, len, p);
	default:
		return -DPKT_E_VERSION;
	}
}
