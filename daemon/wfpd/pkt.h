/* SPDX-License-Identifier: MIT */
/*
 * pkt.h - raw IPv4/IPv6 packet -> parsed headers, for wfpd.
 *
 * The field names follow struct wfp_pkt of the stack model
 * (include/wfp/wfp_stack.h) so that the parser can move to lib/pkt.c
 * unchanged once that header is on main.  Lengths are validated
 * strictly: a packet whose headers do not fit, or whose length fields
 * disagree with each other, is rejected, never guessed at.  The payload
 * may be truncated by the NFQUEUE copy range: payload_len is what the
 * IP header says, not what was captured.
 */
#ifndef WFPD_PKT_H
#define WFPD_PKT_H

#include <stddef.h>
#include <stdint.h>

enum {
	DPKT_F_FRAGMENT = 0x1,   /* offset != 0 or MF set */
	DPKT_F_MORE_FRAGS = 0x2,
	DPKT_F_EMBEDDED = 0x8    /* emb is valid (ICMP errors) */
};

/* An address: IPv4 in host order, IPv6 as the 16 raw bytes. */
struct daddr {
	uint8_t family; /* 4 or 6 */
	uint8_t pad[3];
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

struct dpkt_embedded {
	uint8_t proto;
	uint16_t sport, dport;
	struct daddr src, dst;
};

struct dpkt {
	uint8_t family;     /* 4 / 6 */
	uint8_t proto;      /* IANA number of the transport header */
	uint8_t tcp_flags;  /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint16_t icmp_seq;
	uint16_t frag_off;  /* 8-byte units */
	uint32_t flags;     /* DPKT_F_* */
	uint16_t sport, dport;
	uint32_t payload_len; /* transport payload bytes per the headers */
	struct daddr src, dst;
	struct dpkt_embedded emb;
};

/* Errors of dpkt_parse (negative returns). */
enum {
	DPKT_E_SHORT = 1,   /* captured bytes end inside a header */
	DPKT_E_VERSION,     /* not IPv4/IPv6 */
	DPKT_E_HDRLEN,      /* IHL / data offset / option lengths invalid */
	DPKT_E_TOTLEN,      /* length fields inconsistent */
	DPKT_E_EXTHDR       /* too many / malformed IPv6 extension headers */
};

/**
 * dpkt_parse - parse one IP packet.
 * @b:   the bytes, starting at the IP header
 * @len: bytes captured (may be less than the packet: copy range)
 * @p:   filled on success
 *
 * Return: 0, or -DPKT_E_*.  Unknown transport protocols parse with ports
 * zero; non-first fragments carry no transport header.
 */
int dpkt_parse(const uint8_t *b, size_t len, struct dpkt *p);

/* ICMP types that are errors (they never reach ALE, spec §2.3). */
int dpkt_icmp_is_error(const struct dpkt *p);
int daddr_eq(const struct daddr *a, const struct daddr *b);
/* Text form; buf needs 46 bytes.  Returns buf. */
char *daddr_format(const struct daddr *a, char *buf, size_t len);

#endif
