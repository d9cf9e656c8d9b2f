/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pkt.c - the packet parser (wfp_pkt.h) that turns captured or
 * queued bytes into the stack model's struct wfp_pkt: IPv4/IPv6 headers,
 * extension headers, fragments, TCP/UDP/ICMP, ICMP error quotes, and the
 * link layers in front of them.
 *
 * The first byte chooses how the rest is read: raw IP (with or without
 * the trailer flag) or one of the link types wfp_pkt_parse_link knows.
 * A packet that parses is checked for the parser's promises and then
 * delivered to a stack model host that owns its destination (with a
 * stealth filter, so the discard paths run too): whatever the parser
 * accepts, the stack model must take without complaint.
 */
#include <stdint.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy[] =
	"filter \"s\" layer INBOUND_TRANSPORT_V4_DISCARD block\n"
	"filter \"b\" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 23\n"
	"filter \"f\" layer INBOUND_IPPACKET_V6 block where FLAGS any-set IS_FRAGMENT\n";

static struct wfp_engine *engine(void)
{
	static struct wfp_engine *e;
	struct wfp_session *s;

	if (e)
		return e;
	e = wfp_engine_open(NULL);
	s = e ? wfp_session_open(e, NULL) : NULL;
	if (s)
		wfp_policy_load_string(s, policy, sizeof(policy) - 1, "fuzz", 0, NULL);
	return e;
}

/* The stack model receives what the parser accepted, twice (new flow,
 * then known flow). */
static void deliver(const struct wfp_pkt *p)
{
	struct wfp_host_opts ho = { .sz = sizeof(ho), .max_flows = 16, .max_sockets = 16,
				    .flags = WFP_HOST_F_FIXED_KEY };
	struct wfp_addr a = p->dst;
	struct wfp_host *h;

	if (!engine())
		return;
	h = wfp_host_new(engine(), &ho);
	if (!h)
		return;
	wfp_host_add_addr(h, &a);
	wfp_host_receive(h, p);
	wfp_host_receive(h, p);
	wfp_host_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {
		WFP_LINK_NULL, WFP_LINK_ETHERNET, WFP_LINK_RAW_DLT, WFP_LINK_RAW_DLT14,
		WFP_LINK_RAW, WFP_LINK_SLL, WFP_LINK_IPV4, WFP_LINK_IPV6, WFP_LINK_SLL2,
		-1, 147,
	};
	struct wfp_pkt p;
	size_t off = 0;
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
	if (wfp_pkt_strerror(err)[0] == '?')
		__builtin_trap(); /* every rejection has a name */
	if (err)
		return 0;
	if ((p.family != WFP_AF_INET && p.family != WFP_AF_INET6) ||
	    p.src.family != p.family || p.dst.family != p.family)
		__builtin_trap();
	deliver(&p);
	return 0;
}
