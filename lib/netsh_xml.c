/* SPDX-License-Identifier: MIT */
/* netsh_xml.c - Windows netsh wfp XML (libxml2). */
#include "policy.h"

int pol_parse_xml(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err)
{
	return pol_error(err, -WFP_E_INVAL, p->file, 0, 0, NULL, 0,
			 "netsh XML policies are not supported yet");
}

int pol_write_xml(const struct wfp_policy *p, FILE *out)
{
	return -WFP_E_INVAL;
}
