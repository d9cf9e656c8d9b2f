// SPDX-License-Identifier: MIT
/*
 * frag.c - inbound IP reassembly for the stack model (spec §2.5).
 *
 * WFP indicates a packet that arrives in N fragments N times at
 * INBOUND_IPPACKET "as IP packets", N times as fragments (FLAGS
 * IS_FRAGMENT), and once reassembled (IS_REASSEMBLED); the transport
 * layers and above see only the reassembled packet.  stack.c does the
 * classifications; this file only collects fragments.
 *
 * A datagram under reassembly is one of FRAG_SLOTS fixed slots keyed by
 * (family, protocol, source, destination, IP id).  It is complete when the
 * first fragment (offset 0, carrying the transport header) and the last
 * (no MF bit) have arrived and the fragments' lengths add up to the
 * datagram's length.  Overlapping or duplicated fragments are counted once
 * per arrival, which can only make a datagram look complete too late, never
 * too early.  A slot idle for the flow idle timeout is reused; when all
 * slots are busy the fragment is dropped and counted.  No allocation.
 */
#include <string.h>

#include "alloc.h"
#include "stack.h"

struct frag_slot {
	bool used;
	bool have_first;
	bool have_last;
	uint64_t last_ms;
	uint32_t got;      /* bytes of IP payload received */
	uint32_t total;    /* when have_last */
	uint32_t rest;     /* IP payload bytes after the first fragment */
	struct wfp_pkt first; /* also the key: family, proto, src, dst, ip_id */
};

struct wfp_frags {
	struct frag_slot slot[FRAG_SLOTS];
};

struct wfp_frags *frag_table_new(void)
{
	return wfp_calloc(1, sizeof(struct wfp_frags));
}

static bool same(const struct wfp_pkt *a, const struct wfp_pkt *b)
{
	return a->family == b->family && a->proto == b->proto && a->ip_id == b->ip_id &&
	       wfp_addr_eq(&a->src, &b->src) && wfp_addr_eq(&a->dst, &b->dst);
}

static struct frag_slot *find(struct wfp_host *h, const struct wfp_pkt *p)
{
	struct frag_slot *free_slot = NULL;

	for (unsigned i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *s = &h->frags->slot[i];

		if (s->used && h->now_ms - s->last_ms >= h->idle_ms)
			s->used = false; /* timed out: reassembly abandoned */
		if (s->used && same(&s->first, p))
			return s;
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->used = true;
		free_slot->first = *p; /* the key until the real first arrives */
	}
	return free_slot;
}

int frag_add(struct wfp_host *h, const struct wfp_pkt *p, struct wfp_pkt *out)
{
	uint32_t end = (uint32_t)p->frag_off * 8 + p->frag_len;
	struct frag_slot *s;

	if (!p->frag_len)
		return 0; /* no length from the parser: cannot be reassembled */
	s = find(h, p);
	if (!s)
		return -ENOBUFS;
	s->last_ms = h->now_ms;
	s->got += p->frag_len;
	if (p->frag_off == 0) {
		s->have_first = true;
		s->first = *p;
	} else {
		s->rest += p->frag_len;
	}
	if (!(p->flags & WFP_PKT_F_MORE_FRAGS)) {
		s->have_last = true;
		s->total = end;
	}
	if (!s->have_first || !s->have_last || s->got < s->total)
		return 0;
	*out = s->first;
	out->flags &= ~(uint32_t)(WFP_PKT_F_FRAGMENT | WFP_PKT_F_MORE_FRAGS);
	out->frag_off = 0;
	out->frag_len = 0;
	out->payload_len = s->first.payload_len + s->rest;
	s->used = false;
	return 1;
}
