// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * wfp_ale.bpf.c - decide the ALE layers at the socket call.
 *
 * Hooks (docs/internals/ebpf.md has the table and why each one):
 *   cgroup/sock_create        record the socket's owner (attribution)
 *   cgroup/post_bind4/6       ALE_RESOURCE_ASSIGNMENT_V4/V6
 *   lsm_cgroup/socket_listen  ALE_AUTH_LISTEN_V4/V6 (listen() fails)
 *   sockops                   ALE_AUTH_LISTEN_V4/V6 where the above cannot
 *                             load: classified at listen(), which still
 *                             succeeds; cgroup_skb/ingress then drops
 *                             every SYN to a blocked listener
 *   lsm_cgroup/inet_conn_request  ALE_AUTH_RECV_ACCEPT_V4/V6 (TCP SYN)
 *   cgroup_skb/ingress        ALE_AUTH_RECV_ACCEPT_V4/V6: a TCP SYN for
 *                             a listener of the cgroup, the first UDP
 *                             datagram of a flow; a block drops silently
 *   sk_lookup                 ALE_AUTH_RECV_ACCEPT_V4/V6 where the above
 *                             is not attached: per network namespace, for
 *                             the cgroup's bound sockets (refuses)
 *   cgroup/connect4/6         ALE_AUTH_CONNECT_V4/V6 (TCP, connected UDP)
 *   cgroup/sendmsg4/6         ALE_AUTH_CONNECT_V4/V6 (unconnected UDP,
 *                             once per flow)
 *   tp_btf/sched_process_exec/fork/exit
 *                             executable path per process (for ALE_APP_ID)
 *
 * The two lsm_cgroup programs load only where the kernel accepts BPF
 * trampolines; the loader probes and leaves them out otherwise.
 *
 * The policy is one map value (struct wfp_ale_policy) behind an
 * array-of-maps slot: userspace builds a new inner map per transaction
 * and swaps it in with one update, so a program sees either the old or
 * the new policy, never a mix (spec §6.3; the kernel frees the old inner
 * map only after an RCU grace period, i.e. after every program that
 * looked it up has returned).
 *
 * The evaluator is spec §4.5 restricted to static filters: sublayers in
 * weight order, filters in (weight desc, id asc) order inside each, the
 * first matching filter decides its sublayer, its verdict replaces the
 * result while the result is soft, hard verdicts (static BLOCK, PERMIT
 * with CLEAR_ACTION_RIGHT) clear the write right.  A filter the kernel
 * cannot evaluate (callout, unknown field) makes the whole classification
 * defer to userspace unless the result is already final.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include <wfp/wfp_ebpf.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define ACTION_BLOCK 0x00001001
#define ACTION_PERMIT 0x00001002
#define ACTION_NONE_NO_MATCH 0x00000008

/* Set by the loader before load: trace to the ring buffer. */
const volatile __u32 cfg_events = 1;
/* Permits are events too only while someone watches (wfpd: a monitor);
 * blocks and defers always are.  Set at run time by the loader. */
volatile __u32 events_permit = 1;

/* Set by the loader once cgroup_skb/ingress is attached: RECV_ACCEPT is
 * then decided there (silent drop), and sk_lookup stands by, so that no
 * incoming flow is classified twice. */
volatile __u32 skb_ingress_on;

struct policy_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wfp_ale_policy);
} policy_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct policy_map);
} policy SEC(".maps");

/* Interned app paths (NUL-padded) -> index >= 1; append-only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, char[WFP_ALE_PATH_MAX]);
	__type(value, __u32);
} apps SEC(".maps");

/* tgid -> executable path, filled at exec and fork, seeded by userspace. */
struct proc_path {
	char path[WFP_ALE_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct proc_path);
} procs SEC(".maps");

/* The owner of every socket created in the cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wfp_ale_owner);
} owners SEC(".maps");

/* The ALE_AUTH_LISTEN verdict of a listening socket, set by the sockops
 * path at listen() (BPF_SOCK_OPS_TCP_LISTEN_CB, which cannot fail the
 * call): cgroup_skb/ingress drops every SYN to a listener whose listen
 * was blocked.  Set again at every listen() of the socket. */
struct listen_verdict {
	__u32 blocked;
	__u32 klayer;	/* WFP_KL_LISTEN4/6: whose counter the drops go to */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct listen_verdict);
} listens SEC(".maps");

/* The same, by socket cookie, for the daemon (it cannot read sk storage
 * without the socket): net events and NFQUEUE verdicts name the process
 * even after it exited. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct wfp_ale_owner);
} owner_by_cookie SEC(".maps");

/* Local endpoints bound by the cgroup's sockets -> their owner, for
 * sk_lookup, which sees the packet but not yet the socket. */
struct bound_key {
	__u8 proto;
	__u8 v6;
	__u16 port;	/* host order */
	__u32 addr[4];	/* as in the socket, network order; zero: wildcard */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bound_key);
	__type(value, struct wfp_ale_owner);
} bound SEC(".maps");

/* UDP is classified once per flow, as ALE does (spec §3): the verdict of
 * an unconnected socket's (local, remote) pair is kept for the policy
 * epoch it was made under; a new policy reclassifies. */
struct flow_key {
	__u64 cookie;	/* sendmsg: the socket; sk_lookup: 0 */
	__u32 raddr[4];
	__u32 laddr[4];
	__u16 rport;
	__u16 lport;
	__u32 klayer;
};

struct flow_val {
	__u64 epoch;
	__u32 verdict;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} udp_flows SEC(".maps");

/* Classifications deferred to userspace, by socket cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct wfp_ale_in);
} deferred SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WFP_KL_MAX);
	__type(key, __u32);
	__type(value, struct wfp_ale_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct proc_path);
} scratch SEC(".maps");

/* ---- executable paths ---- */

/*
 * The executable's path, built by walking its dentries up to the root,
 * crossing mounts, like d_path() (which BPF may call only from a few
 * hooks, none of them usable here: docs/internals/ebpf.md).  Components
 * are written backwards from the middle of a scratch buffer, then the
 * result is copied to the front of the record NUL-padded (it is a hash
 * key).  Bounded: WALK_DEPTH components, WFP_ALE_PATH_MAX bytes; a
 * longer path is recorded as unknown, so ALE_APP_ID filters defer.
 */
#define WALK_DEPTH 32
#define HALF WFP_ALE_PATH_MAX
#define MASK (WFP_ALE_PATH_MAX - 1)

struct walkbuf {
	char buf[2 * HALF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walkbuf);
} walkbufs SEC(".maps");

static __always_inline int file_path(struct file *file, struct proc_path *out)
{
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	struct walkbuf *wb;
	__u32 zero = 0, off = HALF, len;

	wb = bpf_map_lookup_elem(&walkbufs, &zero);
	if (!wb)
		return -1;
	for (int i = 0; i < WALK_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		struct dentry *root = BPF_CORE_READ(vm, mnt_root);
		const unsigned char *name;

		if (d == root || d == parent) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up == mnt || d != root)
				goto done; /* the global root */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vm = &up->mnt;
			continue;
		}
		len = BPF_CORE_READ(d, d_name.len);
		name = BPF_CORE_READ(d, d_name.name);
		if (len + 1 > off)
			return -1; /* too long */
		off -= len + 1;
		off &= MASK;
		len &= MASK;
		wb->buf[off] = '/';
		bpf_probe_read_kernel(&wb->buf[off + 1], len, name);
		d = parent;
	}
	return -1; /* too deep */
done:
	if (off == 0)
		return -1; /* no room for the NUL */
	if (off == HALF) {
		off = HALF - 1; /* the root itself */
		wb->buf[off] = '/';
	}
	off &= MASK;
	len = (HALF - off) & MASK;
	__builtin_memset(out->path, 0, sizeof(out->path));
	bpf_probe_read_kernel(out->path, len, &wb->buf[off]);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_path, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct proc_path *pp;
	__u32 zero = 0;

	pp = bpf_map_lookup_elem(&scratch, &zero);
	if (!pp)
		return 0;
	if (file_path(BPF_CORE_READ(bprm, file), pp))
		bpf_map_delete_elem(&procs, &tgid);
	else
		bpf_map_update_elem(&procs, &tgid, pp, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_path, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct proc_path *pp;

	if (ptgid == ctgid)
		return 0; /* a thread */
	pp = bpf_map_lookup_elem(&procs, &ptgid);
	if (pp)
		bpf_map_update_elem(&procs, &ctgid, pp, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_path, struct task_struct *t)
{
	__u32 tgid = t->tgid;

	if (t->pid == t->tgid)
		bpf_map_delete_elem(&procs, &tgid);
	return 0;
}

/* ---- attribution ---- */

static __always_inline void fill_owner(struct wfp_ale_owner *o)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 pt = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();
	const struct cred *cr = BPF_CORE_READ(t, cred);
	struct group_info *gi = BPF_CORE_READ(cr, group_info);
	struct proc_path *pp;
	__u32 tgid = pt >> 32;
	int ng;

	o->pid = (__u32)pt;
	o->tgid = tgid;
	o->uid = (__u32)ug;
	o->gid = ug >> 32;
	o->euid = BPF_CORE_READ(cr, euid.val);
	o->egid = BPF_CORE_READ(cr, egid.val);
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->start_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	o->gids[0] = o->egid;
	ng = gi ? BPF_CORE_READ(gi, ngroups) : 0;
	if (ng < 0 || ng + 1 > WFP_ALE_MAX_GIDS) {
		o->ngids = WFP_ALE_MAX_GIDS + 1; /* token unknown: defers */
	} else {
		for (int i = 0; i < WFP_ALE_MAX_GIDS - 1; i++) {
			if (i >= ng)
				break;
			o->gids[i + 1] = BPF_CORE_READ(gi, gid[i].val);
		}
		o->ngids = ng + 1;
	}
	pp = bpf_map_lookup_elem(&procs, &tgid);
	if (pp) {
		__builtin_memcpy(o->path, pp->path, sizeof(o->path));
		o->path_known = 1;
	}
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	struct wfp_ale_owner *o;
	__u64 cookie;

	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	fill_owner(o);
	cookie = bpf_get_socket_cookie(sk);
	bpf_map_update_elem(&owner_by_cookie, &cookie, o, BPF_ANY);
	return 1;
}

/* ---- the evaluator ---- */

struct walk {
	struct wfp_ale_policy *pol;
	const struct wfp_ale_owner *owner;
	struct wfp_ale_in *in;
	__u32 lbase;	/* candidate list: pol->list[lbase ...] */
	__u32 target;	/* filters before this step are passed over */
	__u32 pc;	/* the filter being tested: its first step */
	__u32 rights;	/* 1: the result may still be overwritten */
	__u32 action;
	__u32 group_ok, fmatch;
	__u32 defer;
	__u32 nmatched;
	__u64 filter_id;
};

static __always_inline int vcmp(const struct wfp_ale_val *v, const struct wfp_ale_val *a)
{
	if (v->hi != a->hi)
		return v->hi < a->hi ? -1 : 1;
	if (v->lo != a->lo)
		return v->lo < a->lo ? -1 : 1;
	return 0;
}

static __always_inline int ace_applies(const struct wfp_ale_sdace *a,
				       const struct wfp_ale_owner *o)
{
	switch (a->kind) {
	case WFP_ACE_UID:
		return o->euid == a->id;
	case WFP_ACE_GID:
		for (int i = 0; i < WFP_ALE_MAX_GIDS; i++) {
			if (i >= o->ngids)
				break;
			if (o->gids[i] == a->id)
				return 1;
		}
		return 0;
	case WFP_ACE_ANY:
		return 1;
	case WFP_ACE_NOT_NOBODY:
		return o->euid != WFP_ALE_UID_NOBODY;
	case WFP_ACE_NOBODY:
		return o->euid == WFP_ALE_UID_NOBODY;
	}
	return 0;
}

/* FWP_ACTRL_MATCH_FILTER against the owner's token; the compiler kept
 * only the ACEs that carry that bit and are not inherit-only, so the
 * first one that applies decides (lib/sd.c wfp_sd_access_check).  The
 * ACE walk is a bpf_loop too: nested bounded loops cost the verifier
 * ~300k instructions per program, a callback a few thousand. */
struct sdwalk {
	const struct wfp_ale_sdace *base;
	const struct wfp_ale_owner *o;
	int granted;
};

static long sd_one(__u32 k, void *ctx)
{
	struct sdwalk *sw = ctx;
	const struct wfp_ale_sdace *a;

	if (k >= WFP_ALE_MAX_SDACE)
		return 1;
	a = &sw->base[k];
	if (!ace_applies(a, sw->o))
		return 0;
	sw->granted = !a->deny;
	return 1;
}

static __always_inline int sd_check(const struct wfp_ale_policy *pol, __u32 first, __u32 n,
				    const struct wfp_ale_owner *o)
{
	/* a mask, not a compare: the verifier must see the bound on the
	 * very register used for the address (the compiler keeps masks) */
	struct sdwalk sw = { .base = &pol->ace[first & (WFP_ALE_MAX_ACE - 1)], .o = o };

	if (!o || !n)
		return 0;
	bpf_loop(n > WFP_ALE_MAX_SDACE ? WFP_ALE_MAX_SDACE : n, sd_one, &sw, 0);
	return sw.granted;
}

static __always_inline int cond_test(const struct walk *w, const struct wfp_ale_cond *c)
{
	__u32 slot = c->slot;
	const struct wfp_ale_val *v;
	int r;

	if (slot >= WFP_KS_MAX)
		return 0;
	if (c->op == WFP_OP_TRUE)
		return 1;
	if (c->op == WFP_OP_EMPTY)
		return !(w->in->present & (1U << slot)) ^ c->neg;
	/* EMPTY incoming: only NOT_EQUAL holds (docs/internals/conditions.md) */
	if (!(w->in->present & (1U << slot)))
		return c->neg;
	v = &w->in->v[slot];
	switch (c->op) {
	case WFP_OP_EQ:
		r = v->hi == c->a.hi && v->lo == c->a.lo;
		break;
	case WFP_OP_GT:
		return vcmp(v, &c->a) > 0;
	case WFP_OP_LT:
		return vcmp(v, &c->a) < 0;
	case WFP_OP_GE:
		return vcmp(v, &c->a) >= 0;
	case WFP_OP_LE:
		return vcmp(v, &c->a) <= 0;
	case WFP_OP_RANGE:
		return vcmp(v, &c->a) >= 0 && vcmp(v, &c->b) <= 0;
	case WFP_OP_MASK:
		r = (v->hi & c->b.hi) == c->a.hi && (v->lo & c->b.lo) == c->a.lo;
		break;
	case WFP_OP_ALL:
		return (v->lo & c->a.lo) == c->a.lo;
	case WFP_OP_ANY:
		return (v->lo & c->a.lo) != 0;
	case WFP_OP_NONE:
		return (v->lo & c->a.lo) == 0;
	case WFP_OP_TRUE:
		return 1;
	case WFP_OP_SD:
		r = c->sd_nodacl ? 1 : sd_check(w->pol, c->ace_first, c->nace, w->owner);
		break;
	default:
		return 0;
	}
	return r ^ c->neg;
}

/*
 * The walk is two bpf_loops so that the verifier checks one filter and
 * one step, not nested loops: the outer one over the candidate filters
 * (every filter of the layer, or those an index allows, in arbitration
 * order), the inner one over a filter's steps (AND across groups, OR
 * inside a group: spec §5.4).  Jumps are a target step: a failing filter
 * moves it to the next filter, a matching one past its sublayer,
 * because the first terminating filter decides a sublayer (§4.5).
 */
static long step_one(__u32 j, void *ctx)
{
	struct walk *w = ctx;
	const struct wfp_ale_cond *c = &w->pol->cond[(w->pc + j) & (WFP_ALE_MAX_COND - 1)];

	if (c->flags & WFP_CF_GROUP) {
		if (!w->group_ok)
			return 1; /* a group failed: the filter does not match */
		w->group_ok = 0;
	}
	if (!w->group_ok && cond_test(w, c))
		w->group_ok = 1;
	if (c->flags & WFP_CF_LAST) {
		w->fmatch = w->group_ok;
		return 1;
	}
	return 0;
}

static long filter_one(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	const struct wfp_ale_filter *f;
	__u32 pc = w->pol->list[(w->lbase + i) & (WFP_ALE_MAX_LIST - 1)];

	if (pc < w->target)
		return 0;
	f = &w->pol->filt[w->pol->cond[pc & (WFP_ALE_MAX_COND - 1)].filt &
			  (WFP_ALE_MAX_FILT - 1)];
	if (!w->rights) {
		/* final, unless a callout vetoes a hard permit (§4.4) */
		if (w->action == ACTION_BLOCK)
			return 1;
		if (f->flags & WFP_AF_CALLOUT) {
			w->defer = 1;
			return 1;
		}
		w->target = f->next_pc;
		return 0;
	}
	if ((f->flags & (WFP_AF_DEFER | WFP_AF_CALLOUT)) || (f->needs & ~w->in->avail)) {
		w->defer = 1;
		return 1;
	}
	w->pc = pc;
	w->group_ok = 1;
	w->fmatch = 0;
	bpf_loop((f->next_pc - pc) & (WFP_ALE_MAX_COND - 1), step_one, w, 0);
	if (!w->fmatch) {
		w->target = f->next_pc;
		return 0;
	}
	/* spec §4.5 step 9: the result holds the write right here */
	w->nmatched++;
	w->action = f->block ? ACTION_BLOCK : ACTION_PERMIT;
	w->filter_id = f->id;
	if (f->flags & WFP_AF_HARD)
		w->rights = 0;
	w->target = f->sub_end_pc;
	return 0;
}

/* The candidate filters: with an index on a slot known at this call, the
 * incoming value's bucket (or the always list); else every filter. */
static __always_inline __u32 candidates(struct walk *w, __u32 kl)
{
	const struct wfp_ale_index *ix = &w->pol->index[kl & (WFP_KL_MAX - 1)];
	const struct wfp_ale_range *r = &w->pol->layer[kl & (WFP_KL_MAX - 1)];
	__u32 nb = ix->nbuckets, slot = ix->slot, h;
	const struct wfp_ale_val *v;

	w->lbase = r->list_first;
	if (!nb || slot >= WFP_KS_MAX || !(w->in->present & (1U << slot)))
		return r->list_n;
	v = &w->in->v[slot];
	h = wfp_ale_hash(v->hi, v->lo);
	for (__u32 k = 0; k < WFP_ALE_PROBES; k++) {
		__u32 at = (ix->bucket_first + ((h + k) & (nb - 1))) &
			   (WFP_ALE_MAX_BUCKETS - 1);
		const struct wfp_ale_bucket *b = &w->pol->bucket[at];

		if (!b->list_n)
			break;
		if (b->key.hi == v->hi && b->key.lo == v->lo) {
			w->lbase = b->list_first;
			return b->list_n;
		}
	}
	w->lbase = ix->always_first;
	return ix->always_n;
}

/* App index and token availability from the owner. */
static __always_inline void owner_values(struct wfp_ale_in *in, const struct wfp_ale_owner *o)
{
	__u32 *idx;

	if (!o)
		return;
	if (o->path_known) {
		idx = bpf_map_lookup_elem(&apps, o->path);
		in->avail |= 1U << WFP_KS_APP;
		in->present |= 1U << WFP_KS_APP;
		in->v[WFP_KS_APP].lo = idx ? *idx : 0;
	}
	if (o->ngids <= WFP_ALE_MAX_GIDS) {
		in->avail |= 1U << WFP_KS_USER;
		in->present |= 1U << WFP_KS_USER;
	}
}

static __always_inline void set_val(struct wfp_ale_in *in, __u32 slot, __u64 hi, __u64 lo)
{
	if (slot >= WFP_KS_MAX)
		return;
	in->avail |= 1U << slot;
	in->present |= 1U << slot;
	in->v[slot].hi = hi;
	in->v[slot].lo = lo;
}

static __always_inline void set_v6(struct wfp_ale_in *in, __u32 slot, const __u32 *a)
{
	set_val(in, slot,
		((__u64)bpf_ntohl(a[0]) << 32) | bpf_ntohl(a[1]),
		((__u64)bpf_ntohl(a[2]) << 32) | bpf_ntohl(a[3]));
}

static __always_inline int v4_mapped(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static __always_inline void count(__u32 kl, __u32 verdict, int nopol)
{
	struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

	if (!s)
		return;
	if (nopol)
		s->no_policy++;
	else if (verdict == WFP_ALE_BLOCK)
		s->block++;
	else if (verdict == WFP_ALE_DEFER)
		s->defer++;
	else
		s->permit++;
}

/* A UDP flow's key from its incoming values. */
static __always_inline void flow_fill(struct flow_key *fk, const struct wfp_ale_in *in)
{
	fk->raddr[0] = in->v[WFP_KS_RADDR].hi >> 32;
	fk->raddr[1] = (__u32)in->v[WFP_KS_RADDR].hi;
	fk->raddr[2] = in->v[WFP_KS_RADDR].lo >> 32;
	fk->raddr[3] = (__u32)in->v[WFP_KS_RADDR].lo;
	fk->laddr[0] = in->v[WFP_KS_LADDR].hi >> 32;
	fk->laddr[1] = (__u32)in->v[WFP_KS_LADDR].hi;
	fk->laddr[2] = in->v[WFP_KS_LADDR].lo >> 32;
	fk->laddr[3] = (__u32)in->v[WFP_KS_LADDR].lo;
	fk->rport = (__u16)in->v[WFP_KS_RPORT].lo;
	fk->lport = (__u16)in->v[WFP_KS_LPORT].lo;
	fk->klayer = in->klayer;
}

/* Classify in->klayer; returns WFP_ALE_PERMIT/BLOCK/DEFER (a strict
 * layer never defers: BLOCK). */
static __always_inline __u32 classify(struct wfp_ale_in *in, const struct wfp_ale_owner *o,
				      __u64 cookie, struct flow_key *fk)
{
	struct flow_val fv = {}, *hit;
	struct walk w = { .owner = o, .in = in, .rights = 1,
			  .action = ACTION_NONE_NO_MATCH };
	struct wfp_ale_event *ev;
	struct wfp_ale_policy *pol;
	__u32 zero = 0, kl = in->klayer, verdict, n, unavail = 0;
	void *inner;

	if (kl >= WFP_KL_MAX)
		return WFP_ALE_PERMIT;
	inner = bpf_map_lookup_elem(&policy, &zero);
	pol = inner ? bpf_map_lookup_elem(inner, &zero) : NULL;
	if (!pol) {
		count(kl, WFP_ALE_PERMIT, 1);
		return WFP_ALE_PERMIT;
	}
	if (fk) {
		hit = bpf_map_lookup_elem(&udp_flows, fk);
		if (hit && hit->epoch == pol->epoch) {
			struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

			if (s)
				s->cached++;
			return hit->verdict;
		}
	}
	w.pol = pol;
	n = candidates(&w, kl);
	if (n > WFP_ALE_MAX_LIST)
		n = WFP_ALE_MAX_LIST;
	if (n)
		bpf_loop(n, filter_one, &w, 0);
	if (w.defer && (pol->strict & (1U << kl))) {
		/* a strict layer has no userspace fallback (the daemon lets
		 * its new flows bypass NFQUEUE) and the compiler made it
		 * strict only if nothing defers statically: a value missing
		 * now blocks, fail-closed (docs/internals/ebpf.md "Strict") */
		verdict = WFP_ALE_BLOCK;
		unavail = 1;
	} else if (w.defer) {
		verdict = WFP_ALE_DEFER;
	} else {
		verdict = w.action == ACTION_BLOCK ? WFP_ALE_BLOCK : WFP_ALE_PERMIT;
	}
	count(kl, verdict, 0);
	if (unavail) {
		struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

		if (s)
			s->unavailable++;
	}
	if (fk) {
		fv.epoch = pol->epoch;
		fv.verdict = verdict;
		bpf_map_update_elem(&udp_flows, fk, &fv, BPF_ANY);
	}
	if (verdict == WFP_ALE_DEFER)
		bpf_map_update_elem(&deferred, &cookie, in, BPF_ANY);
	if (!cfg_events || (verdict == WFP_ALE_PERMIT && !events_permit))
		return verdict;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

		if (s)
			s->lost++;
		return verdict;
	}
	ev->cookie = cookie;
	ev->filter_id = w.defer ? 0 : w.filter_id;
	ev->flags = unavail ? WFP_ALE_EV_UNAVAILABLE : 0;
	ev->generation = pol->generation;
	ev->verdict = verdict;
	ev->action = w.action;
	ev->nmatched = w.nmatched;
	{
		__u64 pt = bpf_get_current_pid_tgid();

		ev->pid = (__u32)pt;
		ev->tgid = pt >> 32;
	}
	__builtin_memcpy(&ev->in, in, sizeof(*in));
	if (o)
		__builtin_memcpy(&ev->owner, o, sizeof(*o));
	else
		__builtin_memset(&ev->owner, 0, sizeof(ev->owner));
	bpf_ringbuf_submit(ev, 0);
	return verdict;
}

/* ---- the socket calls ---- */

static __always_inline struct wfp_ale_owner *sock_owner(struct bpf_sock *sk)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&owners, sk, 0, 0);
}

static __always_inline int post_bind(struct bpf_sock *sk, int v6)
{
	struct wfp_ale_in in = {};
	struct wfp_ale_owner *o = sock_owner(sk);
	struct bound_key bk = {};
	int ok, mapped = 0;

	in.klayer = v6 ? WFP_KL_BIND6 : WFP_KL_BIND4;
	owner_values(&in, o);
	if (v6) {
		__u32 a6[4];

		/* context fields: constant offsets only */
		a6[0] = sk->src_ip6[0];
		a6[1] = sk->src_ip6[1];
		a6[2] = sk->src_ip6[2];
		a6[3] = sk->src_ip6[3];
		if (v4_mapped(a6)) { /* as in auth_connect */
			in.klayer = WFP_KL_BIND4;
			mapped = 1;
			set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(a6[3]));
			bk.addr[0] = a6[3];
		} else {
			set_v6(&in, WFP_KS_LADDR, a6);
		}
	} else
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(sk->src_ip4));
	set_val(&in, WFP_KS_LPORT, 0, sk->src_port);
	set_val(&in, WFP_KS_PROTO, 0, sk->protocol);
	ok = classify(&in, o, bpf_get_socket_cookie(sk), NULL) != WFP_ALE_BLOCK;
	if (ok && o) {
		bk.proto = sk->protocol;
		bk.v6 = v6 && !mapped;
		bk.port = sk->src_port;
		if (mapped) {
			/* the v4 address, set above */
		} else if (v6) {
			bk.addr[0] = sk->src_ip6[0];
			bk.addr[1] = sk->src_ip6[1];
			bk.addr[2] = sk->src_ip6[2];
			bk.addr[3] = sk->src_ip6[3];
		} else {
			bk.addr[0] = sk->src_ip4;
		}
		bpf_map_update_elem(&bound, &bk, o, BPF_ANY);
	}
	return ok;
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *sk)
{
	return post_bind(sk, 0);
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *sk)
{
	return post_bind(sk, 1);
}

/* connect() and unconnected sendmsg(): ALE_AUTH_CONNECT.  The local
 * address and port are known only if the socket is bound already. */
static __always_inline int auth_connect(struct bpf_sock_addr *ctx, int v6, int sendmsg)
{
	struct flow_key fk = {};
	struct wfp_ale_in in = {};
	__u64 cookie;
	struct bpf_sock *sk = ctx->sk;
	struct wfp_ale_owner *o = sock_owner(sk);
	__u32 a6[4];

	if (!sk)
		return 1;
	in.klayer = v6 ? WFP_KL_CONNECT6 : WFP_KL_CONNECT4;
	owner_values(&in, o);
	if (v6) {
		int mapped;

		a6[0] = ctx->user_ip6[0];
		a6[1] = ctx->user_ip6[1];
		a6[2] = ctx->user_ip6[2];
		a6[3] = ctx->user_ip6[3];
		/* a dual-stack socket going to ::ffff:a.b.c.d is IPv4 traffic:
		 * Windows classifies it at the V4 layer, with V4 addresses */
		mapped = v4_mapped(a6);
		if (mapped) {
			in.klayer = WFP_KL_CONNECT4;
			set_val(&in, WFP_KS_RADDR, 0, bpf_ntohl(a6[3]));
		} else {
			set_v6(&in, WFP_KS_RADDR, a6);
		}
		if (sendmsg) {
			a6[0] = ctx->msg_src_ip6[0];
			a6[1] = ctx->msg_src_ip6[1];
			a6[2] = ctx->msg_src_ip6[2];
			a6[3] = ctx->msg_src_ip6[3];
		}
		if (!sendmsg || !(a6[0] | a6[1] | a6[2] | a6[3])) {
			a6[0] = sk->src_ip6[0];
			a6[1] = sk->src_ip6[1];
			a6[2] = sk->src_ip6[2];
			a6[3] = sk->src_ip6[3];
		}
		if (mapped && v4_mapped(a6))
			set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(a6[3]));
		else if (!mapped && (a6[0] | a6[1] | a6[2] | a6[3]))
			set_v6(&in, WFP_KS_LADDR, a6);
	} else {
		__u32 src = sendmsg ? ctx->msg_src_ip4 : 0;

		set_val(&in, WFP_KS_RADDR, 0, bpf_ntohl(ctx->user_ip4));
		if (!src)
			src = sk->src_ip4;
		if (src)
			set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(src));
	}
	set_val(&in, WFP_KS_RPORT, 0, bpf_ntohs(ctx->user_port));
	if (sk->src_port)
		set_val(&in, WFP_KS_LPORT, 0, sk->src_port);
	set_val(&in, WFP_KS_PROTO, 0, ctx->protocol);
	cookie = bpf_get_socket_cookie(ctx);
	if (!sendmsg)
		return classify(&in, o, cookie, NULL) != WFP_ALE_BLOCK;
	fk.cookie = cookie;
	flow_fill(&fk, &in);
	return classify(&in, o, cookie, &fk) != WFP_ALE_BLOCK;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return auth_connect(ctx, 0, 0);
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	return auth_connect(ctx, 1, 0);
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	return auth_connect(ctx, 0, 1);
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	return auth_connect(ctx, 1, 1);
}

/* listen(): BPF LSM, per cgroup (the socket's).  1 allows, 0 -> EPERM. */
SEC("lsm_cgroup/socket_listen")
int BPF_PROG(auth_listen, struct socket *sock, int backlog)
{
	struct wfp_ale_in in = {};
	struct sock *sk = sock->sk;
	struct wfp_ale_owner *o;
	__u16 family;

	if (!sk)
		return 1;
	family = sk->__sk_common.skc_family;
	if ((family != AF_INET && family != AF_INET6) || sk->sk_type != SOCK_STREAM)
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	in.klayer = family == AF_INET6 ? WFP_KL_LISTEN6 : WFP_KL_LISTEN4;
	owner_values(&in, o);
	if (family == AF_INET6) {
		__u32 a6[4];

		bpf_probe_read_kernel(a6, sizeof(a6),
				      &sk->__sk_common.skc_v6_rcv_saddr);
		if (v4_mapped(a6)) { /* as in post_bind */
			in.klayer = WFP_KL_LISTEN4;
			set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(a6[3]));
		} else {
			set_v6(&in, WFP_KS_LADDR, a6);
		}
	} else {
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(sk->__sk_common.skc_rcv_saddr));
	}
	set_val(&in, WFP_KS_LPORT, 0, sk->__sk_common.skc_num);
	return classify(&in, o, bpf_get_socket_cookie(sk), NULL) != WFP_ALE_BLOCK;
}

/*
 * listen() where the LSM program cannot load (every BPF trampoline is
 * refused here): BPF_SOCK_OPS_TCP_LISTEN_CB runs inside listen(2), in the
 * caller's context with the socket locked, right after the socket entered
 * LISTEN, for every socket of the cgroup (it needs no callback flag).  Its
 * return value cannot fail the call, so the verdict is recorded on the
 * socket (listens) and cgroup_skb/ingress drops every SYN to a listener
 * whose listen was blocked: the listen() succeeds, but nobody can connect
 * (docs/internals/ebpf.md "Known differences").  The incoming values are
 * those of auth_listen.  Every other sockops callback leaves at once.
 */
SEC("sockops")
int listen_ops(struct bpf_sock_ops *ctx)
{
	struct wfp_ale_in in = {};
	struct listen_verdict *lv;
	struct wfp_ale_owner *o;
	struct bpf_sock *sk;
	__u32 family, verdict;

	if (ctx->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	family = ctx->family;
	sk = ctx->sk;
	if (!sk || (family != AF_INET && family != AF_INET6))
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	in.klayer = family == AF_INET6 ? WFP_KL_LISTEN6 : WFP_KL_LISTEN4;
	owner_values(&in, o);
	if (family == AF_INET6) {
		__u32 a6[4];

		a6[0] = ctx->local_ip6[0];
		a6[1] = ctx->local_ip6[1];
		a6[2] = ctx->local_ip6[2];
		a6[3] = ctx->local_ip6[3];
		if (v4_mapped(a6)) { /* as in post_bind */
			in.klayer = WFP_KL_LISTEN4;
			set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(a6[3]));
		} else {
			set_v6(&in, WFP_KS_LADDR, a6);
		}
	} else {
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(ctx->local_ip4));
	}
	set_val(&in, WFP_KS_LPORT, 0, ctx->local_port); /* host order */
	verdict = classify(&in, o, bpf_get_socket_cookie(ctx), NULL);
	/* a defer lets the listener work (RECV_ACCEPT still applies);
	 * recorded even when permitted: a socket that listens again after
	 * a disconnect gets the new verdict */
	lv = bpf_sk_storage_get(&listens, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (lv) {
		lv->blocked = verdict == WFP_ALE_BLOCK;
		lv->klayer = in.klayer;
	}
	return 1;
}

/* An incoming SYN on a listening socket: ALE_AUTH_RECV_ACCEPT.  Runs in
 * softirq: the app and user are the listener's owner, as on Windows.
 * A block drops the SYN (the client sees a timeout, as with WFP). */
SEC("lsm_cgroup/inet_conn_request")
int BPF_PROG(recv_accept, const struct sock *sk, struct sk_buff *skb,
	     struct request_sock *req)
{
	struct wfp_ale_in in = {};
	struct sock_common *rc = &req->__req_common;
	struct wfp_ale_owner *o;
	__u16 family = rc->skc_family;

	if (family != AF_INET && family != AF_INET6)
		return 1;
	o = bpf_sk_storage_get(&owners, (struct sock *)sk, 0, 0);
	in.klayer = family == AF_INET6 ? WFP_KL_ACCEPT6 : WFP_KL_ACCEPT4;
	owner_values(&in, o);
	if (family == AF_INET6) {
		__u32 a6[4];

		bpf_probe_read_kernel(a6, sizeof(a6), &rc->skc_v6_rcv_saddr);
		set_v6(&in, WFP_KS_LADDR, a6);
		bpf_probe_read_kernel(a6, sizeof(a6), &rc->skc_v6_daddr);
		set_v6(&in, WFP_KS_RADDR, a6);
	} else {
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(rc->skc_rcv_saddr));
		set_val(&in, WFP_KS_RADDR, 0, bpf_ntohl(rc->skc_daddr));
	}
	set_val(&in, WFP_KS_LPORT, 0, rc->skc_num);
	set_val(&in, WFP_KS_RPORT, 0, bpf_ntohs(rc->skc_dport));
	set_val(&in, WFP_KS_PROTO, 0, IPPROTO_TCP);
	return classify(&in, o, bpf_get_socket_cookie((struct sock *)sk), NULL) !=
	       WFP_ALE_BLOCK;
}

/*
 * ALE_AUTH_RECV_ACCEPT, the fallback: sk_lookup runs when a TCP SYN or
 * a UDP datagram looks for its socket, per network namespace.  Only
 * endpoints bound by the cgroup's sockets (the bound map) are classified,
 * and only while cgroup_skb/ingress (below) is not attached;
 * the app and user are the bound socket's owner, as on Windows.  SK_DROP
 * makes the lookup fail: a TCP client gets a reset (ECONNREFUSED), not
 * the silent drop of WFP (docs/internals/ebpf.md).
 */
SEC("sk_lookup")
int accept_lookup(struct bpf_sk_lookup *ctx)
{
	struct wfp_ale_in in = {};
	struct bound_key bk = {};
	struct wfp_ale_owner *o;
	int v6 = ctx->family == AF_INET6;
	__u32 a6[4];

	if ((ctx->family != AF_INET && !v6) || skb_ingress_on)
		return SK_PASS; /* cgroup_skb/ingress decides (below) */
	bk.proto = ctx->protocol;
	bk.v6 = v6;
	bk.port = ctx->local_port;
	if (v6) {
		bk.addr[0] = ctx->local_ip6[0];
		bk.addr[1] = ctx->local_ip6[1];
		bk.addr[2] = ctx->local_ip6[2];
		bk.addr[3] = ctx->local_ip6[3];
	} else {
		bk.addr[0] = ctx->local_ip4;
	}
	o = bpf_map_lookup_elem(&bound, &bk);
	if (!o) {
		__builtin_memset(bk.addr, 0, sizeof(bk.addr));
		o = bpf_map_lookup_elem(&bound, &bk);
	}
	if (!o && !v6) {
		bk.v6 = 1; /* a dual-stack wildcard listener */
		o = bpf_map_lookup_elem(&bound, &bk);
	}
	if (!o)
		return SK_PASS; /* not a socket of the cgroup */
	in.klayer = v6 ? WFP_KL_ACCEPT6 : WFP_KL_ACCEPT4;
	owner_values(&in, o);
	if (v6) {
		a6[0] = ctx->local_ip6[0];
		a6[1] = ctx->local_ip6[1];
		a6[2] = ctx->local_ip6[2];
		a6[3] = ctx->local_ip6[3];
		set_v6(&in, WFP_KS_LADDR, a6);
		a6[0] = ctx->remote_ip6[0];
		a6[1] = ctx->remote_ip6[1];
		a6[2] = ctx->remote_ip6[2];
		a6[3] = ctx->remote_ip6[3];
		set_v6(&in, WFP_KS_RADDR, a6);
	} else {
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(ctx->local_ip4));
		set_val(&in, WFP_KS_RADDR, 0, bpf_ntohl(ctx->remote_ip4));
	}
	set_val(&in, WFP_KS_LPORT, 0, ctx->local_port);
	set_val(&in, WFP_KS_RPORT, 0, bpf_ntohs(ctx->remote_port));
	set_val(&in, WFP_KS_PROTO, 0, ctx->protocol);
	if (ctx->protocol == IPPROTO_UDP) {
		struct flow_key fk = {};

		flow_fill(&fk, &in);
		return classify(&in, o, 0, &fk) == WFP_ALE_BLOCK ? SK_DROP : SK_PASS;
	}
	return classify(&in, o, 0, NULL) == WFP_ALE_BLOCK ? SK_DROP : SK_PASS;
}

/*
 * ALE_AUTH_RECV_ACCEPT in cgroup_skb/ingress: runs for every packet
 * delivered to a socket of the cgroup, after the socket lookup (skb->sk
 * is the receiving socket: the listener for a SYN), so returning 0 drops
 * the packet silently, as WFP does (spec §3.8: no RST, no ICMP).  Only
 *   - a TCP SYN without ACK for a LISTEN socket, and
 *   - a UDP datagram for an unconnected UDP socket, once per flow
 * are classified; everything else leaves at the first test.  A connected
 * UDP socket receives only from its peer, a flow authorised at
 * ALE_AUTH_CONNECT (spec §3.1: an authorised flow's packets pass in both
 * directions), and so do the replies to an unconnected socket's own
 * sendto(), found in udp_flows under the socket's cookie.
 */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define SOCK_DGRAM 2
#define TH_SYN 0x02
#define TH_ACK 0x10

/* The datagram answers a flow this socket opened with sendto() and that
 * ALE_AUTH_CONNECT did not block under the current policy. */
static __always_inline int outbound_reply(struct flow_key *fk, __u64 epoch)
{
	__u32 kl = fk->klayer, la[4];
	struct flow_val *fv;

	fk->klayer = kl == WFP_KL_ACCEPT6 ? WFP_KL_CONNECT6 : WFP_KL_CONNECT4;
	fv = bpf_map_lookup_elem(&udp_flows, fk);
	if (!fv) { /* sent from a wildcard-bound socket: laddr unknown */
		__builtin_memcpy(la, fk->laddr, sizeof(la));
		__builtin_memset(fk->laddr, 0, sizeof(fk->laddr));
		fv = bpf_map_lookup_elem(&udp_flows, fk);
		__builtin_memcpy(fk->laddr, la, sizeof(la));
	}
	fk->klayer = kl;
	return fv && fv->epoch == epoch && fv->verdict != WFP_ALE_BLOCK;
}

static __always_inline int skb_accept(struct __sk_buff *skb, struct bpf_sock *sk, int listen)
{
	struct wfp_ale_in in = {};
	struct flow_key fk = {};
	struct wfp_ale_owner *o;
	struct bpf_sock *fs;
	__u32 saddr[4] = {}, daddr[4] = {}, off;
	__u16 ports[2];
	__u8 hdr[40], proto;
	__u64 cookie;
	int v6;

	/* the data starts at the network header in cgroup_skb */
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		v6 = 1;
		if (bpf_skb_load_bytes(skb, 0, hdr, 40))
			return 1;
		proto = hdr[6];
		off = 40;
		__builtin_memcpy(saddr, &hdr[8], 16);
		__builtin_memcpy(daddr, &hdr[24], 16);
		/* hop-by-hop, routing, destination options (fragments were
		 * reassembled before the socket) */
		for (int i = 0; i < 4; i++) {
			__u8 eh[2];

			if (proto != 0 && proto != 43 && proto != 60)
				break;
			if (bpf_skb_load_bytes(skb, off, eh, 2))
				return 1;
			proto = eh[0];
			off += (eh[1] + 1) * 8;
		}
	} else if (skb->protocol == bpf_htons(ETH_P_IP)) {
		/* also a v4 packet for a dual-stack v6 socket: the V4 layer */
		v6 = 0;
		if (bpf_skb_load_bytes(skb, 0, hdr, 20))
			return 1;
		proto = hdr[9];
		off = (hdr[0] & 0xf) * 4;
		__builtin_memcpy(saddr, &hdr[12], 4);
		__builtin_memcpy(daddr, &hdr[16], 4);
	} else {
		return 1;
	}
	if (listen) {
		__u8 fl;

		if (proto != IPPROTO_TCP || bpf_skb_load_bytes(skb, off + 13, &fl, 1) ||
		    (fl & (TH_SYN | TH_ACK)) != TH_SYN)
			return 1;
	} else if (proto != IPPROTO_UDP) {
		return 1;
	}
	fs = bpf_sk_fullsock(sk);
	if (!fs)
		return 1;
	if (listen) {
		/* its listen() was blocked (listen_ops): no connection at
		 * all, whatever RECV_ACCEPT would say; silently, counted */
		struct listen_verdict *lv = bpf_sk_storage_get(&listens, fs, 0, 0);

		if (lv && lv->blocked) {
			__u32 kl = lv->klayer;
			struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

			if (s)
				s->listen_drop++;
			return 0;
		}
	}
	if (!listen && (fs->type != SOCK_DGRAM || fs->protocol != IPPROTO_UDP))
		return 1; /* raw, ping: not ALE flows */
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return 1;

	/* the same incoming values as accept_lookup builds */
	in.klayer = v6 ? WFP_KL_ACCEPT6 : WFP_KL_ACCEPT4;
	if (v6) {
		set_v6(&in, WFP_KS_LADDR, daddr);
		set_v6(&in, WFP_KS_RADDR, saddr);
	} else {
		set_val(&in, WFP_KS_LADDR, 0, bpf_ntohl(daddr[0]));
		set_val(&in, WFP_KS_RADDR, 0, bpf_ntohl(saddr[0]));
	}
	set_val(&in, WFP_KS_LPORT, 0, bpf_ntohs(ports[1]));
	set_val(&in, WFP_KS_RPORT, 0, bpf_ntohs(ports[0]));
	set_val(&in, WFP_KS_PROTO, 0, proto);
	cookie = bpf_get_socket_cookie(skb); /* the receiving socket's */
	fk.cookie = cookie;
	flow_fill(&fk, &in);
	if (proto == IPPROTO_UDP) {
		/* most datagrams belong to a flow decided already: the
		 * cheapest test first, the owner only for a new flow */
		struct wfp_ale_policy *pol;
		struct flow_val *hit;
		__u32 zero = 0, kl = in.klayer;
		void *inner;

		inner = bpf_map_lookup_elem(&policy, &zero);
		pol = inner ? bpf_map_lookup_elem(inner, &zero) : NULL;
		if (pol) {
			hit = bpf_map_lookup_elem(&udp_flows, &fk);
			if (hit && hit->epoch == pol->epoch) {
				struct wfp_ale_stats *s = bpf_map_lookup_elem(&stats, &kl);

				if (s)
					s->cached++;
				return hit->verdict != WFP_ALE_BLOCK;
			}
			if (outbound_reply(&fk, pol->epoch))
				return 1;
		}
	}
	o = bpf_sk_storage_get(&owners, fs, 0, 0);
	owner_values(&in, o);
	return classify(&in, o, cookie, proto == IPPROTO_UDP ? &fk : NULL) != WFP_ALE_BLOCK;
}

SEC("cgroup_skb/ingress")
int accept_skb(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u32 state;

	if (!sk)
		return 1;
	/* every packet of the cgroup's sockets comes here: leave at once
	 * unless a listener or an unconnected socket receives it */
	state = sk->state;
	if (state != BPF_TCP_LISTEN && state != BPF_TCP_CLOSE)
		return 1;
	return skb_accept(skb, sk, state == BPF_TCP_LISTEN);
}
