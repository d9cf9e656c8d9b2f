/* SPDX-License-Identifier: MIT */
/*
 * test_flow_table.c - the ALE flow table (docs/internals/flow.md): SipHash
 * test vectors, insert/lookup/remove against a naive list, the hard limit
 * (counted, never a crash) and the bounded scan.
 */
#include "testutil.h"

#include <stdlib.h>

#include "flow.h"

static const uint8_t key16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* The reference vectors of the SipHash paper (Appendix A). */
static void test_siphash_vectors(void **state)
{
	uint8_t msg[15];

	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_true(wfp_siphash24(msg, 0, key16) == 0x726fdb47dd0e0e31ULL);
	assert_true(wfp_siphash24(msg, 15, key16) == 0xa129ca6149be45e5ULL);
}

static struct wfp_flow_key mk(uint16_t lport, uint16_t rport, uint8_t proto)
{
	struct wfp_flow_key k;

	wfp_flow_key_init(&k);
	k.family = 4;
	k.proto = proto;
	k.laddr[0] = 10;
	k.raddr[0] = 11;
	k.lport = lport;
	k.rport = rport;
	return k;
}

static void test_insert_lookup_remove(void **state)
{
	struct wfp_flow_table *t = wfp_flow_table_new(16, key16);
	struct wfp_flow_key a = mk(1, 2, 6), b = mk(1, 2, 17), c = mk(2, 1, 6);
	struct wfp_flow *fa, *fb;

	assert_non_null(t);
	fa = wfp_flow_insert(t, &a);
	fb = wfp_flow_insert(t, &b);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_ptr_equal(wfp_flow_lookup(t, &a), fa);
	assert_ptr_equal(wfp_flow_lookup(t, &b), fb);
	assert_null(wfp_flow_lookup(t, &c)); /* ports swapped: another flow */
	assert_null(wfp_flow_insert(t, &a));  /* duplicate */
	assert_int_equal(fa->sd, -1);
	assert_true(fa->handle != fb->handle);
	assert_int_equal(wfp_flow_count(t), 2);
	wfp_flow_remove(t, fa);
	assert_null(wfp_flow_lookup(t, &a));
	assert_ptr_equal(wfp_flow_lookup(t, &b), fb);
	assert_int_equal(wfp_flow_count(t), 1);
	assert_int_equal(wfp_flow_peak(t), 2);
	wfp_flow_table_free(t);
}

/* The pool is the limit: the 9th flow of 8 fails and is counted; a removal
 * makes room again. */
static void test_limit(void **state)
{
	struct wfp_flow_table *t = wfp_flow_table_new(8, NULL);
	struct wfp_flow *f[8];
	struct wfp_flow_key k;

	assert_non_null(t);
	assert_int_equal(wfp_flow_nbuckets(t), 8);
	for (unsigned i = 0; i < 8; i++) {
		k = mk((uint16_t)i, 80, 6);
		f[i] = wfp_flow_insert(t, &k);
		assert_non_null(f[i]);
	}
	for (unsigned i = 0; i < 1000; i++) {
		k = mk((uint16_t)(100 + i), 80, 6);
		assert_null(wfp_flow_insert(t, &k));
	}
	assert_int_equal(wfp_flow_limit_hits(t), 1000);
	assert_int_equal(wfp_flow_count(t), 8);
	wfp_flow_remove(t, f[3]);
	k = mk(5000, 80, 6);
	assert_non_null(wfp_flow_insert(t, &k));
	assert_int_equal(wfp_flow_count(t), 8);
	wfp_flow_table_free(t);
}

/* Random inserts/removes against a naive array (WireGuard's horrible_*
 * style): the table must agree at every step. */
static void test_differential(void **state)
{
	enum { MAX = 300, KEYS = 600, STEPS = 20000 };
	struct wfp_flow_table *t = wfp_flow_table_new(MAX, NULL);
	struct wfp_flow *naive[KEYS] = { 0 };
	unsigned live = 0, seed = 12345;

	assert_non_null(t);
	assert_int_equal(wfp_flow_nbuckets(t), 512);
	for (unsigned s = 0; s < STEPS; s++) {
		unsigned i;
		struct wfp_flow_key k;
		struct wfp_flow *f;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % KEYS;
		k = mk((uint16_t)i, (uint16_t)(i * 7), (i & 1) ? 6 : 17);
		f = wfp_flow_lookup(t, &k);
		assert_ptr_equal(f, naive[i]);
		if (f) {
			wfp_flow_remove(t, f);
			naive[i] = NULL;
			live--;
		} else {
			f = wfp_flow_insert(t, &k);
			if (live == MAX) {
				assert_null(f);
			} else {
				assert_non_null(f);
				naive[i] = f;
				live++;
			}
		}
		assert_int_equal(wfp_flow_count(t), live);
	}
	wfp_flow_table_free(t);
}

static void count_and_remove(struct wfp_flow *f, void *ctx)
{
	unsigned *n = ctx;

	(*n)++;
	f->state = 99; /* visited mark */
}

static void test_scan_bounded(void **state)
{
	struct wfp_flow_table *t = wfp_flow_table_new(1024, key16);
	struct wfp_flow_key k;
	unsigned n = 0, total = 0;

	assert_non_null(t);
	for (unsigned i = 0; i < 1024; i++) {
		k = mk((uint16_t)i, 1, 6);
		assert_non_null(wfp_flow_insert(t, &k));
	}
	/* 64 of 1024 buckets: a fraction of the flows, never all */
	total = wfp_flow_scan(t, 64, count_and_remove, &n);
	assert_int_equal(total, n);
	assert_true(n < 1024);
	/* the rest, resuming where it stopped: every flow exactly once */
	total += wfp_flow_scan(t, 1024 - 64, count_and_remove, &n);
	assert_int_equal(total, 1024);
	for (unsigned i = 0; i < 1024; i++) {
		k = mk((uint16_t)i, 1, 6);
		assert_int_equal(wfp_flow_lookup(t, &k)->state, 99);
	}
	wfp_flow_table_free(t);
}

/* A random key differs per table; the fixed key gives the same hash. */
static void test_keys(void **state)
{
	struct wfp_flow_table *a = wfp_flow_table_new(4, key16), *b = wfp_flow_table_new(4, key16);
	struct wfp_flow_table *r1 = wfp_flow_table_new(4, NULL), *r2 = wfp_flow_table_new(4, NULL);
	struct wfp_flow_key k = mk(1, 2, 6);

	assert_true(wfp_flow_hash(a, &k) == wfp_flow_hash(b, &k));
	assert_true(wfp_flow_hash(r1, &k) != wfp_flow_hash(r2, &k));
	assert_null(wfp_flow_table_new(0, NULL));
	wfp_flow_table_free(a);
	wfp_flow_table_free(b);
	wfp_flow_table_free(r1);
	wfp_flow_table_free(r2);
	wfp_flow_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_scan_bounded),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
