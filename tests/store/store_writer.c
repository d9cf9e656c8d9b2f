/* SPDX-License-Identifier: MIT */
/*
 * store_writer.c - the two halves of the store kill test (issue 8).
 *
 *   store_writer write PATH N   commit generation 1, 2, 3, ... forever:
 *                               each a transaction that replaces the N
 *                               persistent filters of the previous one
 *                               with N new ones described "gen G", then
 *                               prints "G" once the commit returned
 *   store_writer check PATH N   open an engine on the store and print the
 *                               generation it holds (0: none), or fail if
 *                               the filters are not exactly one whole
 *                               generation
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

static struct wfp_engine *open_engine(const char *path)
{
	struct wfp_engine_opts o = { .sz = sizeof(o), .store_path = path };
	struct wfp_engine *e = wfp_engine_open(&o);

	if (!e) {
		fprintf(stderr, "store_writer: open %s: %s\n", path, wfp_strerror(errno));
		exit(2);
	}
	return e;
}

static int one_generation(struct wfp_session *s, unsigned long gen, unsigned n)
{
	struct wfp_filter **all;
	size_t cnt;
	char desc[32];
	int ret;

	ret = wfp_txn_begin(s, 0);
	if (!ret)
		ret = wfp_filter_enum(s, NULL, &all, &cnt);
	for (size_t i = 0; !ret && i < cnt; i++)
		ret = wfp_filter_delete_by_id(s, all[i]->filter_id);
	if (!ret || cnt)
		wfp_filter_array_free(all, cnt);
	snprintf(desc, sizeof(desc), "gen %lu", gen);
	for (unsigned i = 0; !ret && i < n; i++) {
		struct wfp_filter_cond c = { .field = WFP_FIELD_IP_REMOTE_PORT,
					     .match = WFP_MATCH_EQUAL };
		struct wfp_filter f = { .display = { .name = "kill test", .description = desc } };

		c.value.type = WFP_UINT16;
		c.value.v.type = WFP_UINT16;
		c.value.v.u16 = (uint16_t)i;
		f.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
		f.flags = WFP_FILTER_F_PERSISTENT;
		f.action.type = i % 2 ? WFP_ACTION_BLOCK : WFP_ACTION_PERMIT;
		f.cond = &c;
		f.ncond = 1;
		ret = wfp_filter_add(s, &f, NULL);
	}
	if (ret) {
		wfp_txn_abort(s);
		return ret;
	}
	return wfp_txn_commit(s);
}

static int writer(const char *path, unsigned n)
{
	struct wfp_engine *e = open_engine(path);
	struct wfp_session *s = wfp_session_open(e, NULL);

	for (unsigned long gen = 1;; gen++) {
		int ret = one_generation(s, gen, n);

		if (ret) {
			fprintf(stderr, "store_writer: gen %lu: %s\n", gen, wfp_strerror(ret));
			return 1;
		}
		printf("%lu\n", gen);
		fflush(stdout);
	}
}

static int check(const char *path, unsigned n)
{
	struct wfp_engine *e = open_engine(path);
	struct wfp_session *s = wfp_session_open(e, NULL);
	struct wfp_filter **all;
	unsigned long gen = 0;
	size_t cnt;
	int ret = wfp_filter_enum(s, NULL, &all, &cnt);

	if (ret) {
		fprintf(stderr, "store_writer: enum: %s\n", wfp_strerror(ret));
		return 2;
	}
	for (size_t i = 0; i < cnt; i++) {
		unsigned long g = strtoul(all[i]->display.description + 4, NULL, 10);

		if (i && g != gen) {
			fprintf(stderr, "store_writer: mixed generations %lu and %lu\n", gen, g);
			return 1;
		}
		gen = g;
	}
	if (cnt && cnt != n) {
		fprintf(stderr, "store_writer: %zu filters, want %u\n", cnt, n);
		return 1;
	}
	wfp_filter_array_free(all, cnt);
	wfp_engine_close(e);
	printf("%lu\n", gen);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: store_writer write|check PATH N\n");
		return 2;
	}
	if (!strcmp(argv[1], "write"))
		return writer(argv[2], (unsigned)atoi(argv[3]));
	return check(argv[2], (unsigned)atoi(argv[3]));
}
