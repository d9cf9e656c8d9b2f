/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - the wfpctl commands that talk to a running wfpd over its
 * management socket (docs/protocol.md): load, show filters|flows|
 * netevents|counters, monitor, flush.  Human output by default, the
 * daemon's JSON with --json.
 *
 * Options of every command here: -s/--socket PATH (or $WFPD_SOCKET,
 * default /run/openwfp/wfpd.sock), -j/--json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <wfp/wfp.h>

#include "wfpctl.h"

#define DEFAULT_SOCK "/run/openwfp/wfpd.sock"

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
	bool json;
	const char *path;
	long count;     /* monitor: stop after this many events (0: never) */
	long long since; /* show netevents: only events after this seq */
	const char *filter; /* show netevents, monitor: KEY=VALUE[,KEY=VALUE...] */
};

/* Strips -s PATH / --json / -c N out of argv; the rest is positional. */
static int parse_opts(struct conn *c, int argc, char **argv, char **pos, int maxpos)
{
	int n = 0;

	c->path = getenv("WFPD_SOCKET") ? getenv("WFPD_SOCKET") : DEFAULT_SOCK;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			c->path = argv[++i];
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			c->json = true;
		} else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--count")) && i + 1 < argc) {
			c->count = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			c->since = strtoll(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
			c->filter = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "wfpctl: unknown option '%s'\n", argv[i]);
			return -1;
		} else if (n < maxpos) {
			pos[n++] = argv[i];
		} else {
			fprintf(stderr, "wfpctl: too many arguments\n");
			return -1;
		}
	}
	return n;
}

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "wfpctl: socket path too long\n");
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "wfpctl: cannot reach wfpd at %s: %s\n", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int send_req(struct conn *c, struct json_object *req)
{
	const char *s;
	size_t len, off = 0;

	json_object_object_add(req, "v", json_object_new_int(1));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			json_object_put(req);
			return -1;
		}
		off += (size_t)n;
	}
	json_object_put(req);
	if (send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return -1;
	return 0;
}

/* Next response line as JSON; NULL at EOF or error. */
static struct json_object *read_obj(struct conn *c)
{
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			struct json_object *o;

			*nl = '\0';
			o = json_tokener_parse(c->buf);
			c->len -= (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len);
			if (!o)
				fprintf(stderr, "wfpctl: bad reply from wfpd\n");
			return o;
		}
		if (c->cap - c->len < 65536) {
			char *p = realloc(c->buf, c->cap + (1 << 20));

			if (!p)
				return NULL;
			c->buf = p;
			c->cap += 1 << 20;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t num(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static bool has(struct json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL);
}

/* Sends req, reads one reply; prints the error.  NULL on failure. */
static struct json_object *call(struct conn *c, struct json_object *req)
{
	struct json_object *r, *okv;

	if (conn_open(c)) {
		json_object_put(req);
		return NULL;
	}
	/* a refused client still gets wfpd's one-line answer: read it even
	 * if the send failed because wfpd already hung up */
	send_req(c, req);
	r = read_obj(c);
	if (!r) {
		fprintf(stderr, "wfpctl: no reply from wfpd\n");
		return NULL;
	}
	if (!json_object_object_get_ex(r, "ok", &okv) || !json_object_get_boolean(okv)) {
		fprintf(stderr, "wfpctl: %s\n", str(r, "error"));
		json_object_put(r);
		return NULL;
	}
	return r;
}

static void conn_close(struct conn *c)
{
	if (c->fd > 0)
		close(c->fd);
	free(c->buf);
}

static struct json_object *req_new(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *b = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - *len < 4096) {
			char *p = realloc(b, cap ? cap * 2 : 65536);

			if (!p)
				break;
			b = p;
			cap = cap ? cap * 2 : 65536;
		}
		n = fread(b + *len, 1, cap - *len - 1, f);
		*len += n;
		if (!n)
			break;
	}
	fclose(f);
	if (b)
		b[*len] = '\0';
	return b;
}

int cmd_load(int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	struct json_object *req, *r;
	char *pos[1], *text;
	size_t len;

	if (parse_opts(&c, argc, argv, pos, 1) != 1) {
		fprintf(stderr, "usage: wfpctl load [-s SOCKET] [--json] FILE\n");
		return WFPCTL_EXIT_USAGE;
	}
	text = slurp(pos[0], &len);
	if (!text) {
		fprintf(stderr, "wfpctl: %s: %s\n", pos[0], strerror(errno));
		return WFPCTL_EXIT_FAIL;
	}
	req = req_new("load");
	json_object_object_add(req, "name", json_object_new_string(pos[0]));
	json_object_object_add(req, "text", json_object_new_string_len(text, (int)len));
	free(text);
	r = call(&c, req);
	conn_close(&c);
	if (!r)
		return WFPCTL_EXIT_FAIL;
	if (c.json)
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	else
		printf("loaded %s\n", pos[0]);
	json_object_put(r);
	return WFPCTL_EXIT_OK;
}

int cmd_flush(int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	struct json_object *r;
	char *pos[1];

	if (parse_opts(&c, argc, argv, pos, 0) != 0)
		return WFPCTL_EXIT_USAGE;
	r = call(&c, req_new("flush"));
	conn_close(&c);
	if (!r)
		return WFPCTL_EXIT_FAIL;
	if (c.json)
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	else
		printf("flushed: no filters\n");
	json_object_put(r);
	return WFPCTL_EXIT_OK;
}

/*
 * --filter KEY=VALUE[,KEY=VALUE...]: an event is shown when every named
 * field has that value (its JSON text, so numbers compare as decimal):
 * e.g. layer=ALE_AUTH_CONNECT_V4,filter_id=7 or action=block,uid=1000.
 */
static bool event_matches(struct json_object *e, const char *filter)
{
	char buf[512], *save = NULL;

	if (!filter || !*filter)
		return true;
	snprintf(buf, sizeof(buf), "%s", filter);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		struct json_object *v;

		if (!eq)
			return false;
		*eq = '\0';
		if (!json_object_object_get_ex(e, t, &v) ||
		    strcmp(json_object_get_string(v) ? json_object_get_string(v) : "", eq + 1))
			return false;
	}
	return true;
}

static void print_event(struct json_object *e)
{
	printf("%6lld %-34s %-6s filter=%-5lld %-10s %-3s proto=%-2lld %s:%lld -> %s:%lld",
	       (long long)num(e, "seq"), str(e, "layer"), str(e, "action"),
	       (long long)num(e, "filter_id"), str(e, "event"), str(e, "direction"),
	       (long long)num(e, "proto"), str(e, "local"), (long long)num(e, "local_port"),
	       str(e, "remote"), (long long)num(e, "remote_port"));
	if (has(e, "reauth"))
		printf(" reauth");
	if (has(e, "discard_reason"))
		printf(" discard=%lld/%lld", (long long)num(e, "discard_module"),
		       (long long)num(e, "discard_reason"));
	if (has(e, "uid"))
		printf(" uid=%lld", (long long)num(e, "uid"));
	if (has(e, "app"))
		printf(" app=%s", str(e, "app"));
	printf("\n");
}

static void print_filters(struct json_object *arr)
{
	printf("%-6s %-34s %-18s %-20s %-8s %s\n", "ID", "LAYER", "ACTION", "WEIGHT", "HITS", "NAME");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *f = json_object_array_get_idx(arr, i), *conds;

		printf("%-6lld %-34s %-18s %-20llu %-8lld %s\n", (long long)num(f, "id"), str(f, "layer"),
		       str(f, "action"), (unsigned long long)num(f, "weight"), (long long)num(f, "hits"),
		       str(f, "name"));
		if (!json_object_object_get_ex(f, "conditions", &conds))
			continue;
		for (size_t j = 0; j < json_object_array_length(conds); j++) {
			struct json_object *k = json_object_array_get_idx(conds, j);

			printf("       %s %s %s\n", str(k, "field"), str(k, "match"), str(k, "value"));
		}
	}
}

static void print_flows(struct json_object *arr)
{
	printf("%-6s %-3s %-5s %-30s %-30s %-12s %-8s %-4s %s\n", "ID", "DIR", "PROTO", "LOCAL",
	       "REMOTE", "STATE", "PKTS", "FAST", "OWNER");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *f = json_object_array_get_idx(arr, i);
		char l[80], r[80];

		snprintf(l, sizeof(l), "%s:%lld", str(f, "local"), (long long)num(f, "local_port"));
		snprintf(r, sizeof(r), "%s:%lld", str(f, "remote"), (long long)num(f, "remote_port"));
		printf("%-6lld %-3s %-5lld %-30s %-30s %-12s %-8lld %-4s", (long long)num(f, "id"),
		       str(f, "direction"), (long long)num(f, "proto"), l, r, str(f, "state"),
		       (long long)num(f, "packets"), strcmp(str(f, "fastpath"), "true") ? "no" : "yes");
		if (has(f, "uid"))
			printf(" uid=%lld", (long long)num(f, "uid"));
		if (has(f, "app"))
			printf(" %s", str(f, "app"));
		printf("\n");
	}
}

static void print_counters(struct json_object *r)
{
	struct json_object *c, *l;

	printf("queue path: %s\nepoch: %lld\n", str(r, "queue_path"), (long long)num(r, "epoch"));
	if (*str(r, "ebpf")) {
		long long k = num(r, "kernel_path");

		printf("ebpf: %s\nkernel path:%s%s%s%s%s\n", str(r, "ebpf"), k & 1 ? " out4" : "",
		       k & 2 ? " out6" : "", k & 4 ? " in4" : "", k & 8 ? " in6" : "",
		       k ? "" : " off");
	}
	if (!json_object_object_get_ex(r, "counters", &c))
		return;
	json_object_object_foreach(c, k, v) {
		if (strcmp(k, "per_layer"))
			printf("%-20s %lld\n", k, (long long)json_object_get_int64(v));
	}
	if (json_object_object_get_ex(c, "per_layer", &l)) {
		printf("%-38s %10s %10s %10s %10s\n", "classifications per layer", "total", "permit",
		       "block", "none");
		json_object_object_foreach(l, k2, v2)
			printf("  %-36s %10lld %10lld %10lld %10lld\n", k2, (long long)num(v2, "classified"),
			       (long long)num(v2, "permit"), (long long)num(v2, "block"),
			       (long long)num(v2, "none"));
	}
}

static bool daemon_topic(const char *s)
{
	return !strcmp(s, "filters") || !strcmp(s, "flows") || !strcmp(s, "netevents") ||
	       !strcmp(s, "counters");
}

/* `show` is shared: `show FILE` is the offline policy view (policy.c),
 * `show filters|flows|netevents|counters` asks wfpd. */
int cmd_show_any(int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	struct json_object *req, *r, *arr;
	char *pos[1];
	bool topic = false;

	/* exactly one positional argument, a topic: ask wfpd; anything else
	 * (`show FILE`, `show filters FILE`) is the offline view */
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' || (i > 1 && (!strcmp(argv[i - 1], "-s") ||
						    !strcmp(argv[i - 1], "--socket") ||
						    !strcmp(argv[i - 1], "--since") ||
						    !strcmp(argv[i - 1], "--filter"))))
			continue;
		npos++;
		topic = daemon_topic(argv[i]);
	}
	if (!topic || npos != 1)
		return cmd_show(argc, argv);
	if (parse_opts(&c, argc, argv, pos, 1) != 1)
		return WFPCTL_EXIT_USAGE;
	req = req_new("show");
	json_object_object_add(req, "what", json_object_new_string(pos[0]));
	if (c.since > 0)
		json_object_object_add(req, "since", json_object_new_int64(c.since));
	r = call(&c, req);
	conn_close(&c);
	if (!r)
		return WFPCTL_EXIT_FAIL;
	if (c.filter && json_object_object_get_ex(r, pos[0], &arr)) {
		/* keep only the matching entries, for both outputs */
		struct json_object *keep = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *e = json_object_array_get_idx(arr, i);

			if (event_matches(e, c.filter))
				json_object_array_add(keep, json_object_get(e));
		}
		json_object_object_add(r, pos[0], keep);
	}
	if (c.json) {
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY));
	} else if (!strcmp(pos[0], "counters")) {
		print_counters(r);
	} else if (json_object_object_get_ex(r, pos[0], &arr)) {
		if (!strcmp(pos[0], "filters"))
			print_filters(arr);
		else if (!strcmp(pos[0], "flows"))
			print_flows(arr);
		else
			for (size_t i = 0; i < json_object_array_length(arr); i++)
				print_event(json_object_array_get_idx(arr, i));
	}
	json_object_put(r);
	return WFPCTL_EXIT_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct conn c = { .fd = -1 };
	struct json_object *r, *e;
	char *pos[1];
	long seen = 0;

	if (parse_opts(&c, argc, argv, pos, 0) != 0) {
		fprintf(stderr, "usage: wfpctl monitor [-s SOCKET] [--json] [-c COUNT] [--filter K=V,...]\n");
		return WFPCTL_EXIT_USAGE;
	}
	r = call(&c, req_new("monitor"));
	if (!r) {
		conn_close(&c);
		return WFPCTL_EXIT_FAIL;
	}
	json_object_put(r);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((r = read_obj(&c))) {
		if (json_object_object_get_ex(r, "event", &e) && event_matches(e, c.filter)) {
			if (c.json)
				printf("%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
			else
				print_event(e);
			seen++;
		}
		json_object_put(r);
		if (c.count && seen >= c.count)
			break;
	}
	conn_close(&c);
	return WFPCTL_EXIT_OK;
}
