/* SPDX-License-Identifier: MIT */
/*
 * fwpm.c - the Windows-named management API (fwpm.h) over the native one:
 * engine handles and sessions, transactions, providers, sublayers,
 * callouts, filters, engine options, and the conversions between
 * Windows' structures (GUID Data1..Data4, wchar_t strings, pointer-valued
 * FWP_VALUE0 members, binary SIDs) and libwfp's.  Enumerations, templates,
 * net events and subscriptions are in fwpm_enum.c.
 *
 * No engine logic lives here: every call converts its arguments, makes
 * the native call and converts the result and the error back
 * (wfp_err_hresult).  docs/fwpm.md has the user's view.
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "fwpm_int.h"

enum {
	HANDLE_MAGIC = 0x4d505746, /* "FWPM" */
	ROOT_MAGIC = 0x544f4f52,
	KID_MAGIC = 0x2044494b
};

#define ERROR_NOT_SUPPORTED 50UL

/* ---- the global state: which engine FwpmEngineOpen0 uses ---- */

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct wfp_engine *bound;   /* wfp_fwpm_bind_engine, borrowed */
static struct wfp_engine *private; /* created on first use, ours */
static struct fwpm_handle *handles;

void fwpm_lock(void)
{
	pthread_mutex_lock(&lock);
}

void fwpm_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

/* pre: locked.  A handle is valid only while it is in the list, so a
 * closed or foreign handle is refused instead of dereferenced. */
struct fwpm_handle *fwpm_handle_get(HANDLE h)
{
	for (struct fwpm_handle *p = handles; p; p = p->next)
		if (p == h && p->magic == HANDLE_MAGIC)
			return p;
	return NULL;
}

WFP_API DWORD wfp_fwpm_error(int err)
{
	int code = err < 0 ? -err : err;

	if (code == 0)
		return ERROR_SUCCESS;
	if (code < WFP_E_LIB_BASE)
		return wfp_err_hresult(-code);
	switch (code) {
	case WFP_E_NOMEM:
		return ERROR_NOT_ENOUGH_MEMORY;
	case WFP_E_IO:
		return ERROR_GEN_FAILURE;
	default:
		return ERROR_INVALID_PARAMETER;
	}
}

DWORD fwpm_ret(int err)
{
	return wfp_fwpm_error(err);
}

/* ---- memory ---- */

struct blk {
	union {
		struct {
			uint32_t magic;
			struct blk *next; /* root: its kids; kid: the next kid */
		};
		max_align_t align;
	};
};

void *fwpm_root(size_t n)
{
	struct blk *b = wfp_calloc(1, sizeof(*b) + n);

	if (!b)
		return NULL;
	b->magic = ROOT_MAGIC;
	return b + 1;
}

void *fwpm_kid(void *root, size_t n)
{
	struct blk *r = (struct blk *)root - 1;
	struct blk *b = wfp_calloc(1, sizeof(*b) + n);

	if (!b)
		return NULL;
	b->magic = KID_MAGIC;
	b->next = r->next;
	r->next = b;
	return b + 1;
}

void fwpm_root_free(void *root)
{
	struct blk *r, *b, *n;

	if (!root)
		return;
	r = (struct blk *)root - 1;
	if (r->magic != ROOT_MAGIC)
		return; /* not ours: leak rather than corrupt */
	for (b = r->next; b; b = n) {
		n = b->next;
		wfp_free(b);
	}
	r->magic = 0;
	wfp_free(r);
}

WFP_API void FwpmFreeMemory0(void **p)
{
	if (!p)
		return;
	fwpm_root_free(*p);
	*p = NULL;
}

/* ---- strings ---- */

enum { REPLACEMENT = 0xFFFD };

/* The code point at w[*i], advancing *i; pairs of UTF-16 surrogates (a
 * 16-bit wchar_t, or text copied from Windows) are joined. */
static uint32_t wnext(const wchar_t *w, size_t *i)
{
	uint32_t c = (uint32_t)w[(*i)++];

	if (c >= 0xD800 && c <= 0xDBFF) {
		uint32_t d = (uint32_t)w[*i];

		if (d >= 0xDC00 && d <= 0xDFFF) {
			(*i)++;
			return 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
		}
		return REPLACEMENT;
	}
	if ((c >= 0xDC00 && c <= 0xDFFF) || c > 0x10FFFF)
		return REPLACEMENT;
	return c;
}

static size_t u8len(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static char *u8put(char *p, uint32_t c)
{
	if (c < 0x80) {
		*p++ = (char)c;
	} else if (c < 0x800) {
		*p++ = (char)(0xC0 | c >> 6);
		*p++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*p++ = (char)(0xE0 | c >> 12);
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	} else {
		*p++ = (char)(0xF0 | c >> 18);
		*p++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	}
	return p;
}

char *fwpm_w2u(void *root, const wchar_t *w, int *err)
{
	size_t n = 0, i = 0;
	char *out, *p;

	if (!w)
		return NULL;
	while (w[i])
		n += u8len(wnext(w, &i));
	out = fwpm_kid(root, n + 1);
	if (!out) {
		*err = -WFP_E_NOMEM;
		return NULL;
	}
	for (i = 0, p = out; w[i];)
		p = u8put(p, wnext(w, &i));
	*p = '\0';
	return out;
}

/*
 * The code point at s[*i] (of len bytes), advancing *i.  Strict UTF-8:
 * overlong forms, surrogates, values above U+10FFFF and truncated
 * sequences give one U+FFFD per offending lead byte.
 */
static uint32_t u8next(const unsigned char *s, size_t len, size_t *i)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[(*i)++];
	size_t n, k;

	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, c &= 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, c &= 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, c &= 0x07;
	else
		return REPLACEMENT;
	if (*i + n - 1 > len)
		return REPLACEMENT;
	for (k = 0; k < n - 1; k++)
		if ((s[*i + k] & 0xC0) != 0x80)
			return REPLACEMENT;
	for (k = 0; k < n - 1; k++)
		c = c << 6 | (s[*i + k] & 0x3F);
	if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return REPLACEMENT;
	*i += n - 1;
	return c;
}

/* Code units needed for c in a wchar_t string. */
static size_t wunits(uint32_t c)
{
	return sizeof(wchar_t) == 2 && c >= 0x10000 ? 2 : 1;
}

static wchar_t *wput(wchar_t *p, uint32_t c)
{
	if (wunits(c) == 2) {
		c -= 0x10000;
		*p++ = (wchar_t)(0xD800 + (c >> 10));
		*p++ = (wchar_t)(0xDC00 + (c & 0x3FF));
	} else {
		*p++ = (wchar_t)c;
	}
	return p;
}

wchar_t *fwpm_u2w(void *root, const char *s, size_t len, int *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, i = 0;
	wchar_t *out, *p;

	if (!s)
		return NULL;
	while (i < len && u[i])
		n += wunits(u8next(u, len, &i));
	out = fwpm_kid(root, (n + 1) * sizeof(wchar_t));
	if (!out) {
		*err = -WFP_E_NOMEM;
		return NULL;
	}
	for (i = 0, p = out; i < len && u[i];)
		p = wput(p, u8next(u, len, &i));
	*p = 0;
	return out;
}

static wchar_t *u2w(void *root, const char *s, int *err)
{
	return s ? fwpm_u2w(root, s, strlen(s), err) : NULL;
}

/* ---- GUIDs ---- */

WFP_API void wfp_guid_to_win(const struct wfp_guid *in, GUID *out)
{
	const uint8_t *b = in->b;

	out->Data1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		     (uint32_t)b[2] << 8 | b[3];
	out->Data2 = (uint16_t)(b[4] << 8 | b[5]);
	out->Data3 = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(out->Data4, b + 8, 8);
}

WFP_API void wfp_guid_from_win(const GUID *in, struct wfp_guid *out)
{
	uint8_t *b = out->b;

	b[0] = (uint8_t)(in->Data1 >> 24);
	b[1] = (uint8_t)(in->Data1 >> 16);
	b[2] = (uint8_t)(in->Data1 >> 8);
	b[3] = (uint8_t)in->Data1;
	b[4] = (uint8_t)(in->Data2 >> 8);
	b[5] = (uint8_t)in->Data2;
	b[6] = (uint8_t)(in->Data3 >> 8);
	b[7] = (uint8_t)in->Data3;
	memcpy(b + 8, in->Data4, 8);
}

static struct wfp_guid g2w(const GUID *g)
{
	struct wfp_guid w = { { 0 } };

	if (g)
		wfp_guid_from_win(g, &w);
	return w;
}

static GUID w2g(const struct wfp_guid *w)
{
	GUID g;

	wfp_guid_to_win(w, &g);
	return g;
}

/* A GUID* output member: NULL for the zero GUID ("none"). */
static GUID *guid_ptr(void *root, const struct wfp_guid *w, int *err)
{
	GUID *g;

	if (wfp_guid_is_zero(w))
		return NULL;
	g = fwpm_kid(root, sizeof(*g));
	if (!g) {
		*err = -WFP_E_NOMEM;
		return NULL;
	}
	*g = w2g(w);
	return g;
}

/* ---- SIDs: binary (Windows) <-> text (libwfp) ---- */

static int sid_to_text(void *root, const SID *sid, struct wfp_blob *out)
{
	struct wfp_sid s = { 0 };
	char *buf;
	int n;

	if (!sid)
		return -WFP_E_NULL_POINTER;
	if (sid->Revision != 1 || sid->SubAuthorityCount > WFP_SID_MAX_SUB)
		return -WFP_E_INVALID_PARAMETER;
	for (int i = 0; i < 6; i++)
		s.auth = s.auth << 8 | sid->IdentifierAuthority.Value[i];
	s.nsub = sid->SubAuthorityCount;
	for (int i = 0; i < s.nsub; i++)
		s.sub[i] = sid->SubAuthority[i];
	buf = fwpm_kid(root, WFP_SID_TEXT_MAX);
	if (!buf)
		return -WFP_E_NOMEM;
	n = wfp_sid_format(&s, buf, WFP_SID_TEXT_MAX);
	if (n < 0)
		return n;
	out->data = (const uint8_t *)buf;
	out->size = (uint32_t)n;
	return 0;
}

static SID *sid_from_parsed(void *root, const struct wfp_sid *s, int *err)
{
	SID *sid = fwpm_kid(root, offsetof(SID, SubAuthority) +
				  (s->nsub ? s->nsub : 1) * sizeof(DWORD));

	if (!sid) {
		*err = -WFP_E_NOMEM;
		return NULL;
	}
	sid->Revision = 1;
	sid->SubAuthorityCount = s->nsub;
	for (int i = 0; i < 6; i++)
		sid->IdentifierAuthority.Value[i] = (BYTE)(s->auth >> (8 * (5 - i)));
	for (int i = 0; i < s->nsub; i++)
		sid->SubAuthority[i] = s->sub[i];
	return sid;
}

static SID *sid_from_text(void *root, const struct wfp_blob *b, int *err)
{
	struct wfp_sid s;

	if (wfp_sid_parse(b->data, b->size, &s)) {
		*err = -WFP_E_INVALID_PARAMETER;
		return NULL;
	}
	return sid_from_parsed(root, &s, err);
}

/* ---- values: Windows -> native ---- */

/* The single-value part shared by FWP_VALUE0 and FWP_CONDITION_VALUE0:
 * both are a type and a union whose common members sit at offset 0. */
static int value_from_win(void *root, FWP_DATA_TYPE type, const FWP_CONDITION_VALUE0 *u,
			  struct wfp_value *out)
{
	int err = 0;
	char *s;

	memset(out, 0, sizeof(*out));
	out->type = (uint16_t)type;
	switch (type) {
	case FWP_EMPTY:
		return 0;
	case FWP_UINT8:
	case FWP_BITMAP_INDEX_TYPE:
		out->u8 = u->uint8;
		return 0;
	case FWP_UINT16:
		out->u16 = u->uint16;
		return 0;
	case FWP_UINT32:
		out->u32 = u->uint32;
		return 0;
	case FWP_INT8:
		out->i8 = u->int8;
		return 0;
	case FWP_INT16:
		out->i16 = u->int16;
		return 0;
	case FWP_INT32:
		out->i32 = u->int32;
		return 0;
	case FWP_FLOAT:
		out->f32 = u->float32;
		return 0;
	case FWP_UINT64:
		if (!u->uint64)
			return -WFP_E_NULL_POINTER;
		out->u64 = *u->uint64;
		return 0;
	case FWP_INT64:
		if (!u->int64)
			return -WFP_E_NULL_POINTER;
		out->i64 = *u->int64;
		return 0;
	case FWP_DOUBLE:
		if (!u->double64)
			return -WFP_E_NULL_POINTER;
		out->f64 = *u->double64;
		return 0;
	case FWP_BYTE_ARRAY16_TYPE:
		if (!u->byteArray16)
			return -WFP_E_NULL_POINTER;
		memcpy(out->a16, u->byteArray16->byteArray16, 16);
		return 0;
	case FWP_BYTE_ARRAY6_TYPE:
		if (!u->byteArray6)
			return -WFP_E_NULL_POINTER;
		memcpy(out->a6, u->byteArray6->byteArray6, 6);
		return 0;
	case FWP_BITMAP_ARRAY64_TYPE:
		if (!u->bitmapArray64)
			return -WFP_E_NULL_POINTER;
		for (int i = 7; i >= 0; i--)
			out->u64 = out->u64 << 8 | u->bitmapArray64->bitmapArray64[i];
		return 0;
	case FWP_BYTE_BLOB_TYPE:
	case FWP_SECURITY_DESCRIPTOR_TYPE: /* SDDL text on openwfp */
		if (!u->byteBlob)
			return -WFP_E_NULL_POINTER;
		out->blob.data = u->byteBlob->data;
		out->blob.size = u->byteBlob->size;
		return 0;
	case FWP_SID:
		return sid_to_text(root, u->sid, &out->blob);
	case FWP_UNICODE_STRING_TYPE:
		if (!u->unicodeString)
			return -WFP_E_NULL_POINTER;
		s = fwpm_w2u(root, u->unicodeString, &err);
		if (!s)
			return err;
		out->blob.data = (const uint8_t *)s;
		out->blob.size = (uint32_t)strlen(s);
		return 0;
	default:
		/* tokens are classify-time values, never management input */
		return -WFP_E_TYPE_MISMATCH;
	}
}

static int fvalue_from_win(void *root, const FWP_VALUE0 *v, struct wfp_value *out)
{
	FWP_CONDITION_VALUE0 cv;

	memset(&cv, 0, sizeof(cv));
	cv.type = v->type;
	memcpy(&cv.uint64, &v->uint64, sizeof(v->uint64));
	_Static_assert(sizeof(cv.uint64) == sizeof(FWP_VALUE0) - offsetof(FWP_VALUE0, uint64),
		       "FWP_VALUE0's union is one pointer wide");
	return value_from_win(root, v->type, &cv, out);
}

int fwpm_cond_from_win(void *root, const FWPM_FILTER_CONDITION0 *in,
		       struct wfp_filter_cond *out)
{
	const FWP_CONDITION_VALUE0 *cv = &in->conditionValue;
	struct wfp_guid g = g2w(&in->fieldKey);
	int field = wfp_field_by_guid(&g);

	memset(out, 0, sizeof(*out));
	if (field < 0)
		return -WFP_E_CONDITION_NOT_FOUND;
	out->field = (uint16_t)field;
	out->match = (uint16_t)in->matchType;
	out->value.type = (uint16_t)cv->type;
	switch (cv->type) {
	case FWP_V4_ADDR_MASK:
		if (!cv->v4AddrMask)
			return -WFP_E_NULL_POINTER;
		out->value.v4.addr = cv->v4AddrMask->addr;
		out->value.v4.mask = cv->v4AddrMask->mask;
		return 0;
	case FWP_V6_ADDR_MASK:
		if (!cv->v6AddrMask)
			return -WFP_E_NULL_POINTER;
		memcpy(out->value.v6.addr, cv->v6AddrMask->addr, 16);
		out->value.v6.prefix_len = cv->v6AddrMask->prefixLength;
		return 0;
	case FWP_RANGE_TYPE: {
		int ret;

		if (!cv->rangeValue)
			return -WFP_E_NULL_POINTER;
		ret = fvalue_from_win(root, &cv->rangeValue->valueLow, &out->value.range.low);
		if (ret == 0)
			ret = fvalue_from_win(root, &cv->rangeValue->valueHigh,
					      &out->value.range.high);
		return ret;
	}
	default:
		if ((unsigned)cv->type > FWP_SINGLE_DATA_TYPE_MAX)
			return -WFP_E_INVALID_ENUMERATOR;
		return value_from_win(root, cv->type, cv, &out->value.v);
	}
}

/* ---- values: native -> Windows (allocated in root) ---- */

static void *dup_in(void *root, const void *p, size_t n, int *err)
{
	void *q = fwpm_kid(root, n ? n : 1);

	if (!q)
		*err = -WFP_E_NOMEM;
	else if (n)
		memcpy(q, p, n);
	return q;
}

static FWP_BYTE_BLOB *blob_to_win(void *root, const struct wfp_blob *b, int *err)
{
	FWP_BYTE_BLOB *o = fwpm_kid(root, sizeof(*o));

	if (!o) {
		*err = -WFP_E_NOMEM;
		return NULL;
	}
	o->size = b->size;
	o->data = dup_in(root, b->data, b->size, err);
	return o;
}

/* Fills the single-value members of cv (type < FWP_SINGLE_DATA_TYPE_MAX). */
static int value_to_win(void *root, const struct wfp_value *v, FWP_CONDITION_VALUE0 *cv)
{
	int err = 0;

	cv->type = (FWP_DATA_TYPE)v->type;
	switch (v->type) {
	case WFP_EMPTY:
		break;
	case WFP_UINT8:
	case WFP_BITMAP_INDEX:
		cv->uint8 = v->u8;
		break;
	case WFP_UINT16:
		cv->uint16 = v->u16;
		break;
	case WFP_UINT32:
		cv->uint32 = v->u32;
		break;
	case WFP_INT8:
		cv->int8 = v->i8;
		break;
	case WFP_INT16:
		cv->int16 = v->i16;
		break;
	case WFP_INT32:
		cv->int32 = v->i32;
		break;
	case WFP_FLOAT:
		cv->float32 = v->f32;
		break;
	case WFP_UINT64:
		cv->uint64 = dup_in(root, &v->u64, sizeof(v->u64), &err);
		break;
	case WFP_INT64:
		cv->int64 = dup_in(root, &v->i64, sizeof(v->i64), &err);
		break;
	case WFP_DOUBLE:
		cv->double64 = dup_in(root, &v->f64, sizeof(v->f64), &err);
		break;
	case WFP_BYTE_ARRAY16:
		cv->byteArray16 = dup_in(root, v->a16, 16, &err);
		break;
	case WFP_BYTE_ARRAY6:
		cv->byteArray6 = dup_in(root, v->a6, 6, &err);
		break;
	case WFP_BITMAP_ARRAY64: {
		uint8_t b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(v->u64 >> (8 * i));
		cv->bitmapArray64 = dup_in(root, b, 8, &err);
		break;
	}
	case WFP_BYTE_BLOB:
	case WFP_SECURITY_DESCRIPTOR:
		cv->byteBlob = blob_to_win(root, &v->blob, &err);
		break;
	case WFP_SID:
		cv->sid = sid_from_text(root, &v->blob, &err);
		break;
	case WFP_UNICODE_STRING:
		cv->unicodeString = fwpm_u2w(root, (const char *)v->blob.data,
					     v->blob.size, &err);
		if (!cv->unicodeString && !err)
			cv->unicodeString = u2w(root, "", &err);
		break;
	default:
		return -WFP_E_TYPE_MISMATCH;
	}
	return err;
}

static int fvalue_to_win(void *root, const struct wfp_value *v, FWP_VALUE0 *out)
{
	FWP_CONDITION_VALUE0 cv;
	int ret;

	memset(&cv, 0, sizeof(cv));
	ret = value_to_win(root, v, &cv);
	out->type = cv.type;
	memcpy(&out->uint64, &cv.uint64, sizeof(out->uint64));
	return ret;
}

static int cond_to_win(void *root, const struct wfp_filter_cond *c, FWPM_FILTER_CONDITION0 *o)
{
	FWP_CONDITION_VALUE0 *cv = &o->conditionValue;
	int err = 0;

	o->fieldKey = w2g(wfp_field_guid(c->field));
	o->matchType = (FWP_MATCH_TYPE)c->match;
	cv->type = (FWP_DATA_TYPE)c->value.type;
	switch (c->value.type) {
	case WFP_V4_ADDR_MASK:
		cv->v4AddrMask = fwpm_kid(root, sizeof(*cv->v4AddrMask));
		if (!cv->v4AddrMask)
			return -WFP_E_NOMEM;
		cv->v4AddrMask->addr = c->value.v4.addr;
		cv->v4AddrMask->mask = c->value.v4.mask;
		return 0;
	case WFP_V6_ADDR_MASK:
		cv->v6AddrMask = fwpm_kid(root, sizeof(*cv->v6AddrMask));
		if (!cv->v6AddrMask)
			return -WFP_E_NOMEM;
		memcpy(cv->v6AddrMask->addr, c->value.v6.addr, 16);
		cv->v6AddrMask->prefixLength = c->value.v6.prefix_len;
		return 0;
	case WFP_RANGE:
		cv->rangeValue = fwpm_kid(root, sizeof(*cv->rangeValue));
		if (!cv->rangeValue)
			return -WFP_E_NOMEM;
		err = fvalue_to_win(root, &c->value.range.low, &cv->rangeValue->valueLow);
		if (!err)
			err = fvalue_to_win(root, &c->value.range.high,
					    &cv->rangeValue->valueHigh);
		return err;
	default:
		return value_to_win(root, &c->value.v, cv);
	}
}

static int display_to_win(void *root, const struct wfp_display *d, FWPM_DISPLAY_DATA0 *o)
{
	int err = 0;

	o->name = u2w(root, d->name, &err);
	o->description = u2w(root, d->description, &err);
	return err;
}

/* Windows display data -> native, strings in root. */
static int display_from_win(void *root, const FWPM_DISPLAY_DATA0 *d, struct wfp_display *o)
{
	int err = 0;

	o->name = fwpm_w2u(root, d->name, &err);
	o->description = fwpm_w2u(root, d->description, &err);
	return err;
}

int fwpm_filter_to_win(void *root, const struct wfp_filter *in, FWPM_FILTER0 *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->filterKey = w2g(&in->key);
	err = display_to_win(root, &in->display, &o->displayData);
	o->flags = in->flags;
	o->providerKey = guid_ptr(root, &in->provider_key, &err);
	o->layerKey = w2g(wfp_layer_guid(in->layer));
	o->subLayerKey = w2g(&in->sublayer_key);
	if (!err)
		err = fvalue_to_win(root, &in->weight, &o->weight);
	o->numFilterConditions = in->ncond;
	if (!err && in->ncond) {
		o->filterCondition = fwpm_kid(root, in->ncond * sizeof(*o->filterCondition));
		if (!o->filterCondition)
			return -WFP_E_NOMEM;
		for (uint32_t i = 0; !err && i < in->ncond; i++)
			err = cond_to_win(root, &in->cond[i], &o->filterCondition[i]);
	}
	o->action.type = in->action.type;
	o->action.filterType = w2g(&in->action.key);
	o->rawContext = in->raw_context;
	o->filterId = in->filter_id;
	o->effectiveWeight.type = FWP_UINT64;
	o->effectiveWeight.uint64 = dup_in(root, &in->effective_weight,
					   sizeof(in->effective_weight), &err);
	return err;
}

/* ---- engine handles ---- */

WFP_API int wfp_fwpm_bind_engine(struct wfp_engine *e)
{
	int ret = 0;

	fwpm_lock();
	if (handles)
		ret = -WFP_E_IN_USE;
	else
		bound = e;
	fwpm_unlock();
	return ret;
}

WFP_API int wfp_fwpm_shutdown(void)
{
	int ret = 0;

	fwpm_lock();
	if (handles && !bound) {
		ret = -WFP_E_IN_USE;
	} else {
		wfp_engine_close(private);
		private = NULL;
	}
	fwpm_unlock();
	return ret;
}

WFP_API struct wfp_engine *wfp_fwpm_engine(HANDLE engineHandle)
{
	struct fwpm_handle *h;
	struct wfp_engine *e;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	e = h ? h->e : NULL;
	fwpm_unlock();
	return e;
}

WFP_API struct wfp_session *wfp_fwpm_session(HANDLE engineHandle)
{
	struct fwpm_handle *h;
	struct wfp_session *s;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	s = h ? h->s : NULL;
	fwpm_unlock();
	return s;
}

static struct wfp_engine *current_engine(void)
{
	if (bound)
		return bound;
	if (!private)
		private = wfp_engine_open(NULL);
	return private;
}

static int session_open(struct wfp_engine *e, const FWPM_SESSION0 *session,
			struct wfp_session **out)
{
	struct wfp_session_opts o = { .sz = sizeof(o) };
	void *tmp;
	int ret;

	if (!session) {
		*out = wfp_session_open(e, NULL);
		return *out ? 0 : -errno;
	}
	if (session->flags & ~(uint32_t)(FWPM_SESSION_FLAG_DYNAMIC | FWPM_SESSION_FLAG_RESERVED))
		return -WFP_E_INVALID_FLAGS;
	tmp = fwpm_root(0);
	if (!tmp)
		return -WFP_E_NOMEM;
	o.key = g2w(&session->sessionKey);
	o.flags = session->flags & FWPM_SESSION_FLAG_DYNAMIC ? WFP_SESSION_F_DYNAMIC : 0;
	ret = display_from_win(tmp, &session->displayData, &o.display);
	if (ret == 0) {
		*out = wfp_session_open(e, &o);
		ret = *out ? 0 : -errno;
	}
	fwpm_root_free(tmp);
	return ret;
}

WFP_API DWORD FwpmEngineOpen0(const wchar_t *serverName, UINT32 authnService,
			      SEC_WINNT_AUTH_IDENTITY_W *authIdentity,
			      const FWPM_SESSION0 *session, HANDLE *engineHandle)
{
	struct fwpm_handle *h;
	struct wfp_engine *e;
	int ret;

	if (!engineHandle)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*engineHandle = NULL;
	if (serverName && serverName[0])
		return ERROR_INVALID_PARAMETER; /* only the local engine */
	h = wfp_calloc(1, sizeof(*h));
	if (!h)
		return ERROR_NOT_ENOUGH_MEMORY;
	fwpm_lock();
	e = current_engine();
	ret = e ? session_open(e, session, &h->s) : -WFP_E_NOMEM;
	if (ret) {
		fwpm_unlock();
		wfp_free(h);
		return fwpm_ret(ret);
	}
	h->magic = HANDLE_MAGIC;
	h->e = e;
	h->next = handles;
	handles = h;
	fwpm_unlock();
	*engineHandle = h;
	return ERROR_SUCCESS;
}

WFP_API DWORD FwpmEngineClose0(HANDLE engineHandle)
{
	struct fwpm_handle *h;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	fwpm_enums_free(h);
	fwpm_subs_free(h);
	wfp_session_close(h->s); /* spec §6.2: aborts, then purges if dynamic */
	for (struct fwpm_handle **pp = &handles; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->magic = 0;
	wfp_free(h);
	fwpm_unlock();
	return ERROR_SUCCESS;
}

/* ---- transactions ---- */

WFP_API DWORD FwpmTransactionBegin0(HANDLE engineHandle, UINT32 flags)
{
	int ret;

	fwpm_lock();
	if (!fwpm_handle_get(engineHandle)) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = wfp_txn_begin(((struct fwpm_handle *)engineHandle)->s, flags);
	fwpm_unlock();
	return fwpm_ret(ret);
}

static DWORD txn_end(HANDLE engineHandle, bool commit)
{
	struct fwpm_handle *h;
	int ret;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = commit ? wfp_txn_commit(h->s) : wfp_txn_abort(h->s);
	fwpm_unlock();
	return fwpm_ret(ret);
}

WFP_API DWORD FwpmTransactionCommit0(HANDLE engineHandle)
{
	return txn_end(engineHandle, true);
}

WFP_API DWORD FwpmTransactionAbort0(HANDLE engineHandle)
{
	return txn_end(engineHandle, false);
}

/* ---- key-only calls ---- */

static DWORD by_key(HANDLE engineHandle, const GUID *key,
		    int (*fn)(struct wfp_session *, const struct wfp_guid *))
{
	struct fwpm_handle *h;
	struct wfp_guid k;
	int ret;

	if (!key)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	k = g2w(key);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	ret = h ? fn(h->s, &k) : 0;
	fwpm_unlock();
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmProviderDeleteByKey0(HANDLE engineHandle, const GUID *key)
{
	return by_key(engineHandle, key, wfp_provider_delete);
}

WFP_API DWORD FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key)
{
	return by_key(engineHandle, key, wfp_sublayer_delete);
}

WFP_API DWORD FwpmCalloutDeleteByKey0(HANDLE engineHandle, const GUID *key)
{
	return by_key(engineHandle, key, wfp_callout_delete);
}

WFP_API DWORD FwpmFilterDeleteByKey0(HANDLE engineHandle, const GUID *key)
{
	return by_key(engineHandle, key, wfp_filter_delete_by_key);
}

WFP_API DWORD FwpmFilterDeleteById0(HANDLE engineHandle, UINT64 id)
{
	struct fwpm_handle *h;
	int ret = 0;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (h)
		ret = wfp_filter_delete_by_id(h->s, id);
	fwpm_unlock();
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

/* ---- providers ---- */

WFP_API DWORD FwpmProviderAdd0(HANDLE engineHandle, const FWPM_PROVIDER0 *provider,
			       PSECURITY_DESCRIPTOR sd)
{
	struct wfp_provider n = { 0 };
	struct fwpm_handle *h;
	int ret = 0;
	void *tmp;

	if (!provider)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	tmp = fwpm_root(0);
	if (!tmp)
		return ERROR_NOT_ENOUGH_MEMORY;
	n.key = g2w(&provider->providerKey);
	n.flags = provider->flags;
	ret = display_from_win(tmp, &provider->displayData, &n.display);
	n.service_name = fwpm_w2u(tmp, provider->serviceName, &ret);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (h && !ret)
		ret = wfp_provider_add(h->s, &n);
	fwpm_unlock();
	fwpm_root_free(tmp);
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmProviderGetByKey0(HANDLE engineHandle, const GUID *key,
				    FWPM_PROVIDER0 **provider)
{
	struct wfp_provider *n = NULL;
	struct fwpm_handle *h;
	struct wfp_guid k;
	FWPM_PROVIDER0 *o;
	int ret;

	if (!key || !provider)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*provider = NULL;
	k = g2w(key);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = wfp_provider_get(h->s, &k, &n);
	fwpm_unlock();
	if (ret)
		return fwpm_ret(ret);
	o = fwpm_root(sizeof(*o));
	ret = -WFP_E_NOMEM;
	if (o) {
		ret = display_to_win(o, &n->display, &o->displayData);
		o->providerKey = w2g(&n->key);
		o->flags = n->flags;
		o->serviceName = u2w(o, n->service_name, &ret);
	}
	wfp_provider_free(n);
	if (ret) {
		fwpm_root_free(o);
		return fwpm_ret(ret);
	}
	*provider = o;
	return ERROR_SUCCESS;
}

/* ---- sublayers ---- */

WFP_API DWORD FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer,
			       PSECURITY_DESCRIPTOR sd)
{
	struct wfp_sublayer n = { 0 };
	struct fwpm_handle *h;
	void *tmp;
	int ret;

	if (!subLayer)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	tmp = fwpm_root(0);
	if (!tmp)
		return ERROR_NOT_ENOUGH_MEMORY;
	n.key = g2w(&subLayer->subLayerKey);
	n.flags = subLayer->flags;
	n.provider_key = g2w(subLayer->providerKey);
	n.weight = subLayer->weight;
	ret = display_from_win(tmp, &subLayer->displayData, &n.display);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (h && !ret)
		ret = wfp_sublayer_add(h->s, &n);
	fwpm_unlock();
	fwpm_root_free(tmp);
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmSubLayerGetByKey0(HANDLE engineHandle, const GUID *key,
				    FWPM_SUBLAYER0 **subLayer)
{
	struct wfp_sublayer *n = NULL;
	struct fwpm_handle *h;
	FWPM_SUBLAYER0 *o;
	struct wfp_guid k;
	int ret;

	if (!key || !subLayer)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*subLayer = NULL;
	k = g2w(key);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = wfp_sublayer_get(h->s, &k, &n);
	fwpm_unlock();
	if (ret)
		return fwpm_ret(ret);
	o = fwpm_root(sizeof(*o));
	ret = -WFP_E_NOMEM;
	if (o) {
		ret = display_to_win(o, &n->display, &o->displayData);
		o->subLayerKey = w2g(&n->key);
		o->flags = n->flags;
		o->providerKey = guid_ptr(o, &n->provider_key, &ret);
		o->weight = n->weight;
	}
	wfp_sublayer_free(n);
	if (ret) {
		fwpm_root_free(o);
		return fwpm_ret(ret);
	}
	*subLayer = o;
	return ERROR_SUCCESS;
}

/* ---- callouts ---- */

WFP_API DWORD FwpmCalloutAdd0(HANDLE engineHandle, const FWPM_CALLOUT0 *callout,
			      PSECURITY_DESCRIPTOR sd, UINT32 *id)
{
	struct wfp_callout n = { 0 };
	struct fwpm_handle *h;
	struct wfp_guid lk;
	int layer, ret;
	void *tmp;

	if (!callout)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	lk = g2w(&callout->applicableLayer);
	layer = wfp_layer_by_guid(&lk);
	if (layer < 0)
		return fwpm_ret(layer);
	tmp = fwpm_root(0);
	if (!tmp)
		return ERROR_NOT_ENOUGH_MEMORY;
	n.key = g2w(&callout->calloutKey);
	n.flags = callout->flags;
	n.provider_key = g2w(callout->providerKey);
	n.applicable_layer = (uint16_t)layer;
	ret = display_from_win(tmp, &callout->displayData, &n.display);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (h && !ret)
		ret = wfp_callout_add(h->s, &n, id);
	fwpm_unlock();
	fwpm_root_free(tmp);
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmCalloutGetByKey0(HANDLE engineHandle, const GUID *key,
				   FWPM_CALLOUT0 **callout)
{
	struct wfp_callout *n = NULL;
	struct fwpm_handle *h;
	FWPM_CALLOUT0 *o;
	struct wfp_guid k;
	int ret;

	if (!key || !callout)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*callout = NULL;
	k = g2w(key);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = wfp_callout_get(h->s, &k, &n);
	fwpm_unlock();
	if (ret)
		return fwpm_ret(ret);
	o = fwpm_root(sizeof(*o));
	ret = -WFP_E_NOMEM;
	if (o) {
		ret = display_to_win(o, &n->display, &o->displayData);
		o->calloutKey = w2g(&n->key);
		o->flags = n->flags;
		o->providerKey = guid_ptr(o, &n->provider_key, &ret);
		o->applicableLayer = w2g(wfp_layer_guid(n->applicable_layer));
		o->calloutId = n->callout_id;
	}
	wfp_callout_free(n);
	if (ret) {
		fwpm_root_free(o);
		return fwpm_ret(ret);
	}
	*callout = o;
	return ERROR_SUCCESS;
}

/* ---- filters ---- */

static int filter_from_win(void *tmp, const FWPM_FILTER0 *f, struct wfp_filter *n)
{
	struct wfp_filter_cond *c = NULL;
	struct wfp_guid lk = g2w(&f->layerKey);
	int layer, ret;

	memset(n, 0, sizeof(*n));
	ret = display_from_win(tmp, &f->displayData, &n->display);
	if (ret)
		return ret;
	layer = wfp_layer_by_guid(&lk);
	if (layer < 0)
		return layer;
	n->key = g2w(&f->filterKey);
	n->flags = f->flags;
	n->provider_key = g2w(f->providerKey);
	n->layer = (uint16_t)layer;
	n->sublayer_key = g2w(&f->subLayerKey);
	ret = fvalue_from_win(tmp, &f->weight, &n->weight);
	if (ret)
		return ret == -WFP_E_TYPE_MISMATCH ? -WFP_E_INVALID_WEIGHT : ret;
	if (f->numFilterConditions) {
		if (!f->filterCondition)
			return -WFP_E_NULL_POINTER;
		if (f->numFilterConditions > WFP_MAX_CONDITIONS)
			return -WFP_E_OUT_OF_BOUNDS;
		c = fwpm_kid(tmp, f->numFilterConditions * sizeof(*c));
		if (!c)
			return -WFP_E_NOMEM;
		for (uint32_t i = 0; i < f->numFilterConditions; i++) {
			ret = fwpm_cond_from_win(tmp, &f->filterCondition[i], &c[i]);
			if (ret)
				return ret;
		}
	}
	n->ncond = f->numFilterConditions;
	n->cond = c;
	n->action.type = f->action.type;
	n->action.key = g2w(&f->action.calloutKey);
	n->raw_context = f->rawContext;
	return 0;
}

WFP_API DWORD FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter,
			     PSECURITY_DESCRIPTOR sd, UINT64 *id)
{
	struct fwpm_handle *h;
	struct wfp_filter n;
	void *tmp;
	int ret;

	if (!filter)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	/* spec §6.3: refuse before looking at the filter, as BFE does */
	if (h->s->txn && (h->s->txn->flags & WFP_TXN_READ_ONLY)) {
		fwpm_unlock();
		return fwpm_ret(-WFP_E_INCOMPATIBLE_TXN);
	}
	tmp = fwpm_root(0);
	ret = tmp ? filter_from_win(tmp, filter, &n) : -WFP_E_NOMEM;
	if (ret == 0)
		ret = wfp_filter_add(h->s, &n, id);
	fwpm_unlock();
	fwpm_root_free(tmp);
	return fwpm_ret(ret);
}

static DWORD filter_get(HANDLE engineHandle, const struct wfp_guid *key, uint64_t id,
			FWPM_FILTER0 **filter)
{
	struct wfp_filter *n = NULL;
	struct fwpm_handle *h;
	FWPM_FILTER0 *o;
	int ret;

	if (!filter)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*filter = NULL;
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	ret = key ? wfp_filter_get_by_key(h->s, key, &n) : wfp_filter_get_by_id(h->s, id, &n);
	fwpm_unlock();
	if (ret)
		return fwpm_ret(ret);
	o = fwpm_root(sizeof(*o));
	ret = o ? fwpm_filter_to_win(o, n, o) : -WFP_E_NOMEM;
	wfp_filter_free(n);
	if (ret) {
		fwpm_root_free(o);
		return fwpm_ret(ret);
	}
	*filter = o;
	return ERROR_SUCCESS;
}

WFP_API DWORD FwpmFilterGetById0(HANDLE engineHandle, UINT64 id, FWPM_FILTER0 **filter)
{
	return filter_get(engineHandle, NULL, id, filter);
}

WFP_API DWORD FwpmFilterGetByKey0(HANDLE engineHandle, const GUID *key, FWPM_FILTER0 **filter)
{
	struct wfp_guid k;

	if (!key)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	k = g2w(key);
	return filter_get(engineHandle, &k, 0, filter);
}

/* ---- engine options (spec §7.1) ---- */

static int option_native(FWPM_ENGINE_OPTION option, enum wfp_engine_option *out)
{
	switch (option) {
	case FWPM_ENGINE_COLLECT_NET_EVENTS:
		*out = WFP_OPTION_COLLECT_NET_EVENTS;
		return 0;
	case FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS:
		*out = WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS;
		return 0;
	default:
		return -1;
	}
}

WFP_API DWORD FwpmEngineSetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
				   const FWP_VALUE0 *newValue)
{
	enum wfp_engine_option o;
	struct fwpm_handle *h;
	int ret;

	if (!newValue)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	if (option_native(option, &o))
		return option < FWPM_ENGINE_OPTION_MAX ? ERROR_NOT_SUPPORTED :
		       fwpm_ret(-WFP_E_INVALID_ENUMERATOR);
	if (newValue->type != FWP_UINT32)
		return fwpm_ret(-WFP_E_TYPE_MISMATCH);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	ret = h ? wfp_engine_set_option(h->e, o, newValue->uint32) : 0;
	fwpm_unlock();
	return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmEngineGetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
				   FWP_VALUE0 **value)
{
	enum wfp_engine_option o;
	struct fwpm_handle *h;
	uint64_t v = 0;
	FWP_VALUE0 *out;
	int ret;

	if (!value)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*value = NULL;
	if (option_native(option, &o))
		return option < FWPM_ENGINE_OPTION_MAX ? ERROR_NOT_SUPPORTED :
		       fwpm_ret(-WFP_E_INVALID_ENUMERATOR);
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	ret = h ? wfp_engine_get_option(h->e, o, &v) : 0;
	fwpm_unlock();
	if (!h)
		return ERROR_INVALID_HANDLE;
	if (ret)
		return fwpm_ret(ret);
	out = fwpm_root(sizeof(*out));
	if (!out)
		return ERROR_NOT_ENOUGH_MEMORY;
	out->type = FWP_UINT32;
	out->uint32 = (UINT32)v;
	*value = out;
	return ERROR_SUCCESS;
}

/* ---- app ids ---- */

WFP_API DWORD FwpmGetAppIdFromFileName0(PCWSTR fileName, FWP_BYTE_BLOB **appId)
{
	FWP_BYTE_BLOB *b;
	int err = 0;
	char *s;

	if (!fileName || !appId)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*appId = NULL;
	b = fwpm_root(sizeof(*b));
	if (!b)
		return ERROR_NOT_ENOUGH_MEMORY;
	s = fwpm_w2u(b, fileName, &err);
	if (!s) {
		fwpm_root_free(b);
		return fwpm_ret(err);
	}
	b->data = (UINT8 *)s;
	b->size = (UINT32)strlen(s) + 1; /* with the NUL, as Windows' app ids */
	*appId = b;
	return ERROR_SUCCESS;
}
