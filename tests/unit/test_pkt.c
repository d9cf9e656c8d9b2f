/* SPDX-License-Identifier: MIT */
/*
 * test_pkt.c - the packet parser (wfp_pkt.h): every header it reads,
 * every length check it makes (one test per rejection reason), and the
 * link layers.  Packets are built byte by byte here from RFC 791/793/
 * 768/792/8200/4443 layouts, independently of the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>

static uint8_t b[2048];

static void w16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IPv4 10.0.0.1 -> 10.0.0.2, proto, l4len bytes after a 20-byte header */
static size_t ip4(uint8_t *p, unsigned proto, size_t l4len, unsigned frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	w16(p + 2, (unsigned)(20 + l4len));
	w16(p + 6, frag);
	p[8] = 64;
	p[9] = (uint8_t)proto;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
	return 20;
}

/* IPv6 fd00::1 -> fd00::2 with next header nh and plen payload bytes */
static size_t ip6(uint8_t *p, unsigned nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	w16(p + 4, (unsigned)plen);
	p[6] = (uint8_t)nh;
	p[7] = 64;
	p[8] = 0xfd, p[23] = 1;
	p[24] = 0xfd, p[39] = 2;
	return 40;
}

static void tcp(uint8_t *p, unsigned sport, unsigned dport, unsigned flags)
{
	memset(p, 0, 20);
	w16(p, sport);
	w16(p + 2, dport);
	p[12] = 5 << 4;
	p[13] = (uint8_t)flags;
}

static void test_ipv4_tcp(void **state)
{
	struct wfp_pkt p;
	size_t h = ip4(b, 6, 20 + 7, 0);

	tcp(b + h, 40000, 80, WFP_TCP_SYN | WFP_TCP_ACK);
	assert_int_equal(wfp_pkt_parse(b, h + 27, 0, &p), 0);
	assert_int_equal(p.family, WFP_AF_INET);
	assert_int_equal(p.proto, WFP_PROTO_TCP);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, WFP_TCP_SYN | WFP_TCP_ACK);
	assert_int_equal(p.payload_len, 7);
	assert_int_equal(p.src.v4, 0x0a000001);
	assert_int_equal(p.dst.v4, 0x0a000002);
	assert_int_equal(p.flags, 0);
	/* a snap length that cuts the payload is fine: the headers are there */
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), 0);
	assert_int_equal(p.payload_len, 7);
}

static void test_ipv4_rejects(void **state)
{
	struct wfp_pkt p;
	size_t h = ip4(b, 6, 20, 0);

	tcp(b + h, 1, 2, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse(b, 19, 0, &p), -WFP_PKT_E_SHORT);
	assert_int_equal(wfp_pkt_parse(b, h + 10, 0, &p), -WFP_PKT_E_SHORT);
	/* trailing bytes: an error unless they are link padding */
	assert_int_equal(wfp_pkt_parse(b, h + 26, 0, &p), -WFP_PKT_E_TOTLEN);
	assert_int_equal(wfp_pkt_parse(b, h + 26, WFP_PKT_PARSE_TRAILER, &p), 0);
	b[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), -WFP_PKT_E_HDRLEN);
	b[0] = 0x45;
	w16(b + 2, 19); /* total length below the header */
	assert_int_equal(wfp_pkt_parse(b, 19, 0, &p), -WFP_PKT_E_SHORT);
	assert_int_equal(wfp_pkt_parse(b, 20, WFP_PKT_PARSE_TRAILER, &p), -WFP_PKT_E_TOTLEN);
	w16(b + 2, 30); /* room for 10 transport bytes: no TCP header */
	assert_int_equal(wfp_pkt_parse(b, 30, 0, &p), -WFP_PKT_E_TOTLEN);
	w16(b + 2, 40);
	b[h + 12] = 4 << 4; /* data offset 16 */
	assert_int_equal(wfp_pkt_parse(b, 40, 0, &p), -WFP_PKT_E_HDRLEN);
	b[h + 12] = 6 << 4; /* 24 > 20 bytes of segment */
	assert_int_equal(wfp_pkt_parse(b, 40, 0, &p), -WFP_PKT_E_HDRLEN);
	b[0] = 0x55;
	assert_int_equal(wfp_pkt_parse(b, 40, 0, &p), -WFP_PKT_E_VERSION);
	assert_int_equal(wfp_pkt_parse(b, 0, 0, &p), -WFP_PKT_E_SHORT);
}

static void test_udp(void **state)
{
	struct wfp_pkt p;
	size_t h = ip4(b, 17, 8 + 12, 0);

	memset(b + h, 0, 20);
	w16(b + h, 5353);
	w16(b + h + 2, 53);
	w16(b + h + 4, 8 + 12);
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), 0);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.payload_len, 12);
	w16(b + h + 4, 8 + 10); /* shorter than the IP payload: a trailer */
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), 0);
	assert_int_equal(p.payload_len, 10);
	w16(b + h + 4, 8 + 13); /* longer: refused */
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), -WFP_PKT_E_TOTLEN);
	w16(b + h + 4, 7);
	assert_int_equal(wfp_pkt_parse(b, h + 20, 0, &p), -WFP_PKT_E_TOTLEN);
}

static void test_ipv4_fragments(void **state)
{
	struct wfp_pkt p;
	size_t h = ip4(b, 17, 16, 0x2000); /* MF, offset 0 */

	w16(b + 4, 0x1234);

	memset(b + h, 0, 16);
	w16(b + h, 7000);
	w16(b + h + 2, 5000);
	w16(b + h + 4, 2008); /* the whole datagram: longer than this fragment */
	assert_int_equal(wfp_pkt_parse(b, h + 16, 0, &p), 0);
	assert_int_equal(p.flags & (WFP_PKT_F_FRAGMENT | WFP_PKT_F_MORE_FRAGS),
			 WFP_PKT_F_FRAGMENT | WFP_PKT_F_MORE_FRAGS);
	assert_int_equal(p.dport, 5000);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.frag_len, 16);     /* IP payload it carries */
	assert_int_equal(p.payload_len, 8);   /* UDP payload it carries */
	assert_int_equal(p.ip_id, 0x1234);
	assert_int_equal(p.hop_limit, 64);
	ip4(b, 17, 16, 126); /* last fragment at byte 1008 */
	assert_int_equal(wfp_pkt_parse(b, h + 16, 0, &p), 0);
	assert_int_equal(p.flags, WFP_PKT_F_FRAGMENT);
	assert_int_equal(p.frag_off, 126);
	assert_int_equal(p.frag_len, 16);
	assert_int_equal(p.dport, 0); /* no transport header here */
	assert_int_equal(p.payload_len, 16);
	ip4(b, 17, 16, 0x1fff); /* 65528 + 16 bytes: beyond an IP datagram */
	assert_int_equal(wfp_pkt_parse(b, h + 16, 0, &p), -WFP_PKT_E_FRAG);
}

static void test_ipv6_ext(void **state)
{
	struct wfp_pkt p;
	size_t h = ip6(b, 0, 8 + 8 + 20);

	memset(b + h, 0, 16);
	b[h] = 60;      /* hop-by-hop -> destination options */
	b[h + 8] = 6;   /* destination options -> TCP */
	tcp(b + h + 16, 41000, 80, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse(b, h + 36, 0, &p), 0);
	assert_int_equal(p.family, WFP_AF_INET6);
	assert_int_equal(p.proto, WFP_PROTO_TCP);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.dst.v6[15], 2);
	/* an extension header longer than the packet */
	b[h + 9] = 4;
	assert_int_equal(wfp_pkt_parse(b, h + 36, 0, &p), -WFP_PKT_E_EXTHDR);
	b[h + 9] = 0;
	assert_int_equal(wfp_pkt_parse(b, h + 12, 0, &p), -WFP_PKT_E_SHORT);
	/* nine chained hop-by-hop headers: too many */
	h = ip6(b, 0, 9 * 8 + 20);
	for (int i = 0; i < 9; i++) {
		memset(b + h + i * 8, 0, 8);
		b[h + i * 8] = i < 8 ? 0 : 6;
	}
	tcp(b + h + 72, 1, 2, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse(b, h + 92, 0, &p), -WFP_PKT_E_EXTHDR);
}

static void test_ipv6_fragment(void **state)
{
	struct wfp_pkt p;
	size_t h = ip6(b, 44, 8 + 16);

	memset(b + h, 0, 24);
	b[h] = 17;
	w16(b + h + 2, 0 | 1); /* offset 0, M */
	b[h + 4] = 0xab, b[h + 7] = 0xcd; /* identification */
	w16(b + h + 8, 7000);
	w16(b + h + 10, 5000);
	w16(b + h + 12, 2008);
	assert_int_equal(wfp_pkt_parse(b, h + 24, 0, &p), 0);
	assert_true(p.flags & WFP_PKT_F_MORE_FRAGS);
	assert_int_equal(p.proto, WFP_PROTO_UDP);
	assert_int_equal(p.dport, 5000);
	assert_int_equal(p.ip_id, 0xab0000cd);
	assert_int_equal(p.frag_len, 16);
	assert_int_equal(p.payload_len, 8);
	w16(b + h + 2, 1008); /* offset 1008 bytes, last */
	assert_int_equal(wfp_pkt_parse(b, h + 24, 0, &p), 0);
	assert_int_equal(p.flags, WFP_PKT_F_FRAGMENT);
	assert_int_equal(p.frag_off, 126);
	assert_int_equal(p.dport, 0);
}

static void test_icmp(void **state)
{
	struct wfp_pkt p;
	size_t h = ip4(b, 1, 8 + 28, 0);
	uint8_t *m = b + h, *q = m + 8;

	memset(m, 0, 36);
	m[0] = 3, m[1] = 3; /* port unreachable quoting 10.0.0.2:9999 <- 10.0.0.1:40200 */
	ip4(q, 17, 8, 0);
	w16(q + 20, 40200);
	w16(q + 22, 9999);
	assert_int_equal(wfp_pkt_parse(b, h + 36, 0, &p), 0);
	assert_int_equal(p.icmp_type, 3);
	assert_int_equal(p.icmp_code, 3);
	assert_true(p.flags & WFP_PKT_F_EMBEDDED);
	assert_int_equal(p.emb.proto, WFP_PROTO_UDP);
	assert_int_equal(p.emb.sport, 40200);
	assert_int_equal(p.emb.dport, 9999);
	assert_int_equal(p.emb.dst.v4, 0x0a000002);
	/* a quote cut inside its IP header: the error parses, emb does not */
	ip4(b, 1, 8 + 10, 0);
	assert_int_equal(wfp_pkt_parse(b, h + 18, 0, &p), 0);
	assert_false(p.flags & WFP_PKT_F_EMBEDDED);
	/* echo */
	ip4(b, 1, 8, 0);
	memset(m, 0, 8);
	m[0] = 8;
	w16(m + 4, 100);
	w16(m + 6, 3);
	assert_int_equal(wfp_pkt_parse(b, h + 8, 0, &p), 0);
	assert_int_equal(p.icmp_id, 100);
	assert_int_equal(p.icmp_seq, 3);
	assert_int_equal(wfp_pkt_parse(b, h + 6, 0, &p), -WFP_PKT_E_SHORT);
	/* ICMPv4 inside IPv6 */
	h = ip6(b, 1, 8);
	memset(b + h, 0, 8);
	assert_int_equal(wfp_pkt_parse(b, h + 8, 0, &p), -WFP_PKT_E_PROTO);
	/* ICMPv6 port unreachable quoting a UDP datagram */
	h = ip6(b, 58, 8 + 48);
	memset(b + h, 0, 56);
	b[h] = 1, b[h + 1] = 4;
	ip6(b + h + 8, 17, 8);
	w16(b + h + 48, 1234);
	w16(b + h + 50, 53);
	assert_int_equal(wfp_pkt_parse(b, h + 56, 0, &p), 0);
	assert_true(p.flags & WFP_PKT_F_EMBEDDED);
	assert_int_equal(p.emb.dport, 53);
}

static void test_links(void **state)
{
	uint8_t f[128];
	struct wfp_pkt p;
	size_t off = 99, h;

	/* Ethernet with one 802.1Q tag, padded to 60 bytes */
	memset(f, 0, sizeof(f));
	w16(f + 12, 0x8100);
	w16(f + 16, 0x0800);
	h = ip4(f + 18, 6, 20, 0);
	tcp(f + 18 + h, 1, 2, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_ETHERNET, f, 64, &p, &off), 0);
	assert_int_equal(off, 18);
	assert_int_equal(p.dport, 2);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_ETHERNET, f, 13, &p, NULL),
			 -WFP_PKT_E_LINK);
	w16(f + 16, 0x0806);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_ETHERNET, f, 64, &p, NULL),
			 -WFP_PKT_E_NOT_IP);
	/* Linux cooked v1: protocol at 14 */
	memset(f, 0, 16);
	w16(f + 14, 0x0800);
	h = ip4(f + 16, 6, 20, 0);
	tcp(f + 16 + h, 1, 2, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_SLL, f, 56, &p, &off), 0);
	assert_int_equal(off, 16);
	/* Linux cooked v2: protocol at 0 */
	memset(f, 0, 20);
	w16(f, 0x0800);
	h = ip4(f + 20, 6, 20, 0);
	tcp(f + 20 + h, 1, 2, WFP_TCP_SYN);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_SLL2, f, 60, &p, &off), 0);
	assert_int_equal(off, 20);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_SLL2, f, 10, &p, NULL), -WFP_PKT_E_LINK);
	/* raw IP, and a raw-IPv6 link carrying IPv4 */
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_RAW, f + 20, 40, &p, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(wfp_pkt_parse_link(WFP_LINK_IPV6, f + 20, 40, &p, NULL),
			 -WFP_PKT_E_VERSION);
	assert_int_equal(wfp_pkt_parse_link(105 /* 802.11 */, f, 40, &p, NULL),
			 -WFP_PKT_E_LINKTYPE);
	assert_false(wfp_pkt_linktype_ok(105));
	assert_true(wfp_pkt_linktype_ok(WFP_LINK_SLL2));
}

static void test_names(void **state)
{
	assert_string_equal(wfp_pkt_strerror(-WFP_PKT_E_SHORT), "short");
	assert_string_equal(wfp_pkt_strerror(WFP_PKT_E_NOT_IP), "not-ip");
	assert_string_equal(wfp_pkt_strerror(WFP_PKT_E_MAX), "?");
	for (int i = 1; i < WFP_PKT_E_MAX; i++)
		assert_string_not_equal(wfp_pkt_strerror(i), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_rejects),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
