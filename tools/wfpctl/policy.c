/* SPDX-License-Identifier: MIT */
/*
 * policy.c - wfpctl check and wfpctl show: policies in any of the three
 * formats (text, JSON, netsh XML, detected by content), docs/policy.md.
 *
 *   wfpctl check [-n] [--text|--json|--xml] FILE
 *	parse, validate and compile FILE in a scratch engine (-n: parse
 *	and validate only, no engine) and print it in canonical form; on
 *	an error print it with file:line:col and a caret, exit 1.
 *   wfpctl show [filters] [--text|--json|--xml] FILE
 *	load FILE into a scratch engine and print what the engine holds,
 *	filters in arbitration order with ids and effective weights.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <wfp/wfp.h>

#include "wfpctl.h"

struct opts {
	bool parse_only;
	int format;
	const char *file;
};

static int parse_args(int argc, char **argv, bool allow_n, struct opts *o)
{
	o->parse_only = false;
	o->format = WFP_POLICY_FMT_TEXT;
	o->file = NULL;
	for (int i = 1; i < argc; i++) {
		if (allow_n && !strcmp(argv[i], "-n"))
			o->parse_only = true;
		else if (!strcmp(argv[i], "--json"))
			o->format = WFP_POLICY_FMT_JSON;
		else if (!strcmp(argv[i], "--xml"))
			o->format = WFP_POLICY_FMT_XML;
		else if (!strcmp(argv[i], "--text"))
			o->format = WFP_POLICY_FMT_TEXT;
		else if (!o->file && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			o->file = argv[i];
		else
			return -1;
	}
	return o->file ? 0 : -1;
}

static int usage(const char *cmd)
{
	fprintf(stderr, "usage: wfpctl %s%s [--text|--json|--xml] FILE\n", cmd,
		strcmp(cmd, "check") ? "" : " [-n]");
	return WFPCTL_EXIT_USAGE;
}

/* A scratch engine with one static session. */
static struct wfp_session *scratch(struct wfp_engine **e)
{
	struct wfp_session *s;

	*e = wfp_engine_open(NULL);
	if (!*e)
		return NULL;
	s = wfp_session_open(*e, NULL);
	if (!s) {
		wfp_engine_close(*e);
		*e = NULL;
	}
	return s;
}

static int fail(const struct wfp_policy_error *err)
{
	wfp_policy_error_print(err, stderr);
	return err->code == -WFP_E_NOMEM ? WFPCTL_EXIT_NOMEM : WFPCTL_EXIT_FAIL;
}

static int parse(const struct opts *o, struct wfp_policy **p,
		 struct wfp_policy_error *err)
{
	const char *path = strcmp(o->file, "-") ? o->file : "/dev/stdin";

	return wfp_policy_parse_file(path, WFP_POLICY_FMT_AUTO, p, err);
}

/* libwfp reports what a policy import skipped through its log. */
static void log_warnings(enum wfp_log_level lvl, const char *msg, void *ctx)
{
	if (lvl <= WFP_LOG_WARN)
		fprintf(stderr, "wfpctl: %s: %s\n", lvl == WFP_LOG_ERROR ? "error" : "warning",
			msg);
}

/* Parse, optionally apply to a scratch engine, print. */
static int run(const struct opts *o, bool snapshot)
{
	struct wfp_policy_error err = { 0 };
	struct wfp_policy *p = NULL, *shown;
	struct wfp_session *s = NULL;
	struct wfp_engine *e = NULL;
	int ret = WFPCTL_EXIT_FAIL;

	wfp_set_log(log_warnings, NULL);
	if (parse(o, &p, &err))
		return fail(&err);
	if (!o->parse_only) {
		s = scratch(&e);
		if (!s) {
			fprintf(stderr, "wfpctl: cannot open an engine\n");
			goto out;
		}
		if (wfp_policy_apply(s, p, 0, &err)) {
			ret = fail(&err);
			goto out;
		}
	}
	shown = p;
	if (snapshot && wfp_policy_snapshot(s, &shown)) {
		fprintf(stderr, "wfpctl: cannot read the engine\n");
		goto out;
	}
	if (wfp_policy_write(shown, o->format, stdout) == 0 && fflush(stdout) == 0)
		ret = WFPCTL_EXIT_OK;
	else
		fprintf(stderr, "wfpctl: write error\n");
	if (shown != p)
		wfp_policy_free(shown);
out:
	wfp_policy_free(p);
	wfp_session_close(s);
	wfp_engine_close(e);
	return ret;
}

int cmd_check(int argc, char **argv)
{
	struct opts o;

	if (parse_args(argc, argv, true, &o))
		return usage("check");
	return run(&o, false);
}

int cmd_show(int argc, char **argv)
{
	struct opts o;

	/* "wfpctl show filters FILE" reads as netsh's "show filters" */
	if (argc > 2 && !strcmp(argv[1], "filters")) {
		argc--;
		argv++;
	}
	if (parse_args(argc, argv, false, &o))
		return usage("show");
	return run(&o, true);
}
