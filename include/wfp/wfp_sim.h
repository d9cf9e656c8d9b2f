/* SPDX-License-Identifier: MIT */
/*
 * wfp_sim.h - scenario scripts for the stack model (docs/sim.md).
 *
 * A script declares hosts (each with its own engine and stack), loads
 * policies or single filters into them, and drives socket calls; packets
 * a host sends are delivered, in FIFO order, to the host that owns the
 * destination address.  Every classification of every host goes to the
 * trace callback, in global time order.  The whole script is parsed before
 * anything runs; errors carry file:line.
 */
#ifndef WFP_SIM_H
#define WFP_SIM_H

#include <wfp/wfp_stack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wfp_sim;

struct wfp_sim_error {
	int code;      /* negative enum wfp_err */
	unsigned line; /* 1-based; 0: not tied to a line */
	char file[256];
	char msg[256];
};

/* Called for things that are not classifications: a socket call that
 * failed (connect refused or blocked), a filter added.  Optional. */
typedef void (*wfp_sim_note_fn)(const char *file, unsigned line, const char *msg,
				void *ctx);

WFP_API struct wfp_sim *wfp_sim_new(void);
WFP_API void wfp_sim_free(struct wfp_sim *s);
/* Parse a script; relative policy paths resolve against basedir (NULL:
 * the current directory; _load_file uses the script's directory). */
WFP_API int wfp_sim_load_file(struct wfp_sim *s, const char *path,
			      struct wfp_sim_error *err);
WFP_API int wfp_sim_load_string(struct wfp_sim *s, const char *text, size_t len,
				const char *name, const char *basedir,
				struct wfp_sim_error *err);
WFP_API void wfp_sim_set_trace(struct wfp_sim *s, wfp_trace_fn fn, void *ctx);
WFP_API void wfp_sim_set_note(struct wfp_sim *s, wfp_sim_note_fn fn, void *ctx);
/* Run the loaded script once.  0, or the first error that stops it (a
 * policy file that does not load). */
WFP_API int wfp_sim_run(struct wfp_sim *s, struct wfp_sim_error *err);
/* After load: the longest host name (for aligned output). */
WFP_API unsigned wfp_sim_name_width(const struct wfp_sim *s);
/* After run: the hosts, in declaration order. */
WFP_API unsigned wfp_sim_host_count(const struct wfp_sim *s);
WFP_API struct wfp_host *wfp_sim_host(const struct wfp_sim *s, unsigned i);

#ifdef __cplusplus
}
#endif
#endif
