/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the workload of the classification benchmark: 5-tuple rules
 * (ClassBench-style, generated or read from a ClassBench filter file),
 * packet traces, the naive reference classifier, and the adapters that
 * load the same rules into libwfp and into DPDK's rte_acl.
 */
#ifndef WFP_BENCH_H
#define WFP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wfp/wfp.h>

enum {
	B_SIP, B_DIP, B_SPORT, B_DPORT, B_PROTO, B_NDIM,
	B_NSUB = 4,          /* sublayers (rte_acl: one category each) */
	B_BLOCK = 1, B_PERMIT = 2,
};

/* One rule: an interval per dimension, in arbitration order in its
 * sublayer (rules[] is sorted: sublayer, then position). */
struct brule {
	uint32_t lo[B_NDIM], hi[B_NDIM];
	uint8_t plen[2];     /* address prefix lengths */
	uint8_t sub;         /* 0 = highest weight */
	uint8_t action;      /* B_BLOCK or B_PERMIT */
	uint64_t wfp_id;     /* filled by the libwfp loader */
};

struct bset {
	struct brule *r;
	uint32_t n;
	uint32_t sub_first[B_NSUB]; /* per sublayer, first rule index */
	uint32_t sub_count[B_NSUB];
};

struct bpkt {
	uint32_t v[B_NDIM];
};

/* The decision of a classification: the deciding rule, or none. */
struct bdecision {
	int32_t rule;        /* index into rules[], -1 none */
	uint8_t action;      /* B_BLOCK, B_PERMIT, 0 = none (permit) */
};

/* rules.c */
uint64_t b_rand(uint64_t *s);
int b_generate(struct bset *set, const char *kind, uint32_t n, uint64_t seed);
int b_read_classbench(struct bset *set, const char *path);
void b_trace(const struct bset *set, struct bpkt *p, uint32_t n, uint64_t seed);
void b_set_free(struct bset *set);
void b_naive(const struct bset *set, const struct bpkt *p, struct bdecision *d);
/* Arbitration of static verdicts (spec §4.5): a soft PERMIT is replaced
 * by a lower sublayer's verdict, a BLOCK is final.  match[s] is sublayer
 * s's first matching rule or -1. */
void b_arbitrate(const struct bset *set, const int32_t match[B_NSUB], struct bdecision *d);

/* wfp.c */
struct bwfp {
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_value *val;
	uint16_t nval;
	uint16_t slot[B_NDIM];
	double add_s, commit_s;
};
int b_wfp_load(struct bwfp *w, struct bset *set);
void b_wfp_close(struct bwfp *w);
void b_wfp_packet(struct bwfp *w, const struct bpkt *p, struct wfp_incoming *in);
size_t b_wfp_memory(const struct bwfp *w);
/* The rule a verdict names (-1 none); needs set sorted by wfp_id map. */
int32_t b_wfp_rule(const struct bset *set, uint64_t filter_id);

/* acl.c: DPDK rte_acl; b_acl_init returns false with why filled when the
 * library is missing or EAL does not start. */
struct bacl;
bool b_acl_init(char *why, size_t len);
struct bacl *b_acl_build(const struct bset *set, double *build_s, size_t *mem,
			 char *why, size_t len);
/* Classifies n packets (n <= 64), decisions into d. */
void b_acl_classify(struct bacl *a, const struct bset *set, const struct bpkt *p,
		    uint32_t n, struct bdecision *d);
void b_acl_free(struct bacl *a);

double b_now(void);

#endif
