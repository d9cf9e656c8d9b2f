/* SPDX-License-Identifier: MIT */
/*
 * sockdiag.c - process attribution without eBPF: ask NETLINK_SOCK_DIAG for
 * the socket a packet belongs to (exact lookup, which falls back to the
 * listener or the bound UDP socket just as the receive path does), then
 * find the process holding that socket's inode under /proc.
 *
 * The race (docs/wfpd.md): this happens after the packet was queued, not
 * at the socket call.  A socket closed in between is not found; an fd
 * shared by several processes reports the first one /proc lists; a
 * process that exec()s after connect() reports the new image.  The eBPF
 * backend will attribute at the socket operation instead.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live.h"

int sockdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	if (fd < 0)
		return -errno;
	/* bounded: a lookup never stalls the verdict loop for long */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void put_addr(__be32 *dst, const struct wfp_addr *a)
{
	if (a->family == 4)
		dst[0] = htonl(a->v4);
	else
		memcpy(dst, a->v6, 16);
}

int sockdiag_lookup(int fd, int family, int proto, const struct wfp_addr *laddr,
		    uint16_t lport, const struct wfp_addr *raddr, uint16_t rport,
		    struct sockinfo *si)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	char buf[8192];
	struct nlmsghdr *nh;
	ssize_t n;

	memset(si, 0, sizeof(*si));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.r.sdiag_family = family == 4 ? AF_INET : AF_INET6;
	req.r.sdiag_protocol = (uint8_t)proto;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* TCP looks up (dst -> src) like an arriving segment; UDP's exact
	 * lookup takes src as the packet's source: the peer. */
	if (proto == IPPROTO_TCP) {
		req.r.id.idiag_sport = htons(lport);
		req.r.id.idiag_dport = htons(rport);
		put_addr(req.r.id.idiag_src, laddr);
		put_addr(req.r.id.idiag_dst, raddr);
	} else {
		req.r.id.idiag_sport = htons(rport);
		req.r.id.idiag_dport = htons(lport);
		put_addr(req.r.id.idiag_src, raddr);
		put_addr(req.r.id.idiag_dst, laddr);
	}
	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		struct inet_diag_msg *m;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			return e->error == -ENOENT ? 0 : e->error;
		}
		if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		m = NLMSG_DATA(nh);
		si->found = true;
		si->state = m->idiag_state;
		si->uid = m->idiag_uid;
		si->inode = m->idiag_inode;
		si->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
		return 0;
	}
	return 0;
}

/* Does /proc/<pid>/fd hold "socket:[inode]"? */
static int pid_has_socket(const char *pid, const char *want)
{
	char dir[300], lnk[600], tgt[64];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(lnk, sizeof(lnk), "%s/%s", dir, de->d_name);
		n = readlink(lnk, tgt, sizeof(tgt) - 1);
		if (n <= 0)
			continue;
		tgt[n] = '\0';
		found = !strcmp(tgt, want);
	}
	closedir(d);
	return found;
}

int sockdiag_app(uint64_t inode, char *path, size_t len, int32_t *pid)
{
	char want[48], exe[300];
	struct dirent *de;
	DIR *d;
	int rc = -ENOENT;

	if (!inode)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (!pid_has_socket(de->d_name, want))
			continue;
		snprintf(exe, sizeof(exe), "/proc/%s/exe", de->d_name);
		n = readlink(exe, path, len - 1);
		if (n <= 0)
			continue;
		path[n] = '\0';
		*pid = (int32_t)strtol(de->d_name, NULL, 10);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}
