/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sim.c - scenario scripts of the stack model (wfp_sim.h,
 * docs/sim.md): parsed, and when they parse, run once with tracing on,
 * so that the parser, the policy lines inside scripts and the stack
 * model's handling of odd sequences (sends before connects, unknown
 * hosts, closes twice) are all exercised.
 */
#include <stdint.h>

#include <wfp/wfp.h>
#include <wfp/wfp_sim.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void trace(const struct wfp_trace_rec *r, void *ctx)
{
	(void)r;
	(void)ctx;
}

static void note(const char *file, unsigned line, const char *msg, void *ctx)
{
	(void)file;
	(void)line;
	(void)msg;
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_sim_error err;
	struct wfp_sim *s = wfp_sim_new();

	if (!s)
		return 0;
	wfp_sim_set_trace(s, trace, NULL);
	wfp_sim_set_note(s, note, NULL);
	/* relative policy paths resolve nowhere: only inline policy counts */
	if (!wfp_sim_load_string(s, (const char *)data, size, "fuzz.sim",
				 "/nonexistent-fuzz-dir", &err))
		wfp_sim_run(s, &err);
	wfp_sim_free(s);
	return 0;
}
