/* SPDX-License-Identifier: ISC */
/*
 * strlcpy.c - OpenBSD's strlcpy (Todd C. Miller), for glibc < 2.38.
 * Copies src to dst of size dsize, always NUL-terminating (dsize > 0).
 * Returns strlen(src); a result >= dsize means truncation.
 */
#include "compat.h"

#include <string.h>

#ifndef WFP_HAVE_STRLCPY
size_t wfp_strlcpy(char *dst, const char *src, size_t dsize)
{
	const char *osrc = src;
	size_t nleft = dsize;

	if (nleft != 0) {
		while (--nleft != 0) {
			if ((*dst++ = *src++) == '\0')
				break;
		}
	}
	if (nleft == 0) {
		if (dsize != 0)
			*dst = '\0';
		while (*src++)
			;
	}
	return (size_t)(src - osrc - 1);
}
#endif
