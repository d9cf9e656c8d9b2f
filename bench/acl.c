/* SPDX-License-Identifier: MIT */
/*
 * acl.c - the DPDK rte_acl baseline on the same rules and packets.
 *
 * Each sublayer is one rte_acl category, so one lookup returns the first
 * match of every sublayer (highest priority = earliest rule) and the
 * arbitration is the naive reference's b_arbitrate().  The EAL runs in
 * memory without hugepages or PCI (--no-huge --no-pci --no-shconf).
 * Lookup data is in network byte order, rule values in host order, as
 * rte_acl requires.  Without DPDK (HAVE_RTE_ACL unset) every call reports
 * why and the bench prints that instead of the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "bench.h"

#ifdef HAVE_RTE_ACL
#include <rte_acl.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

struct tuple {
	uint8_t proto;
	uint32_t sip;
	uint32_t dip;
	uint16_t sport;
	uint16_t dport;
};

static const struct rte_acl_field_def defs[B_NDIM] = {
	{ .type = RTE_ACL_FIELD_TYPE_BITMASK, .size = sizeof(uint8_t),
	  .field_index = 0, .input_index = 0, .offset = offsetof(struct tuple, proto) },
	{ .type = RTE_ACL_FIELD_TYPE_MASK, .size = sizeof(uint32_t),
	  .field_index = 1, .input_index = 1, .offset = offsetof(struct tuple, sip) },
	{ .type = RTE_ACL_FIELD_TYPE_MASK, .size = sizeof(uint32_t),
	  .field_index = 2, .input_index = 2, .offset = offsetof(struct tuple, dip) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = sizeof(uint16_t),
	  .field_index = 3, .input_index = 3, .offset = offsetof(struct tuple, sport) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = sizeof(uint16_t),
	  .field_index = 4, .input_index = 3, .offset = offsetof(struct tuple, dport) },
};

RTE_ACL_RULE_DEF(acl5_rule, B_NDIM);

struct bacl {
	struct rte_acl_ctx *ctx;
};

bool b_acl_init(char *why, size_t len)
{
	static int state; /* 0 not tried, 1 up, -1 failed */
	char *argv[] = { "wfp_bench", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
			 "-m", "6144", "--log-level=1", "--no-telemetry", NULL };

	if (!state)
		state = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0 ?
			-1 : 1;
	if (state < 0)
		snprintf(why, len, "rte_eal_init failed: %s", rte_strerror(rte_errno));
	return state > 0;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats(0, &st))
		return 0;
	return st.heap_allocsz_bytes;
}

struct bacl *b_acl_build(const struct bset *set, double *build_s, size_t *mem,
			 char *why, size_t len)
{
	struct rte_acl_param prm = {
		.name = "wfp_bench", .socket_id = 0,
		.rule_size = RTE_ACL_RULE_SZ(B_NDIM), .max_rule_num = set->n,
	};
	struct rte_acl_config cfg;
	struct bacl *a = calloc(1, sizeof(*a));
	size_t before = heap_used();
	double t0;
	int ret;

	if (!a)
		return NULL;
	a->ctx = rte_acl_create(&prm);
	if (!a->ctx) {
		snprintf(why, len, "rte_acl_create: %s", rte_strerror(rte_errno));
		goto out_free;
	}
	for (uint32_t i = 0; i < set->n; i++) {
		const struct brule *r = &set->r[i];
		struct acl5_rule ar;

		memset(&ar, 0, sizeof(ar));
		ar.data.userdata = i + 1;
		ar.data.category_mask = 1u << r->sub;
		ar.data.priority = RTE_ACL_MAX_PRIORITY - (int32_t)(i - set->sub_first[r->sub]);
		ar.field[0].value.u8 = (uint8_t)r->lo[B_PROTO];
		ar.field[0].mask_range.u8 = r->lo[B_PROTO] == r->hi[B_PROTO] ? 0xFF : 0;
		ar.field[1].value.u32 = r->lo[B_SIP];
		ar.field[1].mask_range.u32 = r->plen[0];
		ar.field[2].value.u32 = r->lo[B_DIP];
		ar.field[2].mask_range.u32 = r->plen[1];
		ar.field[3].value.u16 = (uint16_t)r->lo[B_SPORT];
		ar.field[3].mask_range.u16 = (uint16_t)r->hi[B_SPORT];
		ar.field[4].value.u16 = (uint16_t)r->lo[B_DPORT];
		ar.field[4].mask_range.u16 = (uint16_t)r->hi[B_DPORT];
		ret = rte_acl_add_rules(a->ctx, (struct rte_acl_rule *)&ar, 1);
		if (ret) {
			snprintf(why, len, "rte_acl_add_rules: %s", strerror(-ret));
			goto out_free;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.num_categories = B_NSUB;
	cfg.num_fields = B_NDIM;
	memcpy(cfg.defs, defs, sizeof(defs));
	t0 = b_now();
	ret = rte_acl_build(a->ctx, &cfg);
	*build_s = b_now() - t0;
	if (ret) {
		snprintf(why, len, "rte_acl_build: %s", strerror(-ret));
		goto out_free;
	}
	*mem = heap_used() - before;
	return a;

out_free:
	b_acl_free(a);
	return NULL;
}

void b_acl_classify(struct bacl *a, const struct bset *set, const struct bpkt *p,
		    uint32_t n, struct bdecision *d)
{
	struct tuple t[64];
	const uint8_t *data[64];
	uint32_t res[64 * B_NSUB];

	for (uint32_t i = 0; i < n; i++) {
		t[i].proto = (uint8_t)p[i].v[B_PROTO];
		t[i].sip = htonl(p[i].v[B_SIP]);
		t[i].dip = htonl(p[i].v[B_DIP]);
		t[i].sport = htons((uint16_t)p[i].v[B_SPORT]);
		t[i].dport = htons((uint16_t)p[i].v[B_DPORT]);
		data[i] = (const uint8_t *)&t[i];
	}
	rte_acl_classify(a->ctx, data, res, n, B_NSUB);
	for (uint32_t i = 0; i < n; i++) {
		int32_t match[B_NSUB];

		for (unsigned s = 0; s < B_NSUB; s++)
			match[s] = (int32_t)res[i * B_NSUB + s] - 1;
		b_arbitrate(set, match, &d[i]);
	}
}

void b_acl_free(struct bacl *a)
{
	if (!a)
		return;
	if (a->ctx)
		rte_acl_free(a->ctx);
	free(a);
}

#else /* !HAVE_RTE_ACL */

struct bacl {
	int unused;
};

bool b_acl_init(char *why, size_t len)
{
	snprintf(why, len, "built without DPDK (libdpdk-dev missing at configure time)");
	return false;
}

struct bacl *b_acl_build(const struct bset *set, double *build_s, size_t *mem,
			 char *why, size_t len)
{
	snprintf(why, len, "built without DPDK");
	return NULL;
}

void b_acl_classify(struct bacl *a, const struct bset *set, const struct bpkt *p,
		    uint32_t n, struct bdecision *d)
{
}

void b_acl_free(struct bacl *a)
{
}
#endif
