// SPDX-License-Identifier: MIT
/*
 * gen_pcap.c - writes the captures of the replay golden tests (and, with
 * --bench N, a large capture for bench/) by hand-crafting IPv4 / IPv6 /
 * TCP / UDP / ICMP headers and storing them with libpcap's pcap_dump.
 * Nothing is checked in that this program cannot regenerate.
 *
 *   gen_pcap OUTDIR            every golden capture, OUTDIR/NAME.pcap
 *   gen_pcap --bench N FILE    N packets of many TCP/UDP flows to one host
 *
 * The host of every golden capture is 10.0.0.2 / fd00::2; peers are
 * 10.0.0.x / fd00::x.  Link types vary on purpose (Ethernet, raw IP,
 * Linux cooked v1 and v2).  The comments in the NAME.expected files of
 * tests/golden/replay/ explain each capture packet by packet.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

struct cap {
	pcap_t *dead;
	pcap_dumper_t *d;
	int lt;
	uint64_t t_us;
	uint16_t ipid;
};

struct ep {
	int v6;
	uint8_t a[16];
	uint16_t port;
};

static uint8_t buf[70000];

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static struct ep v4(const char *s, uint16_t port)
{
	struct ep e = { .port = port };

	inet_pton(AF_INET, s, e.a);
	return e;
}

static struct ep v6(const char *s, uint16_t port)
{
	struct ep e = { .v6 = 1, .port = port };

	inet_pton(AF_INET6, s, e.a);
	return e;
}

static int cap_open(struct cap *c, const char *dir, const char *name, int lt)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	memset(c, 0, sizeof(*c));
	c->lt = lt;
	c->t_us = 1700000000ull * 1000000u;
	c->ipid = 1;
	c->dead = pcap_open_dead(lt, 65535);
	c->d = c->dead ? pcap_dump_open(c->dead, path) : NULL;
	if (!c->d) {
		fprintf(stderr, "gen_pcap: %s: cannot write\n", path);
		return -1;
	}
	return 0;
}

static void cap_close(struct cap *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->dead);
}

/* Stores ip (len bytes from buf + 64) behind the capture's link header;
 * caplen < len cuts the stored copy (a truncated packet). */
static void emit(struct cap *c, size_t len, size_t caplen, int v6)
{
	uint8_t *ip = buf + 64, *p;
	struct pcap_pkthdr h;
	size_t hl;

	switch (c->lt) {
	case DLT_EN10MB:
		hl = 14;
		p = ip - hl;
		memset(p, 0, 12);
		p[5] = 2;
		p[11] = 1;
		put16(p + 12, v6 ? 0x86dd : 0x0800);
		break;
	case DLT_LINUX_SLL:
		hl = 16;
		p = ip - hl;
		memset(p, 0, 16);
		put16(p + 2, 1);
		put16(p + 4, 6);
		put16(p + 14, v6 ? 0x86dd : 0x0800);
		break;
	case DLT_LINUX_SLL2:
		hl = 20;
		p = ip - hl;
		memset(p, 0, 20);
		put16(p, v6 ? 0x86dd : 0x0800);
		put16(p + 8, 1);
		p[10] = 6;
		break;
	default:
		hl = 0;
		p = ip;
	}
	c->t_us += 1000;
	h.ts.tv_sec = (time_t)(c->t_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(c->t_us % 1000000u);
	h.len = (uint32_t)(len + hl);
	h.caplen = (uint32_t)((caplen < len ? caplen : len) + hl);
	pcap_dump((u_char *)c->d, &h, p);
}

/* An IP header for src -> dst carrying l4len bytes of proto (already at
 * buf + 64 + header length); ext: IPv6 extension headers to insert
 * (hop-by-hop + destination options).  Returns the header length. */
static size_t ip_hdr_len(int v6, int ext)
{
	return v6 ? 40 + (ext ? 16 : 0) : 20;
}

static size_t ip_hdr(struct cap *c, const struct ep *s, const struct ep *d, uint8_t proto,
		     size_t l4len, int ext, uint16_t frag)
{
	uint8_t *ip = buf + 64;

	if (!s->v6) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, c->ipid++);
		put16(ip + 6, frag);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, s->a, 4);
		memcpy(ip + 16, d->a, 4);
		put16(ip + 10, csum(ip, 20));
		return 20;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(l4len + (ext ? 16 : 0)));
	ip[6] = ext ? 0 : proto;
	ip[7] = 64;
	memcpy(ip + 8, s->a, 16);
	memcpy(ip + 24, d->a, 16);
	if (ext) {
		/* hop-by-hop (PadN) then destination options (PadN) */
		memset(ip + 40, 0, 16);
		ip[40] = 60;
		ip[42] = 1;
		ip[43] = 4;
		ip[48] = proto;
		ip[50] = 1;
		ip[51] = 4;
	}
	return 40 + (ext ? 16 : 0);
}

static void tcp(struct cap *c, const struct ep *s, const struct ep *d, uint8_t flags,
		size_t payload, int ext)
{
	size_t hl = ip_hdr_len(s->v6, ext);
	uint8_t *t = buf + 64 + hl;

	memset(t, 0, 20 + payload);
	put16(t, s->port);
	put16(t + 2, d->port);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	ip_hdr(c, s, d, 6, 20 + payload, ext, 0);
	emit(c, hl + 20 + payload, (size_t)-1, s->v6);
}

static void udp(struct cap *c, const struct ep *s, const struct ep *d, size_t payload)
{
	size_t hl = ip_hdr_len(s->v6, 0);
	uint8_t *u = buf + 64 + hl;

	memset(u, 0, 8 + payload);
	put16(u, s->port);
	put16(u + 2, d->port);
	put16(u + 4, (uint16_t)(8 + payload));
	ip_hdr(c, s, d, 17, 8 + payload, 0, 0);
	emit(c, hl + 8 + payload, (size_t)-1, s->v6);
}

static void echo(struct cap *c, const struct ep *s, const struct ep *d, int reply,
		 uint16_t id, uint16_t seq)
{
	size_t hl = ip_hdr_len(s->v6, 0);
	uint8_t *m = buf + 64 + hl;

	memset(m, 0, 8 + 56);
	m[0] = s->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
	put16(m + 4, id);
	put16(m + 6, seq);
	ip_hdr(c, s, d, s->v6 ? 58 : 1, 8 + 56, 0, 0);
	emit(c, hl + 8 + 56, (size_t)-1, s->v6);
}

/* A port unreachable from s quoting the UDP datagram q_src -> q_dst. */
static void unreach(struct cap *c, const struct ep *s, const struct ep *d,
		    const struct ep *q_src, const struct ep *q_dst)
{
	size_t hl = ip_hdr_len(s->v6, 0), qhl = s->v6 ? 40 : 20;
	uint8_t *m = buf + 64 + hl, *q = m + 8;

	memset(m, 0, 8 + qhl + 8);
	m[0] = s->v6 ? 1 : 3;
	m[1] = s->v6 ? 4 : 3;
	if (s->v6) {
		q[0] = 0x60;
		put16(q + 4, 8);
		q[6] = 17;
		q[7] = 64;
		memcpy(q + 8, q_src->a, 16);
		memcpy(q + 24, q_dst->a, 16);
	} else {
		q[0] = 0x45;
		put16(q + 2, 28);
		q[8] = 64;
		q[9] = 17;
		memcpy(q + 12, q_src->a, 4);
		memcpy(q + 16, q_dst->a, 4);
	}
	put16(q + qhl, q_src->port);
	put16(q + qhl + 2, q_dst->port);
	put16(q + qhl + 4, 8);
	ip_hdr(c, s, d, s->v6 ? 58 : 1, 8 + qhl + 8, 0, 0);
	emit(c, hl + 8 + qhl + 8, (size_t)-1, s->v6);
}

/* A UDP datagram of 2 * 1000 payload bytes in two fragments. */
static void udp_frags(struct cap *c, const struct ep *s, const struct ep *d)
{
	uint8_t *ip = buf + 64;
	size_t total = 8 + 2000;
	uint16_t id = c->ipid;

	if (!s->v6) {
		uint8_t *u = ip + 20;

		memset(u, 0, 1008);
		put16(u, s->port);
		put16(u + 2, d->port);
		put16(u + 4, (uint16_t)total);
		ip_hdr(c, s, d, 17, 1008, 0, 0x2000); /* MF, offset 0 */
		emit(c, 20 + 1008, (size_t)-1, 0);
		c->ipid = id;
		memset(ip + 20, 0, 1000);
		ip_hdr(c, s, d, 17, 1000, 0, 1008 / 8); /* last, offset 1008 */
		emit(c, 20 + 1000, (size_t)-1, 0);
		return;
	}
	for (int i = 0; i < 2; i++) {
		uint8_t *fh = ip + 40, *u = fh + 8;
		size_t n = i ? 1000 : 1008;

		memset(fh, 0, 8 + n);
		fh[0] = 17;
		put16(fh + 2, (uint16_t)((i ? 1008 : 0) | (i ? 0 : 1)));
		put16(fh + 6, 77);
		if (!i) {
			put16(u, s->port);
			put16(u + 2, d->port);
			put16(u + 4, (uint16_t)total);
		}
		ip_hdr(c, s, d, 44, 8 + n, 0, 0);
		emit(c, 40 + 8 + n, (size_t)-1, 1);
	}
}

/* ---- pcapng: libpcap reads it but does not write it; by hand ---- */

static void put32le(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* the byte-order magic tells readers ours */
}

/* NAME.pcap rewritten as NAME.pcapng: SHB, one IDB, one EPB per packet. */
static int to_pcapng(const char *dir, const char *name)
{
	char path[4096], ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *in;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	in = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	snprintf(path, sizeof(path), "%s/%s.pcapng", dir, name);
	f = in ? fopen(path, "wb") : NULL;
	if (!f) {
		fprintf(stderr, "gen_pcap: %s: cannot write\n", path);
		if (in)
			pcap_close(in);
		return -1;
	}
	put32le(f, 0x0a0d0d0a);
	put32le(f, 28);
	put32le(f, 0x1a2b3c4d);
	put32le(f, 1); /* version 1.0 */
	put32le(f, 0xffffffff);
	put32le(f, 0xffffffff); /* section length unknown */
	put32le(f, 28);
	put32le(f, 1);
	put32le(f, 20);
	put32le(f, (uint32_t)pcap_datalink(in));
	put32le(f, 65535);
	put32le(f, 20);
	while (pcap_next_ex(in, &h, &d) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		uint32_t pad = (4 - h->caplen % 4) % 4, len = 32 + h->caplen + pad;
		static const uint8_t zero[4];

		put32le(f, 6);
		put32le(f, len);
		put32le(f, 0);
		put32le(f, (uint32_t)(ts >> 32));
		put32le(f, (uint32_t)ts);
		put32le(f, h->caplen);
		put32le(f, h->len);
		fwrite(d, 1, h->caplen, f);
		fwrite(zero, 1, pad, f);
		put32le(f, len);
	}
	pcap_close(in);
	return fclose(f) ? -1 : 0;
}

/* ---- the golden captures (NAME.expected has them packet by packet) ---- */

static int gen_handshake(const char *dir)
{
	struct ep cl = v4("10.0.0.1", 40000), h = v4("10.0.0.2", 80);
	struct cap c;

	if (cap_open(&c, dir, "handshake", DLT_EN10MB))
		return -1;
	tcp(&c, &cl, &h, SYN, 0, 0);
	tcp(&c, &h, &cl, SYN | ACK, 0, 0);
	tcp(&c, &cl, &h, ACK, 0, 0);
	tcp(&c, &cl, &h, PSH | ACK, 100, 0);
	tcp(&c, &h, &cl, ACK, 0, 0);
	tcp(&c, &h, &cl, PSH | ACK, 200, 0);
	tcp(&c, &cl, &h, FIN | ACK, 0, 0);
	tcp(&c, &h, &cl, FIN | ACK, 0, 0);
	tcp(&c, &cl, &h, ACK, 0, 0);
	cap_close(&c);
	return to_pcapng(dir, "handshake");
}

static int gen_connect(const char *dir)
{
	struct ep h = v4("10.0.0.2", 50001), ssh = v4("10.0.0.9", 22);
	struct ep h2 = v4("10.0.0.2", 50002), web = v4("10.0.0.9", 443);
	struct cap c;

	if (cap_open(&c, dir, "connect", DLT_RAW))
		return -1;
	tcp(&c, &h, &ssh, SYN, 0, 0);
	tcp(&c, &h, &ssh, SYN, 0, 0); /* retransmission */
	tcp(&c, &h2, &web, SYN, 0, 0);
	tcp(&c, &web, &h2, SYN | ACK, 0, 0);
	tcp(&c, &h2, &web, ACK, 0, 0);
	tcp(&c, &h2, &web, PSH | ACK, 300, 0);
	tcp(&c, &web, &h2, PSH | ACK, 1000, 0);
	tcp(&c, &h2, &web, RST | ACK, 0, 0);
	cap_close(&c);
	return 0;
}

static int gen_closed(const char *dir)
{
	struct ep sc = v4("10.0.0.1", 40100), h = v4("10.0.0.2", 81);
	struct ep uc = v4("10.0.0.1", 40200), uh = v4("10.0.0.2", 9999);
	struct cap c;
	uint8_t *p;

	if (cap_open(&c, dir, "closed", DLT_EN10MB))
		return -1;
	tcp(&c, &sc, &h, SYN, 0, 0);
	tcp(&c, &h, &sc, RST | ACK, 0, 0);
	udp(&c, &uc, &uh, 40);
	unreach(&c, &uh, &uc, &uc, &uh);
	/* an ARP request: not IP */
	p = buf + 64;
	memset(p, 0, 28);
	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);
	{
		struct pcap_pkthdr hd;
		uint8_t *e = p - 14;

		memset(e, 0xff, 6);
		memset(e + 6, 0, 6);
		put16(e + 12, 0x0806);
		c.t_us += 1000;
		hd.ts.tv_sec = (time_t)(c.t_us / 1000000u);
		hd.ts.tv_usec = (suseconds_t)(c.t_us % 1000000u);
		hd.len = hd.caplen = 42;
		pcap_dump((u_char *)c.d, &hd, e);
	}
	/* a TCP SYN cut inside its header: malformed */
	{
		size_t hl = ip_hdr_len(0, 0);

		memset(buf + 64 + hl, 0, 20);
		ip_hdr(&c, &sc, &h, 6, 20, 0, 0);
		emit(&c, hl + 20, hl + 10, 0);
	}
	cap_close(&c);
	return 0;
}

static int gen_udp(const char *dir)
{
	struct ep h = v4("10.0.0.2", 50000), dns = v4("10.0.0.53", 53);
	struct ep hs = v4("10.0.0.2", 5353), peer = v4("10.0.0.7", 6000);
	struct ep hn = v4("10.0.0.2", 50010), ntp = v4("10.0.0.66", 123);
	struct ep hsn = v4("10.0.0.2", 161), mgr = v4("10.0.0.8", 7000);
	struct cap c;

	if (cap_open(&c, dir, "udp", DLT_LINUX_SLL))
		return -1;
	udp(&c, &h, &dns, 30);
	udp(&c, &dns, &h, 90);
	udp(&c, &peer, &hs, 20);
	udp(&c, &hs, &peer, 20);
	udp(&c, &hn, &ntp, 48);
	udp(&c, &hn, &ntp, 48);
	udp(&c, &mgr, &hsn, 60);
	udp(&c, &mgr, &hsn, 60);
	cap_close(&c);
	return 0;
}

static int gen_icmp(const char *dir)
{
	struct ep h = v4("10.0.0.2", 0), a = v4("10.0.0.1", 0), b = v4("10.0.0.9", 0);
	struct ep bad = v4("10.0.0.5", 0);
	struct cap c;

	if (cap_open(&c, dir, "icmp", DLT_LINUX_SLL2))
		return -1;
	echo(&c, &a, &h, 0, 100, 1);
	echo(&c, &h, &a, 1, 100, 1);
	echo(&c, &h, &b, 0, 7, 1);
	echo(&c, &b, &h, 1, 7, 1);
	echo(&c, &bad, &h, 0, 200, 1);
	echo(&c, &h, &bad, 1, 200, 1);
	cap_close(&c);
	return 0;
}

static int gen_ipv6(const char *dir)
{
	struct ep cl = v6("fd00::1", 41000), h = v6("fd00::2", 80);
	struct ep cl2 = v6("fd00::1", 41001), tel = v6("fd00::2", 23);
	struct ep a = v6("fd00::1", 0), hi = v6("fd00::2", 0);
	struct cap c;

	if (cap_open(&c, dir, "ipv6", DLT_EN10MB))
		return -1;
	tcp(&c, &cl, &h, SYN, 0, 1); /* with hop-by-hop + destination options */
	tcp(&c, &h, &cl, SYN | ACK, 0, 0);
	tcp(&c, &cl, &h, ACK, 0, 0);
	tcp(&c, &cl2, &tel, SYN, 0, 0);
	tcp(&c, &tel, &cl2, SYN | ACK, 0, 0);
	echo(&c, &a, &hi, 0, 9, 1);
	echo(&c, &hi, &a, 1, 9, 1);
	cap_close(&c);
	return 0;
}

static int gen_frag(const char *dir)
{
	struct ep s4 = v4("10.0.0.1", 7000), d4 = v4("10.0.0.2", 5000);
	struct ep s6 = v6("fd00::1", 7000), d6 = v6("fd00::2", 5000);
	struct ep o4 = v4("10.0.0.2", 7001), syslog = v4("10.0.0.9", 514);
	struct cap c;

	if (cap_open(&c, dir, "frag", DLT_RAW))
		return -1;
	udp_frags(&c, &s4, &d4);
	udp_frags(&c, &s6, &d6);
	udp_frags(&c, &o4, &syslog); /* the host fragments what it sends */
	cap_close(&c);
	return 0;
}

static int gen_reauth(const char *dir)
{
	struct ep cl = v4("10.0.0.1", 42000), h = v4("10.0.0.2", 8080);
	struct cap c;

	if (cap_open(&c, dir, "reauth", DLT_EN10MB))
		return -1;
	tcp(&c, &cl, &h, SYN, 0, 0);
	tcp(&c, &h, &cl, SYN | ACK, 0, 0);
	tcp(&c, &cl, &h, ACK, 0, 0);
	tcp(&c, &cl, &h, PSH | ACK, 50, 0);
	tcp(&c, &cl, &h, PSH | ACK, 50, 0); /* the policy changes before this one */
	tcp(&c, &h, &cl, PSH | ACK, 500, 0);
	cap_close(&c);
	return 0;
}

/* ---- bench: many flows, mostly data ---- */

static int gen_bench(const char *path, unsigned long n)
{
	struct ep h = v4("10.1.0.1", 80), hu = v4("10.1.0.1", 53);
	struct cap c;
	char dir[4096], *slash;
	unsigned long i = 0, flow = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	memset(&c, 0, sizeof(c));
	c.lt = DLT_EN10MB;
	c.t_us = 1700000000ull * 1000000u;
	c.dead = pcap_open_dead(DLT_EN10MB, 65535);
	c.d = c.dead ? pcap_dump_open(c.dead, path) : NULL;
	(void)slash;
	if (!c.d) {
		fprintf(stderr, "gen_pcap: %s: cannot write\n", path);
		return -1;
	}
	while (i < n) {
		struct ep cl;
		char a[32];

		snprintf(a, sizeof(a), "10.%lu.%lu.%lu", 2 + (flow >> 16) % 200, (flow >> 8) & 255,
			 flow & 255);
		cl = v4(a, (uint16_t)(1024 + flow % 60000));
		if (flow % 4 == 3) {
			/* a UDP query and its answer */
			udp(&c, &cl, &hu, 40);
			udp(&c, &hu, &cl, 80);
			i += 2;
		} else {
			tcp(&c, &cl, &h, SYN, 0, 0);
			tcp(&c, &h, &cl, SYN | ACK, 0, 0);
			tcp(&c, &cl, &h, ACK, 0, 0);
			i += 3;
			for (int k = 0; k < 8 && i < n; k++, i += 2) {
				tcp(&c, &cl, &h, PSH | ACK, 100, 0);
				tcp(&c, &h, &cl, PSH | ACK, 1000, 0);
			}
			tcp(&c, &cl, &h, FIN | ACK, 0, 0);
			tcp(&c, &h, &cl, FIN | ACK, 0, 0);
			tcp(&c, &cl, &h, ACK, 0, 0);
			i += 3;
		}
		flow++;
	}
	cap_close(&c);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--bench"))
		return gen_bench(argv[3], strtoul(argv[2], NULL, 10)) ? 1 : 0;
	if (argc != 2) {
		fprintf(stderr, "usage: gen_pcap OUTDIR | gen_pcap --bench N FILE\n");
		return 2;
	}
	if (gen_handshake(argv[1]) || gen_connect(argv[1]) || gen_closed(argv[1]) ||
	    gen_udp(argv[1]) || gen_icmp(argv[1]) || gen_ipv6(argv[1]) || gen_frag(argv[1]) ||
	    gen_reauth(argv[1]))
		return 1;
	return 0;
}
