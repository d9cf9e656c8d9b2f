// SPDX-License-Identifier: MIT
/*
 * flow_table.c - the ALE flow table (docs/internals/flow.md).
 *
 * Theory of operation: every flow lives in one preallocated pool of `max`
 * entries; the free entries form a singly linked free list, so insertion
 * and removal are O(1) and never call malloc after creation.  Lookup
 * hashes the 40-byte key with SipHash-2-4 under a per-table key (random
 * unless the caller fixes it), and walks one chain of a power-of-two
 * bucket array whose size is the next power of two >= max, so the mean
 * chain length stays <= 1.  A random key stops a remote sender from
 * choosing ports that all land in one bucket (WireGuard ratelimiter.c).
 *
 * When the pool is empty an insert fails and the failure is counted: the
 * stack turns that into WFP_DROP_FLOW_LIMIT.  Expiry is the caller's
 * business; wfp_flow_scan() lets it walk a bounded number of buckets per
 * tick (pf's purge, redis' incremental rehash).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "alloc.h"
#include "flow.h"

struct wfp_flow_table {
	struct wfp_flow **buckets;
	struct wfp_flow *pool;
	struct wfp_flow *free_list;
	uint64_t k0, k1;
	uint64_t limit_hits;
	uint64_t next_handle;
	uint32_t mask;
	uint32_t max;
	uint32_t count;
	uint32_t peak;
	uint32_t scan_pos;
};

/* ---- SipHash-2-4 (Aumasson & Bernstein), reference structure ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
	do {                                                              \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t siphash(const void *data, size_t len, uint64_t k0, uint64_t k1)
{
	const uint8_t *in = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(in + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

#undef SIPROUND
#undef ROTL

uint64_t wfp_siphash24(const void *data, size_t len, const uint8_t key[16])
{
	return siphash(data, len, le64(key), le64(key + 8));
}

/* ---- table ---- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1U << 30))
		p <<= 1;
	return p;
}

struct wfp_flow_table *wfp_flow_table_new(uint32_t max, const uint8_t *key)
{
	struct wfp_flow_table *t;
	uint8_t rnd[16];

	if (!max || max > (1U << 24)) {
		errno = EINVAL;
		return NULL;
	}
	t = wfp_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max;
	t->mask = pow2_at_least(max) - 1;
	t->buckets = wfp_calloc((size_t)t->mask + 1, sizeof(*t->buckets));
	t->pool = wfp_calloc(max, sizeof(*t->pool));
	if (!t->buckets || !t->pool)
		goto err_free_table;
	for (uint32_t i = max; i-- > 0;) {
		t->pool[i].hnext = t->free_list;
		t->free_list = &t->pool[i];
	}
	if (!key) {
		/* A weak key only weakens the bucket spread, never correctness,
		 * so a failing getrandom falls back to a fixed key. */
		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			memset(rnd, 0x5a, sizeof(rnd));
		key = rnd;
	}
	t->k0 = le64(key);
	t->k1 = le64(key + 8);
	t->next_handle = 1;
	return t;

err_free_table:
	wfp_flow_table_free(t);
	return NULL;
}

void wfp_flow_table_free(struct wfp_flow_table *t)
{
	if (!t)
		return;
	wfp_free(t->buckets);
	wfp_free(t->pool);
	wfp_free(t);
}

void wfp_flow_key_init(struct wfp_flow_key *k)
{
	memset(k, 0, sizeof(*k));
}

uint64_t wfp_flow_hash(const struct wfp_flow_table *t, const struct wfp_flow_key *k)
{
	return siphash(k, sizeof(*k), t->k0, t->k1);
}

struct wfp_flow *wfp_flow_lookup(const struct wfp_flow_table *t, const struct wfp_flow_key *k)
{
	struct wfp_flow *f = t->buckets[wfp_flow_hash(t, k) & t->mask];

	for (; f; f = f->hnext)
		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;
	return NULL;
}

struct wfp_flow *wfp_flow_insert(struct wfp_flow_table *t, const struct wfp_flow_key *k)
{
	struct wfp_flow **b = &t->buckets[wfp_flow_hash(t, k) & t->mask];
	struct wfp_flow *f;

	for (f = *b; f; f = f->hnext)
		if (!memcmp(&f->key, k, sizeof(*k)))
			return NULL;
	f = t->free_list;
	if (!f) {
		t->limit_hits++;
		return NULL;
	}
	t->free_list = f->hnext;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->sd = -1;
	f->listener = -1;
	f->handle = t->next_handle++;
	f->hnext = *b;
	*b = f;
	if (++t->count > t->peak)
		t->peak = t->count;
	return f;
}

void wfp_flow_remove(struct wfp_flow_table *t, struct wfp_flow *f)
{
	struct wfp_flow **pp = &t->buckets[wfp_flow_hash(t, &f->key) & t->mask];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp != f)
			continue;
		*pp = f->hnext;
		f->state = WFP_FLOW_FREE;
		f->hnext = t->free_list;
		t->free_list = f;
		t->count--;
		return;
	}
}

uint32_t wfp_flow_count(const struct wfp_flow_table *t)
{
	return t->count;
}

uint32_t wfp_flow_max(const struct wfp_flow_table *t)
{
	return t->max;
}

uint32_t wfp_flow_peak(const struct wfp_flow_table *t)
{
	return t->peak;
}

uint64_t wfp_flow_limit_hits(const struct wfp_flow_table *t)
{
	return t->limit_hits;
}

uint32_t wfp_flow_nbuckets(const struct wfp_flow_table *t)
{
	return t->mask + 1;
}

uint32_t wfp_flow_scan(struct wfp_flow_table *t, uint32_t nbuckets,
		       wfp_flow_visit_fn fn, void *ctx)
{
	uint32_t visited = 0;

	if (nbuckets > t->mask + 1)
		nbuckets = t->mask + 1;
	while (nbuckets--) {
		struct wfp_flow *f = t->buckets[t->scan_pos], *next;

		for (; f; f = next) {
			next = f->hnext; /* fn may remove f */
			fn(f, ctx);
			visited++;
		}
		t->scan_pos = (t->scan_pos + 1) & t->mask;
	}
	return visited;
}

struct wfp_flow *wfp_flow_by_handle(struct wfp_flow_table *t, uint64_t handle)
{
	for (uint32_t i = 0; handle && i < t->max; i++)
		if (t->pool[i].state != WFP_FLOW_FREE && t->pool[i].handle == handle)
			return &t->pool[i];
	return NULL;
}
