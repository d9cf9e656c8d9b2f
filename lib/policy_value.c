/* SPDX-License-Identifier: MIT */
/*
 * policy_value.c - condition values as policies write them: parsing and
 * formatting of one value for a field ("80", "tcp", "10.0.0.0/8",
 * "fd00::/8", "IS_LOOPBACK|IS_REAUTHORIZE", "S-1-5-18", "\"/usr/bin/curl\""),
 * plus the keyword tables (match operators, filter flags) that the text,
 * JSON and XML formats share.  docs/policy.md, "Values".
 *
 * The data type of a value always comes from the field and the layer
 * (wfp_field_type), never from the spelling, so "80" is a UINT16 at
 * IP_LOCAL_PORT and a UINT8 at IP_PROTOCOL; only the three condition-only
 * types (address/mask, range) and EMPTY are chosen by the spelling.
 * Everything here is locale-independent and bounded.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "policy.h"

/* ---- symbolic values ---- */

struct sym {
	const char *name;
	uint32_t val;
};

static const struct sym protos[] = {
	{ "hopopt", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 },
	{ "tcp", 6 }, { "egp", 8 }, { "udp", 17 }, { "ipv6", 41 },
	{ "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "rsvp", 46 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 },
	{ "ipv6-nonxt", 59 }, { "ipv6-opts", 60 }, { "ospf", 89 },
	{ "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },
	{ "udplite", 136 }, { NULL, 0 }
};

static const struct sym cflags[] = {
	{ "IS_LOOPBACK", 0x1 }, { "IS_IPSEC_SECURED", 0x2 },
	{ "IS_REAUTHORIZE", 0x4 }, { "IS_WILDCARD_BIND", 0x8 },
	{ "IS_RAW_ENDPOINT", 0x10 }, { "IS_FRAGMENT", 0x20 },
	{ "IS_FRAGMENT_GROUP", 0x40 }, { "IS_IPSEC_NATT_RECLASSIFY", 0x80 },
	{ "REQUIRES_ALE_CLASSIFY", 0x100 }, { "IS_IMPLICIT_BIND", 0x200 },
	{ "IS_REASSEMBLED", 0x400 }, { "IS_NAME_APP_SPECIFIED", 0x4000 },
	{ "IS_PROMISCUOUS", 0x8000 }, { "IS_AUTH_FW", 0x10000 },
	{ "IS_RECLASSIFY", 0x20000 }, { "IS_OUTBOUND_PASS_THRU", 0x40000 },
	{ "IS_INBOUND_PASS_THRU", 0x80000 },
	{ "IS_CONNECTION_REDIRECTED", 0x100000 },
	{ "IS_PROXY_CONNECTION", 0x200000 },
	{ "IS_APPCONTAINER_LOOPBACK", 0x400000 },
	{ "IS_NON_APPCONTAINER_LOOPBACK", 0x800000 },
	{ "IS_RESERVED", 0x1000000 },
	{ "IS_HONORING_POLICY_AUTHORIZE", 0x2000000 },
	{ NULL, 0 }
};

static const struct sym reauth[] = {
	{ "POLICY_CHANGE", 0x1 }, { "NEW_ARRIVAL_INTERFACE", 0x2 },
	{ "NEW_NEXTHOP_INTERFACE", 0x4 }, { "PROFILE_CROSSING", 0x8 },
	{ "CLASSIFY_COMPLETION", 0x10 }, { "IPSEC_PROPERTIES_CHANGED", 0x20 },
	{ "MID_STREAM_INSPECTION", 0x40 }, { "SOCKET_PROPERTY_CHANGED", 0x80 },
	{ "NEW_INBOUND_MCAST_BCAST_PACKET", 0x100 },
	{ NULL, 0 }
};

static const struct sym sockprop[] = {
	{ "IS_SYSTEM_PORT_RPC", 0x1 }, { "ALLOW_EDGE_TRAFFIC", 0x2 },
	{ "DENY_EDGE_TRAFFIC", 0x4 }, { NULL, 0 }
};

static const struct sym directions[] = {
	{ "outbound", WFP_DIRECTION_OUTBOUND }, { "inbound", WFP_DIRECTION_INBOUND },
	{ NULL, 0 }
};

static const struct sym addrtypes[] = {
	{ "unspecified", 0 }, { "unicast", 1 }, { "anycast", 2 },
	{ "multicast", 3 }, { "broadcast", 4 }, { NULL, 0 }
};

/* Prefixes Windows puts in front of the flag names above. */
static const char *const flag_prefixes[] = {
	"FWP_CONDITION_FLAG_", "FWP_CONDITION_REAUTHORIZE_REASON_",
	"FWP_CONDITION_SOCKET_PROPERTY_FLAG_", NULL
};

enum pol_vkind pol_field_vkind(unsigned field)
{
	switch (field) {
	case WFP_FIELD_IP_LOCAL_ADDRESS:
	case WFP_FIELD_IP_REMOTE_ADDRESS:
	case WFP_FIELD_IP_SOURCE_ADDRESS:
	case WFP_FIELD_IP_DESTINATION_ADDRESS:
	case WFP_FIELD_EMBEDDED_REMOTE_ADDRESS:
		return POL_V_ADDR;
	case WFP_FIELD_IP_PROTOCOL:
	case WFP_FIELD_EMBEDDED_PROTOCOL:
		return POL_V_PROTO;
	case WFP_FIELD_FLAGS:
		return POL_V_CFLAGS;
	case WFP_FIELD_REAUTHORIZE_REASON:
		return POL_V_REAUTH;
	case WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT:
		return POL_V_SOCKPROP;
	case WFP_FIELD_DIRECTION:
		return POL_V_DIRECTION;
	case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE:
	case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
	case WFP_FIELD_EMBEDDED_LOCAL_ADDRESS_TYPE:
		return POL_V_ADDRTYPE;
	}
	return POL_V_PLAIN;
}

static const struct sym *vkind_syms(enum pol_vkind k)
{
	switch (k) {
	case POL_V_PROTO:
		return protos;
	case POL_V_CFLAGS:
		return cflags;
	case POL_V_REAUTH:
		return reauth;
	case POL_V_SOCKPROP:
		return sockprop;
	case POL_V_DIRECTION:
		return directions;
	case POL_V_ADDRTYPE:
		return addrtypes;
	default:
		return NULL;
	}
}

static bool is_flags(enum pol_vkind k)
{
	return k == POL_V_CFLAGS || k == POL_V_REAUTH || k == POL_V_SOCKPROP;
}

static bool sym_lookup(const struct sym *t, const char *s, size_t len, uint32_t *v)
{
	for (const char *const *p = flag_prefixes; *p; p++) {
		size_t pl = strlen(*p);

		if (len > pl && !strncasecmp(s, *p, pl)) {
			s += pl;
			len -= pl;
			break;
		}
	}
	for (; t && t->name; t++)
		if (strlen(t->name) == len && !strncasecmp(t->name, s, len)) {
			*v = t->val;
			return true;
		}
	return false;
}

/* ---- numbers ---- */

static bool digit_of(char c, unsigned base, unsigned *d)
{
	if (c >= '0' && c <= '9')
		*d = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*d = (unsigned)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		*d = (unsigned)(c - 'A' + 10);
	else
		return false;
	return *d < base;
}

/* Unsigned decimal or 0x hex, whole string, no overflow past max. */
static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	unsigned base = 10, d;
	uint64_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!digit_of(s[i], base, &d))
			return false;
		if (v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	bool neg = len && s[0] == '-';
	uint64_t u, lim = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;

	if (!parse_u64(s + neg, len - neg, lim, &u))
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* A flag expression: NAME|NAME|0x10, or a plain number. */
static bool parse_flags(const struct sym *t, const char *s, size_t len, uint64_t max,
			uint64_t *out)
{
	uint64_t acc = 0;

	while (len) {
		const char *bar = memchr(s, '|', len);
		size_t n = bar ? (size_t)(bar - s) : len;
		uint64_t v;
		uint32_t sv;

		if (sym_lookup(t, s, n, &sv))
			v = sv;
		else if (!parse_u64(s, n, max, &v))
			return false;
		acc |= v;
		if (!bar)
			break;
		s += n + 1;
		len -= n + 1;
		if (!len)
			return false;
	}
	*out = acc;
	return true;
}

static const uint64_t umax[] = {
	[WFP_UINT8] = UINT8_MAX, [WFP_UINT16] = UINT16_MAX,
	[WFP_UINT32] = UINT32_MAX, [WFP_UINT64] = UINT64_MAX,
};

static void set_uint(struct wfp_value *v, unsigned type, uint64_t u)
{
	v->type = (uint16_t)type;
	switch (type) {
	case WFP_UINT8:
		v->u8 = (uint8_t)u;
		break;
	case WFP_UINT16:
		v->u16 = (uint16_t)u;
		break;
	case WFP_UINT32:
		v->u32 = (uint32_t)u;
		break;
	default:
		v->u64 = u;
	}
}

static int parse_uint(enum pol_vkind k, unsigned type, const char *s, size_t len,
		      struct wfp_value *v, char *msg, size_t ml)
{
	const struct sym *t = vkind_syms(k);
	uint64_t u;
	uint32_t sv;

	if (is_flags(k)) {
		if (!parse_flags(t, s, len, umax[type], &u)) {
			snprintf(msg, ml, "bad flags '%.*s'", (int)(len > 64 ? 64 : len), s);
			return -WFP_E_PARSE;
		}
	} else if (t && sym_lookup(t, s, len, &sv)) {
		u = sv;
	} else if (!parse_u64(s, len, umax[type], &u)) {
		snprintf(msg, ml, "'%.*s' is not a %s", (int)(len > 64 ? 64 : len), s,
			 k == POL_V_PROTO ? "protocol name or number 0-255" :
			 type == WFP_UINT8 ? "number 0-255" :
			 type == WFP_UINT16 ? "number 0-65535" :
			 type == WFP_UINT32 ? "32-bit number" : "64-bit number");
		return -WFP_E_PARSE;
	}
	set_uint(v, type, u);
	return 0;
}

static int parse_int(unsigned type, const char *s, size_t len, struct wfp_value *v,
		     char *msg, size_t ml)
{
	static const int64_t lim[][2] = {
		[WFP_INT8] = { INT8_MIN, INT8_MAX }, [WFP_INT16] = { INT16_MIN, INT16_MAX },
		[WFP_INT32] = { INT32_MIN, INT32_MAX }, [WFP_INT64] = { INT64_MIN, INT64_MAX },
	};
	int64_t i;

	if (!parse_i64(s, len, lim[type][0], lim[type][1], &i)) {
		snprintf(msg, ml, "'%.*s' is not a %s", (int)(len > 64 ? 64 : len), s,
			 wfp_data_type_name(type));
		return -WFP_E_PARSE;
	}
	v->type = (uint16_t)type;
	if (type == WFP_INT8)
		v->i8 = (int8_t)i;
	else if (type == WFP_INT16)
		v->i16 = (int16_t)i;
	else if (type == WFP_INT32)
		v->i32 = (int32_t)i;
	else
		v->i64 = i;
	return 0;
}

static int parse_real(unsigned type, const char *s, size_t len, struct wfp_value *v,
		      char *msg, size_t ml)
{
	char buf[64], *end;
	double d;

	if (!len || len >= sizeof(buf))
		goto bad;
	memcpy(buf, s, len);
	buf[len] = 0;
	d = strtod(buf, &end);
	if (*end)
		goto bad;
	v->type = (uint16_t)type;
	if (type == WFP_FLOAT)
		v->f32 = (float)d;
	else
		v->f64 = d;
	return 0;
bad:
	snprintf(msg, ml, "'%.*s' is not a number", (int)(len > 64 ? 64 : len), s);
	return -WFP_E_PARSE;
}

/* ---- addresses ---- */

static bool cstr(const char *s, size_t len, char *buf, size_t blen)
{
	if (len >= blen || memchr(s, 0, len))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	return true;
}

static bool parse_v4(const char *s, size_t len, uint32_t *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (!cstr(s, len, buf, sizeof(buf)) || inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static bool parse_v6(const char *s, size_t len, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN];

	return cstr(s, len, buf, sizeof(buf)) && inet_pton(AF_INET6, buf, out) == 1;
}

/* "a.b.c.d/len" or "a.b.c.d/m.m.m.m" (contiguous mask only). */
static int parse_v4_mask(const char *s, size_t len, const char *slash,
			 struct wfp_cond_value *out, char *msg, size_t ml)
{
	size_t al = (size_t)(slash - s), ml2 = len - al - 1;
	uint64_t plen;
	uint32_t addr, mask;

	if (!parse_v4(s, al, &addr))
		goto bad;
	if (parse_u64(slash + 1, ml2, 32, &plen))
		mask = plen ? ~0u << (32 - plen) : 0;
	else if (!parse_v4(slash + 1, ml2, &mask) || (mask & (~mask >> 1)))
		goto bad;
	out->type = WFP_V4_ADDR_MASK;
	out->v4.addr = addr;
	out->v4.mask = mask;
	return 0;
bad:
	snprintf(msg, ml, "'%.*s' is not an IPv4 address/prefix or address/mask",
		 (int)(len > 64 ? 64 : len), s);
	return -WFP_E_PARSE;
}

static int parse_v6_mask(const char *s, size_t len, const char *slash,
			 struct wfp_cond_value *out, char *msg, size_t ml)
{
	size_t al = (size_t)(slash - s);
	uint64_t plen;

	if (!parse_v6(s, al, out->v6.addr) ||
	    !parse_u64(slash + 1, len - al - 1, 128, &plen)) {
		snprintf(msg, ml, "'%.*s' is not an IPv6 address/prefix",
			 (int)(len > 64 ? 64 : len), s);
		return -WFP_E_PARSE;
	}
	out->type = WFP_V6_ADDR_MASK;
	out->v6.prefix_len = (uint8_t)plen;
	return 0;
}

static int parse_addr(unsigned type, const char *s, size_t len, bool mask_ok,
		      struct wfp_cond_value *out, char *msg, size_t ml)
{
	const char *slash = memchr(s, '/', len);

	if (slash) {
		if (!mask_ok) {
			snprintf(msg, ml, "address/prefix only works with == and !=");
			return -WFP_E_PARSE;
		}
		return type == WFP_UINT32 ? parse_v4_mask(s, len, slash, out, msg, ml) :
					    parse_v6_mask(s, len, slash, out, msg, ml);
	}
	out->type = (uint16_t)type;
	out->v.type = (uint16_t)type;
	if (type == WFP_UINT32 ? parse_v4(s, len, &out->v.u32) : parse_v6(s, len, out->v.a16))
		return 0;
	snprintf(msg, ml, "'%.*s' is not an %s address", (int)(len > 64 ? 64 : len), s,
		 type == WFP_UINT32 ? "IPv4" : "IPv6");
	return -WFP_E_PARSE;
}

static bool parse_mac(const char *s, size_t len, uint8_t out[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		unsigned hi, lo;

		if (!digit_of(s[i * 3], 16, &hi) || !digit_of(s[i * 3 + 1], 16, &lo) ||
		    (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-'))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* ---- blobs, strings, SIDs ---- */

static bool valid_sid(const char *s, size_t len)
{
	size_t i = 4, parts = 0;

	if (len < 5 || strncasecmp(s, "S-1-", 4))
		return false;
	while (i < len) {
		size_t st = i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st || i - st > 20)
			return false;
		parts++;
		if (i < len && s[i++] != '-')
			return false;
		if (i == len && s[len - 1] == '-')
			return false;
	}
	return parts >= 1 && parts <= 16;
}

static int set_blob(struct wfp_policy *p, unsigned type, const void *d, size_t len,
		    struct wfp_value *v, char *msg, size_t ml)
{
	uint8_t *b;

	if (len > UINT32_MAX) {
		snprintf(msg, ml, "value too long");
		return -WFP_E_LIMIT;
	}
	b = pol_memdup(p, d, len);
	if (!b)
		return -WFP_E_NOMEM;
	v->type = (uint16_t)type;
	v->blob.data = b;
	v->blob.size = (uint32_t)len;
	return 0;
}

/* hex:0011aa -> bytes */
static int parse_hexblob(struct wfp_policy *p, unsigned type, const char *s, size_t len,
			 struct wfp_value *v, char *msg, size_t ml)
{
	uint8_t *b;
	size_t n = (len - 4) / 2;

	if ((len - 4) % 2)
		goto bad;
	b = pol_alloc(p, n ? n : 1);
	if (!b)
		return -WFP_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned hi, lo;

		if (!digit_of(s[4 + 2 * i], 16, &hi) || !digit_of(s[5 + 2 * i], 16, &lo))
			goto bad;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	v->type = (uint16_t)type;
	v->blob.data = b;
	v->blob.size = (uint32_t)n;
	return 0;
bad:
	snprintf(msg, ml, "bad hex bytes after 'hex:'");
	return -WFP_E_PARSE;
}

static int parse_bytes(struct wfp_policy *p, unsigned type, const char *s, size_t len,
		       bool quoted, struct wfp_value *v, char *msg, size_t ml)
{
	if (!quoted && len >= 4 && !strncmp(s, "hex:", 4))
		return parse_hexblob(p, type, s, len, v, msg, ml);
	if (!quoted) {
		snprintf(msg, ml, "expected a quoted string or hex:BYTES");
		return -WFP_E_PARSE;
	}
	return set_blob(p, type, s, len, v, msg, ml);
}

/* ---- one value ---- */

/* The type a condition on field has at layer: the incoming type, except
 * that token fields take a security descriptor (spec §5.3). */
static int cond_type(unsigned field, unsigned layer)
{
	int t = wfp_field_type(field, layer);

	if (t == WFP_TOKEN_INFORMATION || t == WFP_TOKEN_ACCESS_INFORMATION)
		return WFP_SECURITY_DESCRIPTOR;
	/* a bitmap field is tested for one bit: the condition is its index */
	if (t == WFP_BITMAP_ARRAY64)
		return WFP_BITMAP_INDEX;
	return t;
}

bool pol_field_is_string(unsigned field, unsigned layer)
{
	int t = cond_type(field, layer);

	return t == WFP_BYTE_BLOB || t == WFP_UNICODE_STRING || t == WFP_SECURITY_DESCRIPTOR;
}

static int parse_single(struct wfp_policy *p, unsigned type, enum pol_vkind k,
			const char *s, size_t len, bool quoted,
			struct wfp_value *v, char *msg, size_t ml)
{
	if (quoted && type != WFP_BYTE_BLOB && type != WFP_UNICODE_STRING &&
	    type != WFP_SID && type != WFP_SECURITY_DESCRIPTOR) {
		snprintf(msg, ml, "a quoted string is not a %s", wfp_data_type_name(type));
		return -WFP_E_PARSE;
	}
	switch (type) {
	case WFP_UINT8: case WFP_UINT16: case WFP_UINT32: case WFP_UINT64:
		return parse_uint(k, type, s, len, v, msg, ml);
	case WFP_INT8: case WFP_INT16: case WFP_INT32: case WFP_INT64:
		return parse_int(type, s, len, v, msg, ml);
	case WFP_FLOAT: case WFP_DOUBLE:
		return parse_real(type, s, len, v, msg, ml);
	case WFP_BYTE_ARRAY16:
		v->type = WFP_BYTE_ARRAY16;
		if (parse_v6(s, len, v->a16))
			return 0;
		snprintf(msg, ml, "'%.*s' is not an IPv6 address", (int)(len > 64 ? 64 : len), s);
		return -WFP_E_PARSE;
	case WFP_BYTE_ARRAY6:
		v->type = WFP_BYTE_ARRAY6;
		if (parse_mac(s, len, v->a6))
			return 0;
		snprintf(msg, ml, "'%.*s' is not a MAC address", (int)(len > 64 ? 64 : len), s);
		return -WFP_E_PARSE;
	case WFP_BYTE_BLOB:
	case WFP_UNICODE_STRING:
		return parse_bytes(p, type, s, len, quoted, v, msg, ml);
	case WFP_SID:
		if (!valid_sid(s, len)) {
			snprintf(msg, ml, "'%.*s' is not a SID (S-1-...)",
				 (int)(len > 64 ? 64 : len), s);
			return -WFP_E_PARSE;
		}
		return set_blob(p, type, s, len, v, msg, ml);
	case WFP_SECURITY_DESCRIPTOR:
		if (!quoted || !pol_is_text((const uint8_t *)s, len)) {
			snprintf(msg, ml, "a security descriptor is a quoted SDDL string");
			return -WFP_E_PARSE;
		}
		return set_blob(p, type, s, len, v, msg, ml);
	case WFP_BITMAP_INDEX:
		return parse_uint(k, WFP_UINT8, s, len, v, msg, ml) ? -WFP_E_PARSE :
		       (v->type = WFP_BITMAP_INDEX, 0);
	}
	snprintf(msg, ml, "values of type %s cannot be written in a policy",
		 wfp_data_type_name(type));
	return -WFP_E_PARSE;
}

int pol_value_parse(struct wfp_policy *p, unsigned field, unsigned layer,
		    const char *s, size_t len, bool quoted, bool mask_ok,
		    struct wfp_cond_value *out, char *msg, size_t msglen)
{
	enum pol_vkind k = pol_field_vkind(field);
	int type = cond_type(field, layer);

	memset(out, 0, sizeof(*out));
	if (type < 0) {
		snprintf(msg, msglen, "field %s does not exist at layer %s",
			 wfp_field_name(field), wfp_layer_name(layer));
		return -WFP_E_CONDITION_NOT_FOUND;
	}
	if (!quoted && len == 5 && !strncmp(s, "empty", 5)) {
		out->type = WFP_EMPTY;
		return 0;
	}
	if (!quoted && k == POL_V_ADDR && (type == WFP_UINT32 || type == WFP_BYTE_ARRAY16))
		return parse_addr((unsigned)type, s, len, mask_ok, out, msg, msglen);
	int r = parse_single(p, (unsigned)type, k, s, len, quoted, &out->v, msg, msglen);

	out->type = out->v.type;
	return r;
}

int pol_range_parse(struct wfp_policy *p, unsigned field, unsigned layer,
		    const char *lo, size_t lolen, bool loq,
		    const char *hi, size_t hilen, bool hiq,
		    struct wfp_cond_value *out, char *msg, size_t msglen)
{
	struct wfp_cond_value a, b;
	int r;

	r = pol_value_parse(p, field, layer, lo, lolen, loq, false, &a, msg, msglen);
	if (!r)
		r = pol_value_parse(p, field, layer, hi, hilen, hiq, false, &b, msg, msglen);
	if (r)
		return r;
	if (a.type == WFP_EMPTY || b.type == WFP_EMPTY) {
		snprintf(msg, msglen, "a range cannot have an empty end");
		return -WFP_E_PARSE;
	}
	memset(out, 0, sizeof(*out));
	out->type = WFP_RANGE;
	out->range.low = a.v;
	out->range.high = b.v;
	return 0;
}

/* ---- formatting ---- */

static bool utf8_valid(const uint8_t *d, size_t n);

struct obuf {
	char *b;
	size_t len, o;
	bool trunc;
};

static void put(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct obuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->o >= o->len) {
		o->trunc = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->o, o->len - o->o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->o) {
		o->trunc = true;
		o->o = o->len;
	} else {
		o->o += (size_t)n;
	}
}

int pol_quote(const char *s, size_t len, char *buf, size_t buflen)
{
	struct obuf o = { buf, buflen, 0, false };

	if (buflen)
		buf[0] = 0;
	put(&o, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			put(&o, "\\%c", c);
		else if (c == '\n')
			put(&o, "\\n");
		else if (c == '\t')
			put(&o, "\\t");
		else if (c < 0x20 || c == 0x7f)
			put(&o, "\\x%02x", c);
		else
			put(&o, "%c", c);
	}
	put(&o, "\"");
	return o.trunc ? -1 : 0;
}

static void fmt_flags(struct obuf *o, const struct sym *t, uint64_t v)
{
	uint64_t rest = v;
	bool first = true;

	if (!v) {
		put(o, "0");
		return;
	}
	for (; t->name; t++)
		if ((rest & t->val) == t->val && t->val) {
			put(o, "%s%s", first ? "" : "|", t->name);
			rest &= ~(uint64_t)t->val;
			first = false;
		}
	if (rest)
		put(o, "%s0x%llx", first ? "" : "|", (unsigned long long)rest);
}

static uint64_t uint_of(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_UINT8:
	case WFP_BITMAP_INDEX:
		return v->u8;
	case WFP_UINT16:
		return v->u16;
	case WFP_UINT32:
		return v->u32;
	default:
		return v->u64;
	}
}

static void fmt_uint(struct obuf *o, enum pol_vkind k, const struct wfp_value *v)
{
	uint64_t u = uint_of(v);
	const struct sym *t = vkind_syms(k);

	if (is_flags(k)) {
		fmt_flags(o, t, u);
		return;
	}
	if (k == POL_V_ADDR && v->type == WFP_UINT32) {
		put(o, "%u.%u.%u.%u", (unsigned)(u >> 24), (unsigned)(u >> 16) & 255,
		    (unsigned)(u >> 8) & 255, (unsigned)u & 255);
		return;
	}
	for (; t && t->name; t++)
		if (t->val == u) {
			put(o, "%s", t->name);
			return;
		}
	put(o, "%llu", (unsigned long long)u);
}

static void fmt_v6(struct obuf *o, const uint8_t a[16])
{
	char buf[INET6_ADDRSTRLEN];

	put(o, "%s", inet_ntop(AF_INET6, a, buf, sizeof(buf)) ? buf : "::");
}

bool pol_is_text(const uint8_t *d, size_t n)
{
	return !memchr(d, 0, n) && utf8_valid(d, n);
}

static bool utf8_valid(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = d[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 :
					 (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 7;

		if (!len || i + len > n)
			return false;
		for (unsigned j = 1; j < len; j++) {
			if ((d[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (d[i + j] & 0x3f);
		}
		/* no overlong forms, surrogates or values past U+10FFFF */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static void fmt_blob(struct obuf *o, const struct wfp_value *v)
{
	const uint8_t *d = v->blob.data;
	uint32_t n = v->blob.size;
	bool text = true;

	/* bytes that are not text (a NUL, invalid UTF-8) are written as
	 * hex:, so every blob survives the round trip exactly */
	text = pol_is_text(d, n);
	if (text && v->type == WFP_SID) {
		put(o, "%.*s", (int)n, (const char *)d);
		return;
	}
	if (text) {
		if (o->o < o->len && pol_quote((const char *)d, n, o->b + o->o, o->len - o->o))
			o->trunc = true, o->o = o->len;
		else
			o->o += strlen(o->b + o->o);
		return;
	}
	put(o, "hex:");
	for (uint32_t i = 0; i < n; i++)
		put(o, "%02x", d[i]);
}

static void fmt_value(struct obuf *o, enum pol_vkind k, const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_EMPTY:
		put(o, "empty");
		break;
	case WFP_UINT8: case WFP_UINT16: case WFP_UINT32: case WFP_UINT64:
	case WFP_BITMAP_INDEX:
		fmt_uint(o, k, v);
		break;
	case WFP_INT8:
		put(o, "%d", v->i8);
		break;
	case WFP_INT16:
		put(o, "%d", v->i16);
		break;
	case WFP_INT32:
		put(o, "%d", v->i32);
		break;
	case WFP_INT64:
		put(o, "%lld", (long long)v->i64);
		break;
	case WFP_FLOAT:
		put(o, "%.9g", v->f32);
		break;
	case WFP_DOUBLE:
		put(o, "%.17g", v->f64);
		break;
	case WFP_BYTE_ARRAY16:
		fmt_v6(o, v->a16);
		break;
	case WFP_BYTE_ARRAY6:
		put(o, "%02x:%02x:%02x:%02x:%02x:%02x", v->a6[0], v->a6[1], v->a6[2],
		    v->a6[3], v->a6[4], v->a6[5]);
		break;
	case WFP_BYTE_BLOB: case WFP_UNICODE_STRING: case WFP_SID:
	case WFP_SECURITY_DESCRIPTOR:
		fmt_blob(o, v);
		break;
	default:
		put(o, "<%s>", wfp_data_type_name(v->type));
	}
}

int pol_value_format(unsigned field, const struct wfp_cond_value *v, char *buf,
		     size_t len)
{
	struct obuf o = { buf, len, 0, false };
	enum pol_vkind k = pol_field_vkind(field);
	struct wfp_value tmp;

	if (len)
		buf[0] = 0;
	switch (v->type) {
	case WFP_V4_ADDR_MASK: {
		uint32_t m = v->v4.mask;
		int plen = 0;

		while (plen < 32 && (m & (0x80000000u >> plen)))
			plen++;
		tmp.type = WFP_UINT32;
		tmp.u32 = v->v4.addr;
		fmt_uint(&o, POL_V_ADDR, &tmp);
		if (m == (plen ? ~0u << (32 - plen) : 0))
			put(&o, "/%d", plen);
		else
			put(&o, "/%u.%u.%u.%u", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
		break;
	}
	case WFP_V6_ADDR_MASK:
		fmt_v6(&o, v->v6.addr);
		put(&o, "/%u", v->v6.prefix_len);
		break;
	case WFP_RANGE: {
		size_t lo = o.o, hi;

		fmt_value(&o, k, &v->range.low);
		put(&o, "-");
		hi = o.o;
		fmt_value(&o, k, &v->range.high);
		/* an end that itself has a '-' (-5, ipv6-route) would make
		 * "A-B" ambiguous: write "A - B" instead */
		if (!o.trunc && (memchr(buf + lo, '-', hi - 1 - lo) || strchr(buf + hi, '-'))) {
			char hib[256];

			strlcpy(hib, buf + hi, sizeof(hib));
			o.o = hi - 1;
			put(&o, " - %s", hib);
		}
		break;
	}
	default:
		fmt_value(&o, k, &v->v);
	}
	return o.trunc ? -1 : 0;
}

/* ---- keywords ---- */

static const struct {
	const char *name;
	uint32_t bit;
} fflags[] = {
	{ "persistent", WFP_FILTER_F_PERSISTENT },
	{ "boottime", WFP_FILTER_F_BOOTTIME },
	{ "has-provider-context", WFP_FILTER_F_HAS_PROVIDER_CONTEXT },
	{ "clear-action-right", WFP_FILTER_F_CLEAR_ACTION_RIGHT },
	{ "permit-if-callout-unregistered", WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED },
	{ "disabled", WFP_FILTER_F_DISABLED },
	{ "indexed", WFP_FILTER_F_INDEXED },
};

const char *pol_filter_flag_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(fflags) / sizeof(fflags[0]); i++)
		if (fflags[i].bit == bit)
			return fflags[i].name;
	return NULL;
}

int pol_filter_flag_by_name(const char *name, size_t len, uint32_t *bit)
{
	for (size_t i = 0; i < sizeof(fflags) / sizeof(fflags[0]); i++)
		if (strlen(fflags[i].name) == len && !strncasecmp(fflags[i].name, name, len)) {
			*bit = fflags[i].bit;
			return 0;
		}
	return -1;
}

static const struct {
	const char *op;
	unsigned match;
} ops[] = {
	/* canonical spellings first: the writer uses the first match */
	{ "==", WFP_MATCH_EQUAL }, { "!=", WFP_MATCH_NOT_EQUAL },
	{ "<", WFP_MATCH_LESS }, { ">", WFP_MATCH_GREATER },
	{ "<=", WFP_MATCH_LESS_OR_EQUAL }, { ">=", WFP_MATCH_GREATER_OR_EQUAL },
	{ "in", WFP_MATCH_RANGE },
	{ "all-set", WFP_MATCH_FLAGS_ALL_SET }, { "any-set", WFP_MATCH_FLAGS_ANY_SET },
	{ "none-set", WFP_MATCH_FLAGS_NONE_SET },
	{ "~=", WFP_MATCH_EQUAL_CASE_INSENSITIVE },
	{ "suffix", WFP_MATCH_PREFIX }, { "not-suffix", WFP_MATCH_NOT_PREFIX },
	/* WFP's own (misleading) names for the suffix tests, spec §5.3 */
	{ "prefix", WFP_MATCH_PREFIX }, { "not-prefix", WFP_MATCH_NOT_PREFIX },
	{ "=", WFP_MATCH_EQUAL },
};

const char *pol_match_op(unsigned match)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].match == match)
			return ops[i].op;
	return NULL;
}

int pol_match_by_op(const char *op, size_t len)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].op) == len && !strncasecmp(ops[i].op, op, len))
			return (int)ops[i].match;
	return -1;
}
