/* SPDX-License-Identifier: MIT */
/*
 * nfq.c - the NFQUEUE back end: libmnl + libnetfilter_queue's message
 * helpers (no libnfnetlink callbacks), after the kernel selftest
 * nf_queue.c.
 *
 * Configuration choices (STYLE §11), per queue:
 *   - NFQA_CFG_F_FAIL_OPEN only with --fail-open: by default a full queue
 *     drops, so a hung wfpd fails closed;
 *   - NFQA_CFG_F_GSO: we never rewrite packets, so GSO super-packets need
 *     not be segmented for us (one verdict covers them all);
 *   - no NFQA_CFG_F_CONNTRACK: it needs CONFIG_NETFILTER_NETLINK_GLUE_CT,
 *     which kernels lack (this one does).  Instead the table's rules put
 *     "established" and "reply" bits into the packet mark before queueing,
 *     and an accept verdict that authorises a flow sets the epoch bits in
 *     the packet mark, which the table's _post chain copies to the ct mark
 *     (nft.c);
 *   - NFQA_CFG_F_UID_GID: the socket owner of locally sent packets;
 *   - copy range: headers only (--copy-range, default 256 bytes);
 *   - ENOBUFS on the netlink socket (the kernel had to drop a message)
 *     is counted, not fatal.
 * Verdicts are collected for the whole batch read from the socket and
 * sent in one sendmsg: runs of plain accepts become one
 * NFQNL_MSG_VERDICT_BATCH, verdicts that set marks stay individual.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "backend.h"
#include "nft.h"
#include "wfpd.h"

enum {
	BATCH_MAX = 128,    /* packets per batch: bounds the verdict latency */
	RCVBUF = 8 << 20,
	RECV_BUF = 256 * 1024
};

struct staged {
	uint32_t id;
	struct live_verdict v;
};

struct nfq_queue {
	struct mnl_socket *nl;
	unsigned num;
	uint32_t portid;
	unsigned nstaged;
	struct staged st[BATCH_MAX];
};

struct nfq {
	struct wfpd *d;
	unsigned nq;
	struct nfq_queue *q;
	char *rbuf;
	char *sbuf;
};

static void nfqb_run(void *priv, int fd);

static int cfg_send(struct nfq_queue *q, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)n, 0, q->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int queue_open(struct nfq *n, struct nfq_queue *q, unsigned num, char *err, size_t errlen)
{
	const struct wfpd_config *c = &n->d->cfg;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID;
	int rcvbuf = RCVBUF, one = 1, rc;

	q->num = num;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "queue %u: netlink: %s", num, strerror(errno));
		return -1;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	/* extended acks make configuration errors readable */
	mnl_socket_setsockopt(q->nl, NETLINK_EXT_ACK, &one, sizeof(one));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	rc = cfg_send(q, nlh);
	if (rc) {
		snprintf(err, errlen, "queue %u: bind: %s%s", num, strerror(-rc),
			 rc == -EBUSY ? " (another consumer owns it)" : "");
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)c->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, c->queue_maxlen);
	rc = cfg_send(q, nlh);
	if (rc) {
		snprintf(err, errlen, "queue %u: params: %s", num, strerror(-rc));
		return -1;
	}
	if (c->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags | NFQA_CFG_F_FAIL_OPEN));
	rc = cfg_send(q, nlh);
	if (rc) {
		snprintf(err, errlen, "queue %u: flags 0x%x: %s", num, flags, strerror(-rc));
		return -1;
	}
	fcntl(mnl_socket_get_fd(q->nl), F_SETFL, O_NONBLOCK);
	return 0;
}

static void nfqb_close(void *priv, int keep)
{
	struct nfq *n = priv;

	if (!n)
		return;
	for (unsigned i = 0; i < n->nq; i++) {
		if (n->q[i].nl) {
			loop_del(n->d, mnl_socket_get_fd(n->q[i].nl));
			mnl_socket_close(n->q[i].nl);
		}
	}
	if (!keep)
		nft_remove(n->d);
	free(n->q);
	free(n->rbuf);
	free(n->sbuf);
	free(n);
}

static void on_readable(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	(void)d;
	(void)events;
	nfqb_run(ctx, fd);
}

static int nfqb_open(struct wfpd *d, void **priv, char *err, size_t errlen)
{
	struct nfq *n = calloc(1, sizeof(*n));

	*priv = NULL;
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->d = d;
	n->nq = d->cfg.nqueues;
	n->q = calloc(n->nq, sizeof(*n->q));
	n->rbuf = malloc(RECV_BUF);
	n->sbuf = malloc((size_t)BATCH_MAX * 256 + 1024);
	if (!n->q || !n->rbuf || !n->sbuf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* consumers first, then the hooks: no packet waits for a reader */
	for (unsigned i = 0; i < n->nq; i++) {
		if (queue_open(n, &n->q[i], d->cfg.queue_base + i, err, errlen))
			goto fail;
		if (loop_add(d, mnl_socket_get_fd(n->q[i].nl), on_readable, n)) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			goto fail;
		}
	}
	if (nft_install(d, err, errlen))
		goto fail;
	*priv = n;
	return 0;
fail:
	nfqb_close(n, 1);
	return -1;
}

static void flush_verdicts(struct nfq *n, struct nfq_queue *q);

static int nfqb_verdict(void *priv, unsigned qi, uint32_t id, const struct live_verdict *v)
{
	struct nfq *n = priv;
	struct nfq_queue *q = &n->q[qi];

	if (q->nstaged >= BATCH_MAX)
		flush_verdicts(n, q); /* never lose a verdict: the packet would hang */
	q->st[q->nstaged].id = id;
	q->st[q->nstaged].v = *v;
	q->nstaged++;
	return 0;
}

static bool plain_accept(const struct live_verdict *v)
{
	return v->action == LIVE_ACCEPT && !v->set_mark;
}

/* One verdict message; ct marks go in a nested NFQA_CT (ctnetlink glue). */
static void put_verdict(struct nfq *n, struct nfq_queue *q, char *at, const struct staged *s)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(at, NFQNL_MSG_VERDICT, q->num);

	switch (s->v.action) {
	case LIVE_ACCEPT:
		nfq_nlmsg_verdict_put(nlh, (int)s->id, NF_ACCEPT);
		break;
	case LIVE_DROP:
		nfq_nlmsg_verdict_put(nlh, (int)s->id, NF_DROP);
		break;
	case LIVE_REJECT:
		/* run the chain again: its reject rules match this mark */
		nfq_nlmsg_verdict_put(nlh, (int)s->id, NF_REPEAT);
		nfq_nlmsg_verdict_put_mark(nlh, s->v.mark | n->d->cfg.reject_mark);
		break;
	}
	if (s->v.action == LIVE_ACCEPT && s->v.set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, s->v.mark);
}

static void flush_verdicts(struct nfq *n, struct nfq_queue *q)
{
	size_t off = 0;
	unsigned i = 0;

	while (i < q->nstaged) {
		unsigned j = i;

		/* a run of plain accepts: one batch verdict for the last id */
		while (j < q->nstaged && plain_accept(&q->st[j].v))
			j++;
		if (j - i > 1) {
			struct nlmsghdr *nlh = nfq_nlmsg_put(n->sbuf + off, NFQNL_MSG_VERDICT_BATCH,
							     q->num);

			nfq_nlmsg_verdict_put(nlh, (int)q->st[j - 1].id, NF_ACCEPT);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
			i = j;
			n->d->ctr.verdict_msgs++;
			continue;
		}
		put_verdict(n, q, n->sbuf + off, &q->st[i]);
		off += NLMSG_ALIGN(((struct nlmsghdr *)(n->sbuf + off))->nlmsg_len);
		n->d->ctr.verdict_msgs++;
		i++;
	}
	q->nstaged = 0;
	if (off && mnl_socket_sendto(q->nl, n->sbuf, off) < 0)
		logmsg(LOG_ERR, "queue %u: verdict: %s", q->num, strerror(errno));
}

static void count_action(struct wfpd *d, enum live_action a)
{
	if (a == LIVE_ACCEPT)
		d->ctr.accepted++;
	else if (a == LIVE_DROP)
		d->ctr.dropped++;
	else
		d->ctr.rejected++;
}

/* One packet message: parse, decide, stage the verdict. */
static void packet(struct nfq *n, unsigned qi, const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct live_pkt lp;
	struct live_verdict v = { .action = LIVE_DROP };
	uint32_t id;
	int rc;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	n->d->ctr.packets++;
	memset(&lp, 0, sizeof(lp));
	lp.outbound = ph->hook == NF_INET_LOCAL_OUT || ph->hook == NF_INET_POST_ROUTING;
	lp.forward = ph->hook == NF_INET_FORWARD;
	/* no link trailer at the IP layer: trailing bytes are an error */
	rc = attr[NFQA_PAYLOAD] ? wfp_pkt_parse(mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
					       mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]), 0, &lp.p)
				: -WFP_PKT_E_SHORT;
	if (rc) {
		/* malformed: nothing to classify it by; drop (fail closed) */
		n->d->ctr.malformed++;
		goto out;
	}
	if (attr[NFQA_MARK])
		lp.pkt_mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	/* what conntrack knows, from the bits the table's rules set */
	lp.has_ct = true;
	if (lp.pkt_mark & nft_info_est(n->d))
		lp.ctinfo = lp.pkt_mark & nft_info_reply(n->d) ? LIVE_CT_ESTABLISHED_REPLY
							       : LIVE_CT_ESTABLISHED;
	else
		lp.ctinfo = LIVE_CT_NEW;
	if (!lp.outbound && !lp.forward) {
		lp.sock_known = true;
		lp.sock_found = (lp.pkt_mark & nft_info_sock(n->d)) != 0;
	}
	if (attr[NFQA_UID] && attr[NFQA_GID]) {
		lp.has_uid = true;
		lp.uid = ntohl(mnl_attr_get_u32(attr[NFQA_UID]));
		lp.gid = ntohl(mnl_attr_get_u32(attr[NFQA_GID]));
	}
	if (attr[lp.outbound ? NFQA_IFINDEX_OUTDEV : NFQA_IFINDEX_INDEV])
		lp.ifindex = ntohl(mnl_attr_get_u32(attr[lp.outbound ? NFQA_IFINDEX_OUTDEV :
									NFQA_IFINDEX_INDEV]));
	if (lp.forward && attr[NFQA_IFINDEX_OUTDEV])
		lp.out_ifindex = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]));
	live_packet(n->d->live, &lp, &v);
	/* verdict marks: the original mark without wfpd's bits */
	v.mark |= lp.pkt_mark & ~(n->d->cfg.ct_mark_mask | n->d->cfg.reject_mark |
				  nft_info_est(n->d) | nft_info_reply(n->d) | nft_info_sock(n->d));
out:
	count_action(n->d, v.action);
	nfqb_verdict(n, qi, id, &v);
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfq *n = ((void **)data)[0];
	unsigned qi = (unsigned)(uintptr_t)((void **)data)[1];

	if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET)
		packet(n, qi, nlh);
	return MNL_CB_OK;
}

static void nfqb_run(void *priv, int fd)
{
	struct nfq *n = priv;
	struct nfq_queue *q = NULL;
	unsigned qi;

	for (qi = 0; qi < n->nq; qi++) {
		if (mnl_socket_get_fd(n->q[qi].nl) == fd) {
			q = &n->q[qi];
			break;
		}
	}
	if (!q)
		return;
	n->d->ctr.batches++;
	/* bounded: at most BATCH_MAX packets, then verdicts go out */
	while (q->nstaged < BATCH_MAX - 8) {
		void *cbdata[2] = { n, (void *)(uintptr_t)qi };
		ssize_t r = recv(fd, n->rbuf, RECV_BUF, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == ENOBUFS) {
				n->d->ctr.enobufs++;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				n->d->ctr.recv_errors++;
			break;
		}
		mnl_cb_run(n->rbuf, (size_t)r, 0, q->portid, msg_cb, cbdata);
	}
	flush_verdicts(n, q);
}

const struct wfp_backend_ops nfq_backend_ops = {
	.name = "nfq",
	.open = nfqb_open,
	.run = nfqb_run,
	.verdict = nfqb_verdict,
	.close = nfqb_close,
};

const struct wfp_backend_ops *backend_by_name(const char *name)
{
	if (!name || !strcmp(name, "nfq") || !strcmp(name, "nfqueue"))
		return &nfq_backend_ops;
	return NULL;
}
