/* SPDX-License-Identifier: MIT */
/*
 * main.c - wfpctl: the command-line front end of libwfp.  A thin table of
 * subcommands (wg-tools' wg.c subcommands[]); each does its work through
 * the public libwfp API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

#include "wfpctl.h"

static const struct wfpctl_cmd cmds[] = {
	{ "layers", cmd_layers, "[LAYER...]: list layers: run-time id, name, GUID, fields" },
	{ "fields", cmd_fields, "[LAYER|FIELD]: list fields (conditions), or the layers of one" },
	{ "check", cmd_check, "[-n] [--json|--xml] FILE: validate a policy, print it canonically" },
	{ "show", cmd_show_any, "[filters] [--json|--xml] FILE: load a policy, print the engine's view;\n"
	  "             show [-s SOCK] [--json] [--since SEQ] [--filter K=V,...]\n"
	  "                  filters|flows|netevents|counters: ask wfpd" },
	{ "load", cmd_load, "[-s SOCK] [--json] FILE: replace wfpd's policy (one transaction)" },
	{ "monitor", cmd_monitor, "[-s SOCK] [--json] [-c N] [--filter K=V,...]: stream wfpd's classify events" },
	{ "flush", cmd_flush, "[-s SOCK] [--json]: delete every filter of wfpd's policy" },
	{ "session", cmd_session, "[--dynamic] [--] CMD ARGS...: run CMD holding a wfpd session\n"
	  "             ($WFPD_SESSION); a dynamic one's objects die with it" },
	{ "txn", cmd_txn, "begin [--read-only] | commit | abort: in $WFPD_SESSION" },
	{ "filter", cmd_filter, "add STATEMENT|JSON | delete ID|KEY | get ID|KEY | list\n"
	  "             [--layer L] [--provider K] [--sublayer K]: wfpd's filters" },
	{ "sublayer", cmd_sublayer, "add STATEMENT|JSON | delete KEY: wfpd's sublayers" },
	{ "provider", cmd_provider, "add STATEMENT|JSON | delete KEY: wfpd's providers" },
	{ "sim", cmd_sim, "run a scenario script through the stack model" },
	{ "replay", cmd_replay, "--policy FILE CAPTURE: replay a pcap through a policy" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wfpctl [--version] [-s WFPD_SOCKET] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].usage);
}

int main(int argc, char **argv)
{
	/* -s/--socket PATH before the command: the wfpd to talk to */
	while (argc > 2 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "--socket"))) {
		setenv("WFPD_SOCKET", argv[2], 1);
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		usage(stderr);
		return WFPCTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("wfpctl (openwfp) %s\n", wfp_version());
		return WFPCTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return WFPCTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "wfpctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return WFPCTL_EXIT_USAGE;
}
