/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy_roundtrip.c - the writers against the readers: any input
 * that parses (text, JSON or netsh XML, by content) must
 *   - list as text that parses back to the same listing,
 *   - go to JSON and back to the same listing,
 *   - go to XML and back to a stable XML (the first XML import may add
 *     placeholders for objects the policy only refers to, docs/policy.md).
 * A violation aborts, so libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *emit(const struct wfp_policy *p, int fmt, size_t *len)
{
	char *b = NULL;
	FILE *f = open_memstream(&b, len);

	if (!f)
		abort();
	if (wfp_policy_write(p, fmt, f))
		abort();
	fclose(f);
	return b;
}

/* Parse text (which must parse) and write it in fmt. */
static char *again(const char *text, size_t len, int in, int fmt, size_t *olen)
{
	struct wfp_policy_error e;
	struct wfp_policy *p;
	char *r;

	if (wfp_policy_parse(text, len, "rt", in, &p, &e)) {
		fprintf(stderr, "does not reparse: %u:%u %s\n%.*s\n", e.line, e.col, e.msg,
			(int)len, text);
		abort();
	}
	r = emit(p, fmt, olen);
	wfp_policy_free(p);
	return r;
}

static void same(const char *a, size_t la, const char *b, size_t lb, const char *what)
{
	if (la != lb || memcmp(a, b, la)) {
		fprintf(stderr, "%s differs:\n%.*s\n----\n%.*s\n", what, (int)la, a, (int)lb, b);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_policy_error e;
	struct wfp_policy *p;
	size_t l1, l2, lj, l3, lx1, lx2, lx3;
	char *t1, *t2, *j, *t3, *x1, *x2, *x3;

	wfp_set_log(NULL, NULL);
	if (wfp_policy_parse((const char *)data, size, "f", WFP_POLICY_FMT_AUTO, &p, &e))
		return 0;
	t1 = emit(p, WFP_POLICY_FMT_TEXT, &l1);
	j = emit(p, WFP_POLICY_FMT_JSON, &lj);
	x1 = emit(p, WFP_POLICY_FMT_XML, &lx1);
	wfp_policy_free(p);
	t2 = again(t1, l1, WFP_POLICY_FMT_TEXT, WFP_POLICY_FMT_TEXT, &l2);
	same(t1, l1, t2, l2, "text listing");
	t3 = again(j, lj, WFP_POLICY_FMT_JSON, WFP_POLICY_FMT_TEXT, &l3);
	same(t1, l1, t3, l3, "text via JSON");
	x2 = again(x1, lx1, WFP_POLICY_FMT_XML, WFP_POLICY_FMT_XML, &lx2);
	x3 = again(x2, lx2, WFP_POLICY_FMT_XML, WFP_POLICY_FMT_XML, &lx3);
	same(x2, lx2, x3, lx3, "XML");
	free(t1);
	free(t2);
	free(t3);
	free(j);
	free(x1);
	free(x2);
	free(x3);
	return 0;
}
