/* SPDX-License-Identifier: MIT */
/*
 * nft.c - install wfpd's nftables table through libnftables (and, for the
 * xtables NFQUEUE target, libnftnl): never by running nft(8), and never on
 * the packet path, which only ever changes the epoch set.
 *
 *   table inet openwfp {
 *     set epoch { type mark; }                      authorised epoch(s)
 *     chain input  { type filter hook input  priority filter + 10; policy drop;
 *       ct state established ct mark & MASK == @epoch accept     fast path
 *       icmpv6 type { nd-* } accept                  neighbour discovery
 *       queue to Q..Q+n-1, fanout, NO bypass         everything else asks wfpd
 *     }
 *     chain output { ... same, plus first:
 *       (and before the queue, in both chains:)
 *       meta mark & MASK == @epoch accept            the kernel path (below)
 *       meta mark & REJ == REJ meta l4proto tcp reject with tcp reset
 *       meta mark & REJ == REJ reject with icmpx admin-prohibited
 *     }
 *   }
 *
 * Fail-closed: without bypass, a queue with no listener drops (the kernel
 * answers "no queue" with NF_DROP), and while the queue rule is being
 * added the chain policy drops.  --fail-open uses policy accept and the
 * bypass flag instead.  The REJ mark is set by an NF_REPEAT verdict: the
 * chain runs again and the reject rules answer the local sender.
 *
 * Queue path (issue 10 item 7): the native `queue` expression needs
 * CONFIG_NFT_QUEUE; where it is missing (ENOENT) the xtables NFQUEUE
 * target (revision 3) is used through nft_compat, built here with libnftnl
 * exactly as iptables-nft builds it.
 */
#include <errno.h>
#include <stdarg.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "nft.h"

/* the chains that queue; forward last (no marks, no post chain) */
static const char *const chains[] = { "input", "output", "forward" };
enum { NCHAINS = sizeof(chains) / sizeof(chains[0]) };

/* Runs nft syntax through libnftables; the error text goes to err. */
static int run(const char *cmd, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *e;
	int rc;

	if (!ctx) {
		snprintf(err, errlen, "libnftables: out of memory");
		return -1;
	}
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, cmd);
	e = nft_ctx_get_error_buffer(ctx);
	if (rc && err)
		snprintf(err, errlen, "%s", e && *e ? e : "nftables command failed");
	nft_ctx_free(ctx);
	return rc ? -1 : 0;
}

static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

/* The native queue statement, as nft syntax. */
static void queue_stmt(const struct wfpd *d, char *s, size_t len)
{
	const char *flags = d->cfg.fail_open ? (d->cfg.nqueues > 1 ? " bypass,fanout" : " bypass")
					     : (d->cfg.nqueues > 1 ? " fanout" : "");

	if (d->cfg.nqueues > 1)
		snprintf(s, len, "queue num %u-%u%s", d->cfg.queue_base,
			 d->cfg.queue_base + d->cfg.nqueues - 1, flags);
	else
		snprintf(s, len, "queue num %u%s", d->cfg.queue_base, flags);
}

/* Packet-mark bits that tell wfpd what conntrack knows (this kernel may
 * lack CONFIG_NETFILTER_NETLINK_GLUE_CT, so NFQA_CT cannot be relied on). */
uint32_t nft_info_est(const struct wfpd *d)
{
	return d->cfg.reject_mark >> 1;
}

uint32_t nft_info_reply(const struct wfpd *d)
{
	return d->cfg.reject_mark >> 2;
}

/* Set on inbound packets for which a local socket exists (nft_socket's
 * lookup, the receive path's own): spares a sock_diag round trip. */
uint32_t nft_info_sock(const struct wfpd *d)
{
	return d->cfg.reject_mark >> 3;
}

/* The table without its queue rules: everything the kernel can do alone. */
static int table_text(const struct wfpd *d, char *buf, size_t len, bool with_queue)
{
	const char *t = d->cfg.table;
	const char *pol = d->cfg.fail_open ? "accept" : "drop";
	uint32_t m = d->cfg.ct_mark_mask, rej = d->cfg.reject_mark;
	uint32_t est = nft_info_est(d), rep = nft_info_reply(d), sk = nft_info_sock(d);
	uint32_t owned = rej | est | rep | sk;
	char q[96] = "";
	size_t off = 0;
	int rc = 0;

	if (with_queue)
		queue_stmt(d, q, sizeof(q));
	/* add + delete + define: an atomic replace of an old table, if any */
	rc |= append(buf, len, &off, "add table inet %s\ndelete table inet %s\n", t, t);
	rc |= append(buf, len, &off, "table inet %s {\n\tset epoch { type mark; }\n", t);
	for (size_t i = 0; i < 2; i++) {
		rc |= append(buf, len, &off,
			     "\tchain %s {\n\t\ttype filter hook %s priority filter + 10; policy %s;\n",
			     chains[i], chains[i], pol);
		if (i == 1)
			rc |= append(buf, len, &off,
				     "\t\tmeta mark & 0x%x == 0x%x meta l4proto tcp reject with tcp reset\n"
				     "\t\tmeta mark & 0x%x == 0x%x reject with icmpx admin-prohibited\n",
				     rej, rej, rej, rej);
		/* loopback is not filtered (docs/wfpd.md): the resets and
		 * unreachables the reject rules send to local sockets travel
		 * over lo and must not wait for the verdict of their trigger */
		rc |= append(buf, len, &off, "\t\tmeta %s lo accept\n", i ? "oif" : "iif");
		rc |= append(buf, len, &off,
			     "\t\tct state established ct mark & 0x%x == @epoch accept\n"
			     "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, "
			     "nd-router-solicit, nd-router-advert, nd-redirect } accept\n"
			     "\t\tct state established meta mark set meta mark | 0x%x\n"
			     "\t\tct direction reply meta mark set meta mark | 0x%x\n", m, est, rep);
		/* a new flow the kernel-path table stamped: eBPF decided it */
		rc |= append(buf, len, &off, "\t\tct state new meta mark & 0x%x == @epoch accept\n", m);
		if (i == 0)
			rc |= append(buf, len, &off,
				     "\t\tsocket transparent 0 meta mark set meta mark | 0x%x\n"
				     "\t\tsocket transparent 1 meta mark set meta mark | 0x%x\n", sk, sk);
		if (with_queue)
			rc |= append(buf, len, &off, "\t\t%s\n", q);
		rc |= append(buf, len, &off, "\t}\n");
		/* after the verdict: an authorised flow's packet carries the
		 * epoch in its mark; copy it to the ct mark (the fast path),
		 * then give the packet mark back without wfpd's bits */
		rc |= append(buf, len, &off,
			     "\tchain %s_post {\n\t\ttype filter hook %s priority filter + 20; policy accept;\n"
			     "\t\tmeta mark & 0x%x != 0 meta mark set meta mark & 0x%x\n"
			     "\t\tmeta mark & 0x%x == @epoch ct mark set meta mark\n"
			     "\t\tmeta mark & 0x%x != 0 meta mark set meta mark & 0x%x\n\t}\n",
			     chains[i], chains[i], owned, ~owned, m, m, ~m);
	}
	/* forwarded packets (spec §8.3: IPFORWARD only, every packet);
	 * a family whose IPFORWARD layer has no filter is in fwd_free */
	rc |= append(buf, len, &off,
		     "\tset fwd_free { type nf_proto; }\n"
		     "\tchain forward {\n\t\ttype filter hook forward priority filter + 10; policy %s;\n"
		     "\t\tmeta nfproto @fwd_free accept\n", pol);
	if (with_queue)
		rc |= append(buf, len, &off, "\t\t%s\n", q);
	rc |= append(buf, len, &off, "\t}\n}\n");
	return rc;
}

/* ---- the compat path: NFQUEUE target v3 through nft_compat ---- */

static struct nftnl_rule *compat_rule(const struct wfpd *d, const char *chain)
{
	struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e = nftnl_expr_alloc("target");

	if (!info || !r || !e) {
		free(info);
		nftnl_rule_free(r);
		nftnl_expr_free(e);
		return NULL;
	}
	info->queuenum = (uint16_t)d->cfg.queue_base;
	info->queues_total = (uint16_t)d->cfg.nqueues;
	info->flags = (d->cfg.fail_open ? NFQ_FLAG_BYPASS : 0) |
		      (d->cfg.nqueues > 1 ? NFQ_FLAG_CPU_FANOUT : 0);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, d->cfg.table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info)); /* owns info */
	nftnl_rule_add_expr(r, e);
	return r;
}

static int compat_install(const struct wfpd *d, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 2];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct mnl_nlmsg_batch *b;
	uint32_t seq = (uint32_t)time(NULL), first = seq, portid;
	int rc = -1;
	ssize_t n;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto out_sock;
	}
	portid = mnl_socket_get_portid(nl);
	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	for (size_t i = 0; i < NCHAINS; i++) {
		struct nftnl_rule *r = compat_rule(d, chains[i]);
		struct nlmsghdr *nlh;

		if (!r) {
			snprintf(err, errlen, "out of memory");
			goto out_batch;
		}
		nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE,
						 NFPROTO_INET, NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK,
						 seq++);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		mnl_nlmsg_batch_next(b);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		goto out_batch;
	}
	/* one ack per rule; an error for any aborts the whole batch */
	rc = 0;
	for (size_t acks = 0; acks < NCHAINS; acks++) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n <= 0 || mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL) < 0) {
			snprintf(err, errlen, "NFQUEUE target via nft_compat: %s", strerror(errno));
			rc = -1;
			break;
		}
	}
	(void)first;
out_batch:
	mnl_nlmsg_batch_stop(b);
out_sock:
	if (nl)
		mnl_socket_close(nl);
	return rc;
}

int nft_probe_native(struct wfpd *d)
{
	char cmd[512], q[96], err[256];
	int rc;

	queue_stmt(d, q, sizeof(q));
	/* a scratch table with no hook: nothing ever traverses it */
	snprintf(cmd, sizeof(cmd),
		 "add table inet %s_probe\ndelete table inet %s_probe\n"
		 "table inet %s_probe { chain c { %s; } }\n",
		 d->cfg.table, d->cfg.table, d->cfg.table, q);
	rc = run(cmd, err, sizeof(err));
	snprintf(cmd, sizeof(cmd), "delete table inet %s_probe\n", d->cfg.table);
	if (!rc)
		run(cmd, NULL, 0);
	return rc == 0;
}

int nft_install(struct wfpd *d, char *err, size_t errlen)
{
	char text[4096];
	bool native;

	switch (d->cfg.qpath) {
	case WFPD_QPATH_NATIVE:
		native = true;
		break;
	case WFPD_QPATH_COMPAT:
		native = false;
		break;
	default:
		native = nft_probe_native(d);
		break;
	}
	if (table_text(d, text, sizeof(text), native)) {
		snprintf(err, errlen, "table text too long");
		return -1;
	}
	if (run(text, err, errlen))
		return -1;
	if (!native && compat_install(d, err, errlen)) {
		nft_remove(d);
		return -1;
	}
	d->qpath_used = native ? "native nft queue" : "xtables NFQUEUE target via nft_compat";
	return nft_set_epoch(d, (d->epoch << __builtin_ctz(d->cfg.ct_mark_mask)) &
				d->cfg.ct_mark_mask);
}

int nft_set_epoch(struct wfpd *d, uint32_t mark)
{
	char cmd[1024], err[256];

	snprintf(cmd, sizeof(cmd), "flush set inet %s epoch\nadd element inet %s epoch { 0x%x }\n"
		 "flush set inet %s fwd_free\n%s%s%s%s%s",
		 d->cfg.table, d->cfg.table, mark, d->cfg.table,
		 d->fwd_free ? "add element inet " : "", d->fwd_free ? d->cfg.table : "",
		 d->fwd_free ? " fwd_free { " : "",
		 d->fwd_free == 3 ? "ipv4, ipv6" : d->fwd_free == 1 ? "ipv4" : d->fwd_free == 2 ? "ipv6" : "",
		 d->fwd_free ? " }\n" : "");
	if (run(cmd, err, sizeof(err))) {
		logmsg(LOG_ERR, "cannot set the fast-path epoch: %s", err);
		return -1;
	}
	return 0;
}

/* ---- the kernel path ----
 *
 *   table inet <name>_k {
 *     flags owner;                   deleted with wfpd's netlink socket
 *     chain in  { type filter hook input  priority filter + 5; policy accept;
 *       meta nfproto ipv4 ct state new tcp flags & (fin|syn|rst|ack) == syn
 *         socket transparent 0 [CGROUP] meta mark set meta mark & ~MASK | EPOCH
 *       (the same for udp)
 *     }
 *     chain out { type filter hook output priority filter + 5; ... }
 *   }
 *
 * A stamped packet passes the main table's queue (its `@epoch accept`
 * rule) and the post chain copies the epoch into the ct mark, so the whole
 * flow stays in the kernel.  If wfpd dies, even by SIGKILL, the kernel
 * deletes this table with the socket that owns it (and the eBPF links go
 * with the process): nothing bypasses the queue any more, fail-closed.
 * Only the owner may change an owned table, hence one libnftables context
 * for wfpd's lifetime.
 */
static struct nft_ctx *kctx;

static int krun(const char *cmd)
{
	const char *e;
	int rc;

	rc = nft_run_cmd_from_buffer(kctx, cmd);
	e = nft_ctx_get_error_buffer(kctx);
	if (rc)
		logmsg(LOG_ERR, "kernel-path table: %s", e && *e ? e : "nftables command failed");
	return rc ? -1 : 0;
}

static const struct {
	uint32_t bit;
	const char *chain, *nfproto;
} kpaths[] = {
	{ WFPD_KPATH_IN4, "in", "ipv4" }, { WFPD_KPATH_IN6, "in", "ipv6" },
	{ WFPD_KPATH_OUT4, "out", "ipv4" }, { WFPD_KPATH_OUT6, "out", "ipv6" },
};

int nft_kpath_set(struct wfpd *d, uint32_t kpath, uint32_t mark, const char *cg)
{
	const char *t = d->cfg.table;
	uint32_t keep = ~d->cfg.ct_mark_mask;
	char buf[4096];
	size_t off = 0;
	int rc = 0;

	if (!kctx) {
		if (!kpath)
			return 0;
		kctx = nft_ctx_new(NFT_CTX_DEFAULT);
		if (!kctx)
			return -1;
		nft_ctx_buffer_output(kctx);
		nft_ctx_buffer_error(kctx);
		snprintf(buf, sizeof(buf),
			 "table inet %s_k {\n\tflags owner\n"
			 "\tchain in {\n\t\ttype filter hook input priority filter + 5; policy accept;\n\t}\n"
			 "\tchain out {\n\t\ttype filter hook output priority filter + 5; policy accept;\n\t}\n}\n",
			 t);
		if (krun(buf)) {
			nft_ctx_free(kctx);
			kctx = NULL;
			return -1;
		}
	}
	rc |= append(buf, sizeof(buf), &off, "flush chain inet %s_k in\nflush chain inet %s_k out\n",
		     t, t);
	for (size_t i = 0; i < sizeof(kpaths) / sizeof(kpaths[0]); i++) {
		if (!(kpath & kpaths[i].bit))
			continue;
		/* a SYN: a listener (in) or the connecting socket (out) decided
		 * by eBPF; a first datagram likewise */
		rc |= append(buf, sizeof(buf), &off,
			     "add rule inet %s_k %s meta nfproto %s ct state new "
			     "tcp flags & (fin|syn|rst|ack) == syn %s %s "
			     "meta mark set meta mark & 0x%x | 0x%x\n"
			     "add rule inet %s_k %s meta nfproto %s ct state new meta l4proto udp "
			     "%s %s meta mark set meta mark & 0x%x | 0x%x\n",
			     t, kpaths[i].chain, kpaths[i].nfproto,
			     !strcmp(kpaths[i].chain, "in") ? "socket transparent 0" : "", cg, keep,
			     mark, t, kpaths[i].chain, kpaths[i].nfproto,
			     !strcmp(kpaths[i].chain, "in") ? "socket transparent 0" : "", cg, keep,
			     mark);
	}
	if (rc) {
		logmsg(LOG_ERR, "kernel-path table: rules too long");
		return -1;
	}
	return krun(buf);
}

void nft_kpath_close(struct wfpd *d)
{
	char cmd[128];

	if (!kctx)
		return;
	snprintf(cmd, sizeof(cmd), "delete table inet %s_k\n", d->cfg.table);
	krun(cmd);
	nft_ctx_free(kctx);
	kctx = NULL;
}

int nft_remove(struct wfpd *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n", d->cfg.table,
		 d->cfg.table);
	return run(cmd, NULL, 0);
}
