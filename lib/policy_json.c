/* SPDX-License-Identifier: MIT */
/* policy_json.c - JSON policies (json-c); docs/policy.md, "JSON". */
#include "policy.h"

int pol_parse_json(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err)
{
	return pol_error(err, -WFP_E_INVAL, p->file, 0, 0, NULL, 0,
			 "JSON policies are not supported yet");
}

int pol_write_json(const struct wfp_policy *p, FILE *out)
{
	return -WFP_E_INVAL;
}
