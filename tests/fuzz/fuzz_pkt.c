/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pkt.c - the packet parser (wfp_pkt.h): the first input byte picks
 * a link type, the rest is the frame.  A packet that parses is checked
 * for the parser's promises and then delivered to a stack model host
 * (with a stealth filter, so the discard paths run too): whatever the
 * parser accepts, the stack model must take without complaint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = { WFP_LINK_NULL, WFP_LINK_ETHERNET, WFP_LINK_RAW, WFP_LINK_SLL,
			     WFP_LINK_IPV4, WFP_LINK_IPV6, WFP_LINK_SLL2, 147 };

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_host_opts ho = { .sz = sizeof(ho), .max_flows = 16, .max_sockets = 16 };
	struct wfp_addr a;
	struct wfp_host *h;
	struct wfp_pkt p;
	size_t off = 0;
	int ret;

	if (!size)
		return 0;
	wfp_pkt_parse(data + 1, size - 1, 0, &p);
	wfp_pkt_parse(data + 1, size - 1, WFP_PKT_PARSE_TRAILER, &p);
	ret = wfp_pkt_parse_link(links[data[0] % 8], data + 1, size - 1, &p, &off);
	if (wfp_pkt_strerror(ret)[0] == '?')
		abort();
	if (ret)
		return 0;
	if ((p.family != WFP_AF_INET && p.family != WFP_AF_INET6) || off > size - 1 ||
	    p.src.family != p.family || p.dst.family != p.family)
		abort();
	if (!engine())
		return 0;
	/* a host that owns the destination: everything reaches the shims */
	ho.flags = WFP_HOST_F_FIXED_KEY;
	h = wfp_host_new(engine(), &ho);
	if (!h)
		return 0;
	a = p.dst;
	wfp_host_add_addr(h, &a);
	wfp_host_receive(h, &p);
	wfp_host_receive(h, &p);
	wfp_host_free(h);
	return 0;
}
