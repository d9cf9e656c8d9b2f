/* SPDX-License-Identifier: MIT */
/*
 * cond.h - condition values: validation at add time, deep copies, and the
 * test of one condition against one incoming value (spec §5).  Private to
 * libwfp.
 */
#ifndef WFP_COND_H
#define WFP_COND_H

#include <stdbool.h>
#include <wfp/wfp.h>

struct wfp_sd; /* parsed security descriptor, sd.c */

/*
 * A compiled condition: the slot of the incoming value it reads, the match
 * type and a private deep copy of the value (blobs owned), plus a parsed
 * security descriptor when the value is one.
 */
struct wfp_ccond {
	uint16_t slot;  /* index into struct wfp_incoming.values */
	uint16_t field; /* enum wfp_field */
	uint16_t match; /* enum wfp_match */
	uint16_t pad;
	struct wfp_cond_value val;
	struct wfp_sd *sd; /* WFP_SECURITY_DESCRIPTOR values only */
};

/**
 * wfp_cond_check - validate a condition for a layer (spec §5.3, §5.4).
 * Return: 0, or -WFP_E_CONDITION_NOT_FOUND (field not at layer),
 * -WFP_E_TYPE_MISMATCH, -WFP_E_MATCH_TYPE_MISMATCH, -WFP_E_INVALID_RANGE,
 * -WFP_E_INVALID_NET_MASK, -WFP_E_INVALID_PARAMETER (bad SDDL/SID/blob),
 * -WFP_E_INVALID_ENUMERATOR (match type out of range), and for caller
 * bugs -WFP_E_NULL_POINTER (c == NULL), -WFP_E_LAYER_NOT_FOUND.  The
 * checks run in the fixed order of docs/internals/conditions.md.
 */
int wfp_cond_check(unsigned layer, const struct wfp_filter_cond *c);

/* Deep copy (blobs, strings, SID/SD text, range ends, tokens); dst is
 * overwritten, and also gets v.type = type.  0 or -WFP_E_NOMEM
 * (-WFP_E_INVALID_PARAMETER for NULL data with size > 0); on failure dst
 * is EMPTY. */
int wfp_cond_value_dup(struct wfp_cond_value *dst, const struct wfp_cond_value *src);
/* Frees what wfp_cond_value_dup allocated; leaves an EMPTY value. */
void wfp_cond_value_fini(struct wfp_cond_value *v);

/* pre: wfp_cond_check(layer, c) == 0.  Builds cc with its own copy. */
int wfp_ccond_build(struct wfp_ccond *cc, unsigned layer, const struct wfp_filter_cond *c);
void wfp_ccond_fini(struct wfp_ccond *cc);

/* Does incoming value v (NULL = EMPTY) satisfy the condition?  Never
 * allocates.  Ordering and flag tests against EMPTY are false; EQUAL to an
 * EMPTY condition and NOT_EQUAL to a non-empty one are true (spec §9). */
bool wfp_ccond_test(const struct wfp_ccond *cc, const struct wfp_value *v);

/* Formats a value for traces and listings ("10.0.0.1", "80", "fd00::1",
 * "\"/usr/bin/curl\"", "0x00000004").  Returns buf. */
char *wfp_value_format(const struct wfp_value *v, char *buf, size_t len);
char *wfp_cond_value_format(const struct wfp_cond_value *v, char *buf, size_t len);

/*
 * Like wfp_value_format, but knows the field: address fields
 * (IP_*_ADDRESS, EMBEDDED_REMOTE_ADDRESS) print as addresses, bit-set
 * fields (FLAGS, REAUTHORIZE_REASON) in hex.  field may be WFP_FIELD_MAX
 * (unknown).  Returns buf.
 */
char *wfp_value_format_field(const struct wfp_value *v, unsigned field,
			     char *buf, size_t len);
char *wfp_cond_value_format_field(const struct wfp_cond_value *v,
				  unsigned field, char *buf, size_t len);

/* SIDs (sd.c), binary form of the canonical text "S-1-<auth>-<sub>...". */
enum {
	WFP_SID_MAX_SUB = 15,   /* sub-authorities, as on Windows */
	WFP_SID_TEXT_MAX = 192, /* longest canonical text + NUL */
};

struct wfp_sid {
	uint64_t auth; /* 48-bit identifier authority */
	uint8_t nsub;
	uint32_t sub[WFP_SID_MAX_SUB];
};

/* Exactly "S-1-..." (either case of 'S'), no aliases, no trailing bytes.
 * 0 or -WFP_E_INVALID_PARAMETER. */
int wfp_sid_parse(const uint8_t *s, size_t len, struct wfp_sid *out);
/* Canonical text; returns its length, or -WFP_E_LIMIT if len is short. */
int wfp_sid_format(const struct wfp_sid *sid, char *buf, size_t len);
bool wfp_sid_equal(const struct wfp_sid *a, const struct wfp_sid *b);

/* Security descriptors (sd.c): SDDL subset, docs/internals/sd.md.
 * 0, -WFP_E_INVALID_PARAMETER or -WFP_E_NOMEM.  A trailing NUL is allowed.
 * *out is the caller's, freed with wfp_sd_free; out may be NULL to only
 * validate (then nothing is allocated). */
int wfp_sd_parse(const uint8_t *sddl, size_t len, struct wfp_sd **out);
/* Same, also telling where parsing stopped and why (a static string). */
int wfp_sd_parse_ex(const uint8_t *sddl, size_t len, struct wfp_sd **out,
		    size_t *errpos, const char **why);
/* The parsed shape, for tests and listings. */
unsigned wfp_sd_ace_count(const struct wfp_sd *sd);
int wfp_sd_ace(const struct wfp_sd *sd, unsigned k, bool *deny, uint32_t *mask,
	       struct wfp_sid *sid);
bool wfp_sd_has_dacl(const struct wfp_sd *sd);
/* ACE k is inherit-only (IO): it takes no part in the access check. */
bool wfp_sd_ace_inherit_only(const struct wfp_sd *sd, unsigned k);
const struct wfp_sid *wfp_sd_owner(const struct wfp_sd *sd);
const struct wfp_sid *wfp_sd_group(const struct wfp_sd *sd);
void wfp_sd_free(struct wfp_sd *sd);
/* Access check of token against sd for access mask (1 = MATCH_FILTER). */
bool wfp_sd_access_check(const struct wfp_sd *sd, const struct wfp_token *tok,
			 uint32_t access);

#endif
