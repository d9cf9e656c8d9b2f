/* SPDX-License-Identifier: MIT */
/*
 * bench.c - `make bench`: classification throughput, memory and commit
 * time of libwfp against a naive linear scan and DPDK rte_acl, all on the
 * same rules and packets in the same run; and `--check`, the TAP
 * agreement test `make check` runs (compiled vs naive, no timings).
 *
 * Every figure is one line "name: value unit (ratio vs baseline)" and
 * also goes to a JSON file (--json PATH).
 *
 *   wfp_bench [--kinds acl,fw,ipc] [--sizes 1000,10000,100000]
 *             [--rules CLASSBENCH_FILE] [--json PATH] [--trace N]
 *   wfp_bench --check
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "internal.h"
#include "classify_tree.h"

enum { MAX_FIG = 256 };

struct fig {
	char name[64];
	double value;
	char unit[16];
	char ratio[96];
};

static struct fig figs[MAX_FIG];
static unsigned nfig;
static char notes[16][256];
static unsigned nnotes;

static void figure(const char *name, double value, const char *unit, const char *ratio)
{
	struct fig *f = &figs[nfig < MAX_FIG ? nfig++ : MAX_FIG - 1];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->value = value;
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	snprintf(f->ratio, sizeof(f->ratio), "%s", ratio ? ratio : "");
	printf("%s: %.*f %s%s%s%s\n", f->name, value >= 100 ? 0 : value >= 10 ? 1 : 2, value,
	       unit, *f->ratio ? " (" : "", f->ratio, *f->ratio ? ")" : "");
	fflush(stdout);
}

/* "what: not measured: why" lines, also kept for the JSON file */
static void note(const char *what, const char *why)
{
	if (nnotes < 16)
		snprintf(notes[nnotes++], sizeof(notes[0]), "%s: %s", what, why);
	printf("%s: %s\n", what, why);
	fflush(stdout);
}

static int wfp_decide(struct bwfp *w, const struct bset *set, const struct bpkt *p,
		      bool linear, struct bdecision *d)
{
	struct wfp_incoming in;
	struct wfp_verdict v;
	int ret;

	b_wfp_packet(w, p, &in);
	ret = linear ? wfp_classify_linear(w->e, &in, &v, NULL) :
		       wfp_classify(w->e, &in, &v, NULL);
	d->rule = b_wfp_rule(set, v.filter_id);
	d->action = v.action == WFP_ACTION_BLOCK ? B_BLOCK :
		    v.action == WFP_ACTION_PERMIT ? B_PERMIT : 0;
	return ret;
}

static bool same(const struct bdecision *a, const struct bdecision *b)
{
	return a->rule == b->rule && a->action == b->action;
}

/* Average leaf length (candidates walked) and tree shape, for the docs. */
static void tree_stats(const char *tag, struct bwfp *w, const struct bpkt *p, uint32_t n)
{
	const struct clayer *cl = w->e->published[WFP_LAYER_ALE_AUTH_CONNECT_V4];
	const struct ctree *t = cl ? cl->tree : NULL;
	struct wfp_incoming in;
	uint32_t key[CT_MAXDIM];
	uint64_t sum = 0, per[CT_MAXTREE] = { 0 }, steps = 0;
	char name[128], r[160];

	if (!t || !t->ntree)
		return;
	for (uint32_t i = 0; i < n; i++) {
		b_wfp_packet(w, &p[i], &in);
		if (wfp_ctree_key(t, &in, key))
			for (unsigned k = 0; k < t->ntree; k++) {
				uint32_t ref = t->root[k];

				while (!(ref & CT_LEAF)) { /* as wfp_ctree_leaf */
					const struct ct_node *nd = &t->node[ref];

					ref = t->kid[nd->kids + ((key[nd->dim] >> nd->shift) & nd->mask)];
					steps++;
				}
				sum += wfp_ctree_leaf(t, k, key)[0];
				per[k] += wfp_ctree_leaf(t, k, key)[0];
			}
	}
	snprintf(name, sizeof(name), "candidates.%s.wfp", tag);
	snprintf(r, sizeof(r), "of %u filters; %u trees, %.1f levels/tree, %u nodes, "
		 "%u child refs, %u leaf words", cl->nfilt, t->ntree,
		 (double)steps / n / t->ntree, t->nnode, t->nkid, t->npool);
	figure(name, (double)sum / n, "filters/lookup", r);
	if (getenv("WFP_BENCH_DEBUG")) {
		for (unsigned k = 0; k < t->ntree; k++)
			printf("  tree %u: %.1f\n", k, (double)per[k] / n);
		for (uint32_t i = 0; i < 3; i++) {
			const uint32_t *lf;

			b_wfp_packet(w, &p[i], &in);
			if (!wfp_ctree_key(t, &in, key))
				continue;
			lf = wfp_ctree_leaf(t, t->ntree - 1, key);
			printf("  packet %u key %08x %08x %u %u %u\n", i, key[0], key[1], key[2],
			       key[3], key[4]);
			for (uint32_t j = 0; j < lf[0]; j++) {
				const uint32_t *e = lf + 1 + j * CT_STRIDE;

				printf("    f%u sub %u in %d box", e[0] & ~CT_EXACT, e[CT_STRIDE - 1],
				       wfp_ctree_entry_in(t, e, key));
				for (unsigned d = 0; d < t->ndim; d++)
					printf(" [%x+%x]", e[1 + d], e[1 + CT_MAXDIM + d]);
				printf("\n");
			}
		}
		printf("  sizeof cfilter %zu ccond %zu; %u conditions\n", sizeof(struct cfilter),
		       sizeof(struct wfp_ccond), cl->ncond);
	}
}

/*
 * Throughput: slices of at least 20 ms over the trace, for min_s in all;
 * the best slice counts (the machine is shared: the best slice is the
 * one least disturbed, as with `perf bench`'s min-time).
 */
enum which { W_NAIVE, W_WFP, W_LINEAR, W_ACL };

static volatile uint64_t sink;

static double rate(enum which which, struct bwfp *w, struct bacl *a, const struct bset *set,
		   const struct bpkt *p, uint32_t n, double min_s)
{
	double start = b_now(), best = 0;
	uint64_t acc = 0;
	uint32_t i = 0;
	struct bdecision d[64];

	do {
		double t0 = b_now(), el;
		uint64_t done = 0;

		do {
			uint32_t k = n - i < 64 ? n - i : 64;

			switch (which) {
			case W_NAIVE:
				for (uint32_t j = 0; j < k; j++)
					b_naive(set, &p[i + j], &d[j]);
				break;
			case W_WFP:
			case W_LINEAR:
				for (uint32_t j = 0; j < k; j++)
					wfp_decide(w, set, &p[i + j], which == W_LINEAR, &d[j]);
				break;
			case W_ACL:
				b_acl_classify(a, set, &p[i], k, d);
				break;
			}
			acc += (uint64_t)d[0].rule;
			done += k;
			i = i + k < n ? i + k : 0;
		} while ((el = b_now() - t0) < 0.02);
		if (done / el > best)
			best = done / el;
	} while (b_now() - start < min_s);
	sink += acc;
	return best / 1e6;
}

/* ---- one rule set ---- */

static void size_tag(uint32_t n, char *buf, size_t len)
{
	if (n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
}

struct run_opts {
	uint32_t trace;
	double min_s;
	bool acl_ok;
	bool only_wfp;
	char acl_why[256];
};

static void ratio2(char *buf, size_t len, double v, double naive, double acl, bool have_acl)
{
	if (have_acl)
		snprintf(buf, len, "%.2fx vs naive, %.2fx vs rte_acl", v / naive, v / acl);
	else
		snprintf(buf, len, "%.2fx vs naive, rte_acl n/a", v / naive);
}

static int run_set(const char *tag, struct bset *set, struct run_opts *o)
{
	struct bpkt *p = malloc((size_t)o->trace * sizeof(*p));
	struct bdecision dn, dw, dl, da[64];
	struct bwfp w;
	struct bacl *a = NULL;
	double acl_build = 0, naive, wfp, lin, acl = 0;
	size_t acl_mem = 0;
	uint32_t bad = 0, bad_acl = 0;
	char name[128], r[160], why[256] = "";

	if (!p || b_wfp_load(&w, set)) {
		fprintf(stderr, "%s: cannot load rules into libwfp\n", tag);
		free(p);
		return -1;
	}
	b_trace(set, p, o->trace, 0xC0FFEE ^ set->n);
	if (o->acl_ok) {
		a = b_acl_build(set, &acl_build, &acl_mem, why, sizeof(why));
		if (!a)
			note("rte_acl", why);
	}
	for (uint32_t i = 0; i < o->trace; i += 64) {
		uint32_t k = o->trace - i < 64 ? o->trace - i : 64;

		if (a)
			b_acl_classify(a, set, &p[i], k, da);
		for (uint32_t j = 0; j < k; j++) {
			b_naive(set, &p[i + j], &dn);
			wfp_decide(&w, set, &p[i + j], false, &dw);
			wfp_decide(&w, set, &p[i + j], true, &dl);
			bad += !same(&dn, &dw) || !same(&dn, &dl);
			bad_acl += a && !same(&dn, &da[j]);
		}
	}
	snprintf(name, sizeof(name), "agree.%s", tag);
	snprintf(r, sizeof(r), "%u wfp and %s rte_acl disagreements with naive", bad,
		 a ? (snprintf(why, sizeof(why), "%u", bad_acl), why) : "no");
	figure(name, o->trace, "packets", r);

	tree_stats(tag, &w, p, o->trace);
	if (o->only_wfp && o->min_s <= 0) /* callgrind: the agreement pass only */
		goto out;
	wfp = rate(W_WFP, &w, a, set, p, o->trace, o->min_s);
	if (o->only_wfp) { /* profiling: perf record wfp_bench --only-wfp */
		snprintf(name, sizeof(name), "classify.%s.wfp", tag);
		figure(name, wfp, "Mlookups/s", "alone");
		goto out;
	}
	naive = rate(W_NAIVE, &w, a, set, p, o->trace, o->min_s);
	lin = rate(W_LINEAR, &w, a, set, p, o->trace, o->min_s);
	if (a)
		acl = rate(W_ACL, &w, a, set, p, o->trace, o->min_s);
	snprintf(name, sizeof(name), "classify.%s.naive", tag);
	figure(name, naive, "Mlookups/s", "baseline");
	if (a) {
		snprintf(name, sizeof(name), "classify.%s.rte_acl", tag);
		snprintf(r, sizeof(r), "%.2fx vs naive; batches of 64", acl / naive);
		figure(name, acl, "Mlookups/s", r);
	}
	snprintf(name, sizeof(name), "classify.%s.wfp_linear", tag);
	ratio2(r, sizeof(r), lin, naive, acl, a);
	figure(name, lin, "Mlookups/s", r);
	snprintf(name, sizeof(name), "classify.%s.wfp", tag);
	ratio2(r, sizeof(r), wfp, naive, acl, a);
	figure(name, wfp, "Mlookups/s", r);

	snprintf(name, sizeof(name), "memory.%s.wfp", tag);
	if (a)
		snprintf(r, sizeof(r), "%.2fx rte_acl's %.0f KiB", b_wfp_memory(&w) / (double)acl_mem,
			 acl_mem / 1024.0);
	else
		snprintf(r, sizeof(r), "rte_acl n/a");
	figure(name, b_wfp_memory(&w) / 1024.0, "KiB", r);
	snprintf(name, sizeof(name), "commit.%s.wfp", tag);
	if (a)
		snprintf(r, sizeof(r), "%.1fx faster than rte_acl build %.0f ms; filter adds %.0f ms",
			 acl_build / w.commit_s, acl_build * 1e3, w.add_s * 1e3);
	else
		snprintf(r, sizeof(r), "rte_acl n/a; filter adds %.0f ms", w.add_s * 1e3);
	figure(name, w.commit_s * 1e3, "ms", r);
out:
	b_acl_free(a);
	b_wfp_close(&w);
	free(p);
	return bad || bad_acl ? 1 : 0;
}

/* ---- JSON ---- */

static void machine(char *buf, size_t len)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	char line[256], cpu[64] = "unknown cpu", load[16];
	struct utsname u;

	while (fp && fgets(line, sizeof(line), fp)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			snprintf(cpu, sizeof(cpu), "%s", c + 2);
			cpu[strcspn(cpu, "\n")] = 0;
			break;
		}
	}
	if (fp)
		fclose(fp);
	uname(&u);
	fp = fopen("/proc/loadavg", "r");
	if (!fp || !fgets(line, sizeof(line), fp))
		snprintf(line, sizeof(line), "?");
	if (fp)
		fclose(fp);
	line[strcspn(line, " ")] = 0; /* the 1-minute figure */
	snprintf(load, sizeof(load), "%.15s", line);
	snprintf(buf, len, "%s, %ld CPUs, Linux %.40s %.16s, load %s at start", cpu,
		 sysconf(_SC_NPROCESSORS_ONLN), u.release, u.machine, load);
}

static void json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static int write_json(const char *path, const char *mach)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return -1;
	fprintf(fp, "{\n  \"machine\": ");
	json_str(fp, mach);
	fprintf(fp, ",\n  \"figures\": [\n");
	for (unsigned i = 0; i < nfig; i++) {
		fprintf(fp, "    {\"name\": ");
		json_str(fp, figs[i].name);
		fprintf(fp, ", \"value\": %.6g, \"unit\": ", figs[i].value);
		json_str(fp, figs[i].unit);
		fprintf(fp, ", \"ratio\": ");
		json_str(fp, figs[i].ratio);
		fprintf(fp, "}%s\n", i + 1 < nfig ? "," : "");
	}
	fprintf(fp, "  ],\n  \"notes\": [\n");
	for (unsigned i = 0; i < nnotes; i++) {
		fprintf(fp, "    ");
		json_str(fp, notes[i]);
		fprintf(fp, "%s\n", i + 1 < nnotes ? "," : "");
	}
	fprintf(fp, "  ]\n}\n");
	return fclose(fp);
}

/* ---- --check: TAP, no timings ---- */

static int check_set(unsigned *t, const char *what, struct bset *set, uint32_t npkt)
{
	struct bpkt *p = malloc((size_t)npkt * sizeof(*p));
	struct bdecision dn, dw, dl;
	struct bwfp w;
	uint32_t bad = 0, first = 0;

	if (!p || b_wfp_load(&w, set)) {
		printf("not ok %u - %s: load\n", ++*t, what);
		free(p);
		return 1;
	}
	b_trace(set, p, npkt, 77 + set->n);
	for (uint32_t i = 0; i < npkt; i++) {
		b_naive(set, &p[i], &dn);
		wfp_decide(&w, set, &p[i], false, &dw);
		wfp_decide(&w, set, &p[i], true, &dl);
		if (!same(&dn, &dw) || !same(&dn, &dl)) {
			if (!bad++) {
				first = i;
				printf("# packet %u: naive %d/%u wfp %d/%u linear %d/%u\n", i,
				       dn.rule, dn.action, dw.rule, dw.action, dl.rule, dl.action);
			}
		}
	}
	if (bad)
		printf("not ok %u - %s: %u of %u packets disagree (first %u)\n", ++*t, what, bad,
		       npkt, first);
	else
		printf("ok %u - %s: %u packets, compiled = linear = naive\n", ++*t, what, npkt);
	b_wfp_close(&w);
	free(p);
	return bad != 0;
}

static int check(const char *sample)
{
	static const char *kinds[] = { "acl", "fw", "ipc" };
	static const uint32_t sizes[] = { 100, 1000, 5000 };
	unsigned t = 0, fails = 0;
	struct bset set;
	char what[64];

	printf("TAP version 13\n1..%zu\n", 1 + sizeof(kinds) / sizeof(kinds[0]) * 3);
	for (size_t k = 0; k < 3; k++)
		for (size_t s = 0; s < 3; s++) {
			snprintf(what, sizeof(what), "%s %u", kinds[k], sizes[s]);
			if (b_generate(&set, kinds[k], sizes[s], 1000 + s)) {
				printf("not ok %u - %s: generate\n", ++t, what);
				fails++;
				continue;
			}
			fails += check_set(&t, what, &set, 20000);
			b_set_free(&set);
		}
	if (sample && !b_read_classbench(&set, sample)) {
		snprintf(what, sizeof(what), "classbench file (%u rules)", set.n);
		fails += check_set(&t, what, &set, 5000);
		b_set_free(&set);
	} else {
		printf("not ok %u - classbench file %s unreadable\n", ++t, sample ? sample : "-");
		fails++;
	}
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *kinds = "acl", *sizes = "1000,10000,100000", *json = NULL, *rules = NULL;
	struct run_opts o = { .trace = 100000, .min_s = 0.5 };
	char mach[256], tag[96], kbuf[64], *save, *save2, *k, *sz;
	int fails = 0;
	double t0 = b_now();

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			return check(i + 1 < argc ? argv[i + 1] : NULL);
		if (!strcmp(argv[i], "--only-wfp")) {
			o.only_wfp = true;
			o.min_s = 3;
			continue;
		}
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--kinds"))
			kinds = argv[++i];
		else if (!strcmp(argv[i], "--sizes"))
			sizes = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = argv[++i];
		else if (!strcmp(argv[i], "--rules"))
			rules = argv[++i];
		else if (!strcmp(argv[i], "--min-s"))
			o.min_s = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--trace"))
			o.trace = (uint32_t)strtoul(argv[++i], NULL, 10);
	}
	machine(mach, sizeof(mach));
	printf("machine: %s\n", mach);
	o.acl_ok = b_acl_init(o.acl_why, sizeof(o.acl_why));
	if (!o.acl_ok)
		note("rte_acl: not measured", o.acl_why);
	if (rules) {
		struct bset set;

		if (b_read_classbench(&set, rules)) {
			fprintf(stderr, "%s: no ClassBench rules read\n", rules);
			return 2;
		}
		size_tag(set.n, kbuf, sizeof(kbuf));
		snprintf(tag, sizeof(tag), "file.%s", kbuf);
		fails |= run_set(tag, &set, &o);
		b_set_free(&set);
	}
	snprintf(kbuf, sizeof(kbuf), "%s", rules ? "" : kinds);
	for (k = strtok_r(kbuf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char sbuf[128];

		snprintf(sbuf, sizeof(sbuf), "%s", sizes);
		for (sz = strtok_r(sbuf, ",", &save2); sz; sz = strtok_r(NULL, ",", &save2)) {
			uint32_t n = (uint32_t)strtoul(sz, NULL, 10);
			struct bset set;
			char st[16];

			if (b_generate(&set, k, n, 42)) {
				fprintf(stderr, "cannot generate %s %u\n", k, n);
				return 2;
			}
			size_tag(n, st, sizeof(st));
			snprintf(tag, sizeof(tag), "%s.%s", k, st);
			fails |= run_set(tag, &set, &o);
			b_set_free(&set);
		}
	}
	note("replay", "measured by wfp_bench_replay (make bench runs it next)");
	note("live", "measured by bench/wfpd-bench and bench/ebpf_connect.sh (root only)");
	figure("bench.total", b_now() - t0, "s", NULL);
	if (json && write_json(json, mach))
		fprintf(stderr, "%s: cannot write\n", json);
	return fails ? 1 : 0;
}
