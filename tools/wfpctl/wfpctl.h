/* SPDX-License-Identifier: MIT */
/* wfpctl.h - the subcommands of wfpctl; each lives in its own file. */
#ifndef WFPCTL_H
#define WFPCTL_H

/* Exit codes (pfctl/nftables style). */
enum wfpctl_exit {
	WFPCTL_EXIT_OK = 0,
	WFPCTL_EXIT_FAIL = 1,  /* the operation failed (bad input, error) */
	WFPCTL_EXIT_USAGE = 2, /* bad command line */
	WFPCTL_EXIT_NOMEM = 3
};

struct wfpctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
	const char *usage;
};

/* Subcommands: declare here, list in main.c. */
int cmd_layers(int argc, char **argv);
int cmd_fields(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_replay(int argc, char **argv);
/* daemon.c: talk to wfpd */
int cmd_show_any(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_flush(int argc, char **argv);
/* session.c: sessions, transactions and objects in wfpd */
int cmd_session(int argc, char **argv);
int cmd_txn(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_sublayer(int argc, char **argv);
int cmd_provider(int argc, char **argv);

#endif
