/* SPDX-License-Identifier: MIT */
/*
 * session.c - wfpctl's management-session commands (docs/protocol.md,
 * "Sessions"; docs/wfpd.md, "Sessions from scripts"):
 *
 *   wfpctl session [--dynamic] [--name N] [--] CMD ARGS...
 *   wfpctl txn begin [--read-only] | commit | abort
 *   wfpctl filter add STATEMENT|JSON | delete ID|KEY | get ID|KEY |
 *                 list [--layer L] [--provider KEY] [--sublayer KEY]
 *   wfpctl sublayer|provider add STATEMENT|JSON | delete KEY
 *
 * `session` opens an engine session in wfpd over its own connection,
 * exports its id as $WFPD_SESSION (and the socket as $WFPD_SOCKET), runs
 * CMD and waits.  Every other command here, run with $WFPD_SESSION set,
 * attaches its connection to that session, so a script's `wfpctl txn
 * begin`, `filter add` and `txn commit` act in one session.  The session
 * lives exactly as long as the `wfpctl session` process: when it exits,
 * or is killed, the kernel closes its socket and wfpd closes the session
 * (a dynamic one takes its objects with it).  Its connection is
 * close-on-exec, so CMD cannot keep it alive by accident.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wfpctl.h"

#define DEFAULT_SOCK "/run/openwfp/wfpd.sock"

struct sconn {
	FILE *in;
	int fd;
	bool json;
	const char *path;
};

static int sconn_open(struct sconn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!c->path)
		c->path = getenv("WFPD_SOCKET") ? getenv("WFPD_SOCKET") : DEFAULT_SOCK;
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "wfpctl: socket path too long\n");
		return -1;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !(c->in = fdopen(c->fd, "r"))) {
		fprintf(stderr, "wfpctl: cannot reach wfpd at %s: %s\n", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void sconn_close(struct sconn *c)
{
	if (c->in)
		fclose(c->in);
	else if (c->fd >= 0)
		close(c->fd);
}

static void print_err(struct json_object *r)
{
	struct json_object *e, *k, *h;

	json_object_object_get_ex(r, "error", &e);
	if (json_object_object_get_ex(r, "code", &k) && json_object_object_get_ex(r, "hresult", &h))
		fprintf(stderr, "wfpctl: %s (%s): %s\n", json_object_get_string(k),
			json_object_get_string(h), json_object_get_string(e));
	else
		fprintf(stderr, "wfpctl: %s\n", json_object_get_string(e));
}

/* One request, one reply line; the reply (ok or not), NULL if none. */
static struct json_object *sreq(struct sconn *c, struct json_object *req)
{
	char *line = NULL;
	size_t cap = 0;
	struct json_object *r = NULL;
	const char *s;

	json_object_object_add(req, "v", json_object_new_int(2));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	/* a refused client still gets wfpd's one line: read even if the
	 * write fails because wfpd already hung up */
	for (size_t off = 0, len = strlen(s); off < len;) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	(void)!send(c->fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(req);
	if (getline(&line, &cap, c->in) > 0)
		r = json_tokener_parse(line);
	free(line);
	if (!r)
		fprintf(stderr, "wfpctl: no reply from wfpd\n");
	return r;
}

static bool ok(struct json_object *r)
{
	struct json_object *v;

	return r && json_object_object_get_ex(r, "ok", &v) && json_object_get_boolean(v);
}

static struct json_object *req_new(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

/* Connect; join $WFPD_SESSION if set.  0 or -1 (printed). */
static int attach(struct sconn *c)
{
	const char *id = getenv("WFPD_SESSION");
	struct json_object *req, *r;

	if (sconn_open(c))
		return -1;
	if (!id || !id[0])
		return 0;
	req = req_new("session-attach");
	json_object_object_add(req, "session", json_object_new_string(id));
	r = sreq(c, req);
	if (!ok(r)) {
		if (r)
			print_err(r);
		json_object_put(r);
		return -1;
	}
	json_object_put(r);
	return 0;
}

/* Common options: -s PATH, -j/--json, and --NAME VALUE pairs given in
 * `named` (stored into vals).  Returns the number of positionals. */
static int opts(struct sconn *c, int argc, char **argv, const char *const *named,
		const char **vals, char **pos, int maxpos)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		bool taken = false;

		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			c->path = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			c->json = true;
			continue;
		}
		for (int k = 0; named && named[k]; k++) {
			if (!strcmp(argv[i], named[k])) {
				vals[k] = i + 1 < argc ? argv[++i] : "";
				taken = true;
			}
		}
		if (taken)
			continue;
		if (n >= maxpos) {
			fprintf(stderr, "wfpctl: too many arguments\n");
			return -1;
		}
		pos[n++] = argv[i];
	}
	return n;
}

/* Sends req in the session; prints the reply: JSON with --json, else
 * print(r).  The exit code. */
static int run(struct sconn *c, struct json_object *req, void (*print)(struct json_object *))
{
	struct json_object *r;
	int rc;

	if (attach(c)) {
		json_object_put(req);
		sconn_close(c);
		return WFPCTL_EXIT_FAIL;
	}
	r = sreq(c, req);
	sconn_close(c);
	if (!r)
		return WFPCTL_EXIT_FAIL;
	rc = ok(r) ? WFPCTL_EXIT_OK : WFPCTL_EXIT_FAIL;
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	else if (rc)
		print_err(r);
	else if (print)
		print(r);
	json_object_put(r);
	return rc;
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void print_filter(struct json_object *f)
{
	struct json_object *conds;

	printf("%-6s %-34s %-18s %-20s %s\n", str(f, "id"), str(f, "layer"), str(f, "action"),
	       str(f, "weight"), str(f, "name"));
	printf("       key %s\n", str(f, "key"));
	if (!json_object_object_get_ex(f, "conditions", &conds))
		return;
	for (size_t j = 0; j < json_object_array_length(conds); j++) {
		struct json_object *k = json_object_array_get_idx(conds, j);

		printf("       %s %s %s\n", str(k, "field"), str(k, "match"), str(k, "value"));
	}
}

static void print_added(struct json_object *r)
{
	printf("%s%s%s\n", str(r, "id"), json_object_object_get_ex(r, "id", NULL) ? " " : "",
	       str(r, "key"));
}

static void print_got(struct json_object *r)
{
	struct json_object *f;

	if (json_object_object_get_ex(r, "filter", &f))
		print_filter(f);
}

static void print_list(struct json_object *r)
{
	struct json_object *a;

	if (!json_object_object_get_ex(r, "filters", &a))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		print_filter(json_object_array_get_idx(a, i));
}

/* STATEMENT words joined by spaces, or one JSON object. */
static struct json_object *object_req(const char *cmd, const char *member, int n, char **pos)
{
	struct json_object *req = req_new(cmd), *o;
	size_t len = 0;
	char *t;

	if (n == 1 && pos[0][strspn(pos[0], " \t\n")] == '{') {
		o = json_tokener_parse(pos[0]);
		if (!o || !json_object_is_type(o, json_type_object)) {
			fprintf(stderr, "wfpctl: bad JSON object\n");
			json_object_put(o);
			json_object_put(req);
			return NULL;
		}
		json_object_object_add(req, member, o);
		return req;
	}
	for (int i = 0; i < n; i++)
		len += strlen(pos[i]) + 1;
	t = calloc(1, len + 1);
	if (!t) {
		json_object_put(req);
		return NULL;
	}
	len = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(pos[i]);

		memcpy(t + len, pos[i], l);
		len += l;
		if (i + 1 < n)
			t[len++] = ' ';
	}
	json_object_object_add(req, "text", json_object_new_string(t));
	free(t);
	return req;
}

/* ID (digits) or KEY (GUID). */
static void add_which(struct json_object *req, const char *s, bool id_ok)
{
	if (id_ok && s[0] && strspn(s, "0123456789") == strlen(s))
		json_object_object_add(req, "id", json_object_new_int64(strtoll(s, NULL, 10)));
	else
		json_object_object_add(req, "key", json_object_new_string(s));
}

/* filter|sublayer|provider: add / delete / get / list */
static int objects(const char *kind, int argc, char **argv)
{
	static const char *const named[] = { "--layer", "--provider", "--sublayer", NULL };
	const char *vals[3] = { NULL };
	struct sconn c = { .fd = -1 };
	bool filter = !strcmp(kind, "filter");
	struct json_object *req;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	char cmd[32];
	int n, rc = WFPCTL_EXIT_USAGE;

	if (!pos)
		return WFPCTL_EXIT_NOMEM;
	n = opts(&c, argc - 1, argv + 1, filter ? named : NULL, vals, pos, argc);
	if (n < 1)
		goto usage;
	snprintf(cmd, sizeof(cmd), "%s-%s", kind, !strcmp(pos[0], "list") ? "enum" : pos[0]);
	if (!strcmp(pos[0], "add") && n >= 2) {
		req = object_req(cmd, kind, n - 1, pos + 1);
		rc = req ? run(&c, req, print_added) : WFPCTL_EXIT_FAIL;
	} else if ((!strcmp(pos[0], "delete") || (filter && !strcmp(pos[0], "get"))) && n == 2) {
		req = req_new(cmd);
		add_which(req, pos[1], filter);
		rc = run(&c, req, filter && pos[0][0] == 'g' ? print_got : NULL);
	} else if (filter && !strcmp(pos[0], "list") && n == 1) {
		req = req_new(cmd);
		for (int k = 0; k < 3; k++)
			if (vals[k])
				json_object_object_add(req, named[k] + 2, json_object_new_string(vals[k]));
		rc = run(&c, req, print_list);
	} else {
		goto usage;
	}
	free(pos);
	return rc;
usage:
	free(pos);
	fprintf(stderr, "usage: wfpctl %s add STATEMENT|JSON | delete %s%s\n", kind,
		filter ? "ID|KEY | get ID|KEY | list [--layer L] [--provider KEY] "
			 "[--sublayer KEY]" : "KEY", "");
	return WFPCTL_EXIT_USAGE;
}

int cmd_filter(int argc, char **argv)
{
	return objects("filter", argc, argv);
}

int cmd_sublayer(int argc, char **argv)
{
	return objects("sublayer", argc, argv);
}

int cmd_provider(int argc, char **argv)
{
	return objects("provider", argc, argv);
}

int cmd_txn(int argc, char **argv)
{
	struct sconn c = { .fd = -1 };
	struct json_object *req;
	char *pos[2];
	bool ro = false;
	char cmd[32];
	int n = opts(&c, argc - 1, argv + 1, NULL, NULL, pos, 2);

	if (n == 2 && (!strcmp(pos[1], "--read-only") || !strcmp(pos[1], "-r"))) {
		ro = true;
		n--;
	}
	if (n != 1 || (strcmp(pos[0], "begin") && strcmp(pos[0], "commit") &&
		       strcmp(pos[0], "abort")) || (ro && strcmp(pos[0], "begin"))) {
		fprintf(stderr, "usage: wfpctl txn begin [--read-only] | commit | abort\n");
		return WFPCTL_EXIT_USAGE;
	}
	/* without a session, the transaction would die with this process */
	if (!getenv("WFPD_SESSION")) {
		fprintf(stderr, "wfpctl: txn needs a session: run it under 'wfpctl session'\n");
		return WFPCTL_EXIT_USAGE;
	}
	snprintf(cmd, sizeof(cmd), "txn-%s", pos[0]);
	req = req_new(cmd);
	if (ro)
		json_object_object_add(req, "read_only", json_object_new_boolean(1));
	return run(&c, req, NULL);
}

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int cmd_session(int argc, char **argv)
{
	struct sconn c = { .fd = -1 };
	struct json_object *req, *r;
	const char *name = "wfpctl session";
	bool dyn = false;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dynamic") || !strcmp(argv[i], "-d")) {
			dyn = true;
		} else if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			c.path = argv[++i];
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: wfpctl session [--dynamic] [--name N] [--] CMD ARGS...\n");
		return WFPCTL_EXIT_USAGE;
	}
	if (getenv("WFPD_SESSION")) {
		fprintf(stderr, "wfpctl: already inside a session (WFPD_SESSION is set)\n");
		return WFPCTL_EXIT_USAGE;
	}
	if (sconn_open(&c))
		return WFPCTL_EXIT_FAIL;
	req = req_new("session-open");
	json_object_object_add(req, "dynamic", json_object_new_boolean(dyn));
	json_object_object_add(req, "name", json_object_new_string(name));
	r = sreq(&c, req);
	if (!ok(r)) {
		if (r)
			print_err(r);
		json_object_put(r);
		sconn_close(&c);
		return WFPCTL_EXIT_FAIL;
	}
	setenv("WFPD_SESSION", str(r, "session"), 1);
	setenv("WFPD_SOCKET", c.path, 1);
	json_object_put(r);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		perror("wfpctl: fork");
		sconn_close(&c);
		return WFPCTL_EXIT_FAIL;
	}
	if (child == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "wfpctl: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	/* the session outlives no one: signals meant for us go to CMD, and
	 * we close the session once it is gone */
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	signal(SIGQUIT, forward);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			break;
	sconn_close(&c);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : WFPCTL_EXIT_FAIL;
}
