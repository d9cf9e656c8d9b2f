/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy_parse.c - one policy reader (FUZZ_FORMAT: the text
 * language, JSON or netsh XML; built once per format) without an engine,
 * with two properties that must hold for every input it accepts:
 *   - what wfp_policy_write() produces in each format parses again;
 *   - the canonical text form is a fixed point: writing the re-parsed
 *     text gives the same bytes.
 * A violation aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT WFP_POLICY_FMT_AUTO
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* p written in format fmt, in a malloc'ed buffer (NULL if it fails). */
static char *write_mem(const struct wfp_policy *p, int fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (wfp_policy_write(p, fmt, f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static struct wfp_policy *reparse(const char *text, size_t len, int fmt)
{
	struct wfp_policy_error err;
	struct wfp_policy *p = NULL;

	if (wfp_policy_parse(text, len, "written", fmt, &p, &err)) {
		fprintf(stderr, "written %d form does not parse: %u:%u: %s\n%.*s\n", fmt,
			err.line, err.col, err.msg, (int)len, text);
		abort();
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int fmts[] = {
		WFP_POLICY_FMT_TEXT, WFP_POLICY_FMT_JSON, WFP_POLICY_FMT_XML,
	};
	struct wfp_policy_error err;
	struct wfp_policy *p = NULL;

	if (wfp_policy_parse((const char *)data, size, "fuzz", FUZZ_FORMAT, &p, &err))
		return 0;
	for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		size_t len1 = 0, len2 = 0;
		char *t1 = write_mem(p, fmts[i], &len1), *t2;
		struct wfp_policy *q;

		if (!t1)
			continue; /* a format that cannot express the policy */
		q = reparse(t1, len1, fmts[i]);
		if (fmts[i] == WFP_POLICY_FMT_TEXT) {
			t2 = write_mem(q, fmts[i], &len2);
			if (!t2 || len1 != len2 || memcmp(t1, t2, len1)) {
				fprintf(stderr, "text form is not a fixed point:\n%.*s\n---\n%.*s\n",
					(int)len1, t1, (int)len2, t2 ? t2 : "");
				abort();
			}
			free(t2);
		}
		wfp_policy_free(q);
		free(t1);
	}
	wfp_policy_free(p);
	return 0;
}
