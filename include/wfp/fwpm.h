/* SPDX-License-Identifier: MIT */
/*
 * fwpm.h - the Windows Filtering Platform management API (fwpmu.h,
 * fwpmtypes.h, fwptypes.h) with Windows' names, structures and return
 * codes, mapped onto libwfp's native API (wfp_mgmt.h, wfp_netevent.h).
 *
 * Management code written for Windows -- a provider installer, a VPN kill
 * switch, the stealth-mode sample of spec §3.8 -- compiles against this
 * header with few or no changes and runs against an openwfp engine.
 * docs/fwpm.md lists what is supported, the deviations (wchar_t is 32
 * bits on Linux, security descriptors are SDDL text, provider contexts
 * are not modelled) and how to port.
 *
 * Functions return ERROR_SUCCESS (0) or a Windows error: the FWP_E_*
 * HRESULTs of spec §6.9, or ERROR_INVALID_PARAMETER / ERROR_NOT_ENOUGH_MEMORY
 * / ERROR_INVALID_HANDLE for libwfp's own failures.  Everything a
 * function returns through a pointer-to-pointer is freed with one
 * FwpmFreeMemory0() call, as on Windows.
 *
 * This header deliberately breaks the project's naming rules (STYLE §2):
 * its whole point is Windows' names.
 */
#ifndef WFP_FWPM_H
#define WFP_FWPM_H

#include <stdint.h>
#include <wchar.h>

#include <wfp/wfp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows base types (define OPENWFP_HAVE_WINDOWS_TYPES to skip) ---- */

#ifndef OPENWFP_HAVE_WINDOWS_TYPES
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef int8_t INT8;
typedef int16_t INT16;
typedef int32_t INT32;
typedef int64_t INT64;
typedef uint8_t BYTE;
typedef uint32_t DWORD;
typedef uint32_t ULONG; /* 32 bits, as on Windows (LLP64) */
typedef int BOOL;
typedef void *HANDLE;
typedef wchar_t *PWSTR;
typedef wchar_t *LPWSTR;
typedef const wchar_t *PCWSTR;
typedef void *PSECURITY_DESCRIPTOR;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef struct _FILETIME {
	DWORD dwLowDateTime;
	DWORD dwHighDateTime;
} FILETIME;

/* Windows' in-memory GUID.  libwfp's struct wfp_guid keeps the bytes in
 * textual order instead; wfp_guid_to_win/wfp_guid_from_win convert. */
typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t Data4[8];
} GUID;

typedef struct _SID_IDENTIFIER_AUTHORITY {
	BYTE Value[6];
} SID_IDENTIFIER_AUTHORITY;

/* A binary SID; SubAuthority really has SubAuthorityCount entries. */
typedef struct _SID {
	BYTE Revision;
	BYTE SubAuthorityCount;
	SID_IDENTIFIER_AUTHORITY IdentifierAuthority;
	DWORD SubAuthority[1];
} SID, *PSID;

typedef struct _SID_AND_ATTRIBUTES {
	PSID Sid;
	DWORD Attributes;
} SID_AND_ATTRIBUTES;

/* Not used by libwfp; declared so that calls compile unchanged. */
typedef struct _SEC_WINNT_AUTH_IDENTITY_W SEC_WINNT_AUTH_IDENTITY_W;
#endif /* OPENWFP_HAVE_WINDOWS_TYPES */

#define ERROR_SUCCESS 0UL
#define ERROR_INVALID_HANDLE 6UL
#define ERROR_NOT_ENOUGH_MEMORY 8UL
#define ERROR_GEN_FAILURE 31UL
#define ERROR_INVALID_PARAMETER 87UL
#define RPC_C_AUTHN_WINNT 10
#define RPC_C_AUTHN_DEFAULT 0xFFFFFFFFUL

/* ---- FWP_E_* (HRESULT facility 0x32, spec §6.9) ---- */

#define FWP_E_CALLOUT_NOT_FOUND                    ((DWORD)0x80320001UL)
#define FWP_E_CONDITION_NOT_FOUND                  ((DWORD)0x80320002UL)
#define FWP_E_FILTER_NOT_FOUND                     ((DWORD)0x80320003UL)
#define FWP_E_LAYER_NOT_FOUND                      ((DWORD)0x80320004UL)
#define FWP_E_PROVIDER_NOT_FOUND                   ((DWORD)0x80320005UL)
#define FWP_E_PROVIDER_CONTEXT_NOT_FOUND           ((DWORD)0x80320006UL)
#define FWP_E_SUBLAYER_NOT_FOUND                   ((DWORD)0x80320007UL)
#define FWP_E_NOT_FOUND                            ((DWORD)0x80320008UL)
#define FWP_E_ALREADY_EXISTS                       ((DWORD)0x80320009UL)
#define FWP_E_IN_USE                               ((DWORD)0x8032000AUL)
#define FWP_E_DYNAMIC_SESSION_IN_PROGRESS          ((DWORD)0x8032000BUL)
#define FWP_E_WRONG_SESSION                        ((DWORD)0x8032000CUL)
#define FWP_E_NO_TXN_IN_PROGRESS                   ((DWORD)0x8032000DUL)
#define FWP_E_TXN_IN_PROGRESS                      ((DWORD)0x8032000EUL)
#define FWP_E_TXN_ABORTED                          ((DWORD)0x8032000FUL)
#define FWP_E_SESSION_ABORTED                      ((DWORD)0x80320010UL)
#define FWP_E_INCOMPATIBLE_TXN                     ((DWORD)0x80320011UL)
#define FWP_E_TIMEOUT                              ((DWORD)0x80320012UL)
#define FWP_E_NET_EVENTS_DISABLED                  ((DWORD)0x80320013UL)
#define FWP_E_INCOMPATIBLE_LAYER                   ((DWORD)0x80320014UL)
#define FWP_E_KM_CLIENTS_ONLY                      ((DWORD)0x80320015UL)
#define FWP_E_LIFETIME_MISMATCH                    ((DWORD)0x80320016UL)
#define FWP_E_BUILTIN_OBJECT                       ((DWORD)0x80320017UL)
#define FWP_E_TOO_MANY_CALLOUTS                    ((DWORD)0x80320018UL)
#define FWP_E_NOTIFICATION_DROPPED                 ((DWORD)0x80320019UL)
#define FWP_E_TRAFFIC_MISMATCH                     ((DWORD)0x8032001AUL)
#define FWP_E_INCOMPATIBLE_SA_STATE                ((DWORD)0x8032001BUL)
#define FWP_E_NULL_POINTER                         ((DWORD)0x8032001CUL)
#define FWP_E_INVALID_ENUMERATOR                   ((DWORD)0x8032001DUL)
#define FWP_E_INVALID_FLAGS                        ((DWORD)0x8032001EUL)
#define FWP_E_INVALID_NET_MASK                     ((DWORD)0x8032001FUL)
#define FWP_E_INVALID_RANGE                        ((DWORD)0x80320020UL)
#define FWP_E_INVALID_INTERVAL                     ((DWORD)0x80320021UL)
#define FWP_E_ZERO_LENGTH_ARRAY                    ((DWORD)0x80320022UL)
#define FWP_E_NULL_DISPLAY_NAME                    ((DWORD)0x80320023UL)
#define FWP_E_INVALID_ACTION_TYPE                  ((DWORD)0x80320024UL)
#define FWP_E_INVALID_WEIGHT                       ((DWORD)0x80320025UL)
#define FWP_E_MATCH_TYPE_MISMATCH                  ((DWORD)0x80320026UL)
#define FWP_E_TYPE_MISMATCH                        ((DWORD)0x80320027UL)
#define FWP_E_OUT_OF_BOUNDS                        ((DWORD)0x80320028UL)
#define FWP_E_RESERVED                             ((DWORD)0x80320029UL)
#define FWP_E_DUPLICATE_CONDITION                  ((DWORD)0x8032002AUL)
#define FWP_E_DUPLICATE_KEYMOD                     ((DWORD)0x8032002BUL)
#define FWP_E_ACTION_INCOMPATIBLE_WITH_LAYER       ((DWORD)0x8032002CUL)
#define FWP_E_ACTION_INCOMPATIBLE_WITH_SUBLAYER    ((DWORD)0x8032002DUL)
#define FWP_E_CONTEXT_INCOMPATIBLE_WITH_LAYER      ((DWORD)0x8032002EUL)
#define FWP_E_CONTEXT_INCOMPATIBLE_WITH_CALLOUT    ((DWORD)0x8032002FUL)
#define FWP_E_INCOMPATIBLE_AUTH_METHOD             ((DWORD)0x80320030UL)
#define FWP_E_INCOMPATIBLE_DH_GROUP                ((DWORD)0x80320031UL)
#define FWP_E_EM_NOT_SUPPORTED                     ((DWORD)0x80320032UL)
#define FWP_E_NEVER_MATCH                          ((DWORD)0x80320033UL)
#define FWP_E_PROVIDER_CONTEXT_MISMATCH            ((DWORD)0x80320034UL)
#define FWP_E_INVALID_PARAMETER                    ((DWORD)0x80320035UL)
#define FWP_E_TOO_MANY_SUBLAYERS                   ((DWORD)0x80320036UL)
#define FWP_E_CALLOUT_NOTIFICATION_FAILED          ((DWORD)0x80320037UL)
#define FWP_E_INVALID_AUTH_TRANSFORM               ((DWORD)0x80320038UL)
#define FWP_E_INVALID_CIPHER_TRANSFORM             ((DWORD)0x80320039UL)

/* ---- fwptypes.h ---- */

typedef enum FWP_DATA_TYPE_ {
	FWP_EMPTY = 0,
	FWP_UINT8 = 1,
	FWP_UINT16 = 2,
	FWP_UINT32 = 3,
	FWP_UINT64 = 4,
	FWP_INT8 = 5,
	FWP_INT16 = 6,
	FWP_INT32 = 7,
	FWP_INT64 = 8,
	FWP_FLOAT = 9,
	FWP_DOUBLE = 10,
	FWP_BYTE_ARRAY16_TYPE = 11,
	FWP_BYTE_BLOB_TYPE = 12,
	FWP_SID = 13,
	FWP_SECURITY_DESCRIPTOR_TYPE = 14,
	FWP_TOKEN_INFORMATION_TYPE = 15,
	FWP_TOKEN_ACCESS_INFORMATION_TYPE = 16,
	FWP_UNICODE_STRING_TYPE = 17,
	FWP_BYTE_ARRAY6_TYPE = 18,
	FWP_BITMAP_INDEX_TYPE = 19,
	FWP_BITMAP_ARRAY64_TYPE = 20,
	FWP_SINGLE_DATA_TYPE_MAX = 0xff,
	FWP_V4_ADDR_MASK = 0x100,
	FWP_V6_ADDR_MASK = 0x101,
	FWP_RANGE_TYPE = 0x102,
	FWP_DATA_TYPE_MAX = 0x103
} FWP_DATA_TYPE;

typedef enum FWP_MATCH_TYPE_ {
	FWP_MATCH_EQUAL = 0,
	FWP_MATCH_GREATER = 1,
	FWP_MATCH_LESS = 2,
	FWP_MATCH_GREATER_OR_EQUAL = 3,
	FWP_MATCH_LESS_OR_EQUAL = 4,
	FWP_MATCH_RANGE = 5,
	FWP_MATCH_FLAGS_ALL_SET = 6,
	FWP_MATCH_FLAGS_ANY_SET = 7,
	FWP_MATCH_FLAGS_NONE_SET = 8,
	FWP_MATCH_EQUAL_CASE_INSENSITIVE = 9,
	FWP_MATCH_NOT_EQUAL = 10,
	FWP_MATCH_PREFIX = 11,
	FWP_MATCH_NOT_PREFIX = 12,
	FWP_MATCH_TYPE_MAX = 13
} FWP_MATCH_TYPE;

typedef UINT32 FWP_ACTION_TYPE;
#define FWP_ACTION_FLAG_TERMINATING 0x00001000U
#define FWP_ACTION_FLAG_NON_TERMINATING 0x00002000U
#define FWP_ACTION_FLAG_CALLOUT 0x00004000U
#define FWP_ACTION_BLOCK (0x1U | FWP_ACTION_FLAG_TERMINATING)
#define FWP_ACTION_PERMIT (0x2U | FWP_ACTION_FLAG_TERMINATING)
#define FWP_ACTION_CALLOUT_TERMINATING \
	(0x3U | FWP_ACTION_FLAG_CALLOUT | FWP_ACTION_FLAG_TERMINATING)
#define FWP_ACTION_CALLOUT_INSPECTION \
	(0x4U | FWP_ACTION_FLAG_CALLOUT | FWP_ACTION_FLAG_NON_TERMINATING)
#define FWP_ACTION_CALLOUT_UNKNOWN (0x5U | FWP_ACTION_FLAG_CALLOUT)
#define FWP_ACTION_CONTINUE (0x6U | FWP_ACTION_FLAG_NON_TERMINATING)
#define FWP_ACTION_NONE 0x7U
#define FWP_ACTION_NONE_NO_MATCH 0x8U

typedef enum FWP_DIRECTION_ {
	FWP_DIRECTION_OUTBOUND = 0,
	FWP_DIRECTION_INBOUND = 1,
	FWP_DIRECTION_MAX = 2
} FWP_DIRECTION;

typedef enum FWP_IP_VERSION_ {
	FWP_IP_VERSION_V4 = 0,
	FWP_IP_VERSION_V6 = 1,
	FWP_IP_VERSION_NONE = 2,
	FWP_IP_VERSION_MAX = 3
} FWP_IP_VERSION;

typedef enum FWP_AF_ {
	FWP_AF_INET = 0,
	FWP_AF_INET6 = 1,
	FWP_AF_ETHER = 2,
	FWP_AF_NONE = 3
} FWP_AF;

/* msFwpDirection of net events (spec §7.1) */
#define FWP_DIRECTION_IN 0x00003900U
#define FWP_DIRECTION_OUT 0x00003901U
#define FWP_DIRECTION_FORWARD 0x00003902U

#define FWP_CONDITION_FLAG_IS_LOOPBACK 0x00000001U
#define FWP_CONDITION_FLAG_IS_IPSEC_SECURED 0x00000002U
#define FWP_CONDITION_FLAG_IS_REAUTHORIZE 0x00000004U
#define FWP_CONDITION_FLAG_IS_WILDCARD_BIND 0x00000008U
#define FWP_CONDITION_FLAG_IS_RAW_ENDPOINT 0x00000010U
#define FWP_CONDITION_FLAG_IS_FRAGMENT 0x00000020U
#define FWP_CONDITION_FLAG_IS_FRAGMENT_GROUP 0x00000040U
#define FWP_CONDITION_FLAG_IS_IPSEC_NATT_RECLASSIFY 0x00000080U
#define FWP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY 0x00000100U
#define FWP_CONDITION_FLAG_IS_IMPLICIT_BIND 0x00000200U
#define FWP_CONDITION_FLAG_IS_REASSEMBLED 0x00000400U
#define FWP_CONDITION_FLAG_IS_NAME_APP_SPECIFIED 0x00004000U
#define FWP_CONDITION_FLAG_IS_PROMISCUOUS 0x00008000U
#define FWP_CONDITION_FLAG_IS_AUTH_FW 0x00010000U
#define FWP_CONDITION_FLAG_IS_RECLASSIFY 0x00020000U
#define FWP_CONDITION_FLAG_IS_OUTBOUND_PASS_THRU 0x00040000U
#define FWP_CONDITION_FLAG_IS_INBOUND_PASS_THRU 0x00080000U
#define FWP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED 0x00100000U

typedef struct FWP_BYTE_ARRAY16_ {
	UINT8 byteArray16[16];
} FWP_BYTE_ARRAY16;

typedef struct FWP_BYTE_ARRAY6_ {
	UINT8 byteArray6[6];
} FWP_BYTE_ARRAY6;

typedef struct FWP_BITMAP_ARRAY64_ {
	UINT8 bitmapArray64[8]; /* bit i: byte i / 8, bit i % 8 */
} FWP_BITMAP_ARRAY64;

typedef struct FWP_BYTE_BLOB_ {
	UINT32 size;
	UINT8 *data;
} FWP_BYTE_BLOB;

typedef struct FWP_TOKEN_INFORMATION_ {
	ULONG sidCount;
	SID_AND_ATTRIBUTES *sids;
	ULONG restrictedSidCount;
	SID_AND_ATTRIBUTES *restrictedSids;
} FWP_TOKEN_INFORMATION;

/* Both in host order. */
typedef struct FWP_V4_ADDR_AND_MASK_ {
	UINT32 addr;
	UINT32 mask;
} FWP_V4_ADDR_AND_MASK;

#define FWP_V6_ADDR_SIZE 16
typedef struct FWP_V6_ADDR_AND_MASK_ {
	UINT8 addr[FWP_V6_ADDR_SIZE];
	UINT8 prefixLength;
} FWP_V6_ADDR_AND_MASK;

/*
 * FWP_SID: a binary SID, converted to and from libwfp's "S-1-..." text.
 * FWP_SECURITY_DESCRIPTOR_TYPE: on openwfp the blob holds SDDL text
 * (UTF-8, optionally NUL-terminated), not a binary self-relative SD.
 * FWP_UNICODE_STRING_TYPE: a NUL-terminated wchar_t string (UTF-32 on
 * Linux), converted to UTF-8 for the engine.
 */
typedef struct FWP_VALUE0_ {
	FWP_DATA_TYPE type;
	union {
		UINT8 uint8;
		UINT16 uint16;
		UINT32 uint32;
		UINT64 *uint64;
		INT8 int8;
		INT16 int16;
		INT32 int32;
		INT64 *int64;
		float float32;
		double *double64;
		FWP_BYTE_ARRAY16 *byteArray16;
		FWP_BYTE_BLOB *byteBlob;
		SID *sid;
		FWP_BYTE_BLOB *sd;
		FWP_TOKEN_INFORMATION *tokenInformation;
		FWP_BYTE_BLOB *tokenAccessInformation;
		LPWSTR unicodeString;
		FWP_BYTE_ARRAY6 *byteArray6;
		FWP_BITMAP_ARRAY64 *bitmapArray64;
	};
} FWP_VALUE0;

typedef struct FWP_RANGE0_ {
	FWP_VALUE0 valueLow;
	FWP_VALUE0 valueHigh;
} FWP_RANGE0;

typedef struct FWP_CONDITION_VALUE0_ {
	FWP_DATA_TYPE type;
	union {
		UINT8 uint8;
		UINT16 uint16;
		UINT32 uint32;
		UINT64 *uint64;
		INT8 int8;
		INT16 int16;
		INT32 int32;
		INT64 *int64;
		float float32;
		double *double64;
		FWP_BYTE_ARRAY16 *byteArray16;
		FWP_BYTE_BLOB *byteBlob;
		SID *sid;
		FWP_BYTE_BLOB *sd;
		FWP_TOKEN_INFORMATION *tokenInformation;
		FWP_BYTE_BLOB *tokenAccessInformation;
		LPWSTR unicodeString;
		FWP_BYTE_ARRAY6 *byteArray6;
		FWP_BITMAP_ARRAY64 *bitmapArray64;
		FWP_V4_ADDR_AND_MASK *v4AddrMask;
		FWP_V6_ADDR_AND_MASK *v6AddrMask;
		FWP_RANGE0 *rangeValue;
	};
} FWP_CONDITION_VALUE0;

typedef enum FWP_FILTER_ENUM_TYPE_ {
	FWP_FILTER_ENUM_FULLY_CONTAINED = 0,
	FWP_FILTER_ENUM_OVERLAPPING = 1,
	FWP_FILTER_ENUM_TYPE_MAX = 2
} FWP_FILTER_ENUM_TYPE;

#define FWP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH 0x00000001U
#define FWP_FILTER_ENUM_FLAG_SORTED 0x00000002U
#define FWP_FILTER_ENUM_FLAG_BOOTTIME_ONLY 0x00000004U
#define FWP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME 0x00000008U
#define FWP_FILTER_ENUM_FLAG_INCLUDE_DISABLED 0x00000010U

/* ---- fwpmtypes.h ---- */

typedef struct FWPM_DISPLAY_DATA0_ {
	wchar_t *name; /* mandatory on add: NULL -> FWP_E_NULL_DISPLAY_NAME */
	wchar_t *description;
} FWPM_DISPLAY_DATA0;

#define FWPM_SESSION_FLAG_DYNAMIC 0x00000001U
#define FWPM_SESSION_FLAG_RESERVED 0x10000000U

/* txnWaitTimeoutInMSec, processId, sid, username and kernelMode are
 * accepted and ignored (libwfp never waits for the lock). */
typedef struct FWPM_SESSION0_ {
	GUID sessionKey;
	FWPM_DISPLAY_DATA0 displayData;
	UINT32 flags;
	UINT32 txnWaitTimeoutInMSec;
	DWORD processId;
	SID *sid;
	wchar_t *username;
	BOOL kernelMode;
} FWPM_SESSION0;

#define FWPM_TXN_READ_ONLY 0x00000001U

#define FWPM_PROVIDER_FLAG_PERSISTENT 0x00000001U
#define FWPM_PROVIDER_FLAG_DISABLED 0x00000010U

/* providerData is accepted and not kept: get returns it empty. */
typedef struct FWPM_PROVIDER0_ {
	GUID providerKey;
	FWPM_DISPLAY_DATA0 displayData;
	UINT32 flags;
	FWP_BYTE_BLOB providerData;
	wchar_t *serviceName;
} FWPM_PROVIDER0;

#define FWPM_SUBLAYER_FLAG_PERSISTENT 0x00000001U

typedef struct FWPM_SUBLAYER0_ {
	GUID subLayerKey;
	FWPM_DISPLAY_DATA0 displayData;
	UINT32 flags;
	GUID *providerKey;
	FWP_BYTE_BLOB providerData;
	UINT16 weight;
} FWPM_SUBLAYER0;

#define FWPM_CALLOUT_FLAG_PERSISTENT 0x00010000U
#define FWPM_CALLOUT_FLAG_USES_PROVIDER_CONTEXT 0x00020000U
#define FWPM_CALLOUT_FLAG_REGISTERED 0x00040000U

typedef struct FWPM_CALLOUT0_ {
	GUID calloutKey;
	FWPM_DISPLAY_DATA0 displayData;
	UINT32 flags;
	GUID *providerKey;
	FWP_BYTE_BLOB providerData;
	GUID applicableLayer;
	UINT32 calloutId;
} FWPM_CALLOUT0;

typedef struct FWPM_FILTER_CONDITION0_ {
	GUID fieldKey;
	FWP_MATCH_TYPE matchType;
	FWP_CONDITION_VALUE0 conditionValue;
} FWPM_FILTER_CONDITION0;

typedef struct FWPM_ACTION0_ {
	FWP_ACTION_TYPE type;
	union {
		GUID filterType;
		GUID calloutKey;
	};
} FWPM_ACTION0;

#define FWPM_FILTER_FLAG_NONE 0x00000000U
#define FWPM_FILTER_FLAG_PERSISTENT 0x00000001U
#define FWPM_FILTER_FLAG_BOOTTIME 0x00000002U
#define FWPM_FILTER_FLAG_HAS_PROVIDER_CONTEXT 0x00000004U
#define FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT 0x00000008U
#define FWPM_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED 0x00000010U
#define FWPM_FILTER_FLAG_DISABLED 0x00000020U
#define FWPM_FILTER_FLAG_INDEXED 0x00000040U

/* layerKey / subLayerKey (zero: FWPM_SUBLAYER_UNIVERSAL) and the
 * condition fieldKeys are mapped onto libwfp's layer and field tables. */
typedef struct FWPM_FILTER0_ {
	GUID filterKey;
	FWPM_DISPLAY_DATA0 displayData;
	UINT32 flags;
	GUID *providerKey;
	FWP_BYTE_BLOB providerData;
	GUID layerKey;
	GUID subLayerKey;
	FWP_VALUE0 weight;
	UINT32 numFilterConditions;
	FWPM_FILTER_CONDITION0 *filterCondition;
	FWPM_ACTION0 action;
	union {
		UINT64 rawContext;
		GUID providerContextKey;
	};
	GUID *reserved;
	UINT64 filterId;          /* output */
	FWP_VALUE0 effectiveWeight; /* output: FWP_UINT64 */
} FWPM_FILTER0;

/* Provider contexts are not modelled: a non-NULL template matches no
 * filter. */
typedef struct FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0_ FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0;

/*
 * A zero layerKey means "every layer" (an openwfp extension).  Template
 * conditions must name distinct fields (else FWP_E_DUPLICATE_CONDITION);
 * docs/fwpm.md says how FULLY_CONTAINED and OVERLAPPING are decided.
 */
typedef struct FWPM_FILTER_ENUM_TEMPLATE0_ {
	GUID *providerKey;
	GUID layerKey;
	FWP_FILTER_ENUM_TYPE enumType;
	UINT32 flags;
	FWPM_PROVIDER_CONTEXT_ENUM_TEMPLATE0 *providerContextTemplate;
	UINT32 numFilterConditions;
	FWPM_FILTER_CONDITION0 *filterCondition;
	UINT32 actionMask; /* 0xFFFFFFFF: any action */
	GUID *calloutKey;
} FWPM_FILTER_ENUM_TEMPLATE0;

typedef enum FWPM_CHANGE_TYPE_ {
	FWPM_CHANGE_ADD = 1,
	FWPM_CHANGE_DELETE = 2,
	FWPM_CHANGE_TYPE_MAX = 3
} FWPM_CHANGE_TYPE;

#define FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_ADD 0x00000001U
#define FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_DELETE 0x00000002U

typedef struct FWPM_FILTER_CHANGE0_ {
	FWPM_CHANGE_TYPE changeType;
	GUID filterKey;
	UINT64 filterId;
} FWPM_FILTER_CHANGE0;

/* sessionKey is ignored: the subscription belongs to the engine handle. */
typedef struct FWPM_FILTER_SUBSCRIPTION0_ {
	FWPM_FILTER_ENUM_TEMPLATE0 *enumTemplate;
	UINT32 flags;
	GUID sessionKey;
} FWPM_FILTER_SUBSCRIPTION0;

typedef void (*FWPM_FILTER_CHANGE_CALLBACK0)(void *context,
					     const FWPM_FILTER_CHANGE0 *change);

typedef enum FWPM_ENGINE_OPTION_ {
	FWPM_ENGINE_COLLECT_NET_EVENTS = 0,
	FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS = 1,
	FWPM_ENGINE_NAME_CACHE = 2,
	FWPM_ENGINE_MONITOR_IPSEC_CONNECTIONS = 3,
	FWPM_ENGINE_PACKET_QUEUING = 4,
	FWPM_ENGINE_TXN_WATCHDOG_TIMEOUT_IN_MSEC = 5,
	FWPM_ENGINE_OPTION_MAX = 6
} FWPM_ENGINE_OPTION;

#define FWPM_NET_EVENT_KEYWORD_INBOUND_MCAST 0x00000001U
#define FWPM_NET_EVENT_KEYWORD_INBOUND_BCAST 0x00000002U
#define FWPM_NET_EVENT_KEYWORD_CAPABILITY_DROP 0x00000004U
#define FWPM_NET_EVENT_KEYWORD_CAPABILITY_ALLOW 0x00000008U
#define FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW 0x00000010U
#define FWPM_NET_EVENT_KEYWORD_PORT_SCANNING_DROP 0x00000020U

/* ---- net events (spec §7.1) ---- */

typedef enum FWPM_NET_EVENT_TYPE_ {
	FWPM_NET_EVENT_TYPE_IKEEXT_MM_FAILURE = 0,
	FWPM_NET_EVENT_TYPE_IKEEXT_QM_FAILURE = 1,
	FWPM_NET_EVENT_TYPE_IKEEXT_EM_FAILURE = 2,
	FWPM_NET_EVENT_TYPE_CLASSIFY_DROP = 3,
	FWPM_NET_EVENT_TYPE_IPSEC_KERNEL_DROP = 4,
	FWPM_NET_EVENT_TYPE_IPSEC_DOSP_DROP = 5,
	FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW = 6,
	FWPM_NET_EVENT_TYPE_CAPABILITY_DROP = 7,
	FWPM_NET_EVENT_TYPE_CAPABILITY_ALLOW = 8,
	FWPM_NET_EVENT_TYPE_CLASSIFY_DROP_MAC = 9,
	FWPM_NET_EVENT_TYPE_LPM_PACKET_ARRIVAL = 10,
	FWPM_NET_EVENT_TYPE_MAX = 11,
	/* openwfp: a vetoed hard permit (audit 5153); body: classifyDrop */
	FWPM_NET_EVENT_TYPE_OPENWFP_VETO = 0x100
} FWPM_NET_EVENT_TYPE;

#define FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET 0x00000001U
#define FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET 0x00000002U
#define FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET 0x00000004U
#define FWPM_NET_EVENT_FLAG_LOCAL_PORT_SET 0x00000008U
#define FWPM_NET_EVENT_FLAG_REMOTE_PORT_SET 0x00000010U
#define FWPM_NET_EVENT_FLAG_APP_ID_SET 0x00000020U
#define FWPM_NET_EVENT_FLAG_USER_ID_SET 0x00000040U
#define FWPM_NET_EVENT_FLAG_SCOPE_ID_SET 0x00000080U
#define FWPM_NET_EVENT_FLAG_IP_VERSION_SET 0x00000100U
#define FWPM_NET_EVENT_FLAG_REAUTH_REASON_SET 0x00000200U

/*
 * timeStamp: the event's time_ns (the reporter's clock, taken as nanoseconds
 * since 1970) as a FILETIME.  appId: the executable's UTF-8 path with a
 * trailing NUL.  userId: S-1-22-1-<uid> (the Linux uid, as in libwfp's
 * security descriptors).
 */
typedef struct FWPM_NET_EVENT_HEADER0_ {
	FILETIME timeStamp;
	UINT32 flags;
	FWP_IP_VERSION ipVersion;
	UINT8 ipProtocol;
	union {
		UINT32 localAddrV4; /* host order */
		FWP_BYTE_ARRAY16 localAddrV6;
	};
	union {
		UINT32 remoteAddrV4;
		FWP_BYTE_ARRAY16 remoteAddrV6;
	};
	UINT16 localPort;
	UINT16 remotePort;
	UINT32 scopeId;
	FWP_BYTE_BLOB appId;
	SID *userId;
} FWPM_NET_EVENT_HEADER0;

typedef struct FWPM_NET_EVENT_HEADER1_ {
	FILETIME timeStamp;
	UINT32 flags;
	FWP_IP_VERSION ipVersion;
	UINT8 ipProtocol;
	union {
		UINT32 localAddrV4;
		FWP_BYTE_ARRAY16 localAddrV6;
	};
	union {
		UINT32 remoteAddrV4;
		FWP_BYTE_ARRAY16 remoteAddrV6;
	};
	UINT16 localPort;
	UINT16 remotePort;
	UINT32 scopeId;
	FWP_BYTE_BLOB appId;
	SID *userId;
	union {
		struct {
			FWP_AF reserved1;
			union {
				struct {
					FWP_BYTE_ARRAY6 reserved2;
					FWP_BYTE_ARRAY6 reserved3;
					UINT32 reserved4;
					UINT32 reserved5;
					UINT16 reserved6;
					UINT32 reserved7;
					UINT32 reserved8;
					UINT16 reserved9;
					UINT64 reserved10;
				};
			};
		};
	};
} FWPM_NET_EVENT_HEADER1;

typedef struct FWPM_NET_EVENT_CLASSIFY_DROP0_ {
	UINT64 filterId;
	UINT16 layerId;
} FWPM_NET_EVENT_CLASSIFY_DROP0;

typedef struct FWPM_NET_EVENT_CLASSIFY_DROP1_ {
	UINT64 filterId;
	UINT16 layerId;
	UINT32 reauthReason;
	UINT32 originalProfile;
	UINT32 currentProfile;
	UINT32 msFwpDirection;
	BOOL isLoopback;
} FWPM_NET_EVENT_CLASSIFY_DROP1;

typedef struct FWPM_NET_EVENT_CLASSIFY_ALLOW0_ {
	UINT64 filterId;
	UINT16 layerId;
	UINT32 reauthReason;
	UINT32 originalProfile;
	UINT32 currentProfile;
	UINT32 msFwpDirection;
	BOOL isLoopback;
} FWPM_NET_EVENT_CLASSIFY_ALLOW0;

/* IKE and IPsec events are never produced by openwfp. */
struct FWPM_NET_EVENT_IKEEXT_MM_FAILURE0_;
struct FWPM_NET_EVENT_IKEEXT_QM_FAILURE0_;
struct FWPM_NET_EVENT_IKEEXT_EM_FAILURE0_;
struct FWPM_NET_EVENT_IPSEC_KERNEL_DROP0_;
struct FWPM_NET_EVENT_IPSEC_DOSP_DROP0_;

/* FwpmNetEventEnum0: CLASSIFY_DROP (and OPENWFP_VETO) events only. */
typedef struct FWPM_NET_EVENT0_ {
	FWPM_NET_EVENT_HEADER0 header;
	FWPM_NET_EVENT_TYPE type;
	union {
		struct FWPM_NET_EVENT_IKEEXT_MM_FAILURE0_ *ikeMmFailure;
		struct FWPM_NET_EVENT_IKEEXT_QM_FAILURE0_ *ikeQmFailure;
		struct FWPM_NET_EVENT_IKEEXT_EM_FAILURE0_ *ikeEmFailure;
		FWPM_NET_EVENT_CLASSIFY_DROP0 *classifyDrop;
		struct FWPM_NET_EVENT_IPSEC_KERNEL_DROP0_ *ipsecDrop;
		struct FWPM_NET_EVENT_IPSEC_DOSP_DROP0_ *idpDrop;
	};
} FWPM_NET_EVENT0;

/* FwpmNetEventEnum1 and the subscription callback: drops, vetoes and
 * (openwfp extension, as in FWPM_NET_EVENT2) allows. */
typedef struct FWPM_NET_EVENT1_ {
	FWPM_NET_EVENT_HEADER1 header;
	FWPM_NET_EVENT_TYPE type;
	union {
		struct FWPM_NET_EVENT_IKEEXT_MM_FAILURE0_ *ikeMmFailure;
		struct FWPM_NET_EVENT_IKEEXT_QM_FAILURE0_ *ikeQmFailure;
		struct FWPM_NET_EVENT_IKEEXT_EM_FAILURE0_ *ikeEmFailure;
		FWPM_NET_EVENT_CLASSIFY_DROP1 *classifyDrop;
		struct FWPM_NET_EVENT_IPSEC_KERNEL_DROP0_ *ipsecDrop;
		struct FWPM_NET_EVENT_IPSEC_DOSP_DROP0_ *idpDrop;
		FWPM_NET_EVENT_CLASSIFY_ALLOW0 *classifyAllow;
	};
} FWPM_NET_EVENT1;

/*
 * Events with startTime <= timeStamp <= endTime (a zero endTime: no upper
 * bound, an openwfp extension) whose header satisfies every condition.
 * Condition fields: IP_PROTOCOL, IP_LOCAL_ADDRESS, IP_REMOTE_ADDRESS,
 * IP_LOCAL_PORT, IP_REMOTE_PORT, ALE_APP_ID; others give
 * FWP_E_CONDITION_NOT_FOUND.
 */
typedef struct FWPM_NET_EVENT_ENUM_TEMPLATE0_ {
	FILETIME startTime;
	FILETIME endTime;
	UINT32 numFilterConditions;
	FWPM_FILTER_CONDITION0 *filterCondition;
} FWPM_NET_EVENT_ENUM_TEMPLATE0;

typedef struct FWPM_NET_EVENT_SUBSCRIPTION0_ {
	FWPM_NET_EVENT_ENUM_TEMPLATE0 *enumTemplate;
	UINT32 flags;
	GUID sessionKey;
} FWPM_NET_EVENT_SUBSCRIPTION0;

/* Called on the thread that reports the event (wfp_netevent_report);
 * event is valid during the call only. */
typedef void (*FWPM_NET_EVENT_CALLBACK0)(void *context, const FWPM_NET_EVENT1 *event);

/* ---- well-known GUIDs ---- */

/*
 * FWPM_LAYER_<name>, FWPM_CONDITION_<name> and FWPM_SUBLAYER_<name> for
 * every layer, field and built-in sublayer of libwfp's tables
 * (wfp_layer.h).  The definitions are generated at build time from those
 * tables (lib/gen_fwpm_guids.c), so they cannot disagree with them; the
 * lists below name them.
 */
#define FWPM_LAYER_LIST(X) \
	X(INBOUND_IPPACKET_V4) \
	X(INBOUND_IPPACKET_V4_DISCARD) \
	X(INBOUND_IPPACKET_V6) \
	X(INBOUND_IPPACKET_V6_DISCARD) \
	X(OUTBOUND_IPPACKET_V4) \
	X(OUTBOUND_IPPACKET_V4_DISCARD) \
	X(OUTBOUND_IPPACKET_V6) \
	X(OUTBOUND_IPPACKET_V6_DISCARD) \
	X(IPFORWARD_V4) \
	X(IPFORWARD_V4_DISCARD) \
	X(IPFORWARD_V6) \
	X(IPFORWARD_V6_DISCARD) \
	X(INBOUND_TRANSPORT_V4) \
	X(INBOUND_TRANSPORT_V4_DISCARD) \
	X(INBOUND_TRANSPORT_V6) \
	X(INBOUND_TRANSPORT_V6_DISCARD) \
	X(OUTBOUND_TRANSPORT_V4) \
	X(OUTBOUND_TRANSPORT_V4_DISCARD) \
	X(OUTBOUND_TRANSPORT_V6) \
	X(OUTBOUND_TRANSPORT_V6_DISCARD) \
	X(STREAM_V4) \
	X(STREAM_V4_DISCARD) \
	X(STREAM_V6) \
	X(STREAM_V6_DISCARD) \
	X(DATAGRAM_DATA_V4) \
	X(DATAGRAM_DATA_V4_DISCARD) \
	X(DATAGRAM_DATA_V6) \
	X(DATAGRAM_DATA_V6_DISCARD) \
	X(INBOUND_ICMP_ERROR_V4) \
	X(INBOUND_ICMP_ERROR_V4_DISCARD) \
	X(INBOUND_ICMP_ERROR_V6) \
	X(INBOUND_ICMP_ERROR_V6_DISCARD) \
	X(OUTBOUND_ICMP_ERROR_V4) \
	X(OUTBOUND_ICMP_ERROR_V4_DISCARD) \
	X(OUTBOUND_ICMP_ERROR_V6) \
	X(OUTBOUND_ICMP_ERROR_V6_DISCARD) \
	X(ALE_RESOURCE_ASSIGNMENT_V4) \
	X(ALE_RESOURCE_ASSIGNMENT_V4_DISCARD) \
	X(ALE_RESOURCE_ASSIGNMENT_V6) \
	X(ALE_RESOURCE_ASSIGNMENT_V6_DISCARD) \
	X(ALE_AUTH_LISTEN_V4) \
	X(ALE_AUTH_LISTEN_V4_DISCARD) \
	X(ALE_AUTH_LISTEN_V6) \
	X(ALE_AUTH_LISTEN_V6_DISCARD) \
	X(ALE_AUTH_RECV_ACCEPT_V4) \
	X(ALE_AUTH_RECV_ACCEPT_V4_DISCARD) \
	X(ALE_AUTH_RECV_ACCEPT_V6) \
	X(ALE_AUTH_RECV_ACCEPT_V6_DISCARD) \
	X(ALE_AUTH_CONNECT_V4) \
	X(ALE_AUTH_CONNECT_V4_DISCARD) \
	X(ALE_AUTH_CONNECT_V6) \
	X(ALE_AUTH_CONNECT_V6_DISCARD) \
	X(ALE_FLOW_ESTABLISHED_V4) \
	X(ALE_FLOW_ESTABLISHED_V4_DISCARD) \
	X(ALE_FLOW_ESTABLISHED_V6) \
	X(ALE_FLOW_ESTABLISHED_V6_DISCARD) \
	X(INBOUND_MAC_FRAME_ETHERNET) \
	X(OUTBOUND_MAC_FRAME_ETHERNET) \
	X(INBOUND_MAC_FRAME_NATIVE) \
	X(OUTBOUND_MAC_FRAME_NATIVE) \
	X(NAME_RESOLUTION_CACHE_V4) \
	X(NAME_RESOLUTION_CACHE_V6) \
	X(ALE_RESOURCE_RELEASE_V4) \
	X(ALE_RESOURCE_RELEASE_V6) \
	X(ALE_ENDPOINT_CLOSURE_V4) \
	X(ALE_ENDPOINT_CLOSURE_V6) \
	X(ALE_CONNECT_REDIRECT_V4) \
	X(ALE_CONNECT_REDIRECT_V6) \
	X(ALE_BIND_REDIRECT_V4) \
	X(ALE_BIND_REDIRECT_V6) \
	X(STREAM_PACKET_V4) \
	X(STREAM_PACKET_V6)

#define FWPM_CONDITION_LIST(X) \
	X(IP_LOCAL_ADDRESS) \
	X(IP_REMOTE_ADDRESS) \
	X(IP_SOURCE_ADDRESS) \
	X(IP_DESTINATION_ADDRESS) \
	X(IP_LOCAL_ADDRESS_TYPE) \
	X(IP_DESTINATION_ADDRESS_TYPE) \
	X(IP_LOCAL_PORT) \
	X(IP_REMOTE_PORT) \
	X(IP_PROTOCOL) \
	X(IP_LOCAL_INTERFACE) \
	X(IP_ARRIVAL_INTERFACE) \
	X(IP_NEXTHOP_INTERFACE) \
	X(IP_FORWARD_INTERFACE) \
	X(IP_PHYSICAL_ARRIVAL_INTERFACE) \
	X(IP_PHYSICAL_NEXTHOP_INTERFACE) \
	X(INTERFACE_INDEX) \
	X(SUB_INTERFACE_INDEX) \
	X(INTERFACE_TYPE) \
	X(TUNNEL_TYPE) \
	X(SOURCE_INTERFACE_INDEX) \
	X(SOURCE_SUB_INTERFACE_INDEX) \
	X(DESTINATION_INTERFACE_INDEX) \
	X(DESTINATION_SUB_INTERFACE_INDEX) \
	X(ARRIVAL_INTERFACE_INDEX) \
	X(ARRIVAL_INTERFACE_TYPE) \
	X(ARRIVAL_TUNNEL_TYPE) \
	X(ARRIVAL_INTERFACE_PROFILE_ID) \
	X(NEXTHOP_SUB_INTERFACE_INDEX) \
	X(NEXTHOP_INTERFACE_INDEX) \
	X(NEXTHOP_INTERFACE_TYPE) \
	X(NEXTHOP_TUNNEL_TYPE) \
	X(NEXTHOP_INTERFACE_PROFILE_ID) \
	X(LOCAL_INTERFACE_PROFILE_ID) \
	X(ORIGINAL_PROFILE_ID) \
	X(CURRENT_PROFILE_ID) \
	X(FLAGS) \
	X(DIRECTION) \
	X(COMPARTMENT_ID) \
	X(INTERFACE_QUARANTINE_EPOCH) \
	X(IPSEC_SECURITY_REALM_ID) \
	X(EMBEDDED_PROTOCOL) \
	X(EMBEDDED_REMOTE_ADDRESS) \
	X(EMBEDDED_LOCAL_ADDRESS_TYPE) \
	X(EMBEDDED_LOCAL_PORT) \
	X(EMBEDDED_REMOTE_PORT) \
	X(ORIGINAL_ICMP_TYPE) \
	X(ALE_APP_ID) \
	X(ALE_ORIGINAL_APP_ID) \
	X(ALE_USER_ID) \
	X(ALE_REMOTE_USER_ID) \
	X(ALE_REMOTE_MACHINE_ID) \
	X(ALE_PACKAGE_ID) \
	X(ALE_PROMISCUOUS_MODE) \
	X(ALE_SIO_FIREWALL_SYSTEM_PORT) \
	X(ALE_SECURITY_ATTRIBUTE_FQBN_VALUE) \
	X(ALE_EFFECTIVE_NAME) \
	X(ALE_NAP_CONTEXT) \
	X(REAUTHORIZE_REASON) \
	X(PEER_NAME) \
	X(BITMAP_IP_LOCAL_ADDRESS) \
	X(BITMAP_IP_LOCAL_PORT) \
	X(BITMAP_IP_REMOTE_ADDRESS) \
	X(BITMAP_IP_REMOTE_PORT)

#define FWPM_SUBLAYER_LIST(X) \
	X(IPSEC_SECURITY_REALM) \
	X(IPSEC_DOSP) \
	X(IPSEC_FORWARD_OUTBOUND_TUNNEL) \
	X(IPSEC_TUNNEL) \
	X(RPC_AUDIT) \
	X(LIPS) \
	X(SECURE_SOCKET) \
	X(TCP_CHIMNEY_OFFLOAD) \
	X(TCP_TEMPLATES) \
	X(EDGE_TRAVERSAL) \
	X(UNIVERSAL) \
	X(MPSSVC_QUARANTINE) \
	X(MPSSVC_WSH) \
	X(MPSSVC_WF) \
	X(MPSSVC_EDP) \
	X(MPSSVC_TENANT_RESTRICTIONS) \
	X(MPSSVC_APP_ISOLATION) \
	X(INSPECTION)

#define FWPM_DECLARE_LAYER_(n) WFP_API extern const GUID FWPM_LAYER_##n;
#define FWPM_DECLARE_CONDITION_(n) WFP_API extern const GUID FWPM_CONDITION_##n;
#define FWPM_DECLARE_SUBLAYER_(n) WFP_API extern const GUID FWPM_SUBLAYER_##n;
FWPM_LAYER_LIST(FWPM_DECLARE_LAYER_)
FWPM_CONDITION_LIST(FWPM_DECLARE_CONDITION_)
FWPM_SUBLAYER_LIST(FWPM_DECLARE_SUBLAYER_)
#undef FWPM_DECLARE_LAYER_
#undef FWPM_DECLARE_CONDITION_
#undef FWPM_DECLARE_SUBLAYER_

/* fwpmu.h's alias names (spec §1.5) */
#define FWPM_CONDITION_ICMP_TYPE FWPM_CONDITION_IP_LOCAL_PORT
#define FWPM_CONDITION_ICMP_CODE FWPM_CONDITION_IP_REMOTE_PORT
#define FWPM_CONDITION_INTERFACE FWPM_CONDITION_IP_LOCAL_INTERFACE
#define FWPM_CONDITION_LOCAL_INTERFACE_INDEX FWPM_CONDITION_INTERFACE_INDEX
#define FWPM_CONDITION_LOCAL_INTERFACE_TYPE FWPM_CONDITION_INTERFACE_TYPE
#define FWPM_CONDITION_LOCAL_TUNNEL_TYPE FWPM_CONDITION_TUNNEL_TYPE
#define FWPM_CONDITION_ARRIVAL_SUB_INTERFACE_INDEX FWPM_CONDITION_SUB_INTERFACE_INDEX
#define FWPM_CONDITION_PROFILE_ID FWPM_CONDITION_CURRENT_PROFILE_ID
#define FWPM_CONDITION_NAP_CONTEXT FWPM_CONDITION_ALE_NAP_CONTEXT
#define FWPM_SUBLAYER_TEREDO FWPM_SUBLAYER_EDGE_TRAVERSAL

/*
 * Other identifiers of spec Appendix A.  Only the two silent drops exist
 * as callouts in an openwfp engine (docs/fwpm.md); the others are keys
 * only, so that code naming them compiles (a filter using one of them
 * fails with FWP_E_CALLOUT_NOT_FOUND, one at a _FAST layer with
 * FWP_E_LAYER_NOT_FOUND).  Generated from their published text.
 */
WFP_API extern const GUID FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP;
WFP_API extern const GUID FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V6_SILENT_DROP;
WFP_API extern const GUID FWPM_CALLOUT_SET_OPTIONS_AUTH_CONNECT_LAYER_V4;
WFP_API extern const GUID FWPM_CALLOUT_SET_OPTIONS_AUTH_CONNECT_LAYER_V6;
WFP_API extern const GUID FWPM_CALLOUT_SET_OPTIONS_AUTH_RECV_ACCEPT_LAYER_V4;
WFP_API extern const GUID FWPM_CALLOUT_SET_OPTIONS_AUTH_RECV_ACCEPT_LAYER_V6;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V4;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V6;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V4;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V6;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_ALE_CONNECT_V4;
WFP_API extern const GUID FWPM_CALLOUT_IPSEC_ALE_CONNECT_V6;
WFP_API extern const GUID FWPM_CALLOUT_TEREDO_ALE_RESOURCE_ASSIGNMENT_V6;
WFP_API extern const GUID FWPM_CALLOUT_EDGE_TRAVERSAL_ALE_RESOURCE_ASSIGNMENT_V4;
WFP_API extern const GUID FWPM_CALLOUT_TEREDO_ALE_LISTEN_V6;
WFP_API extern const GUID FWPM_CALLOUT_EDGE_TRAVERSAL_ALE_LISTEN_V4;
WFP_API extern const GUID FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_CONNECT_LAYER_V4;
WFP_API extern const GUID FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_CONNECT_LAYER_V6;
WFP_API extern const GUID FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V4;
WFP_API extern const GUID FWPM_CALLOUT_POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V6;
WFP_API extern const GUID FWPM_LAYER_INBOUND_TRANSPORT_FAST;
WFP_API extern const GUID FWPM_LAYER_OUTBOUND_TRANSPORT_FAST;
WFP_API extern const GUID FWPM_PROVIDER_IKEEXT;
WFP_API extern const GUID FWPM_PROVIDER_TCP_CHIMNEY_OFFLOAD;
WFP_API extern const GUID FWPM_PROVIDER_TCP_TEMPLATES;
WFP_API extern const GUID FWPM_PROVIDER_IPSEC_DOSP_CONFIG;
WFP_API extern const GUID FWPM_PROVIDER_MPSSVC_WSH;
WFP_API extern const GUID FWPM_PROVIDER_MPSSVC_WF;

/* ---- fwpmu.h ---- */

/*
 * Opens a session on the engine bound with wfp_fwpm_bind_engine(), or on
 * a process-wide engine libwfp creates on first use.  serverName must be
 * NULL (the local engine); authnService, authIdentity are ignored.
 * session may be NULL (a static session).
 */
WFP_API DWORD FwpmEngineOpen0(const wchar_t *serverName, UINT32 authnService,
			      SEC_WINNT_AUTH_IDENTITY_W *authIdentity,
			      const FWPM_SESSION0 *session, HANDLE *engineHandle);
WFP_API DWORD FwpmEngineClose0(HANDLE engineHandle);
WFP_API DWORD FwpmEngineSetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
				   const FWP_VALUE0 *newValue);
WFP_API DWORD FwpmEngineGetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
				   FWP_VALUE0 **value);

WFP_API DWORD FwpmTransactionBegin0(HANDLE engineHandle, UINT32 flags);
WFP_API DWORD FwpmTransactionCommit0(HANDLE engineHandle);
WFP_API DWORD FwpmTransactionAbort0(HANDLE engineHandle);

/* sd arguments are ignored: access control is not modelled. */
WFP_API DWORD FwpmProviderAdd0(HANDLE engineHandle, const FWPM_PROVIDER0 *provider,
			       PSECURITY_DESCRIPTOR sd);
WFP_API DWORD FwpmProviderDeleteByKey0(HANDLE engineHandle, const GUID *key);
WFP_API DWORD FwpmProviderGetByKey0(HANDLE engineHandle, const GUID *key,
				    FWPM_PROVIDER0 **provider);

WFP_API DWORD FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer,
			       PSECURITY_DESCRIPTOR sd);
WFP_API DWORD FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key);
WFP_API DWORD FwpmSubLayerGetByKey0(HANDLE engineHandle, const GUID *key,
				    FWPM_SUBLAYER0 **subLayer);

WFP_API DWORD FwpmCalloutAdd0(HANDLE engineHandle, const FWPM_CALLOUT0 *callout,
			      PSECURITY_DESCRIPTOR sd, UINT32 *id);
WFP_API DWORD FwpmCalloutDeleteByKey0(HANDLE engineHandle, const GUID *key);
WFP_API DWORD FwpmCalloutGetByKey0(HANDLE engineHandle, const GUID *key,
				   FWPM_CALLOUT0 **callout);

WFP_API DWORD FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter,
			     PSECURITY_DESCRIPTOR sd, UINT64 *id);
WFP_API DWORD FwpmFilterDeleteById0(HANDLE engineHandle, UINT64 id);
WFP_API DWORD FwpmFilterDeleteByKey0(HANDLE engineHandle, const GUID *key);
WFP_API DWORD FwpmFilterGetById0(HANDLE engineHandle, UINT64 id, FWPM_FILTER0 **filter);
WFP_API DWORD FwpmFilterGetByKey0(HANDLE engineHandle, const GUID *key,
				  FWPM_FILTER0 **filter);

/* The snapshot is taken here; FwpmFilterEnum0 pages through it and
 * returns fewer entries than requested at the end. */
WFP_API DWORD FwpmFilterCreateEnumHandle0(HANDLE engineHandle,
					  const FWPM_FILTER_ENUM_TEMPLATE0 *enumTemplate,
					  HANDLE *enumHandle);
WFP_API DWORD FwpmFilterEnum0(HANDLE engineHandle, HANDLE enumHandle,
			      UINT32 numEntriesRequested, FWPM_FILTER0 ***entries,
			      UINT32 *numEntriesReturned);
WFP_API DWORD FwpmFilterDestroyEnumHandle0(HANDLE engineHandle, HANDLE enumHandle);

/* Delivered synchronously after the commit, never for changes made
 * through the subscribing handle (spec §6.7). */
WFP_API DWORD FwpmFilterSubscribeChanges0(HANDLE engineHandle,
					  const FWPM_FILTER_SUBSCRIPTION0 *subscription,
					  FWPM_FILTER_CHANGE_CALLBACK0 callback,
					  void *context, HANDLE *changeHandle);
WFP_API DWORD FwpmFilterUnsubscribeChanges0(HANDLE engineHandle, HANDLE changeHandle);

WFP_API DWORD FwpmNetEventCreateEnumHandle0(HANDLE engineHandle,
					    const FWPM_NET_EVENT_ENUM_TEMPLATE0 *enumTemplate,
					    HANDLE *enumHandle);
WFP_API DWORD FwpmNetEventEnum0(HANDLE engineHandle, HANDLE enumHandle,
				UINT32 numEntriesRequested, FWPM_NET_EVENT0 ***entries,
				UINT32 *numEntriesReturned);
WFP_API DWORD FwpmNetEventEnum1(HANDLE engineHandle, HANDLE enumHandle,
				UINT32 numEntriesRequested, FWPM_NET_EVENT1 ***entries,
				UINT32 *numEntriesReturned);
WFP_API DWORD FwpmNetEventDestroyEnumHandle0(HANDLE engineHandle, HANDLE enumHandle);

WFP_API DWORD FwpmNetEventSubscribe0(HANDLE engineHandle,
				     const FWPM_NET_EVENT_SUBSCRIPTION0 *subscription,
				     FWPM_NET_EVENT_CALLBACK0 callback, void *context,
				     HANDLE *eventsHandle);
WFP_API DWORD FwpmNetEventUnsubscribe0(HANDLE engineHandle, HANDLE eventsHandle);

/* Frees *p (anything an Fwpm* call returned) and sets it to NULL. */
WFP_API void FwpmFreeMemory0(void **p);

/* Linux: the UTF-8 bytes of fileName followed by a NUL -- the form of
 * libwfp's ALE_APP_ID (docs/internals/conditions.md).  The path is not
 * resolved or checked. */
WFP_API DWORD FwpmGetAppIdFromFileName0(PCWSTR fileName, FWP_BYTE_BLOB **appId);

/* ---- openwfp extensions ---- */

/*
 * Binds FwpmEngineOpen0 to engine e (borrowed; it must outlive the
 * handles), or with NULL back to the process-wide engine.  Fails with
 * -WFP_E_IN_USE while handles are open on the current engine.
 */
WFP_API int wfp_fwpm_bind_engine(struct wfp_engine *e);
/* The engine behind an engine handle, or NULL. */
WFP_API struct wfp_engine *wfp_fwpm_engine(HANDLE engineHandle);
/* The session behind an engine handle, or NULL. */
WFP_API struct wfp_session *wfp_fwpm_session(HANDLE engineHandle);
/* Closes the process-wide engine once no handle is open on it: its
 * static objects are gone.  -WFP_E_IN_USE otherwise. */
WFP_API int wfp_fwpm_shutdown(void);
/* The Windows error code for a libwfp return value (0 -> ERROR_SUCCESS). */
WFP_API DWORD wfp_fwpm_error(int err);
/* GUID layouts: Windows' Data1..Data4 <-> libwfp's textual byte order. */
WFP_API void wfp_guid_to_win(const struct wfp_guid *in, GUID *out);
WFP_API void wfp_guid_from_win(const GUID *in, struct wfp_guid *out);

#ifdef __cplusplus
}
#endif
#endif
