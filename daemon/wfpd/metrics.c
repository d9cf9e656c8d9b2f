/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - `wfpd --metrics ADDR:PORT`: the counters in Prometheus text
 * format, served by libmicrohttpd on the daemon's own event loop.
 *
 * MHD runs in external-loop epoll mode: its epoll fd joins wfpd's epoll
 * set and MHD_run() is called when it is readable (and on the 1 s tick,
 * for connection time-outs).  So a scrape is answered on the same thread
 * that classifies and commits, and reads the engine without locks.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "live.h"
#include "wfpd.h"

struct metrics {
	struct MHD_Daemon *mhd;
	int fd;
};

static struct metrics M = { .fd = -1 };

/* Label values: escape backslash, double quote and newline. */
static void label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

#define DAEMON_COUNTERS(X)                                                      \
	X(packets, "packets received from the kernel queue")                   \
	X(accepted, "packets accepted")                                        \
	X(dropped, "packets dropped")                                          \
	X(rejected, "packets rejected (TCP reset to the local socket)")        \
	X(malformed, "packets that did not parse")                             \
	X(classifications, "classifications at any layer")                     \
	X(fastpath_marks, "flows handed to the kernel fast path")              \
	X(reauths, "reauthorizations")                                         \
	X(flows_created, "ALE flows created")                                  \
	X(flows_expired, "ALE flows expired")                                  \
	X(flows_evicted, "ALE flows evicted from a full table")                \
	X(flows_refused, "new flows refused: table full")                      \
	X(stealth_drops, "RSTs and ICMP errors suppressed by stealth")         \
	X(enobufs, "queue overruns reported by the kernel (ENOBUFS)")          \
	X(mgmt_refused, "management clients refused")                          \
	X(ebpf_events, "ALE classifications made in the kernel (eBPF)")        \
	X(ebpf_blocks, "socket calls blocked in the kernel (eBPF)")

static void daemon_counters(FILE *f, const struct wfpd *d)
{
#define X(name, help)                                                           \
	fprintf(f, "# HELP wfpd_" #name "_total " help "\n"                    \
		   "# TYPE wfpd_" #name "_total counter\n"                     \
		   "wfpd_" #name "_total %llu\n", (unsigned long long)d->ctr.name);
	DAEMON_COUNTERS(X)
#undef X
}

static void layer_stats(FILE *f, const struct wfpd *d)
{
	static const char *const act[] = { "permit", "block", "veto", "none" };

	fputs("# HELP wfp_layer_classifications_total classifications per layer and outcome\n"
	      "# TYPE wfp_layer_classifications_total counter\n", f);
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		struct wfp_layer_stats st;
		const uint64_t *v = &st.permit;

		if (wfp_layer_stats_get(d->engine, l, &st) ||
		    !(st.permit | st.block | st.veto | st.none))
			continue;
		for (unsigned a = 0; a < 4; a++)
			fprintf(f, "wfp_layer_classifications_total{layer=\"%s\",action=\"%s\"} %llu\n",
				wfp_layer_name(l), act[a], (unsigned long long)v[a]);
	}
}

static void filter_stats(FILE *f, const struct wfpd *d)
{
	struct wfp_filter **all;
	size_t n;

	if (wfp_filter_enum(d->session, NULL, &all, &n))
		return;
	fputs("# HELP wfp_filter_hits_total classifications a filter decided\n"
	      "# TYPE wfp_filter_hits_total counter\n", f);
	for (size_t i = 0; i < n; i++) {
		uint64_t hits, bytes;

		if (wfp_filter_counters_get(d->engine, all[i]->filter_id, &hits, &bytes))
			continue;
		fprintf(f, "wfp_filter_hits_total{filter_id=\"%llu\",layer=\"%s\",name=\"",
			(unsigned long long)all[i]->filter_id, wfp_layer_name(all[i]->layer));
		label(f, all[i]->display.name);
		fprintf(f, "\"} %llu\n", (unsigned long long)hits);
	}
	fprintf(f, "# HELP wfp_filters number of filters in the policy\n"
		   "# TYPE wfp_filters gauge\nwfp_filters %zu\n", n);
	wfp_filter_array_free(all, n);
}

static char *render(const struct wfpd *d, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	daemon_counters(f, d);
	fprintf(f, "# HELP wfpd_flows ALE flows in the table\n# TYPE wfpd_flows gauge\n"
		   "wfpd_flows %u\n# HELP wfpd_flows_max flow table size\n"
		   "# TYPE wfpd_flows_max gauge\nwfpd_flows_max %u\n",
		live_flow_count(d->live), d->cfg.max_flows);
	layer_stats(f, d);
	filter_stats(f, d);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_len, void **con_cls)
{
	const struct wfpd *d = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	size_t len = 0;
	char *body;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO; /* closes the connection */
	if (strcmp(url, "/metrics")) {
		static char nf[] = "not found: try /metrics\n";

		r = MHD_create_response_from_buffer(sizeof(nf) - 1, nf, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		body = render(d, &len);
		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(body);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_ready(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	MHD_run(M.mhd);
}

/* "127.0.0.1:9464" or "[::1]:9464" */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon || colon == s)
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

int metrics_open(struct wfpd *d, const char *addr)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL;

	if (parse_addr(addr, &ss)) {
		logmsg(LOG_ERR, "--metrics %s: want ADDR:PORT (an IP address)", addr);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	M.mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, d, MHD_OPTION_SOCK_ADDR,
				 (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16u,
				 MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_END);
	if (!M.mhd) {
		logmsg(LOG_ERR, "--metrics %s: cannot listen", addr);
		return -1;
	}
	info = MHD_get_daemon_info(M.mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || loop_add(d, info->epoll_fd, on_ready, NULL)) {
		logmsg(LOG_ERR, "--metrics: cannot join the event loop");
		MHD_stop_daemon(M.mhd);
		M.mhd = NULL;
		return -1;
	}
	M.fd = info->epoll_fd;
	logmsg(LOG_INFO, "metrics on http://%s/metrics", addr);
	return 0;
}

/* The 1 s tick: connection time-outs. */
void metrics_tick(void)
{
	if (M.mhd)
		MHD_run(M.mhd);
}

void metrics_close(struct wfpd *d)
{
	if (!M.mhd)
		return;
	loop_del(d, M.fd);
	MHD_stop_daemon(M.mhd);
	M.mhd = NULL;
	M.fd = -1;
}
