/* SPDX-License-Identifier: MIT */
/*
 * policy_load.c - time the two halves of loading a policy file: parsing
 * (any format) and applying it to a fresh engine in one transaction
 * (bench/policy_xml.md).  Not a test: it prints numbers, asserts nothing.
 *
 *   wfp_policy_load FILE [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <wfp/wfp.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(const char *path)
{
	struct wfp_policy_error err;
	struct wfp_policy *p;
	struct wfp_engine *e;
	struct wfp_session *s;
	double t0 = now(), t1, t2;

	if (wfp_policy_parse_file(path, WFP_POLICY_FMT_AUTO, &p, &err)) {
		wfp_policy_error_print(&err, stderr);
		return 1;
	}
	t1 = now();
	e = wfp_engine_open(NULL);
	s = e ? wfp_session_open(e, NULL) : NULL;
	if (!s || wfp_policy_apply(s, p, 0, &err)) {
		wfp_policy_error_print(&err, stderr);
		wfp_policy_free(p);
		wfp_engine_close(e);
		return 1;
	}
	t2 = now();
	printf("parse %.3f s  apply+commit %.3f s  total %.3f s\n", t1 - t0, t2 - t1, t2 - t0);
	wfp_policy_free(p);
	wfp_engine_close(e);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 3;

	if (argc < 2) {
		fprintf(stderr, "usage: wfp_policy_load FILE [RUNS]\n");
		return 2;
	}
	for (int i = 0; i < runs; i++)
		if (run(argv[1]))
			return 1;
	return 0;
}
