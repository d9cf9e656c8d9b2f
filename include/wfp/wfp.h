/* SPDX-License-Identifier: MIT */
/*
 * wfp.h - libwfp, an open implementation of the Windows Filtering Platform
 * filter engine.  Include this header; it pulls in the others.
 */
#ifndef WFP_H
#define WFP_H

#include <wfp/wfp_error.h>
#include <wfp/wfp_types.h>
#include <wfp/wfp_layer.h>
#include <wfp/wfp_mgmt.h>
#include <wfp/wfp_classify.h>
#include <wfp/wfp_policy.h>
#include <wfp/wfp_netevent.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wfp_log_level {
	WFP_LOG_ERROR = 0,
	WFP_LOG_WARN,
	WFP_LOG_INFO,
	WFP_LOG_DEBUG
};

typedef void (*wfp_log_fn)(enum wfp_log_level level, const char *msg, void *ctx);

/* libwfp never prints; it hands messages to this callback (default: none). */
WFP_API void wfp_set_log(wfp_log_fn fn, void *ctx);
WFP_API const char *wfp_version(void);

#ifdef __cplusplus
}
#endif
#endif
