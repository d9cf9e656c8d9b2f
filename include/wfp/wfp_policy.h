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

#include <stdio.h>

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

/*
 * The steps behind wfp_policy_load_*, for tools that want them apart:
 * parse a policy into an object list (no engine needed), write it back in
 * any format, apply it, or take a snapshot of what an engine holds.
 */
struct wfp_policy; /* opaque; owned by the caller, free with wfp_policy_free */

enum wfp_policy_format {
	WFP_POLICY_FMT_AUTO = 0, /* readers: detect by content */
	WFP_POLICY_FMT_TEXT,     /* the .wfp language */
	WFP_POLICY_FMT_JSON,
	WFP_POLICY_FMT_XML       /* netsh wfp show filters/state */
};

/* The format of a policy text by its first non-blank byte. */
WFP_API int wfp_policy_detect(const char *text, size_t len);
/* Parse completely; *out is NULL on error.  name is used in messages. */
WFP_API int wfp_policy_parse(const char *text, size_t len, const char *name,
			     int format, struct wfp_policy **out,
			     struct wfp_policy_error *err);
WFP_API int wfp_policy_parse_file(const char *path, int format,
				  struct wfp_policy **out,
				  struct wfp_policy_error *err);
/* Apply with the flags of wfp_policy_load_file (one transaction). */
WFP_API int wfp_policy_apply(struct wfp_session *s, const struct wfp_policy *p,
			     uint32_t flags, struct wfp_policy_error *err);
/* Everything the engine holds apart from built-in objects, filters in
 * arbitration order with their ids and effective weights. */
WFP_API int wfp_policy_snapshot(struct wfp_session *s, struct wfp_policy **out);
/* Write p in a format (not AUTO); 0 or a negative wfp_err. */
WFP_API int wfp_policy_write(const struct wfp_policy *p, int format, FILE *out);
WFP_API void wfp_policy_free(struct wfp_policy *p);
/* Snapshot of the session's engine written as a text policy. */
WFP_API int wfp_policy_write_text(struct wfp_session *s, FILE *out);
/* "file:line:col: error: msg", the source line and a caret under col
 * (nftables style). */
WFP_API void wfp_policy_error_print(const struct wfp_policy_error *e, FILE *out);

/* The store of persistent objects (docs/internals/store.md).  Engines
 * opened with wfp_engine_opts.store_path call these themselves. */
WFP_API int wfp_store_save(struct wfp_session *s, const char *path);
WFP_API int wfp_store_load(struct wfp_session *s, const char *path,
			   struct wfp_policy_error *err);

#ifdef __cplusplus
}
#endif
#endif
