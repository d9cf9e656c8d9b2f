/* SPDX-License-Identifier: MIT */
/*
 * wfp_pkt.h - raw packet bytes -> struct wfp_pkt of the stack model
 * (wfp_stack.h), for the pcap replay and the daemon (docs/replay.md).
 *
 * Every length is validated before anything is read: a packet whose
 * headers do not fit in the captured bytes, or whose length fields
 * disagree, is rejected with a reason (enum wfp_pkt_err), never guessed
 * at.  IPv6 extension headers are walked (hop-by-hop, routing, fragment,
 * destination options, AH; at most 8).  Fragments are flagged, never
 * reassembled: a first fragment carries its transport header, later ones
 * only the IP header.  ICMP/ICMPv6 errors carry the quoted header in emb.
 */
#ifndef WFP_PKT_H
#define WFP_PKT_H

#include <stddef.h>
#include <stdint.h>

#include <wfp/wfp_stack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Why a packet was rejected (wfp_pkt_parse returns the negative). */
enum wfp_pkt_err {
	WFP_PKT_E_SHORT = 1, /* the captured bytes end inside a header */
	WFP_PKT_E_VERSION,   /* not IPv4 / IPv6 */
	WFP_PKT_E_HDRLEN,    /* IHL, TCP data offset or an option length invalid */
	WFP_PKT_E_TOTLEN,    /* length fields disagree with each other */
	WFP_PKT_E_EXTHDR,    /* too many / malformed IPv6 extension headers */
	WFP_PKT_E_PROTO,     /* ICMP in IPv6 or ICMPv6 in IPv4 */
	WFP_PKT_E_FRAG,      /* fragment offset + length beyond 65535 */
	WFP_PKT_E_LINK,      /* the link-layer header is short or bad */
	WFP_PKT_E_LINKTYPE,  /* a link type this parser does not read */
	WFP_PKT_E_NOT_IP,    /* a well-formed frame that carries no IP (ARP ...) */
	WFP_PKT_E_MAX
};

enum {
	/* Bytes after the IP total length are link padding (Ethernet pads
	 * frames to 60 bytes), not an error. */
	WFP_PKT_PARSE_TRAILER = 0x1
};

/* Link types (the LINKTYPE_ / DLT_ numbers of pcap). */
enum {
	WFP_LINK_NULL = 0,       /* BSD loopback: 4-byte family */
	WFP_LINK_ETHERNET = 1,   /* with 802.1Q / QinQ tags */
	WFP_LINK_RAW_DLT = 12,   /* DLT_RAW on Linux */
	WFP_LINK_RAW_DLT14 = 14, /* DLT_RAW on OpenBSD */
	WFP_LINK_RAW = 101,      /* LINKTYPE_RAW */
	WFP_LINK_SLL = 113,      /* Linux cooked v1 */
	WFP_LINK_IPV4 = 228,
	WFP_LINK_IPV6 = 229,
	WFP_LINK_SLL2 = 276      /* Linux cooked v2 */
};

/**
 * wfp_pkt_parse - parse one IP packet.
 * @buf:   the bytes, starting at the IP header
 * @len:   bytes captured (may be less than the packet: snap length; the
 *         transport payload need not be there, its headers must)
 * @flags: WFP_PKT_PARSE_*
 * @p:     filled on success (zeroed first in any case)
 *
 * Return: 0 or -WFP_PKT_E_*.  Unknown transport protocols parse with
 * ports zero; payload_len is what the headers say, not what was captured.
 */
WFP_API int wfp_pkt_parse(const void *buf, size_t len, uint32_t flags, struct wfp_pkt *p);

/* The same behind a link-layer header of linktype; trailing link bytes
 * are allowed.  *ip_off (may be NULL) receives the IP header's offset. */
WFP_API int wfp_pkt_parse_link(int linktype, const void *buf, size_t len,
			       struct wfp_pkt *p, size_t *ip_off);

/* Non-zero for link types wfp_pkt_parse_link reads. */
WFP_API int wfp_pkt_linktype_ok(int linktype);

/* "short", "bad-header-length", ... for an enum wfp_pkt_err (either sign). */
WFP_API const char *wfp_pkt_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
