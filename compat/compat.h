/* SPDX-License-Identifier: ISC */
/* compat.h - what glibc 2.36 lacks (strlcpy arrived in 2.38). */
#ifndef WFP_COMPAT_H
#define WFP_COMPAT_H

#include <stddef.h>
#include <string.h> /* defines __GLIBC__ and __GLIBC_PREREQ on glibc */

/* Nested: an undefined function-like macro is a syntax error in #if even
 * behind a false "||" operand. */
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 38)
#define WFP_HAVE_STRLCPY 1
#endif
#endif

#ifndef WFP_HAVE_STRLCPY
size_t wfp_strlcpy(char *dst, const char *src, size_t dsize);
#define strlcpy wfp_strlcpy
#endif

#endif
