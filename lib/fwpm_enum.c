/* SPDX-License-Identifier: MIT */
/*
 * fwpm_enum.c - the Fwpm enumerations and subscriptions (spec §6.7, §7.1):
 * filter enum handles and FWPM_FILTER_ENUM_TEMPLATE0, net event enum
 * handles and templates, net event and filter change subscriptions.
 *
 * An enum handle holds a snapshot taken when it is created (the native
 * wfp_filter_enum / wfp_netevent_enum copies, already narrowed by the
 * template); FwpmXxxEnum0 converts the next entries to Windows' structures.
 *
 * Template conditions (docs/fwpm.md, "Enumeration templates"): a filter's
 * conditions and a template's conditions each describe a set of traffic,
 * a product over fields (AND across fields, OR within one).  FULLY_CONTAINED
 * returns the filters whose set contains the template's; OVERLAPPING those
 * whose set meets it.  Per field:
 *   - a template EQUAL on a plain value is a point, decided exactly by the
 *     engine's own condition test (wfp_ccond_test) against the filter's
 *     conditions on that field;
 *   - integer, address and 16-byte conditions other than flag tests are
 *     turned into at most two intervals and compared as intervals;
 *   - anything else (flag tests, string suffix tests, SDs) is compared
 *     only for identity: FULLY_CONTAINED answers "no" and OVERLAPPING
 *     "yes" when in doubt.
 */
#include <string.h>

#include "fwpm_int.h"

enum {
	ENUM_MAGIC = 0x4d554e45,
	SUB_MAGIC = 0x42555345
};

enum enum_kind { K_FILTER, K_NETEVENT };
enum sub_kind { S_NETEVENT, S_FILTER };

/* A converted net event template. */
struct ev_tmpl {
	uint64_t start, end; /* FILETIME units; end 0: none */
	uint32_t ncond;
	struct wfp_ccond *cc;
};

struct fwpm_enum {
	uint32_t magic;
	enum enum_kind kind;
	struct fwpm_handle *owner;
	size_t n, pos;
	struct wfp_filter **filters; /* K_FILTER */
	struct wfp_netevent *events; /* K_NETEVENT */
	struct fwpm_enum *next;
};

/* A converted filter enum template. */
struct f_tmpl {
	bool any_layer;
	uint16_t layer;
	bool has_provider;
	struct wfp_guid provider;
	uint32_t enum_type;
	uint32_t flags;
	bool no_match; /* a provider-context template: nothing matches */
	uint32_t action_mask;
	bool has_callout;
	struct wfp_guid callout;
	uint32_t ncond;
	struct wfp_filter_cond *cond; /* distinct fields; owned by root */
	void *root;
};

struct fwpm_sub {
	uint32_t magic;
	enum sub_kind kind;
	struct fwpm_handle *owner;
	int native_id;
	FWPM_NET_EVENT_CALLBACK0 ev_fn;
	FWPM_FILTER_CHANGE_CALLBACK0 ch_fn;
	void *ctx;
	struct ev_tmpl et;    /* S_NETEVENT */
	struct f_tmpl *ft;    /* S_FILTER, NULL: none */
	uint64_t *ids;        /* S_FILTER with ft: live filters it matches */
	size_t nids, capids;
	uint32_t flags;       /* S_FILTER: FWPM_SUBSCRIPTION_FLAG_* wanted */
	struct fwpm_sub *next;
};

/* ---- intervals over 128-bit keys ---- */

struct key {
	uint64_t hi, lo;
};

struct span {
	struct key a, b; /* inclusive */
};

static int kcmp(struct key x, struct key y)
{
	if (x.hi != y.hi)
		return x.hi < y.hi ? -1 : 1;
	return x.lo < y.lo ? -1 : x.lo > y.lo;
}

static struct key kinc(struct key k)
{
	if (++k.lo == 0)
		k.hi++;
	return k;
}

static struct key kdec(struct key k)
{
	if (k.lo-- == 0)
		k.hi--;
	return k;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* The key of v and the key range [*min, *max] of its type; domain 1:
 * 64-bit keys, 2: 128-bit keys; 0: not an interval type. */
static int vkey(const struct wfp_value *v, struct key *k, struct key *min, struct key *max)
{
	static const uint64_t sbit = 1ULL << 63;

	*k = *min = (struct key){ 0, 0 };
	*max = (struct key){ 0, UINT64_MAX };
	switch (v->type) {
	case WFP_UINT8:
		k->lo = v->u8, max->lo = UINT8_MAX;
		return 1;
	case WFP_UINT16:
		k->lo = v->u16, max->lo = UINT16_MAX;
		return 1;
	case WFP_UINT32:
		k->lo = v->u32, max->lo = UINT32_MAX;
		return 1;
	case WFP_UINT64:
		k->lo = v->u64;
		return 1;
	case WFP_INT8:
		k->lo = (uint64_t)(int64_t)v->i8 ^ sbit;
		min->lo = (uint64_t)(int64_t)INT8_MIN ^ sbit, max->lo = (uint64_t)INT8_MAX ^ sbit;
		return 1;
	case WFP_INT16:
		k->lo = (uint64_t)(int64_t)v->i16 ^ sbit;
		min->lo = (uint64_t)(int64_t)INT16_MIN ^ sbit, max->lo = (uint64_t)INT16_MAX ^ sbit;
		return 1;
	case WFP_INT32:
		k->lo = (uint64_t)(int64_t)v->i32 ^ sbit;
		min->lo = (uint64_t)(int64_t)INT32_MIN ^ sbit, max->lo = (uint64_t)INT32_MAX ^ sbit;
		return 1;
	case WFP_INT64:
		k->lo = (uint64_t)v->i64 ^ sbit;
		return 1;
	case WFP_BYTE_ARRAY16:
		k->hi = be64(v->a16), k->lo = be64(v->a16 + 8);
		max->hi = UINT64_MAX;
		return 2;
	default:
		return 0;
	}
}

/*
 * The set of values condition c accepts, as at most two spans in *dom.
 * Returns the number of spans (0: empty), or -1 when c is not an interval
 * condition (flags, strings, SDs, ...).
 */
static int spans(const struct wfp_filter_cond *c, struct span s[2], int *dom)
{
	const struct wfp_cond_value *cv = &c->value;
	struct key k, min, max, k2, m2, x2;
	int n = 0;

	if (cv->type == WFP_V4_ADDR_MASK) {
		if (c->match != WFP_MATCH_EQUAL)
			return -1;
		*dom = 1;
		s[0].a = (struct key){ 0, cv->v4.addr & cv->v4.mask };
		s[0].b = (struct key){ 0, (cv->v4.addr & cv->v4.mask) | (~cv->v4.mask & UINT32_MAX) };
		return 1;
	}
	if (cv->type == WFP_V6_ADDR_MASK) {
		uint64_t hi = be64(cv->v6.addr), lo = be64(cv->v6.addr + 8);
		unsigned p = cv->v6.prefix_len;
		uint64_t mh = p == 0 ? 0 : p >= 64 ? UINT64_MAX : ~0ULL << (64 - p);
		uint64_t ml = p <= 64 ? 0 : p >= 128 ? UINT64_MAX : ~0ULL << (128 - p);

		if (c->match != WFP_MATCH_EQUAL || p > 128)
			return -1;
		*dom = 2;
		s[0].a = (struct key){ hi & mh, lo & ml };
		s[0].b = (struct key){ (hi & mh) | ~mh, (lo & ml) | ~ml };
		return 1;
	}
	if (cv->type == WFP_RANGE) {
		if (c->match != WFP_MATCH_RANGE)
			return -1;
		*dom = vkey(&cv->range.low, &k, &min, &max);
		if (!*dom || vkey(&cv->range.high, &k2, &m2, &x2) != *dom)
			return -1;
		if (kcmp(k, k2) > 0)
			return 0;
		s[0].a = k, s[0].b = k2;
		return 1;
	}
	if (cv->type > WFP_SINGLE_DATA_TYPE_MAX)
		return -1;
	*dom = vkey(&cv->v, &k, &min, &max);
	if (!*dom)
		return -1;
	switch (c->match) {
	case WFP_MATCH_EQUAL:
		s[n].a = s[n].b = k, n++;
		break;
	case WFP_MATCH_GREATER:
		if (kcmp(k, max) < 0)
			s[n].a = kinc(k), s[n].b = max, n++;
		break;
	case WFP_MATCH_GREATER_OR_EQUAL:
		s[n].a = k, s[n].b = max, n++;
		break;
	case WFP_MATCH_LESS:
		if (kcmp(k, min) > 0)
			s[n].a = min, s[n].b = kdec(k), n++;
		break;
	case WFP_MATCH_LESS_OR_EQUAL:
		s[n].a = min, s[n].b = k, n++;
		break;
	case WFP_MATCH_NOT_EQUAL:
		if (kcmp(k, min) > 0)
			s[n].a = min, s[n].b = kdec(k), n++;
		if (kcmp(k, max) < 0)
			s[n].a = kinc(k), s[n].b = max, n++;
		break;
	default:
		return -1;
	}
	return n;
}

static bool same_cond(const struct wfp_filter_cond *a, const struct wfp_filter_cond *b)
{
	const struct wfp_cond_value *x = &a->value, *y = &b->value;

	if (a->field != b->field || a->match != b->match || x->type != y->type)
		return false;
	switch (x->type) {
	case WFP_V4_ADDR_MASK:
		return x->v4.addr == y->v4.addr && x->v4.mask == y->v4.mask;
	case WFP_V6_ADDR_MASK:
		return !memcmp(x->v6.addr, y->v6.addr, 16) &&
		       x->v6.prefix_len == y->v6.prefix_len;
	case WFP_RANGE:
		return false; /* ranges are intervals: compared as such */
	case WFP_BYTE_BLOB:
	case WFP_SID:
	case WFP_SECURITY_DESCRIPTOR:
	case WFP_UNICODE_STRING:
		return x->v.blob.size == y->v.blob.size &&
		       (!x->v.blob.size ||
			!memcmp(x->v.blob.data, y->v.blob.data, x->v.blob.size));
	case WFP_BYTE_ARRAY16:
		return !memcmp(x->v.a16, y->v.a16, 16);
	case WFP_BYTE_ARRAY6:
		return !memcmp(x->v.a6, y->v.a6, 6);
	case WFP_FLOAT:
		return x->v.f32 == y->v.f32;
	case WFP_DOUBLE:
		return x->v.f64 == y->v.f64;
	case WFP_UINT8:
	case WFP_INT8:
	case WFP_BITMAP_INDEX:
		return x->v.u8 == y->v.u8;
	case WFP_UINT16:
	case WFP_INT16:
		return x->v.u16 == y->v.u16;
	case WFP_UINT32:
	case WFP_INT32:
		return x->v.u32 == y->v.u32;
	case WFP_UINT64:
	case WFP_INT64:
	case WFP_BITMAP_ARRAY64:
		return x->v.u64 == y->v.u64;
	case WFP_EMPTY:
		return true;
	default:
		return false;
	}
}

/* A plain value tested for equality: decided exactly by the engine. */
static bool is_point(const struct wfp_filter_cond *t)
{
	return t->match == WFP_MATCH_EQUAL && t->value.type < WFP_SINGLE_DATA_TYPE_MAX &&
	       t->value.type != WFP_SECURITY_DESCRIPTOR;
}

/* Does the filter condition c accept the point value of t? */
static int point_in(unsigned layer, const struct wfp_filter_cond *c,
		    const struct wfp_filter_cond *t)
{
	struct wfp_ccond cc;
	bool r;

	if (wfp_ccond_build(&cc, layer, c))
		return -1;
	r = wfp_ccond_test(&cc, &t->value.v);
	wfp_ccond_fini(&cc);
	return r;
}

/* Is every span of t inside the union of the spans of g[0..n)? */
static bool spans_inside(const struct span *t, int nt, int tdom,
			 const struct wfp_filter_cond *g, uint32_t n)
{
	struct span u[2 * WFP_MAX_CONDITIONS];
	int nu = 0;

	for (uint32_t i = 0; i < n; i++) {
		int dom, k = spans(&g[i], &u[nu], &dom);

		if (k > 0 && dom == tdom)
			nu += k;
	}
	/* insertion sort by start, then sweep */
	for (int i = 1; i < nu; i++) {
		struct span x = u[i];
		int j = i - 1;

		for (; j >= 0 && kcmp(u[j].a, x.a) > 0; j--)
			u[j + 1] = u[j];
		u[j + 1] = x;
	}
	for (int i = 0; i < nt; i++) {
		struct key need = t[i].a;
		bool done = false;

		for (int j = 0; j < nu && !done; j++) {
			if (kcmp(u[j].a, need) > 0)
				break;
			if (kcmp(u[j].b, need) < 0)
				continue;
			if (kcmp(u[j].b, t[i].b) >= 0)
				done = true;
			else
				need = kinc(u[j].b);
		}
		if (!done)
			return false;
	}
	return true;
}

/*
 * For one template condition t and the filter's conditions g[0..n) on the
 * same field: does the filter's set contain (want_all) or meet t's set?
 */
static bool field_test(unsigned layer, const struct wfp_filter_cond *t,
		       const struct wfp_filter_cond *g, uint32_t n, bool want_all)
{
	struct span ts[2], cs[2];
	int nt, tdom;

	if (n == 0)
		return true; /* no condition: the filter takes every value */
	if (is_point(t)) {
		for (uint32_t i = 0; i < n; i++)
			if (point_in(layer, &g[i], t) > 0)
				return true;
		return false;
	}
	for (uint32_t i = 0; i < n; i++)
		if (same_cond(t, &g[i]))
			return true;
	nt = spans(t, ts, &tdom);
	if (nt < 0)
		return !want_all; /* undecidable: "no" for containment */
	if (nt == 0)
		return want_all; /* the empty set is in everything, meets nothing */
	if (want_all)
		return spans_inside(ts, nt, tdom, g, n);
	for (uint32_t i = 0; i < n; i++) {
		int dom, k = spans(&g[i], cs, &dom);

		if (k < 0)
			return true; /* undecidable: maybe */
		for (int a = 0; dom == tdom && a < nt; a++)
			for (int b = 0; b < k; b++)
				if (kcmp(ts[a].a, cs[b].b) <= 0 && kcmp(cs[b].a, ts[a].b) <= 0)
					return true;
	}
	return false;
}

/* The filter's view that templates are tested against. */
struct fview {
	uint16_t layer;
	const struct wfp_guid *provider; /* zero: none */
	uint32_t flags;
	uint32_t action;
	const struct wfp_guid *action_key;
	uint32_t ncond;
	const struct wfp_filter_cond *cond;
};

static bool conds_match(const struct f_tmpl *t, const struct fview *f)
{
	bool all = t->enum_type == FWP_FILTER_ENUM_FULLY_CONTAINED;
	const struct wfp_filter_cond *g;

	if (t->ncond == 0)
		return true; /* no template condition: every filter */

	for (uint32_t i = 0; i < t->ncond; i++) {
		const struct wfp_filter_cond *tc = &t->cond[i];
		struct wfp_filter_cond grp[WFP_MAX_CONDITIONS];
		uint32_t n = 0;

		for (uint32_t j = 0; j < f->ncond; j++)
			if (f->cond[j].field == tc->field)
				grp[n++] = f->cond[j];
		g = grp;
		if (!field_test(f->layer, tc, g, n, all))
			return false;
	}
	if (!all)
		return true;
	/* a field the filter restricts and the template does not: the
	 * filter does not take all of the template's traffic */
	for (uint32_t j = 0; j < f->ncond; j++) {
		bool named = false;

		for (uint32_t i = 0; i < t->ncond && !named; i++)
			named = t->cond[i].field == f->cond[j].field;
		if (!named)
			return false;
	}
	return true;
}

static bool tmpl_match(const struct f_tmpl *t, const struct fview *f)
{
	bool boot = f->flags & WFP_FILTER_F_BOOTTIME;

	if (!t)
		return !boot;
	if (t->no_match)
		return false;
	if (!t->any_layer && f->layer != t->layer)
		return false;
	if (t->has_provider && !wfp_guid_eq(f->provider, &t->provider))
		return false;
	if (t->flags & FWP_FILTER_ENUM_FLAG_BOOTTIME_ONLY) {
		if (!boot)
			return false;
	} else if (boot && !(t->flags & FWP_FILTER_ENUM_FLAG_INCLUDE_BOOTTIME)) {
		return false;
	}
	if ((f->flags & WFP_FILTER_F_DISABLED) &&
	    !(t->flags & FWP_FILTER_ENUM_FLAG_INCLUDE_DISABLED))
		return false;
	if (!(f->action & t->action_mask))
		return false;
	if (t->has_callout && (!(f->action & WFP_ACTION_FLAG_CALLOUT) ||
			       !wfp_guid_eq(f->action_key, &t->callout)))
		return false;
	return conds_match(t, f);
}

static void fview_of(const struct wfp_filter *f, struct fview *v)
{
	v->layer = f->layer;
	v->provider = &f->provider_key;
	v->flags = f->flags;
	v->action = f->action.type;
	v->action_key = &f->action.key;
	v->ncond = f->ncond;
	v->cond = f->cond;
}

static void tmpl_free(struct f_tmpl *t)
{
	if (t)
		fwpm_root_free(t->root);
}

/* FWPM_FILTER_ENUM_TEMPLATE0 -> *out (allocated; NULL for a NULL in). */
static int tmpl_from_win(const FWPM_FILTER_ENUM_TEMPLATE0 *in, struct f_tmpl **out)
{
	struct f_tmpl *t;
	void *root;
	int ret;

	*out = NULL;
	if (!in)
		return 0;
	if (in->enumType >= FWP_FILTER_ENUM_TYPE_MAX)
		return -WFP_E_INVALID_ENUMERATOR;
	if (in->flags & ~(uint32_t)0x1F)
		return -WFP_E_INVALID_FLAGS;
	if (in->numFilterConditions > WFP_MAX_CONDITIONS)
		return -WFP_E_OUT_OF_BOUNDS;
	if (in->numFilterConditions && !in->filterCondition)
		return -WFP_E_NULL_POINTER;
	root = fwpm_root(sizeof(*t));
	if (!root)
		return -WFP_E_NOMEM;
	t = root;
	t->root = root;
	{
		GUID zero;
		struct wfp_guid lk;

		memset(&zero, 0, sizeof(zero));
		t->any_layer = !memcmp(&in->layerKey, &zero, sizeof(zero));
		wfp_guid_from_win(&in->layerKey, &lk);
		ret = t->any_layer ? 0 : wfp_layer_by_guid(&lk);
		if (ret < 0)
			goto out_free;
		t->layer = (uint16_t)ret;
	}
	if (in->providerKey) {
		t->has_provider = true;
		wfp_guid_from_win(in->providerKey, &t->provider);
	}
	if (in->calloutKey) {
		t->has_callout = true;
		wfp_guid_from_win(in->calloutKey, &t->callout);
	}
	t->enum_type = in->enumType;
	t->flags = in->flags;
	t->no_match = in->providerContextTemplate != NULL;
	t->action_mask = in->actionMask;
	t->ncond = in->numFilterConditions;
	ret = -WFP_E_NOMEM;
	t->cond = fwpm_kid(root, (t->ncond ? t->ncond : 1) * sizeof(*t->cond));
	if (!t->cond)
		goto out_free;
	for (uint32_t i = 0; i < t->ncond; i++) {
		ret = fwpm_cond_from_win(root, &in->filterCondition[i], &t->cond[i]);
		if (ret)
			goto out_free;
		for (uint32_t j = 0; j < i; j++) {
			if (t->cond[j].field == t->cond[i].field) {
				ret = -WFP_E_DUPLICATE_CONDITION;
				goto out_free;
			}
		}
		if (!t->any_layer && (ret = wfp_cond_check(t->layer, &t->cond[i])))
			goto out_free;
		/* the value must outlive the conversion root's strings: it
		 * does, both live in root */
	}
	*out = t;
	return 0;

out_free:
	fwpm_root_free(root);
	return ret;
}

/* ---- filter enumeration ---- */

static void enum_free(struct fwpm_enum *en)
{
	if (!en)
		return;
	en->magic = 0;
	wfp_filter_array_free(en->filters, en->n);
	wfp_free_memory(en->events);
	wfp_free(en);
}

static struct fwpm_enum *enum_get(struct fwpm_handle *h, HANDLE e, enum enum_kind k)
{
	for (struct fwpm_enum *p = h->enums; p; p = p->next)
		if (p == e && p->magic == ENUM_MAGIC && p->kind == k)
			return p;
	return NULL;
}

void fwpm_enums_free(struct fwpm_handle *h)
{
	while (h->enums) {
		struct fwpm_enum *en = h->enums;

		h->enums = en->next;
		enum_free(en);
	}
}

/* Keep only the first terminating filter of each layer (the array is in
 * arbitration order). */
static size_t best_terminating(struct wfp_filter **a, size_t n)
{
	size_t k = 0;
	int last_layer = -1;

	for (size_t i = 0; i < n; i++) {
		bool term = a[i]->action.type & WFP_ACTION_FLAG_TERMINATING;

		if (term && a[i]->layer != last_layer) {
			last_layer = a[i]->layer;
			a[k++] = a[i];
		} else {
			wfp_filter_free(a[i]);
		}
	}
	return k;
}

WFP_API DWORD FwpmFilterCreateEnumHandle0(HANDLE engineHandle,
					  const FWPM_FILTER_ENUM_TEMPLATE0 *enumTemplate,
					  HANDLE *enumHandle)
{
	struct wfp_filter_enum_template nt = { 0 };
	struct wfp_filter **a = NULL;
	struct fwpm_handle *h;
	struct fwpm_enum *en;
	struct f_tmpl *t;
	size_t n = 0, k = 0;
	int ret;

	if (!enumHandle)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*enumHandle = NULL;
	ret = tmpl_from_win(enumTemplate, &t);
	if (ret)
		return fwpm_ret(ret);
	if (t && !t->any_layer) {
		nt.flags |= WFP_ENUM_F_LAYER;
		nt.layer = t->layer;
	}
	if (t && t->has_provider) {
		nt.flags |= WFP_ENUM_F_PROVIDER;
		nt.provider_key = t->provider;
	}
	en = wfp_calloc(1, sizeof(*en));
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		wfp_free(en);
		tmpl_free(t);
		return ERROR_INVALID_HANDLE;
	}
	ret = en ? wfp_filter_enum(h->s, &nt, &a, &n) : -WFP_E_NOMEM;
	if (ret == 0) {
		for (size_t i = 0; i < n; i++) {
			struct fview v;

			fview_of(a[i], &v);
			if (tmpl_match(t, &v))
				a[k++] = a[i];
			else
				wfp_filter_free(a[i]);
		}
		if (t && (t->flags & FWP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH))
			k = best_terminating(a, k);
		en->magic = ENUM_MAGIC;
		en->kind = K_FILTER;
		en->owner = h;
		en->filters = a;
		en->n = k;
		en->next = h->enums;
		h->enums = en;
		*enumHandle = en;
	} else {
		wfp_free(en);
	}
	fwpm_unlock();
	tmpl_free(t);
	return fwpm_ret(ret);
}

WFP_API DWORD FwpmFilterEnum0(HANDLE engineHandle, HANDLE enumHandle,
			      UINT32 numEntriesRequested, FWPM_FILTER0 ***entries,
			      UINT32 *numEntriesReturned)
{
	struct fwpm_handle *h;
	struct fwpm_enum *en;
	FWPM_FILTER0 **out;
	size_t n;
	int ret = 0;

	if (!entries || !numEntriesReturned)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*entries = NULL;
	*numEntriesReturned = 0;
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	en = h ? enum_get(h, enumHandle, K_FILTER) : NULL;
	if (!en) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	n = en->n - en->pos;
	if (n > numEntriesRequested)
		n = numEntriesRequested;
	out = fwpm_root((n ? n : 1) * sizeof(*out));
	if (!out)
		ret = -WFP_E_NOMEM;
	for (size_t i = 0; !ret && i < n; i++) {
		out[i] = fwpm_kid(out, sizeof(**out));
		ret = out[i] ? fwpm_filter_to_win(out, en->filters[en->pos + i], out[i]) :
			       -WFP_E_NOMEM;
	}
	if (ret) {
		fwpm_root_free(out);
	} else {
		en->pos += n;
		*entries = out;
		*numEntriesReturned = (UINT32)n;
	}
	fwpm_unlock();
	return fwpm_ret(ret);
}

static DWORD enum_destroy(HANDLE engineHandle, HANDLE enumHandle, enum enum_kind k)
{
	struct fwpm_handle *h;
	struct fwpm_enum *en;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	en = h ? enum_get(h, enumHandle, k) : NULL;
	if (en) {
		for (struct fwpm_enum **pp = &h->enums; *pp; pp = &(*pp)->next) {
			if (*pp == en) {
				*pp = en->next;
				break;
			}
		}
		enum_free(en);
	}
	fwpm_unlock();
	return en ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
}

WFP_API DWORD FwpmFilterDestroyEnumHandle0(HANDLE engineHandle, HANDLE enumHandle)
{
	return enum_destroy(engineHandle, enumHandle, K_FILTER);
}

/* ---- net events ---- */

/* 100-ns intervals between 1601-01-01 and 1970-01-01 */
#define EPOCH_DIFF 116444736000000000ULL

static uint64_t ft_of(const FILETIME *ft)
{
	return (uint64_t)ft->dwHighDateTime << 32 | ft->dwLowDateTime;
}

static uint64_t ev_time(const struct wfp_netevent *ev)
{
	return ev->time_ns / 100 + EPOCH_DIFF;
}

static void ev_tmpl_fini(struct ev_tmpl *t)
{
	for (uint32_t i = 0; i < t->ncond; i++)
		wfp_cond_value_fini(&t->cc[i].val);
	wfp_free(t->cc);
	memset(t, 0, sizeof(*t));
}

static bool ev_field_ok(unsigned f)
{
	return f == WFP_FIELD_IP_PROTOCOL || f == WFP_FIELD_IP_LOCAL_ADDRESS ||
	       f == WFP_FIELD_IP_REMOTE_ADDRESS || f == WFP_FIELD_IP_LOCAL_PORT ||
	       f == WFP_FIELD_IP_REMOTE_PORT || f == WFP_FIELD_ALE_APP_ID;
}

static int ev_tmpl_from_win(const FWPM_NET_EVENT_ENUM_TEMPLATE0 *in, struct ev_tmpl *t)
{
	void *tmp;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (!in)
		return 0;
	if (in->numFilterConditions > WFP_MAX_CONDITIONS)
		return -WFP_E_OUT_OF_BOUNDS;
	if (in->numFilterConditions && !in->filterCondition)
		return -WFP_E_NULL_POINTER;
	t->start = ft_of(&in->startTime);
	t->end = ft_of(&in->endTime);
	if (!in->numFilterConditions)
		return 0;
	tmp = fwpm_root(0);
	t->cc = wfp_calloc(in->numFilterConditions, sizeof(*t->cc));
	if (!tmp || !t->cc) {
		fwpm_root_free(tmp);
		wfp_free(t->cc);
		t->cc = NULL;
		return -WFP_E_NOMEM;
	}
	for (uint32_t i = 0; !ret && i < in->numFilterConditions; i++) {
		struct wfp_filter_cond c;

		ret = fwpm_cond_from_win(tmp, &in->filterCondition[i], &c);
		if (ret)
			break;
		if (!ev_field_ok(c.field)) {
			ret = -WFP_E_CONDITION_NOT_FOUND;
			break;
		}
		if (c.match >= WFP_MATCH_MAX) {
			ret = -WFP_E_INVALID_ENUMERATOR;
			break;
		}
		if (c.value.type == WFP_SECURITY_DESCRIPTOR) {
			ret = -WFP_E_TYPE_MISMATCH;
			break;
		}
		t->cc[i].field = c.field;
		t->cc[i].match = c.match;
		ret = wfp_cond_value_dup(&t->cc[i].val, &c.value);
		if (ret == 0)
			t->ncond = i + 1;
	}
	fwpm_root_free(tmp);
	if (ret)
		ev_tmpl_fini(t);
	return ret;
}

/* The event's header value for field f, as an incoming value. */
static void ev_value(const struct wfp_netevent *ev, unsigned f, struct wfp_value *v)
{
	const uint8_t *a;

	memset(v, 0, sizeof(*v));
	switch (f) {
	case WFP_FIELD_IP_PROTOCOL:
		if (ev->flags & WFP_NET_EVENT_F_IP_PROTOCOL_SET)
			v->type = WFP_UINT8, v->u8 = ev->ip_protocol;
		break;
	case WFP_FIELD_IP_LOCAL_ADDRESS:
	case WFP_FIELD_IP_REMOTE_ADDRESS:
		if (f == WFP_FIELD_IP_LOCAL_ADDRESS) {
			if (!(ev->flags & WFP_NET_EVENT_F_LOCAL_ADDR_SET))
				break;
			a = ev->local_addr;
		} else {
			if (!(ev->flags & WFP_NET_EVENT_F_REMOTE_ADDR_SET))
				break;
			a = ev->remote_addr;
		}
		if (ev->ip_version == 6) {
			v->type = WFP_BYTE_ARRAY16;
			memcpy(v->a16, a, 16);
		} else {
			v->type = WFP_UINT32;
			v->u32 = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
				 (uint32_t)a[2] << 8 | a[3];
		}
		break;
	case WFP_FIELD_IP_LOCAL_PORT:
		if (ev->flags & WFP_NET_EVENT_F_LOCAL_PORT_SET)
			v->type = WFP_UINT16, v->u16 = ev->local_port;
		break;
	case WFP_FIELD_IP_REMOTE_PORT:
		if (ev->flags & WFP_NET_EVENT_F_REMOTE_PORT_SET)
			v->type = WFP_UINT16, v->u16 = ev->remote_port;
		break;
	case WFP_FIELD_ALE_APP_ID:
		if (ev->flags & WFP_NET_EVENT_F_APP_ID_SET) {
			v->type = WFP_BYTE_BLOB;
			v->blob.data = (const uint8_t *)ev->app_id;
			v->blob.size = (uint32_t)strnlen(ev->app_id, sizeof(ev->app_id));
		}
		break;
	}
}

/* AND across fields, OR among the conditions on one field (as filters). */
static bool ev_match(const struct ev_tmpl *t, const struct wfp_netevent *ev)
{
	uint64_t ts = ev_time(ev);

	if (ts < t->start || (t->end && ts > t->end))
		return false;
	for (uint32_t i = 0; i < t->ncond; i++) {
		bool any = false, seen = false;
		struct wfp_value v;

		for (uint32_t j = 0; j < i && !seen; j++)
			seen = t->cc[j].field == t->cc[i].field;
		if (seen)
			continue; /* its group was decided at its first member */
		ev_value(ev, t->cc[i].field, &v);
		for (uint32_t j = i; j < t->ncond && !any; j++)
			if (t->cc[j].field == t->cc[i].field)
				any = wfp_ccond_test(&t->cc[j], &v);
		if (!any)
			return false;
	}
	return true;
}

WFP_API DWORD FwpmNetEventCreateEnumHandle0(HANDLE engineHandle,
					    const FWPM_NET_EVENT_ENUM_TEMPLATE0 *enumTemplate,
					    HANDLE *enumHandle)
{
	struct wfp_netevent *ev = NULL;
	struct fwpm_handle *h;
	struct fwpm_enum *en;
	struct ev_tmpl t;
	size_t n = 0, k = 0;
	int ret;

	if (!enumHandle)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*enumHandle = NULL;
	ret = ev_tmpl_from_win(enumTemplate, &t);
	if (ret)
		return fwpm_ret(ret);
	en = wfp_calloc(1, sizeof(*en));
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	if (!h) {
		fwpm_unlock();
		wfp_free(en);
		ev_tmpl_fini(&t);
		return ERROR_INVALID_HANDLE;
	}
	ret = en ? wfp_netevent_enum(h->e, 0, &ev, &n) : -WFP_E_NOMEM;
	if (ret == 0) {
		for (size_t i = 0; i < n; i++)
			if (ev_match(&t, &ev[i]))
				ev[k++] = ev[i];
		en->magic = ENUM_MAGIC;
		en->kind = K_NETEVENT;
		en->owner = h;
		en->events = ev;
		en->n = k;
		en->next = h->enums;
		h->enums = en;
		*enumHandle = en;
	} else {
		wfp_free(en);
	}
	fwpm_unlock();
	ev_tmpl_fini(&t);
	return fwpm_ret(ret);
}

/* The header both versions share (HEADER1 begins with HEADER0's members). */
static void header_fill(const struct wfp_netevent *ev, FWPM_NET_EVENT_HEADER0 *o,
			FWP_BYTE_BLOB app, SID *user)
{
	uint64_t ft = ev_time(ev);

	o->timeStamp.dwLowDateTime = (DWORD)ft;
	o->timeStamp.dwHighDateTime = (DWORD)(ft >> 32);
	o->flags = ev->flags & 0x37F; /* libwfp's F_* bits are Windows' */
	o->ipVersion = ev->ip_version == 6 ? FWP_IP_VERSION_V6 :
		       ev->ip_version == 4 ? FWP_IP_VERSION_V4 : FWP_IP_VERSION_NONE;
	o->ipProtocol = ev->ip_protocol;
	if (ev->ip_version == 6) {
		memcpy(o->localAddrV6.byteArray16, ev->local_addr, 16);
		memcpy(o->remoteAddrV6.byteArray16, ev->remote_addr, 16);
	} else {
		const uint8_t *l = ev->local_addr, *r = ev->remote_addr;

		o->localAddrV4 = (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 |
				 (uint32_t)l[2] << 8 | l[3];
		o->remoteAddrV4 = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 |
				  (uint32_t)r[2] << 8 | r[3];
	}
	o->localPort = ev->local_port;
	o->remotePort = ev->remote_port;
	o->appId = app;
	o->userId = user;
}

static FWPM_NET_EVENT_TYPE ev_type(const struct wfp_netevent *ev)
{
	return ev->type == WFP_NET_EVENT_VETO ? FWPM_NET_EVENT_TYPE_OPENWFP_VETO :
	       (FWPM_NET_EVENT_TYPE)ev->type;
}

/* A SID with room for S-1-22-1-<uid>. */
struct uid_sid {
	SID sid;
	DWORD more[1];
};

static void uid_sid_fill(struct uid_sid *s, uint32_t uid)
{
	memset(s, 0, sizeof(*s));
	s->sid.Revision = 1;
	s->sid.SubAuthorityCount = 2;
	s->sid.IdentifierAuthority.Value[5] = 22; /* S-1-22: Unix users */
	s->sid.SubAuthority[0] = 1;
	s->more[0] = uid;
	_Static_assert(offsetof(struct uid_sid, more) ==
		       offsetof(SID, SubAuthority) + sizeof(DWORD),
		       "the second sub-authority follows the first");
}

/* Builds one FWPM_NET_EVENT1 in root (or on the stack when root is NULL:
 * then body, app and user point into the caller's storage). */
struct ev1_store {
	FWPM_NET_EVENT1 ev;
	FWPM_NET_EVENT_CLASSIFY_DROP1 body; /* same layout as CLASSIFY_ALLOW0 */
	struct uid_sid user;
};

static void ev1_fill(const struct wfp_netevent *ev, struct ev1_store *st, FWP_BYTE_BLOB app)
{
	memset(&st->ev, 0, sizeof(st->ev));
	uid_sid_fill(&st->user, ev->uid);
	header_fill(ev, (FWPM_NET_EVENT_HEADER0 *)&st->ev.header, app,
		    ev->flags & WFP_NET_EVENT_F_USER_ID_SET ? &st->user.sid : NULL);
	st->ev.type = ev_type(ev);
	memset(&st->body, 0, sizeof(st->body));
	st->body.filterId = ev->filter_id;
	st->body.layerId = ev->layer_id;
	st->body.reauthReason = ev->reauth_reason;
	st->body.msFwpDirection = ev->direction;
	st->body.isLoopback = ev->is_loopback;
	st->ev.classifyDrop = &st->body;
	_Static_assert(sizeof(FWPM_NET_EVENT_CLASSIFY_DROP1) ==
		       sizeof(FWPM_NET_EVENT_CLASSIFY_ALLOW0), "same body");
	_Static_assert(offsetof(FWPM_NET_EVENT_HEADER1, userId) ==
		       offsetof(FWPM_NET_EVENT_HEADER0, userId), "HEADER1 extends HEADER0");
}

static FWP_BYTE_BLOB app_of(const struct wfp_netevent *ev)
{
	FWP_BYTE_BLOB b = { 0, NULL };

	if ((ev->flags & WFP_NET_EVENT_F_APP_ID_SET) && ev->app_id[0]) {
		b.data = (UINT8 *)ev->app_id;
		b.size = (UINT32)strnlen(ev->app_id, sizeof(ev->app_id) - 1) + 1;
	}
	return b;
}

/* Copies the stack-built event into root. */
static int ev1_to_root(void *root, const struct wfp_netevent *ev, FWPM_NET_EVENT1 *o)
{
	struct ev1_store st;
	FWP_BYTE_BLOB app = app_of(ev);
	int err = 0;

	ev1_fill(ev, &st, app);
	*o = st.ev;
	if (app.size) {
		o->header.appId.data = fwpm_kid(root, app.size);
		if (!o->header.appId.data)
			return -WFP_E_NOMEM;
		memcpy(o->header.appId.data, app.data, app.size);
	}
	if (o->header.userId) {
		o->header.userId = fwpm_kid(root, sizeof(st.user));
		if (!o->header.userId)
			return -WFP_E_NOMEM;
		memcpy(o->header.userId, &st.user, sizeof(st.user));
	}
	o->classifyDrop = fwpm_kid(root, sizeof(st.body));
	if (!o->classifyDrop)
		return -WFP_E_NOMEM;
	*o->classifyDrop = st.body;
	return err;
}

static int ev0_from1(void *root, const FWPM_NET_EVENT1 *in, FWPM_NET_EVENT0 *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(&o->header, &in->header, sizeof(o->header));
	o->type = in->type;
	o->classifyDrop = fwpm_kid(root, sizeof(*o->classifyDrop));
	if (!o->classifyDrop)
		return -WFP_E_NOMEM;
	o->classifyDrop->filterId = in->classifyDrop->filterId;
	o->classifyDrop->layerId = in->classifyDrop->layerId;
	return 0;
}

/* FWPM_NET_EVENT0 has no allow body: version 0 skips allow events. */
static DWORD netevent_enum(HANDLE engineHandle, HANDLE enumHandle, UINT32 want,
			   void ***entries, UINT32 *numEntriesReturned, int version)
{
	struct fwpm_handle *h;
	struct fwpm_enum *en;
	size_t k = 0;
	void **out;
	int ret = 0;

	if (!entries || !numEntriesReturned)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*entries = NULL;
	*numEntriesReturned = 0;
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	en = h ? enum_get(h, enumHandle, K_NETEVENT) : NULL;
	if (!en) {
		fwpm_unlock();
		return ERROR_INVALID_HANDLE;
	}
	out = fwpm_root((want ? want : 1) * sizeof(*out));
	if (!out)
		ret = -WFP_E_NOMEM;
	while (!ret && k < want && en->pos < en->n) {
		const struct wfp_netevent *ev = &en->events[en->pos];
		FWPM_NET_EVENT1 *e1;

		if (version == 0 && ev->type == WFP_NET_EVENT_CLASSIFY_ALLOW) {
			en->pos++;
			continue;
		}
		e1 = fwpm_kid(out, sizeof(*e1));
		ret = e1 ? ev1_to_root(out, ev, e1) : -WFP_E_NOMEM;
		if (!ret && version == 0) {
			FWPM_NET_EVENT0 *e0 = fwpm_kid(out, sizeof(*e0));

			ret = e0 ? ev0_from1(out, e1, e0) : -WFP_E_NOMEM;
			out[k] = e0;
		} else {
			out[k] = e1;
		}
		if (!ret) {
			k++;
			en->pos++;
		}
	}
	if (ret) {
		fwpm_root_free(out);
	} else {
		*entries = out;
		*numEntriesReturned = (UINT32)k;
	}
	fwpm_unlock();
	return fwpm_ret(ret);
}

WFP_API DWORD FwpmNetEventEnum0(HANDLE engineHandle, HANDLE enumHandle,
				UINT32 numEntriesRequested, FWPM_NET_EVENT0 ***entries,
				UINT32 *numEntriesReturned)
{
	return netevent_enum(engineHandle, enumHandle, numEntriesRequested,
			     (void ***)entries, numEntriesReturned, 0);
}

WFP_API DWORD FwpmNetEventEnum1(HANDLE engineHandle, HANDLE enumHandle,
				UINT32 numEntriesRequested, FWPM_NET_EVENT1 ***entries,
				UINT32 *numEntriesReturned)
{
	return netevent_enum(engineHandle, enumHandle, numEntriesRequested,
			     (void ***)entries, numEntriesReturned, 1);
}

WFP_API DWORD FwpmNetEventDestroyEnumHandle0(HANDLE engineHandle, HANDLE enumHandle)
{
	return enum_destroy(engineHandle, enumHandle, K_NETEVENT);
}

/* ---- subscriptions ---- */

static void sub_free(struct fwpm_sub *s)
{
	s->magic = 0;
	ev_tmpl_fini(&s->et);
	tmpl_free(s->ft);
	wfp_free(s->ids);
	wfp_free(s);
}

static void sub_cancel(struct fwpm_sub *s)
{
	if (s->kind == S_NETEVENT)
		wfp_netevent_unsubscribe(s->owner->e, s->native_id);
	else
		wfp_change_unsubscribe(s->owner->s, s->native_id);
}

void fwpm_subs_free(struct fwpm_handle *h)
{
	while (h->subs) {
		struct fwpm_sub *s = h->subs;

		h->subs = s->next;
		sub_cancel(s);
		sub_free(s);
	}
}

static struct fwpm_sub *sub_get(struct fwpm_handle *h, HANDLE x, enum sub_kind k)
{
	for (struct fwpm_sub *p = h->subs; p; p = p->next)
		if (p == x && p->magic == SUB_MAGIC && p->kind == k)
			return p;
	return NULL;
}

static DWORD unsubscribe(HANDLE engineHandle, HANDLE x, enum sub_kind k)
{
	struct fwpm_handle *h;
	struct fwpm_sub *s;

	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	s = h ? sub_get(h, x, k) : NULL;
	if (s) {
		for (struct fwpm_sub **pp = &h->subs; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
		sub_cancel(s);
		sub_free(s);
	}
	fwpm_unlock();
	return s ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
}

/* Runs on the reporter's thread, inside wfp_netevent_report(). */
static void on_netevent(void *ctx, const struct wfp_netevent *ev)
{
	struct fwpm_sub *s = ctx;
	struct ev1_store st;

	fwpm_lock();
	if (s->magic == SUB_MAGIC && ev_match(&s->et, ev)) {
		ev1_fill(ev, &st, app_of(ev));
		s->ev_fn(s->ctx, &st.ev);
	}
	fwpm_unlock();
}

WFP_API DWORD FwpmNetEventSubscribe0(HANDLE engineHandle,
				     const FWPM_NET_EVENT_SUBSCRIPTION0 *subscription,
				     FWPM_NET_EVENT_CALLBACK0 callback, void *context,
				     HANDLE *eventsHandle)
{
	struct fwpm_handle *h;
	struct fwpm_sub *s;
	int ret;

	if (!subscription || !callback || !eventsHandle)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*eventsHandle = NULL;
	s = wfp_calloc(1, sizeof(*s));
	if (!s)
		return ERROR_NOT_ENOUGH_MEMORY;
	ret = ev_tmpl_from_win(subscription->enumTemplate, &s->et);
	if (ret) {
		wfp_free(s);
		return fwpm_ret(ret);
	}
	s->magic = SUB_MAGIC;
	s->kind = S_NETEVENT;
	s->ev_fn = callback;
	s->ctx = context;
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	ret = h ? wfp_netevent_subscribe(h->e, on_netevent, s) : 0;
	if (!h || ret < 0) {
		fwpm_unlock();
		sub_free(s);
		return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
	}
	s->native_id = ret;
	s->owner = h;
	s->next = h->subs;
	h->subs = s;
	fwpm_unlock();
	*eventsHandle = s;
	return ERROR_SUCCESS;
}

WFP_API DWORD FwpmNetEventUnsubscribe0(HANDLE engineHandle, HANDLE eventsHandle)
{
	return unsubscribe(engineHandle, eventsHandle, S_NETEVENT);
}

static void fview_of_obj(const struct filter_obj *f, struct fview *v)
{
	static const struct wfp_guid zero;

	v->layer = f->layer;
	v->provider = f->provider ? &f->provider->h.key : &zero;
	v->flags = f->h.flags;
	v->action = f->action.type;
	v->action_key = &f->action.key;
	v->ncond = f->ncond;
	v->cond = f->cond;
}

static int ids_add(struct fwpm_sub *s, uint64_t id)
{
	if (s->nids == s->capids) {
		size_t cap = s->capids ? 2 * s->capids : 16;
		uint64_t *n = wfp_realloc(s->ids, cap * sizeof(*n));

		if (!n)
			return -WFP_E_NOMEM;
		s->ids = n;
		s->capids = cap;
	}
	s->ids[s->nids++] = id;
	return 0;
}

/* Removes id; false if the subscription never matched it. */
static bool ids_take(struct fwpm_sub *s, uint64_t id)
{
	for (size_t i = 0; i < s->nids; i++) {
		if (s->ids[i] == id) {
			s->ids[i] = s->ids[--s->nids];
			return true;
		}
	}
	return false;
}

/* The live filters a templated subscription starts with. */
static int ids_init(struct fwpm_sub *s, const struct wfp_engine *e)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		for (const struct filter_obj *f = e->layer_head[l]; f; f = f->layer_next) {
			struct fview v;
			int ret;

			fview_of_obj(f, &v);
			if (tmpl_match(s->ft, &v) && (ret = ids_add(s, f->id)))
				return ret;
		}
	}
	return 0;
}

/*
 * Runs after the commit that made the change.  With a template, an added
 * filter is compared with it (read from the engine's live objects: the
 * committing session still holds the lock, so a management read would
 * time out) and remembered when it matches; a deleted filter -- gone by
 * now -- is reported only if it was remembered.  A filter whose id could
 * not be remembered for lack of memory is reported on add, not on delete.
 */
static void on_change(void *ctx, const struct wfp_change *c)
{
	struct fwpm_sub *s = ctx;
	FWPM_FILTER_CHANGE0 ch;

	fwpm_lock();
	if (s->magic != SUB_MAGIC || c->object != WFP_OBJECT_FILTER)
		goto out_unlock;
	if (s->ft && c->change == WFP_CHANGE_ADD) {
		const struct filter_obj *f = wfp_filter_find_id(s->owner->e, c->id);
		struct fview v;

		if (!f)
			goto out_unlock;
		fview_of_obj(f, &v);
		if (!tmpl_match(s->ft, &v))
			goto out_unlock;
		ids_add(s, c->id);
	} else if (s->ft && !ids_take(s, c->id)) {
		goto out_unlock;
	}
	if (!(s->flags & (c->change == WFP_CHANGE_ADD ? FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_ADD :
			  FWPM_SUBSCRIPTION_FLAG_NOTIFY_ON_DELETE)))
		goto out_unlock;
	memset(&ch, 0, sizeof(ch));
	ch.changeType = c->change == WFP_CHANGE_ADD ? FWPM_CHANGE_ADD : FWPM_CHANGE_DELETE;
	wfp_guid_to_win(&c->key, &ch.filterKey);
	ch.filterId = c->id;
	s->ch_fn(s->ctx, &ch);
out_unlock:
	fwpm_unlock();
}

WFP_API DWORD FwpmFilterSubscribeChanges0(HANDLE engineHandle,
					  const FWPM_FILTER_SUBSCRIPTION0 *subscription,
					  FWPM_FILTER_CHANGE_CALLBACK0 callback,
					  void *context, HANDLE *changeHandle)
{
	uint32_t flags = 0;
	struct fwpm_handle *h;
	struct fwpm_sub *s;
	int ret;

	if (!subscription || !callback || !changeHandle)
		return fwpm_ret(-WFP_E_NULL_POINTER);
	*changeHandle = NULL;
	if (subscription->flags & ~(uint32_t)3)
		return fwpm_ret(-WFP_E_INVALID_FLAGS);
	/* no flag: both, as WFP's default */
	flags = subscription->flags ? subscription->flags :
		WFP_SUBSCRIBE_ON_ADD | WFP_SUBSCRIBE_ON_DELETE;
	s = wfp_calloc(1, sizeof(*s));
	if (!s)
		return ERROR_NOT_ENOUGH_MEMORY;
	ret = tmpl_from_win(subscription->enumTemplate, &s->ft);
	if (ret) {
		wfp_free(s);
		return fwpm_ret(ret);
	}
	s->magic = SUB_MAGIC;
	s->kind = S_FILTER;
	s->ch_fn = callback;
	s->ctx = context;
	s->flags = flags;
	fwpm_lock();
	h = fwpm_handle_get(engineHandle);
	ret = h && s->ft ? ids_init(s, h->e) : 0;
	/* both kinds from the engine: a templated subscription follows
	 * adds to recognise the deletes it must report */
	if (h && ret == 0)
		ret = wfp_change_subscribe(h->s, WFP_OBJECT_FILTER,
					   WFP_SUBSCRIBE_ON_ADD | WFP_SUBSCRIBE_ON_DELETE,
					   on_change, s);
	if (!h || ret < 0) {
		fwpm_unlock();
		sub_free(s);
		return h ? fwpm_ret(ret) : ERROR_INVALID_HANDLE;
	}
	s->native_id = ret;
	s->owner = h;
	s->next = h->subs;
	h->subs = s;
	fwpm_unlock();
	*changeHandle = s;
	return ERROR_SUCCESS;
}

WFP_API DWORD FwpmFilterUnsubscribeChanges0(HANDLE engineHandle, HANDLE changeHandle)
{
	return unsubscribe(engineHandle, changeHandle, S_FILTER);
}
