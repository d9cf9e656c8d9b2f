// SPDX-License-Identifier: MIT
/*
 * pkt.c - raw IPv4/IPv6 packet (optionally behind a link-layer header) ->
 * struct wfp_pkt (STYLE: parse once, validate lengths).  Nothing is read
 * that was not first checked to lie inside the captured bytes.  Started
 * from wfpd's daemon/wfpd/pkt.c; differences: link layers, IPv6 walks
 * extension headers in ICMP quotes too, first fragments keep their
 * transport header even when the UDP length exceeds the fragment, and
 * ICMP of the wrong family is refused (the stack model cannot take it).
 */
#include <stdbool.h>
#include <string.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>

enum {
	IP4_HDR_MIN = 20,
	IP6_HDR = 40,
	TCP_HDR_MIN = 20,
	UDP_HDR = 8,
	ICMP_HDR = 8,
	IP6_MAX_EXTHDRS = 8,
	ETH_HDR = 14,
	VLAN_TAG = 4,
	ETH_MAX_TAGS = 2,
	SLL_HDR = 16,
	SLL2_HDR = 20,
	ETHERTYPE_IP = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8
};

static const char *const err_names[WFP_PKT_E_MAX] = {
	[0] = "ok",
	[WFP_PKT_E_SHORT] = "short",
	[WFP_PKT_E_VERSION] = "bad-ip-version",
	[WFP_PKT_E_HDRLEN] = "bad-header-length",
	[WFP_PKT_E_TOTLEN] = "bad-total-length",
	[WFP_PKT_E_EXTHDR] = "bad-extension-header",
	[WFP_PKT_E_PROTO] = "icmp-family-mismatch",
	[WFP_PKT_E_FRAG] = "bad-fragment",
	[WFP_PKT_E_LINK] = "bad-link-header",
	[WFP_PKT_E_LINKTYPE] = "unsupported-link-type",
	[WFP_PKT_E_NOT_IP] = "not-ip",
};

const char *wfp_pkt_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err < WFP_PKT_E_MAX ? err_names[err] : "?";
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int icmp_error(int proto, uint8_t type)
{
	if (proto == WFP_PROTO_ICMP) /* unreach, quench, redirect, time, param */
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type < 128; /* RFC 4443 */
}

/*
 * Walks IPv6 extension headers from b[*off] with next header *nh.  Stops
 * at the first header that is not one (the transport); fills the fragment
 * fields of p when p is not NULL.  tot bounds the headers, len the bytes.
 */
static int walk_ext(const uint8_t *b, size_t len, size_t tot, size_t *off, uint8_t *nh,
		    struct wfp_pkt *p)
{
	for (int i = 0; i <= IP6_MAX_EXTHDRS; i++) {
		size_t hl;

		switch (*nh) {
		case 0: case 43: case 60: /* hop-by-hop, routing, dest opts */
			if (*off + 8 > len)
				return -WFP_PKT_E_SHORT;
			hl = ((size_t)b[*off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units, minus 2 */
			if (*off + 8 > len)
				return -WFP_PKT_E_SHORT;
			hl = ((size_t)b[*off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (*off + 8 > len)
				return -WFP_PKT_E_SHORT;
			hl = 8;
			if (p) {
				uint16_t fo = rd16(b + *off + 2);

				p->ip_id = rd32(b + *off + 4);
				/* after this header: the fragment's share of the
				 * payload (extension headers before it are not) */
				if (*off + 8 <= tot)
					p->frag_len = (uint16_t)(tot - *off - 8 < 0xffff ?
								 tot - *off - 8 : 0xffff);
				p->frag_off = fo >> 3;
				if (fo & 1)
					p->flags |= WFP_PKT_F_MORE_FRAGS | WFP_PKT_F_FRAGMENT;
				if (p->frag_off)
					p->flags |= WFP_PKT_F_FRAGMENT;
			}
			break;
		case 59: /* no next header */
		default:
			return 0;
		}
		if (i == IP6_MAX_EXTHDRS || *off + hl > tot)
			return -WFP_PKT_E_EXTHDR;
		*nh = b[*off];
		*off += hl;
		if (*off > len)
			return -WFP_PKT_E_SHORT;
	}
	return -WFP_PKT_E_EXTHDR;
}

/* The quoted header of an ICMP error: best effort (the quote is often cut
 * short); emb stays invalid when it does not parse. */
static void parse_embedded(const uint8_t *b, size_t len, int family, struct wfp_pkt *p)
{
	struct wfp_pkt_embedded *e = &p->emb;
	size_t hl;
	uint8_t nh;

	if (family == WFP_AF_INET) {
		if (len < IP4_HDR_MIN || b[0] >> 4 != 4)
			return;
		hl = (size_t)(b[0] & 0xf) * 4;
		if (hl < IP4_HDR_MIN || hl > len)
			return;
		nh = b[9];
		e->src.family = e->dst.family = WFP_AF_INET;
		e->src.v4 = rd32(b + 12);
		e->dst.v4 = rd32(b + 16);
	} else {
		if (len < IP6_HDR || b[0] >> 4 != 6)
			return;
		hl = IP6_HDR;
		nh = b[6];
		/* the quote's own length field describes the original packet */
		if (walk_ext(b, len, len, &hl, &nh, NULL))
			return;
		e->src.family = e->dst.family = WFP_AF_INET6;
		memcpy(e->src.v6, b + 8, 16);
		memcpy(e->dst.v6, b + 24, 16);
	}
	e->proto = nh;
	if ((nh == WFP_PROTO_TCP || nh == WFP_PROTO_UDP) && len >= hl + 4) {
		e->sport = rd16(b + hl);
		e->dport = rd16(b + hl + 2);
	}
	p->flags |= WFP_PKT_F_EMBEDDED;
}

/*
 * The transport header at b: cap bytes captured, l4len bytes per the IP
 * header.  Only for unfragmented packets and first fragments.
 */
static int parse_l4(const uint8_t *b, size_t cap, size_t l4len, struct wfp_pkt *p)
{
	bool frag = p->flags & WFP_PKT_F_FRAGMENT;
	size_t hl;

	switch (p->proto) {
	case WFP_PROTO_TCP:
		if (l4len < TCP_HDR_MIN)
			return -WFP_PKT_E_TOTLEN;
		if (cap < TCP_HDR_MIN)
			return -WFP_PKT_E_SHORT;
		hl = (size_t)(b[12] >> 4) * 4;
		if (hl < TCP_HDR_MIN || hl > l4len)
			return -WFP_PKT_E_HDRLEN;
		if (hl > cap)
			return -WFP_PKT_E_SHORT;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->tcp_flags = b[13] & 0x3f;
		p->payload_len = (uint32_t)(l4len - hl);
		return 0;
	case WFP_PROTO_UDP:
		if (l4len < UDP_HDR)
			return -WFP_PKT_E_TOTLEN;
		if (cap < UDP_HDR)
			return -WFP_PKT_E_SHORT;
		/* shorter than the IP payload is a trailer; longer only in a
		 * first fragment, where the rest follows */
		if (rd16(b + 4) < UDP_HDR || (!frag && rd16(b + 4) > l4len))
			return -WFP_PKT_E_TOTLEN;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		/* a first fragment: the payload bytes it carries (stack.h) */
		p->payload_len = (uint32_t)((frag ? l4len : rd16(b + 4)) - UDP_HDR);
		return 0;
	case WFP_PROTO_ICMP:
	case WFP_PROTO_ICMPV6:
		if ((p->proto == WFP_PROTO_ICMP) != (p->family == WFP_AF_INET))
			return -WFP_PKT_E_PROTO;
		if (l4len < ICMP_HDR)
			return -WFP_PKT_E_TOTLEN;
		if (cap < ICMP_HDR)
			return -WFP_PKT_E_SHORT;
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		p->payload_len = (uint32_t)(l4len - ICMP_HDR);
		if (icmp_error(p->proto, p->icmp_type)) {
			size_t q = cap < l4len ? cap : l4len;

			parse_embedded(b + ICMP_HDR, q - ICMP_HDR, p->family, p);
		} else {
			p->icmp_id = rd16(b + 4);
			p->icmp_seq = rd16(b + 6);
		}
		return 0;
	default:
		p->payload_len = (uint32_t)l4len;
		return 0;
	}
}

static int parse_v4(const uint8_t *b, size_t len, uint32_t flags, struct wfp_pkt *p)
{
	size_t hl, tot;
	uint16_t frag;

	if (len < IP4_HDR_MIN)
		return -WFP_PKT_E_SHORT;
	hl = (size_t)(b[0] & 0xf) * 4;
	tot = rd16(b + 2);
	if (hl < IP4_HDR_MIN)
		return -WFP_PKT_E_HDRLEN;
	if (hl > len)
		return -WFP_PKT_E_SHORT;
	if (tot < hl || (len > tot && !(flags & WFP_PKT_PARSE_TRAILER)))
		return -WFP_PKT_E_TOTLEN;
	if (len > tot)
		len = tot;
	p->family = WFP_AF_INET;
	p->proto = b[9];
	p->src.family = p->dst.family = WFP_AF_INET;
	p->src.v4 = rd32(b + 12);
	p->dst.v4 = rd32(b + 16);
	p->ip_id = rd16(b + 4);
	p->hop_limit = b[8];
	frag = rd16(b + 6);
	p->frag_off = frag & 0x1fff;
	if (frag & 0x2000)
		p->flags |= WFP_PKT_F_MORE_FRAGS | WFP_PKT_F_FRAGMENT;
	if (p->flags & WFP_PKT_F_FRAGMENT || p->frag_off)
		p->frag_len = (uint16_t)(tot - hl);
	if (p->frag_off) {
		p->flags |= WFP_PKT_F_FRAGMENT;
		if ((size_t)p->frag_off * 8 + (tot - hl) > 65535)
			return -WFP_PKT_E_FRAG;
		p->payload_len = (uint32_t)(tot - hl);
		return 0;
	}
	return parse_l4(b + hl, len - hl, tot - hl, p);
}

static int parse_v6(const uint8_t *b, size_t len, uint32_t flags, struct wfp_pkt *p)
{
	size_t off = IP6_HDR, tot;
	uint8_t nh;
	int ret;

	if (len < IP6_HDR)
		return -WFP_PKT_E_SHORT;
	tot = IP6_HDR + (size_t)rd16(b + 4);
	if (len > tot && !(flags & WFP_PKT_PARSE_TRAILER))
		return -WFP_PKT_E_TOTLEN; /* jumbograms (length 0) are refused too */
	if (len > tot)
		len = tot;
	p->family = WFP_AF_INET6;
	p->src.family = p->dst.family = WFP_AF_INET6;
	p->hop_limit = b[7];
	memcpy(p->src.v6, b + 8, 16);
	memcpy(p->dst.v6, b + 24, 16);
	nh = b[6];
	ret = walk_ext(b, len, tot, &off, &nh, p);
	if (ret)
		return ret;
	p->proto = nh;
	if (p->frag_off) {
		if ((size_t)p->frag_off * 8 + (tot - off) > 65535)
			return -WFP_PKT_E_FRAG;
		p->payload_len = (uint32_t)(tot - off);
		return 0;
	}
	return parse_l4(b + off, len - off, tot - off, p);
}

int wfp_pkt_parse(const void *buf, size_t len, uint32_t flags, struct wfp_pkt *p)
{
	const uint8_t *b = buf;

	memset(p, 0, sizeof(*p));
	if (!b || len < 1)
		return -WFP_PKT_E_SHORT;
	switch (b[0] >> 4) {
	case 4:
		return parse_v4(b, len, flags, p);
	case 6:
		return parse_v6(b, len, flags, p);
	default:
		return -WFP_PKT_E_VERSION;
	}
}

int wfp_pkt_linktype_ok(int lt)
{
	switch (lt) {
	case WFP_LINK_NULL: case WFP_LINK_ETHERNET: case WFP_LINK_RAW_DLT:
	case WFP_LINK_RAW_DLT14: case WFP_LINK_RAW: case WFP_LINK_SLL:
	case WFP_LINK_IPV4: case WFP_LINK_IPV6: case WFP_LINK_SLL2:
		return 1;
	default:
		return 0;
	}
}

/* Offset of the IP header after an Ethernet header with up to two VLAN
 * tags, or a negative error. */
static long eth_off(const uint8_t *b, size_t len)
{
	size_t off = 12;
	uint16_t et;

	for (int i = 0; i <= ETH_MAX_TAGS; i++) {
		if (off + 2 > len)
			return -WFP_PKT_E_LINK;
		et = rd16(b + off);
		if (et == ETHERTYPE_IP || et == ETHERTYPE_IPV6)
			return (long)off + 2;
		if (et != ETHERTYPE_VLAN && et != ETHERTYPE_QINQ)
			return et < 0x600 ? -WFP_PKT_E_LINK : -WFP_PKT_E_NOT_IP;
		off += VLAN_TAG;
	}
	return -WFP_PKT_E_LINK;
}

static long link_off(int lt, const uint8_t *b, size_t len)
{
	uint16_t et;
	uint32_t fam;

	switch (lt) {
	case WFP_LINK_ETHERNET:
		return eth_off(b, len);
	case WFP_LINK_SLL:
		if (len < SLL_HDR)
			return -WFP_PKT_E_LINK;
		et = rd16(b + 14);
		break;
	case WFP_LINK_SLL2:
		if (len < SLL2_HDR)
			return -WFP_PKT_E_LINK;
		et = rd16(b);
		break;
	case WFP_LINK_NULL:
		if (len < 4)
			return -WFP_PKT_E_LINK;
		/* host byte order of the capturing machine: accept both */
		memcpy(&fam, b, 4);
		if (fam == 2 || fam == 0x02000000)
			return 4;
		if (fam == 24 || fam == 28 || fam == 30 || fam == 0x18000000 ||
		    fam == 0x1c000000 || fam == 0x1e000000)
			return 4;
		return -WFP_PKT_E_NOT_IP;
	case WFP_LINK_RAW: case WFP_LINK_RAW_DLT: case WFP_LINK_RAW_DLT14:
	case WFP_LINK_IPV4: case WFP_LINK_IPV6:
		return 0;
	default:
		return -WFP_PKT_E_LINKTYPE;
	}
	if (et != ETHERTYPE_IP && et != ETHERTYPE_IPV6)
		return -WFP_PKT_E_NOT_IP;
	return lt == WFP_LINK_SLL ? SLL_HDR : SLL2_HDR;
}

int wfp_pkt_parse_link(int linktype, const void *buf, size_t len, struct wfp_pkt *p,
		       size_t *ip_off)
{
	const uint8_t *b = buf;
	long off;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!b)
		return -WFP_PKT_E_LINK;
	off = link_off(linktype, b, len);
	if (off < 0)
		return (int)off;
	if (ip_off)
		*ip_off = (size_t)off;
	ret = wfp_pkt_parse(b + off, len - (size_t)off, WFP_PKT_PARSE_TRAILER, p);
	if (!ret && ((linktype == WFP_LINK_IPV4 && p->family != WFP_AF_INET) ||
		     (linktype == WFP_LINK_IPV6 && p->family != WFP_AF_INET6)))
		return -WFP_PKT_E_VERSION;
	return ret;
}
