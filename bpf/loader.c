/* SPDX-License-Identifier: MIT */
/*
 * loader.c - the eBPF back end's userspace half: load the skeleton,
 * attach to one cgroup, publish compiled policies atomically, seed and
 * intern executable paths, and drain the event ring.
 *
 * Publication (spec §6.3, all or nothing): every policy goes into a new
 * single-entry array map, which then replaces the old one in the
 * array-of-maps slot the programs read.  A program holds the inner map it
 * looked up until it returns, and the kernel frees the old inner map only
 * after an RCU grace period, so no classification sees half a policy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "wfp_ale.skel.h"

struct app {
	char path[WFP_ALE_PATH_MAX];
	uint32_t idx;
};

struct wfp_ebpf {
	struct wfp_ale *skel;
	struct bpf_link *links[24];
	unsigned nlinks;
	struct wfp_ebpf_hooks hooks;
	struct app *apps;
	size_t napps, capapps;
	struct ring_buffer *rb;
	wfp_ebpf_event_fn fn;
	void *fn_ctx;
	struct wfp_ale_policy *pol; /* ~2 MB, reused */
	uint64_t epoch;
	bool cg_attached;	/* sock_create, post_bind, connect, sendmsg */
	bool lsm_attached;	/* listen (and recv-accept without skb) */
	bool sockops_attached;	/* listen, enforced by accept_skb */
};

static __attribute__((format(printf, 2, 0))) int
silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("WFP_EBPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Opens and loads the skeleton; the LSM programs only if lsm is set,
 * the cgroup_skb one only if skb is set, the sockops listen one only if
 * sockops is set, nothing else if only is set (the probe). */
static struct wfp_ale *load(bool lsm, bool skb, bool sockops, bool only, int *err)
{
	struct wfp_ale *s = wfp_ale__open();
	struct bpf_program *p;

	if (!s) {
		*err = -errno;
		return NULL;
	}
	if (only)
		bpf_object__for_each_program(p, s->obj)
			bpf_program__set_autoload(p, false);
	bpf_program__set_autoload(s->progs.auth_listen, lsm);
	bpf_program__set_autoload(s->progs.recv_accept, lsm);
	if (!only) {
		bpf_program__set_autoload(s->progs.accept_skb, skb);
		bpf_program__set_autoload(s->progs.listen_ops, sockops);
	}
	*err = wfp_ale__load(s);
	if (*err) {
		wfp_ale__destroy(s);
		return NULL;
	}
	return s;
}

/* WFP_EBPF_DISABLE=lsm,sock_addr,exec,skb,sockops pretends those hooks are missing,
 * so that the fallback paths can be tested on a kernel that has them. */
static bool disabled(const char *hook)
{
	const char *v = getenv("WFP_EBPF_DISABLE");
	size_t n = strlen(hook);

	for (const char *p = v; p && *p; p += strcspn(p, ","), p += *p == ',') {
		if (!strncmp(p, hook, n) && (p[n] == ',' || p[n] == 0))
			return true;
	}
	return false;
}

struct wfp_ebpf *wfp_ebpf_open(const char **why)
{
	struct wfp_ebpf *b = calloc(1, sizeof(*b));
	int err;

	libbpf_set_print(silent);
	if (!b)
		return NULL;
	if (disabled("sock_addr")) {
		*why = "cgroup sock_addr hooks (disabled by WFP_EBPF_DISABLE)";
		free(b);
		errno = EOPNOTSUPP;
		return NULL;
	}
	b->pol = malloc(sizeof(*b->pol));
	if (!b->pol)
		goto out_free;
	/* BPF LSM programs need trampolines; some kernels refuse them even
	 * with "bpf" in the LSM list.  Then listen/recv-accept are missing
	 * and everything else still works. */
	b->skel = disabled("lsm") ? (err = -EOPNOTSUPP, NULL) :
		  load(true, false, false, true, &err);
	if (b->skel) {
		b->hooks.lsm_cgroup = true;
		wfp_ale__destroy(b->skel);
	} else {
		b->hooks.lsm_err = err;
	}
	/* cgroup_skb/ingress: RECV_ACCEPT with a silent drop.  Should it
	 * not load, the rest still does (sk_lookup remains). */
	b->hooks.skb_ingress = !disabled("skb");
	b->hooks.skb_err = b->hooks.skb_ingress ? 0 : -EOPNOTSUPP;
	/* listen without the LSM: sockops classifies, and the skb program
	 * enforces (drops the SYNs of a blocked listener), so it needs
	 * both; with the LSM, listen() fails there and sockops stays out
	 * (no double classification) */
	if (b->hooks.lsm_cgroup)
		b->hooks.sockops_err = 0;
	else if (disabled("sockops"))
		b->hooks.sockops_err = -EOPNOTSUPP;
	else if (!b->hooks.skb_ingress)
		b->hooks.sockops_err = b->hooks.skb_err;
	else
		b->hooks.listen_sockops = true;
	b->skel = load(b->hooks.lsm_cgroup, b->hooks.skb_ingress, b->hooks.listen_sockops,
		       false, &err);
	if (!b->skel && b->hooks.listen_sockops) {
		b->hooks.listen_sockops = false;
		b->hooks.sockops_err = err;
		b->skel = load(b->hooks.lsm_cgroup, b->hooks.skb_ingress, false, false, &err);
	}
	if (!b->skel && b->hooks.skb_ingress) {
		b->hooks.skb_ingress = false;
		b->hooks.skb_err = err;
		b->skel = load(b->hooks.lsm_cgroup, false, false, false, &err);
	}
	if (!b->skel) {
		*why = "cgroup sock_addr programs (load failed)";
		errno = -err;
		goto out_free;
	}
	b->hooks.sock_addr = true;
	return b;

out_free:
	free(b->pol);
	free(b);
	return NULL;
}

static int add_link(struct wfp_ebpf *b, struct bpf_link *l)
{
	if (!l)
		return -errno;
	if (b->nlinks < sizeof(b->links) / sizeof(b->links[0]))
		b->links[b->nlinks++] = l;
	return 0;
}

/* Seeds the path of every running process (BPF_NOEXIST: an exec seen by
 * the tracepoint meanwhile is newer). */
static void seed_procs(struct wfp_ebpf *b)
{
	int fd = bpf_map__fd(b->skel->maps.procs);
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char link[64], path[WFP_ALE_PATH_MAX] = { 0 };
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		__u32 key = (__u32)pid;
		ssize_t n;

		if (*end || !pid)
			continue;
		snprintf(link, sizeof(link), "/proc/%lu/exe", pid);
		n = readlink(link, path, sizeof(path));
		if (n <= 0 || n >= (ssize_t)sizeof(path))
			continue;
		bpf_map_update_elem(fd, &key, path, BPF_NOEXIST);
	}
	closedir(d);
}

/* ---- sockets that existed before the programs ---- */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* The cgroup2 mount point and path's place below it ("/a/b", "" for the
 * root); -1 if path is not on a cgroup2 mount. */
static int cgroup_rel(const char *path, char *mnt, size_t mlen, char *rel, size_t rlen)
{
	char real[PATH_MAX], line[PATH_MAX + 64], dev[64], dir[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	size_t n;
	int ret = -1;

	if (!f || !realpath(path, real)) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %4095s %63s", dev, dir, type) != 3 || strcmp(type, "cgroup2"))
			continue;
		n = strlen(dir);
		if (strncmp(real, dir, n) || (real[n] != '/' && real[n] != 0))
			continue;
		snprintf(mnt, mlen, "%s", dir);
		snprintf(rel, rlen, "%s", real + n);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* A process's owner record as sock_create would have made it, from
 * /proc; -1 if it is gone or not in the cgroup (rel, below mnt). */
static int proc_owner(unsigned long pid, const char *mnt, const char *rel,
		      struct wfp_ale_owner *o)
{
	char p[64], line[1024], cg[PATH_MAX], full[2 * PATH_MAX];
	unsigned long u[4], g[4];
	bool have_u = false, have_g = false, in_cg = false;
	size_t rn = strlen(rel);
	struct timespec ts;
	struct stat sb;
	ssize_t n;
	FILE *f;

	memset(o, 0, sizeof(*o));
	snprintf(p, sizeof(p), "/proc/%lu/cgroup", pid);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(cg, sizeof(cg), "%s", line + 3);
		in_cg = !rn || (!strncmp(cg, rel, rn) && (cg[rn] == '/' || cg[rn] == 0));
	}
	fclose(f);
	if (!in_cg)
		return -1;
	snprintf(full, sizeof(full), "%s%s", mnt, cg);
	if (!stat(full, &sb))
		o->cgroup_id = sb.st_ino; /* the cgroup id is its inode */
	snprintf(p, sizeof(p), "/proc/%lu/status", pid);
	f = fopen(p, "re");
	if (!f)
		return -1;
	o->ngids = 1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4) {
			have_u = true;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &g[0], &g[1], &g[2], &g[3]) == 4) {
			have_g = true;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *s = line + 7, *end;

			for (;;) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s)
					break;
				s = end;
				if (o->ngids >= WFP_ALE_MAX_GIDS) {
					o->ngids = WFP_ALE_MAX_GIDS + 1; /* unknown: defers */
					break;
				}
				o->gids[o->ngids++] = (uint32_t)v;
			}
		}
	}
	fclose(f);
	if (!have_u || !have_g)
		return -1;
	o->pid = o->tgid = (uint32_t)pid;
	o->uid = (uint32_t)u[0];
	o->euid = (uint32_t)u[1];
	o->gid = (uint32_t)g[0];
	o->egid = (uint32_t)g[1];
	o->gids[0] = o->egid;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	o->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	snprintf(p, sizeof(p), "/proc/%lu/comm", pid);
	f = fopen(p, "re");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(o->comm, sizeof(o->comm), "%.15s", line);
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%lu/exe", pid);
	n = readlink(p, o->path, sizeof(o->path));
	if (n > 0 && n < (ssize_t)sizeof(o->path))
		o->path_known = 1;
	else
		memset(o->path, 0, sizeof(o->path));
	return 0;
}

/* struct bound_key of wfp_ale.bpf.c (the key of the bound map). */
struct bound_key {
	uint8_t proto;
	uint8_t v6;
	uint16_t port;		/* host order */
	uint32_t addr[4];	/* network order; zero: wildcard */
};

/* The bound key post_bind would have recorded for socket fd; -1 if it
 * is not a bound UDP socket or a TCP listener. */
static int bound_of(int fd, struct bound_key *k)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int proto;
	socklen_t plen = sizeof(proto);

	memset(k, 0, sizeof(*k));
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (proto == IPPROTO_TCP) {
		int acc = 0;
		socklen_t alen = sizeof(acc);

		/* of TCP, only listeners receive SYNs */
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) || !acc)
			return -1;
	}
	k->proto = (uint8_t)proto;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		k->port = ntohs(a->sin_port);
		k->addr[0] = a->sin_addr.s_addr;
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		k->port = ntohs(a->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			memcpy(&k->addr[0], &a->sin6_addr.s6_addr[12], 4);
		} else {
			k->v6 = 1;
			memcpy(k->addr, &a->sin6_addr, 16);
		}
	} else {
		return -1;
	}
	return k->port ? 0 : -1;
}

/*
 * Sockets created before the programs were attached have no owner record
 * (sock_create did not see them): their app and user would be "not
 * available" for good, and a strict layer would block them.  So, after
 * attaching, the loader records an owner for every IPv4/IPv6 socket held
 * by a process of the cgroup, from /proc (as seed_procs does for paths),
 * taking a copy of the descriptor with pidfd_getfd(): in owners (key:
 * the descriptor), owner_by_cookie and, if bound, bound.  BPF_NOEXIST: a
 * record made by sock_create meanwhile is exact and stays.  A socket
 * shared by several processes gets the first one found; one that moved
 * to another cgroup's process is missed.
 */
static void seed_owners(struct wfp_ebpf *b, const char *cgroup_path)
{
	int ofd = bpf_map__fd(b->skel->maps.owners);
	int cfd = bpf_map__fd(b->skel->maps.owner_by_cookie);
	int bfd = bpf_map__fd(b->skel->maps.bound);
	bool bkey_ok = bpf_map__key_size(b->skel->maps.bound) == sizeof(struct bound_key);
	char mnt[PATH_MAX], rel[PATH_MAX];
	pid_t self = getpid();
	struct dirent *de;
	DIR *d;

	if (cgroup_rel(cgroup_path, mnt, sizeof(mnt), rel, sizeof(rel)))
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end, dir[64];
		unsigned long pid = strtoul(de->d_name, &end, 10);
		struct wfp_ale_owner o;
		struct dirent *fe;
		DIR *fds;
		int pfd;

		if (*end || !pid || (pid_t)pid == self || proc_owner(pid, mnt, rel, &o))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%lu/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue;
		pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		while (pfd >= 0 && (fe = readdir(fds))) {
			char link[128], target[64];
			unsigned long tfd = strtoul(fe->d_name, &end, 10);
			struct bound_key bk;
			int sfd, fam;
			socklen_t flen = sizeof(fam);
			__u64 cookie;
			socklen_t clen = sizeof(cookie);
			ssize_t n;

			if (*end)
				continue;
			snprintf(link, sizeof(link), "%s/%lu", dir, tfd);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			if (strncmp(target, "socket:", 7))
				continue;
			sfd = (int)syscall(SYS_pidfd_getfd, pfd, (int)tfd, 0);
			if (sfd < 0)
				continue;
			if (!getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &fam, &flen) &&
			    (fam == AF_INET || fam == AF_INET6)) {
				bpf_map_update_elem(ofd, &sfd, &o, BPF_NOEXIST);
				if (!getsockopt(sfd, SOL_SOCKET, SO_COOKIE, &cookie, &clen))
					bpf_map_update_elem(cfd, &cookie, &o, BPF_NOEXIST);
				if (bkey_ok && !bound_of(sfd, &bk))
					bpf_map_update_elem(bfd, &bk, &o, BPF_NOEXIST);
			}
			close(sfd);
		}
		if (pfd >= 0)
			close(pfd);
		closedir(fds);
	}
	closedir(d);
}

int wfp_ebpf_attach(struct wfp_ebpf *b, const char *cgroup_path, const char **why)
{
	struct wfp_ale *s = b->skel;
	struct bpf_program *cg[] = {
		s->progs.sock_create, s->progs.post_bind4, s->progs.post_bind6,
		s->progs.connect4, s->progs.connect6, s->progs.sendmsg4,
		s->progs.sendmsg6,
	};
	int cgfd, ret = 0;

	ret = disabled("exec") ? -EOPNOTSUPP : add_link(b, bpf_program__attach(s->progs.exec_path));
	if (!ret)
		ret = add_link(b, bpf_program__attach(s->progs.fork_path));
	if (!ret)
		ret = add_link(b, bpf_program__attach(s->progs.exit_path));
	b->hooks.exec_path = !ret;
	b->hooks.exec_err = ret;
	seed_procs(b);

	cgfd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		*why = "opening the cgroup";
		return -errno;
	}
	for (size_t i = 0; i < sizeof(cg) / sizeof(cg[0]); i++) {
		ret = add_link(b, bpf_program__attach_cgroup(cg[i], cgfd));
		if (ret) {
			*why = bpf_program__name(cg[i]);
			goto out;
		}
	}
	b->cg_attached = true;
	if (b->hooks.skb_ingress) {
		ret = add_link(b, bpf_program__attach_cgroup(s->progs.accept_skb, cgfd));
		b->hooks.skb_ingress = !ret;
		b->hooks.skb_err = ret;
		/* sk_lookup stands by from now on (no double events) */
		if (!ret)
			s->bss->skb_ingress_on = 1;
		ret = 0;
	}
	if (b->hooks.listen_sockops && !b->hooks.skb_ingress) {
		/* nothing would enforce its verdicts */
		b->hooks.listen_sockops = false;
		b->hooks.sockops_err = b->hooks.skb_err;
	} else if (b->hooks.listen_sockops) {
		ret = add_link(b, bpf_program__attach_cgroup(s->progs.listen_ops, cgfd));
		b->hooks.listen_sockops = !ret;
		b->hooks.sockops_err = ret;
		b->sockops_attached = !ret;
		ret = 0;
	}
	if (b->hooks.lsm_cgroup) {
		ret = add_link(b, bpf_program__attach_cgroup(s->progs.auth_listen, cgfd));
		/* the SYN is classified by cgroup_skb/ingress when it is
		 * there (it also covers UDP): not twice */
		if (!ret && !b->hooks.skb_ingress)
			ret = add_link(b, bpf_program__attach_cgroup(s->progs.recv_accept, cgfd));
		if (ret) {
			b->hooks.lsm_cgroup = false;
			b->hooks.lsm_err = ret;
			ret = 0;
		}
		b->lsm_attached = b->hooks.lsm_cgroup;
	}
	/* after the attach: what sock_create records from now on wins */
	seed_owners(b, cgroup_path);
out:
	close(cgfd);
	return ret;
}

int wfp_ebpf_attach_netns(struct wfp_ebpf *b, const char *netns_path, const char **why)
{
	int fd = open(netns_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		*why = "opening the network namespace";
		return -errno;
	}
	ret = add_link(b, bpf_program__attach_netns(b->skel->progs.accept_lookup, fd));
	if (ret)
		*why = "sk_lookup";
	b->hooks.sk_lookup = !ret;
	close(fd);
	return ret;
}

void wfp_ebpf_hooks(const struct wfp_ebpf *b, struct wfp_ebpf_hooks *h)
{
	*h = b->hooks;
}

static int intern(void *ctx, const uint8_t *path, size_t len, uint32_t *idx)
{
	struct wfp_ebpf *b = ctx;
	struct app *a;

	for (size_t i = 0; i < b->napps; i++) {
		if (strlen(b->apps[i].path) == len && !memcmp(b->apps[i].path, path, len)) {
			*idx = b->apps[i].idx;
			return 0;
		}
	}
	if (b->napps == b->capapps) {
		size_t cap = b->capapps ? 2 * b->capapps : 64;
		struct app *na = realloc(b->apps, cap * sizeof(*na));

		if (!na)
			return -WFP_E_NOMEM;
		b->apps = na;
		b->capapps = cap;
	}
	a = &b->apps[b->napps];
	memset(a, 0, sizeof(*a));
	memcpy(a->path, path, len);
	a->idx = (uint32_t)b->napps + 1;
	/* before the policy that names it is published */
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.apps), a->path, &a->idx, BPF_ANY))
		return -WFP_E_LIMIT;
	b->napps++;
	*idx = a->idx;
	return 0;
}

/* Kernel layers whose hook is attached now. */
static uint32_t live_layers(const struct wfp_ebpf *b)
{
	uint32_t m = 0;

	if (b->cg_attached)
		m |= 1U << WFP_KL_BIND4 | 1U << WFP_KL_BIND6 |
		     1U << WFP_KL_CONNECT4 | 1U << WFP_KL_CONNECT6;
	/* sockops classifies every listen() of the cgroup and the skb
	 * program enforces a block on every SYN: complete too (a listen()
	 * that succeeds, but nobody can connect) */
	if (b->lsm_attached || (b->sockops_attached && b->hooks.skb_ingress))
		m |= 1U << WFP_KL_LISTEN4 | 1U << WFP_KL_LISTEN6;
	/* sk_lookup and the LSM see only part of RECV_ACCEPT (the
	 * cgroup's bound endpoints in one netns; TCP only) */
	if (b->cg_attached && b->hooks.skb_ingress)
		m |= 1U << WFP_KL_ACCEPT4 | 1U << WFP_KL_ACCEPT6;
	return m;
}

int wfp_ebpf_publish(struct wfp_ebpf *b, const struct wfp_engine *e,
		     struct wfp_ebpf_stats *st)
{
	return wfp_ebpf_publish_strict(b, e, 0, st);
}

int wfp_ebpf_publish_strict(struct wfp_ebpf *b, const struct wfp_engine *e,
			    uint32_t strict_mask, struct wfp_ebpf_stats *st)
{
	struct wfp_ebpf_stats own;
	__u32 zero = 0;
	int fd, ret;

	if (!st)
		st = &own;
	ret = wfp_ebpf_compile(e, b->pol, intern, b, st);
	if (ret)
		return ret;
	/* strict only where nothing defers statically and the hook is
	 * attached: elsewhere a deferral still reaches userspace */
	st->complete_mask &= live_layers(b);
	st->strict_mask = strict_mask & st->complete_mask;
	b->pol->strict = st->strict_mask;
	/* the UDP flow cache keys verdicts on this: a new policy, even one
	 * with the same engine generation, invalidates them all */
	b->pol->epoch = ++b->epoch;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "wfp_policy", sizeof(__u32),
			    sizeof(struct wfp_ale_policy), 1, NULL);
	if (fd < 0)
		return -errno;
	ret = bpf_map_update_elem(fd, &zero, b->pol, BPF_ANY);
	if (!ret)
		ret = bpf_map_update_elem(bpf_map__fd(b->skel->maps.policy), &zero, &fd, BPF_ANY);
	if (ret)
		ret = -errno;
	close(fd);
	return ret;
}

int wfp_ebpf_unpublish(struct wfp_ebpf *b)
{
	__u32 zero = 0;

	if (bpf_map_delete_elem(bpf_map__fd(b->skel->maps.policy), &zero) && errno != ENOENT)
		return -errno;
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct wfp_ebpf *b = ctx;

	if (size >= sizeof(struct wfp_ale_event) && b->fn)
		b->fn(data, b->fn_ctx);
	return 0;
}

int wfp_ebpf_event_fd(struct wfp_ebpf *b)
{
	if (!b->rb) {
		b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), on_event, b, NULL);
		if (!b->rb)
			return -1;
	}
	return ring_buffer__epoll_fd(b->rb);
}

void wfp_ebpf_permit_events(struct wfp_ebpf *b, bool on)
{
	b->skel->data->events_permit = on;
}

int wfp_ebpf_poll(struct wfp_ebpf *b, int timeout_ms, wfp_ebpf_event_fn fn, void *ctx)
{
	if (!b->rb && wfp_ebpf_event_fd(b) < 0)
		return -errno;
	b->fn = fn;
	b->fn_ctx = ctx;
	return ring_buffer__poll(b->rb, timeout_ms);
}

int wfp_ebpf_owner(struct wfp_ebpf *b, uint64_t cookie, struct wfp_ale_owner *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.owner_by_cookie), &cookie, out))
		return -errno;
	return 0;
}

int wfp_ebpf_stats(struct wfp_ebpf *b, unsigned klayer, struct wfp_ale_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wfp_ale_stats *v;
	__u32 key = klayer;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.stats), &key, v)) {
		free(v);
		return -errno;
	}
	for (int i = 0; i < ncpu; i++) {
		out->permit += v[i].permit;
		out->block += v[i].block;
		out->defer += v[i].defer;
		out->no_policy += v[i].no_policy;
		out->lost += v[i].lost;
		out->cached += v[i].cached;
		out->unavailable += v[i].unavailable;
		out->listen_drop += v[i].listen_drop;
	}
	free(v);
	return 0;
}

void wfp_ebpf_close(struct wfp_ebpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	while (b->nlinks)
		bpf_link__destroy(b->links[--b->nlinks]);
	wfp_ale__destroy(b->skel);
	free(b->apps);
	free(b->pol);
	free(b);
}
