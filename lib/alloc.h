/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - every allocation of libwfp goes through here, so that tests
 * can fail the Nth allocation and check for clean unwinding (curl's
 * torture tests, jq's inject_errors).  Private to libwfp.
 */
#ifndef WFP_ALLOC_H
#define WFP_ALLOC_H

#include <stddef.h>

void *wfp_malloc(size_t n);
void *wfp_calloc(size_t nmemb, size_t size);
void *wfp_realloc(void *p, size_t n);
char *wfp_strdup(const char *s);
char *wfp_strndup(const char *s, size_t n);
void *wfp_memdup(const void *p, size_t n);
void wfp_free(void *p);

#endif
