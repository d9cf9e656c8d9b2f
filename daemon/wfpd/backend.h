/* SPDX-License-Identifier: MIT */
/*
 * backend.h - enforcement back ends behind one ops table (STYLE §11, after
 * wg-tools ipc-linux.h and redis ae_epoll.c): NFQUEUE today (nfq.c), eBPF
 * later (ebpf.c).  The back end owns the kernel side: it installs the
 * hooks, reads packets, asks the live model (live.c) and returns verdicts.
 * Selection is at run time (--backend), hence the table.
 */
#ifndef WFPD_BACKEND_H
#define WFPD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "live.h"

struct wfpd;

struct wfp_backend_ops {
	const char *name;
	/* Installs the kernel hooks, opens the consumer, registers its fds
	 * with the loop.  0, or -1 with a message in err. */
	int (*open)(struct wfpd *d, void **priv, char *err, size_t errlen);
	/* fd is readable: read a bounded batch, decide, send the verdicts. */
	void (*run)(void *priv, int fd);
	/* Stages the verdict for packet id of queue q; sent at the end of
	 * the batch (batched where the verdicts allow). */
	int (*verdict)(void *priv, unsigned q, uint32_t id, const struct live_verdict *v);
	/* Closes the consumer; removes the hooks unless keep is set (then
	 * the fail-closed hooks stay and drop what needs a decision). */
	void (*close)(void *priv, int keep);
};

extern const struct wfp_backend_ops nfq_backend_ops;

const struct wfp_backend_ops *backend_by_name(const char *name);

#endif
