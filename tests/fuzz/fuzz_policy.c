/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy.c - whole policy files (text .wfp, JSON, netsh XML; the
 * format is chosen by content) through wfp_policy_load_string(): parsed,
 * validated and applied to a fresh engine, then the engine is closed.
 * The first byte chooses the flags so that check-only and replace runs
 * are fuzzed too; the rest is the file.
 */
#include <stdint.h>

#include <wfp/wfp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_engine_opts eo = { .sz = sizeof(eo) };
	struct wfp_policy_error pe;
	struct wfp_engine *e;
	struct wfp_session *s;
	uint32_t flags = 0;

	if (size && data[0] < 4) { /* a flags byte, not text */
		flags = data[0] & (WFP_POLICY_REPLACE | WFP_POLICY_CHECK_ONLY);
		data++;
		size--;
	}
	e = wfp_engine_open(&eo);
	if (!e)
		return 0;
	s = wfp_session_open(e, NULL);
	if (s) {
		wfp_policy_load_string(s, (const char *)data, size, "fuzz", flags, &pe);
		/* a second load over the first: REPLACE and merge paths */
		wfp_policy_load_string(s, (const char *)data, size, "fuzz",
				       flags ^ WFP_POLICY_REPLACE, NULL);
	}
	wfp_session_close(s);
	wfp_engine_close(e);
	return 0;
}
