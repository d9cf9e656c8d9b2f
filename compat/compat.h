/* SPDX-License-Identifier: ISC */
/* compat.h - what glibc 2.36 lacks (strlcpy arrived in 2.38). */
#ifndef WFP_COMPAT_H
#define WFP_COMPAT_H

#include <stddef.h>
#include <string.h> /* glibc features.h: __GLIBC_PREREQ must be defined before the #if */

#if !defined(__GLIBC__) || !defined(__GLIBC_PREREQ) || !__GLIBC_PREREQ(2, 38)
size_t wfp_strlcpy(char *dst, const char *src, size_t dsize);
#define strlcpy wfp_strlcpy
#endif

#endif
