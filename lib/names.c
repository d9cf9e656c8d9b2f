/* SPDX-License-Identifier: MIT */
/*
 * names.c - Windows' names of data types (FWP_DATA_TYPE, spec §5.2),
 * match types (FWP_MATCH_TYPE, §5.3) and action types (FWP_ACTION_TYPE,
 * §4.3), their reverse lookups, and the ASCII name helpers of names.h.
 *
 * Forward lookups return exactly the Windows identifier ("FWP_UINT32",
 * "FWP_BYTE_BLOB_TYPE") or NULL for a value Windows does not name.
 * Reverse lookups are lenient, for hand-written policies: any case, with
 * or without the "FWP_" / "FWP_MATCH_" / "FWP_ACTION_" prefix, and data
 * types also without their "_TYPE" suffix ("byte_blob").
 */
#include <string.h>

#include <wfp/wfp.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- ASCII helpers (names.h) ---- */

static char fold(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool wfp_name_eq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	for (; *a && fold(*a) == fold(*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/* Does s start with prefix (any case)?  Returns the rest, or NULL. */
static const char *after(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (fold(*s) != fold(*prefix))
			return NULL;
	return s;
}

const char *wfp_name_strip(const char *s, const char *prefix)
{
	const char *rest = s ? after(s, prefix) : NULL;

	return rest ? rest : s;
}

/* s equals name (any case), or name without its trailing suffix. */
static bool eq_opt_suffix(const char *s, const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix), i;

	if (wfp_name_eq(s, name))
		return true;
	if (n <= k || !wfp_name_eq(name + n - k, suffix))
		return false;
	for (i = 0; i < n - k; i++)
		if (fold(s[i]) != fold(name[i]))
			return false;
	return s[i] == '\0';
}

/* ---- data types ---- */

#define T(v, n) [WFP_##v] = "FWP_" n

static const char *const type_names[] = {
	T(EMPTY, "EMPTY"),
	T(UINT8, "UINT8"),
	T(UINT16, "UINT16"),
	T(UINT32, "UINT32"),
	T(UINT64, "UINT64"),
	T(INT8, "INT8"),
	T(INT16, "INT16"),
	T(INT32, "INT32"),
	T(INT64, "INT64"),
	T(FLOAT, "FLOAT"),
	T(DOUBLE, "DOUBLE"),
	T(BYTE_ARRAY16, "BYTE_ARRAY16_TYPE"),
	T(BYTE_BLOB, "BYTE_BLOB_TYPE"),
	T(SID, "SID"),
	T(SECURITY_DESCRIPTOR, "SECURITY_DESCRIPTOR_TYPE"),
	T(TOKEN_INFORMATION, "TOKEN_INFORMATION_TYPE"),
	T(TOKEN_ACCESS_INFORMATION, "TOKEN_ACCESS_INFORMATION_TYPE"),
	T(UNICODE_STRING, "UNICODE_STRING_TYPE"),
	T(BYTE_ARRAY6, "BYTE_ARRAY6_TYPE"),
	T(BITMAP_INDEX, "BITMAP_INDEX_TYPE"),
	T(BITMAP_ARRAY64, "BITMAP_ARRAY64_TYPE"),
};

/* The condition-only types live above FWP_SINGLE_DATA_TYPE_MAX. */
static const char *const cond_type_names[] = {
	[WFP_V4_ADDR_MASK - WFP_V4_ADDR_MASK] = "FWP_V4_ADDR_MASK",
	[WFP_V6_ADDR_MASK - WFP_V4_ADDR_MASK] = "FWP_V6_ADDR_MASK",
	[WFP_RANGE - WFP_V4_ADDR_MASK] = "FWP_RANGE_TYPE",
};

#undef T

_Static_assert(ARRAY_SIZE(type_names) == WFP_BITMAP_ARRAY64 + 1, "type names");
_Static_assert(ARRAY_SIZE(cond_type_names) == WFP_DATA_TYPE_MAX - WFP_V4_ADDR_MASK,
	       "condition type names");

const char *wfp_data_type_name(unsigned type)
{
	if (type < ARRAY_SIZE(type_names))
		return type_names[type];
	if (type >= WFP_V4_ADDR_MASK && type < WFP_DATA_TYPE_MAX)
		return cond_type_names[type - WFP_V4_ADDR_MASK];
	return NULL;
}

static bool type_eq(const char *s, const char *name)
{
	return eq_opt_suffix(s, name + strlen("FWP_"), "_TYPE");
}

int wfp_data_type_by_name(const char *name)
{
	if (!name)
		return -WFP_E_NOT_FOUND;
	name = wfp_name_strip(name, "FWP_");
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (type_eq(name, type_names[i]))
			return (int)i;
	for (size_t i = 0; i < ARRAY_SIZE(cond_type_names); i++)
		if (type_eq(name, cond_type_names[i]))
			return (int)(WFP_V4_ADDR_MASK + i);
	return -WFP_E_NOT_FOUND;
}

/* ---- match types ---- */

#define M(v) [WFP_MATCH_##v] = "FWP_MATCH_" #v

static const char *const match_names[] = {
	M(EQUAL),
	M(GREATER),
	M(LESS),
	M(GREATER_OR_EQUAL),
	M(LESS_OR_EQUAL),
	M(RANGE),
	M(FLAGS_ALL_SET),
	M(FLAGS_ANY_SET),
	M(FLAGS_NONE_SET),
	M(EQUAL_CASE_INSENSITIVE),
	M(NOT_EQUAL),
	M(PREFIX),
	M(NOT_PREFIX),
};

#undef M

_Static_assert(ARRAY_SIZE(match_names) == WFP_MATCH_MAX, "match names");

const char *wfp_match_name(unsigned match)
{
	return match < WFP_MATCH_MAX ? match_names[match] : NULL;
}

int wfp_match_by_name(const char *name)
{
	if (!name)
		return -WFP_E_NOT_FOUND;
	name = wfp_name_strip(name, "FWP_");
	name = wfp_name_strip(name, "MATCH_");
	for (unsigned i = 0; i < WFP_MATCH_MAX; i++)
		if (wfp_name_eq(name, match_names[i] + strlen("FWP_MATCH_")))
			return (int)i;
	return -WFP_E_NOT_FOUND;
}

/* ---- action types ---- */

#define A(v) { WFP_ACTION_##v, "FWP_ACTION_" #v }

static const struct {
	uint32_t type;
	const char *name;
} actions[] = {
	A(BLOCK),
	A(PERMIT),
	A(CALLOUT_TERMINATING),
	A(CALLOUT_INSPECTION),
	A(CALLOUT_UNKNOWN),
	A(CONTINUE),
	A(NONE),
	A(NONE_NO_MATCH),
};

#undef A

const char *wfp_action_name(uint32_t action)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (actions[i].type == action)
			return actions[i].name;
	return NULL;
}

/* Return: 0 with *out set, or -WFP_E_NOT_FOUND. */
int wfp_action_by_name(const char *name, uint32_t *out)
{
	if (!name || !out)
		return -WFP_E_NOT_FOUND;
	name = wfp_name_strip(name, "FWP_");
	name = wfp_name_strip(name, "ACTION_");
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (wfp_name_eq(name, actions[i].name + strlen("FWP_ACTION_"))) {
			*out = actions[i].type;
			return 0;
		}
	}
	return -WFP_E_NOT_FOUND;
}
