/* SPDX-License-Identifier: MIT */
/*
 * wfp_ebpf.h - the eBPF back end's ABI: the compiled ALE policy that
 * userspace writes into a BPF map, the events the programs report, and
 * the compiler that turns an engine's published ALE layers into that
 * policy (docs/internals/ebpf.md).
 *
 * This header is included by the BPF programs too (bpf/wfp_ale.bpf.c,
 * after vmlinux.h), so it uses the kernel's __u32 types and no libc.
 * Everything is fixed-size: the verifier needs bounds it can see.
 */
#ifndef WFP_EBPF_H
#define WFP_EBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Kernel layers: the ALE layers decided at the socket call. */
enum wfp_ale_klayer {
	WFP_KL_BIND4 = 0,	/* ALE_RESOURCE_ASSIGNMENT_V4 */
	WFP_KL_BIND6,		/* ALE_RESOURCE_ASSIGNMENT_V6 */
	WFP_KL_LISTEN4,		/* ALE_AUTH_LISTEN_V4 */
	WFP_KL_LISTEN6,		/* ALE_AUTH_LISTEN_V6 */
	WFP_KL_ACCEPT4,		/* ALE_AUTH_RECV_ACCEPT_V4 */
	WFP_KL_ACCEPT6,		/* ALE_AUTH_RECV_ACCEPT_V6 */
	WFP_KL_CONNECT4,	/* ALE_AUTH_CONNECT_V4 */
	WFP_KL_CONNECT6,	/* ALE_AUTH_CONNECT_V6 */
	WFP_KL_MAX
};

/* Kernel slots: the incoming values a program can know at a socket call.
 * Every other field of the layer is "not available": a filter that tests
 * one makes the classification defer to userspace. */
enum wfp_ale_kslot {
	WFP_KS_APP = 0,	/* ALE_APP_ID: interned path index (lo) */
	WFP_KS_USER,	/* ALE_USER_ID: the token (uid + gids) */
	WFP_KS_LADDR,	/* IP_LOCAL_ADDRESS */
	WFP_KS_LPORT,	/* IP_LOCAL_PORT */
	WFP_KS_PROTO,	/* IP_PROTOCOL */
	WFP_KS_RADDR,	/* IP_REMOTE_ADDRESS */
	WFP_KS_RPORT,	/* IP_REMOTE_PORT */
	WFP_KS_MAX
};

/* Condition operations; "neg" inverts EQ, MASK and SD (NOT_EQUAL). */
enum wfp_ale_op {
	WFP_OP_EQ = 0,	/* (hi, lo) == a */
	WFP_OP_GT,
	WFP_OP_LT,
	WFP_OP_GE,
	WFP_OP_LE,
	WFP_OP_RANGE,	/* a <= v <= b */
	WFP_OP_MASK,	/* (v & b) == a, a already masked */
	WFP_OP_ALL,	/* (lo & a) == a */
	WFP_OP_ANY,	/* (lo & a) != 0 */
	WFP_OP_NONE,	/* (lo & a) == 0 */
	WFP_OP_SD,	/* ACE walk over ace[ace_first, +nace) */
	WFP_OP_EMPTY,	/* condition value EMPTY: true iff the value is EMPTY */
	WFP_OP_TRUE,	/* a filter without conditions */
	WFP_OP_MAX
};

/* SD ACE kinds, already reduced to what FWP_ACTRL_MATCH_FILTER needs. */
enum wfp_ale_ace {
	WFP_ACE_UID = 0,	/* S-1-22-1-<id> (SY: uid 0) */
	WFP_ACE_GID,		/* S-1-22-2-<id> (BA: gid 0) */
	WFP_ACE_ANY,		/* WD */
	WFP_ACE_NOT_NOBODY,	/* AU, BU */
	WFP_ACE_NOBODY		/* AN */
};

enum {
	WFP_ALE_MAX_SUB = 64,
	WFP_ALE_MAX_FILT = 16384,	/* all kernel layers together */
	WFP_ALE_MAX_COND = 32768,
	WFP_ALE_MAX_ACE = 4096,
	WFP_ALE_MAX_FCOND = 16,		/* conditions per filter */
	WFP_ALE_MAX_SDACE = 16,		/* relevant ACEs per SD */
	WFP_ALE_MAX_GIDS = 16,		/* primary + supplementary */
	WFP_ALE_MAX_BUCKETS = 32768,	/* index buckets, all layers */
	WFP_ALE_MAX_LIST = 65536,	/* index list entries, all layers */
	WFP_ALE_PROBES = 32,		/* load <= 1/2: ~10-20 at 10,000 keys */
	WFP_ALE_PATH_MAX = 256,
	WFP_ALE_COMM_LEN = 16,
	WFP_ALE_UID_NOBODY = 65534
};

/* Filter flags in the compiled policy. */
enum {
	WFP_AF_HARD = 0x1,	/* its verdict clears the write right */
	WFP_AF_DEFER = 0x4,	/* cannot be evaluated in the kernel */
	WFP_AF_CALLOUT = 0x8	/* a callout: may veto, always defers */
};

/* Verdicts reported by the programs. */
enum {
	WFP_ALE_PERMIT = 0,
	WFP_ALE_BLOCK = 1,
	WFP_ALE_DEFER = 2	/* allowed now, decided by userspace later */
};

struct wfp_ale_val {
	__u64 hi;	/* v6 address: bytes 0-7 big-endian; else 0 */
	__u64 lo;	/* v6 bytes 8-15; v4 address host order; ints */
};

/* One step of the evaluator: a condition of a filter.  A layer is a
 * run of steps; every filter owns at least one (WFP_OP_TRUE if it has no
 * conditions), sorted by slot so that one slot is one OR group. */
struct wfp_ale_cond {
	__u32 filt;	/* its filter, index into filt[] */
	__u8 slot;	/* enum wfp_ale_kslot */
	__u8 op;	/* enum wfp_ale_op */
	__u8 neg;	/* NOT_EQUAL */
	__u8 flags;	/* WFP_CF_* */
	__u16 ace_first;
	__u8 nace;
	__u8 sd_nodacl;	/* SD without DACL: granted */
	__u32 pad;
	struct wfp_ale_val a, b;
};

enum {
	WFP_CF_FIRST = 0x1,	/* first step of its filter */
	WFP_CF_GROUP = 0x2,	/* first step of an OR group */
	WFP_CF_LAST = 0x4	/* last step of its filter */
};

struct wfp_ale_filter {
	__u64 id;
	__u32 next_pc;		/* first step of the next filter */
	__u32 sub_end_pc;	/* first step after its sublayer */
	__u32 needs;		/* kernel slots its conditions read */
	__u16 sub_weight;
	__u8 flags;		/* WFP_AF_* */
	__u8 block;		/* static action: 1 BLOCK, 0 PERMIT */
};

struct wfp_ale_sdace {
	__u8 kind;	/* enum wfp_ale_ace */
	__u8 deny;
	__u16 pad;
	__u32 id;
};

struct wfp_ale_range {
	__u32 first;	/* into cond[] (steps) */
	__u32 count;
	__u32 list_first;	/* into list[]: every filter's first step */
	__u32 list_n;
};

/*
 * A layer's index: the filters whose conditions on one slot are only
 * EQUAL tests (an OR of constants) can match only when the incoming value
 * is one of those constants.  Each constant has a bucket whose list holds
 * the first steps of the filters that can match it: its own filters and
 * the "always" filters (those not indexed), ascending, i.e. in
 * arbitration order.  A value without a bucket walks the always list.
 * Buckets: open addressing, at most WFP_ALE_PROBES probes.
 */
struct wfp_ale_index {
	__u32 nbuckets;		/* power of two; 0: no index */
	__u32 slot;		/* enum wfp_ale_kslot */
	__u32 bucket_first;	/* into bucket[] */
	__u32 always_first;	/* into list[] */
	__u32 always_n;
	__u32 pad;
};

struct wfp_ale_bucket {
	struct wfp_ale_val key;
	__u32 list_first;	/* into list[] */
	__u32 list_n;		/* 0: empty bucket */
};

/* One map value: a whole published policy, swapped in atomically. */
struct wfp_ale_policy {
	__u64 generation;	/* wfp_engine_generation() */
	__u64 epoch;		/* publication count: never repeats */
	__u32 nfilt, ncond, nace;
	__u32 strict;		/* klayer bits: a run-time deferral blocks */
	__u32 nbucket, nlist;
	struct wfp_ale_range layer[WFP_KL_MAX];
	struct wfp_ale_index index[WFP_KL_MAX];
	struct wfp_ale_filter filt[WFP_ALE_MAX_FILT];
	/* tails so that a walk from any valid first index stays inside */
	struct wfp_ale_cond cond[WFP_ALE_MAX_COND + WFP_ALE_MAX_FCOND];
	struct wfp_ale_sdace ace[WFP_ALE_MAX_ACE + WFP_ALE_MAX_SDACE];
	struct wfp_ale_bucket bucket[WFP_ALE_MAX_BUCKETS];
	__u32 list[WFP_ALE_MAX_LIST];
};

/* The bucket hash, the same in the kernel and the compiler: the
 * splitmix64 finalizer (sequential ports must spread: linear probing). */
static inline __u32 wfp_ale_hash(__u64 hi, __u64 lo)
{
	__u64 x = hi * 0x9E3779B97F4A7C15ULL ^ lo;

	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return (__u32)x;
}

/* Who owns a socket: recorded when it is created (cgroup/sock_create). */
struct wfp_ale_owner {
	__u64 cgroup_id;
	__u64 start_ns;		/* bpf_ktime_get_ns() at socket() */
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u32 uid, gid;		/* real ids */
	__u32 euid, egid;	/* effective ids: the token */
	__u32 ngids;		/* gids[] entries; > MAX: token unknown */
	__u32 gids[WFP_ALE_MAX_GIDS];	/* egid first, then supplementary */
	__u32 path_known;
	char comm[WFP_ALE_COMM_LEN];
	char path[WFP_ALE_PATH_MAX];	/* executable, NUL-padded */
};

/* The incoming values of one kernel classification. */
struct wfp_ale_in {
	__u32 klayer;
	__u32 avail;	/* slots the program knows (value or EMPTY) */
	__u32 present;	/* slots with a non-EMPTY value */
	__u32 pad;
	struct wfp_ale_val v[WFP_KS_MAX];
};

/* Event flags. */
enum {
	/* a strict layer needed a value the kernel does not have (app path,
	 * token, local address/port at connect): blocked, fail-closed */
	WFP_ALE_EV_UNAVAILABLE = 0x1
};

/* Ring buffer record: one per kernel classification. */
struct wfp_ale_event {
	__u64 cookie;		/* socket cookie */
	__u64 filter_id;	/* deciding filter, 0 if none */
	__u64 generation;	/* policy generation used */
	__u32 verdict;		/* WFP_ALE_PERMIT/BLOCK/DEFER */
	__u32 action;		/* WFP_ACTION_* of the arbitration */
	__u32 nmatched;
	__u32 pid, tgid;	/* the caller of the socket call */
	__u32 flags;		/* WFP_ALE_EV_* */
	struct wfp_ale_in in;
	struct wfp_ale_owner owner;	/* the socket's owner */
};

/* Per-program counters (array map "stats", index = klayer). */
struct wfp_ale_stats {
	__u64 permit, block, defer, no_policy;
	__u64 cached;	/* UDP datagrams decided by their flow's verdict */
	__u64 lost;	/* events dropped: the ring buffer was full */
	__u64 unavailable; /* strict layers: blocked for lack of a value */
	/* LISTEN layers, sockops path: SYNs dropped because their
	 * listener's listen was blocked */
	__u64 listen_drop;
};

#ifndef __bpf__
#include <stddef.h>
#include <stdint.h>
#include <wfp/wfp_types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wfp_engine;

/* The WFP layer of a kernel layer, and back (-1 if none). */
WFP_API int wfp_ebpf_layer(unsigned klayer);
WFP_API int wfp_ebpf_klayer(unsigned layer);
/* The WFP field of a kernel slot. */
WFP_API int wfp_ebpf_field(unsigned kslot);

/* Interns an app path (no trailing NULs) and returns its index >= 1; the
 * index must stay the same for the same path as long as the maps live. */
typedef int (*wfp_ebpf_intern_fn)(void *ctx, const uint8_t *path, size_t len,
				  uint32_t *idx);

struct wfp_ebpf_stats {
	uint32_t nfilt;		/* compiled filters */
	uint32_t nindexed;	/* of which reached only through an index */
	uint32_t ndefer;	/* of which defer to userspace */
	uint32_t ncallout;	/* of which are callouts */
	/* bit k (enum wfp_ale_klayer): no filter of kernel layer k defers
	 * statically (callout, DEFER); from wfp_ebpf_publish*() also: its
	 * hook is attached.  Only such layers can be strict. */
	uint32_t complete_mask;
	/* the strict layers of the published policy (requested & complete) */
	uint32_t strict_mask;
};

/**
 * wfp_ebpf_compile - compile the published ALE layers for the kernel.
 * @e:      engine
 * @out:    policy to fill (zeroed by the call); generation is
 *          wfp_engine_generation(e)
 * @intern: app path interning (for ALE_APP_ID conditions)
 * @ctx:    its context
 * @st:     statistics, may be NULL
 *
 * Return: 0, -WFP_E_LIMIT when the policy does not fit the fixed tables
 * (the caller then falls back to userspace for everything), or the
 * intern callback's error.
 */
WFP_API int wfp_ebpf_compile(const struct wfp_engine *e, struct wfp_ale_policy *out,
			     wfp_ebpf_intern_fn intern, void *ctx,
			     struct wfp_ebpf_stats *st);

/* Rebuilds the incoming values of a kernel classification for
 * wfp_classify(): values[] gets wfp_layer_field_count(layer) slots, EMPTY
 * except the available kernel slots; app is the path to report for
 * ALE_APP_ID (NULL: EMPTY), tok receives the token.  Returns the layer. */
WFP_API int wfp_ebpf_incoming(const struct wfp_ale_in *in, const char *app,
			      const struct wfp_ale_owner *owner,
			      struct wfp_token *tok, struct wfp_value *values,
			      unsigned nvalues);

#ifdef __cplusplus
}
#endif
#endif /* !__bpf__ */
#endif
