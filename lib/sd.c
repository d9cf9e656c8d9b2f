/* SPDX-License-Identifier: MIT */
/*
 * sd.c - SIDs and a subset of self-relative security descriptors in SDDL
 * text, and the access check behind the ALE_USER_ID-style conditions
 * (spec §5.8, docs/internals/sd.md).
 *
 * Windows prints these descriptors in netsh XML, for example
 *
 *	O:LSD:(A;;CC;;;S-1-15-3-1)(A;;CC;;;WD)(A;;CC;;;AN)
 *
 * which reads: owner LOCAL SERVICE; DACL granting right 0x1 (CC, which
 * is FWP_ACTRL_MATCH_FILTER) to capability S-1-15-3-1, Everyone and
 * Anonymous.  We parse O:, G: and D: with allow and deny ACEs, and check
 * a Linux token (uid + gids) against the DACL.  A token's SIDs are
 * Samba's Unix-id SIDs, S-1-22-1-<uid> and S-1-22-2-<gid>, plus the
 * well-known SIDs that apply to it (Everyone, Authenticated Users,
 * Local System for uid 0, ...); see token_has() below.
 *
 * Everything is bounded (64 ACEs, 15 sub-authorities, 48-bit
 * authorities) and every input either parses or is rejected with
 * -WFP_E_INVALID_PARAMETER and a reason; nothing in here reads past len.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include <wfp/wfp.h>

#include "alloc.h"
#include "cond.h"

enum {
	SD_MAX_ACES = 64,
	ACE_ALLOW = 0,
	ACE_DENY = 1,
	ACE_F_INHERIT_ONLY = 0x08, /* IO: does not apply to the object */
	UID_NOBODY = 65534,
};

struct sd_ace {
	uint8_t type;  /* ACE_ALLOW, ACE_DENY */
	uint8_t flags; /* ACE_F_* (only IO matters to the check) */
	uint32_t mask;
	struct wfp_sid sid;
};

struct wfp_sd {
	bool has_owner, has_group;
	bool has_dacl; /* false: no D: part or D:NO_ACCESS_CONTROL */
	uint16_t nace;
	struct wfp_sid owner, group;
	struct sd_ace ace[];
};

/* ---- SIDs ---- */

/* SDDL's two-letter SID aliases that we know (docs/internals/sd.md). */
static const struct {
	char name[3];
	uint8_t nsub;
	uint8_t auth;
	uint32_t sub[2];
} sid_alias[] = {
	{ "WD", 1, 1, { 0 } },	      /* Everyone */
	{ "CO", 1, 3, { 0 } },	      /* Creator Owner */
	{ "AN", 1, 5, { 7 } },	      /* Anonymous */
	{ "AU", 1, 5, { 11 } },	      /* Authenticated Users */
	{ "SY", 1, 5, { 18 } },	      /* Local System */
	{ "LS", 1, 5, { 19 } },	      /* Local Service */
	{ "NS", 1, 5, { 20 } },	      /* Network Service */
	{ "BA", 2, 5, { 32, 544 } },  /* Builtin Administrators */
	{ "BU", 2, 5, { 32, 545 } },  /* Builtin Users */
	{ "BG", 2, 5, { 32, 546 } },  /* Builtin Guests */
	{ "AC", 2, 15, { 2, 1 } },    /* All Application Packages */
};

static void sid_set(struct wfp_sid *s, uint64_t auth, unsigned nsub,
		    uint32_t a, uint32_t b)
{
	memset(s, 0, sizeof(*s));
	s->auth = auth;
	s->nsub = (uint8_t)nsub;
	s->sub[0] = a;
	s->sub[1] = b;
}

static bool sid_is(const struct wfp_sid *s, uint64_t auth, unsigned nsub,
		   uint32_t a, uint32_t b)
{
	return s->auth == auth && s->nsub == nsub &&
	       (nsub < 1 || s->sub[0] == a) && (nsub < 2 || s->sub[1] == b);
}

bool wfp_sid_equal(const struct wfp_sid *a, const struct wfp_sid *b)
{
	return a->auth == b->auth && a->nsub == b->nsub &&
	       !memcmp(a->sub, b->sub, a->nsub * sizeof(a->sub[0]));
}

static bool isdig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int hexval(uint8_t c)
{
	if (isdig(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads an unsigned number at s[*i..len): decimal, or hex after "0x" when
 * hex_ok.  Fails on no digits or a value above max.
 */
static int read_num(const uint8_t *s, size_t len, size_t *i, bool hex_ok,
		    uint64_t max, uint64_t *out)
{
	size_t p = *i, start;
	uint64_t v = 0;
	int base = 10, d;

	if (hex_ok && p + 1 < len && s[p] == '0' && (s[p + 1] | 0x20) == 'x') {
		base = 16;
		p += 2;
	}
	start = p;
	while (p < len) {
		d = base == 16 ? hexval(s[p]) : (isdig(s[p]) ? s[p] - '0' : -1);
		if (d < 0)
			break;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -WFP_E_INVALID_PARAMETER;
		v = v * (uint64_t)base + (uint64_t)d;
		p++;
	}
	if (p == start)
		return -WFP_E_INVALID_PARAMETER;
	*i = p;
	*out = v;
	return 0;
}

/*
 * Parses "S-1-<auth>(-<sub>)*" at s[*i..len), stopping at the first byte
 * that cannot continue it; *i is advanced past the SID.
 */
static int sid_scan(const uint8_t *s, size_t len, size_t *i,
		    struct wfp_sid *out)
{
	size_t p = *i;
	uint64_t v;

	if (len - p < 4 || (s[p] | 0x20) != 's' || s[p + 1] != '-' ||
	    s[p + 2] != '1' || s[p + 3] != '-')
		return -WFP_E_INVALID_PARAMETER;
	p += 4;
	memset(out, 0, sizeof(*out));
	/* 48-bit identifier authority: decimal, or hex as Windows prints
	 * authorities >= 2^32 */
	if (read_num(s, len, &p, true, 0xFFFFFFFFFFFFull, &v))
		return -WFP_E_INVALID_PARAMETER;
	out->auth = v;
	while (p + 1 < len && s[p] == '-' && isdig(s[p + 1])) {
		if (out->nsub == WFP_SID_MAX_SUB)
			return -WFP_E_INVALID_PARAMETER;
		p++;
		if (read_num(s, len, &p, false, 0xFFFFFFFFu, &v))
			return -WFP_E_INVALID_PARAMETER;
		out->sub[out->nsub++] = (uint32_t)v;
	}
	*i = p;
	return 0;
}

int wfp_sid_parse(const uint8_t *s, size_t len, struct wfp_sid *out)
{
	size_t i = 0;

	if (!s || !out)
		return -WFP_E_INVALID_PARAMETER;
	if (sid_scan(s, len, &i, out) || i != len)
		return -WFP_E_INVALID_PARAMETER;
	return 0;
}

int wfp_sid_format(const struct wfp_sid *sid, char *buf, size_t len)
{
	size_t n;
	int r;

	/* Windows prints an authority >= 2^32 in hex, 12 digits */
	if (sid->auth >> 32)
		r = snprintf(buf, len, "S-1-0x%012llX", (unsigned long long)sid->auth);
	else
		r = snprintf(buf, len, "S-1-%llu", (unsigned long long)sid->auth);
	if (r < 0)
		return -WFP_E_INVAL;
	n = (size_t)r;
	for (unsigned k = 0; k < sid->nsub && k < WFP_SID_MAX_SUB; k++) {
		r = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
			     "-%u", sid->sub[k]);
		if (r < 0)
			return -WFP_E_INVAL;
		n += (size_t)r;
	}
	if (n >= len)
		return -WFP_E_LIMIT;
	return (int)n;
}

/* ---- SDDL ---- */

struct sddl {
	const uint8_t *s;
	size_t len, i;
	const char *why;
};

static int fail(struct sddl *p, const char *why)
{
	if (!p->why)
		p->why = why;
	return -WFP_E_INVALID_PARAMETER;
}

static bool at(const struct sddl *p, const char *tok)
{
	size_t n = strlen(tok);

	return p->len - p->i >= n && !memcmp(p->s + p->i, tok, n);
}

/* A SID in SDDL: "S-1-..." or a two-letter alias. */
static int read_sid(struct sddl *p, struct wfp_sid *out)
{
	if (p->i < p->len && (p->s[p->i] | 0x20) == 's' && p->i + 1 < p->len &&
	    p->s[p->i + 1] == '-') {
		if (sid_scan(p->s, p->len, &p->i, out))
			return fail(p, "malformed SID");
		return 0;
	}
	for (size_t k = 0; k < sizeof(sid_alias) / sizeof(sid_alias[0]); k++) {
		if (at(p, sid_alias[k].name)) {
			sid_set(out, sid_alias[k].auth, sid_alias[k].nsub,
				sid_alias[k].sub[0], sid_alias[k].sub[1]);
			p->i += 2;
			return 0;
		}
	}
	return fail(p, "unknown SID or SID alias");
}

/* Access-right letter codes.  GA is "all rights" (docs/internals/sd.md);
 * GR/GW/GX stay unmapped generic bits, which never grant MATCH_FILTER. */
static const struct {
	char name[3];
	uint32_t mask;
} right_code[] = {
	{ "GA", 0xFFFFFFFFu }, { "GR", 0x80000000u }, { "GW", 0x40000000u },
	{ "GX", 0x20000000u }, { "RC", 0x00020000u }, { "SD", 0x00010000u },
	{ "WD", 0x00040000u }, { "WO", 0x00080000u }, { "CC", 0x00000001u },
	{ "DC", 0x00000002u }, { "LC", 0x00000004u }, { "SW", 0x00000008u },
	{ "RP", 0x00000010u }, { "WP", 0x00000020u }, { "DT", 0x00000040u },
	{ "LO", 0x00000080u }, { "CR", 0x00000100u }, { "FA", 0x001F01FFu },
	{ "FR", 0x00120089u }, { "FW", 0x00120116u }, { "FX", 0x001200A0u },
	{ "KA", 0x000F003Fu }, { "KR", 0x00020019u }, { "KW", 0x00020006u },
	{ "KX", 0x00020019u },
};

static int read_rights(struct sddl *p, uint32_t *mask)
{
	uint64_t v;
	size_t k;

	*mask = 0;
	if (p->i < p->len && isdig(p->s[p->i])) {
		if (read_num(p->s, p->len, &p->i, true, 0xFFFFFFFFu, &v))
			return fail(p, "bad access mask number");
		*mask = (uint32_t)v;
		return 0;
	}
	while (p->i < p->len && p->s[p->i] != ';') {
		for (k = 0; k < sizeof(right_code) / sizeof(right_code[0]); k++)
			if (at(p, right_code[k].name))
				break;
		if (k == sizeof(right_code) / sizeof(right_code[0]))
			return fail(p, "unknown access right");
		*mask |= right_code[k].mask;
		p->i += 2;
	}
	return 0;
}

static const struct {
	char name[3];
	uint8_t bit;
} ace_flag[] = {
	{ "OI", 0x01 }, { "CI", 0x02 }, { "NP", 0x04 }, { "IO", 0x08 },
	{ "ID", 0x10 }, { "SA", 0x40 }, { "FA", 0x80 },
};

static int read_ace_flags(struct sddl *p, uint8_t *flags)
{
	size_t k;

	*flags = 0;
	while (p->i < p->len && p->s[p->i] != ';') {
		for (k = 0; k < sizeof(ace_flag) / sizeof(ace_flag[0]); k++)
			if (at(p, ace_flag[k].name))
				break;
		if (k == sizeof(ace_flag) / sizeof(ace_flag[0]))
			return fail(p, "unknown ACE flag");
		*flags |= ace_flag[k].bit;
		p->i += 2;
	}
	return 0;
}

static int expect(struct sddl *p, uint8_t c, const char *why)
{
	if (p->i >= p->len || p->s[p->i] != c)
		return fail(p, why);
	p->i++;
	return 0;
}

/* "(type;flags;rights;objguid;inhguid;sid)" */
static int read_ace(struct sddl *p, struct sd_ace *a)
{
	if (expect(p, '(', "expected '('"))
		return -WFP_E_INVALID_PARAMETER;
	if (at(p, "A;"))
		a->type = ACE_ALLOW;
	else if (at(p, "D;"))
		a->type = ACE_DENY;
	else
		return fail(p, "unsupported ACE type (only A and D)");
	p->i++;
	if (expect(p, ';', "expected ';'") || read_ace_flags(p, &a->flags) ||
	    expect(p, ';', "expected ';' after ACE flags") ||
	    read_rights(p, &a->mask) ||
	    expect(p, ';', "expected ';' after access rights"))
		return -WFP_E_INVALID_PARAMETER;
	if (expect(p, ';', "object GUIDs are not supported") ||
	    expect(p, ';', "inherited object GUIDs are not supported") ||
	    read_sid(p, &a->sid) ||
	    expect(p, ')', "expected ')' after the ACE's SID"))
		return -WFP_E_INVALID_PARAMETER;
	return 0;
}

/* "D:" [flags] ace* ; tmp has room for SD_MAX_ACES */
static int read_dacl(struct sddl *p, struct wfp_sd *sd)
{
	bool null_dacl = false;

	for (;;) {
		if (at(p, "NO_ACCESS_CONTROL")) {
			null_dacl = true;
			p->i += 17;
		} else if (at(p, "AI") || at(p, "AR")) {
			p->i += 2;
		} else if (at(p, "P")) {
			p->i += 1;
		} else {
			break;
		}
	}
	sd->has_dacl = !null_dacl;
	while (p->i < p->len && p->s[p->i] == '(') {
		if (null_dacl)
			return fail(p, "ACEs after NO_ACCESS_CONTROL");
		if (sd->nace == SD_MAX_ACES)
			return fail(p, "more than 64 ACEs");
		if (read_ace(p, &sd->ace[sd->nace]))
			return -WFP_E_INVALID_PARAMETER;
		sd->nace++;
	}
	return 0;
}

static int read_sd(struct sddl *p, struct wfp_sd *sd)
{
	bool seen_d = false;
	uint8_t part;

	if (p->len == 0)
		return fail(p, "empty security descriptor");
	while (p->i < p->len) {
		if (p->len - p->i < 2 || p->s[p->i + 1] != ':')
			return fail(p, "expected O:, G: or D:");
		part = p->s[p->i];
		p->i += 2;
		if (part == 'O' && !sd->has_owner) {
			sd->has_owner = true;
			if (read_sid(p, &sd->owner))
				return -WFP_E_INVALID_PARAMETER;
		} else if (part == 'G' && !sd->has_group) {
			sd->has_group = true;
			if (read_sid(p, &sd->group))
				return -WFP_E_INVALID_PARAMETER;
		} else if (part == 'D' && !seen_d) {
			seen_d = true;
			if (read_dacl(p, sd))
				return -WFP_E_INVALID_PARAMETER;
		} else if (part == 'S') {
			p->i -= 2;
			return fail(p, "SACLs (S:) are not supported");
		} else {
			p->i -= 2;
			return fail(p, "duplicate or unknown part");
		}
	}
	return 0;
}

int wfp_sd_parse_ex(const uint8_t *sddl, size_t len, struct wfp_sd **out,
		    size_t *errpos, const char **why)
{
	union {
		struct wfp_sd sd;
		uint8_t room[sizeof(struct wfp_sd) +
			     SD_MAX_ACES * sizeof(struct sd_ace)];
	} tmp;
	struct sddl p = { .s = sddl, .len = len };
	size_t size;
	int ret;

	if (out)
		*out = NULL;
	if (!sddl && len) {
		p.len = 0;
		p.why = "NULL text";
	}
	/* a Windows-style NUL terminator counts as the end of the text */
	while (p.len && sddl[p.len - 1] == '\0')
		p.len--;
	memset(&tmp, 0, sizeof(tmp));
	ret = p.why ? -WFP_E_INVALID_PARAMETER : read_sd(&p, &tmp.sd);
	if (errpos)
		*errpos = p.i;
	if (why)
		*why = ret ? p.why : NULL;
	if (ret || !out)
		return ret;
	size = sizeof(struct wfp_sd) + tmp.sd.nace * sizeof(struct sd_ace);
	*out = wfp_malloc(size);
	if (!*out)
		return -WFP_E_NOMEM;
	memcpy(*out, &tmp, size);
	return 0;
}

int wfp_sd_parse(const uint8_t *sddl, size_t len, struct wfp_sd **out)
{
	return wfp_sd_parse_ex(sddl, len, out, NULL, NULL);
}

void wfp_sd_free(struct wfp_sd *sd)
{
	wfp_free(sd);
}

/* ---- access check ---- */

static bool has_gid(const struct wfp_token *t, uint32_t gid)
{
	for (uint32_t k = 0; k < t->ngids; k++)
		if (t->gids && t->gids[k] == gid)
			return true;
	return false;
}

/*
 * Is s one of the token's SIDs?  The Linux mapping of docs/internals/sd.md:
 * S-1-22-1-<uid>, S-1-22-2-<gid>, Everyone for all, Authenticated Users
 * and Builtin Users for every uid but nobody (65534), Anonymous for nobody,
 * Local System for uid 0, Builtin Administrators for members of gid 0.
 * Other SIDs (capabilities, LS, NS, domain accounts) belong to no token.
 */
static bool token_has(const struct wfp_token *t, const struct wfp_sid *s)
{
	if (s->auth == 22 && s->nsub == 2 && s->sub[0] == 1)
		return s->sub[1] == t->uid;
	if (s->auth == 22 && s->nsub == 2 && s->sub[0] == 2)
		return has_gid(t, s->sub[1]);
	if (sid_is(s, 1, 1, 0, 0))		/* WD */
		return true;
	if (sid_is(s, 5, 1, 11, 0) || sid_is(s, 5, 2, 32, 545)) /* AU, BU */
		return t->uid != UID_NOBODY;
	if (sid_is(s, 5, 1, 7, 0))		/* AN */
		return t->uid == UID_NOBODY;
	if (sid_is(s, 5, 1, 18, 0))		/* SY */
		return t->uid == 0;
	if (sid_is(s, 5, 2, 32, 544))		/* BA */
		return has_gid(t, 0);
	return false;
}

/*
 * The DACL walk of Windows' AccessCheck: ACEs in order; an applicable deny
 * ACE naming a still-ungranted requested bit denies; allow ACEs grant
 * bits until all requested bits are granted.
 */
bool wfp_sd_access_check(const struct wfp_sd *sd, const struct wfp_token *tok,
			 uint32_t access)
{
	uint32_t granted = 0;

	if (!sd || !tok)
		return false;
	if (!sd->has_dacl)
		return true; /* NULL DACL: everyone gets everything */
	if (!access)
		return true;
	for (unsigned k = 0; k < sd->nace; k++) {
		const struct sd_ace *a = &sd->ace[k];

		if ((a->flags & ACE_F_INHERIT_ONLY) || !token_has(tok, &a->sid))
			continue;
		if (a->type == ACE_DENY) {
			if (a->mask & access & ~granted)
				return false;
			continue;
		}
		granted |= a->mask & access;
		if (granted == access)
			return true;
	}
	return false;
}

/* For tests and listings: the parsed shape. */
unsigned wfp_sd_ace_count(const struct wfp_sd *sd)
{
	return sd ? sd->nace : 0;
}

int wfp_sd_ace(const struct wfp_sd *sd, unsigned k, bool *deny, uint32_t *mask,
	       struct wfp_sid *sid)
{
	if (!sd || k >= sd->nace)
		return -WFP_E_OUT_OF_BOUNDS;
	*deny = sd->ace[k].type == ACE_DENY;
	*mask = sd->ace[k].mask;
	*sid = sd->ace[k].sid;
	return 0;
}

bool wfp_sd_ace_inherit_only(const struct wfp_sd *sd, unsigned k)
{
	return sd && k < sd->nace && (sd->ace[k].flags & ACE_F_INHERIT_ONLY);
}

bool wfp_sd_has_dacl(const struct wfp_sd *sd)
{
	return sd && sd->has_dacl;
}

const struct wfp_sid *wfp_sd_owner(const struct wfp_sd *sd)
{
	return sd && sd->has_owner ? &sd->owner : NULL;
}

const struct wfp_sid *wfp_sd_group(const struct wfp_sd *sd)
{
	return sd && sd->has_group ? &sd->group : NULL;
}
