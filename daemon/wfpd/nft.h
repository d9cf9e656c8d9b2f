/* SPDX-License-Identifier: MIT */
/*
 * nft.h - wfpd's own nftables table (inet <name>): the hooks that send
 * packets to NFQUEUE, fail-closed, and the fast-path epoch set.
 */
#ifndef WFPD_NFT_H
#define WFPD_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "wfpd.h"

/* Creates (or atomically recreates) the table; probes the queue path.
 * On success d->qpath_used names the path in use.  0 or -1 with a
 * message in err. */
int nft_install(struct wfpd *d, char *err, size_t errlen);
/* Makes `mark` (owned ct mark bits) the only authorised epoch. */
int nft_set_epoch(struct wfpd *d, uint32_t mark);
/*
 * The kernel-path table (inet <name>_k, owned by wfpd's netlink socket so
 * that it vanishes when wfpd dies): new flows of the WFPD_KPATH_* kinds
 * in `kpath`, whose ALE layers eBPF decides, get the epoch `mark` and pass
 * the queue.  cg is an nft match limiting them to the eBPF cgroup's
 * sockets ("" for the root).  kpath 0 empties it.  0 or -1 (logged).
 */
int nft_kpath_set(struct wfpd *d, uint32_t kpath, uint32_t mark, const char *cg);
void nft_kpath_close(struct wfpd *d);
/* Deletes the table; nothing if it is not there. */
int nft_remove(struct wfpd *d);
/* Is the native queue expression available?  Probed in a scratch table. */
int nft_probe_native(struct wfpd *d);
/* Packet-mark bits set before queueing: ct state established / reply. */
uint32_t nft_info_est(const struct wfpd *d);
uint32_t nft_info_reply(const struct wfpd *d);
uint32_t nft_info_sock(const struct wfpd *d);

#endif
