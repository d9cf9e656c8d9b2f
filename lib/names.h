/* SPDX-License-Identifier: MIT */
/*
 * names.h - locale-independent name helpers shared by the constant
 * tables (layer_table.c, names.c).  Private to libwfp.
 *
 * Names in policies are untrusted text: the tables compare them with
 * ASCII-only case folding so that a Turkish locale (dotless i) or any
 * other setlocale() by the host program cannot change what "flags"
 * means (STYLE §11, wg-tools ctype.h).
 */
#ifndef WFP_NAMES_H
#define WFP_NAMES_H

#include <stdbool.h>

/* ASCII case-insensitive equality; NULL never equals anything. */
bool wfp_name_eq(const char *a, const char *b);

/* s without a leading prefix (compared case-insensitively), else s. */
const char *wfp_name_strip(const char *s, const char *prefix);

#endif
