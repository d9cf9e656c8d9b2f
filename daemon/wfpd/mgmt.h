/* SPDX-License-Identifier: MIT */
/* mgmt.h - wfpd's management socket (docs/protocol.md). */
#ifndef WFPD_MGMT_H
#define WFPD_MGMT_H

#include "wfpd.h"

/* Creates the socket and its directory; 0 or -errno. */
int mgmt_open(struct wfpd *d);
void mgmt_close(struct wfpd *d);
/* Is anybody watching (`wfpctl monitor`)? */
int mgmt_monitoring(const struct wfpd *d);

#endif
