/* SPDX-License-Identifier: MIT */
/*
 * guid.c - GUID text <-> binary.
 *
 * struct wfp_guid keeps the 16 bytes in the order they are printed
 * ("c86fd1bf-21cd-..." is b[0] = 0xc8, b[1] = 0x6f, ...), not in the
 * little-endian in-memory layout of a Windows GUID, so formatting and
 * comparing are plain byte loops and the tables can be written as text.
 */
#include <stddef.h>

#include <wfp/wfp.h>

/* Byte offsets of the 16 hex pairs in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
static const uint8_t pair_at[16] = {
	0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
};

/* Locale-independent hex digit value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * wfp_guid_parse - parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
 * @s: the text, optionally in braces; hex in any case; nothing else
 *     (no spaces, no trailing text).
 * @out: receives the GUID; untouched on error.
 * Return: 0, or -WFP_E_INVAL for NULL or malformed text.
 */
int wfp_guid_parse(const char *s, struct wfp_guid *out)
{
	struct wfp_guid g;
	size_t len = 0;
	int brace;

	if (!s || !out)
		return -WFP_E_INVAL;
	brace = s[0] == '{';
	s += brace;
	/* Bounded scan: never read past the terminator of a short string. */
	while (len < 37 && s[len] && s[len] != '}')
		len++;
	if (len != 36)
		return -WFP_E_INVAL;
	if (brace ? (s[36] != '}' || s[37] != '\0') : s[36] != '\0')
		return -WFP_E_INVAL;
	if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -WFP_E_INVAL;
	for (int i = 0; i < 16; i++) {
		int hi = hexval(s[pair_at[i]]), lo = hexval(s[pair_at[i] + 1]);

		if (hi < 0 || lo < 0)
			return -WFP_E_INVAL;
		g.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = g;
	return 0;
}

/* Lower case, no braces; buf must hold 37 bytes.  Returns buf. */
char *wfp_guid_format(const struct wfp_guid *g, char buf[static 37])
{
	static const char hex[] = "0123456789abcdef";
	static const struct wfp_guid zero;
	char *p = buf;

	if (!g)
		g = &zero;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[g->b[i] >> 4];
		*p++ = hex[g->b[i] & 0xf];
	}
	*p = '\0';
	return buf;
}

int wfp_guid_is_zero(const struct wfp_guid *g)
{
	uint8_t acc = 0;

	if (!g)
		return 1;
	for (int i = 0; i < 16; i++)
		acc |= g->b[i];
	return acc == 0;
}

int wfp_guid_eq(const struct wfp_guid *a, const struct wfp_guid *b)
{
	if (!a || !b)
		return a == b;
	for (int i = 0; i < 16; i++)
		if (a->b[i] != b->b[i])
			return 0;
	return 1;
}
