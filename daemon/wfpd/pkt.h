/* SPDX-License-Identifier: MIT */
/*
 * pkt.h - wfpd parses packets with libwfp's parser (lib/pkt.c,
 * wfp_pkt_parse: strict lengths, IPv6 extension headers, fragments, ICMP
 * quotes) into the stack model's struct wfp_pkt.  This header adds the one
 * question wfpd asks of a parsed packet that the library does not.
 */
#ifndef WFPD_PKT_H
#define WFPD_PKT_H

#include <wfp/wfp_pkt.h>
#include <wfp/wfp_stack.h>

/* ICMP types that are errors (they never reach ALE, spec §2.3). */
static inline int pkt_icmp_is_error(const struct wfp_pkt *p)
{
	if (p->proto == WFP_PROTO_ICMP) /* unreach, quench, redirect, time, param */
		return p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
		       p->icmp_type == 11 || p->icmp_type == 12;
	if (p->proto == WFP_PROTO_ICMPV6) /* RFC 4443: below 128 */
		return p->icmp_type < 128;
	return 0;
}

#endif
