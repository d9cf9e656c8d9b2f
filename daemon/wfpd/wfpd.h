/* SPDX-License-Identifier: MIT */
/*
 * wfpd.h - the daemon's shared state: configuration, the engine it
 * enforces, the live layer model (live.c), counters, net events, and the
 * event loop.  One thread runs everything: the engine's classify path is
 * lock-free, and a single consumer keeps the flow table free of locks.
 */
#ifndef WFPD_H
#define WFPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <wfp/wfp.h>

#include "pkt.h"

#define WFPD_SOCK_PATH "/run/openwfp/wfpd.sock"
#define WFPD_PROTO_VERSION 2

enum wfpd_queue_path {
	WFPD_QPATH_AUTO = 0,
	WFPD_QPATH_NATIVE, /* nft 'queue' expression (CONFIG_NFT_QUEUE) */
	WFPD_QPATH_COMPAT  /* xtables NFQUEUE target through nft_compat */
};

enum wfpd_ebpf_mode {
	WFPD_EBPF_AUTO = 0, /* use it where the kernel allows, else NFQUEUE only */
	WFPD_EBPF_ON,       /* refuse to start without it */
	WFPD_EBPF_OFF
};

struct wfpd_config {
	const char *policy;     /* persistent policy loaded at start, or NULL */
	const char *sock_path;
	unsigned sock_mode;     /* 0: 0660 with group openwfp, else 0600 */
	const char *table;      /* nft table name in family inet */
	const char *backend;    /* "nfq" */
	unsigned queue_base;
	unsigned nqueues;
	unsigned queue_maxlen;
	unsigned copy_range;
	unsigned max_flows;
	unsigned flow_timeout_s;  /* UDP/ICMP idle */
	unsigned txn_timeout_s;   /* spec §6.3: a write transaction's lifetime */
	uint32_t ct_mark_mask;    /* bits of the ct mark wfpd owns */
	uint32_t reject_mark;     /* packet mark bit: reject on NF_REPEAT */
	enum wfpd_queue_path qpath;
	bool fail_open;
	bool keep_table;          /* leave the table on exit (fail-closed) */
	bool verbose;
	bool no_fastpath;
	const char *store;        /* persistent objects (docs/internals/store.md) */
	const char *metrics;      /* ADDR:PORT of the Prometheus endpoint, or NULL */
	enum wfpd_ebpf_mode ebpf;
	const char *ebpf_cgroup;  /* NULL: the cgroup2 root */
};

/* Counters (wfpctl show counters). */
struct wfpd_counters {
	uint64_t packets, accepted, dropped, rejected, malformed;
	uint64_t batches, verdict_msgs, enobufs, recv_errors;
	uint64_t classifications, fastpath_marks, reauths;
	uint64_t flows_created, flows_expired, flows_evicted, flows_refused;
	uint64_t stealth_drops, sockdiag_lookups, app_lookups;
	uint64_t mgmt_refused, mgmt_limited, mgmt_requests;
	uint64_t ebpf_events, ebpf_blocks, ebpf_owner_hits, ebpf_publish_errors;
	uint64_t per_layer[WFP_LAYER_MAX];
};

/* One classification as `monitor` clients see it (drops also go to the
 * engine's net event log, wfp_netevent_report). */
struct wfpd_event {
	uint64_t seq;
	uint64_t time_ms;       /* CLOCK_REALTIME */
	uint16_t layer;
	uint8_t proto;
	uint8_t family;
	uint32_t action;        /* PERMIT / BLOCK / NONE */
	uint64_t filter_id;
	uint32_t flags;         /* WFP_CONDITION_FLAG_* given */
	uint32_t discard_module, discard_reason; /* discard layers */
	bool discard;
	bool inbound;
	struct wfp_addr laddr, raddr;
	uint16_t lport, rport;  /* ICMP: type, code */
	uint32_t uid;
	bool has_uid;
	int32_t pid;
	char app[256];
	const char *event;      /* "SYN", "data", ... (static string) */
};

struct live;
struct mgmt;
struct wfpd_ebpf;
struct wfp_backend_ops;

struct wfpd {
	struct wfpd_config cfg;
	struct wfp_engine *engine;
	struct wfp_session *session;  /* static: the loaded policy's */
	struct live *live;
	struct mgmt *mgmt;
	struct wfpd_ebpf *ebpf;       /* NULL: NFQUEUE path only */
	uint32_t kpath;               /* WFPD_KPATH_*: new flows decided in the kernel */
	uint8_t fwd_free;             /* 1: IPFORWARD_V4, 2: _V6 has no filter */
	const struct wfp_backend_ops *backend;
	void *backend_priv;
	int epfd;
	volatile int stop;
	uint32_t epoch;               /* fast-path generation (ct mark) */
	const char *qpath_used;       /* "native" / "compat" */
	bool app_needed;              /* the policy tests ALE_APP_ID */
	bool user_needed;             /* the policy tests ALE_USER_ID */
	char policy_name[256];
	struct wfpd_counters ctr;
	uint64_t ev_seq;
};

/* loop.c: fd callbacks on one epoll loop */
typedef void (*wfpd_fd_fn)(struct wfpd *d, int fd, uint32_t events, void *ctx);
int loop_add(struct wfpd *d, int fd, wfpd_fd_fn fn, void *ctx);
void loop_del(struct wfpd *d, int fd);
int loop_run(struct wfpd *d);
uint64_t now_ms(void);
void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* metrics.c: Prometheus text endpoint (libmicrohttpd) */
int metrics_open(struct wfpd *d, const char *addr);
void metrics_tick(void);
void metrics_close(struct wfpd *d);

/* config.c */
int config_parse(struct wfpd_config *c, int argc, char **argv);

/* policy, epoch: main.c */
int wfpd_policy_apply(struct wfpd *d, const char *text, size_t len, const char *name,
		      char *err, size_t errlen);
int wfpd_flush(struct wfpd *d);
void wfpd_policy_changed(struct wfpd *d);

/*
 * ebpf.c: the eBPF ALE back end (docs/wfpd.md "eBPF").  kpath bits name
 * the (direction, family, protocol) whose new flows are decided entirely
 * in the kernel and never queued.
 */
enum {
	WFPD_KPATH_OUT4 = 0x1, WFPD_KPATH_OUT6 = 0x2,
	WFPD_KPATH_IN4 = 0x4, WFPD_KPATH_IN6 = 0x8
};
int wfpd_ebpf_start(struct wfpd *d);
void wfpd_ebpf_policy_changed(struct wfpd *d);
/* Recomputes d->kpath and rewrites the kernel-path table when it changed
 * (a monitor came or went, the policy changed). */
void wfpd_kpath_update(struct wfpd *d);
/* The owner recorded at socket(): 0, or -ENOENT. */
int wfpd_ebpf_owner(struct wfpd *d, uint64_t cookie, char *app, size_t applen, int32_t *pid,
		    uint32_t *uid, uint32_t *gid);
void wfpd_ebpf_stop(struct wfpd *d);
const char *wfpd_ebpf_status(const struct wfpd *d);
/* The kernel's own counts, summed over its layers and CPUs. */
struct wfpd_ebpf_counters {
	uint64_t permit, block, defer, cached, lost, unavailable;
	uint64_t listen_drops; /* SYNs to a listener whose listen() was blocked */
};
void wfpd_ebpf_counters(struct wfpd *d, struct wfpd_ebpf_counters *c);

/* event publication: mgmt.c */
void wfpd_event_emit(struct wfpd *d, const struct wfpd_event *ev);

#endif
