/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sddl.c - the SDDL parser of security-descriptor conditions
 * (sd.c, docs/internals/sd.md) and the access check over what it parsed.
 * SDDL arrives in policy files and through the management API.
 */
#include <stdint.h>

#include <wfp/wfp.h>

#include "cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t gids[] = { 0, 27, 100, 1000 };
	static const struct wfp_token tok[] = {
		{ 0, 0, NULL }, { 1000, 4, gids }, { 65534, 1, gids + 3 },
	};
	struct wfp_sd *sd;

	if (wfp_sd_parse(data, size, &sd))
		return 0;
	for (unsigned i = 0; i < sizeof(tok) / sizeof(tok[0]); i++) {
		wfp_sd_access_check(sd, &tok[i], 1);
		wfp_sd_access_check(sd, &tok[i], 0xffffffff);
	}
	wfp_sd_free(sd);
	return 0;
}
