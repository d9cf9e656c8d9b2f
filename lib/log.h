/* SPDX-License-Identifier: MIT */
/*
 * log.h - libwfp's internal logging.  The library never prints (STYLE §5);
 * messages go to the callback set with wfp_set_log(), if any.  Never call
 * this from the classify path (STYLE §9.6).
 */
#ifndef WFP_LOG_H
#define WFP_LOG_H

#include <wfp/wfp.h>

/* Messages longer than this are truncated. */
enum { WFP_LOG_MSG_MAX = 512 };

__attribute__((format(printf, 2, 3)))
void wfp_logf(enum wfp_log_level lvl, const char *fmt, ...);

#endif
