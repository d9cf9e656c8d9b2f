/* SPDX-License-Identifier: MIT */
/*
 * replay.c - `make bench`, the replay figure (issue 6): packets per second
 * of a full replay (both passes, as `wfpctl replay` runs them) of a
 * generated capture through a policy of many filters, compared in the
 * same run with a bare libpcap read loop over the same file (the I/O
 * floor no replay can beat).
 *
 *   wfp_bench_replay [--packets N] [--filters N] [--capture FILE] [--keep]
 *
 * Defaults: 1,000,000 packets, 10,000 filters.  The capture is written by
 * gen_pcap --bench (tests/golden/gen_pcap.c): TCP connections with data
 * and UDP query/answer pairs from many clients to one host.  The filters
 * spread over the layers the traffic visits (ALE, transport, stream,
 * datagram), almost all of them for addresses the traffic does not use,
 * a few permitting it, so every classification searches a full layer.
 * Output: "name: value unit (ratio vs baseline)" lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <wfp/wfp.h>
#include <wfp/wfp_policy.h>
#include <wfp/wfp_replay.h>

#ifndef GEN_PCAP
#define GEN_PCAP "gen_pcap"
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const layers[] = {
	"ALE_AUTH_RECV_ACCEPT_V4", "ALE_AUTH_RECV_ACCEPT_V4", "ALE_AUTH_RECV_ACCEPT_V4",
	"INBOUND_TRANSPORT_V4", "OUTBOUND_TRANSPORT_V4", "STREAM_V4", "DATAGRAM_DATA_V4",
	"ALE_FLOW_ESTABLISHED_V4", "INBOUND_TRANSPORT_V4", "OUTBOUND_TRANSPORT_V4",
};

/* n filters as a text policy */
static char *policy(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 160 + 1024, o = 0;
	char *p = malloc(cap);
	uint64_t s = 88172645463325252ull;

	if (!p)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		const char *l = layers[i % (sizeof(layers) / sizeof(layers[0]))];

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		if (i % 1000 == 999) /* a few that match: the web and DNS flows */
			o += (size_t)snprintf(p + o, cap - o,
					      "filter \"ok%u\" layer %s permit where "
					      "IP_LOCAL_PORT == %u\n", i, l, i % 2 ? 80 : 53);
		else
			o += (size_t)snprintf(p + o, cap - o,
					      "filter \"f%u\" layer %s block where "
					      "IP_REMOTE_ADDRESS == 172.%u.%u.%u/%u and "
					      "IP_LOCAL_PORT == %u\n", i, l,
					      16 + (unsigned)(s >> 8) % 16,
					      (unsigned)(s >> 16) & 255, (unsigned)(s >> 24) & 255,
					      24 + (unsigned)(s >> 32) % 9,
					      1 + (unsigned)(s >> 40) % 65535);
	}
	*len = o;
	return p;
}

static int gen(const char *path, unsigned long n)
{
	char num[32];
	pid_t pid;
	int st;

	snprintf(num, sizeof(num), "%lu", n);
	pid = fork();
	if (pid == 0) {
		execl(GEN_PCAP, "gen_pcap", "--bench", num, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

/* The I/O floor: read every packet, touch its bytes. */
static double read_loop(const char *path, uint64_t *npkts)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0, sum = 0;
	double t = now();
	pcap_t *pc = pcap_open_offline(path, ebuf);

	if (!pc)
		return -1;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		n++;
		sum += d[h->caplen ? h->caplen - 1 : 0];
	}
	pcap_close(pc);
	*npkts = n;
	return now() - t + (sum == 1 ? 1e-12 : 0); /* keep sum alive */
}

static double replay(const char *path, struct wfp_engine *e, uint64_t *npkts,
		     uint64_t *permitted)
{
	struct wfp_replay_opts o = { .sz = sizeof(o) };
	struct wfp_replay_rec *rec = malloc(sizeof(*rec));
	struct wfp_capture_pkt cp;
	struct wfp_replay *r = wfp_replay_new(e, &o);
	struct wfp_capture *c;
	char err[256];
	double t = now();
	uint64_t n = 0, ok = 0;
	int lt;

	if (!r || !rec)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		c = wfp_capture_open(path, err, sizeof(err));
		if (!c)
			return -1;
		lt = wfp_capture_linktype(c);
		while (wfp_capture_next(c, &cp, err, sizeof(err)) == 1) {
			if (!pass) {
				wfp_replay_learn(r, lt, cp.data, cp.caplen);
				continue;
			}
			wfp_replay_packet(r, lt, cp.ts_us, cp.data, cp.caplen, cp.len, rec);
			n++;
			ok += rec->verdict == WFP_RV_PERMIT;
		}
		wfp_capture_close(c);
		if (!pass && wfp_replay_learn_done(r))
			return -1;
	}
	wfp_replay_finish(r);
	t = now() - t;
	wfp_replay_free(r);
	free(rec);
	*npkts = n;
	*permitted = ok;
	return t;
}

int main(int argc, char **argv)
{
	unsigned long npk = 1000000, nfil = 10000;
	char tmpl[] = "/tmp/wfp-bench-replay-XXXXXX", path[64];
	const char *cap = NULL;
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_policy_error err = { 0 };
	uint64_t n0, n1, ok;
	double t0, t1, tl;
	size_t plen;
	char *pol;
	int keep = 0, fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--packets"))
			npk = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--filters"))
			nfil = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--capture"))
			cap = argv[++i];
	}
	if (!cap) {
		fd = mkstemp(tmpl);
		if (fd < 0)
			return 1;
		close(fd);
		snprintf(path, sizeof(path), "%s", tmpl);
		if (gen(path, npk)) {
			fprintf(stderr, "wfp_bench_replay: %s --bench failed\n", GEN_PCAP);
			unlink(path);
			return 1;
		}
		cap = path;
	}
	e = wfp_engine_open(NULL);
	s = e ? wfp_session_open(e, NULL) : NULL;
	pol = policy((unsigned)nfil, &plen);
	tl = now();
	if (!s || !pol || wfp_policy_load_string(s, pol, plen, "bench", 0, &err)) {
		fprintf(stderr, "wfp_bench_replay: policy: %s\n", err.msg);
		return 1;
	}
	tl = now() - tl;
	/* warm the page cache, then measure both in the same run */
	read_loop(cap, &n0);
	t0 = read_loop(cap, &n0);
	t1 = replay(cap, e, &n1, &ok);
	if (t0 <= 0 || t1 <= 0 || n0 != n1) {
		fprintf(stderr, "wfp_bench_replay: measurement failed\n");
		return 1;
	}
	printf("replay_policy_load_%lu: %.2f s\n", nfil, tl);
	printf("libpcap_read_loop: %.0f pkt/s (baseline, %" PRIu64 " packets)\n", n0 / t0, n0);
	printf("replay_%" PRIu64 "pkts_%lufilters: %.0f pkt/s (%.3fx vs libpcap read loop; "
	       "%" PRIu64 " permitted)\n", n1, nfil, n1 / t1, (n1 / t1) / (n0 / t0), ok);
	printf("replay_ns_per_packet: %.0f ns (libpcap read: %.0f ns)\n", t1 / n1 * 1e9,
	       t0 / n0 * 1e9);
	free(pol);
	wfp_engine_close(e);
	if (cap == path && !keep)
		unlink(path);
	return 0;
}
