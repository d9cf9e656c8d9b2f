/* SPDX-License-Identifier: MIT */
/*
 * wfp_policy.h - reading and writing whole policies (docs/policy.md).
 *
 * A policy file (text .wfp, JSON, or Windows netsh XML) is parsed
 * completely first, then applied through the management API in one
 * transaction: all or nothing.  Errors carry a location.
 */
#ifndef WFP_POLICY_H
#define WFP_POLICY_H

#include <wfp/wfp_mgmt.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wfp_policy_error {
	int code;       /* negative enum wfp_err */
	unsigned line;  /* 1-based, 0 if not applicable */
	unsigned col;   /* 1-based, 0 if not applicable */
	char file[256];
	char msg[256];
	char context[256]; /* the offending source line, if any */
};

enum {
	/* delete every non-built-in filter, callout, sublayer and provider
	 * first (same transaction) */
	WFP_POLICY_REPLACE = 0x1,
	/* parse and validate only; change nothing (wfpctl -n) */
	WFP_POLICY_CHECK_ONLY = 0x2
};

/* Apply a policy file; the format is chosen by content.  If the session
 * already has a transaction open, the changes join it; otherwise the call
 * runs its own.  err may be NULL. */
WFP_API int wfp_policy_load_file(struct wfp_session *s, const char *path,
				 uint32_t flags, struct wfp_policy_error *err);
WFP_API int wfp_policy_load_string(struct wfp_session *s, const char *text,
				   size_t len, const char *name, uint32_t flags,
				   struct wfp_policy_error *err);

#ifdef __cplusplus
}
#endif
#endif
