/* SPDX-License-Identifier: MIT */
/*
 * wfp_error.h - error codes of libwfp.
 *
 * Every libwfp call that can fail returns 0 or a negative enum wfp_err.
 * The WFP codes keep the low 16 bits of Windows' FWP_E_* HRESULTs
 * (facility 0x32, spec §6.9), so -WFP_E_ALREADY_EXISTS is 0x80320009 on
 * Windows; wfp_err_hresult() gives back the full HRESULT.  Codes at and
 * above WFP_E_LIB_BASE are libwfp's own (out of memory, bad argument).
 */
#ifndef WFP_ERROR_H
#define WFP_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WFP_API
#define WFP_API __attribute__((visibility("default")))
#endif

enum wfp_err {
	WFP_OK = 0,
	WFP_E_CALLOUT_NOT_FOUND = 0x01,
	WFP_E_CONDITION_NOT_FOUND = 0x02,
	WFP_E_FILTER_NOT_FOUND = 0x03,
	WFP_E_LAYER_NOT_FOUND = 0x04,
	WFP_E_PROVIDER_NOT_FOUND = 0x05,
	WFP_E_PROVIDER_CONTEXT_NOT_FOUND = 0x06,
	WFP_E_SUBLAYER_NOT_FOUND = 0x07,
	WFP_E_NOT_FOUND = 0x08,
	WFP_E_ALREADY_EXISTS = 0x09,
	WFP_E_IN_USE = 0x0A,
	WFP_E_DYNAMIC_SESSION_IN_PROGRESS = 0x0B,
	WFP_E_WRONG_SESSION = 0x0C,
	WFP_E_NO_TXN_IN_PROGRESS = 0x0D,
	WFP_E_TXN_IN_PROGRESS = 0x0E,
	WFP_E_TXN_ABORTED = 0x0F,
	WFP_E_SESSION_ABORTED = 0x10,
	WFP_E_INCOMPATIBLE_TXN = 0x11,
	WFP_E_TIMEOUT = 0x12,
	WFP_E_NET_EVENTS_DISABLED = 0x13,
	WFP_E_INCOMPATIBLE_LAYER = 0x14,
	WFP_E_KM_CLIENTS_ONLY = 0x15,
	WFP_E_LIFETIME_MISMATCH = 0x16,
	WFP_E_BUILTIN_OBJECT = 0x17,
	WFP_E_TOO_MANY_CALLOUTS = 0x18,
	WFP_E_NOTIFICATION_DROPPED = 0x19,
	WFP_E_TRAFFIC_MISMATCH = 0x1A,
	WFP_E_INCOMPATIBLE_SA_STATE = 0x1B,
	WFP_E_NULL_POINTER = 0x1C,
	WFP_E_INVALID_ENUMERATOR = 0x1D,
	WFP_E_INVALID_FLAGS = 0x1E,
	WFP_E_INVALID_NET_MASK = 0x1F,
	WFP_E_INVALID_RANGE = 0x20,
	WFP_E_INVALID_INTERVAL = 0x21,
	WFP_E_ZERO_LENGTH_ARRAY = 0x22,
	WFP_E_NULL_DISPLAY_NAME = 0x23,
	WFP_E_INVALID_ACTION_TYPE = 0x24,
	WFP_E_INVALID_WEIGHT = 0x25,
	WFP_E_MATCH_TYPE_MISMATCH = 0x26,
	WFP_E_TYPE_MISMATCH = 0x27,
	WFP_E_OUT_OF_BOUNDS = 0x28,
	WFP_E_RESERVED = 0x29,
	WFP_E_DUPLICATE_CONDITION = 0x2A,
	WFP_E_DUPLICATE_KEYMOD = 0x2B,
	WFP_E_ACTION_INCOMPATIBLE_WITH_LAYER = 0x2C,
	WFP_E_ACTION_INCOMPATIBLE_WITH_SUBLAYER = 0x2D,
	WFP_E_CONTEXT_INCOMPATIBLE_WITH_LAYER = 0x2E,
	WFP_E_CONTEXT_INCOMPATIBLE_WITH_CALLOUT = 0x2F,
	WFP_E_INCOMPATIBLE_AUTH_METHOD = 0x30,
	WFP_E_INCOMPATIBLE_DH_GROUP = 0x31,
	WFP_E_EM_NOT_SUPPORTED = 0x32,
	WFP_E_NEVER_MATCH = 0x33,
	WFP_E_PROVIDER_CONTEXT_MISMATCH = 0x34,
	WFP_E_INVALID_PARAMETER = 0x35,
	WFP_E_TOO_MANY_SUBLAYERS = 0x36,
	WFP_E_CALLOUT_NOTIFICATION_FAILED = 0x37,
	WFP_E_INVALID_AUTH_TRANSFORM = 0x38,
	WFP_E_INVALID_CIPHER_TRANSFORM = 0x39,

	/* libwfp's own codes, not WFP's */
	WFP_E_LIB_BASE = 0x1000,
	WFP_E_NOMEM = WFP_E_LIB_BASE, /* allocation failed */
	WFP_E_INVAL,                  /* malformed argument */
	WFP_E_LIMIT,                  /* a documented table limit was hit */
	WFP_E_IO,                     /* file or socket error, errno kept */
	WFP_E_PARSE,                  /* syntax error in an input format */
	WFP_E_MAX
};

/* Human-readable text for err (negative or positive); never NULL. */
WFP_API const char *wfp_strerror(int err);
/* Symbolic name, e.g. "FWP_E_ALREADY_EXISTS"; never NULL. */
WFP_API const char *wfp_strerror_name(int err);
/* The Windows HRESULT for a WFP code (0x8032xxxx), 0 for libwfp's own. */
WFP_API uint32_t wfp_err_hresult(int err);

#ifdef __cplusplus
}
#endif
#endif
