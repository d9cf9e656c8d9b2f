/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - allocation wrappers with fault injection.
 *
 * wfp_fault_inject(n) makes the nth allocation from now fail (n = 0 turns
 * injection off); wfp_fault_count() tells how many allocations ran since
 * the last call to wfp_fault_inject().  A test loops n = 1, 2, ... over an
 * operation until it succeeds, checking each time that the failure was
 * clean: an error code, no leak (ASan/LSan), no half-applied change.
 */
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

#include "alloc.h"

static unsigned long fault_at;   /* 0: off */
static unsigned long fault_seen;

WFP_API void wfp_fault_inject(unsigned long n);
WFP_API unsigned long wfp_fault_count(void);

void wfp_fault_inject(unsigned long n)
{
	fault_at = n;
	fault_seen = 0;
}

unsigned long wfp_fault_count(void)
{
	return fault_seen;
}

static int fail_now(void)
{
	fault_seen++;
	return fault_at && fault_seen == fault_at;
}

void *wfp_malloc(size_t n)
{
	return fail_now() ? NULL : malloc(n ? n : 1);
}

void *wfp_calloc(size_t nmemb, size_t size)
{
	return fail_now() ? NULL : calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *wfp_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : realloc(p, n ? n : 1);
}

void *wfp_memdup(const void *p, size_t n)
{
	void *q = wfp_malloc(n);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *wfp_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *q = wfp_malloc(len + 1);

	if (q) {
		memcpy(q, s, len);
		q[len] = '\0';
	}
	return q;
}

char *wfp_strdup(const char *s)
{
	return wfp_strndup(s, (size_t)-1);
}

void wfp_free(void *p)
{
	free(p);
}
