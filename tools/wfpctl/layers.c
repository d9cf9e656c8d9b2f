/* SPDX-License-Identifier: MIT */
/* layers.c - `wfpctl layers` and `wfpctl fields`: dump the constant tables. */
#include <stdio.h>

#include <wfp/wfp.h>

#include "wfpctl.h"

int cmd_layers(int argc, char **argv)
{
	char g[37];

	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		printf("%2u FWPM_LAYER_%-36s %s", l, wfp_layer_name(l),
		       wfp_guid_format(wfp_layer_guid(l), g));
		for (unsigned i = 0; i < wfp_layer_field_count(l); i++)
			printf("%s%s", i ? "," : " ", wfp_field_name((unsigned)wfp_layer_field(l, i)));
		printf("\n");
	}
	return WFPCTL_EXIT_OK;
}

int cmd_fields(int argc, char **argv)
{
	char g[37];

	for (unsigned f = 0; f < WFP_FIELD_MAX; f++)
		printf("FWPM_CONDITION_%-36s %s\n", wfp_field_name(f),
		       wfp_guid_format(wfp_field_guid(f), g));
	return WFPCTL_EXIT_OK;
}
