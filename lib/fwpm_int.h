/* SPDX-License-Identifier: MIT */
/*
 * fwpm_int.h - what fwpm.c (objects, conversions) and fwpm_enum.c
 * (enumerations, templates, net events, subscriptions) share.  Private.
 */
#ifndef WFP_FWPM_INT_H
#define WFP_FWPM_INT_H

#include <stdbool.h>

#include <wfp/fwpm.h>

#include "internal.h"

/*
 * Memory handed to the caller.  Everything one call returns hangs off one
 * root block, so one FwpmFreeMemory0() frees it all, as on Windows.  The
 * same arenas hold the temporaries of a conversion (a root freed before
 * returning).
 */
void *fwpm_root(size_t n);
void *fwpm_kid(void *root, size_t n);
void fwpm_root_free(void *root);

/* UTF-32 (or UTF-16, whatever wchar_t is) <-> UTF-8, locale-independent;
 * invalid input becomes U+FFFD.  NULL in, NULL out; NULL on no memory
 * sets *err. */
char *fwpm_w2u(void *root, const wchar_t *w, int *err);
wchar_t *fwpm_u2w(void *root, const char *s, size_t len, int *err);

/* Windows values -> native values; temporaries in root. */
int fwpm_cond_from_win(void *root, const FWPM_FILTER_CONDITION0 *in,
		       struct wfp_filter_cond *out);
/* Native -> Windows; allocations in root. */
int fwpm_filter_to_win(void *root, const struct wfp_filter *in, FWPM_FILTER0 *out);

/* An engine handle: one session. */
struct fwpm_enum;
struct fwpm_sub;

struct fwpm_handle {
	uint32_t magic;
	struct wfp_engine *e;
	struct wfp_session *s;
	struct fwpm_enum *enums;
	struct fwpm_sub *subs;
	struct fwpm_handle *next;
};

/* The global lock (recursive: callbacks may call back in). */
void fwpm_lock(void);
void fwpm_unlock(void);
struct fwpm_handle *fwpm_handle_get(HANDLE h);
DWORD fwpm_ret(int err);

/* fwpm_enum.c: free what hangs off a handle being closed. */
void fwpm_enums_free(struct fwpm_handle *h);
void fwpm_subs_free(struct fwpm_handle *h);

#endif
