/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the policy object list shared by the text, JSON and netsh XML
 * readers and writers: its memory, lookups, derived keys and names, and
 * the two bridges to the engine: apply (one transaction, all or nothing)
 * and snapshot (engine -> object list).  docs/policy.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "compat.h"
#include "policy.h"

/* ---- arena: every string and blob of a policy, freed at once ---- */

struct pol_arena_chunk {
	struct pol_arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

enum { ARENA_CHUNK = 64 * 1024 };

void *pol_alloc(struct wfp_policy *p, size_t n)
{
	struct pol_arena_chunk *c = p->arena;
	size_t al = sizeof(max_align_t);

	n = (n + al - 1) / al * al;
	if (!n)
		n = al;
	if (!c || c->size - c->used < n) {
		size_t sz = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;

		c = wfp_malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		if (p->arena && n > ARENA_CHUNK / 2) {
			/* keep filling the current chunk after a big one */
			c->next = p->arena->next;
			p->arena->next = c;
		} else {
			c->next = p->arena;
			p->arena = c;
		}
	}
	void *r = (char *)c->data + c->used;

	c->used += n;
	memset(r, 0, n);
	return r;
}

char *pol_strndup(struct wfp_policy *p, const char *s, size_t n)
{
	char *r = pol_alloc(p, n + 1);

	if (r)
		memcpy(r, s, n);
	return r;
}

char *pol_strdup(struct wfp_policy *p, const char *s)
{
	return s ? pol_strndup(p, s, strlen(s)) : NULL;
}

void *pol_memdup(struct wfp_policy *p, const void *d, size_t n)
{
	void *r = pol_alloc(p, n);

	if (r && n)
		memcpy(r, d, n);
	return r;
}

struct wfp_policy *pol_new(const char *file)
{
	struct wfp_policy *p = wfp_calloc(1, sizeof(*p));

	if (p && file)
		strlcpy(p->file, file, sizeof(p->file));
	return p;
}

void wfp_policy_free(struct wfp_policy *p)
{
	if (!p)
		return;
	while (p->arena) {
		struct pol_arena_chunk *n = p->arena->next;

		wfp_free(p->arena);
		p->arena = n;
	}
	wfp_free(p->prov);
	wfp_free(p->subl);
	wfp_free(p->call);
	wfp_free(p->filt);
	wfp_free(p);
}

/* Grow a vector of elements of size esz to hold one more. */
static void *grow(void **v, size_t *n, size_t *cap, size_t esz)
{
	if (*n >= POL_MAX_OBJECTS)
		return NULL;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = wfp_realloc(*v, nc * esz);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	void *e = (char *)*v + (*n)++ * esz;

	memset(e, 0, esz);
	return e;
}

struct pol_provider *pol_add_provider(struct wfp_policy *p)
{
	return grow((void **)&p->prov, &p->nprov, &p->cprov, sizeof(*p->prov));
}

struct pol_sublayer *pol_add_sublayer(struct wfp_policy *p)
{
	return grow((void **)&p->subl, &p->nsubl, &p->csubl, sizeof(*p->subl));
}

struct pol_callout *pol_add_callout(struct wfp_policy *p)
{
	return grow((void **)&p->call, &p->ncall, &p->ccall, sizeof(*p->call));
}

struct pol_filter *pol_add_filter(struct wfp_policy *p)
{
	return grow((void **)&p->filt, &p->nfilt, &p->cfilt, sizeof(*p->filt));
}

/* ---- lookups (linear: policies are applied once, not searched hot) ---- */

#define BY_NAME(fn, type, arr, cnt)						\
	type *fn(const struct wfp_policy *p, const char *n)			\
	{									\
		for (size_t i = 0; i < p->cnt; i++)				\
			if (p->arr[i].name && !strcmp(p->arr[i].name, n))	\
				return &p->arr[i];				\
		return NULL;							\
	}
BY_NAME(pol_provider_by_name, struct pol_provider, prov, nprov)
BY_NAME(pol_sublayer_by_name, struct pol_sublayer, subl, nsubl)
BY_NAME(pol_callout_by_name, struct pol_callout, call, ncall)
#undef BY_NAME

#define BY_KEY(fn, type, arr, cnt, m)						\
	type *fn(const struct wfp_policy *p, const struct wfp_guid *k)		\
	{									\
		for (size_t i = 0; i < p->cnt; i++)				\
			if (!memcmp(&p->arr[i].m.key, k, sizeof(*k)))		\
				return &p->arr[i];				\
		return NULL;							\
	}
BY_KEY(pol_provider_by_key, struct pol_provider, prov, nprov, p)
BY_KEY(pol_sublayer_by_key, struct pol_sublayer, subl, nsubl, s)
BY_KEY(pol_callout_by_key, struct pol_callout, call, ncall, c)
#undef BY_KEY

/* ---- derived keys ---- */

static uint64_t fnv1a(uint64_t h, const void *d, size_t n)
{
	const uint8_t *b = d;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Two FNV-1a passes with different offsets over "openwfp\0<kind>\0<name>"
 * give 128 bits; version nibble 8 and the RFC 4122 variant mark the GUID
 * as a name-derived custom UUID (RFC 9562 v8), so it cannot collide with
 * Windows' random (v4) GUIDs.  Not cryptographic: keys only need to be
 * stable and distinct.
 */
void pol_derive_key(enum pol_kind kind, const char *name, struct wfp_guid *out)
{
	static const char *const kinds[] = { "provider", "sublayer", "callout",
					     "filter" };
	uint64_t h[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };

	for (int i = 0; i < 2; i++) {
		h[i] = fnv1a(h[i], "openwfp", 8);
		h[i] = fnv1a(h[i], kinds[kind], strlen(kinds[kind]) + 1);
		h[i] = fnv1a(h[i], name, strlen(name));
		h[i] = fnv1a(h[i], &i, 1);
		for (int j = 0; j < 8; j++)
			out->b[i * 8 + j] = (uint8_t)(h[i] >> (56 - 8 * j));
	}
	out->b[6] = (uint8_t)((out->b[6] & 0x0f) | 0x80);
	out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
}

/* ---- names for objects that came without one (JSON/XML/engine) ---- */

static bool name_taken(const struct wfp_policy *p, enum pol_kind k, const char *n)
{
	if (k == POL_PROVIDER)
		return pol_provider_by_name(p, n) != NULL;
	if (k == POL_SUBLAYER)
		return pol_sublayer_by_name(p, n) || wfp_builtin_sublayer_by_name(n);
	return pol_callout_by_name(p, n) != NULL;
}

/* A lower-case identifier from a display name: runs of anything else
 * become one '_'. */
static void slug(const char *disp, const char *dflt, char *buf, size_t len)
{
	size_t o = 0;
	bool us = false;

	for (const char *s = disp ? disp : ""; *s && o + 1 < len && o < 32; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (us && o)
				buf[o++] = '_';
			if (o + 1 < len)
				buf[o++] = c;
			us = false;
		} else {
			us = true;
		}
	}
	buf[o] = 0;
	if (!o || (buf[0] >= '0' && buf[0] <= '9')) {
		char tmp[40];

		strlcpy(tmp, buf, sizeof(tmp));
		snprintf(buf, len, "%.10s%s%.32s", dflt, o ? "_" : "", tmp);
	}
}

static const char *unique_name(struct wfp_policy *p, enum pol_kind k,
			       const char *disp, const char *dflt)
{
	char base[64], cand[80];

	slug(disp, dflt, base, sizeof(base));
	strlcpy(cand, base, sizeof(cand));
	for (unsigned i = 2; name_taken(p, k, cand); i++)
		snprintf(cand, sizeof(cand), "%s_%u", base, i);
	return pol_strdup(p, cand);
}

int pol_assign_names(struct wfp_policy *p)
{
	for (size_t i = 0; i < p->nprov; i++)
		if (!p->prov[i].name &&
		    !(p->prov[i].name = unique_name(p, POL_PROVIDER,
						    p->prov[i].p.display.name, "provider")))
			return -WFP_E_NOMEM;
	for (size_t i = 0; i < p->nsubl; i++)
		if (!p->subl[i].name &&
		    !(p->subl[i].name = unique_name(p, POL_SUBLAYER,
						    p->subl[i].s.display.name, "sublayer")))
			return -WFP_E_NOMEM;
	for (size_t i = 0; i < p->ncall; i++)
		if (!p->call[i].name &&
		    !(p->call[i].name = unique_name(p, POL_CALLOUT,
						    p->call[i].c.display.name, "callout")))
			return -WFP_E_NOMEM;
	return 0;
}

/*
 * A symbolic name as the text language can write it back: a letter or
 * '_', then letters, digits and _ . - + * @ $ % (or UTF-8), not Windows'
 * FWPM_ namespace.
 */
bool pol_name_valid(const char *n)
{
	char c = (char)(*n | 0x20);

	if ((!(c >= 'a' && c <= 'z') && *n != '_') || !strncasecmp(n, "FWPM_", 5) ||
	    strlen(n) >= POL_MAX_NAME || !pol_is_text((const uint8_t *)n, strlen(n)))
		return false;
	for (; *n; n++) {
		unsigned char u = (unsigned char)*n;

		if (!((u | 0x20) >= 'a' && (u | 0x20) <= 'z') && !(u >= '0' && u <= '9') &&
		    !strchr("_.-+*@$%", u) && u < 0x80)
			return false;
	}
	return true;
}

/* ---- errors ---- */

int pol_error(struct wfp_policy_error *err, int code, const char *file,
	      unsigned line, unsigned col, const char *context, size_t clen,
	      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->line = line;
	err->col = col;
	strlcpy(err->file, file ? file : "", sizeof(err->file));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (context) {
		if (clen >= sizeof(err->context))
			clen = sizeof(err->context) - 1;
		memcpy(err->context, context, clen);
		/* a NUL byte in the input would cut the line short: show '?' */
		for (size_t i = 0; i < clen; i++)
			if (!err->context[i])
				err->context[i] = '?';
	}
	return code;
}

void wfp_policy_error_print(const struct wfp_policy_error *e, FILE *out)
{
	if (!e || !out)
		return;
	if (e->line && e->col)
		fprintf(out, "%s:%u:%u: error: %s\n", e->file, e->line, e->col, e->msg);
	else if (e->line)
		fprintf(out, "%s:%u: error: %s\n", e->file, e->line, e->msg);
	else
		fprintf(out, "%s: error: %s\n", e->file[0] ? e->file : "policy", e->msg);
	if (!e->context[0] || !e->col)
		return;
	fprintf(out, "%s\n", e->context);
	/* keep tabs so the caret lines up under tabbed source */
	for (unsigned i = 0; i + 1 < e->col && e->context[i]; i++)
		fputc(e->context[i] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

/* ---- well-known providers and callouts (spec appendix A) ---- */

static const struct pol_known known_providers[] = {
	{ "MPSSVC_WSH", "4b153735-1049-4480-aab4-d1b9bdc03710" },
	{ "MPSSVC_WF", "decc16ca-3f33-4346-be1e-8fb4ae0f3d62" },
	{ "IKEEXT", "10ad9216-ccde-456c-8b16-e9f04e60a90b" },
	{ "TCP_CHIMNEY_OFFLOAD", "896aa19e-9a34-4bcb-ae79-beb9127c84b9" },
	{ "TCP_TEMPLATES", "76cfcd30-3394-432d-bed3-441ae50e63c3" },
	{ "IPSEC_DOSP_CONFIG", "3c6c05a9-c05c-4bb9-8338-2327814ce8bf" },
};

static const struct pol_known known_callouts[] = {
	{ "WFP_TRANSPORT_LAYER_V4_SILENT_DROP", "eda08606-2494-4d78-89bc-67837c03b969" },
	{ "WFP_TRANSPORT_LAYER_V6_SILENT_DROP", "8693cc74-a075-4156-b476-9286eece814e" },
	{ "SET_OPTIONS_AUTH_CONNECT_LAYER_V4", "bc582280-1677-41e9-94ab-c2fcb15c2eeb" },
	{ "SET_OPTIONS_AUTH_CONNECT_LAYER_V6", "98e5373c-b884-490f-b65f-2f6a4a575195" },
	{ "SET_OPTIONS_AUTH_RECV_ACCEPT_LAYER_V4", "2d55f008-0c01-4f92-b26e-a08a94569b8d" },
	{ "SET_OPTIONS_AUTH_RECV_ACCEPT_LAYER_V6", "63018537-f281-4dc4-83d3-8dec18b7ade2" },
	{ "IPSEC_INBOUND_TRANSPORT_V4", "5132900d-5e84-4b5f-80e4-01741e81ff10" },
	{ "IPSEC_INBOUND_TRANSPORT_V6", "49d3ac92-2a6c-4dcf-955f-1c3be009dd99" },
	{ "IPSEC_OUTBOUND_TRANSPORT_V4", "4b46bf0a-4523-4e57-aa38-a87987c910d9" },
	{ "IPSEC_OUTBOUND_TRANSPORT_V6", "38d87722-ad83-4f11-a91f-df0fb077225b" },
	{ "IPSEC_ALE_CONNECT_V4", "6ac141fc-f75d-4203-b9c8-48e6149c2712" },
	{ "IPSEC_ALE_CONNECT_V6", "4c0dda05-e31f-4666-90b0-b3dfad34129a" },
	{ "TEREDO_ALE_RESOURCE_ASSIGNMENT_V6", "31b95392-066e-42a2-b7db-92f8acdd56f9" },
	{ "EDGE_TRAVERSAL_ALE_RESOURCE_ASSIGNMENT_V4", "079b1010-f1c5-4fcd-ae05-da41107abd0b" },
	{ "TEREDO_ALE_LISTEN_V6", "81a434e7-f60c-4378-bab8-c625a30f0197" },
	{ "EDGE_TRAVERSAL_ALE_LISTEN_V4", "33486ab5-6d5e-4e65-a00b-a7afed0ba9a1" },
	{ "POLICY_SILENT_MODE_AUTH_CONNECT_LAYER_V4", "5fbfc31d-a51c-44dc-acb6-0624a030a700" },
	{ "POLICY_SILENT_MODE_AUTH_CONNECT_LAYER_V6", "5fbfc31d-a51c-44dc-acb6-0624a030a701" },
	{ "POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V4", "5fbfc31d-a51c-44dc-acb6-0624a030a702" },
	{ "POLICY_SILENT_MODE_AUTH_RECV_ACCEPT_LAYER_V6", "5fbfc31d-a51c-44dc-acb6-0624a030a703" },
};

#define NKNOWN(a) (sizeof(a) / sizeof((a)[0]))

static const char *strip_prefix(const char *n, const char *pfx)
{
	size_t l = strlen(pfx);

	return strncasecmp(n, pfx, l) ? n : n + l;
}

static const struct pol_known *known_by_name(const struct pol_known *t, size_t n,
					     const char *pfx, const char *name)
{
	name = strip_prefix(name, pfx);
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static const struct pol_known *known_by_key(const struct pol_known *t, size_t n,
					    const struct wfp_guid *k)
{
	struct wfp_guid g;

	for (size_t i = 0; i < n; i++)
		if (!wfp_guid_parse(t[i].guid, &g) && !memcmp(&g, k, sizeof(g)))
			return &t[i];
	return NULL;
}

const struct pol_known *pol_known_provider_by_name(const char *name)
{
	return known_by_name(known_providers, NKNOWN(known_providers),
			     "FWPM_PROVIDER_", name);
}

const struct pol_known *pol_known_provider_by_key(const struct wfp_guid *k)
{
	return known_by_key(known_providers, NKNOWN(known_providers), k);
}

const struct pol_known *pol_known_callout_by_name(const char *name)
{
	return known_by_name(known_callouts, NKNOWN(known_callouts),
			     "FWPM_CALLOUT_", name);
}

const struct pol_known *pol_known_callout_by_key(const struct wfp_guid *k)
{
	return known_by_key(known_callouts, NKNOWN(known_callouts), k);
}

/* The callouts every openwfp engine has (lib/builtin_callouts.c): a
 * policy refers to them but never creates them. */
bool pol_callout_is_builtin(const struct wfp_guid *k)
{
	const struct pol_known *kn = pol_known_callout_by_key(k);

	return kn && (kn == &known_callouts[0] || kn == &known_callouts[1]);
}

/* ---- references by name, Windows name or GUID ---- */

int pol_ref_provider(const struct wfp_policy *p, const char *s, struct wfp_guid *out)
{
	const struct pol_provider *pv = pol_provider_by_name(p, s);
	const struct pol_known *k;

	if (pv) {
		*out = pv->p.key;
		return 0;
	}
	if ((k = pol_known_provider_by_name(s)))
		return wfp_guid_parse(k->guid, out);
	return wfp_guid_parse(s, out) ? -1 : 0;
}

int pol_ref_sublayer(const struct wfp_policy *p, const char *s, struct wfp_guid *out)
{
	const struct pol_sublayer *sl = pol_sublayer_by_name(p, s);
	const struct wfp_builtin_sublayer *b;

	if (sl) {
		*out = sl->s.key;
		return 0;
	}
	b = wfp_builtin_sublayer_by_name(strip_prefix(s, "FWPM_SUBLAYER_"));
	if (b) {
		*out = b->key;
		return 0;
	}
	return wfp_guid_parse(s, out) ? -1 : 0;
}

int pol_ref_callout(const struct wfp_policy *p, const char *s, struct wfp_guid *out)
{
	const struct pol_callout *c = pol_callout_by_name(p, s);
	const struct pol_known *k;

	if (c) {
		*out = c->c.key;
		return 0;
	}
	if ((k = pol_known_callout_by_name(s)))
		return wfp_guid_parse(k->guid, out);
	return wfp_guid_parse(s, out) ? -1 : 0;
}

/* ---- format detection and the parse entry points ---- */

int wfp_policy_detect(const char *text, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	/* UTF-16 netsh output starts with a byte order mark */
	if (len >= 2 && (!memcmp(text, "\xff\xfe", 2) || !memcmp(text, "\xfe\xff", 2)))
		return WFP_POLICY_FMT_XML;
	for (; i < len; i++) {
		char c = text[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '{' || c == '[')
			return WFP_POLICY_FMT_JSON;
		if (c == '<')
			return WFP_POLICY_FMT_XML;
		break;
	}
	return WFP_POLICY_FMT_TEXT;
}

int wfp_policy_parse(const char *text, size_t len, const char *name,
		     int format, struct wfp_policy **out,
		     struct wfp_policy_error *err)
{
	struct wfp_policy *p;
	int r;

	if (!out || (!text && len))
		return pol_error(err, -WFP_E_INVAL, name, 0, 0, NULL, 0,
				 "no policy text");
	*out = NULL;
	if (len > POL_MAX_INPUT)
		return pol_error(err, -WFP_E_LIMIT, name, 0, 0, NULL, 0,
				 "policy larger than %d bytes", POL_MAX_INPUT);
	p = pol_new(name ? name : "<string>");
	if (!p)
		return pol_error(err, -WFP_E_NOMEM, name, 0, 0, NULL, 0,
				 "out of memory");
	if (format == WFP_POLICY_FMT_AUTO)
		format = wfp_policy_detect(text, len);
	switch (format) {
	case WFP_POLICY_FMT_TEXT:
		r = pol_parse_text(p, text, len, err);
		break;
	case WFP_POLICY_FMT_JSON:
		r = pol_parse_json(p, text, len, err);
		break;
	case WFP_POLICY_FMT_XML:
		r = pol_parse_xml(p, text, len, err);
		break;
	default:
		r = pol_error(err, -WFP_E_INVAL, p->file, 0, 0, NULL, 0,
			      "unknown policy format %d", format);
	}
	if (!r)
		r = pol_assign_names(p);
	if (r) {
		if (r == -WFP_E_NOMEM && err && !err->msg[0])
			pol_error(err, r, p->file, 0, 0, NULL, 0, "out of memory");
		wfp_policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Read a whole file; bounded by POL_MAX_INPUT. */
static int slurp(const char *path, char **buf, size_t *len,
		 struct wfp_policy_error *err)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *b = NULL;

	if (!f)
		return pol_error(err, -WFP_E_IO, path, 0, 0, NULL, 0, "%s",
				 strerror(errno));
	for (;;) {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)POL_MAX_INPUT + 1)
				cap = (size_t)POL_MAX_INPUT + 1;
			if (n == cap) {
				wfp_free(b);
				fclose(f);
				return pol_error(err, -WFP_E_LIMIT, path, 0, 0, NULL, 0,
						 "file larger than %d bytes", POL_MAX_INPUT);
			}
			nb = wfp_realloc(b, cap + 1);
			if (!nb) {
				wfp_free(b);
				fclose(f);
				return pol_error(err, -WFP_E_NOMEM, path, 0, 0, NULL, 0,
						 "out of memory");
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		wfp_free(b);
		fclose(f);
		return pol_error(err, -WFP_E_IO, path, 0, 0, NULL, 0, "read error");
	}
	fclose(f);
	if (!b && !(b = wfp_malloc(1)))
		return pol_error(err, -WFP_E_NOMEM, path, 0, 0, NULL, 0, "out of memory");
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int wfp_policy_parse_file(const char *path, int format, struct wfp_policy **out,
			  struct wfp_policy_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path || !out)
		return pol_error(err, -WFP_E_INVAL, path, 0, 0, NULL, 0, "no file");
	*out = NULL;
	r = slurp(path, &buf, &len, err);
	if (r)
		return r;
	r = wfp_policy_parse(buf, len, path, format, out, err);
	wfp_free(buf);
	return r;
}

int wfp_policy_write(const struct wfp_policy *p, int format, FILE *out)
{
	if (!p || !out)
		return -WFP_E_INVAL;
	switch (format) {
	case WFP_POLICY_FMT_TEXT:
		return pol_write_text(p, out);
	case WFP_POLICY_FMT_JSON:
		return pol_write_json(p, out);
	case WFP_POLICY_FMT_XML:
		return pol_write_xml(p, out);
	}
	return -WFP_E_INVAL;
}

int wfp_policy_write_text(struct wfp_session *s, FILE *out)
{
	struct wfp_policy *p;
	int r = wfp_policy_snapshot(s, &p);

	if (r)
		return r;
	r = pol_write_text(p, out);
	wfp_policy_free(p);
	return r;
}

static int load(struct wfp_session *s, const char *text, size_t len,
		const char *path, uint32_t flags, struct wfp_policy_error *err)
{
	struct wfp_policy *p;
	int r;

	if (text)
		r = wfp_policy_parse(text, len, path, WFP_POLICY_FMT_AUTO, &p, err);
	else
		r = wfp_policy_parse_file(path, WFP_POLICY_FMT_AUTO, &p, err);
	if (r)
		return r;
	r = wfp_policy_apply(s, p, flags, err);
	wfp_policy_free(p);
	return r;
}

int wfp_policy_load_file(struct wfp_session *s, const char *path,
			 uint32_t flags, struct wfp_policy_error *err)
{
	return load(s, NULL, 0, path, flags, err);
}

int wfp_policy_load_string(struct wfp_session *s, const char *text, size_t len,
			   const char *name, uint32_t flags,
			   struct wfp_policy_error *err)
{
	if (!text && len)
		return pol_error(err, -WFP_E_INVAL, name, 0, 0, NULL, 0, "no text");
	return load(s, text ? text : "", len, name ? name : "<string>", flags, err);
}
