/* SPDX-License-Identifier: MIT */
/*
 * config.c - wfpd's command line: one table of options with their help
 * text (nftables main.c nft_options[]), parsed with getopt_long.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfpd.h"

enum {
	OPT_SOCKET_MODE = 256, OPT_TABLE, OPT_BACKEND, OPT_QUEUES, OPT_MAXLEN,
	OPT_COPY, OPT_FLOWS, OPT_TIMEOUT, OPT_CTMASK, OPT_REJMARK, OPT_QPATH,
	OPT_FAIL_OPEN, OPT_KEEP, OPT_NOFAST, OPT_VERSION, OPT_STORE, OPT_METRICS,
	OPT_TXN_TIMEOUT, OPT_EBPF, OPT_EBPF_CGROUP
};

static const struct {
	struct option o;
	const char *arg, *help;
} opts[] = {
	{ { "policy", required_argument, NULL, 'p' }, "FILE", "persistent policy, loaded at start" },
	{ { "store", required_argument, NULL, OPT_STORE }, "FILE",
	  "persistent objects: loaded at start, rewritten by commits (none)" },
	{ { "metrics", required_argument, NULL, OPT_METRICS }, "ADDR:PORT",
	  "serve Prometheus metrics on http://ADDR:PORT/metrics (off)" },
	{ { "socket", required_argument, NULL, 's' }, "PATH", "management socket (" WFPD_SOCK_PATH ")" },
	{ { "socket-mode", required_argument, NULL, OPT_SOCKET_MODE }, "OCTAL",
	  "socket file mode (default 0660 group openwfp, or 0600)" },
	{ { "table", required_argument, NULL, OPT_TABLE }, "NAME", "nftables table in family inet (openwfp)" },
	{ { "backend", required_argument, NULL, OPT_BACKEND }, "NAME", "enforcement back end: nfq" },
	{ { "queue", required_argument, NULL, 'q' }, "N", "first NFQUEUE number (0)" },
	{ { "queues", required_argument, NULL, OPT_QUEUES }, "N", "number of queues, fanout (1)" },
	{ { "queue-maxlen", required_argument, NULL, OPT_MAXLEN }, "N", "packets a queue holds (4096)" },
	{ { "copy-range", required_argument, NULL, OPT_COPY }, "BYTES", "bytes of each packet copied (256)" },
	{ { "max-flows", required_argument, NULL, OPT_FLOWS }, "N", "ALE flow table size (65536)" },
	{ { "flow-timeout", required_argument, NULL, OPT_TIMEOUT }, "SEC", "UDP/ICMP flow idle timeout (60)" },
	{ { "txn-timeout", required_argument, NULL, OPT_TXN_TIMEOUT }, "SEC",
	  "a management write transaction open longer is aborted (3600)" },
	{ { "ct-mark-mask", required_argument, NULL, OPT_CTMASK }, "HEX",
	  "ct/packet mark bits wfpd owns for the fast-path epoch (0x07ff0000)" },
	{ { "reject-mark", required_argument, NULL, OPT_REJMARK }, "HEX",
	  "packet mark bit used to reject; the three bits below it carry ct/socket facts (0x40000000)" },
	{ { "queue-path", required_argument, NULL, OPT_QPATH }, "auto|native|compat",
	  "nft queue expression or xtables NFQUEUE target (auto: probe)" },
	{ { "fail-open", no_argument, NULL, OPT_FAIL_OPEN }, NULL,
	  "pass traffic when wfpd is down or its queue full (default: drop)" },
	{ { "keep-table", no_argument, NULL, OPT_KEEP }, NULL,
	  "leave the fail-closed table in place on exit" },
	{ { "no-fastpath", no_argument, NULL, OPT_NOFAST }, NULL,
	  "never mark flows: every packet goes to wfpd" },
	{ { "ebpf", required_argument, NULL, OPT_EBPF }, "auto|on|off",
	  "decide ALE at the socket call in eBPF (auto: where the kernel allows)" },
	{ { "ebpf-cgroup", required_argument, NULL, OPT_EBPF_CGROUP }, "PATH",
	  "cgroup v2 directory whose sockets eBPF decides (the cgroup2 root)" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL, "debug messages" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, "print the version" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};

enum { NOPTS = sizeof(opts) / sizeof(opts[0]) };

static void usage(FILE *f)
{
	fprintf(f, "usage: wfpd [OPTIONS]\n\nThe openwfp daemon: enforces a WFP policy on this host's "
		   "traffic (NFQUEUE), fail-closed.\n\noptions:\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].o.name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}

static int num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v > max) {
		fprintf(stderr, "wfpd: bad number '%s'\n", s);
		return -1;
	}
	*out = v;
	return 0;
}

/* 0: run; 1: exit 0 (help, version); -1: usage error. */
int config_parse(struct wfpd_config *c, int argc, char **argv)
{
	struct option lo[NOPTS + 1];
	unsigned long v;
	int ch;

	*c = (struct wfpd_config){
		.sock_path = WFPD_SOCK_PATH, .table = "openwfp", .backend = "nfq",
		.nqueues = 1, .queue_maxlen = 4096, .copy_range = 256, .max_flows = 65536,
		.flow_timeout_s = 60, .txn_timeout_s = 3600, .ct_mark_mask = 0x07ff0000, .reject_mark = 0x40000000,
	};
	for (size_t i = 0; i < NOPTS; i++)
		lo[i] = opts[i].o;
	memset(&lo[NOPTS], 0, sizeof(lo[NOPTS]));
	while ((ch = getopt_long(argc, argv, "p:s:q:vh", lo, NULL)) != -1) {
		v = 0;
		switch (ch) {
		case 'p': c->policy = optarg; break;
		case OPT_STORE: c->store = optarg; break;
		case OPT_METRICS: c->metrics = optarg; break;
		case 's': c->sock_path = optarg; break;
		case OPT_SOCKET_MODE:
			if (num(optarg, 07777, &v)) return -1;
			c->sock_mode = (unsigned)v;
			break;
		case OPT_TABLE: c->table = optarg; break;
		case OPT_BACKEND: c->backend = optarg; break;
		case 'q':
			if (num(optarg, 65535, &v)) return -1;
			c->queue_base = (unsigned)v;
			break;
		case OPT_QUEUES:
			if (num(optarg, 64, &v) || !v) return -1;
			c->nqueues = (unsigned)v;
			break;
		case OPT_MAXLEN:
			if (num(optarg, 1 << 20, &v) || !v) return -1;
			c->queue_maxlen = (unsigned)v;
			break;
		case OPT_COPY:
			if (num(optarg, 65535, &v) || v < 128) return -1;
			c->copy_range = (unsigned)v;
			break;
		case OPT_FLOWS:
			if (num(optarg, 1 << 24, &v) || v < 16) return -1;
			c->max_flows = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (num(optarg, 86400, &v) || !v) return -1;
			c->flow_timeout_s = (unsigned)v;
			break;
		case OPT_TXN_TIMEOUT:
			if (num(optarg, 86400, &v) || !v) return -1;
			c->txn_timeout_s = (unsigned)v;
			break;
		case OPT_CTMASK:
			if (num(optarg, 0xffffffffUL, &v) || !v) return -1;
			c->ct_mark_mask = (uint32_t)v;
			break;
		case OPT_REJMARK:
			if (num(optarg, 0xffffffffUL, &v) || !v || (v & (v - 1))) return -1;
			c->reject_mark = (uint32_t)v;
			break;
		case OPT_QPATH:
			if (!strcmp(optarg, "native")) c->qpath = WFPD_QPATH_NATIVE;
			else if (!strcmp(optarg, "compat")) c->qpath = WFPD_QPATH_COMPAT;
			else if (!strcmp(optarg, "auto")) c->qpath = WFPD_QPATH_AUTO;
			else return -1;
			break;
		case OPT_FAIL_OPEN: c->fail_open = true; break;
		case OPT_KEEP: c->keep_table = true; break;
		case OPT_NOFAST: c->no_fastpath = true; break;
		case OPT_EBPF:
			if (!strcmp(optarg, "auto")) c->ebpf = WFPD_EBPF_AUTO;
			else if (!strcmp(optarg, "on")) c->ebpf = WFPD_EBPF_ON;
			else if (!strcmp(optarg, "off")) c->ebpf = WFPD_EBPF_OFF;
			else return -1;
			break;
		case OPT_EBPF_CGROUP: c->ebpf_cgroup = optarg; break;
		case 'v': c->verbose = true; break;
		case OPT_VERSION:
			printf("wfpd (openwfp) %s\n", wfp_version());
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (c->reject_mark < 8 || (c->ct_mark_mask & (c->reject_mark | c->reject_mark >> 1 |
						       c->reject_mark >> 2 | c->reject_mark >> 3))) {
		fprintf(stderr, "wfpd: --reject-mark and the three bits below it must lie outside --ct-mark-mask\n");
		return -1;
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}
