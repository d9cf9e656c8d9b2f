/* SPDX-License-Identifier: MIT */
/*
 * error.c - names and texts of enum wfp_err (spec §6.9).
 *
 * WFP codes keep the low 16 bits of the FWP_E_* HRESULT (facility 0x32),
 * so the table below is indexed by those bits and wfp_err_hresult() just
 * puts 0x80320000 back.  libwfp's own codes (>= WFP_E_LIB_BASE) have no
 * HRESULT.  Every function accepts the code negated (as returned) or not.
 */
#include <stdlib.h>

#include <wfp/wfp.h>

struct err_desc {
	const char *name;
	const char *text;
};

#define E(n, t) [WFP_E_##n] = { "FWP_E_" #n, t }

/* Texts paraphrase the documented meanings (W32:wfp-error-codes). */
static const struct err_desc wfp_errs[] = {
	[WFP_OK] = { "WFP_OK", "success" },
	E(CALLOUT_NOT_FOUND, "callout does not exist"),
	E(CONDITION_NOT_FOUND, "filter condition does not exist"),
	E(FILTER_NOT_FOUND, "filter does not exist"),
	E(LAYER_NOT_FOUND, "layer does not exist"),
	E(PROVIDER_NOT_FOUND, "provider does not exist"),
	E(PROVIDER_CONTEXT_NOT_FOUND, "provider context does not exist"),
	E(SUBLAYER_NOT_FOUND, "sublayer does not exist"),
	E(NOT_FOUND, "object does not exist"),
	E(ALREADY_EXISTS, "object with that GUID or LUID exists"),
	E(IN_USE, "referenced by other objects; cannot delete"),
	E(DYNAMIC_SESSION_IN_PROGRESS, "not allowed from a dynamic session"),
	E(WRONG_SESSION, "made from the wrong session"),
	E(NO_TXN_IN_PROGRESS, "must be inside an explicit transaction"),
	E(TXN_IN_PROGRESS, "not allowed inside an explicit transaction"),
	E(TXN_ABORTED, "explicit transaction was forcibly cancelled"),
	E(SESSION_ABORTED, "session cancelled (handle must still be closed)"),
	E(INCOMPATIBLE_TXN, "not allowed in a read-only transaction"),
	E(TIMEOUT, "timed out waiting for the transaction lock"),
	E(NET_EVENTS_DISABLED, "net-event collection disabled"),
	E(INCOMPATIBLE_LAYER, "operation not supported by the layer"),
	E(KM_CLIENTS_ONLY, "kernel-mode callers only"),
	E(LIFETIME_MISMATCH, "incompatible lifetimes in an association"),
	E(BUILTIN_OBJECT, "built-in object; cannot delete"),
	E(TOO_MANY_CALLOUTS, "callout limit reached"),
	E(NOTIFICATION_DROPPED, "notification queue full"),
	E(TRAFFIC_MISMATCH, "traffic does not match SA context"),
	E(INCOMPATIBLE_SA_STATE, "wrong SA state"),
	E(NULL_POINTER, "required pointer is NULL"),
	E(INVALID_ENUMERATOR, "enum value out of range"),
	E(INVALID_FLAGS, "invalid flags"),
	E(INVALID_NET_MASK, "invalid network mask"),
	E(INVALID_RANGE, "invalid FWP_RANGE0"),
	E(INVALID_INTERVAL, "invalid time interval"),
	E(ZERO_LENGTH_ARRAY, "array must have ≥ 1 element"),
	E(NULL_DISPLAY_NAME, "displayData.name is NULL"),
	E(INVALID_ACTION_TYPE, "action type not allowed for a filter"),
	E(INVALID_WEIGHT, "invalid filter weight"),
	E(MATCH_TYPE_MISMATCH, "match type incompatible with operands"),
	E(TYPE_MISMATCH, "value of the wrong type"),
	E(OUT_OF_BOUNDS, "integer out of allowed range"),
	E(RESERVED, "reserved field non-zero"),
	E(DUPLICATE_CONDITION, "more than one condition on one field"),
	E(DUPLICATE_KEYMOD, "keying module repeated"),
	E(ACTION_INCOMPATIBLE_WITH_LAYER, "action not valid at layer"),
	E(ACTION_INCOMPATIBLE_WITH_SUBLAYER, "action not valid in sublayer"),
	E(CONTEXT_INCOMPATIBLE_WITH_LAYER, "raw/provider context not valid at layer"),
	E(CONTEXT_INCOMPATIBLE_WITH_CALLOUT, "raw/provider context not valid for callout"),
	E(INCOMPATIBLE_AUTH_METHOD, "IPsec authentication method not compatible"),
	E(INCOMPATIBLE_DH_GROUP, "IPsec Diffie-Hellman group not compatible"),
	E(EM_NOT_SUPPORTED, "IPsec extended mode not supported"),
	E(NEVER_MATCH, "enum template / subscription can never match"),
	E(PROVIDER_CONTEXT_MISMATCH, "provider context of wrong type"),
	E(INVALID_PARAMETER, "bad parameter (e.g. invalid/unprintable Unicode string)"),
	E(TOO_MANY_SUBLAYERS, "sublayer limit reached"),
	E(CALLOUT_NOTIFICATION_FAILED, "callout's notify function returned an error"),
	E(INVALID_AUTH_TRANSFORM, "invalid IPsec authentication transform"),
	E(INVALID_CIPHER_TRANSFORM, "invalid IPsec cipher transform"),
};

#undef E
#define E(n, t) [WFP_E_##n - WFP_E_LIB_BASE] = { "WFP_E_" #n, t }

static const struct err_desc lib_errs[] = {
	E(NOMEM, "out of memory"),
	E(INVAL, "invalid argument"),
	E(LIMIT, "a table limit was reached"),
	E(IO, "input/output error"),
	E(PARSE, "syntax error"),
};

#undef E

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(ARRAY_SIZE(wfp_errs) == WFP_E_INVALID_CIPHER_TRANSFORM + 1,
	       "every FWP_E_ code has a name");
_Static_assert(ARRAY_SIZE(lib_errs) == WFP_E_MAX - WFP_E_LIB_BASE,
	       "every libwfp code has a name");

static const struct err_desc *lookup(int err)
{
	unsigned e;

	/* -INT_MIN overflows; it is no code anyway */
	if (err == (-2147483647 - 1))
		return NULL;
	e = (unsigned)abs(err);
	if (e < ARRAY_SIZE(wfp_errs))
		return &wfp_errs[e];
	if (e >= WFP_E_LIB_BASE && e < WFP_E_MAX)
		return &lib_errs[e - WFP_E_LIB_BASE];
	return NULL;
}

const char *wfp_strerror(int err)
{
	const struct err_desc *d = lookup(err);

	return d ? d->text : "unknown error";
}

const char *wfp_strerror_name(int err)
{
	const struct err_desc *d = lookup(err);

	return d ? d->name : "unknown error";
}

uint32_t wfp_err_hresult(int err)
{
	const struct err_desc *d = lookup(err);

	/* WFP_OK and libwfp's own codes have no FWP_E_ HRESULT */
	if (!d || err == 0 || d < wfp_errs || d >= wfp_errs + ARRAY_SIZE(wfp_errs))
		return 0;
	return 0x80320000u | (uint32_t)abs(err);
}
