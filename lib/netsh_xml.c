/* SPDX-License-Identifier: MIT */
/*
 * netsh_xml.c - Windows "netsh wfp show filters" (filters.xml) and
 * "netsh wfp show state" (wfpstate.xml) dumps: import into the policy
 * object list, and export in the same shape (spec §7.2; docs/policy.md,
 * "Windows XML").
 *
 * Import streams the document with libxml2's reader and expands one
 * <item> at a time, so a dump of any size needs memory for one object
 * only.  An <item> is a filter, provider, sublayer or callout according
 * to the element that holds it (<filters>, <providers>, <subLayers>,
 * <callouts>), wherever that element sits: filters.xml keeps one flat
 * list, wfpstate.xml a list per layer.  Everything else (layers, provider
 * contexts, IPsec state, net events) is skipped.
 *
 * What Linux cannot model is reported through the log callback and
 * skipped, never guessed: filters at layers openwfp does not have (RPC,
 * IPsec keying, MAC/vSwitch) and conditions on fields it does not know.
 * Objects a filter refers to but the dump does not contain (filters.xml
 * has no sublayers or callouts) are created as placeholders, so the
 * filter keeps its reference (decision in docs/policy.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "alloc.h"
#include "compat.h"
#include "cond.h"
#include "log.h"
#include "policy.h"

enum {
	XF_HAS_REALM_CONTEXT = 0x80, /* FWPM_FILTER_FLAG_HAS_SECURITY_REALM_PROVIDER_CONTEXT */
	XML_MAX_DEPTH = 64,    /* deeper documents are rejected */
	XML_MAX_TEXT = 1 << 20 /* one element's text */
};

struct xctx {
	struct wfp_policy *p;
	struct wfp_policy_error *err;
	int failed;
	unsigned skipped; /* filters left out (logged) */
	char xmlerr[200];
	unsigned xmlline, xmlcol;
};

static int xfail(struct xctx *c, const xmlNode *n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int xfail(struct xctx *c, const xmlNode *n, int code, const char *fmt, ...)
{
	char msg[220];
	va_list ap;

	if (c->failed)
		return c->failed;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = code;
	pol_error(c->err, code, c->p->file, n ? (unsigned)xmlGetLineNo(n) : 0, 0, NULL, 0,
		  "%s", msg);
	return code;
}

/* ---- DOM helpers over one expanded <item> ---- */

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* The element's text in buf, as it is; "" if absent or empty. */
static const char *raw_text(const xmlNode *n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		for (const xmlChar *s = c->content; s && *s && o + 1 < len; s++)
			buf[o++] = (char)*s;
	}
	buf[o] = 0;
	return buf;
}

/* The element's text, trimmed (numbers, keys, names of constants). */
static const char *text(const xmlNode *n, char *buf, size_t len)
{
	size_t o = strlen(raw_text(n, buf, len));

	while (o && strchr(" \t\r\n", buf[o - 1]))
		buf[--o] = 0;
	return buf + strspn(buf, " \t\r\n");
}

/* Bytes of text directly inside n (bounded by XML_MAX_TEXT), so a buffer
 * can be sized to the element instead of to the limit. */
static size_t text_len(const xmlNode *n)
{
	size_t len = 0;

	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			len += strlen((const char *)c->content);
	return len < XML_MAX_TEXT ? len + 1 : XML_MAX_TEXT;
}

static const char *ctext(const xmlNode *n, const char *name, char *buf, size_t len)
{
	return text(child(n, name), buf, len);
}

static char *ctext_dup(struct xctx *c, const xmlNode *n, const char *name)
{
	const xmlNode *e = child(n, name);
	size_t len = text_len(e);
	char *buf, *r;

	if (!e)
		return NULL;
	buf = pol_alloc(c->p, len);
	if (!buf) {
		xfail(c, n, -WFP_E_NOMEM, "out of memory");
		return NULL;
	}
	/* names and descriptions are kept exactly, spaces included */
	r = (char *)raw_text(e, buf, len);
	return r;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno || v > max)
		return false;
	*out = v;
	return true;
}

/* ---- symbolic GUIDs ---- */

static int key_guid(const char *s, const char *pfx, struct wfp_guid *g)
{
	const struct pol_known *k = NULL;
	const struct wfp_builtin_sublayer *b;
	size_t pl = strlen(pfx);

	if (!wfp_guid_parse(s, g))
		return 0;
	if (!strcmp(pfx, "FWPM_PROVIDER_"))
		k = pol_known_provider_by_name(s);
	else if (!strcmp(pfx, "FWPM_CALLOUT_"))
		k = pol_known_callout_by_name(s);
	if (k)
		return wfp_guid_parse(k->guid, g);
	if (!strcmp(pfx, "FWPM_SUBLAYER_") &&
	    (b = wfp_builtin_sublayer_by_name(strncmp(s, pfx, pl) ? s : s + pl))) {
		*g = b->key;
		return 0;
	}
	return -1;
}

/* An optional reference element: empty or absent means none. */
static int ref(struct xctx *c, const xmlNode *n, const char *name, const char *pfx,
	       struct wfp_guid *g)
{
	char buf[128];
	const char *s = ctext(n, name, buf, sizeof(buf));

	memset(g, 0, sizeof(*g));
	if (!*s)
		return 0;
	if (key_guid(s, pfx, g))
		return xfail(c, n, -WFP_E_NOT_FOUND, "<%s>: unknown name '%s'", name, s);
	return 0;
}

static int display(struct xctx *c, const xmlNode *n, struct wfp_display *d)
{
	const xmlNode *dd = child(n, "displayData");

	d->name = ctext_dup(c, dd, "name");
	if (!c->failed)
		d->description = ctext_dup(c, dd, "description");
	if (!d->name)
		d->name = "";
	if (d->description && !*d->description)
		d->description = NULL;
	return c->failed;
}

/* <flags numItems="n"><item>FWPM_FILTER_FLAG_X</item>...</flags>, or a
 * number. */
struct xflag {
	const char *name; /* without the FWPM_<KIND>_FLAG_ prefix */
	uint32_t bit;
};

static int flags(struct xctx *c, const xmlNode *n, const char *pfx,
		 const struct xflag *tab, uint32_t *out)
{
	const xmlNode *f = child(n, "flags");
	char buf[96];
	uint64_t u;

	*out = 0;
	if (parse_u64(text(f, buf, sizeof(buf)), UINT32_MAX, &u)) {
		*out = (uint32_t)u;
		return 0;
	}
	for (const xmlNode *i = f ? f->children : NULL; i; i = i->next) {
		const struct xflag *t = tab;
		const char *s;

		if (i->type != XML_ELEMENT_NODE)
			continue;
		s = text(i, buf, sizeof(buf));
		if (!strncmp(s, pfx, strlen(pfx)))
			s += strlen(pfx);
		while (t->name && strcmp(t->name, s))
			t++;
		if (!t->name)
			return xfail(c, i, -WFP_E_INVALID_FLAGS, "unknown flag '%s'", s);
		*out |= t->bit;
	}
	return 0;
}

/* FWPM_*_FLAG_* names (spec §6.5). */
static const struct xflag filter_flag_names[] = {
	{ "PERSISTENT", 0x1 }, { "BOOTTIME", 0x2 }, { "HAS_PROVIDER_CONTEXT", 0x4 },
	{ "CLEAR_ACTION_RIGHT", 0x8 }, { "PERMIT_IF_CALLOUT_UNREGISTERED", 0x10 },
	{ "DISABLED", 0x20 }, { "INDEXED", 0x40 },
	{ "HAS_SECURITY_REALM_PROVIDER_CONTEXT", 0x80 }, { "SYSTEMOS_ONLY", 0x100 },
	{ "GAMEOS_ONLY", 0x200 }, { "SILENT_MODE", 0x400 },
	{ "IPSEC_NO_ACQUIRE_INITIATE", 0x800 }, { NULL, 0 }
};
static const struct xflag provider_flag_names[] = {
	{ "PERSISTENT", 0x1 }, { "DISABLED", 0x10 }, { NULL, 0 }
};
static const struct xflag sublayer_flag_names[] = {
	{ "PERSISTENT", 0x1 }, { NULL, 0 }
};
static const struct xflag callout_flag_names[] = {
	{ "PERSISTENT", 0x10000 }, { "USES_PROVIDER_CONTEXT", 0x20000 },
	{ "REGISTERED", 0x40000 }, { NULL, 0 }
};

/* ---- providers, sublayers, callouts ---- */

static int x_provider(struct xctx *c, const xmlNode *n)
{
	struct pol_provider *pv;
	struct wfp_guid k;

	if (ref(c, n, "providerKey", "FWPM_PROVIDER_", &k))
		return c->failed;
	if (pol_provider_by_key(c->p, &k))
		return 0; /* wfpstate repeats objects; the first wins */
	pv = pol_add_provider(c->p);
	if (!pv)
		return xfail(c, n, -WFP_E_NOMEM, "out of memory");
	pv->p.key = k;
	pv->loc.line = (unsigned)xmlGetLineNo(n);
	if (display(c, n, &pv->p.display) ||
	    flags(c, n, "FWPM_PROVIDER_FLAG_", provider_flag_names, &pv->p.flags))
		return c->failed;
	pv->p.service_name = ctext_dup(c, n, "serviceName");
	if (pv->p.service_name && !*pv->p.service_name)
		pv->p.service_name = NULL;
	return c->failed;
}

static bool builtin_sublayer(const struct wfp_guid *k)
{
	for (unsigned i = 0; i < wfp_builtin_sublayer_count(); i++)
		if (wfp_guid_eq(&wfp_builtin_sublayer(i)->key, k))
			return true;
	return false;
}

static int x_sublayer(struct xctx *c, const xmlNode *n)
{
	struct pol_sublayer *sl;
	struct wfp_guid k;
	char buf[32];
	uint64_t w;

	if (ref(c, n, "subLayerKey", "FWPM_SUBLAYER_", &k))
		return c->failed;
	if (builtin_sublayer(&k) || pol_sublayer_by_key(c->p, &k))
		return 0; /* the engine has its own built-ins */
	sl = pol_add_sublayer(c->p);
	if (!sl)
		return xfail(c, n, -WFP_E_NOMEM, "out of memory");
	sl->s.key = k;
	sl->loc.line = (unsigned)xmlGetLineNo(n);
	if (display(c, n, &sl->s.display) ||
	    flags(c, n, "FWPM_SUBLAYER_FLAG_", sublayer_flag_names, &sl->s.flags) ||
	    ref(c, n, "providerKey", "FWPM_PROVIDER_", &sl->s.provider_key))
		return c->failed;
	if (!parse_u64(ctext(n, "weight", buf, sizeof(buf)), UINT16_MAX, &w))
		return xfail(c, n, -WFP_E_PARSE, "sublayer <weight> is not 0-65535");
	sl->s.weight = (uint16_t)w;
	return 0;
}

static int layer_of(struct xctx *c, const xmlNode *n, const char *name, int *layer)
{
	char buf[128];
	const char *s = ctext(n, name, buf, sizeof(buf));
	struct wfp_guid g;

	*layer = wfp_guid_parse(s, &g) ? wfp_layer_by_name(s) : wfp_layer_by_guid(&g);
	if (!*s)
		return xfail(c, n, -WFP_E_PARSE, "missing <%s>", name);
	return 0;
}

/* A layer openwfp classifies at (not unknown, not MAC/name-cache). */
static bool modelled(int layer)
{
	return layer >= 0 && !(wfp_layer_flags((unsigned)layer) & WFP_LAYER_F_NO_FIELDS);
}

static int x_callout(struct xctx *c, const xmlNode *n)
{
	struct pol_callout *co;
	struct wfp_guid k;
	char buf[128];
	int layer;

	if (ref(c, n, "calloutKey", "FWPM_CALLOUT_", &k) || layer_of(c, n, "applicableLayer",
								  &layer))
		return c->failed;
	if (!modelled(layer)) {
		wfp_logf(WFP_LOG_WARN, "%s: callout '%s' skipped: layer %s is not modelled",
			 c->p->file, ctext(child(n, "displayData"), "name", buf, sizeof(buf)),
			 ctext(n, "applicableLayer", buf, sizeof(buf)));
		return 0;
	}
	if (pol_callout_by_key(c->p, &k) || pol_callout_is_builtin(&k))
		return 0;
	co = pol_add_callout(c->p);
	if (!co)
		return xfail(c, n, -WFP_E_NOMEM, "out of memory");
	co->c.key = k;
	co->c.applicable_layer = (uint16_t)layer;
	co->loc.line = (unsigned)xmlGetLineNo(n);
	if (display(c, n, &co->c.display) ||
	    flags(c, n, "FWPM_CALLOUT_FLAG_", callout_flag_names, &co->c.flags) ||
	    ref(c, n, "providerKey", "FWPM_PROVIDER_", &co->c.provider_key))
		return c->failed;
	co->c.flags &= ~(uint32_t)WFP_CALLOUT_F_REGISTERED;
	return 0;
}

/* ---- values ---- */

/* Element names of FWP_VALUE0/FWP_CONDITION_VALUE0 members by type. */
static const char *member_of(unsigned type)
{
	static const char *const m[] = {
		[WFP_UINT8] = "uint8", [WFP_UINT16] = "uint16", [WFP_UINT32] = "uint32",
		[WFP_UINT64] = "uint64", [WFP_INT8] = "int8", [WFP_INT16] = "int16",
		[WFP_INT32] = "int32", [WFP_INT64] = "int64", [WFP_FLOAT] = "float32",
		[WFP_DOUBLE] = "double64", [WFP_BYTE_ARRAY16] = "byteArray16",
		[WFP_BYTE_BLOB] = "byteBlob", [WFP_SID] = "sid",
		[WFP_SECURITY_DESCRIPTOR] = "sd",
		[WFP_TOKEN_INFORMATION] = "tokenInformation",
		[WFP_TOKEN_ACCESS_INFORMATION] = "tokenAccessInformation",
		[WFP_UNICODE_STRING] = "unicodeString", [WFP_BYTE_ARRAY6] = "byteArray6",
		[WFP_BITMAP_INDEX] = "bitmapIndex", [WFP_BITMAP_ARRAY64] = "bitmapArray64",
	};

	if (type < sizeof(m) / sizeof(m[0]))
		return m[type];
	return type == WFP_V4_ADDR_MASK ? "v4AddrMask" : type == WFP_V6_ADDR_MASK ?
	       "v6AddrMask" : type == WFP_RANGE ? "rangeValue" : NULL;
}

static bool is_app_id(unsigned field)
{
	return field == WFP_FIELD_ALE_APP_ID || field == WFP_FIELD_ALE_ORIGINAL_APP_ID;
}

/* UTF-16LE (NUL-terminated, as Windows stores app ids) -> UTF-8. */
static int utf16le_to_utf8(struct xctx *c, const uint8_t *in, size_t n,
			   struct wfp_value *v)
{
	uint8_t *out = pol_alloc(c->p, n / 2 * 3 + 1);
	size_t o = 0;

	if (!out)
		return -WFP_E_NOMEM;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint32_t cp = in[i] | (uint32_t)in[i + 1] << 8;

		if (!cp)
			break;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < n) {
			uint32_t lo = in[i + 2] | (uint32_t)in[i + 3] << 8;

			if (lo < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			return -1;
		}
		if (cp < 0x80) {
			out[o++] = (uint8_t)cp;
		} else if (cp < 0x800) {
			out[o++] = (uint8_t)(0xc0 | cp >> 6);
			out[o++] = (uint8_t)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (uint8_t)(0xe0 | cp >> 12);
			out[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (uint8_t)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (uint8_t)(0xf0 | cp >> 18);
			out[o++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (uint8_t)(0x80 | (cp & 0x3f));
		}
	}
	v->type = WFP_BYTE_BLOB;
	v->blob.data = out;
	v->blob.size = (uint32_t)o;
	return 0;
}

static int hexdigit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool has_text(const xmlNode *n)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    c->content && *c->content)
			return true;
	return false;
}

/* <byteBlob><data>hex</data><asString>...</asString></byteBlob> */
static int blob_value(struct xctx *c, const xmlNode *e, unsigned field, struct wfp_value *v)
{
	size_t blen = text_len(child(e, "data"));
	char *buf = wfp_malloc(blen);
	const char *s;
	uint8_t *b;
	size_t n;
	int r = 0;

	if (!buf)
		return xfail(c, e, -WFP_E_NOMEM, "out of memory");
	s = ctext(e, "data", buf, blen);
	n = strlen(s) / 2;
	b = pol_alloc(c->p, n + 1);
	if (!b)
		r = xfail(c, e, -WFP_E_NOMEM, "out of memory");
	for (size_t i = 0; !r && i < n; i++) {
		int hi = hexdigit(s[2 * i]), lo = hexdigit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			r = xfail(c, e, -WFP_E_PARSE, "<data> is not hex");
		else
			b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!r && strlen(s) % 2)
		r = xfail(c, e, -WFP_E_PARSE, "<data> has an odd number of hex digits");
	wfp_free(buf);
	if (r)
		return r;
	/* Windows app ids are NUL-terminated UTF-16LE device paths, shown in
	 * <asString>; openwfp's are UTF-8.  Only such a blob is converted: one
	 * without <asString> (how openwfp writes raw bytes) stays raw. */
	if (is_app_id(field) && n >= 2 && n % 2 == 0 && !b[n - 1] && !b[n - 2] &&
	    has_text(child(e, "asString")) && !utf16le_to_utf8(c, b, n, v))
		return 0;
	v->type = WFP_BYTE_BLOB;
	v->blob.data = b;
	v->blob.size = (uint32_t)n;
	return 0;
}

/* A scalar value element of a given type into v. */
static int scalar(struct xctx *c, const xmlNode *holder, unsigned field, unsigned layer,
		  unsigned type, struct wfp_value *v)
{
	const char *mname = member_of(type);
	const xmlNode *e = mname ? child(holder, mname) : NULL;
	struct wfp_cond_value cv;
	char msg[160], *buf;
	const char *s;
	bool str = type == WFP_SID || type == WFP_SECURITY_DESCRIPTOR ||
		   type == WFP_UNICODE_STRING;
	int r;

	memset(v, 0, sizeof(*v));
	if (type == WFP_EMPTY)
		return 0;
	if (!e)
		return xfail(c, holder, -WFP_E_PARSE, "missing <%s> for %s",
			     mname ? mname : "?", wfp_data_type_name(type) ?
			     wfp_data_type_name(type) : "an unknown type");
	if (type == WFP_BYTE_BLOB)
		return blob_value(c, e, field, v);
	buf = wfp_malloc(text_len(e));
	if (!buf)
		return xfail(c, e, -WFP_E_NOMEM, "out of memory");
	/* strings keep their spaces; numbers and addresses may be padded */
	s = str ? raw_text(e, buf, text_len(e)) : text(e, buf, text_len(e));
	r = pol_value_parse(c->p, field, layer, s, strlen(s), str, false, &cv, msg, sizeof(msg));
	wfp_free(buf);
	if (r)
		return xfail(c, e, r == -WFP_E_NOMEM ? r : -WFP_E_PARSE, "%s: %s",
			     wfp_field_name(field), msg);
	if (cv.type != type)
		return xfail(c, e, -WFP_E_TYPE_MISMATCH, "%s takes %s, not %s",
			     wfp_field_name(field), wfp_data_type_name(cv.type),
			     wfp_data_type_name(type));
	*v = cv.v;
	return 0;
}

static int type_of(struct xctx *c, const xmlNode *n, unsigned *type)
{
	char buf[64];
	const char *s = ctext(n, "type", buf, sizeof(buf));
	int t = wfp_data_type_by_name(s);

	if (t < 0)
		return xfail(c, n, -WFP_E_PARSE, "unknown data type '%s'", s);
	*type = (unsigned)t;
	return 0;
}

static int addr_mask(struct xctx *c, const xmlNode *cv, unsigned type,
		     struct wfp_cond_value *out)
{
	const xmlNode *e = child(cv, member_of(type));
	char a[64], m[64], t[96], msg[160];
	int r;

	if (!e)
		return xfail(c, cv, -WFP_E_PARSE, "missing <%s>", member_of(type));
	snprintf(t, sizeof(t), "%s/%s", ctext(e, "addr", a, sizeof(a)),
		 ctext(e, type == WFP_V4_ADDR_MASK ? "mask" : "prefixLength", m, sizeof(m)));
	r = pol_value_parse(c->p, WFP_FIELD_IP_REMOTE_ADDRESS,
			    type == WFP_V4_ADDR_MASK ? WFP_LAYER_ALE_AUTH_CONNECT_V4 :
						       WFP_LAYER_ALE_AUTH_CONNECT_V6,
			    t, strlen(t), false, true, out, msg, sizeof(msg));
	return r ? xfail(c, e, -WFP_E_PARSE, "%s", msg) : 0;
}

static int cond_value(struct xctx *c, const xmlNode *cv, unsigned field, unsigned layer,
		      struct wfp_cond_value *out)
{
	const xmlNode *rv, *lo, *hi;
	unsigned type, lt, ht;

	memset(out, 0, sizeof(*out));
	if (!cv)
		return xfail(c, cv, -WFP_E_PARSE, "missing <conditionValue>");
	if (type_of(c, cv, &type))
		return c->failed;
	if (type == WFP_V4_ADDR_MASK || type == WFP_V6_ADDR_MASK)
		return addr_mask(c, cv, type, out);
	if (type != WFP_RANGE) {
		out->type = (uint16_t)type;
		return scalar(c, cv, field, layer, type, &out->v);
	}
	rv = child(cv, "rangeValue");
	lo = child(rv, "valueLow");
	hi = child(rv, "valueHigh");
	if (!lo || !hi)
		return xfail(c, cv, -WFP_E_PARSE, "a range needs <valueLow> and <valueHigh>");
	out->type = WFP_RANGE;
	if (type_of(c, lo, &lt) || type_of(c, hi, &ht) ||
	    scalar(c, lo, field, layer, lt, &out->range.low))
		return c->failed;
	return scalar(c, hi, field, layer, ht, &out->range.high);
}

/* ---- filters ---- */

/* The field of a <fieldKey>, or -1 (unknown: the filter is skipped). */
static int field_of(const char *s)
{
	struct wfp_guid g;

	return wfp_guid_parse(s, &g) ? wfp_field_by_name(s) : wfp_field_by_guid(&g);
}

static void skip_filter(struct xctx *c, const xmlNode *n, const char *why, const char *what)
{
	char name[128], id[32];

	c->skipped++;
	wfp_logf(WFP_LOG_WARN, "%s:%ld: filter '%s' (id %s) skipped: %s %s", c->p->file,
		 xmlGetLineNo(n), ctext(child(n, "displayData"), "name", name, sizeof(name)),
		 ctext(n, "filterId", id, sizeof(id)), why, what);
}

/* Conditions, grouped by field in order of first appearance (the order
 * the engine ORs them in, spec §5.4).  1: skip the filter. */
static int conditions(struct xctx *c, const xmlNode *n, struct wfp_filter *f)
{
	const xmlNode *fc = child(n, "filterCondition");
	struct wfp_filter_cond *raw, *out;
	unsigned cnt = 0, k = 0;
	char buf[128];

	for (const xmlNode *i = fc ? fc->children : NULL; i; i = i->next)
		cnt += i->type == XML_ELEMENT_NODE;
	if (!cnt)
		return 0;
	if (cnt > POL_MAX_COND)
		return xfail(c, fc, -WFP_E_LIMIT, "more than %d conditions", POL_MAX_COND);
	raw = pol_alloc(c->p, cnt * sizeof(*raw));
	out = pol_alloc(c->p, cnt * sizeof(*out));
	if (!raw || !out)
		return xfail(c, n, -WFP_E_NOMEM, "out of memory");
	for (const xmlNode *i = fc->children; i; i = i->next) {
		const char *fs, *ms;
		int field, match, r;

		if (i->type != XML_ELEMENT_NODE)
			continue;
		fs = ctext(i, "fieldKey", buf, sizeof(buf));
		field = field_of(fs);
		if (field < 0 || wfp_layer_field_index(f->layer, (unsigned)field) < 0) {
			skip_filter(c, n, "condition field not modelled:", fs);
			return 1;
		}
		ms = ctext(i, "matchType", buf, sizeof(buf));
		match = wfp_match_by_name(ms);
		if (match < 0)
			return xfail(c, i, -WFP_E_PARSE, "unknown match type '%s'", ms);
		raw[k].field = (uint16_t)field;
		raw[k].match = (uint16_t)match;
		if (cond_value(c, child(i, "conditionValue"), (unsigned)field, f->layer,
			       &raw[k].value))
			return c->failed;
		r = wfp_cond_check(f->layer, &raw[k]);
		if (r)
			return xfail(c, i, r, "condition %s %s: %s", wfp_field_name(raw[k].field),
				     wfp_match_name(raw[k].match), wfp_strerror(r));
		k++;
	}
	k = 0;
	for (unsigned i = 0; i < cnt; i++) {
		bool first = true;

		for (unsigned j = 0; j < i && first; j++)
			first = raw[j].field != raw[i].field;
		for (unsigned j = i; first && j < cnt; j++)
			if (raw[j].field == raw[i].field)
				out[k++] = raw[j];
	}
	f->cond = out;
	f->ncond = cnt;
	return 0;
}

static int weight(struct xctx *c, const xmlNode *n, struct wfp_value *w)
{
	const xmlNode *e = child(n, "weight");
	unsigned type;
	char buf[32];
	uint64_t u;

	w->type = WFP_EMPTY;
	if (!e)
		return 0;
	if (type_of(c, e, &type))
		return c->failed;
	if (type == WFP_EMPTY)
		return 0;
	if (type == WFP_UINT8 && parse_u64(ctext(e, "uint8", buf, sizeof(buf)), 255, &u)) {
		w->type = WFP_UINT8;
		w->u8 = (uint8_t)u;
		return 0;
	}
	if (type == WFP_UINT64 &&
	    parse_u64(ctext(e, "uint64", buf, sizeof(buf)), UINT64_MAX, &u)) {
		w->type = WFP_UINT64;
		w->u64 = u;
		return 0;
	}
	return xfail(c, e, -WFP_E_INVALID_WEIGHT, "bad <weight>");
}

static int action(struct xctx *c, const xmlNode *n, struct wfp_action *a)
{
	const xmlNode *e = child(n, "action");
	char buf[64];
	const char *s = ctext(e, "type", buf, sizeof(buf));

	if (wfp_action_by_name(s, &a->type))
		return xfail(c, e ? e : n, -WFP_E_INVALID_ACTION_TYPE, "unknown action '%s'", s);
	if (a->type & WFP_ACTION_FLAG_CALLOUT) {
		if (ref(c, e, child(e, "calloutKey") ? "calloutKey" : "filterType",
			"FWPM_CALLOUT_", &a->key))
			return c->failed;
		if (wfp_guid_is_zero(&a->key))
			return xfail(c, e, -WFP_E_PARSE, "a callout action needs <calloutKey>");
		return 0;
	}
	return ref(c, e, "filterType", "FWPM_PROVIDER_", &a->key);
}

static int x_filter(struct xctx *c, const xmlNode *n)
{
	struct pol_filter *pf;
	struct wfp_filter f = { 0 };
	char buf[128];
	uint64_t u;
	int layer, r;

	if (layer_of(c, n, "layerKey", &layer))
		return c->failed;
	if (!modelled(layer)) {
		skip_filter(c, n, "layer not modelled:", ctext(n, "layerKey", buf, sizeof(buf)));
		return 0;
	}
	f.layer = (uint16_t)layer;
	if (ref(c, n, "filterKey", "", &f.key) || display(c, n, &f.display) ||
	    flags(c, n, "FWPM_FILTER_FLAG_", filter_flag_names, &f.flags) ||
	    ref(c, n, "providerKey", "FWPM_PROVIDER_", &f.provider_key) ||
	    ref(c, n, "subLayerKey", "FWPM_SUBLAYER_", &f.sublayer_key) ||
	    weight(c, n, &f.weight) || action(c, n, &f.action))
		return c->failed;
	/* openwfp has no provider contexts (spec §6.5): such a filter cannot
	 * be represented, and dropping its context would change it */
	if (f.flags & (WFP_FILTER_F_HAS_PROVIDER_CONTEXT | XF_HAS_REALM_CONTEXT)) {
		skip_filter(c, n, "provider contexts are", "not modelled");
		return 0;
	}
	/* Windows-only flags (SYSTEMOS_ONLY, GAMEOS_ONLY, SILENT_MODE,
	 * IPSEC_NO_ACQUIRE_INITIATE) have no meaning here: dropped, said so */
	if (f.flags & ~(uint32_t)WFP_FILTER_F_ALL)
		wfp_logf(WFP_LOG_WARN, "%s:%ld: filter '%s': Windows-only flags 0x%x dropped",
			 c->p->file, xmlGetLineNo(n), f.display.name,
			 f.flags & ~(uint32_t)WFP_FILTER_F_ALL);
	/* DISABLED is output only (spec §6.4): the engine decides */
	f.flags &= WFP_FILTER_F_ALL & ~(uint32_t)WFP_FILTER_F_DISABLED;
	if (parse_u64(ctext(n, "rawContext", buf, sizeof(buf)), UINT64_MAX, &u))
		f.raw_context = u;
	r = conditions(c, n, &f);
	if (r)
		return r > 0 ? 0 : r;
	pf = pol_add_filter(c->p);
	if (!pf)
		return xfail(c, n, -WFP_E_NOMEM, "out of memory");
	pf->f = f;
	pf->loc.line = (unsigned)xmlGetLineNo(n);
	if (parse_u64(ctext(n, "filterId", buf, sizeof(buf)), UINT64_MAX, &u))
		pf->f.filter_id = u;
	return 0;
}

/* ---- placeholders for objects the dump refers to but lacks ---- */

static struct pol_provider *need_provider(struct xctx *c, const struct wfp_guid *k)
{
	const struct pol_known *kn;
	struct pol_provider *pv;
	char name[96], g[37];

	if (wfp_guid_is_zero(k) || (pv = pol_provider_by_key(c->p, k)))
		return NULL;
	kn = pol_known_provider_by_key(k);
	pv = pol_add_provider(c->p);
	if (!pv) {
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
		return NULL;
	}
	pv->p.key = *k;
	pv->placeholder = true;
	if (kn)
		snprintf(name, sizeof(name), "FWPM_PROVIDER_%s", kn->name);
	else
		snprintf(name, sizeof(name), "provider {%s}", wfp_guid_format(k, g));
	pv->p.display.name = pol_strdup(c->p, name);
	pv->p.display.description = "placeholder: referenced by the dump, not in it";
	if (!pv->p.display.name)
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
	return pv;
}

static void need_sublayer(struct xctx *c, const struct wfp_guid *k)
{
	struct pol_sublayer *sl;
	char name[96], g[37];

	if (wfp_guid_is_zero(k) || builtin_sublayer(k) || pol_sublayer_by_key(c->p, k))
		return;
	sl = pol_add_sublayer(c->p);
	if (!sl) {
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
		return;
	}
	sl->s.key = *k;
	sl->placeholder = true;
	snprintf(name, sizeof(name), "sublayer {%s}", wfp_guid_format(k, g));
	sl->s.display.name = pol_strdup(c->p, name);
	sl->s.display.description = "placeholder: referenced by the dump, not in it; "
				    "weight unknown";
	wfp_logf(WFP_LOG_WARN, "%s: sublayer {%s} is not in the dump: created with weight 0",
		 c->p->file, g);
	if (!sl->s.display.name)
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
}

static void need_callout(struct xctx *c, const struct wfp_guid *k, uint16_t layer)
{
	const struct pol_known *kn;
	struct pol_callout *co;
	char name[96], g[37];

	if (pol_callout_by_key(c->p, k) || pol_callout_is_builtin(k))
		return;
	kn = pol_known_callout_by_key(k);
	co = pol_add_callout(c->p);
	if (!co) {
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
		return;
	}
	co->c.key = *k;
	co->c.applicable_layer = layer;
	co->placeholder = true;
	if (kn)
		snprintf(name, sizeof(name), "FWPM_CALLOUT_%s", kn->name);
	else
		snprintf(name, sizeof(name), "callout {%s}", wfp_guid_format(k, g));
	co->c.display.name = pol_strdup(c->p, name);
	co->c.display.description = "placeholder: no code on Linux, acts as an "
				    "unregistered callout";
	wfp_logf(WFP_LOG_WARN, "%s: callout %s has no code on Linux: its filters act as "
		 "for an unregistered callout (spec §4.3)", c->p->file, name);
	if (!co->c.display.name)
		xfail(c, NULL, -WFP_E_NOMEM, "out of memory");
}

/*
 * A persistent object may only refer to persistent ones (spec §6.4), so a
 * placeholder becomes persistent when anything persistent refers to it.
 * Filters first: they may make a sublayer persistent, which may then
 * need its provider persistent.
 */
static void persist_provider(struct xctx *c, const struct wfp_guid *k)
{
	struct pol_provider *pv = pol_provider_by_key(c->p, k);

	if (pv && pv->placeholder)
		pv->p.flags |= WFP_PROVIDER_F_PERSISTENT;
}

static void persist_placeholders(struct xctx *c)
{
	for (size_t i = 0; i < c->p->nfilt; i++) {
		const struct wfp_filter *f = &c->p->filt[i].f;
		struct pol_sublayer *sl = pol_sublayer_by_key(c->p, &f->sublayer_key);
		struct pol_callout *co = pol_callout_by_key(c->p, &f->action.key);

		if (!(f->flags & WFP_FILTER_F_PERSISTENT))
			continue;
		persist_provider(c, &f->provider_key);
		if (sl && sl->placeholder)
			sl->s.flags |= WFP_SUBLAYER_F_PERSISTENT;
		if (co && co->placeholder && (f->action.type & WFP_ACTION_FLAG_CALLOUT))
			co->c.flags |= WFP_CALLOUT_F_PERSISTENT;
	}
	for (size_t i = 0; i < c->p->nsubl; i++)
		if (c->p->subl[i].s.flags & WFP_SUBLAYER_F_PERSISTENT)
			persist_provider(c, &c->p->subl[i].s.provider_key);
	for (size_t i = 0; i < c->p->ncall; i++)
		if (c->p->call[i].c.flags & WFP_CALLOUT_F_PERSISTENT)
			persist_provider(c, &c->p->call[i].c.provider_key);
}

static void placeholders(struct xctx *c)
{
	for (size_t i = 0; i < c->p->nsubl && !c->failed; i++)
		need_provider(c, &c->p->subl[i].s.provider_key);
	for (size_t i = 0; i < c->p->ncall && !c->failed; i++)
		need_provider(c, &c->p->call[i].c.provider_key);
	for (size_t i = 0; i < c->p->nfilt && !c->failed; i++) {
		const struct wfp_filter *f = &c->p->filt[i].f;

		need_provider(c, &f->provider_key);
		need_sublayer(c, &f->sublayer_key);
		if (f->action.type & WFP_ACTION_FLAG_CALLOUT)
			need_callout(c, &f->action.key, f->layer);
	}
	if (!c->failed)
		persist_placeholders(c);
}

/* ---- keeping libxml2 quiet ---- */

/*
 * libxml2 reports some errors (encoding conversion, I/O) through its
 * generic error function, which prints to stderr by default; libwfp never
 * prints (STYLE §5).  The function is per thread, so it is swapped for a
 * silent one around each use and put back.
 */
static void xml_silent(void *ctx, const char *msg, ...)
{
}

struct xml_quiet {
	xmlGenericErrorFunc fn;
	void *ctx;
};

static void quiet_begin(struct xml_quiet *q)
{
	q->fn = xmlGenericError;
	q->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, xml_silent);
}

static void quiet_end(const struct xml_quiet *q)
{
	xmlSetGenericErrorFunc(q->ctx, q->fn);
}

/* ---- the reader loop ---- */

static void on_xml_error(void *arg, xmlErrorPtr e)
{
	struct xctx *c = arg;

	if (c->xmlerr[0] || !e || e->level < XML_ERR_ERROR)
		return;
	snprintf(c->xmlerr, sizeof(c->xmlerr), "%s", e->message ? e->message : "XML error");
	c->xmlerr[strcspn(c->xmlerr, "\n")] = 0;
	c->xmlline = (unsigned)e->line;
	c->xmlcol = (unsigned)e->int2;
}

typedef int (*item_fn)(struct xctx *, const xmlNode *);

static item_fn item_kind(const char *parent)
{
	if (!strcmp(parent, "filters"))
		return x_filter;
	if (!strcmp(parent, "providers"))
		return x_provider;
	if (!strcmp(parent, "subLayers"))
		return x_sublayer;
	if (!strcmp(parent, "callouts"))
		return x_callout;
	return NULL;
}

/* Returns 1 when the item's subtree was consumed (reader moved on). */
static int visit(struct xctx *c, xmlTextReaderPtr rd, char stack[][24], int depth)
{
	const char *name = (const char *)xmlTextReaderConstLocalName(rd);
	item_fn fn;
	xmlNode *n;

	if (depth >= XML_MAX_DEPTH)
		return xfail(c, NULL, -WFP_E_LIMIT, "XML nested deeper than %d", XML_MAX_DEPTH);
	strlcpy(stack[depth], name ? name : "", 24);
	if (!depth || strcmp(stack[depth], "item") || !(fn = item_kind(stack[depth - 1])))
		return 0;
	n = xmlTextReaderExpand(rd);
	if (!n) {
		c->failed = pol_error(c->err, -WFP_E_PARSE, c->p->file, c->xmlline, c->xmlcol,
				      NULL, 0, "XML: %s", c->xmlerr[0] ? c->xmlerr :
				      "malformed <item>");
		return c->failed;
	}
	fn(c, n);
	return 1;
}

static int read_all(struct xctx *c, xmlTextReaderPtr rd)
{
	char stack[XML_MAX_DEPTH][24];
	int r = xmlTextReaderRead(rd);

	while (r == 1 && !c->failed) {
		int depth = xmlTextReaderDepth(rd);

		if (xmlTextReaderNodeType(rd) == XML_READER_TYPE_ELEMENT &&
		    visit(c, rd, stack, depth) == 1) {
			r = xmlTextReaderNext(rd);
			continue;
		}
		r = xmlTextReaderRead(rd);
	}
	if (!c->failed && (r < 0 || c->xmlerr[0]))
		pol_error(c->err, -WFP_E_PARSE, c->p->file, c->xmlline, c->xmlcol, NULL, 0,
			  "XML: %s", c->xmlerr[0] ? c->xmlerr : "malformed document");
	return c->failed ? c->failed : (r < 0 || c->xmlerr[0]) ? -WFP_E_PARSE : 0;
}

int pol_parse_xml(struct wfp_policy *p, const char *text_, size_t len,
		  struct wfp_policy_error *err)
{
	struct xctx c = { .p = p, .err = err };
	struct xml_quiet q;
	xmlTextReaderPtr rd;
	int r;

	if (len > INT32_MAX)
		return pol_error(err, -WFP_E_LIMIT, p->file, 0, 0, NULL, 0, "document too large");
	quiet_begin(&q);
	/* no network, no entity substitution, no DTD loading */
	rd = xmlReaderForMemory(text_, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!rd) {
		quiet_end(&q);
		return pol_error(err, -WFP_E_NOMEM, p->file, 0, 0, NULL, 0, "out of memory");
	}
	xmlTextReaderSetStructuredErrorHandler(rd, on_xml_error, &c);
	r = read_all(&c, rd);
	xmlFreeTextReader(rd);
	quiet_end(&q);
	if (!r)
		placeholders(&c);
	return r ? r : c.failed;
}

/* ---- writer: the filters.xml shape, plus sublayers and callouts ---- */

/* XML 1.0 cannot hold most control characters, even escaped. */
/* How many bytes at d[i] XML cannot carry: a control character (1) or
 * the non-characters U+FFFE/U+FFFF (3); 0 if the byte is fine. */
static size_t xml_bad_at(const uint8_t *d, size_t n, size_t i)
{
	if ((d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r') || d[i] == 0x7f)
		return 1;
	if (d[i] == 0xef && i + 2 < n && d[i + 1] == 0xbf && (d[i + 2] & 0xfe) == 0xbe)
		return 3;
	return 0;
}

static bool xml_safe(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (xml_bad_at(d, n, i))
			return false;
	return true;
}

struct xw {
	xmlTextWriterPtr w;
	const struct wfp_policy *p;
	int r; /* first failure */
};

static void el(struct xw *x, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void el(struct xw *x, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (x->r)
		return;
	va_start(ap, fmt);
	if (xmlTextWriterWriteVFormatElement(x->w, BAD_CAST name, fmt, ap) < 0)
		x->r = -WFP_E_NOMEM;
	va_end(ap);
}

static void start(struct xw *x, const char *name)
{
	if (!x->r && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
		x->r = -WFP_E_NOMEM;
}

static void end(struct xw *x)
{
	if (!x->r && xmlTextWriterEndElement(x->w) < 0)
		x->r = -WFP_E_NOMEM;
}

static void empty(struct xw *x, const char *name)
{
	start(x, name);
	end(x);
}

static void start_list(struct xw *x, const char *name, size_t n)
{
	start(x, name);
	if (!x->r && xmlTextWriterWriteFormatAttribute(x->w, BAD_CAST "numItems", "%zu", n) < 0)
		x->r = -WFP_E_NOMEM;
}

static void w_guid(struct xw *x, const char *name, const struct wfp_guid *g)
{
	char b[37];

	el(x, name, "{%s}", wfp_guid_format(g, b));
}

/* A key by its Windows name where it has one. */
static void w_key(struct xw *x, const char *name, enum pol_kind kind,
		  const struct wfp_guid *g)
{
	const struct pol_known *k = kind == POL_PROVIDER ? pol_known_provider_by_key(g) :
				    kind == POL_CALLOUT ? pol_known_callout_by_key(g) : NULL;

	if (k) {
		el(x, name, "FWPM_%s_%s", kind == POL_PROVIDER ? "PROVIDER" : "CALLOUT",
		   k->name);
		return;
	}
	for (unsigned i = 0; kind == POL_SUBLAYER && i < wfp_builtin_sublayer_count(); i++)
		if (wfp_guid_eq(&wfp_builtin_sublayer(i)->key, g)) {
			el(x, name, "FWPM_SUBLAYER_%s", wfp_builtin_sublayer(i)->name);
			return;
		}
	w_guid(x, name, g);
}

static void w_optkey(struct xw *x, const char *name, enum pol_kind kind,
		     const struct wfp_guid *g)
{
	if (wfp_guid_is_zero(g))
		empty(x, name);
	else
		w_key(x, name, kind, g);
}

/* A string element; control characters XML cannot carry become '?'. */
static void el_str(struct xw *x, const char *name, const char *s)
{
	char *t = wfp_strdup(s ? s : "");

	if (!t) {
		x->r = -WFP_E_NOMEM;
		return;
	}
	for (size_t i = 0, n = strlen(t); i < n; i++)
		for (size_t k = xml_bad_at((const uint8_t *)t, n, i); k; k--)
			t[i + k - 1] = '?';
	el(x, name, "%s", t);
	wfp_free(t);
}

static void w_display(struct xw *x, const struct wfp_display *d)
{
	start(x, "displayData");
	el_str(x, "name", d->name);
	if (d->description)
		el_str(x, "description", d->description);
	else
		empty(x, "description");
	end(x);
}

static void w_flags(struct xw *x, uint32_t f, const char *pfx, const struct xflag *t)
{
	size_t n = 0;

	for (const struct xflag *i = t; i->name; i++)
		n += (f & i->bit) != 0;
	if (!n) {
		empty(x, "flags");
		return;
	}
	start_list(x, "flags", n);
	for (; t->name; t++)
		if (f & t->bit)
			el(x, "item", "%s%s", pfx, t->name);
	end(x);
}

static void w_hex(struct xw *x, const uint8_t *d, size_t n)
{
	char *h = wfp_malloc(2 * n + 1);

	if (!h) {
		x->r = -WFP_E_NOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", d[i]);
	h[2 * n] = 0;
	el(x, "data", "%s", h);
	wfp_free(h);
}

/* UTF-8 app id -> Windows' UTF-16LE with its NUL. */
static void w_appid(struct xw *x, const struct wfp_blob *b)
{
	uint8_t *u = wfp_malloc(4 * (size_t)b->size + 2);
	size_t o = 0;

	if (!u) {
		x->r = -WFP_E_NOMEM;
		return;
	}
	for (uint32_t i = 0; i < b->size;) {
		uint32_t c = b->data[i];
		unsigned len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		c &= len == 1 ? 0x7f : len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07;
		for (unsigned j = 1; j < len && i + j < b->size; j++)
			c = c << 6 | (b->data[i + j] & 0x3f);
		i += len;
		if (c >= 0x10000) {
			c -= 0x10000;
			u[o++] = (uint8_t)((0xd800 + (c >> 10)) & 0xff);
			u[o++] = (uint8_t)((0xd800 + (c >> 10)) >> 8);
			c = 0xdc00 + (c & 0x3ff);
		}
		u[o++] = (uint8_t)(c & 0xff);
		u[o++] = (uint8_t)(c >> 8);
	}
	u[o++] = 0;
	u[o++] = 0;
	w_hex(x, u, o);
	wfp_free(u);
}

static void w_blob(struct xw *x, unsigned field, const struct wfp_blob *b)
{
	bool text = pol_is_text(b->data, b->size) && xml_safe(b->data, b->size);

	/* the reader converts an app id back from UTF-16 exactly when it has
	 * an <asString>: so both, or neither */
	start(x, "byteBlob");
	if (is_app_id(field) && text && b->size)
		w_appid(x, b);
	else
		w_hex(x, b->data, b->size);
	if (text && b->size)
		el(x, "asString", "%.*s", (int)b->size, (const char *)b->data);
	else
		empty(x, "asString");
	end(x);
}

/* <type>..</type><member>..</member> of one value. */
static void w_value(struct xw *x, unsigned field, const struct wfp_value *v)
{
	const char *m = member_of(v->type);
	char buf[256];

	el(x, "type", "%s", wfp_data_type_name(v->type));
	if (v->type == WFP_EMPTY || !m)
		return;
	switch (v->type) {
	case WFP_BYTE_BLOB:
		w_blob(x, field, &v->blob);
		return;
	case WFP_SID: case WFP_SECURITY_DESCRIPTOR: case WFP_UNICODE_STRING: {
		char *t = wfp_strndup((const char *)v->blob.data, v->blob.size);

		if (!t) {
			x->r = -WFP_E_NOMEM;
			return;
		}
		el_str(x, m, t);
		wfp_free(t);
		return;
	}
	case WFP_UINT8:
		el(x, m, "%u", v->u8);
		return;
	case WFP_UINT16:
		el(x, m, "%u", v->u16);
		return;
	case WFP_UINT32:
		/* addresses as dotted quads, like netsh */
		if (pol_field_vkind(field) == POL_V_ADDR)
			break;
		el(x, m, "%u", v->u32);
		return;
	case WFP_UINT64:
		el(x, m, "%llu", (unsigned long long)v->u64);
		return;
	}
	struct wfp_cond_value cv = { .type = v->type, .v = *v };

	pol_value_format(field, &cv, buf, sizeof(buf));
	el(x, m, "%s", buf);
}

static void w_cond_value(struct xw *x, const struct wfp_filter_cond *fc)
{
	const struct wfp_cond_value *v = &fc->value;
	char a[64];

	start(x, "conditionValue");
	if (v->type == WFP_RANGE) {
		el(x, "type", "%s", wfp_data_type_name(WFP_RANGE));
		start(x, "rangeValue");
		start(x, "valueLow");
		w_value(x, fc->field, &v->range.low);
		end(x);
		start(x, "valueHigh");
		w_value(x, fc->field, &v->range.high);
		end(x);
		end(x);
	} else if (v->type == WFP_V4_ADDR_MASK) {
		uint32_t ad = v->v4.addr, m = v->v4.mask;

		el(x, "type", "%s", wfp_data_type_name(v->type));
		start(x, "v4AddrMask");
		el(x, "addr", "%u.%u.%u.%u", ad >> 24, (ad >> 16) & 255, (ad >> 8) & 255, ad & 255);
		el(x, "mask", "%u.%u.%u.%u", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
		end(x);
	} else if (v->type == WFP_V6_ADDR_MASK) {
		struct wfp_cond_value cv = { .type = WFP_BYTE_ARRAY16 };

		memcpy(cv.v.a16, v->v6.addr, 16);
		cv.v.type = WFP_BYTE_ARRAY16;
		pol_value_format(WFP_FIELD_IP_REMOTE_ADDRESS, &cv, a, sizeof(a));
		el(x, "type", "%s", wfp_data_type_name(v->type));
		start(x, "v6AddrMask");
		el(x, "addr", "%s", a);
		el(x, "prefixLength", "%u", v->v6.prefix_len);
		end(x);
	} else {
		w_value(x, fc->field, &v->v);
	}
	end(x);
}

static void w_conds(struct xw *x, const struct wfp_filter *f)
{
	if (!f->ncond) {
		empty(x, "filterCondition");
		return;
	}
	start_list(x, "filterCondition", f->ncond);
	for (uint32_t i = 0; i < f->ncond; i++) {
		start(x, "item");
		el(x, "fieldKey", "FWPM_CONDITION_%s", wfp_field_name(f->cond[i].field));
		el(x, "matchType", "%s", wfp_match_name(f->cond[i].match));
		w_cond_value(x, &f->cond[i]);
		end(x);
	}
	end(x);
}

static void w_weight(struct xw *x, const char *name, const struct wfp_value *w)
{
	start(x, name);
	el(x, "type", "%s", wfp_data_type_name(w->type));
	if (w->type == WFP_UINT8)
		el(x, "uint8", "%u", w->u8);
	else if (w->type == WFP_UINT64)
		el(x, "uint64", "%llu", (unsigned long long)w->u64);
	end(x);
}

static void w_filter(struct xw *x, const struct wfp_filter *f)
{
	struct wfp_value ew = { .type = WFP_EMPTY };

	start(x, "item");
	w_guid(x, "filterKey", &f->key);
	w_display(x, &f->display);
	w_flags(x, f->flags, "FWPM_FILTER_FLAG_", filter_flag_names);
	w_optkey(x, "providerKey", POL_PROVIDER, &f->provider_key);
	empty(x, "providerData");
	el(x, "layerKey", "FWPM_LAYER_%s", wfp_layer_name(f->layer));
	w_optkey(x, "subLayerKey", POL_SUBLAYER, &f->sublayer_key);
	w_weight(x, "weight", &f->weight);
	w_conds(x, f);
	start(x, "action");
	el(x, "type", "%s", wfp_action_name(f->action.type));
	if (f->action.type & WFP_ACTION_FLAG_CALLOUT)
		w_key(x, "calloutKey", POL_CALLOUT, &f->action.key);
	else
		w_optkey(x, "filterType", POL_PROVIDER, &f->action.key);
	end(x);
	el(x, "rawContext", "%llu", (unsigned long long)f->raw_context);
	empty(x, "reserved");
	el(x, "filterId", "%llu", (unsigned long long)(x->p->from_engine ? f->filter_id : 0));
	if (x->p->from_engine) {
		ew.type = WFP_UINT64;
		ew.u64 = f->effective_weight;
	}
	w_weight(x, "effectiveWeight", &ew);
	end(x);
}

static void w_provider(struct xw *x, const struct pol_provider *pv)
{
	start(x, "item");
	w_key(x, "providerKey", POL_PROVIDER, &pv->p.key);
	w_display(x, &pv->p.display);
	w_flags(x, pv->p.flags, "FWPM_PROVIDER_FLAG_", provider_flag_names);
	empty(x, "providerData");
	if (pv->p.service_name)
		el_str(x, "serviceName", pv->p.service_name);
	else
		empty(x, "serviceName");
	end(x);
}

static void w_sublayer(struct xw *x, const struct pol_sublayer *sl)
{
	start(x, "item");
	w_key(x, "subLayerKey", POL_SUBLAYER, &sl->s.key);
	w_display(x, &sl->s.display);
	w_flags(x, sl->s.flags, "FWPM_SUBLAYER_FLAG_", sublayer_flag_names);
	w_optkey(x, "providerKey", POL_PROVIDER, &sl->s.provider_key);
	empty(x, "providerData");
	el(x, "weight", "%u", sl->s.weight);
	end(x);
}

static void w_callout(struct xw *x, const struct pol_callout *co)
{
	start(x, "item");
	w_key(x, "calloutKey", POL_CALLOUT, &co->c.key);
	w_display(x, &co->c.display);
	w_flags(x, co->c.flags, "FWPM_CALLOUT_FLAG_", callout_flag_names);
	w_optkey(x, "providerKey", POL_PROVIDER, &co->c.provider_key);
	empty(x, "providerData");
	el(x, "applicableLayer", "FWPM_LAYER_%s", wfp_layer_name(co->c.applicable_layer));
	el(x, "calloutId", "%u", co->c.callout_id);
	end(x);
}

static void w_all(struct xw *x, const struct wfp_policy *p)
{
	if (xmlTextWriterStartDocument(x->w, NULL, "UTF-8", "yes") < 0)
		x->r = -WFP_E_NOMEM;
	start(x, "wfpdiag");
	start_list(x, "filters", p->nfilt);
	for (size_t i = 0; i < p->nfilt && !x->r; i++)
		w_filter(x, &p->filt[i].f);
	end(x);
	start_list(x, "providers", p->nprov);
	for (size_t i = 0; i < p->nprov && !x->r; i++)
		w_provider(x, &p->prov[i]);
	end(x);
	/* not in Windows' filters.xml (wfpstate.xml has them): kept so an
	 * export holds every object */
	start_list(x, "subLayers", p->nsubl);
	for (size_t i = 0; i < p->nsubl && !x->r; i++)
		w_sublayer(x, &p->subl[i]);
	end(x);
	start_list(x, "callouts", p->ncall);
	for (size_t i = 0; i < p->ncall && !x->r; i++)
		w_callout(x, &p->call[i]);
	end(x);
	end(x);
	if (!x->r && xmlTextWriterEndDocument(x->w) < 0)
		x->r = -WFP_E_NOMEM;
}

int pol_write_xml(const struct wfp_policy *p, FILE *out)
{
	xmlBufferPtr buf = xmlBufferCreate();
	struct xw x = { .p = p };
	struct xml_quiet q;

	if (!buf)
		return -WFP_E_NOMEM;
	x.w = xmlNewTextWriterMemory(buf, 0);
	if (!x.w) {
		xmlBufferFree(buf);
		return -WFP_E_NOMEM;
	}
	xmlTextWriterSetIndent(x.w, 1);
	xmlTextWriterSetIndentString(x.w, BAD_CAST " ");
	quiet_begin(&q);
	w_all(&x, p);
	xmlFreeTextWriter(x.w); /* flushes into buf */
	quiet_end(&q);
	if (!x.r && fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), out) !=
		    (size_t)xmlBufferLength(buf))
		x.r = -WFP_E_IO;
	xmlBufferFree(buf);
	return x.r;
}
