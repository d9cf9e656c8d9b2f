/* SPDX-License-Identifier: MIT */
/* mgmt.h - wfpd's management socket (docs/protocol.md). */
#ifndef WFPD_MGMT_H
#define WFPD_MGMT_H

#include <stdbool.h>
#include <stddef.h>

#include "wfpd.h"

/* Per-connection limits (docs/protocol.md, "Limits"). */
#define MGMT_MAX_TXN_OPS 10000     /* write requests in one transaction */
#define MGMT_MAX_OBJ_REQ 65536     /* bytes of any request but load */
#define MGMT_STR_(x) #x
#define MGMT_STR(x) MGMT_STR_(x)

struct json_object;
struct wfp_filter;
struct wfp_session;

/* Creates the socket and its directory; 0 or -errno. */
int mgmt_open(struct wfpd *d);
void mgmt_close(struct wfpd *d);
/* Once a second: aborts a write transaction open too long. */
void mgmt_tick(struct wfpd *d);
/* Is anybody watching (`wfpctl monitor`)? */
int mgmt_monitoring(const struct wfpd *d);
/* A filter as `show filters` and `filter-get` print it. */
struct json_object *mgmt_filter_json(struct wfpd *d, const struct wfp_filter *f);

/* session.c: the requests that run in a connection's engine session. */
bool sess_command(const char *cmd);
/* 0 (resp filled) or a negative wfp_err with a sentence in msg (may be
 * empty: then wfp_strerror says it).  *txn_ops counts the writes of the
 * open transaction. */
int sess_request(struct wfpd *d, struct wfp_session *s, unsigned *txn_ops, const char *cmd,
		 struct json_object *req, struct json_object *resp, char *msg, size_t len);

#endif
