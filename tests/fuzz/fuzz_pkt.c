/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pkt.c - the packet parser (wfp_pkt.h) that turns captured or
 * queued bytes into the stack model's struct wfp_pkt: IPv4/IPv6 headers,
 * extension headers, fragments, TCP/UDP/ICMP, ICMP error quotes, and the
 * link layers in front of them.
 *
 * The first byte chooses how the rest is read: raw IP (with or without
 * the trailer flag) or one of the link types wfp_pkt_parse_link knows.
 */
#include <stdint.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {
		WFP_LINK_NULL, WFP_LINK_ETHERNET, WFP_LINK_RAW_DLT, WFP_LINK_RAW_DLT14,
		WFP_LINK_RAW, WFP_LINK_SLL, WFP_LINK_IPV4, WFP_LINK_IPV6, WFP_LINK_SLL2,
		-1, 147,
	};
	struct wfp_pkt p;
	size_t off;
	int err;

	if (!size)
		return 0;
	if (data[0] < 2) {
		err = wfp_pkt_parse(data + 1, size - 1,
				    data[0] ? WFP_PKT_PARSE_TRAILER : 0, &p);
	} else {
		int lt = links[data[0] % (sizeof(links) / sizeof(links[0]))];

		wfp_pkt_linktype_ok(lt);
		err = wfp_pkt_parse_link(lt, data + 1, size - 1, &p, &off);
		if (!err && off > size - 1)
			__builtin_trap(); /* the IP header lies outside the frame */
	}
	wfp_pkt_strerror(err);
	return 0;
}
