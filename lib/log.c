/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log callback and the library version.
 *
 * The callback and its context are plain globals, set once by the host
 * program before it uses the library (as libbpf_set_print() does); they
 * are not meant to be changed while other threads log.
 */
#include <stdarg.h>
#include <stdio.h>

#include <wfp/wfp.h>

#include "log.h"

#ifndef WFP_VERSION
#define WFP_VERSION "unknown"
#endif

static wfp_log_fn log_fn;
static void *log_ctx;

void wfp_set_log(wfp_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

const char *wfp_version(void)
{
	return WFP_VERSION;
}

void wfp_logf(enum wfp_log_level lvl, const char *fmt, ...)
{
	char msg[WFP_LOG_MSG_MAX];
	wfp_log_fn fn = log_fn;
	va_list ap;

	if (!fn)
		return; /* cheap when nobody listens: no formatting */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(lvl, msg, log_ctx);
}
