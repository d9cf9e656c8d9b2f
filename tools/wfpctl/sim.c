// SPDX-License-Identifier: MIT
/*
 * sim.c - `wfpctl sim [--json] [-v] SCRIPT`: run a scenario script through
 * the stack model and print every classification (docs/sim.md).
 *
 * Text output is one aligned line per classification:
 *
 *   seq  host    event     layer                          action  filter  flags
 *     7  client  connect   FWPM_LAYER_ALE_AUTH_CONNECT_V4 permit  3       -
 *
 * --json prints the same records as JSON lines with the keys seq, host,
 * event, layer, action, filter_id (null when no filter decided) and
 * flags (an array of strings).  --values adds the incoming values that
 * are not EMPTY (an indented line; a "values" object in JSON).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <wfp/wfp.h>
#include <wfp/wfp_sim.h>

#include "wfpctl.h"

enum {
	EVENT_W = 10,
	LAYER_W = 45 /* FWPM_LAYER_ALE_RESOURCE_ASSIGNMENT_V4_DISCARD */
};

struct out {
	bool json;
	bool values;
	unsigned host_w;
	uint64_t seq;
};

static const char *action_name(uint32_t a)
{
	if (a == WFP_ACTION_PERMIT)
		return "permit";
	if (a == WFP_ACTION_BLOCK)
		return "block";
	return "none";
}

/* "FIREWALL_POLICY", "ENDPOINT_NOT_FOUND", ... or "MODULE/N". */
static const char *discard_name(const struct wfp_metadata *md, char *buf, size_t len)
{
	static const char *const mod[] = { "NETWORK", "TRANSPORT", "GENERAL" };
	uint32_t m = md->discard_module, r = md->discard_reason;

	if (m == WFP_DISCARD_MODULE_GENERAL && r == WFP_DISCARD_FIREWALL_POLICY)
		return "FIREWALL_POLICY";
	if (m == WFP_DISCARD_MODULE_TRANSPORT && r == WFP_INET_DISCARD_ENDPOINT_NOT_FOUND)
		return "ENDPOINT_NOT_FOUND";
	if (m == WFP_DISCARD_MODULE_NETWORK && r == WFP_IP_DISCARD_PORT_UNREACHABLE)
		return "PORT_UNREACHABLE";
	if (m == WFP_DISCARD_MODULE_NETWORK && r == 3)
		return "PROTOCOL_UNREACHABLE";
	snprintf(buf, len, "%s/%u", m < 3 ? mod[m] : "?", r);
	return buf;
}

/* The flags that matter, as words; returns how many. */
static unsigned flag_words(const struct wfp_trace_rec *r, const char *w[6], char *dbuf,
			   size_t dlen)
{
	unsigned n = 0;

	if (r->flags & WFP_TRACE_F_REAUTH)
		w[n++] = "reauth";
	if (r->flags & WFP_TRACE_F_LOOPBACK)
		w[n++] = "loopback";
	if (r->flags & WFP_TRACE_F_FRAGMENT)
		w[n++] = "fragment";
	if (r->flags & WFP_TRACE_F_REASSEMBLED)
		w[n++] = "reassembled";
	if (r->flags & WFP_TRACE_F_ABSORB)
		w[n++] = "absorb";
	if ((r->flags & WFP_TRACE_F_DISCARD) && r->md) {
		char tmp[48];

		snprintf(dbuf, dlen, "discard=%s", discard_name(r->md, tmp, sizeof(tmp)));
		w[n++] = dbuf;
	}
	return n;
}

static bool is_addr(unsigned f)
{
	return f == WFP_FIELD_IP_LOCAL_ADDRESS || f == WFP_FIELD_IP_REMOTE_ADDRESS ||
	       f == WFP_FIELD_IP_SOURCE_ADDRESS || f == WFP_FIELD_IP_DESTINATION_ADDRESS ||
	       f == WFP_FIELD_EMBEDDED_REMOTE_ADDRESS;
}

/* One incoming value as text; false for EMPTY. */
static bool value_text(unsigned f, const struct wfp_value *v, char *buf, size_t len)
{
	struct in_addr a4;

	switch (v->type) {
	case WFP_UINT8:
		snprintf(buf, len, "%u", v->u8);
		return true;
	case WFP_UINT16:
		snprintf(buf, len, "%u", v->u16);
		return true;
	case WFP_UINT32:
		if (is_addr(f)) {
			a4.s_addr = htonl(v->u32);
			inet_ntop(AF_INET, &a4, buf, (socklen_t)len);
		} else if (f == WFP_FIELD_FLAGS || f == WFP_FIELD_REAUTHORIZE_REASON) {
			snprintf(buf, len, "0x%x", v->u32);
		} else {
			snprintf(buf, len, "%u", v->u32);
		}
		return true;
	case WFP_UINT64:
		snprintf(buf, len, "%llu", (unsigned long long)v->u64);
		return true;
	case WFP_BYTE_ARRAY16:
		inet_ntop(AF_INET6, v->a16, buf, (socklen_t)len);
		return true;
	case WFP_BYTE_BLOB:
	case WFP_SID:
		snprintf(buf, len, "%.*s", (int)v->blob.size, (const char *)v->blob.data);
		return true;
	case WFP_TOKEN_INFORMATION:
	case WFP_TOKEN_ACCESS_INFORMATION:
		snprintf(buf, len, "uid=%u", v->token ? v->token->uid : 0);
		return true;
	default:
		return false;
	}
}

/* The field's name; at the ICMP_ERROR layers the port slots are named
 * ICMP_TYPE / ICMP_CODE, as WFP's field enumerations do (spec §1.3). */
static const char *slot_name(unsigned layer, unsigned f)
{
	if (strstr(wfp_layer_name(layer), "ICMP_ERROR")) {
		if (f == WFP_FIELD_IP_LOCAL_PORT)
			return "ICMP_TYPE";
		if (f == WFP_FIELD_IP_REMOTE_PORT)
			return "ICMP_CODE";
	}
	return wfp_field_name(f);
}

static void print_values(const struct wfp_incoming *in, struct json_object *jv)
{
	bool first = true;

	for (unsigned i = 0; i < in->nvalues; i++) {
		int f = wfp_layer_field(in->layer, i);
		char buf[128];

		if (f < 0 || !value_text((unsigned)f, &in->values[i], buf, sizeof(buf)))
			continue;
		if (jv) {
			json_object_object_add(jv, slot_name(in->layer, (unsigned)f),
					       json_object_new_string(buf));
			continue;
		}
		printf("%s%s=%s", first ? "        " : " ", slot_name(in->layer, (unsigned)f),
		       buf);
		first = false;
	}
	if (!jv && !first)
		putchar('\n');
}

static void print_json(struct out *o, const struct wfp_trace_rec *r, const char *layer,
		       const char *w[6], unsigned nw)
{
	struct json_object *j = json_object_new_object(), *fl = json_object_new_array();

	if (!j || !fl) {
		json_object_put(j);
		json_object_put(fl);
		return;
	}
	json_object_object_add(j, "seq", json_object_new_int64((int64_t)o->seq));
	json_object_object_add(j, "host", json_object_new_string(r->host_name));
	json_object_object_add(j, "event", json_object_new_string(wfp_stack_event_name(r->event)));
	json_object_object_add(j, "layer", json_object_new_string(layer));
	json_object_object_add(j, "action", json_object_new_string(action_name(r->verdict.action)));
	json_object_object_add(j, "filter_id", r->verdict.filter_id ?
			       json_object_new_int64((int64_t)r->verdict.filter_id) : NULL);
	for (unsigned i = 0; i < nw; i++)
		json_object_array_add(fl, json_object_new_string(w[i]));
	json_object_object_add(j, "flags", fl);
	if (o->values && r->in) {
		struct json_object *jv = json_object_new_object();

		if (jv) {
			print_values(r->in, jv);
			json_object_object_add(j, "values", jv);
		}
	}
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void on_trace(const struct wfp_trace_rec *r, void *ctx)
{
	struct out *o = ctx;
	char layer[64], dbuf[64], id[24] = "-", flags[128] = "-";
	const char *w[6];
	unsigned nw;

	o->seq++;
	snprintf(layer, sizeof(layer), "FWPM_LAYER_%s", wfp_layer_name(r->layer));
	nw = flag_words(r, w, dbuf, sizeof(dbuf));
	if (o->json) {
		print_json(o, r, layer, w, nw);
		return;
	}
	if (r->verdict.filter_id)
		snprintf(id, sizeof(id), "%llu", (unsigned long long)r->verdict.filter_id);
	if (nw) {
		flags[0] = '\0';
		for (unsigned i = 0; i < nw; i++) {
			if (i)
				strncat(flags, ",", sizeof(flags) - strlen(flags) - 1);
			strncat(flags, w[i], sizeof(flags) - strlen(flags) - 1);
		}
	}
	printf("%4llu  %-*s  %-*s  %-*s  %-6s  %-6s  %s\n", (unsigned long long)o->seq,
	       (int)o->host_w, r->host_name, EVENT_W, wfp_stack_event_name(r->event),
	       LAYER_W, layer, action_name(r->verdict.action), id, flags);
	if (o->values && r->in)
		print_values(r->in, NULL);
}

static void on_note(const char *file, unsigned line, const char *msg, void *ctx)
{
	fprintf(stderr, "%s:%u: %s\n", file, line, msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wfpctl sim [--json] [--values] [-v|--verbose] SCRIPT\n");
}

int cmd_sim(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "values", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wfp_sim_error err = { 0 };
	struct out o = { 0 };
	bool verbose = false;
	struct wfp_sim *s;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			o.values = true;
			break;
		case 'h':
			usage(stdout);
			return WFPCTL_EXIT_OK;
		default:
			usage(stderr);
			return WFPCTL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return WFPCTL_EXIT_USAGE;
	}
	s = wfp_sim_new();
	if (!s) {
		fprintf(stderr, "wfpctl sim: out of memory\n");
		return WFPCTL_EXIT_NOMEM;
	}
	ret = wfp_sim_load_file(s, argv[optind], &err);
	if (!ret) {
		o.host_w = wfp_sim_name_width(s);
		wfp_sim_set_trace(s, on_trace, &o);
		if (verbose)
			wfp_sim_set_note(s, on_note, NULL);
		if (!o.json)
			printf("%4s  %-*s  %-*s  %-*s  %-6s  %-6s  %s\n", "seq", (int)o.host_w,
			       "host", EVENT_W, "event", LAYER_W, "layer", "action", "filter",
			       "flags");
		ret = wfp_sim_run(s, &err);
	}
	if (ret) {
		if (err.line)
			fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.msg);
		else
			fprintf(stderr, "%s: %s\n", err.file[0] ? err.file : argv[optind],
				err.msg[0] ? err.msg : wfp_strerror(ret));
	}
	wfp_sim_free(s);
	fflush(stdout);
	return ret ? WFPCTL_EXIT_FAIL : WFPCTL_EXIT_OK;
}
