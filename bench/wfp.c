/* SPDX-License-Identifier: MIT */
/*
 * wfp.c - load a bench rule set into libwfp as filters at
 * ALE_AUTH_CONNECT_V4 and turn packets into incoming values.
 *
 * Mapping: source = IP_LOCAL_ADDRESS/PORT, destination = IP_REMOTE_*
 * (an outbound connect); a prefix becomes an EQUAL V4_ADDR_MASK
 * condition, a port range RANGE (EQUAL when one port), a protocol EQUAL
 * UINT8; a wildcard dimension has no condition.  Sublayer s has weight
 * 0x7000 - s * 0x1000; inside it the rule at position k gets the explicit
 * weight (count - k), so the order of generation is the arbitration order.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "internal.h"
#include "classify_tree.h"

static const uint16_t fields[B_NDIM] = {
	[B_SIP] = WFP_FIELD_IP_LOCAL_ADDRESS, [B_DIP] = WFP_FIELD_IP_REMOTE_ADDRESS,
	[B_SPORT] = WFP_FIELD_IP_LOCAL_PORT, [B_DPORT] = WFP_FIELD_IP_REMOTE_PORT,
	[B_PROTO] = WFP_FIELD_IP_PROTOCOL,
};

static struct wfp_guid key_of(unsigned kind, uint32_t n)
{
	struct wfp_guid g;

	memset(&g, 0, sizeof(g));
	g.b[0] = 0xBE;
	g.b[1] = (uint8_t)kind;
	memcpy(&g.b[12], &n, sizeof(n));
	return g;
}

static uint32_t to_conds(const struct brule *r, struct wfp_filter_cond *c)
{
	uint32_t n = 0;

	for (int d = 0; d <= B_DIP; d++) {
		if (!r->plen[d])
			continue;
		c[n].field = fields[d];
		c[n].match = WFP_MATCH_EQUAL;
		c[n].value.type = WFP_V4_ADDR_MASK;
		c[n].value.v4.addr = r->lo[d];
		c[n].value.v4.mask = ~0u << (32 - r->plen[d]);
		n++;
	}
	for (int d = B_SPORT; d <= B_DPORT; d++) {
		if (r->lo[d] == 0 && r->hi[d] == 65535)
			continue;
		c[n].field = fields[d];
		if (r->lo[d] == r->hi[d]) {
			c[n].match = WFP_MATCH_EQUAL;
			c[n].value.type = WFP_UINT16;
			c[n].value.v.type = WFP_UINT16;
			c[n].value.v.u16 = (uint16_t)r->lo[d];
		} else {
			c[n].match = WFP_MATCH_RANGE;
			c[n].value.type = WFP_RANGE;
			c[n].value.range.low.type = WFP_UINT16;
			c[n].value.range.low.u16 = (uint16_t)r->lo[d];
			c[n].value.range.high.type = WFP_UINT16;
			c[n].value.range.high.u16 = (uint16_t)r->hi[d];
		}
		n++;
	}
	if (r->lo[B_PROTO] == r->hi[B_PROTO]) {
		c[n].field = fields[B_PROTO];
		c[n].match = WFP_MATCH_EQUAL;
		c[n].value.type = WFP_UINT8;
		c[n].value.v.type = WFP_UINT8;
		c[n].value.v.u8 = (uint8_t)r->lo[B_PROTO];
		n++;
	}
	return n;
}

static int add_sublayers(struct bwfp *w)
{
	for (unsigned s = 0; s < B_NSUB; s++) {
		struct wfp_sublayer sl = { .key = key_of(1, s),
					   .weight = (uint16_t)(0x7000 - s * 0x1000) };

		sl.display.name = "bench sublayer";
		if (wfp_sublayer_add(w->s, &sl))
			return -1;
	}
	return 0;
}

int b_wfp_load(struct bwfp *w, struct bset *set)
{
	const unsigned layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
	double t0;

	memset(w, 0, sizeof(*w));
	w->e = wfp_engine_open(NULL);
	w->s = w->e ? wfp_session_open(w->e, NULL) : NULL;
	if (!w->s)
		return -1;
	w->nval = (uint16_t)wfp_layer_field_count(layer);
	w->val = calloc(w->nval, sizeof(*w->val));
	if (!w->val)
		return -1;
	for (int d = 0; d < B_NDIM; d++) {
		int slot = wfp_layer_field_index(layer, fields[d]);

		if (slot < 0)
			return -1;
		w->slot[d] = (uint16_t)slot;
		w->val[slot].type = d <= B_DIP ? WFP_UINT32 : d == B_PROTO ? WFP_UINT8 : WFP_UINT16;
	}
	t0 = b_now();
	if (wfp_txn_begin(w->s, 0) || add_sublayers(w))
		return -1;
	for (uint32_t i = 0; i < set->n; i++) {
		struct brule *r = &set->r[i];
		struct wfp_filter_cond c[B_NDIM];
		struct wfp_filter f;

		memset(&f, 0, sizeof(f));
		memset(c, 0, sizeof(c));
		f.display.name = "bench rule";
		f.layer = (uint16_t)layer;
		f.sublayer_key = key_of(1, r->sub);
		f.weight.type = WFP_UINT64;
		f.weight.u64 = set->sub_first[r->sub] + set->sub_count[r->sub] - i;
		f.action.type = r->action == B_BLOCK ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
		f.cond = c;
		f.ncond = to_conds(r, c);
		if (wfp_filter_add(w->s, &f, &r->wfp_id) ||
		    r->wfp_id != set->r[0].wfp_id + i) /* b_wfp_rule relies on it */
			return -1;
	}
	w->add_s = b_now() - t0;
	t0 = b_now();
	if (wfp_txn_commit(w->s))
		return -1;
	w->commit_s = b_now() - t0;
	return 0;
}

void b_wfp_close(struct bwfp *w)
{
	wfp_engine_close(w->e);
	free(w->val);
	memset(w, 0, sizeof(*w));
}

void b_wfp_packet(struct bwfp *w, const struct bpkt *p, struct wfp_incoming *in)
{
	w->val[w->slot[B_SIP]].u32 = p->v[B_SIP];
	w->val[w->slot[B_DIP]].u32 = p->v[B_DIP];
	w->val[w->slot[B_SPORT]].u16 = (uint16_t)p->v[B_SPORT];
	w->val[w->slot[B_DPORT]].u16 = (uint16_t)p->v[B_DPORT];
	w->val[w->slot[B_PROTO]].u8 = (uint8_t)p->v[B_PROTO];
	in->layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
	in->nvalues = w->nval;
	in->values = w->val;
	in->md = NULL;
}

/* The published blob of the layer: arrays, conditions, index. */
size_t b_wfp_memory(const struct bwfp *w)
{
	const struct clayer *cl = w->e->published[WFP_LAYER_ALE_AUTH_CONNECT_V4];
	size_t n;

	if (!cl)
		return 0;
	n = sizeof(*cl) + cl->nsub * sizeof(*cl->sub) + cl->nfilt * sizeof(*cl->filt) +
	    cl->ncond * sizeof(*cl->cond);
	return n + wfp_clayer_index_bytes(cl);
}

/* Filter ids are handed out in add order: rule i has id first + i. */
int32_t b_wfp_rule(const struct bset *set, uint64_t filter_id)
{
	if (!filter_id || !set->n || filter_id < set->r[0].wfp_id ||
	    filter_id - set->r[0].wfp_id >= set->n)
		return -1;
	return (int32_t)(filter_id - set->r[0].wfp_id);
}
