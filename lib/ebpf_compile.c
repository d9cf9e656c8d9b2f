/* SPDX-License-Identifier: MIT */
/*
 * ebpf_compile.c - the published ALE layers as the eBPF back end's map
 * value (struct wfp_ale_policy, include/wfp/wfp_ebpf.h).
 *
 * Input is what wfp_classify() walks: compile.c's per-layer arrays, in
 * arbitration order (sublayer weight desc, filter weight desc, id asc).
 * Output is the same order as a run of "steps", one per condition, that
 * bpf/wfp_ale.bpf.c walks filter by filter, step by step:
 *
 *   filter f1 {LPORT == 80 or LPORT == 81, APP == curl}   block
 *   filter f2 {}                                            permit
 *
 *   step 0  f1 FIRST|GROUP  LPORT EQ 80
 *   step 1  f1              LPORT EQ 81
 *   step 2  f1 GROUP|LAST   APP EQ #1        (#1: interned "/usr/bin/curl")
 *   step 3  f2 FIRST|GROUP|LAST TRUE
 *
 * f1.next_pc = 3 (where a failing f1 goes), and both filters'
 * sub_end_pc = 4 (where a decided sublayer goes).  The layer's list holds
 * every filter's first step (0, 3); an index (build_index below) adds
 * shorter lists of the filters that can match one value.
 *
 * A filter the kernel cannot evaluate keeps its place as one TRUE step
 * flagged DEFER (or CALLOUT), so the kernel defers exactly when libwfp
 * would have had to look at it (docs/internals/ebpf.md "What defers").
 */
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp_ebpf.h>

#include "internal.h"

static const uint16_t klayers[WFP_KL_MAX] = {
	[WFP_KL_BIND4] = WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4,
	[WFP_KL_BIND6] = WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V6,
	[WFP_KL_LISTEN4] = WFP_LAYER_ALE_AUTH_LISTEN_V4,
	[WFP_KL_LISTEN6] = WFP_LAYER_ALE_AUTH_LISTEN_V6,
	[WFP_KL_ACCEPT4] = WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4,
	[WFP_KL_ACCEPT6] = WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V6,
	[WFP_KL_CONNECT4] = WFP_LAYER_ALE_AUTH_CONNECT_V4,
	[WFP_KL_CONNECT6] = WFP_LAYER_ALE_AUTH_CONNECT_V6,
};

static const uint16_t kfields[WFP_KS_MAX] = {
	[WFP_KS_APP] = WFP_FIELD_ALE_APP_ID,
	[WFP_KS_USER] = WFP_FIELD_ALE_USER_ID,
	[WFP_KS_LADDR] = WFP_FIELD_IP_LOCAL_ADDRESS,
	[WFP_KS_LPORT] = WFP_FIELD_IP_LOCAL_PORT,
	[WFP_KS_PROTO] = WFP_FIELD_IP_PROTOCOL,
	[WFP_KS_RADDR] = WFP_FIELD_IP_REMOTE_ADDRESS,
	[WFP_KS_RPORT] = WFP_FIELD_IP_REMOTE_PORT,
};

WFP_API int wfp_ebpf_layer(unsigned klayer)
{
	return klayer < WFP_KL_MAX ? klayers[klayer] : -1;
}

WFP_API int wfp_ebpf_klayer(unsigned layer)
{
	for (unsigned k = 0; k < WFP_KL_MAX; k++)
		if (klayers[k] == layer)
			return (int)k;
	return -1;
}

WFP_API int wfp_ebpf_field(unsigned kslot)
{
	return kslot < WFP_KS_MAX ? kfields[kslot] : -1;
}

static int kslot_of(unsigned field)
{
	for (unsigned k = 0; k < WFP_KS_MAX; k++)
		if (kfields[k] == field)
			return (int)k;
	return -1;
}

/* ---- values ---- */

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void from_a16(struct wfp_ale_val *out, const uint8_t a[16])
{
	out->hi = be64(a);
	out->lo = be64(a + 8);
}

/* A scalar incoming-typed value of slot ks as (hi, lo); -1 if the type is
 * not the one the kernel slot carries. */
static int scalar(const struct wfp_value *v, int ks, bool v6, struct wfp_ale_val *out)
{
	memset(out, 0, sizeof(*out));
	switch (ks) {
	case WFP_KS_LADDR:
	case WFP_KS_RADDR:
		if (v6 && v->type == WFP_BYTE_ARRAY16) {
			from_a16(out, v->a16);
			return 0;
		}
		if (!v6 && v->type == WFP_UINT32) {
			out->lo = v->u32;
			return 0;
		}
		return -1;
	case WFP_KS_LPORT:
	case WFP_KS_RPORT:
		if (v->type != WFP_UINT16)
			return -1;
		out->lo = v->u16;
		return 0;
	case WFP_KS_PROTO:
		if (v->type != WFP_UINT8)
			return -1;
		out->lo = v->u8;
		return 0;
	default:
		return -1;
	}
}

/* Trailing NULs do not count in app ids (docs/internals/conditions.md). */
static size_t app_len(const struct wfp_blob *b)
{
	size_t n = b->size;

	while (n > 0 && b->data[n - 1] == 0)
		n--;
	return n;
}

struct ctx {
	struct wfp_ale_policy *p;
	wfp_ebpf_intern_fn intern;
	void *ictx;
	int err;	/* a hard error (intern failed) */
};

/* ALE_USER_ID: keep the ACEs that can decide FWP_ACTRL_MATCH_FILTER, as
 * kinds the kernel tests against the socket owner's token.  The first
 * applicable one decides (lib/sd.c); ACEs naming SIDs no Linux token
 * holds (LS, NS, capabilities, domains) are dropped. */
static int sd_aces(struct ctx *x, const struct wfp_sd *sd, struct wfp_ale_cond *c)
{
	struct wfp_ale_policy *p = x->p;
	unsigned n = wfp_sd_ace_count(sd);

	if (!wfp_sd_has_dacl(sd)) {
		c->sd_nodacl = 1;
		return 0;
	}
	c->ace_first = (uint16_t)p->nace;
	for (unsigned k = 0; k < n; k++) {
		struct wfp_ale_sdace a = { 0 };
		struct wfp_sid sid;
		uint32_t mask;
		bool deny;

		if (wfp_sd_ace(sd, k, &deny, &mask, &sid) || !(mask & 1) ||
		    wfp_sd_ace_inherit_only(sd, k))
			continue;
		a.deny = deny;
		if (sid.auth == 22 && sid.nsub == 2 && (sid.sub[0] == 1 || sid.sub[0] == 2)) {
			a.kind = sid.sub[0] == 1 ? WFP_ACE_UID : WFP_ACE_GID;
			a.id = sid.sub[1];
		} else if (sid.auth == 1 && sid.nsub == 1 && sid.sub[0] == 0) {
			a.kind = WFP_ACE_ANY;
		} else if (sid.auth == 5 && ((sid.nsub == 1 && sid.sub[0] == 11) ||
			   (sid.nsub == 2 && sid.sub[0] == 32 && sid.sub[1] == 545))) {
			a.kind = WFP_ACE_NOT_NOBODY;
		} else if (sid.auth == 5 && sid.nsub == 1 && sid.sub[0] == 7) {
			a.kind = WFP_ACE_NOBODY;
		} else if (sid.auth == 5 && sid.nsub == 1 && sid.sub[0] == 18) {
			a.kind = WFP_ACE_UID; /* SY */
			a.id = 0;
		} else if (sid.auth == 5 && sid.nsub == 2 && sid.sub[0] == 32 &&
			   sid.sub[1] == 544) {
			a.kind = WFP_ACE_GID; /* BA */
			a.id = 0;
		} else {
			continue; /* held by no Linux token */
		}
		if (c->nace >= WFP_ALE_MAX_SDACE)
			return -1; /* defer */
		if (p->nace >= WFP_ALE_MAX_ACE)
			return -WFP_E_LIMIT;
		p->ace[p->nace++] = a;
		c->nace++;
	}
	return 0;
}

/* One condition as a step; 1 if the kernel cannot evaluate it, <0 on a
 * hard error. */
static int cond_step(struct ctx *x, unsigned layer, const struct wfp_ccond *cc,
		     struct wfp_ale_cond *c)
{
	const struct wfp_cond_value *cv = &cc->val;
	bool v6 = wfp_layer_flags(layer) & WFP_LAYER_F_V6;
	int ks = kslot_of(cc->field);

	if (ks < 0)
		return 1;
	c->slot = (uint8_t)ks;
	if (cv->type == WFP_EMPTY) {
		if (cc->match != WFP_MATCH_EQUAL && cc->match != WFP_MATCH_NOT_EQUAL)
			return 1;
		c->op = WFP_OP_EMPTY;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		return 0;
	}
	if (ks == WFP_KS_APP) {
		uint32_t idx = UINT32_MAX; /* no kernel path can have it */
		size_t n;
		int ret;

		if (cv->type != WFP_BYTE_BLOB || (cc->match != WFP_MATCH_EQUAL &&
						  cc->match != WFP_MATCH_NOT_EQUAL))
			return 1;
		n = app_len(&cv->v.blob);
		if (n > 0 && n < WFP_ALE_PATH_MAX && !memchr(cv->v.blob.data, 0, n)) {
			ret = x->intern(x->ictx, cv->v.blob.data, n, &idx);
			if (ret) {
				x->err = ret;
				return ret;
			}
		}
		c->op = WFP_OP_EQ;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		c->a.lo = idx;
		return 0;
	}
	if (ks == WFP_KS_USER) {
		int ret;

		if (cv->type != WFP_SECURITY_DESCRIPTOR || !cc->sd ||
		    (cc->match != WFP_MATCH_EQUAL && cc->match != WFP_MATCH_NOT_EQUAL))
			return 1;
		c->op = WFP_OP_SD;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		ret = sd_aces(x, cc->sd, c);
		if (ret == -WFP_E_LIMIT)
			x->err = ret;
		return ret ? (ret == -1 ? 1 : ret) : 0;
	}
	/* addresses, ports, protocol */
	switch (cv->type) {
	case WFP_V4_ADDR_MASK:
		if (v6 || (cc->match != WFP_MATCH_EQUAL && cc->match != WFP_MATCH_NOT_EQUAL))
			return 1;
		c->op = WFP_OP_MASK;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		c->a.lo = cv->v4.addr & cv->v4.mask;
		c->b.lo = cv->v4.mask;
		return 0;
	case WFP_V6_ADDR_MASK: {
		uint8_t m[16] = { 0 };
		unsigned bits = cv->v6.prefix_len;

		if (!v6 || (cc->match != WFP_MATCH_EQUAL && cc->match != WFP_MATCH_NOT_EQUAL))
			return 1;
		for (unsigned i = 0; i < 16 && bits; i++) {
			unsigned b = bits > 8 ? 8 : bits;

			m[i] = (uint8_t)(0xFF00 >> b);
			bits -= b;
		}
		from_a16(&c->b, m);
		from_a16(&c->a, cv->v6.addr);
		c->a.hi &= c->b.hi;
		c->a.lo &= c->b.lo;
		c->op = WFP_OP_MASK;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		return 0;
	}
	case WFP_RANGE:
		if (cc->match != WFP_MATCH_RANGE || scalar(&cv->range.low, ks, v6, &c->a) ||
		    scalar(&cv->range.high, ks, v6, &c->b))
			return 1;
		c->op = WFP_OP_RANGE;
		return 0;
	default:
		break;
	}
	if (cv->type >= WFP_SINGLE_DATA_TYPE_MAX || scalar(&cv->v, ks, v6, &c->a))
		return 1;
	switch (cc->match) {
	case WFP_MATCH_EQUAL:
	case WFP_MATCH_NOT_EQUAL:
		c->op = WFP_OP_EQ;
		c->neg = cc->match == WFP_MATCH_NOT_EQUAL;
		return 0;
	case WFP_MATCH_GREATER:
		c->op = WFP_OP_GT;
		return 0;
	case WFP_MATCH_LESS:
		c->op = WFP_OP_LT;
		return 0;
	case WFP_MATCH_GREATER_OR_EQUAL:
		c->op = WFP_OP_GE;
		return 0;
	case WFP_MATCH_LESS_OR_EQUAL:
		c->op = WFP_OP_LE;
		return 0;
	case WFP_MATCH_FLAGS_ALL_SET:
		c->op = WFP_OP_ALL;
		return ks == WFP_KS_LADDR || ks == WFP_KS_RADDR ? 1 : 0;
	case WFP_MATCH_FLAGS_ANY_SET:
		c->op = WFP_OP_ANY;
		return ks == WFP_KS_LADDR || ks == WFP_KS_RADDR ? 1 : 0;
	case WFP_MATCH_FLAGS_NONE_SET:
		c->op = WFP_OP_NONE;
		return ks == WFP_KS_LADDR || ks == WFP_KS_RADDR ? 1 : 0;
	default:
		return 1;
	}
}

static int add_step(struct wfp_ale_policy *p, const struct wfp_ale_cond *c)
{
	if (p->ncond >= WFP_ALE_MAX_COND)
		return -WFP_E_LIMIT;
	p->cond[p->ncond++] = *c;
	return 0;
}

/* One filter: its steps, or one TRUE step marked DEFER/CALLOUT. */
static int compile_filter(struct ctx *x, const struct clayer *cl, const struct cfilter *cf,
			  struct wfp_ebpf_stats *st)
{
	struct wfp_ale_policy *p = x->p;
	uint32_t fi = p->nfilt, first = p->ncond, nace0 = p->nace;
	struct wfp_ale_filter *f;
	struct wfp_ale_cond c;
	int defer = 0;

	if (p->nfilt >= WFP_ALE_MAX_FILT)
		return -WFP_E_LIMIT;
	f = &p->filt[p->nfilt++];
	memset(f, 0, sizeof(*f));
	f->id = cf->id;
	if (cf->action == WFP_ACTION_BLOCK) {
		f->block = 1;
		f->flags |= WFP_AF_HARD; /* spec §4.4: static block is hard */
	} else if (cf->action == WFP_ACTION_PERMIT) {
		if (cf->flags & WFP_FILTER_F_CLEAR_ACTION_RIGHT)
			f->flags |= WFP_AF_HARD;
	} else {
		f->flags |= WFP_AF_CALLOUT; /* its code runs in userspace */
		defer = 1;
	}
	for (uint32_t i = 0; !defer && i < cf->ncond; i++) {
		const struct wfp_ccond *cc = &cl->cond[cf->cond_first + i];
		int ret;

		memset(&c, 0, sizeof(c));
		c.filt = fi;
		ret = cond_step(x, cl->layer, cc, &c);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			defer = 1;
			break;
		}
		if (i == 0 || cc->field != cl->cond[cf->cond_first + i - 1].field)
			c.flags |= WFP_CF_GROUP;
		f->needs |= 1U << c.slot;
		ret = add_step(p, &c);
		if (ret)
			return ret;
	}
	if (defer || cf->ncond == 0) {
		p->ncond = first; /* drop partial steps */
		p->nace = nace0;
		memset(&c, 0, sizeof(c));
		c.filt = fi;
		c.op = WFP_OP_TRUE;
		c.flags = WFP_CF_GROUP;
		if (defer) {
			f->flags |= WFP_AF_DEFER;
			f->needs = 0;
		}
		if (add_step(p, &c))
			return -WFP_E_LIMIT;
	}
	p->cond[first].flags |= WFP_CF_FIRST;
	p->cond[p->ncond - 1].flags |= WFP_CF_LAST;
	f->next_pc = p->ncond;
	if (st) {
		st->nfilt++;
		st->ndefer += defer;
		st->ncallout += !!(f->flags & WFP_AF_CALLOUT);
	}
	return 0;
}

/* ---- the index (struct wfp_ale_index in wfp_ebpf.h) ---- */

/* Slots worth indexing, preferred first on a tie. */
static const uint8_t index_slots[] = {
	WFP_KS_RPORT, WFP_KS_RADDR, WFP_KS_LPORT, WFP_KS_LADDR, WFP_KS_APP, WFP_KS_PROTO,
};

/* Filter f (steps [pc, end)) tests slot only with EQUAL constants. */
static bool eq_only(const struct wfp_ale_policy *p, uint32_t pc, uint32_t end, unsigned slot)
{
	bool seen = false;

	if (p->filt[p->cond[pc].filt].flags & (WFP_AF_DEFER | WFP_AF_CALLOUT))
		return false;
	for (uint32_t i = pc; i < end; i++) {
		const struct wfp_ale_cond *c = &p->cond[i];

		if (c->slot != slot || c->op == WFP_OP_TRUE)
			continue;
		if (c->op != WFP_OP_EQ || c->neg)
			return false;
		seen = true;
	}
	return seen;
}

/* The bucket of key in a table of nb buckets at b: its index, or the
 * free one where it goes; -1 if neither is within WFP_ALE_PROBES. */
static int probe(const struct wfp_ale_bucket *b, uint32_t nb, const struct wfp_ale_val *key)
{
	uint32_t h = wfp_ale_hash(key->hi, key->lo);

	for (uint32_t k = 0; k < WFP_ALE_PROBES; k++) {
		uint32_t i = (h + k) & (nb - 1);

		if (!b[i].list_n || (b[i].key.hi == key->hi && b[i].key.lo == key->lo))
			return (int)i;
	}
	return -1;
}

static int add_list(struct wfp_ale_policy *p, uint32_t pc)
{
	if (p->nlist >= WFP_ALE_MAX_LIST)
		return -WFP_E_LIMIT;
	p->list[p->nlist++] = pc;
	return 0;
}

/*
 * Index layer kl if some filters test one slot with EQUAL only.  First
 * the buckets and their own filters (list_n, with last[] so that
 * "port == 80 or port == 80" counts once), then the lists, filling them
 * in filter order (arbitration order): an always filter goes into every
 * bucket's list and the always list.  A layer that does not fit the
 * tables simply has no index.
 */
static int build_index(struct wfp_ale_policy *p, unsigned kl, struct wfp_ebpf_stats *st)
{
	const struct wfp_ale_range *r = &p->layer[kl];
	struct wfp_ale_index *ix = &p->index[kl];
	uint32_t best = 0, slot = 0, nvals = 0, nb, nused = 0, nown = 0, nalways = 0;
	uint32_t *last, *fill;
	struct wfp_ale_bucket *b;
	uint64_t total;

	for (unsigned k = 0; k < sizeof(index_slots); k++) {
		uint32_t n = 0;

		for (uint32_t pc = r->first; pc < r->first + r->count;) {
			uint32_t end = p->filt[p->cond[pc].filt].next_pc;

			n += eq_only(p, pc, end, index_slots[k]);
			pc = end;
		}
		if (n > best) {
			best = n;
			slot = index_slots[k];
		}
	}
	if (!best)
		return 0;
	for (uint32_t pc = r->first; pc < r->first + r->count; pc++)
		nvals += p->cond[pc].slot == slot;
	for (nb = 8; nb < 2 * nvals; nb *= 2)
		;
retry:
	if (p->nbucket + nb > WFP_ALE_MAX_BUCKETS)
		return 0;
	b = &p->bucket[p->nbucket];
	memset(b, 0, nb * sizeof(*b));
	last = wfp_calloc(nb, sizeof(*last));
	if (!last)
		return -WFP_E_NOMEM;
	nalways = nown = 0;
	for (uint32_t pc = r->first; pc < r->first + r->count;) {
		uint32_t end = p->filt[p->cond[pc].filt].next_pc;

		if (!eq_only(p, pc, end, slot)) {
			nalways++;
			pc = end;
			continue;
		}
		for (uint32_t i = pc; i < end; i++) {
			int at;

			if (p->cond[i].slot != slot)
				continue;
			at = probe(b, nb, &p->cond[i].a);
			if (at < 0) {
				wfp_free(last);
				nb *= 2;
				goto retry;
			}
			if (b[at].list_n && last[at] == pc + 1)
				continue; /* this filter is in already */
			b[at].key = p->cond[i].a;
			b[at].list_n++;
			last[at] = pc + 1;
			nown++;
		}
		pc = end;
	}
	for (uint32_t i = 0; i < nb; i++)
		nused += b[i].list_n != 0;
	total = (uint64_t)nown + (uint64_t)nused * nalways + nalways;
	if (p->nlist + total > WFP_ALE_MAX_LIST) {
		memset(b, 0, nb * sizeof(*b));
		wfp_free(last);
		return 0;
	}
	fill = last; /* reuse: entries filled per bucket */
	memset(fill, 0, nb * sizeof(*fill));
	for (uint32_t i = 0; i < nb; i++) {
		if (!b[i].list_n)
			continue;
		b[i].list_n += nalways;
		b[i].list_first = p->nlist;
		p->nlist += b[i].list_n;
	}
	ix->always_first = p->nlist;
	for (uint32_t pc = r->first; pc < r->first + r->count;) {
		uint32_t end = p->filt[p->cond[pc].filt].next_pc;

		if (!eq_only(p, pc, end, slot)) {
			p->list[p->nlist++] = pc;
			for (uint32_t i = 0; i < nb; i++)
				if (b[i].list_n)
					p->list[b[i].list_first + fill[i]++] = pc;
			pc = end;
			continue;
		}
		if (st)
			st->nindexed++;
		for (uint32_t i = pc; i < end; i++) {
			int at;
			uint32_t *l;

			if (p->cond[i].slot != slot)
				continue;
			at = probe(b, nb, &p->cond[i].a);
			l = &p->list[b[at].list_first];
			if (fill[at] && l[fill[at] - 1] == pc)
				continue;
			l[fill[at]++] = pc;
		}
		pc = end;
	}
	wfp_free(last);
	ix->always_n = nalways;
	ix->nbuckets = nb;
	ix->slot = slot;
	ix->bucket_first = p->nbucket;
	p->nbucket += nb;
	return 0;
}

WFP_API int wfp_ebpf_compile(const struct wfp_engine *e, struct wfp_ale_policy *out,
			     wfp_ebpf_intern_fn intern, void *ictx,
			     struct wfp_ebpf_stats *st)
{
	struct ctx x = { .p = out, .intern = intern, .ictx = ictx };

	if (!e || !out || !intern)
		return -WFP_E_NULL_POINTER;
	memset(out, 0, sizeof(*out));
	if (st)
		memset(st, 0, sizeof(*st));
	out->generation = wfp_engine_generation(e);
	for (unsigned kl = 0; kl < WFP_KL_MAX; kl++) {
		const struct clayer *cl = e->published[klayers[kl]];
		uint32_t f0_layer = out->nfilt;

		out->layer[kl].first = out->ncond;
		for (uint32_t s = 0; cl && s < cl->nsub; s++) {
			const struct csub *cs = &cl->sub[s];
			uint32_t f0 = out->nfilt;

			for (uint32_t i = 0; i < cs->count; i++) {
				int ret = compile_filter(&x, cl, &cl->filt[cs->first + i], st);

				if (ret)
					return x.err ? x.err : ret;
				out->filt[out->nfilt - 1].sub_weight = cs->weight;
			}
			for (uint32_t i = f0; i < out->nfilt; i++)
				out->filt[i].sub_end_pc = out->ncond;
		}
		out->layer[kl].count = out->ncond - out->layer[kl].first;
		/* complete: nothing here defers statically, so only a value
		 * missing at run time can defer (a strict layer blocks then) */
		if (st) {
			bool complete = true;

			for (uint32_t i = f0_layer; i < out->nfilt; i++)
				if (out->filt[i].flags & (WFP_AF_DEFER | WFP_AF_CALLOUT))
					complete = false;
			if (complete)
				st->complete_mask |= 1U << kl;
		}
		/* the plain walk: every filter, in order */
		out->layer[kl].list_first = out->nlist;
		for (uint32_t pc = out->layer[kl].first; pc < out->ncond;) {
			int ret = add_list(out, pc);

			if (ret)
				return ret;
			out->layer[kl].list_n++;
			pc = out->filt[out->cond[pc].filt].next_pc;
		}
		if (!getenv("WFP_EBPF_NO_INDEX")) {
			int ret = build_index(out, kl, st);

			if (ret)
				return ret;
		}
	}
	return 0;
}

WFP_API int wfp_ebpf_incoming(const struct wfp_ale_in *in, const char *app,
			      const struct wfp_ale_owner *owner,
			      struct wfp_token *tok, struct wfp_value *values,
			      unsigned nvalues)
{
	int layer = wfp_ebpf_layer(in->klayer);
	bool v6;

	if (layer < 0)
		return -WFP_E_LAYER_NOT_FOUND;
	v6 = wfp_layer_flags((unsigned)layer) & WFP_LAYER_F_V6;
	memset(values, 0, nvalues * sizeof(*values));
	for (unsigned ks = 0; ks < WFP_KS_MAX; ks++) {
		int idx = wfp_layer_field_index((unsigned)layer, kfields[ks]);
		const struct wfp_ale_val *kv = &in->v[ks];
		struct wfp_value *v;

		if (idx < 0 || (unsigned)idx >= nvalues || !(in->present & (1U << ks)))
			continue;
		v = &values[idx];
		switch (ks) {
		case WFP_KS_APP:
			if (app) {
				v->type = WFP_BYTE_BLOB;
				v->blob.data = (const uint8_t *)app;
				v->blob.size = (uint32_t)strlen(app);
			}
			break;
		case WFP_KS_USER:
			if (owner && owner->ngids <= WFP_ALE_MAX_GIDS) {
				tok->uid = owner->euid;
				tok->ngids = owner->ngids;
				tok->gids = owner->gids;
				v->type = WFP_TOKEN_INFORMATION;
				v->token = tok;
			}
			break;
		case WFP_KS_LADDR:
		case WFP_KS_RADDR:
			if (v6) {
				v->type = WFP_BYTE_ARRAY16;
				for (int i = 0; i < 8; i++) {
					v->a16[i] = (uint8_t)(kv->hi >> (56 - 8 * i));
					v->a16[8 + i] = (uint8_t)(kv->lo >> (56 - 8 * i));
				}
			} else {
				v->type = WFP_UINT32;
				v->u32 = (uint32_t)kv->lo;
			}
			break;
		case WFP_KS_LPORT:
		case WFP_KS_RPORT:
			v->type = WFP_UINT16;
			v->u16 = (uint16_t)kv->lo;
			break;
		case WFP_KS_PROTO:
			v->type = WFP_UINT8;
			v->u8 = (uint8_t)kv->lo;
			break;
		}
	}
	return layer;
}
