/* SPDX-License-Identifier: MIT */
/*
 * layers.c - `wfpctl layers [LAYER...]` and `wfpctl fields [LAYER]`: dump
 * the constant tables, whole or for the named layers.  The names are
 * what shell completion (dist/completion/) offers.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <wfp/wfp.h>

#include "wfpctl.h"

static void print_layer(unsigned l)
{
	char g[37];

	printf("%2u FWPM_LAYER_%-36s %s", l, wfp_layer_name(l),
	       wfp_guid_format(wfp_layer_guid(l), g));
	for (unsigned i = 0; i < wfp_layer_field_count(l); i++)
		printf("%s%s", i ? "," : " ", wfp_field_name((unsigned)wfp_layer_field(l, i)));
	printf("\n");
}

static void print_field(unsigned f)
{
	char g[37];

	printf("FWPM_CONDITION_%-36s %s\n", wfp_field_name(f),
	       wfp_guid_format(wfp_field_guid(f), g));
}

static int layer_arg(const char *name)
{
	int l = wfp_layer_by_name(name);

	if (l < 0)
		fprintf(stderr, "wfpctl: unknown layer '%s' (see wfpctl layers)\n", name);
	return l;
}

static bool help(int argc, char **argv, const char *usage)
{
	if (argc < 2 || (strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
		return false;
	printf("usage: wfpctl %s\n", usage);
	return true;
}

int cmd_layers(int argc, char **argv)
{
	int l;

	if (help(argc, argv, "layers [LAYER...]"))
		return WFPCTL_EXIT_OK;
	if (argc < 2) {
		for (unsigned i = 0; i < WFP_LAYER_MAX; i++)
			print_layer(i);
		return WFPCTL_EXIT_OK;
	}
	/* check every name first: no partial output on a typo */
	for (int i = 1; i < argc; i++)
		if (layer_arg(argv[i]) < 0)
			return WFPCTL_EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		l = wfp_layer_by_name(argv[i]);
		print_layer((unsigned)l);
	}
	return WFPCTL_EXIT_OK;
}

int cmd_fields(int argc, char **argv)
{
	int l, f;

	if (help(argc, argv, "fields [LAYER|FIELD]"))
		return WFPCTL_EXIT_OK;
	if (argc > 2) {
		fprintf(stderr, "usage: wfpctl fields [LAYER|FIELD]\n");
		return WFPCTL_EXIT_USAGE;
	}
	if (argc < 2) {
		for (unsigned i = 0; i < WFP_FIELD_MAX; i++)
			print_field(i);
		return WFPCTL_EXIT_OK;
	}
	l = wfp_layer_by_name(argv[1]);
	if (l >= 0) {
		/* the layer's fields in its own slot order (spec §1.3) */
		for (unsigned i = 0; i < wfp_layer_field_count((unsigned)l); i++)
			print_field((unsigned)wfp_layer_field((unsigned)l, i));
		return WFPCTL_EXIT_OK;
	}
	f = wfp_field_by_name(argv[1]);
	if (f < 0) {
		fprintf(stderr, "wfpctl: '%s' is neither a layer nor a field "
			"(see wfpctl layers, wfpctl fields)\n", argv[1]);
		return WFPCTL_EXIT_FAIL;
	}
	/* one field: its GUID, then every layer a filter may test it at */
	print_field((unsigned)f);
	for (unsigned i = 0; i < WFP_LAYER_MAX; i++)
		if (wfp_layer_field_index(i, (unsigned)f) >= 0)
			printf("  FWPM_LAYER_%s\n", wfp_layer_name(i));
	return WFPCTL_EXIT_OK;
}
