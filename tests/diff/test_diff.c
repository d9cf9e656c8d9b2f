/* SPDX-License-Identifier: MIT */
/*
 * test_diff.c - randomized differential test of wfp_classify().
 *
 * The model is WireGuard's allowedips selftest (horrible_allowedips):
 * build thousands of random policies, throw random incoming values at
 * them, and compare what the engine says with a deliberately naive
 * reference written here from the spec alone: §4.3 (callout coercion,
 * unregistered callouts), §4.4 (rights, hard/soft, veto), the arbitration
 * box of §4.5, §5.3-5.5 (match types, OR of one field, AND across fields)
 * and the decisions of §9 (EMPTY values, equal weights by ascending id,
 * no decision = NONE).  The reference keeps its own copy of every filter
 * it generated and never calls libwfp's matching code; from the engine it
 * reads back only what the engine is free to choose: filter ids, keys and
 * auto weights.
 *
 * TAP on stdout.  Environment:
 *   WFP_DIFF_SEED=n      replay one run (the seed is printed first)
 *   WFP_DIFF_POLICIES=n  number of random policies (default 2000)
 *   WFP_DIFF_INPUTS=n    classifications per policy (default 128)
 *   WFP_DIFF_VERBOSE=1   dump every policy
 * On a mismatch the first case is shrunk (filters, then conditions, are
 * dropped while the mismatch persists on a fresh engine) and printed.
 * docs/internals/testing.md explains how to read the output.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wfp/wfp.h>

#include "classify_tree.h" /* wfp_tree_min_filters: the only private knob */

/* -DREF_ONLY_SKIP=1: skip the layer-table check, for tuning the
 * generator's coverage with the reference alone. */
#ifndef REF_ONLY_SKIP
#define REF_ONLY_SKIP 0
#endif

enum {
	NLAY = 5,     /* layers we know by heart, lays[] */
	MAXSLOT = 48, /* WFP_MAX_FIELDS_PER_LAYER */
	K = 6,        /* interesting values per field and policy */
	MAXF = 224,   /* filters per policy */
	MAXC = 6,     /* conditions per filter */
	MAXSL = 5,    /* own sublayers per policy */
	MAXCALL = 128 /* callout invocations traced per classification */
};

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, one global stream so a seed replays all. */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

/* ------------------------------------------------------------------ */
/* Layers and fields, copied from spec §1.3 (slot order) and §1.4 (types)
 * rather than asked of the layer table, so that the table is checked too. */

enum ty {
	T_SKIP, T_U8, T_U16, T_U32, T_U64, T_A4, T_A6, T_FLAGS, T_BLOB, T_SID,
	T_TOKEN,  /* incoming token, conditions are security descriptors */
	T_BITMAP, /* BITMAP_ARRAY64 incoming, BITMAP_INDEX/ARRAY64 conditions */
};

#define F(x) WFP_FIELD_##x
static const uint16_t f_connect[] = {
	F(ALE_APP_ID), F(ALE_USER_ID), F(IP_LOCAL_ADDRESS), F(IP_LOCAL_ADDRESS_TYPE),
	F(IP_LOCAL_PORT), F(IP_PROTOCOL), F(IP_REMOTE_ADDRESS), F(IP_REMOTE_PORT),
	F(ALE_REMOTE_USER_ID), F(ALE_REMOTE_MACHINE_ID), F(IP_DESTINATION_ADDRESS_TYPE),
	F(IP_LOCAL_INTERFACE), F(FLAGS), F(INTERFACE_TYPE), F(TUNNEL_TYPE),
	F(INTERFACE_INDEX), F(SUB_INTERFACE_INDEX), F(IP_ARRIVAL_INTERFACE),
	F(ARRIVAL_INTERFACE_TYPE), F(ARRIVAL_TUNNEL_TYPE), F(ARRIVAL_INTERFACE_INDEX),
	F(NEXTHOP_SUB_INTERFACE_INDEX), F(IP_NEXTHOP_INTERFACE), F(NEXTHOP_INTERFACE_TYPE),
	F(NEXTHOP_TUNNEL_TYPE), F(NEXTHOP_INTERFACE_INDEX), F(ORIGINAL_PROFILE_ID),
	F(CURRENT_PROFILE_ID), F(REAUTHORIZE_REASON), F(PEER_NAME), F(ORIGINAL_ICMP_TYPE),
	F(INTERFACE_QUARANTINE_EPOCH), F(ALE_ORIGINAL_APP_ID), F(ALE_PACKAGE_ID),
	F(ALE_SECURITY_ATTRIBUTE_FQBN_VALUE), F(ALE_EFFECTIVE_NAME), F(COMPARTMENT_ID),
	F(BITMAP_IP_LOCAL_ADDRESS), F(BITMAP_IP_LOCAL_PORT), F(BITMAP_IP_REMOTE_ADDRESS),
	F(BITMAP_IP_REMOTE_PORT),
};
static const uint16_t f_recv_accept[] = {
	F(ALE_APP_ID), F(ALE_USER_ID), F(IP_LOCAL_ADDRESS), F(IP_LOCAL_ADDRESS_TYPE),
	F(IP_LOCAL_PORT), F(IP_PROTOCOL), F(IP_REMOTE_ADDRESS), F(IP_REMOTE_PORT),
	F(ALE_REMOTE_USER_ID), F(ALE_REMOTE_MACHINE_ID), F(IP_LOCAL_INTERFACE), F(FLAGS),
	F(ALE_SIO_FIREWALL_SYSTEM_PORT), F(NAP_CONTEXT), F(INTERFACE_TYPE), F(TUNNEL_TYPE),
	F(INTERFACE_INDEX), F(SUB_INTERFACE_INDEX), F(IP_ARRIVAL_INTERFACE),
	F(ARRIVAL_INTERFACE_TYPE), F(ARRIVAL_TUNNEL_TYPE), F(ARRIVAL_INTERFACE_INDEX),
	F(NEXTHOP_SUB_INTERFACE_INDEX), F(IP_NEXTHOP_INTERFACE), F(NEXTHOP_INTERFACE_TYPE),
	F(NEXTHOP_TUNNEL_TYPE), F(NEXTHOP_INTERFACE_INDEX), F(ORIGINAL_PROFILE_ID),
	F(CURRENT_PROFILE_ID), F(REAUTHORIZE_REASON), F(ORIGINAL_ICMP_TYPE),
	F(INTERFACE_QUARANTINE_EPOCH), F(ALE_PACKAGE_ID),
	F(ALE_SECURITY_ATTRIBUTE_FQBN_VALUE), F(COMPARTMENT_ID),
	F(BITMAP_IP_LOCAL_ADDRESS), F(BITMAP_IP_LOCAL_PORT), F(BITMAP_IP_REMOTE_ADDRESS),
	F(BITMAP_IP_REMOTE_PORT),
};
static const uint16_t f_in_transport[] = {
	F(IP_PROTOCOL), F(IP_LOCAL_ADDRESS), F(IP_REMOTE_ADDRESS), F(IP_LOCAL_ADDRESS_TYPE),
	F(IP_LOCAL_PORT), F(IP_REMOTE_PORT), F(IP_LOCAL_INTERFACE), F(INTERFACE_INDEX),
	F(SUB_INTERFACE_INDEX), F(FLAGS), F(INTERFACE_TYPE), F(TUNNEL_TYPE),
	F(CURRENT_PROFILE_ID), F(IPSEC_SECURITY_REALM_ID), F(COMPARTMENT_ID),
};
static const uint16_t f_out_transport[] = {
	F(IP_PROTOCOL), F(IP_LOCAL_ADDRESS), F(IP_LOCAL_ADDRESS_TYPE), F(IP_REMOTE_ADDRESS),
	F(IP_LOCAL_PORT), F(IP_REMOTE_PORT), F(IP_LOCAL_INTERFACE), F(INTERFACE_INDEX),
	F(SUB_INTERFACE_INDEX), F(IP_DESTINATION_ADDRESS_TYPE), F(FLAGS), F(INTERFACE_TYPE),
	F(TUNNEL_TYPE), F(CURRENT_PROFILE_ID), F(IPSEC_SECURITY_REALM_ID), F(COMPARTMENT_ID),
};
#undef F

struct lay {
	unsigned id;
	bool v6;
	unsigned nfields;
	const uint16_t *fields;
};

#define LAY(l, v6, f) { WFP_LAYER_##l, v6, sizeof(f) / sizeof(f[0]), f }
static const struct lay lays[NLAY] = {
	LAY(ALE_AUTH_CONNECT_V4, false, f_connect),
	LAY(ALE_AUTH_CONNECT_V6, true, f_connect),
	LAY(ALE_AUTH_RECV_ACCEPT_V4, false, f_recv_accept),
	LAY(INBOUND_TRANSPORT_V4, false, f_in_transport),
	LAY(OUTBOUND_TRANSPORT_V6, true, f_out_transport),
};
#undef LAY

/* Spec §1.4.  T_SKIP: IPSEC_SECURITY_REALM_ID (no documented type); its
 * incoming value stays EMPTY. */
static enum ty field_ty(unsigned f, bool v6)
{
	switch (f) {
	case WFP_FIELD_IP_LOCAL_ADDRESS:
	case WFP_FIELD_IP_REMOTE_ADDRESS:
		return v6 ? T_A6 : T_A4;
	case WFP_FIELD_IP_LOCAL_PORT:
	case WFP_FIELD_IP_REMOTE_PORT:
	case WFP_FIELD_ORIGINAL_ICMP_TYPE:
		return T_U16;
	case WFP_FIELD_IP_PROTOCOL:
	case WFP_FIELD_IP_LOCAL_ADDRESS_TYPE:
	case WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE:
		return T_U8;
	case WFP_FIELD_FLAGS:
		return T_FLAGS;
	case WFP_FIELD_IP_LOCAL_INTERFACE:
	case WFP_FIELD_IP_ARRIVAL_INTERFACE:
	case WFP_FIELD_IP_NEXTHOP_INTERFACE:
	case WFP_FIELD_INTERFACE_QUARANTINE_EPOCH:
		return T_U64;
	case WFP_FIELD_INTERFACE_INDEX:
	case WFP_FIELD_SUB_INTERFACE_INDEX:
	case WFP_FIELD_INTERFACE_TYPE:
	case WFP_FIELD_TUNNEL_TYPE:
	case WFP_FIELD_ARRIVAL_INTERFACE_INDEX:
	case WFP_FIELD_ARRIVAL_INTERFACE_TYPE:
	case WFP_FIELD_ARRIVAL_TUNNEL_TYPE:
	case WFP_FIELD_NEXTHOP_SUB_INTERFACE_INDEX:
	case WFP_FIELD_NEXTHOP_INTERFACE_INDEX:
	case WFP_FIELD_NEXTHOP_INTERFACE_TYPE:
	case WFP_FIELD_NEXTHOP_TUNNEL_TYPE:
	case WFP_FIELD_ORIGINAL_PROFILE_ID:
	case WFP_FIELD_CURRENT_PROFILE_ID:
	case WFP_FIELD_REAUTHORIZE_REASON:
	case WFP_FIELD_COMPARTMENT_ID:
	case WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT:
	case WFP_FIELD_NAP_CONTEXT:
		return T_U32;
	case WFP_FIELD_ALE_APP_ID:
	case WFP_FIELD_ALE_ORIGINAL_APP_ID:
	case WFP_FIELD_PEER_NAME:
	case WFP_FIELD_ALE_EFFECTIVE_NAME:
	case WFP_FIELD_ALE_SECURITY_ATTRIBUTE_FQBN_VALUE:
		return T_BLOB;
	case WFP_FIELD_ALE_PACKAGE_ID:
		return T_SID;
	case WFP_FIELD_ALE_USER_ID:
	case WFP_FIELD_ALE_REMOTE_USER_ID:
	case WFP_FIELD_ALE_REMOTE_MACHINE_ID:
		return T_TOKEN;
	case WFP_FIELD_BITMAP_IP_LOCAL_ADDRESS:
	case WFP_FIELD_BITMAP_IP_LOCAL_PORT:
	case WFP_FIELD_BITMAP_IP_REMOTE_ADDRESS:
	case WFP_FIELD_BITMAP_IP_REMOTE_PORT:
		return T_BITMAP;
	default:
		return T_SKIP;
	}
}

static enum ty slot_ty(unsigned li, unsigned slot)
{
	return field_ty(lays[li].fields[slot], lays[li].v6);
}

static int slot_of(unsigned li, unsigned field)
{
	for (unsigned i = 0; i < lays[li].nfields; i++)
		if (lays[li].fields[i] == field)
			return (int)i;
	return -1;
}

static uint16_t wtype(enum ty t)
{
	static const uint16_t map[] = {
		[T_SKIP] = WFP_EMPTY, [T_U8] = WFP_UINT8, [T_U16] = WFP_UINT16,
		[T_U32] = WFP_UINT32, [T_U64] = WFP_UINT64, [T_A4] = WFP_UINT32,
		[T_A6] = WFP_BYTE_ARRAY16, [T_FLAGS] = WFP_UINT32,
		[T_BLOB] = WFP_BYTE_BLOB, [T_SID] = WFP_SID,
		[T_TOKEN] = WFP_TOKEN_ACCESS_INFORMATION,
		[T_BITMAP] = WFP_BITMAP_ARRAY64,
	};
	return map[t];
}

static bool is_int(enum ty t)
{
	return t == T_U8 || t == T_U16 || t == T_U32 || t == T_U64 || t == T_A4 ||
	       t == T_FLAGS;
}

static uint64_t tmax(enum ty t)
{
	switch (t) {
	case T_U8:
		return 0xff;
	case T_U16:
		return 0xffff;
	case T_U64:
		return UINT64_MAX;
	default:
		return 0xffffffff;
	}
}

/* ------------------------------------------------------------------ */
/* Values */

static const char *const blobs[] = {
	"/usr/bin/curl", "/usr/bin/wget", "/usr/sbin/sshd", "/bin/sh", "curl",
	"/curl", "bin/curl", "/usr/bin/Curl", "/usr/local/bin/curl",
	"/usr/bin/curl2", "a", "ab", "b", "wget", "example.com", ".example.com",
	"www.example.com", "EXAMPLE.COM", "com",
};
static const char *const sids[] = {
	"S-1-0-0", "S-1-5-18", "S-1-15-2-1", "S-1-15-2-2", "S-1-15-2-1-2",
};
static const uint32_t flag_bits[] = {
	WFP_CONDITION_FLAG_IS_LOOPBACK, WFP_CONDITION_FLAG_IS_IPSEC_SECURED,
	WFP_CONDITION_FLAG_IS_REAUTHORIZE, WFP_CONDITION_FLAG_IS_WILDCARD_BIND,
	WFP_CONDITION_FLAG_IS_RAW_ENDPOINT, WFP_CONDITION_FLAG_IS_FRAGMENT,
	WFP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY,
	WFP_CONDITION_FLAG_IS_NAME_APP_SPECIFIED, WFP_CONDITION_FLAG_IS_RECLASSIFY,
	WFP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED,
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Tokens and security descriptors, with the access-check outcome for
 * FWP_ACTRL_MATCH_FILTER worked out by hand from the SDDL (spec §5.8,
 * docs/internals/sd.md: S-1-22-1-<uid>, S-1-22-2-<gid>, WD = everyone,
 * SY = uid 0, ACEs in order, empty DACL denies, no DACL grants). */
static const uint32_t gid_a[] = { 0 }, gid_b[] = { 1000, 100 },
		      gid_c[] = { 1001, 27, 100 }, gid_d[] = { 65534 };
static const struct wfp_token toks[] = {
	{ 0, 1, gid_a }, { 1000, 2, gid_b }, { 1001, 3, gid_c }, { 65534, 1, gid_d },
};
static const char *const sds[] = {
	"D:(A;;CC;;;WD)",
	"D:(A;;CC;;;S-1-22-1-1000)",
	"D:(D;;CC;;;S-1-22-2-27)(A;;CC;;;WD)",
	"O:LSD:(A;;CC;;;S-1-22-2-100)(A;;CC;;;SY)",
	"D:",
	"O:SYG:SY",
};
static const bool granted[NELEM(sds)][NELEM(toks)] = {
	{ 1, 1, 1, 1 },
	{ 0, 1, 0, 0 },
	{ 1, 1, 0, 1 },
	{ 1, 1, 1, 0 },
	{ 0, 0, 0, 0 },
	{ 1, 1, 1, 1 },
};

static uint64_t getu(const struct wfp_value *v)
{
	switch (v->type) {
	case WFP_UINT8:
		return v->u8;
	case WFP_UINT16:
		return v->u16;
	case WFP_UINT32:
		return v->u32;
	case WFP_BITMAP_INDEX:
		return v->u8;
	default:
		return v->u64;
	}
}

static void setu(struct wfp_value *v, enum ty t, uint64_t x)
{
	memset(v, 0, sizeof(*v));
	v->type = wtype(t);
	switch (v->type) {
	case WFP_UINT8:
		v->u8 = (uint8_t)x;
		break;
	case WFP_UINT16:
		v->u16 = (uint16_t)x;
		break;
	case WFP_UINT32:
		v->u32 = (uint32_t)x;
		break;
	default:
		v->u64 = x;
	}
}

static void setstr(struct wfp_value *v, enum ty t, const char *s)
{
	memset(v, 0, sizeof(*v));
	v->type = wtype(t);
	v->blob.data = (const uint8_t *)s;
	v->blob.size = (uint32_t)strlen(s);
}

/* Values that share prefixes, sit on type boundaries or are small: the
 * policy draws its condition values from these, the inputs draw from
 * these and their neighbours, so that conditions actually hit. */
static void univ_gen(struct wfp_value u[K], enum ty t)
{
	uint64_t base = rnd();
	uint8_t b6[16];

	for (unsigned i = 0; i < 16; i++)
		b6[i] = (uint8_t)rnd();
	b6[0] = 0xfd;
	for (unsigned k = 0; k < K; k++) {
		struct wfp_value *v = &u[k];
		unsigned r = below(100);

		switch (t) {
		case T_U8:
		case T_U16:
		case T_U32:
		case T_U64:
			if (r < 25) {
				static const int64_t edge[] = { 0, 1, -2, -1 };
				setu(v, t, (uint64_t)edge[below(4)] & tmax(t));
			} else if (r < 60) {
				setu(v, t, below(21));
			} else {
				setu(v, t, rnd() & tmax(t));
			}
			break;
		case T_A4:
			if (r < 10)
				setu(v, t, chance(50) ? 0 : 0xffffffff);
			else
				setu(v, t, (base ^ (rnd() & ((1ULL << below(25)) - 1))) &
					   0xffffffff);
			break;
		case T_FLAGS: {
			uint32_t x = 0;

			for (unsigned n = 1 + below(3); n; n--)
				x |= flag_bits[below(NELEM(flag_bits))];
			setu(v, t, x);
			break;
		}
		case T_A6: {
			unsigned p = r < 50 ? 64 + below(65) : below(129);

			memset(v, 0, sizeof(*v));
			v->type = WFP_BYTE_ARRAY16;
			if (r < 8) {
				memset(v->a16, r < 4 ? 0 : 0xff, 16);
				break;
			}
			for (unsigned i = 0; i < 16; i++) {
				uint8_t keep = i * 8 + 8 <= p ? 0xff :
					       i * 8 >= p ? 0 : (uint8_t)(0xff << (8 - p % 8));

				v->a16[i] = (uint8_t)((b6[i] & keep) | (rnd() & ~keep));
			}
			break;
		}
		case T_BLOB:
			setstr(v, t, blobs[below(NELEM(blobs))]);
			break;
		case T_SID:
			setstr(v, t, sids[below(NELEM(sids))]);
			break;
		case T_TOKEN:
			memset(v, 0, sizeof(*v));
			v->type = chance(50) ? WFP_TOKEN_ACCESS_INFORMATION :
					       WFP_TOKEN_INFORMATION;
			v->token = &toks[below(NELEM(toks))];
			break;
		case T_BITMAP:
			setu(v, t, r < 20 ? rnd() : (1ULL << below(64)) | (1ULL << below(64)));
			break;
		case T_SKIP:
			memset(v, 0, sizeof(*v));
			break;
		}
	}
}

/* A value next to v: +-1 for integers and IPv6 addresses (wrapping), any
 * string for blobs. */
static void neighbour(struct wfp_value *v, enum ty t)
{
	bool up = chance(50);

	if (is_int(t)) {
		setu(v, t, (getu(v) + (up ? 1 : tmax(t))) & tmax(t));
	} else if (t == T_A6) {
		for (int i = 15; i >= 0; i--) {
			v->a16[i] = (uint8_t)(v->a16[i] + (up ? 1 : -1));
			if (v->a16[i] != (up ? 0 : 0xff))
				break;
		}
	} else if (t == T_BLOB) {
		setstr(v, t, blobs[below(NELEM(blobs))]);
	} else if (t == T_SID) {
		setstr(v, t, sids[below(NELEM(sids))]);
	} else if (t == T_TOKEN) {
		v->token = &toks[below(NELEM(toks))];
	} else if (t == T_BITMAP) {
		v->u64 ^= 1ULL << below(64);
	}
}

static void pick(struct wfp_value *v, const struct wfp_value u[K], enum ty t)
{
	*v = u[below(K)];
	if (chance(20))
		neighbour(v, t);
}

/* ------------------------------------------------------------------ */
/* Policies */

enum co_kind {
	CO_BLOCK_HARD,  /* BLOCK, clears the write right */
	CO_PERMIT,      /* PERMIT, leaves the right */
	CO_PERMIT_CAR,  /* PERMIT, clears the right if the filter says so */
	CO_CONTINUE,    /* CONTINUE */
	CO_BLOCK_SOFT,  /* BLOCK, leaves the right */
	CO_BLOCK_ABSORB, /* BLOCK + ABSORB, clears the right */
	CO_UNREG,       /* added but never registered */
	CO_N
};

static const char *const co_name[CO_N] = {
	"block-hard", "permit", "permit-car", "continue", "block-soft",
	"block-absorb", "unregistered",
};

struct rfilter {
	struct wfp_guid key;     /* zero: engine generates (read back) */
	uint8_t li;              /* index into lays[] */
	int8_t sl;               /* index into policy.sl, -1: default */
	uint8_t co;              /* enum co_kind, callout actions only */
	bool noncons;            /* one field repeated non-consecutively */
	uint32_t action;
	uint32_t flags;
	struct wfp_value wreq;   /* requested weight */
	uint64_t raw;
	unsigned ncond;
	struct wfp_filter_cond cond[MAXC];
	/* state and the engine's answers */
	bool drop;               /* not added (shrinker, spare) */
	bool live;               /* added and not deleted */
	uint64_t id;
	uint64_t eff;
	uint16_t slw;
};

struct rsub {
	struct wfp_guid key;
	uint16_t weight;
};

struct policy {
	unsigned nlay;
	uint8_t lay[NLAY];       /* indices into lays[] */
	bool reg_early;          /* register callouts before adding them */
	unsigned nsl;
	struct rsub sl[MAXSL];
	uint16_t default_w;      /* weight of the default sublayer */
	unsigned nf;
	struct rfilter f[MAXF];
	uint8_t hot[NLAY][4];    /* slots most conditions use */
	unsigned gen;            /* new whenever filters come or go; 0: never cache */
	struct wfp_value univ[NLAY][MAXSLOT][K];
};

static bool is_callout(uint32_t action)
{
	return action & WFP_ACTION_FLAG_CALLOUT;
}

static int vcmp(const struct wfp_value *a, const struct wfp_value *b);
static void cond_value_gen(struct wfp_cond_value *cv, unsigned match, enum ty t,
			   const struct wfp_value *u, bool mask);

static void cond_gen(struct wfp_filter_cond *c, const struct policy *p,
		     unsigned li, unsigned slot)
{
	static const uint16_t int_m[] = {
		WFP_MATCH_EQUAL, WFP_MATCH_GREATER, WFP_MATCH_LESS,
		WFP_MATCH_GREATER_OR_EQUAL, WFP_MATCH_LESS_OR_EQUAL, WFP_MATCH_RANGE,
		WFP_MATCH_FLAGS_ALL_SET, WFP_MATCH_FLAGS_ANY_SET,
		WFP_MATCH_FLAGS_NONE_SET, WFP_MATCH_NOT_EQUAL,
	};
	static const uint16_t a6_m[] = {
		WFP_MATCH_EQUAL, WFP_MATCH_GREATER, WFP_MATCH_LESS,
		WFP_MATCH_GREATER_OR_EQUAL, WFP_MATCH_LESS_OR_EQUAL, WFP_MATCH_RANGE,
		WFP_MATCH_NOT_EQUAL,
	};
	static const uint16_t blob_m[] = {
		WFP_MATCH_EQUAL, WFP_MATCH_GREATER, WFP_MATCH_LESS,
		WFP_MATCH_GREATER_OR_EQUAL, WFP_MATCH_LESS_OR_EQUAL, WFP_MATCH_RANGE,
		WFP_MATCH_NOT_EQUAL, WFP_MATCH_PREFIX, WFP_MATCH_NOT_PREFIX,
		WFP_MATCH_PREFIX, WFP_MATCH_EQUAL,
	};
	enum ty t = slot_ty(li, slot);
	const struct wfp_value *u = p->univ[li][slot];
	struct wfp_cond_value *cv = &c->value;
	bool mask = false;

	memset(c, 0, sizeof(*c));
	c->field = lays[li].fields[slot];
	if (chance(6)) { /* EMPTY condition: == holds for EMPTY input only */
		c->match = chance(70) ? WFP_MATCH_EQUAL : WFP_MATCH_NOT_EQUAL;
		cv->type = WFP_EMPTY;
		return;
	}
	if (t == T_TOKEN) { /* §5.8: an access check, == or != */
		c->match = chance(70) ? WFP_MATCH_EQUAL : WFP_MATCH_NOT_EQUAL;
		setstr(&cv->v, T_BLOB, sds[below(NELEM(sds))]);
		cv->v.type = cv->type = WFP_SECURITY_DESCRIPTOR;
		return;
	}
	if (t == T_BITMAP) { /* an index into the bitmap, or the bitmap */
		c->match = chance(70) ? WFP_MATCH_EQUAL : WFP_MATCH_NOT_EQUAL;
		if (chance(60)) {
			struct wfp_value b;
			unsigned i = below(64);

			pick(&b, u, t);
			for (unsigned k = 0; k < 64 && b.u64 && chance(80); k++)
				if (b.u64 >> (i = below(64)) & 1)
					break;
			memset(&cv->v, 0, sizeof(cv->v));
			cv->v.type = cv->type = WFP_BITMAP_INDEX;
			cv->v.u8 = (uint8_t)i;
		} else {
			pick(&cv->v, u, t);
			cv->type = cv->v.type;
		}
		return;
	}
	switch (t) {
	case T_A4:
	case T_A6:
		mask = chance(25);
		if (mask) { /* != on a mask: not in the subnet */
			c->match = chance(75) ? WFP_MATCH_EQUAL : WFP_MATCH_NOT_EQUAL;
			break;
		}
		/* fall through */
	default:
		if (t == T_FLAGS && chance(60))
			c->match = int_m[6 + below(3)];
		else if (is_int(t))
			c->match = int_m[below(NELEM(int_m))];
		else if (t == T_A6) /* sortable, but no flag tests */
			c->match = a6_m[below(NELEM(a6_m))];
		else if (t == T_BLOB)
			c->match = blob_m[below(NELEM(blob_m))];
		else /* SID: equality only */
			c->match = chance(50) ? WFP_MATCH_EQUAL : WFP_MATCH_NOT_EQUAL;
		break;
	}
	cond_value_gen(cv, c->match, t, u, mask);
}

/* The value of a condition whose match type is chosen (mask: an address
 * mask rather than an address). */
static void cond_value_gen(struct wfp_cond_value *cv, unsigned match, enum ty t,
			   const struct wfp_value *u, bool mask)
{
	if (mask && t == T_A4) {
		unsigned plen = below(33);
		uint32_t m = plen ? 0xffffffffU << (32 - plen) : 0;
		struct wfp_value a;

		pick(&a, u, t);
		cv->type = WFP_V4_ADDR_MASK;
		cv->v4.addr = chance(20) ? a.u32 : a.u32 & m; /* host bits ignored */
		cv->v4.mask = m;
	} else if (mask) {
		unsigned plen = chance(60) ? 48 + below(81) : below(129);
		bool host_bits = chance(20);
		struct wfp_value a;

		pick(&a, u, t);
		cv->type = WFP_V6_ADDR_MASK;
		memset(&cv->v6, 0, sizeof(cv->v6));
		for (unsigned i = 0; i < 16; i++) {
			uint8_t keep = i * 8 + 8 <= plen ? 0xff :
				       i * 8 >= plen ? 0 : (uint8_t)(0xff << (8 - plen % 8));

			cv->v6.addr[i] = host_bits ? a.a16[i] : a.a16[i] & keep;
		}
		cv->v6.prefix_len = (uint8_t)plen;
	} else if (match == WFP_MATCH_RANGE) {
		struct wfp_value lo, hi, tmp;

		pick(&lo, u, t);
		pick(&hi, u, t);
		if (vcmp(&lo, &hi) > 0) {
			tmp = lo;
			lo = hi;
			hi = tmp;
		}
		cv->type = WFP_RANGE;
		cv->range.low = lo;
		cv->range.high = hi;
	} else {
		pick(&cv->v, u, t);
		if (match >= WFP_MATCH_FLAGS_ALL_SET &&
		    match <= WFP_MATCH_FLAGS_NONE_SET && chance(50))
			setu(&cv->v, t, t == T_FLAGS ?
				flag_bits[below(NELEM(flag_bits))] :
				(1ULL << below(t == T_U8 ? 8 : t == T_U16 ? 16 :
						t == T_U64 ? 64 : 32)));
		cv->type = cv->v.type;
	}
}

/* Slots that can carry a condition at layer li. */
static unsigned usable_slot(unsigned li)
{
	unsigned s;

	do
		s = below(lays[li].nfields);
	while (slot_ty(li, s) == T_SKIP);
	return s;
}

/* Slots the decision tree indexes (classify_tree.c): addresses, ports,
 * protocol - integer fields most filters constrain. */
static unsigned indexed_slot(unsigned li)
{
	static const uint16_t f[] = {
		WFP_FIELD_IP_PROTOCOL, WFP_FIELD_IP_LOCAL_PORT, WFP_FIELD_IP_REMOTE_PORT,
		WFP_FIELD_IP_LOCAL_ADDRESS, WFP_FIELD_IP_REMOTE_ADDRESS,
	};

	return (unsigned)slot_of(li, f[below(NELEM(f))]);
}

static struct wfp_guid rand_guid(void)
{
	struct wfp_guid g;
	uint64_t a = rnd(), b = rnd();

	memcpy(g.b, &a, 8);
	memcpy(g.b + 8, &b, 8);
	g.b[6] = (uint8_t)((g.b[6] & 0x0f) | 0x40);
	return g;
}

static void filter_gen(struct rfilter *f, const struct policy *p)
{
	static const uint64_t w64[] = {
		0, 1, 2, 3, 7, 1ULL << 60, 5ULL << 60, UINT64_MAX - 1, UINT64_MAX,
	};
	unsigned li = p->lay[below(p->nlay)];
	unsigned r;

	memset(f, 0, sizeof(*f));
	f->li = (uint8_t)li;
	f->sl = (int8_t)(chance(15) || !p->nsl ? -1 : (int)below(p->nsl));
	f->key = chance(50) ? rand_guid() : (struct wfp_guid){ { 0 } };
	f->raw = rnd();

	r = below(100);
	if (r < 33) {
		f->action = WFP_ACTION_BLOCK;
	} else if (r < 66) {
		f->action = WFP_ACTION_PERMIT;
	} else {
		static const uint32_t ca[] = {
			WFP_ACTION_CALLOUT_TERMINATING, WFP_ACTION_CALLOUT_INSPECTION,
			WFP_ACTION_CALLOUT_UNKNOWN,
		};
		f->action = ca[below(3)];
		f->co = (uint8_t)below(CO_N);
		/* spec §4.3: only terminating/unknown callouts take the flag */
		if (f->action != WFP_ACTION_CALLOUT_INSPECTION && chance(35))
			f->flags |= WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED;
	}
	if (chance(30))
		f->flags |= WFP_FILTER_F_CLEAR_ACTION_RIGHT;
	if (chance(10)) /* a lookup hint (spec §6.5): never changes a verdict */
		f->flags |= WFP_FILTER_F_INDEXED;

	r = below(100);
	if (r < 30) {
		f->wreq.type = WFP_EMPTY;
	} else if (r < 60) {
		f->wreq.type = WFP_UINT8;
		f->wreq.u8 = (uint8_t)(chance(50) ? below(3) * 7 : below(16));
	} else {
		f->wreq.type = WFP_UINT64;
		f->wreq.u64 = chance(85) ? w64[below(NELEM(w64))] : rnd();
	}

	r = below(100);
	f->ncond = r < 10 ? 0 : r < 40 ? 1 : r < 70 ? 2 : r < 88 ? 3 : 4 + below(MAXC - 3);
	for (unsigned i = 0; i < f->ncond; i++) {
		unsigned slot;

		if (i && chance(25))
			slot = slot_of(li, f->cond[i - 1].field); /* an OR group */
		else if (chance(75))
			slot = p->hot[li][below(4)];
		else
			slot = usable_slot(li);
		cond_gen(&f->cond[i], p, li, slot);
	}
	/* Mostly keep one field's conditions together (the documented
	 * "consecutive" form, spec §5.4); sometimes leave them apart. */
	if (chance(85)) {
		for (unsigned i = 1; i < f->ncond; i++)
			for (unsigned j = i; j > 0 && f->cond[j - 1].field > f->cond[j].field; j--) {
				struct wfp_filter_cond t = f->cond[j];

				f->cond[j] = f->cond[j - 1];
				f->cond[j - 1] = t;
			}
	}
	for (unsigned i = 2; i < f->ncond; i++)
		for (unsigned j = 0; j + 1 < i; j++)
			if (f->cond[j].field == f->cond[i].field &&
			    f->cond[i - 1].field != f->cond[i].field)
				f->noncons = true;
}

static void policy_gen(struct policy *p, const uint16_t *taken, unsigned ntaken)
{
	memset(p, 0, sizeof(*p));
	p->nlay = 1 + below(3);
	for (unsigned i = 0; i < p->nlay; i++) {
		unsigned li;
		bool dup;

		do {
			li = below(NLAY);
			dup = false;
			for (unsigned j = 0; j < i; j++)
				dup |= p->lay[j] == li;
		} while (dup);
		p->lay[i] = (uint8_t)li;
	}
	for (unsigned li = 0; li < NLAY; li++) {
		for (unsigned s = 0; s < lays[li].nfields; s++)
			univ_gen(p->univ[li][s], slot_ty(li, s));
		for (unsigned h = 0; h < 4; h++)
			p->hot[li][h] = (uint8_t)(chance(60) ? indexed_slot(li) :
							       usable_slot(li));
	}
	p->reg_early = chance(50);

	/* own sublayers with distinct weights that no built-in one has */
	p->nsl = below(MAXSL + 1);
	for (unsigned i = 0; i < p->nsl; i++) {
		uint16_t w;
		bool clash;

		/* sometimes a taken weight on purpose: the engine moves it
		 * to the closest free one (docs/internals/arbitration.md) */
		bool collide = ntaken && chance(10);

		do {
			w = (uint16_t)(chance(50) ? below(16) * 0x1000 + below(3) : rnd());
			if (collide)
				w = i && chance(50) ? p->sl[below(i)].weight : taken[below(ntaken)];
			clash = false;
			for (unsigned j = 0; j < ntaken; j++)
				clash |= taken[j] == w;
			for (unsigned j = 0; j < i; j++)
				clash |= p->sl[j].weight == w;
		} while (clash && !collide);
		p->sl[i].key = rand_guid();
		p->sl[i].weight = w;
	}

	/* mostly small; some big enough for the decision tree at its
	 * default threshold (64 filters at one layer) */
	if (chance(8)) {
		p->nlay = 1;
		p->nf = 64 + below(MAXF - 63);
	} else {
		p->nf = 1 + below(chance(20) ? 40 : 16);
	}
	for (unsigned i = 0; i < p->nf; i++)
		filter_gen(&p->f[i], p);
}

/* ------------------------------------------------------------------ */
/* The naive reference: spec §5.3-5.5 for one condition and one filter. */

static int vcmp(const struct wfp_value *a, const struct wfp_value *b)
{
	uint64_t x, y;
	int r;

	switch (a->type) {
	case WFP_BYTE_ARRAY16:
		r = memcmp(a->a16, b->a16, 16);
		return (r > 0) - (r < 0);
	case WFP_BYTE_BLOB:
	case WFP_SID:
		/* lexicographic; a proper prefix sorts first (spec §5.3) */
		r = memcmp(a->blob.data, b->blob.data,
			   a->blob.size < b->blob.size ? a->blob.size : b->blob.size);
		if (r)
			return (r > 0) - (r < 0);
		return (a->blob.size > b->blob.size) - (a->blob.size < b->blob.size);
	default:
		x = getu(a);
		y = getu(b);
		return (x > y) - (x < y);
	}
}

static bool ends_with(const struct wfp_blob *v, const struct wfp_blob *c)
{
	return v->size >= c->size &&
	       !memcmp(v->data + v->size - c->size, c->data, c->size);
}

static bool ref_test(const struct wfp_filter_cond *c, const struct wfp_value *v)
{
	const struct wfp_cond_value *cv = &c->value;
	bool vempty = v->type == WFP_EMPTY;
	int r;

	/* spec §5.3 + §9: an EMPTY condition equals only an EMPTY value; an
	 * EMPTY value satisfies nothing but NOT_EQUAL. */
	if (cv->type == WFP_EMPTY)
		return c->match == WFP_MATCH_EQUAL ? vempty : !vempty;
	if (vempty)
		return c->match == WFP_MATCH_NOT_EQUAL;

	/* equality-only operands; != is the negation of == */
	if (cv->type == WFP_V4_ADDR_MASK || cv->type == WFP_V6_ADDR_MASK ||
	    cv->type == WFP_SECURITY_DESCRIPTOR || cv->type == WFP_BITMAP_INDEX) {
		bool eq = true;

		if (cv->type == WFP_V4_ADDR_MASK) {
			eq = (v->u32 & cv->v4.mask) == (cv->v4.addr & cv->v4.mask);
		} else if (cv->type == WFP_V6_ADDR_MASK) {
			for (unsigned bit = 0; bit < cv->v6.prefix_len; bit++) {
				unsigned m = 0x80 >> (bit % 8);

				if ((v->a16[bit / 8] & m) != (cv->v6.addr[bit / 8] & m))
					eq = false;
			}
		} else if (cv->type == WFP_BITMAP_INDEX) {
			eq = v->u64 >> cv->v.u8 & 1;
		} else {
			unsigned sd = 0, tok = (unsigned)(v->token - toks);

			while (strlen(sds[sd]) != cv->v.blob.size ||
			       memcmp(sds[sd], cv->v.blob.data, cv->v.blob.size))
				sd++;
			eq = granted[sd][tok];
		}
		return c->match == WFP_MATCH_NOT_EQUAL ? !eq : eq;
	}
	if (cv->type == WFP_RANGE)
		return vcmp(v, &cv->range.low) >= 0 && vcmp(v, &cv->range.high) <= 0;

	r = vcmp(v, &cv->v);
	switch (c->match) {
	case WFP_MATCH_EQUAL:
		return r == 0;
	case WFP_MATCH_GREATER:
		return r > 0;
	case WFP_MATCH_LESS:
		return r < 0;
	case WFP_MATCH_GREATER_OR_EQUAL:
		return r >= 0;
	case WFP_MATCH_LESS_OR_EQUAL:
		return r <= 0;
	case WFP_MATCH_NOT_EQUAL:
		return r != 0;
	case WFP_MATCH_FLAGS_ALL_SET:
		return (getu(v) & getu(&cv->v)) == getu(&cv->v);
	case WFP_MATCH_FLAGS_ANY_SET:
		return (getu(v) & getu(&cv->v)) != 0;
	case WFP_MATCH_FLAGS_NONE_SET:
		return (getu(v) & getu(&cv->v)) == 0;
	case WFP_MATCH_PREFIX: /* misnamed: a suffix test */
		return ends_with(&v->blob, &cv->v.blob);
	case WFP_MATCH_NOT_PREFIX:
		return !ends_with(&v->blob, &cv->v.blob);
	default:
		return false;
	}
}

struct input {
	uint8_t li;
	uint16_t nvalues;
	struct wfp_value v[MAXSLOT];
};

static const struct wfp_value empty_value;

static const struct wfp_value *in_value(const struct input *in, unsigned field)
{
	int slot = slot_of(in->li, field);

	if (slot < 0 || slot >= in->nvalues)
		return &empty_value;
	return &in->v[slot];
}

/* Spec §5.4/5.5: every condition on one field forms an OR group, wherever
 * it sits in the list; the groups are AND'ed; no condition = match. */
static bool ref_match(const struct rfilter *f, const struct input *in)
{
	for (unsigned i = 0; i < f->ncond; i++) {
		bool seen = false, ok = false;

		for (unsigned j = 0; j < i; j++)
			seen |= f->cond[j].field == f->cond[i].field;
		if (seen)
			continue;
		for (unsigned j = i; j < f->ncond && !ok; j++)
			if (f->cond[j].field == f->cond[i].field)
				ok = ref_test(&f->cond[j], in_value(in, f->cond[j].field));
		if (!ok)
			return false;
	}
	return true;
}

/* What a test callout does (the engine's callouts below do the same). */
static void co_apply(unsigned kind, uint32_t filter_flags, struct wfp_classify_out *o)
{
	switch (kind) {
	case CO_BLOCK_HARD:
		o->action = WFP_ACTION_BLOCK;
		o->rights &= ~WFP_RIGHT_ACTION_WRITE;
		o->flags = 0;
		break;
	case CO_PERMIT:
		o->action = WFP_ACTION_PERMIT;
		o->flags = 0;
		break;
	case CO_PERMIT_CAR:
		o->action = WFP_ACTION_PERMIT;
		if (filter_flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT)
			o->rights &= ~WFP_RIGHT_ACTION_WRITE;
		o->flags = 0;
		break;
	case CO_CONTINUE:
		o->action = WFP_ACTION_CONTINUE;
		o->flags = 0;
		break;
	case CO_BLOCK_SOFT:
		o->action = WFP_ACTION_BLOCK;
		o->flags = 0;
		break;
	case CO_BLOCK_ABSORB:
		o->action = WFP_ACTION_BLOCK;
		o->rights &= ~WFP_RIGHT_ACTION_WRITE;
		o->flags = WFP_CLASSIFY_OUT_F_ABSORB;
		break;
	}
}

/* A classification result, from the reference or from the engine. */
struct res {
	uint32_t action;  /* BLOCK, PERMIT or NONE */
	uint32_t rights;  /* WFP_RIGHT_ACTION_WRITE or 0 */
	uint32_t flags;   /* VETO and ABSORB only */
	uint64_t filter_id;
	uint16_t slw;
	unsigned ncall;
	uint64_t call_id[MAXCALL];
	uint32_t call_rights[MAXCALL];
	/* per sublayer, reference only (for explain) */
	unsigned nsub;
	struct {
		uint16_t w;
		uint64_t fid;
		uint32_t action;
		uint32_t rights_before, rights_after;
		unsigned ncallouts;
		bool hard, applied, veto;
	} sub[MAXSL + 2];
	/* coverage, reference only */
	unsigned nmatched;
	bool tie, veto, overridden, unreg, static_dec, callout_dec;
};

static int by_arbitration(const struct rfilter *a, const struct rfilter *b)
{
	if (a->slw != b->slw)
		return a->slw > b->slw ? -1 : 1;
	if (a->eff != b->eff)
		return a->eff > b->eff ? -1 : 1;
	/* spec §9: equal weights, ascending filter id */
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Live filters at layer li in arbitration order (insertion sort: naive). */
static unsigned ordered(const struct policy *p, unsigned li, const struct rfilter **o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->nf; i++) {
		const struct rfilter *f = &p->f[i];
		unsigned j;

		if (!f->live || f->li != li)
			continue;
		for (j = n; j > 0 && by_arbitration(o[j - 1], f) > 0; j--)
			o[j] = o[j - 1];
		o[j] = f;
		n++;
	}
	return n;
}

/*
 * What the reference and the input generator look up again and again,
 * computed once per policy generation: the arbitration order per layer
 * and the live conditions per (layer, slot).  Only a cache: with gen 0
 * (hand-made policies) it is rebuilt on every call.
 */
static unsigned gen_counter;
static struct {
	const struct policy *p;
	unsigned gen;
	unsigned n[NLAY];
	const struct rfilter *o[NLAY][MAXF];
	unsigned off[NLAY][MAXSLOT + 1];
	const struct wfp_filter_cond *c[MAXF * MAXC];
} idx;

static void policy_changed(struct policy *p)
{
	p->gen = ++gen_counter;
}

static void index_policy(const struct policy *p)
{
	unsigned n = 0;

	if (p->gen && idx.p == p && idx.gen == p->gen)
		return;
	idx.p = p;
	idx.gen = p->gen;
	memset(idx.off, 0, sizeof(idx.off));
	for (unsigned li = 0; li < NLAY; li++)
		idx.n[li] = ordered(p, li, idx.o[li]);
	/* counting sort of the conditions by (layer, slot) */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < p->nf; i++) {
			const struct rfilter *f = &p->f[i];

			for (unsigned j = 0; f->live && j < f->ncond; j++) {
				int s = slot_of(f->li, f->cond[j].field);

				if (s < 0 || f->cond[j].value.type == WFP_EMPTY)
					continue;
				if (pass == 0)
					idx.off[f->li][s + 1]++;
				else
					idx.c[idx.off[f->li][s]++] = &f->cond[j];
			}
		}
		/* pass 0: counts -> starts; pass 1: ends -> starts */
		for (unsigned li = 0; li < NLAY; li++) {
			if (pass == 0) {
				idx.off[li][0] = n;
				for (unsigned s = 0; s < MAXSLOT; s++)
					idx.off[li][s + 1] += idx.off[li][s];
				n = idx.off[li][MAXSLOT];
			} else {
				for (unsigned s = MAXSLOT; s > 0; s--)
					idx.off[li][s] = idx.off[li][s - 1];
				idx.off[li][0] = li ? idx.off[li - 1][MAXSLOT] : 0;
			}
		}
	}
}

/* A filter's verdict, spec §4.5 step 5 with §4.3 and §4.4. */
struct fverdict {
	uint32_t action;   /* BLOCK, PERMIT or CONTINUE */
	uint32_t flags;    /* ABSORB from a callout */
	bool hard, from_callout, unreg;
};

static void ref_verdict(const struct rfilter *f, struct res *r, unsigned sub,
			struct fverdict *fv)
{
	memset(fv, 0, sizeof(*fv));
	if (f->action == WFP_ACTION_BLOCK) {
		fv->action = WFP_ACTION_BLOCK;
		fv->hard = true;
	} else if (f->action == WFP_ACTION_PERMIT) {
		fv->action = WFP_ACTION_PERMIT;
		fv->hard = f->flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT;
	} else if (f->co == CO_UNREG) {
		/* §4.3: acts as a static BLOCK, or PERMIT with the flag; §9:
		 * an inspection callout continues */
		fv->unreg = true;
		if (f->action == WFP_ACTION_CALLOUT_INSPECTION)
			fv->action = WFP_ACTION_CONTINUE;
		else if (f->flags & WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED)
			fv->action = WFP_ACTION_PERMIT;
		else
			fv->action = WFP_ACTION_BLOCK;
		fv->hard = fv->action == WFP_ACTION_BLOCK ||
			   (f->flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT);
	} else {
		/* the callout sees the running result */
		struct wfp_classify_out o = { r->action, r->rights, 0 };

		if (r->ncall < MAXCALL) {
			r->call_id[r->ncall] = f->id;
			r->call_rights[r->ncall] = r->rights;
		}
		r->ncall++;
		r->sub[sub].ncallouts++;
		co_apply(f->co, f->flags, &o);
		fv->action = o.action;
		/* §4.3 coercion */
		if (f->action == WFP_ACTION_CALLOUT_INSPECTION)
			fv->action = WFP_ACTION_CONTINUE;
		else if (f->action == WFP_ACTION_CALLOUT_TERMINATING &&
			 fv->action != WFP_ACTION_BLOCK && fv->action != WFP_ACTION_PERMIT)
			fv->action = WFP_ACTION_BLOCK;
		fv->hard = !(o.rights & WFP_RIGHT_ACTION_WRITE);
		fv->flags = o.flags & WFP_CLASSIFY_OUT_F_ABSORB;
		fv->from_callout = true;
	}
}

/* Spec §4.5, step by step. */
static void ref_classify(const struct policy *p, const struct input *in, struct res *r)
{
	const struct rfilter *const *all, *m[MAXF];
	unsigned n;

	index_policy(p);
	all = idx.o[in->li];
	n = idx.n[in->li];

	memset(r, 0, sizeof(*r));
	r->action = WFP_ACTION_NONE;                         /* step 1 */
	r->rights = WFP_RIGHT_ACTION_WRITE;
	for (unsigned i = 0; i < n;) {                       /* step 2 */
		uint16_t w = all[i]->slw;
		unsigned nm = 0, sub = r->nsub++;

		r->sub[sub].w = w;
		r->sub[sub].action = WFP_ACTION_CONTINUE;
		r->sub[sub].rights_before = r->rights;
		for (; i < n && all[i]->slw == w; i++)       /* step 3 */
			if (ref_match(all[i], in))
				m[nm++] = all[i];
		r->nmatched += nm;
		for (unsigned k = 0; k < nm; k++) {          /* step 4 */
			const struct rfilter *f = m[k];
			struct fverdict fv;

			ref_verdict(f, r, sub, &fv);         /* step 5 */
			if (fv.action == WFP_ACTION_CONTINUE) /* step 6 */
				continue;
			/* step 7: this sublayer's decision */
			r->sub[sub].fid = f->id;
			r->sub[sub].action = fv.action;
			r->sub[sub].hard = fv.hard;
			if (k + 1 < nm && m[k + 1]->eff == f->eff)
				r->tie = true;
			/* step 9 */
			if (r->rights & WFP_RIGHT_ACTION_WRITE) {
				if (r->action != WFP_ACTION_NONE)
					r->overridden = true;
				r->action = fv.action;
				r->filter_id = f->id;
				r->slw = w;
				r->flags = fv.flags;
				if (fv.hard)
					r->rights &= ~WFP_RIGHT_ACTION_WRITE;
				r->unreg = fv.unreg;
				r->static_dec = !fv.from_callout;
				r->callout_dec = fv.from_callout;
				r->sub[sub].applied = true;
			} else if (r->action == WFP_ACTION_PERMIT &&
				   fv.action == WFP_ACTION_BLOCK && fv.from_callout) {
				r->action = WFP_ACTION_BLOCK; /* veto */
				r->filter_id = f->id;
				r->slw = w;
				r->flags = WFP_CLASSIFY_OUT_F_VETO;
				r->veto = true;
				r->sub[sub].veto = true;
				r->sub[sub].applied = true;
			}
			break;
		}
		r->sub[sub].rights_after = r->rights;
	}
	if (r->ncall > MAXCALL)
		r->ncall = MAXCALL;
}

/* ------------------------------------------------------------------ */
/* Printing, for failures and WFP_DIFF_VERBOSE. */

static const char *const match_sym[WFP_MATCH_MAX] = {
	"==", ">", "<", ">=", "<=", "in", "all-set", "any-set", "none-set",
	"==ci", "!=", "ends-with", "!ends-with",
};

static char *fmt_value(const struct wfp_value *v, char *buf, size_t len)
{
	switch (v->type) {
	case WFP_EMPTY:
		snprintf(buf, len, "EMPTY");
		break;
	case WFP_BYTE_ARRAY16: {
		size_t o = 0;

		for (unsigned i = 0; i < 16 && o < len; i += 2)
			o += (size_t)snprintf(buf + o, len - o, "%s%02x%02x",
					      i ? ":" : "", v->a16[i], v->a16[i + 1]);
		break;
	}
	case WFP_BYTE_BLOB:
	case WFP_SID:
	case WFP_SECURITY_DESCRIPTOR:
		snprintf(buf, len, "\"%.*s\"", (int)v->blob.size,
			 (const char *)v->blob.data);
		break;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION:
		snprintf(buf, len, "token uid %u, %u gids", v->token->uid, v->token->ngids);
		break;
	default:
		snprintf(buf, len, "%" PRIu64 "/0x%" PRIx64, getu(v), getu(v));
	}
	return buf;
}

static void print_cond(const struct wfp_filter_cond *c)
{
	const struct wfp_cond_value *cv = &c->value;
	const char *fname = wfp_field_name(c->field);
	char a[64], b[64];

	printf("#     %s %s ", fname ? fname : "?", match_sym[c->match % WFP_MATCH_MAX]);
	switch (cv->type) {
	case WFP_EMPTY:
		printf("EMPTY\n");
		break;
	case WFP_V4_ADDR_MASK:
		printf("0x%08x/0x%08x\n", cv->v4.addr, cv->v4.mask);
		break;
	case WFP_V6_ADDR_MASK: {
		struct wfp_value t = { .type = WFP_BYTE_ARRAY16 };

		memcpy(t.a16, cv->v6.addr, 16);
		printf("%s/%u\n", fmt_value(&t, a, sizeof(a)), cv->v6.prefix_len);
		break;
	}
	case WFP_RANGE:
		printf("[%s, %s]\n", fmt_value(&cv->range.low, a, sizeof(a)),
		       fmt_value(&cv->range.high, b, sizeof(b)));
		break;
	default:
		printf("%s\n", fmt_value(&cv->v, a, sizeof(a)));
	}
}

static void print_filter(const struct rfilter *f)
{
	char w[64];

	if (f->wreq.type == WFP_EMPTY)
		snprintf(w, sizeof(w), "auto");
	else if (f->wreq.type == WFP_UINT8)
		snprintf(w, sizeof(w), "range %u", f->wreq.u8);
	else
		snprintf(w, sizeof(w), "0x%" PRIx64, f->wreq.u64);
	printf("#   filter id %" PRIu64 " layer %s sublayer w=0x%04x weight %s "
	       "(eff 0x%016" PRIx64 ") flags 0x%x%s\n", f->id, wfp_layer_name(lays[f->li].id)
	       ? wfp_layer_name(lays[f->li].id) : "?", f->slw, w, f->eff, f->flags,
	       f->noncons ? " (non-consecutive OR)" : "");
	if (is_callout(f->action))
		printf("#     action %s callout %s\n",
		       f->action == WFP_ACTION_CALLOUT_TERMINATING ? "CALLOUT_TERMINATING" :
		       f->action == WFP_ACTION_CALLOUT_INSPECTION ? "CALLOUT_INSPECTION" :
		       "CALLOUT_UNKNOWN", co_name[f->co]);
	else
		printf("#     action %s\n", f->action == WFP_ACTION_BLOCK ? "BLOCK" : "PERMIT");
	for (unsigned i = 0; i < f->ncond; i++)
		print_cond(&f->cond[i]);
}

static void print_policy(const struct policy *p, int li)
{
	for (unsigned i = 0; i < p->nf; i++)
		if (p->f[i].live && (li < 0 || p->f[i].li == li))
			print_filter(&p->f[i]);
}

static void print_input(const struct input *in)
{
	char b[64];

	printf("#   input at %s, %u values:\n", wfp_layer_name(lays[in->li].id) ?
	       wfp_layer_name(lays[in->li].id) : "?", in->nvalues);
	for (unsigned s = 0; s < in->nvalues; s++) {
		const char *fname = wfp_field_name(lays[in->li].fields[s]);

		if (in->v[s].type != WFP_EMPTY)
			printf("#     [%u] %s = %s\n", s, fname ? fname : "?",
			       fmt_value(&in->v[s], b, sizeof(b)));
	}
}

static const char *act(uint32_t a)
{
	return a == WFP_ACTION_BLOCK ? "BLOCK" : a == WFP_ACTION_PERMIT ? "PERMIT" :
	       a == WFP_ACTION_NONE ? "NONE" : "?";
}

static void print_res(const char *who, const struct res *r)
{
	printf("#   %s: %s filter %" PRIu64 " sublayer w=0x%04x %s%s%s, callouts:",
	       who, act(r->action), r->filter_id, r->slw,
	       r->rights ? "soft" : "hard",
	       r->flags & WFP_CLASSIFY_OUT_F_VETO ? " veto" : "",
	       r->flags & WFP_CLASSIFY_OUT_F_ABSORB ? " absorb" : "");
	for (unsigned i = 0; i < r->ncall; i++)
		printf(" %" PRIu64 "%s", r->call_id[i], r->call_rights[i] ? "" : "(r-)");
	printf("\n");
}

/* ------------------------------------------------------------------ */
/* The engine side. */

struct world {
	struct wfp_engine *e;
	struct wfp_session *s;
};

static struct {
	unsigned n;
	uint64_t id[MAXCALL];
	uint32_t rights[MAXCALL];
} trace;

static const struct policy *cur_policy; /* for the callouts' own checks */
static unsigned bad_callout_view;       /* callouts saw wrong filter data */
static unsigned kinds[CO_N];

static void co_classify(void *ctx, const struct wfp_incoming *in,
			const struct wfp_callout_filter *filter,
			struct wfp_classify_out *out)
{
	unsigned kind = *(const unsigned *)ctx;

	if (trace.n < MAXCALL) {
		trace.id[trace.n] = filter->filter_id;
		trace.rights[trace.n] = out->rights & WFP_RIGHT_ACTION_WRITE;
	}
	trace.n++;
	/* what the callout sees of its filter must be what was added */
	if (cur_policy) {
		const struct rfilter *f = NULL;

		for (unsigned i = 0; i < cur_policy->nf && !f; i++)
			if (cur_policy->f[i].live && cur_policy->f[i].id == filter->filter_id)
				f = &cur_policy->f[i];
		if (!f || f->raw != filter->context || f->eff != filter->weight ||
		    f->slw != filter->sublayer_weight || f->action != filter->action_type ||
		    lays[f->li].id != in->layer ||
		    (filter->flags & (WFP_FILTER_F_CLEAR_ACTION_RIGHT |
				      WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED)) !=
		    (f->flags & (WFP_FILTER_F_CLEAR_ACTION_RIGHT |
				 WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED)))
			bad_callout_view++;
	}
	co_apply(kind, filter->flags, out);
}

static struct wfp_guid co_key(unsigned layer, unsigned kind)
{
	struct wfp_guid g = { { 0xd1, 0xff, 0xca, 0x11, 0, 0, 0x40, 0, 0x80,
				0, 0, 0, 0, 0, 0, 0 } };

	g.b[14] = (uint8_t)layer;
	g.b[15] = (uint8_t)kind;
	return g;
}

/* TAP bookkeeping */
static unsigned ntest, nfailed;

static void ok(bool good, const char *name)
{
	ntest++;
	if (!good)
		nfailed++;
	printf("%sok %u - %s\n", good ? "" : "not ", ntest, name);
	fflush(stdout);
}

static unsigned quiet; /* >0 while shrinking: no diagnostics */

#define diag(...) do { if (!quiet) { printf("# " __VA_ARGS__); printf("\n"); } } while (0)

static void reg_callouts(struct world *w, const struct policy *p)
{
	for (unsigned i = 0; i < p->nlay; i++)
		for (unsigned k = 0; k < CO_N; k++) {
			struct wfp_guid key = co_key(lays[p->lay[i]].id, k);
			struct wfp_callout_ops ops = { .sz = sizeof(ops),
						       .classify = co_classify };
			int err;

			if (k == CO_UNREG)
				continue;
			err = wfp_callout_register(w->e, &key, &ops, &kinds[k]);
			if (err)
				diag("wfp_callout_register: %s", wfp_strerror_name(err));
		}
}

static void world_close(struct world *w)
{
	wfp_session_close(w->s);
	wfp_engine_close(w->e);
	w->s = NULL;
	w->e = NULL;
}

/* Counters of add-time outcomes, for the TAP tests that judge them. */
static unsigned n_rejected, n_rejected_noncons, n_bad_weight, n_setup_err;

static int add_filter_in(struct wfp_session *s, const struct policy *p, struct rfilter *f)
{
	struct wfp_filter wf;
	int err;

	memset(&wf, 0, sizeof(wf));
	wf.key = f->key;
	wf.display.name = "diff";
	wf.flags = f->flags;
	wf.layer = (uint16_t)lays[f->li].id;
	if (f->sl >= 0)
		wf.sublayer_key = p->sl[f->sl].key;
	wf.weight = f->wreq;
	wf.ncond = f->ncond;
	wf.cond = f->cond;
	wf.action.type = f->action;
	if (is_callout(f->action))
		wf.action.key = co_key(lays[f->li].id, f->co);
	wf.raw_context = f->raw;
	err = wfp_filter_add(s, &wf, &f->id);
	if (err && f->noncons && err == -WFP_E_DUPLICATE_CONDITION) {
		n_rejected_noncons++; /* a documented choice of spec §9 */
	} else if (err) {
		if (n_rejected++ < 5 && !quiet) {
			printf("# engine rejected a filter: %s\n", wfp_strerror_name(err));
			print_filter(f);
		}
	}
	f->live = !err;
	return err;
}

static int add_filter(struct world *w, const struct policy *p, struct rfilter *f)
{
	return add_filter_in(w->s, p, f);
}

/* Reads back what the engine chose: ids were returned by add; keys and
 * effective weights come from get, sublayer weights from the sublayers. */
static int read_back(struct world *w, struct policy *p)
{
	const struct wfp_builtin_sublayer *u = wfp_builtin_sublayer_by_name("UNIVERSAL");
	struct wfp_sublayer *sl;
	int err;

	if (!u)
		return -1;
	err = wfp_sublayer_get(w->s, &u->key, &sl);
	if (err)
		return err;
	p->default_w = sl->weight;
	wfp_sublayer_free(sl);
	for (unsigned i = 0; i < p->nsl; i++) {
		err = wfp_sublayer_get(w->s, &p->sl[i].key, &sl);
		if (err)
			return err;
		p->sl[i].weight = sl->weight;
		wfp_sublayer_free(sl);
	}
	/* spec §9: sublayer weights are unique (a taken one is moved) */
	for (unsigned i = 0; i < p->nsl; i++)
		for (unsigned j = 0; j < p->nsl; j++)
			if ((j != i && p->sl[j].weight == p->sl[i].weight) ||
			    p->sl[i].weight == p->default_w)
				return -WFP_E_ALREADY_EXISTS;
	for (unsigned i = 0; i < p->nf; i++) {
		struct rfilter *f = &p->f[i];
		struct wfp_filter *g;
		bool good;

		if (!f->live)
			continue;
		err = wfp_filter_get_by_id(w->s, f->id, &g);
		if (err)
			return err;
		f->eff = g->effective_weight;
		f->key = g->key;
		wfp_filter_free(g);
		f->slw = f->sl < 0 ? p->default_w : p->sl[f->sl].weight;
		/* spec §4.2: the three weight encodings */
		if (f->wreq.type == WFP_UINT64)
			good = f->eff == f->wreq.u64;
		else if (f->wreq.type == WFP_UINT8)
			good = f->eff >> 60 == f->wreq.u8;
		else
			good = f->eff < (1ULL << 60);
		if (!good && n_bad_weight++ < 5 && !quiet) {
			printf("# effective weight 0x%016" PRIx64 " breaks its encoding\n",
			       f->eff);
			print_filter(f);
		}
	}
	return 0;
}

static int world_build(struct world *w, struct policy *p, bool txn)
{
	struct wfp_engine_opts eo = { .sz = sizeof(eo) };
	int err = 0;

	w->e = wfp_engine_open(&eo);
	if (!w->e)
		return -1;
	w->s = wfp_session_open(w->e, NULL);
	if (!w->s)
		return -1;
	if (p->reg_early)
		reg_callouts(w, p);
	if (txn && (err = wfp_txn_begin(w->s, 0)))
		goto out;
	for (unsigned i = 0; i < p->nsl; i++) {
		struct wfp_sublayer sl = {
			.key = p->sl[i].key, .display = { "diff", NULL },
			.weight = p->sl[i].weight,
		};
		if ((err = wfp_sublayer_add(w->s, &sl)))
			goto out;
	}
	for (unsigned i = 0; i < p->nlay; i++)
		for (unsigned k = 0; k < CO_N; k++) {
			struct wfp_callout c = {
				.key = co_key(lays[p->lay[i]].id, k),
				.display = { co_name[k], NULL },
				.applicable_layer = (uint16_t)lays[p->lay[i]].id,
			};
			if ((err = wfp_callout_add(w->s, &c, NULL)))
				goto out;
		}
	for (unsigned i = 0; i < p->nf; i++) {
		p->f[i].live = false;
		if (!p->f[i].drop)
			add_filter(w, p, &p->f[i]);
	}
	if (txn && (err = wfp_txn_commit(w->s)))
		goto out;
	if (!p->reg_early)
		reg_callouts(w, p);
	err = read_back(w, p);
out:
	policy_changed(p);
	if (err && !quiet)
		diag("policy setup failed: %s", wfp_strerror_name(err));
	return err;
}

static void normalise(struct res *r, const struct wfp_verdict *v)
{
	memset(r, 0, sizeof(*r));
	r->action = v->action == WFP_ACTION_NONE_NO_MATCH ? WFP_ACTION_NONE : v->action;
	r->rights = v->rights & WFP_RIGHT_ACTION_WRITE;
	r->flags = v->flags & (WFP_CLASSIFY_OUT_F_VETO | WFP_CLASSIFY_OUT_F_ABSORB);
	r->filter_id = v->filter_id;
	r->slw = v->sublayer_weight;
	r->ncall = trace.n < MAXCALL ? trace.n : MAXCALL;
	memcpy(r->call_id, trace.id, sizeof(trace.id));
	memcpy(r->call_rights, trace.rights, sizeof(trace.rights));
}

static int engine_classify(struct world *w, const struct input *in, struct res *r,
			   struct wfp_explain *ex)
{
	struct wfp_incoming inc = {
		.layer = (uint16_t)lays[in->li].id,
		.nvalues = in->nvalues,
		.values = in->v,
	};
	struct wfp_verdict v;
	int err;

	memset(&v, 0, sizeof(v));
	trace.n = 0;
	err = wfp_classify(w->e, &inc, &v, ex);
	normalise(r, &v);
	return err;
}

/* Does the engine's result equal the reference's?  Writes why not. */
static bool same(const struct res *e, const struct res *r, char *why, size_t len)
{
	const char *m = NULL;

	if (e->action != r->action)
		m = "action";
	else if (e->filter_id != r->filter_id)
		m = "deciding filter";
	else if (e->rights != r->rights)
		m = "rights (hard/soft)";
	else if (e->filter_id && e->slw != r->slw)
		m = "sublayer weight";
	else if ((e->flags ^ r->flags) & WFP_CLASSIFY_OUT_F_VETO)
		m = "veto flag";
	else if (!(r->flags & WFP_CLASSIFY_OUT_F_VETO) &&
		 ((e->flags ^ r->flags) & WFP_CLASSIFY_OUT_F_ABSORB))
		m = "absorb flag";
	else if (e->ncall != r->ncall ||
		 memcmp(e->call_id, r->call_id, r->ncall * sizeof(r->call_id[0])))
		m = "callouts invoked";
	else if (memcmp(e->call_rights, r->call_rights,
			r->ncall * sizeof(r->call_rights[0])))
		m = "rights the callouts saw";
	if (m && why)
		snprintf(why, len, "%s differs", m);
	return !m;
}

/* Explain must not change the verdict and must agree, sublayer by
 * sublayer, with the reference's sublayer decisions. */
static bool explain_agrees(const struct wfp_explain *ex, const struct res *r,
			   char *why, size_t len)
{
	/* every sublayer with filters at the layer is visited (§4.5 step 2) */
	if (ex->nsublayers + ex->truncated != r->nsub) {
		snprintf(why, len, "explain lists %u sublayers, reference visits %u",
			 ex->nsublayers + ex->truncated, r->nsub);
		return false;
	}
	for (unsigned i = 0; i < ex->nsublayers && i < WFP_EXPLAIN_MAX_SUBLAYERS; i++) {
		const struct wfp_explain_sublayer *s = &ex->sub[i];
		const struct wfp_explain_sublayer *prev = i ? &ex->sub[i - 1] : NULL;

		if (prev && prev->weight <= s->weight) {
			snprintf(why, len, "explain: sublayers not in descending weight");
			return false;
		}
		unsigned j;

		for (j = 0; j < r->nsub && r->sub[j].w != s->weight; j++)
			;
		if (j == r->nsub) {
			snprintf(why, len, "explain names sublayer w=0x%04x without filters",
				 s->weight);
			return false;
		}
		if (s->filter_id != r->sub[j].fid) {
			snprintf(why, len, "explain: sublayer w=0x%04x decided by %" PRIu64
				 ", reference %" PRIu64, s->weight, s->filter_id, r->sub[j].fid);
			return false;
		}
		if (r->sub[j].fid && s->action != r->sub[j].action) {
			snprintf(why, len, "explain: sublayer w=0x%04x action %s, reference %s",
				 s->weight, act(s->action), act(r->sub[j].action));
			return false;
		}
		if (!!s->veto != r->sub[j].veto || !!s->applied != r->sub[j].applied ||
		    (r->sub[j].fid && !!s->hard != r->sub[j].hard) ||
		    s->ncallouts != r->sub[j].ncallouts ||
		    (s->rights_before & WFP_RIGHT_ACTION_WRITE) != r->sub[j].rights_before ||
		    (s->rights_after & WFP_RIGHT_ACTION_WRITE) != r->sub[j].rights_after) {
			snprintf(why, len, "explain: sublayer w=0x%04x veto/applied/hard/"
				 "callouts/rights %u/%u/%u/%u/%x>%x, reference "
				 "%u/%u/%u/%u/%x>%x", s->weight, s->veto, s->applied,
				 s->hard, s->ncallouts, s->rights_before, s->rights_after,
				 r->sub[j].veto, r->sub[j].applied, r->sub[j].hard,
				 r->sub[j].ncallouts, r->sub[j].rights_before,
				 r->sub[j].rights_after);
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Inputs */

/* Flips bit 'bit' (0 = most significant) of a 32-bit or 16-byte address. */
static void flip_a4(struct wfp_value *v, unsigned bit)
{
	if (bit < 32)
		v->u32 ^= 0x80000000U >> bit;
}

static void flip_a6(struct wfp_value *v, unsigned bit)
{
	if (bit < 128)
		v->a16[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* A value taken from one of the policy's own conditions on this slot, on
 * its boundary: the value itself or next to it, a range end, an address
 * inside a mask with the last network bit or the first host bit flipped.
 * Returns false if no live filter has a condition there. */
static bool from_conditions(const struct policy *p, unsigned li, unsigned slot,
			    struct wfp_value *v)
{
	enum ty t = slot_ty(li, slot);
	const struct wfp_cond_value *cv;
	unsigned n;

	index_policy(p);
	n = idx.off[li][slot + 1] - idx.off[li][slot];
	if (!n || t == T_TOKEN)
		return false;
	cv = &idx.c[idx.off[li][slot] + below(n)]->value;
	memset(v, 0, sizeof(*v));
	if (cv->type == WFP_BITMAP_INDEX) {
		setu(v, t, chance(50) ? 1ULL << cv->v.u8 : rnd() & ~(1ULL << cv->v.u8));
	} else if (cv->type == WFP_V4_ADDR_MASK) {
		unsigned plen = (unsigned)__builtin_popcount(cv->v4.mask);

		setu(v, t, cv->v4.addr | (rnd() & ~cv->v4.mask));
		if (chance(50))
			flip_a4(v, chance(50) ? plen : plen - 1);
	} else if (cv->type == WFP_V6_ADDR_MASK) {
		unsigned plen = cv->v6.prefix_len;

		v->type = WFP_BYTE_ARRAY16;
		for (unsigned i = 0; i < 16; i++)
			v->a16[i] = (uint8_t)rnd();
		for (unsigned bit = 0; bit < plen; bit++) {
			uint8_t m = (uint8_t)(0x80 >> (bit % 8));

			v->a16[bit / 8] = (uint8_t)((v->a16[bit / 8] & ~m) |
						    (cv->v6.addr[bit / 8] & m));
		}
		if (chance(50))
			flip_a6(v, chance(50) ? plen : plen - 1);
	} else {
		*v = cv->type == WFP_RANGE ? (chance(50) ? cv->range.low : cv->range.high) :
					     cv->v;
		if (chance(40))
			neighbour(v, t);
	}
	return true;
}

static void input_gen(const struct policy *p, struct input *in, bool any_layer)
{
	unsigned li = any_layer ? below(NLAY) : p->lay[below(p->nlay)];

	memset(in, 0, sizeof(*in));
	in->li = (uint8_t)li;
	in->nvalues = (uint16_t)lays[li].nfields;
	if (chance(8))
		in->nvalues = (uint16_t)below(lays[li].nfields); /* rest is EMPTY */
	for (unsigned s = 0; s < lays[li].nfields; s++) {
		enum ty t = slot_ty(li, s);
		struct wfp_value *v = &in->v[s];
		unsigned r = below(100);

		if (t == T_SKIP || r < 6)
			continue; /* EMPTY */
		if (r < 30 && from_conditions(p, li, s, v))
			continue;
		if (r < 80) {
			pick(v, p->univ[li][s], t);
		} else if (t == T_A6) {
			v->type = WFP_BYTE_ARRAY16;
			for (unsigned i = 0; i < 16; i++)
				v->a16[i] = (uint8_t)rnd();
		} else if (t == T_FLAGS) {
			setu(v, t, rnd() & rnd());
		} else if (is_int(t)) {
			setu(v, t, rnd() & tmax(t));
		} else {
			pick(v, p->univ[li][s], t);
			neighbour(v, t);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Shrinking a mismatch to a small case. */

static bool still_fails(struct policy *p, const struct input *in)
{
	struct world w = { 0 };
	struct res e, r;
	bool bad = false;

	quiet++;
	if (!world_build(&w, p, false)) {
		cur_policy = p;
		ref_classify(p, in, &r);
		engine_classify(&w, in, &e, NULL);
		bad = !same(&e, &r, NULL, 0);
	}
	world_close(&w);
	quiet--;
	return bad;
}

static void shrink(const struct policy *p0, const struct input *in)
{
	struct policy *p = malloc(sizeof(*p));
	struct world w = { 0 };
	struct res e, r;
	char why[256] = "";

	if (!p)
		return;
	*p = *p0;
	for (unsigned i = 0; i < p->nf; i++)
		p->f[i].drop = !(p->f[i].live && p->f[i].li == in->li);
	if (!still_fails(p, in)) {
		diag("the mismatch does not reproduce on a fresh engine built from "
		     "the live filters (order of adds/deletes matters?)");
		goto out;
	}
	for (unsigned i = 0; i < p->nf; i++) {
		if (p->f[i].drop)
			continue;
		p->f[i].drop = true;
		if (!still_fails(p, in))
			p->f[i].drop = false;
	}
	for (unsigned i = 0; i < p->nf; i++) {
		struct rfilter *f = &p->f[i];

		for (unsigned j = f->ncond; !f->drop && j-- > 0;) {
			struct rfilter save = *f;

			memmove(&f->cond[j], &f->cond[j + 1],
				(f->ncond - j - 1) * sizeof(f->cond[0]));
			f->ncond--;
			if (!still_fails(p, in))
				*f = save;
		}
	}
	/* show the minimal case as built on a fresh engine */
	quiet++;
	world_build(&w, p, false);
	quiet--;
	cur_policy = p;
	ref_classify(p, in, &r);
	engine_classify(&w, in, &e, NULL);
	same(&e, &r, why, sizeof(why));
	printf("# minimal case (%s):\n", why);
	print_policy(p, in->li);
	print_input(in);
	print_res("engine   ", &e);
	print_res("reference", &r);
	world_close(&w);
out:
	free(p);
}

/* ------------------------------------------------------------------ */
/* The run */

static struct {
	unsigned long cases, matched, none, block, permit, hard, veto, absorb, tie,
		overridden, unreg, static_dec, callout_dec, calls, explained,
		deleted, aborted_checks, tree_policies;
} cov;

static unsigned long mismatches[4], bad_explain, bad_enum, bad_abort, bad_err;
static bool shrunk;
static uint64_t seed;

static void check_case(struct world *w, struct policy *p, const struct input *in,
		       unsigned phase)
{
	struct wfp_explain ex;
	bool explain = chance(25);
	struct res e, r;
	char why[256];
	int err;

	cur_policy = p;
	ref_classify(p, in, &r);
	err = engine_classify(w, in, &e, NULL);
	if (err && bad_err++ < 3)
		diag("wfp_classify: %s", wfp_strerror_name(err));

	cov.cases++;
	cov.matched += r.nmatched > 0;
	cov.none += r.action == WFP_ACTION_NONE;
	cov.block += r.action == WFP_ACTION_BLOCK;
	cov.permit += r.action == WFP_ACTION_PERMIT;
	cov.hard += r.action != WFP_ACTION_NONE && !r.rights;
	cov.veto += r.veto;
	cov.absorb += !!(r.flags & WFP_CLASSIFY_OUT_F_ABSORB);
	cov.tie += r.tie;
	cov.overridden += r.overridden;
	cov.unreg += r.unreg;
	cov.static_dec += r.static_dec;
	cov.callout_dec += r.callout_dec;
	cov.calls += r.ncall;

	if (!same(&e, &r, why, sizeof(why))) {
		if (mismatches[0] + mismatches[1] + mismatches[2] + mismatches[3] < 3) {
			printf("# MISMATCH (%s) seed %" PRIu64 ", phase %u\n", why, seed,
			       phase);
			print_policy(p, in->li);
			print_input(in);
			print_res("engine   ", &e);
			print_res("reference", &r);
		}
		mismatches[phase]++;
		if (!shrunk) {
			shrunk = true;
			shrink(p, in);
		}
		return;
	}
	if (!explain)
		return;
	cov.explained++;
	memset(&ex, 0, sizeof(ex));
	cur_policy = p;
	engine_classify(w, in, &e, &ex);
	if (!same(&e, &r, why, sizeof(why)) ||
	    !explain_agrees(&ex, &r, why, sizeof(why))) {
		if (bad_explain++ < 3) {
			printf("# explain: %s (seed %" PRIu64 ")\n", why, seed);
			print_policy(p, in->li);
			print_input(in);
		}
	}
}

/* The most filters the policy has at one layer. */
static unsigned ordered_max(const struct policy *p)
{
	unsigned n[NLAY] = { 0 }, max = 0;

	for (unsigned i = 0; i < p->nf; i++)
		if (++n[p->f[i].li] > max)
			max = n[p->f[i].li];
	return max;
}

/* Enumeration returns the arbitration order (wfp_mgmt.h). */
static void check_enum(struct world *w, const struct policy *p)
{
	for (unsigned i = 0; i < p->nlay; i++) {
		const struct rfilter *o[MAXF];
		struct wfp_filter_enum_template t = {
			.flags = WFP_ENUM_F_LAYER, .layer = (uint16_t)lays[p->lay[i]].id,
		};
		struct wfp_filter **a = NULL;
		size_t n = 0;
		unsigned want = ordered(p, p->lay[i], o);
		bool good;
		int err;

		err = wfp_filter_enum(w->s, &t, &a, &n);
		good = !err && n == want;
		for (size_t k = 0; good && k < n; k++)
			good = a[k]->filter_id == o[k]->id;
		if (!good && bad_enum++ < 3) {
			diag("enum at %s: %s, %zu filters, want %u (seed %" PRIu64 ")",
			     wfp_layer_name(lays[p->lay[i]].id), wfp_strerror_name(err),
			     n, want, seed);
			for (size_t k = 0; !err && k < n; k++)
				diag("  got %" PRIu64 " want %" PRIu64, a[k]->filter_id,
				     k < want ? o[k]->id : 0);
		}
		if (!err)
			wfp_filter_array_free(a, n);
	}
}

/* Deletes about a third of the filters in one transaction. */
static void delete_some(struct world *w, struct policy *p)
{
	int err = wfp_txn_begin(w->s, 0);

	if (err) {
		n_setup_err++;
		diag("wfp_txn_begin: %s", wfp_strerror_name(err));
		return;
	}
	for (unsigned i = 0; i < p->nf; i++) {
		struct rfilter *f = &p->f[i];

		if (!f->live || !chance(35))
			continue;
		err = chance(70) ? wfp_filter_delete_by_id(w->s, f->id) :
				   wfp_filter_delete_by_key(w->s, &f->key);
		if (err) {
			n_setup_err++;
			diag("delete %" PRIu64 ": %s", f->id, wfp_strerror_name(err));
			continue;
		}
		f->live = false;
		cov.deleted++;
	}
	err = wfp_txn_commit(w->s);
	if (err) {
		n_setup_err++;
		diag("wfp_txn_commit: %s", wfp_strerror_name(err));
	}
	policy_changed(p);
}

/* Deletes and adds in a transaction that is then aborted: nothing may
 * change, and the aborted filter must not exist. */
static void abort_some(struct world *w, struct policy *p)
{
	struct rfilter spare;
	bool good = true;
	int err;

	if ((err = wfp_txn_begin(w->s, 0))) {
		n_setup_err++;
		return;
	}
	for (unsigned i = 0; i < p->nf; i++)
		if (p->f[i].live && chance(50))
			wfp_filter_delete_by_id(w->s, p->f[i].id);
	filter_gen(&spare, p);
	err = add_filter(w, p, &spare);
	wfp_txn_abort(w->s);
	if (!err) {
		struct wfp_filter *g;

		err = wfp_filter_get_by_id(w->s, spare.id, &g);
		if (!err) {
			wfp_filter_free(g);
			good = false;
		}
	}
	if (!good && bad_abort++ < 3)
		diag("a filter added in an aborted transaction exists (seed %" PRIu64 ")",
		     seed);
}

/*
 * A dynamic session adds a few filters (spec §6.2: they live as long as
 * the session): classify with them, close the session, classify without
 * them.  Closing must delete them and publish the layers again.
 */
static unsigned long bad_dynamic;

static void dynamic_session(struct world *w, struct policy *p, unsigned long nin)
{
	struct wfp_session_opts so = {
		.sz = sizeof(so), .display = { "dynamic", NULL },
		.flags = WFP_SESSION_F_DYNAMIC,
	};
	struct wfp_session *ds = wfp_session_open(w->e, &so);
	unsigned first = p->nf, n = 1 + below(4);
	struct input in;

	if (!ds) {
		bad_dynamic++;
		return;
	}
	for (unsigned i = 0; i < n && p->nf < MAXF; i++) {
		struct rfilter *f = &p->f[p->nf++];
		struct wfp_filter *g;

		filter_gen(f, p);
		if (add_filter_in(ds, p, f))
			continue;
		f->live = true;
		if (wfp_filter_get_by_id(ds, f->id, &g)) {
			bad_dynamic++;
			continue;
		}
		f->eff = g->effective_weight;
		f->key = g->key;
		wfp_filter_free(g);
		f->slw = f->sl < 0 ? p->default_w : p->sl[f->sl].weight;
	}
	policy_changed(p);
	for (unsigned long k = 0; k < nin / 4; k++) {
		input_gen(p, &in, false);
		check_case(w, p, &in, 3);
	}
	wfp_session_close(ds);
	for (unsigned i = first; i < p->nf; i++)
		p->f[i].live = false;
	policy_changed(p);
	check_enum(w, p);
	for (unsigned long k = 0; k < nin / 4; k++) {
		input_gen(p, &in, false);
		check_case(w, p, &in, 3);
	}
}

/* One policy: classify, delete a third in a transaction, classify again,
 * abort a transaction, classify again, with and without a dynamic
 * session's filters; the enumeration after each step. */
static void run_policy(struct policy *p, unsigned long nin, bool verbose)
{
	struct world w = { 0 };
	struct input in;

	if (world_build(&w, p, chance(50))) {
		n_setup_err++;
		world_close(&w);
		return;
	}
	if (verbose)
		print_policy(p, -1);
	check_enum(&w, p);
	for (unsigned long k = 0; k < nin; k++) {
		input_gen(p, &in, chance(3));
		check_case(&w, p, &in, 0);
	}
	delete_some(&w, p);
	check_enum(&w, p);
	for (unsigned long k = 0; k < nin / 2; k++) {
		input_gen(p, &in, false);
		check_case(&w, p, &in, 1);
	}
	abort_some(&w, p);
	check_enum(&w, p);
	for (unsigned long k = 0; k < 8; k++) {
		input_gen(p, &in, false);
		check_case(&w, p, &in, 2);
		cov.aborted_checks++;
	}
	dynamic_session(&w, p, nin);
	world_close(&w);
}

static bool layer_table_agrees(void)
{
	bool good = true;

	for (unsigned li = 0; li < NLAY; li++) {
		const struct lay *l = &lays[li];

		for (unsigned s = 0; s < l->nfields; s++) {
			enum ty t = slot_ty(li, s);

			if (t == T_SKIP)
				continue;
			if (wfp_layer_field(l->id, s) != l->fields[s]) {
				diag("%s slot %u: table has field %d, spec §1.3 %u",
				     wfp_layer_name(l->id), s, wfp_layer_field(l->id, s),
				     l->fields[s]);
				good = false;
			} else if (wfp_field_type(l->fields[s], l->id) != wtype(t) &&
				   !(t == T_TOKEN && wfp_field_type(l->fields[s], l->id) ==
				     WFP_TOKEN_INFORMATION)) {
				diag("%s %s: table type %d, spec §1.4 %u",
				     wfp_layer_name(l->id), wfp_field_name(l->fields[s]),
				     wfp_field_type(l->fields[s], l->id), wtype(t));
				good = false;
			}
		}
	}
	return good;
}

/* ------------------------------------------------------------------ */
/* The reference checked against the rows the spec itself spells out
 * (§4.6 variation table, §10 items 4-10), so that it is not merely
 * consistent with itself. */

static struct rfilter *hand(struct policy *p, int sl, uint32_t action, unsigned co,
			    uint32_t flags, uint64_t w)
{
	struct rfilter *f = &p->f[p->nf++];

	memset(f, 0, sizeof(*f));
	f->li = 3; /* INBOUND_TRANSPORT_V4 */
	f->sl = (int8_t)sl;
	f->action = action;
	f->co = (uint8_t)co;
	f->flags = flags;
	f->live = true;
	f->id = p->nf;
	f->eff = w;
	f->slw = p->sl[sl].weight;
	return f;
}

static void hand_cond(struct rfilter *f, unsigned field, unsigned match, enum ty t,
		      uint64_t x)
{
	struct wfp_filter_cond *c = &f->cond[f->ncond++];

	memset(c, 0, sizeof(*c));
	c->field = (uint16_t)field;
	c->match = (uint16_t)match;
	setu(&c->value.v, t, x);
	c->value.type = c->value.v.type;
}

static void hand_policy(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->nsl = 2;
	p->sl[0].weight = 0x9000; /* A, evaluated first */
	p->sl[1].weight = 0x8000; /* B */
}

static void hand_input(struct input *in, uint8_t proto, uint16_t port, uint32_t raddr)
{
	memset(in, 0, sizeof(*in));
	in->li = 3;
	in->nvalues = (uint16_t)lays[3].nfields;
	setu(&in->v[0], T_U8, proto);
	setu(&in->v[2], T_A4, raddr);
	setu(&in->v[4], T_U16, port);
}

#define EXPECT(cond) do { if (!(cond)) { diag("reference self-test: %s (line %d)", \
						  #cond, __LINE__); good = false; } } while (0)

/* §4.6's variation table and §10 items 4-7 on two sublayers. */
static bool selftest_arbitration(void)
{
	static struct policy p;
	struct rfilter *a;
	struct input in;
	struct res r;
	bool good = true;

	hand_input(&in, 6, 80, 0x0a010203);

	/* hard permit beats a static block below it */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_PERMIT, 0, WFP_FILTER_F_CLEAR_ACTION_RIGHT, 5);
	hand(&p, 1, WFP_ACTION_BLOCK, 0, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.filter_id == 1 && !r.rights);

	/* hard permit, callout block below: veto */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_PERMIT, 0, WFP_FILTER_F_CLEAR_ACTION_RIGHT, 5);
	hand(&p, 1, WFP_ACTION_CALLOUT_TERMINATING, CO_BLOCK_HARD, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.filter_id == 2 && r.veto &&
	       r.ncall == 1 && r.call_rights[0] == 0);

	/* soft block (callout leaves the right), static permit below: permit */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_CALLOUT_UNKNOWN, CO_BLOCK_SOFT, 0, 5);
	hand(&p, 1, WFP_ACTION_PERMIT, 0, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.filter_id == 2 && r.rights);

	/* hard block from a callout, static permit below: block */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_CALLOUT_UNKNOWN, CO_BLOCK_HARD, 0, 5);
	hand(&p, 1, WFP_ACTION_PERMIT, 0, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.filter_id == 1 && !r.veto);

	/* nothing matches in A, static permit in B */
	hand_policy(&p);
	a = hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 5);
	hand_cond(a, WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL, T_U8, 17);
	hand(&p, 1, WFP_ACTION_PERMIT, 0, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.filter_id == 2);

	/* an inspection callout alone decides nothing */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_CALLOUT_INSPECTION, CO_BLOCK_HARD, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_NONE && r.filter_id == 0 && r.rights &&
	       r.ncall == 1);

	/* one sublayer: heavier PERMIT first; weights swapped: BLOCK (§10.4) */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 10);
	hand(&p, 0, WFP_ACTION_PERMIT, 0, 0, 20);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.filter_id == 2);
	p.f[0].eff = 30;
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.filter_id == 1);

	/* a terminating callout that continues blocks (§4.3 coercion) */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_CALLOUT_TERMINATING, CO_CONTINUE, 0, 20);
	hand(&p, 0, WFP_ACTION_PERMIT, 0, 0, 10);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.filter_id == 1 && r.rights);

	/* all sublayers visited: the inspection callout below a hard block
	 * runs without the write right (§10.5) */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 5);
	hand(&p, 1, WFP_ACTION_CALLOUT_INSPECTION, CO_PERMIT, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.ncall == 1 && r.call_id[0] == 2 &&
	       r.call_rights[0] == 0);

	/* unregistered callouts (§10.7) */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_CALLOUT_TERMINATING, CO_UNREG, 0, 5);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_BLOCK && r.ncall == 0);
	p.f[0].flags = WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED;
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.rights);

	/* equal weights: ascending id (§9) */
	hand_policy(&p);
	hand(&p, 0, WFP_ACTION_PERMIT, 0, 0, 7);
	hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 7);
	ref_classify(&p, &in, &r);
	EXPECT(r.action == WFP_ACTION_PERMIT && r.filter_id == 1 && r.tie);

	return good;
}

/* §10.9, §10.10 and the EMPTY decisions of §9 on single filters. */
static bool selftest_conditions(void)
{
	static struct policy p;
	struct rfilter *a, *b;
	struct input in;
	bool good = true;

	/* §10.9: PROTOCOL == 6 && (LOCAL_PORT == 80 || LOCAL_PORT == 443) */
	hand_policy(&p);
	a = hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 5);
	hand_cond(a, WFP_FIELD_IP_PROTOCOL, WFP_MATCH_EQUAL, T_U8, 6);
	hand_cond(a, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, T_U16, 80);
	hand_cond(a, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, T_U16, 443);
	hand_input(&in, 6, 443, 0);
	EXPECT(ref_match(a, &in));
	hand_input(&in, 17, 443, 0);
	EXPECT(!ref_match(a, &in));
	hand_input(&in, 6, 8080, 0);
	EXPECT(!ref_match(a, &in));

	/* §10.10: 10.0.0.0/8 and inclusive ranges */
	b = hand(&p, 0, WFP_ACTION_BLOCK, 0, 0, 5);
	b->ncond = 1;
	b->cond[0].field = WFP_FIELD_IP_REMOTE_ADDRESS;
	b->cond[0].value.type = WFP_V4_ADDR_MASK;
	b->cond[0].value.v4.addr = 0x0a000000;
	b->cond[0].value.v4.mask = 0xff000000;
	hand_input(&in, 6, 80, 0x0a010203);
	EXPECT(ref_match(b, &in));
	hand_input(&in, 6, 80, 0x0b000001);
	EXPECT(!ref_match(b, &in));
	b->cond[0].field = WFP_FIELD_IP_LOCAL_PORT;
	b->cond[0].match = WFP_MATCH_RANGE;
	b->cond[0].value.type = WFP_RANGE;
	setu(&b->cond[0].value.range.low, T_U16, 80);
	setu(&b->cond[0].value.range.high, T_U16, 90);
	EXPECT(ref_match(b, &in));
	hand_input(&in, 6, 90, 0);
	EXPECT(ref_match(b, &in));
	hand_input(&in, 6, 91, 0);
	EXPECT(!ref_match(b, &in));

	/* EMPTY (§9): only EQUAL-to-EMPTY and NOT_EQUAL hold */
	in.v[4].type = WFP_EMPTY;
	b->cond[0].match = WFP_MATCH_EQUAL;
	b->cond[0].value.type = WFP_EMPTY;
	EXPECT(ref_match(b, &in));
	hand_cond(b, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_GREATER, T_U16, 1);
	b->cond[0] = b->cond[1];
	b->ncond = 1;
	EXPECT(!ref_match(b, &in));
	b->cond[0].match = WFP_MATCH_NOT_EQUAL;
	EXPECT(ref_match(b, &in));
	b->cond[0].match = WFP_MATCH_FLAGS_NONE_SET;
	EXPECT(!ref_match(b, &in));
	return good;
}
#undef EXPECT

static bool ref_selftest(void)
{
	bool a = selftest_arbitration(), c = selftest_conditions();

	return a && c;
}

/*
 * Found by this test (seed 1795612382812316, shrunk): the decision tree
 * let a child share its neighbour's subtree although an exact static
 * BLOCK (port <= 24602) covered the neighbour but not the child, so port
 * 24603 found no candidate at all and the verdict was NONE instead of
 * filter 3's PERMIT.  Replayed on a real engine with the tree forced.
 */
static bool tree_regression(void)
{
	static const struct {
		uint32_t action;
		unsigned co, field, match;
		uint64_t x, w;
		uint32_t flags;
	} t[] = {
		{ WFP_ACTION_CALLOUT_TERMINATING, CO_UNREG, 0, 0, 0, 0,
		  WFP_FILTER_F_PERMIT_IF_CALLOUT_UNREGISTERED },
		{ WFP_ACTION_BLOCK, 0, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, ~0ULL,
		  0x0000010100000000ULL, WFP_FILTER_F_CLEAR_ACTION_RIGHT },
		{ WFP_ACTION_PERMIT, 0, WFP_FIELD_INTERFACE_INDEX,
		  WFP_MATCH_GREATER_OR_EQUAL, 2134274272, 0xd000010100000000ULL, 0 },
		{ WFP_ACTION_CALLOUT_UNKNOWN, CO_BLOCK_ABSORB, 0, 0, 0,
		  0x2000000000000000ULL, WFP_FILTER_F_CLEAR_ACTION_RIGHT },
		{ WFP_ACTION_BLOCK, 0, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_LESS_OR_EQUAL,
		  24602, 0xfffffffffffffffeULL, 0 },
		{ WFP_ACTION_PERMIT, 0, WFP_FIELD_IP_LOCAL_PORT,
		  WFP_MATCH_GREATER_OR_EQUAL, 45984, UINT64_MAX,
		  WFP_FILTER_F_CLEAR_ACTION_RIGHT },
		{ WFP_ACTION_BLOCK, 0, WFP_FIELD_IP_LOCAL_PORT,
		  WFP_MATCH_GREATER_OR_EQUAL, 16229, 7, 0 },
		{ WFP_ACTION_PERMIT, 0, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_EQUAL, 45984,
		  0x1000100100000000ULL, 0 },
		{ WFP_ACTION_PERMIT, 0, WFP_FIELD_IP_LOCAL_PORT, WFP_MATCH_GREATER, 45984,
		  0xf000010100000000ULL, 0 },
	};
	static struct policy p;
	unsigned saved = wfp_tree_min_filters;
	struct world w = { 0 };
	struct input in;
	struct res e, r;
	bool good;

	memset(&p, 0, sizeof(p));
	p.nlay = 1;
	p.lay[0] = 4; /* OUTBOUND_TRANSPORT_V6 */
	p.nsl = 1;
	p.sl[0].key = rand_guid();
	p.sl[0].weight = 0xa002;
	p.nf = NELEM(t);
	for (unsigned i = 0; i < NELEM(t); i++) {
		struct rfilter *f = &p.f[i];

		f->li = 4;
		f->action = t[i].action;
		f->co = (uint8_t)t[i].co;
		f->flags = t[i].flags;
		f->wreq.type = WFP_UINT64;
		f->wreq.u64 = t[i].w;
		if (!t[i].field)
			continue;
		f->ncond = 1;
		f->cond[0].field = (uint16_t)t[i].field;
		f->cond[0].match = (uint16_t)t[i].match;
		if (t[i].x == ~0ULL) {
			f->cond[0].value.type = WFP_EMPTY;
		} else {
			setu(&f->cond[0].value.v, t[i].field == WFP_FIELD_IP_LOCAL_PORT ?
			     T_U16 : T_U32, t[i].x);
			f->cond[0].value.type = f->cond[0].value.v.type;
		}
	}
	memset(&in, 0, sizeof(in));
	in.li = 4;
	in.nvalues = (uint16_t)lays[4].nfields;
	setu(&in.v[0], T_U8, 226);
	setu(&in.v[4], T_U16, 24603);
	setu(&in.v[5], T_U16, 12);
	setu(&in.v[7], T_U32, 2772132283u);

	wfp_tree_min_filters = 1;
	good = !world_build(&w, &p, true);
	wfp_tree_min_filters = saved;
	cur_policy = &p;
	ref_classify(&p, &in, &r);
	engine_classify(&w, &in, &e, NULL);
	good = good && same(&e, &r, NULL, 0) && r.filter_id == p.f[2].id;
	if (!good) {
		print_res("engine   ", &e);
		print_res("reference", &r);
	}
	world_close(&w);
	cur_policy = NULL;
	return good;
}

static unsigned long env_num(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

int main(void)
{
	unsigned long npol = env_num("WFP_DIFF_POLICIES", 2000);
	unsigned long nin = env_num("WFP_DIFF_INPUTS", 128);
	bool verbose = env_num("WFP_DIFF_VERBOSE", 0);
	uint16_t taken[64];
	unsigned ntaken = 0;
	static struct policy p;
	unsigned tree_default = wfp_tree_min_filters;
	char name[160];

	seed = env_num("WFP_DIFF_SEED", 0);
	if (!seed)
		seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
	rng_state = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..13\n");
	printf("# seed %" PRIu64 " (replay: WFP_DIFF_SEED=%" PRIu64 "), %lu policies x "
	       "%lu inputs\n", seed, seed, npol, nin);

	for (unsigned k = 0; k < CO_N; k++)
		kinds[k] = k;
	for (unsigned i = 0; i < wfp_builtin_sublayer_count() && ntaken < 64; i++)
		taken[ntaken++] = wfp_builtin_sublayer(i)->weight;

	ok(ref_selftest(), "the reference reproduces spec §4.6 and §10 rows");
	if (!REF_ONLY_SKIP && !layer_table_agrees()) {
		ok(false, "layer table agrees with spec §1.3/§1.4 for the layers used");
		printf("Bail out! the reference and the engine disagree on slots\n");
		return 1;
	}
	ok(true, "layer table agrees with spec §1.3/§1.4 for the layers used");
	for (unsigned k = 0; k < CO_N; k++)
		kinds[k] = k;
	ok(tree_regression(), "regression: decision-tree children share only equal subtrees");

	for (unsigned long pi = 0; pi < npol; pi++) {
		policy_gen(&p, taken, ntaken);
		/* half the policies get the decision tree however small */
		wfp_tree_min_filters = chance(50) ? 1 + below(4) : tree_default;
		cov.tree_policies += ordered_max(&p) >= wfp_tree_min_filters;
		if (verbose)
			printf("# policy %lu:\n", pi);
		run_policy(&p, nin, verbose);
	}
	cur_policy = NULL;

	printf("# %lu cases: %lu matched a filter, %lu none, %lu block, %lu permit, "
	       "%lu hard\n", cov.cases, cov.matched, cov.none, cov.block, cov.permit,
	       cov.hard);
	printf("# decided by: %lu static, %lu callout, %lu unregistered callout; "
	       "%lu vetoes, %lu absorbs, %lu soft overrides, %lu equal-weight ties\n",
	       cov.static_dec, cov.callout_dec, cov.unreg, cov.veto, cov.absorb,
	       cov.overridden, cov.tie);
	printf("# %lu callout invocations, %lu explained, %lu filters deleted, "
	       "%u rejected (+%u non-consecutive OR), %lu policies with a tree\n",
	       cov.calls, cov.explained, cov.deleted, n_rejected, n_rejected_noncons,
	       cov.tree_policies);

	ok(n_setup_err == 0, "policies set up without errors");
	ok(n_rejected == 0, "engine accepts every condition spec §5.3 allows");
	ok(n_bad_weight == 0, "effective weights honour their encoding (spec §4.2)");
	snprintf(name, sizeof(name), "classify == reference, %lu cases (%lu mismatches)",
		 cov.cases, mismatches[0] + mismatches[1] + mismatches[2] + mismatches[3]);
	ok(mismatches[0] == 0 && bad_err == 0 && bad_callout_view == 0, name);
	ok(mismatches[1] == 0 && mismatches[2] == 0 && bad_abort == 0,
	   "after deletes (commit) and an aborted transaction");
	ok(mismatches[3] == 0 && bad_dynamic == 0,
	   "with a dynamic session's filters, and after the session closed");
	ok(bad_explain == 0, "explain agrees with the verdict and the reference");
	ok(bad_enum == 0, "filter enumeration is in arbitration order");
	/* a test that never matches proves nothing: demand real coverage */
	snprintf(name, sizeof(name), "coverage: %lu%% of cases matched a filter",
		 cov.cases ? cov.matched * 100 / cov.cases : 0);
	ok(cov.cases && cov.matched * 100 / cov.cases >= 40, name);
	ok(!npol || (cov.veto && cov.absorb && cov.tie && cov.overridden && cov.unreg &&
		     cov.none && cov.hard),
	   "coverage: vetoes, absorbs, ties, overrides, unregistered callouts seen");
	if (nfailed)
		printf("# FAILED: rerun with WFP_DIFF_SEED=%" PRIu64 "\n", seed);
	return nfailed ? 1 : 0;
}
