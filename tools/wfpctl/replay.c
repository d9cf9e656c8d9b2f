// SPDX-License-Identifier: MIT
/*
 * replay.c - `wfpctl replay`: a packet capture through a policy, one line
 * per packet with its verdict and why, a summary, the split capture, and
 * the what-if modes (docs/replay.md):
 *
 *   wfpctl replay --policy A [--host ADDR]... [--json] [--explain N]
 *                 [--no-packets] [--no-summary]
 *                 [--write-permitted OUT] [--write-blocked OUT]
 *                 [--diff B | --policy-change-at N B] CAPTURE
 *
 * The capture is read twice when it is a file: once to infer the host
 * and its listening ports, once to replay.  From stdin ("-") --host is
 * needed and no listeners are known.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <pcap/pcap.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_policy.h>
#include <wfp/wfp_replay.h>

#include "wfpctl.h"

enum {
	MAX_HOSTS = 8,
	NAME_CACHE = 1024,
	FSTAT_MAX = 4096,
	TALKERS_MAX = 4096,
	TOP_TALKERS = 10,
	LAYER_MAX = 128
};

struct side {
	const char *policy;
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_replay *r;
	struct {
		uint64_t id;
		char *name;
	} names[NAME_CACHE];
};

struct fstat {
	uint64_t id; /* filter id + 1 (0 = free); id 0 = "no filter" */
	uint64_t pkts[4], flows[4];
	char *name;  /* as it was when first counted (a policy may change) */
};

struct talker {
	struct wfp_addr a;
	uint64_t pkts;
	bool used;
};

struct opts {
	bool json, packets, summary, flows;
	uint64_t explain, change_at;
	const char *change_policy, *diff_policy;
	const char *wperm, *wblock;
};

struct run {
	struct opts o;
	struct side a, b;
	bool diff;
	uint64_t pkts[4], reasons[WFP_RR_MAX], flows[4], cut, malformed;
	uint64_t layer_cnt[LAYER_MAX][4];
	struct fstat *fst;
	struct talker *talk;
	/* diff: flow ends of A waiting for B's (same order, docs/replay.md) */
	struct wfp_replay_flow *q;
	size_t qhead, qlen, qcap;
	uint64_t ndiff;
	bool nomem;
};

/* ---- filter names ---- */

static const char *filter_name(struct side *sd, uint64_t id)
{
	unsigned slot = (unsigned)(id * 2654435761u) % NAME_CACHE;
	struct wfp_filter *f = NULL;

	if (!id)
		return NULL;
	if (sd->names[slot].id == id)
		return sd->names[slot].name;
	if (wfp_filter_get_by_id(sd->s, id, &f))
		return NULL;
	free(sd->names[slot].name);
	sd->names[slot].id = id;
	sd->names[slot].name = strdup(f->display.name ? f->display.name : "");
	wfp_filter_free(f);
	return sd->names[slot].name;
}

static void side_close(struct side *sd)
{
	for (unsigned i = 0; i < NAME_CACHE; i++)
		free(sd->names[i].name);
	wfp_replay_free(sd->r);
	wfp_session_close(sd->s);
	wfp_engine_close(sd->e);
}

static int load(struct side *sd, const char *path, uint32_t flags)
{
	struct wfp_policy_error err = { 0 };
	int ret = wfp_policy_load_file(sd->s, path, flags, &err);

	if (ret) {
		if (err.msg[0])
			wfp_policy_error_print(&err, stderr);
		else
			fprintf(stderr, "wfpctl replay: %s: %s\n", path, wfp_strerror(ret));
	}
	/* the name cache stays: filter ids are never reused by an engine */
	return ret;
}

static int side_open(struct side *sd, const char *path)
{
	sd->policy = path;
	sd->e = wfp_engine_open(NULL);
	sd->s = sd->e ? wfp_session_open(sd->e, NULL) : NULL;
	if (!sd->s) {
		fprintf(stderr, "wfpctl replay: cannot open an engine\n");
		return -1;
	}
	return load(sd, path, 0) ? -1 : 0;
}

/* ---- formatting ---- */

static const char *proto_name(unsigned p, char *buf, size_t len)
{
	switch (p) {
	case WFP_PROTO_TCP: return "tcp";
	case WFP_PROTO_UDP: return "udp";
	case WFP_PROTO_ICMP: return "icmp";
	case WFP_PROTO_ICMPV6: return "icmp6";
	default:
		snprintf(buf, len, "ip%u", p);
		return buf;
	}
}

static bool icmp(const struct wfp_pkt *p)
{
	return p->proto == WFP_PROTO_ICMP || p->proto == WFP_PROTO_ICMPV6;
}

static void endpoint(const struct wfp_addr *a, uint16_t port, bool ports, char *buf,
		     size_t len)
{
	char ab[64];

	wfp_addr_format(a, ab, sizeof(ab));
	if (!ports)
		snprintf(buf, len, "%s", ab);
	else if (a->family == WFP_AF_INET6)
		snprintf(buf, len, "[%s]:%u", ab, port);
	else
		snprintf(buf, len, "%s:%u", ab, port);
}

/* "SYN", "SYN-ACK", "data", "echo", "icmp 3/3", "frag" ... */
static void what(const struct wfp_pkt *p, char *buf, size_t len)
{
	if ((p->flags & WFP_PKT_F_FRAGMENT) && p->frag_off) {
		snprintf(buf, len, "frag@%u", p->frag_off * 8u);
		return;
	}
	if (p->proto == WFP_PROTO_TCP) {
		static const char *const n[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG" };
		size_t o = 0;

		buf[0] = '\0';
		for (int i = 0; i < 6; i++)
			if (p->tcp_flags & (1 << i))
				o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
						      o ? "|" : "", n[i]);
		if (!o)
			snprintf(buf, len, "none");
		if (p->payload_len && o < len)
			snprintf(buf + o, len - o, "+%u", p->payload_len);
		return;
	}
	if (icmp(p)) {
		snprintf(buf, len, "type%u/%u", p->icmp_type, p->icmp_code);
		return;
	}
	snprintf(buf, len, "len%u", p->payload_len);
}

static const char *action_name(uint32_t a)
{
	return a == WFP_ACTION_PERMIT ? "permit" : a == WFP_ACTION_BLOCK ? "block" : "none";
}

static void print_line(struct run *rn, struct side *sd, const struct wfp_replay_rec *rec,
		       uint64_t ts0)
{
	char src[80], dst[80], w[48], pb[8], fid[24] = "-", layers[1024];
	const struct wfp_pkt *p = &rec->pkt;
	const char *name = filter_name(sd, rec->filter_id);
	bool ports = !icmp(p) && !(p->frag_off);
	double t = (double)(rec->ts_us - ts0) / 1e6;
	size_t o = 0;

	if (rec->parse_err) {
		printf("%-5" PRIu64 " %10.6f -   -     (%s, %u bytes) flow=- %s %s\n", rec->num, t,
		       wfp_pkt_strerror(rec->parse_err), rec->caplen,
		       wfp_replay_verdict_name(rec->verdict), wfp_replay_reason_name(rec->reason));
		return;
	}
	endpoint(&p->src, p->sport, ports, src, sizeof(src));
	endpoint(&p->dst, p->dport, ports, dst, sizeof(dst));
	what(p, w, sizeof(w));
	if (rec->filter_id)
		snprintf(fid, sizeof(fid), "%" PRIu64, rec->filter_id);
	layers[0] = '\0';
	for (unsigned i = 0; i < rec->nlayers && o < sizeof(layers); i++) {
		const struct wfp_replay_layer *l = &rec->layers[i];

		o += (size_t)snprintf(layers + o, sizeof(layers) - o, "%s%s%s", i ? "," : "",
				      wfp_layer_name(l->layer),
				      l->verdict.action == WFP_ACTION_BLOCK ? ":block" : "");
	}
	if (!rec->nlayers)
		snprintf(layers, sizeof(layers), "-");
	printf("%-5" PRIu64 " %10.6f %-3s %-5s %s > %s %s flow=%" PRIu64 " %s %s filter=%s%s%s%s"
	       " sublayer=0x%x layer=%s layers=%s\n",
	       rec->num, t, wfp_replay_dir_name(rec->dir),
	       proto_name(p->proto, pb, sizeof(pb)), src, dst, w, rec->flow_id,
	       wfp_replay_verdict_name(rec->verdict), wfp_replay_reason_name(rec->reason), fid,
	       name ? " \"" : "", name ? name : "", name ? "\"" : "", rec->sublayer_weight,
	       rec->has_layer ? wfp_layer_name(rec->layer) : "-", layers);
	(void)rn;
}

static void jadd(struct json_object *j, const char *k, struct json_object *v)
{
	json_object_object_add(j, k, v);
}

static void print_json(struct side *sd, const struct wfp_replay_rec *rec, uint64_t ts0)
{
	struct json_object *j = json_object_new_object(), *ls = json_object_new_array();
	const struct wfp_pkt *p = &rec->pkt;
	char buf[64], pb[8];
	const char *name = filter_name(sd, rec->filter_id);

	if (!j || !ls) {
		json_object_put(j);
		json_object_put(ls);
		return;
	}
	jadd(j, "num", json_object_new_int64((int64_t)rec->num));
	jadd(j, "time", json_object_new_double((double)(rec->ts_us - ts0) / 1e6));
	jadd(j, "dir", json_object_new_string(wfp_replay_dir_name(rec->dir)));
	if (rec->parse_err) {
		jadd(j, "error", json_object_new_string(wfp_pkt_strerror(rec->parse_err)));
	} else {
		jadd(j, "family", json_object_new_int(p->family));
		jadd(j, "proto", json_object_new_string(proto_name(p->proto, pb, sizeof(pb))));
		jadd(j, "src", json_object_new_string(wfp_addr_format(&p->src, buf, sizeof(buf))));
		jadd(j, "dst", json_object_new_string(wfp_addr_format(&p->dst, buf, sizeof(buf))));
		if (icmp(p)) {
			jadd(j, "icmp_type", json_object_new_int(p->icmp_type));
			jadd(j, "icmp_code", json_object_new_int(p->icmp_code));
		} else {
			jadd(j, "sport", json_object_new_int(p->sport));
			jadd(j, "dport", json_object_new_int(p->dport));
		}
		what(p, buf, sizeof(buf));
		jadd(j, "what", json_object_new_string(buf));
		jadd(j, "fragment", json_object_new_boolean(!!(p->flags & WFP_PKT_F_FRAGMENT)));
	}
	jadd(j, "flow", rec->flow_id ? json_object_new_int64((int64_t)rec->flow_id) : NULL);
	jadd(j, "verdict", json_object_new_string(wfp_replay_verdict_name(rec->verdict)));
	jadd(j, "reason", json_object_new_string(wfp_replay_reason_name(rec->reason)));
	jadd(j, "filter_id", rec->filter_id ? json_object_new_int64((int64_t)rec->filter_id) :
			     NULL);
	jadd(j, "filter", name ? json_object_new_string(name) : NULL);
	jadd(j, "sublayer_weight", json_object_new_int(rec->sublayer_weight));
	jadd(j, "layer", rec->has_layer ? json_object_new_string(wfp_layer_name(rec->layer)) :
			 NULL);
	jadd(j, "response", json_object_new_boolean(rec->response));
	jadd(j, "policy_changed", json_object_new_boolean(rec->policy_changed));
	for (unsigned i = 0; i < rec->nlayers; i++) {
		const struct wfp_replay_layer *l = &rec->layers[i];
		struct json_object *x = json_object_new_object();

		jadd(x, "layer", json_object_new_string(wfp_layer_name(l->layer)));
		jadd(x, "event", json_object_new_string(wfp_stack_event_name(l->event)));
		jadd(x, "action", json_object_new_string(action_name(l->verdict.action)));
		jadd(x, "filter_id", l->verdict.filter_id ?
			 json_object_new_int64((int64_t)l->verdict.filter_id) : NULL);
		jadd(x, "reauth", json_object_new_boolean(!!(l->flags & WFP_TRACE_F_REAUTH)));
		jadd(x, "discard", json_object_new_boolean(!!(l->flags & WFP_TRACE_F_DISCARD)));
		json_object_array_add(ls, x);
	}
	jadd(j, "layers", ls);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void print_explain_json(struct side *sd, const struct wfp_replay_rec *rec)
{
	struct json_object *j = json_object_new_object(), *ls = json_object_new_array();
	struct json_object *x = json_object_new_object();
	char g[40];

	jadd(x, "num", json_object_new_int64((int64_t)rec->num));
	for (unsigned i = 0; i < rec->nexplain; i++) {
		const struct wfp_replay_explain *e = &rec->explain[i];
		struct json_object *l = json_object_new_object(), *subs = json_object_new_array();
		const char *n = filter_name(sd, e->l.verdict.filter_id);

		jadd(l, "layer", json_object_new_string(wfp_layer_name(e->l.layer)));
		jadd(l, "event", json_object_new_string(wfp_stack_event_name(e->l.event)));
		jadd(l, "reauth", json_object_new_boolean(!!(e->l.flags & WFP_TRACE_F_REAUTH)));
		jadd(l, "action", json_object_new_string(action_name(e->l.verdict.action)));
		jadd(l, "filter_id", e->l.verdict.filter_id ?
			 json_object_new_int64((int64_t)e->l.verdict.filter_id) : NULL);
		jadd(l, "filter", n ? json_object_new_string(n) : NULL);
		jadd(l, "matched", json_object_new_int(e->l.verdict.nmatched));
		for (unsigned k = 0; k < e->ex.nsublayers; k++) {
			const struct wfp_explain_sublayer *sl = &e->ex.sub[k];
			struct json_object *o = json_object_new_object();

			jadd(o, "key", json_object_new_string(wfp_guid_format(&sl->key, g)));
			jadd(o, "weight", json_object_new_int(sl->weight));
			jadd(o, "action", json_object_new_string(action_name(sl->action)));
			jadd(o, "filter_id", sl->filter_id ?
				 json_object_new_int64((int64_t)sl->filter_id) : NULL);
			jadd(o, "filter_weight", json_object_new_int64((int64_t)sl->filter_weight));
			jadd(o, "rights_before", json_object_new_int((int)sl->rights_before));
			jadd(o, "rights_after", json_object_new_int((int)sl->rights_after));
			jadd(o, "hard", json_object_new_boolean(sl->hard));
			jadd(o, "applied", json_object_new_boolean(sl->applied));
			jadd(o, "veto", json_object_new_boolean(sl->veto));
			jadd(o, "callouts", json_object_new_int(sl->ncallouts));
			json_object_array_add(subs, o);
		}
		jadd(l, "sublayers", subs);
		jadd(l, "sublayers_truncated", json_object_new_int((int)e->ex.truncated));
		json_object_array_add(ls, l);
	}
	jadd(x, "layers", ls);
	jadd(j, "explain", x);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void print_explain(struct side *sd, const struct wfp_replay_rec *rec)
{
	char g[40];

	printf("explain packet %" PRIu64 ": %u classification%s\n", rec->num, rec->nexplain,
	       rec->nexplain == 1 ? "" : "s");
	for (unsigned i = 0; i < rec->nexplain; i++) {
		const struct wfp_replay_explain *x = &rec->explain[i];
		const char *n = filter_name(sd, x->l.verdict.filter_id);

		printf("  %s (event %s%s): %s", wfp_layer_name(x->l.layer),
		       wfp_stack_event_name(x->l.event),
		       (x->l.flags & WFP_TRACE_F_REAUTH) ? ", reauthorization" : "",
		       action_name(x->l.verdict.action));
		if (x->l.verdict.filter_id)
			printf(" by filter %" PRIu64 " \"%s\"", x->l.verdict.filter_id, n ? n : "");
		printf(", %u filter%s matched\n", x->l.verdict.nmatched,
		       x->l.verdict.nmatched == 1 ? "" : "s");
		for (unsigned k = 0; k < x->ex.nsublayers; k++) {
			const struct wfp_explain_sublayer *s = &x->ex.sub[k];
			const char *sn = filter_name(sd, s->filter_id);

			wfp_guid_format(&s->key, g);
			printf("    sublayer %s weight %u: %s", g, s->weight,
			       s->action == WFP_ACTION_PERMIT ? "permit" :
			       s->action == WFP_ACTION_BLOCK ? "block" : "no decision");
			if (s->filter_id)
				printf(" filter %" PRIu64 " \"%s\" weight %" PRIu64, s->filter_id,
				       sn ? sn : "", s->filter_weight);
			printf(" rights 0x%x->0x%x%s%s%s%s\n", s->rights_before, s->rights_after,
			       s->hard ? " hard" : s->filter_id ? " soft" : "",
			       s->applied ? " applied" : "", s->veto ? " veto" : "",
			       s->ncallouts ? " callout" : "");
		}
		if (x->ex.truncated)
			printf("    (%u more sublayers)\n", x->ex.truncated);
	}
}

/* ---- summary ---- */

static struct fstat *fstat_get(struct run *rn, uint64_t id)
{
	unsigned h = (unsigned)((id + 1) * 2654435761u) % FSTAT_MAX;

	for (unsigned i = 0; i < FSTAT_MAX; i++) {
		struct fstat *f = &rn->fst[(h + i) % FSTAT_MAX];

		if (!f->id) {
			const char *n = filter_name(&rn->a, id);

			f->id = id + 1;
			f->name = n ? strdup(n) : NULL;
			return f;
		}
		if (f->id == id + 1)
			return f;
	}
	return NULL;
}

static void talker_add(struct run *rn, const struct wfp_addr *a)
{
	unsigned h = 0;

	for (size_t i = 0; i < sizeof(*a); i++)
		h = h * 31 + ((const uint8_t *)a)[i];
	for (unsigned i = 0; i < TALKERS_MAX; i++) {
		struct talker *t = &rn->talk[(h + i) % TALKERS_MAX];

		if (!t->used) {
			t->used = true;
			t->a = *a;
		}
		if (wfp_addr_eq(&t->a, a)) {
			t->pkts++;
			return;
		}
	}
}

static void account(struct run *rn, const struct wfp_replay_rec *rec)
{
	struct fstat *f;

	rn->pkts[rec->verdict & 3]++;
	rn->reasons[rec->reason < WFP_RR_MAX ? rec->reason : 0]++;
	if (rec->verdict == WFP_RV_SKIP)
		return;
	if (rec->has_layer && rec->layer < LAYER_MAX)
		rn->layer_cnt[rec->layer][rec->verdict & 3]++;
	f = fstat_get(rn, rec->filter_id);
	if (f)
		f->pkts[rec->verdict & 3]++;
	if (rec->verdict == WFP_RV_BLOCK)
		talker_add(rn, rec->dir == WFP_REPLAY_DIR_IN ? &rec->pkt.src : &rec->pkt.dst);
}

static void flow_desc(const struct wfp_replay_flow *f, char *buf, size_t len)
{
	char l[80], r[80], pb[8];
	bool ports = f->proto == WFP_PROTO_TCP || f->proto == WFP_PROTO_UDP;

	endpoint(&f->laddr, f->lport, ports, l, sizeof(l));
	endpoint(&f->raddr, f->rport, ports, r, sizeof(r));
	snprintf(buf, len, "%s %s %s %s", proto_name(f->proto, pb, sizeof(pb)),
		 f->dir == WFP_REPLAY_DIR_IN ? r : l, f->dir == WFP_REPLAY_DIR_IN ? "->" : "->",
		 f->dir == WFP_REPLAY_DIR_IN ? l : r);
}

static const char *flow_verdict(const struct wfp_replay_flow *f);

/* --flows: one line (or JSON object) per flow when it ends */
static void print_flow(struct run *rn, const struct wfp_replay_flow *f)
{
	const char *n = filter_name(&rn->a, f->cut ? f->cut_filter_id : f->filter_id);
	char d[200];

	flow_desc(f, d, sizeof(d));
	if (rn->o.json) {
		struct json_object *j = json_object_new_object(), *x = json_object_new_object();

		jadd(x, "id", json_object_new_int64((int64_t)f->id));
		jadd(x, "desc", json_object_new_string(d));
		jadd(x, "dir", json_object_new_string(wfp_replay_dir_name(f->dir)));
		jadd(x, "first", json_object_new_int64((int64_t)f->first_num));
		jadd(x, "last", json_object_new_int64((int64_t)f->last_num));
		jadd(x, "verdict", json_object_new_string(flow_verdict(f)));
		jadd(x, "reason", json_object_new_string(wfp_replay_reason_name(f->reason)));
		jadd(x, "filter", n ? json_object_new_string(n) : NULL);
		jadd(x, "layer", f->filter_id || f->cut ?
			 json_object_new_string(wfp_layer_name(f->layer)) : NULL);
		jadd(x, "packets_permitted", json_object_new_int64((int64_t)f->pkts_permitted));
		jadd(x, "packets_blocked", json_object_new_int64((int64_t)f->pkts_blocked));
		jadd(x, "bytes", json_object_new_int64((int64_t)f->bytes));
		jadd(j, "flow_end", x);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	printf("flow %" PRIu64 " %s packets %" PRIu64 "-%" PRIu64 ": %s %s filter=%s%s%s%s"
	       " (%" PRIu64 " permitted, %" PRIu64 " not, %" PRIu64 " bytes)\n",
	       f->id, d, f->first_num, f->last_num, flow_verdict(f),
	       wfp_replay_reason_name(f->reason), n ? "\"" : "-", n ? n : "", n ? "\"" : "",
	       "", f->pkts_permitted, f->pkts_blocked, f->bytes);
}

static void on_flow_a(const struct wfp_replay_flow *f, void *ctx)
{
	struct run *rn = ctx;
	struct fstat *s;

	rn->flows[f->verdict & 3]++;
	if (f->cut) {
		char d[200];
		const char *n = filter_name(&rn->a, f->cut_filter_id);

		rn->cut++;
		flow_desc(f, d, sizeof(d));
		if (rn->o.json)
			printf("{\"cut\":{\"flow\":%" PRIu64 ",\"desc\":\"%s\",\"at\":%" PRIu64
			       ",\"filter_id\":%" PRIu64 "}}\n", f->id, d, f->cut_num,
			       f->cut_filter_id);
		else if (rn->o.packets || rn->o.summary)
			printf("cut: flow %" PRIu64 " %s at packet %" PRIu64 " by filter %" PRIu64
			       " \"%s\" (reauthorization)\n", f->id, d, f->cut_num,
			       f->cut_filter_id, n ? n : "");
	}
	s = fstat_get(rn, f->cut ? f->cut_filter_id : f->filter_id);
	if (s)
		s->flows[f->verdict & 3]++;
	if (rn->o.flows)
		print_flow(rn, f);
	if (!rn->diff)
		return;
	if (rn->qlen == rn->qcap) {
		size_t cap = rn->qcap ? rn->qcap * 2 : 256;
		struct wfp_replay_flow *q = malloc(cap * sizeof(*q));

		if (!q) {
			rn->nomem = true;
			return;
		}
		for (size_t i = 0; i < rn->qlen; i++)
			q[i] = rn->q[(rn->qhead + i) % rn->qcap];
		free(rn->q);
		rn->q = q;
		rn->qcap = cap;
		rn->qhead = 0;
	}
	rn->q[(rn->qhead + rn->qlen++) % rn->qcap] = *f;
}

static const char *flow_verdict(const struct wfp_replay_flow *f)
{
	if (f->cut)
		return "cut";
	return wfp_replay_verdict_name(f->verdict);
}

static void on_flow_b(const struct wfp_replay_flow *fb, void *ctx)
{
	struct run *rn = ctx;
	struct wfp_replay_flow fa;
	char d[200];
	const char *na, *nb;

	if (!rn->qlen || rn->nomem)
		return;
	fa = rn->q[rn->qhead];
	rn->qhead = (rn->qhead + 1) % rn->qcap;
	rn->qlen--;
	if (fa.id != fb->id)
		return; /* cannot happen: the flow tables are decision-independent */
	if (fa.verdict == fb->verdict && fa.cut == fb->cut && fa.reason == fb->reason)
		return;
	rn->ndiff++;
	flow_desc(fb, d, sizeof(d));
	na = filter_name(&rn->a, fa.cut ? fa.cut_filter_id : fa.filter_id);
	nb = filter_name(&rn->b, fb->cut ? fb->cut_filter_id : fb->filter_id);
	if (rn->o.json) {
		struct json_object *j = json_object_new_object();

		jadd(j, "flow", json_object_new_int64((int64_t)fb->id));
		jadd(j, "desc", json_object_new_string(d));
		jadd(j, "first", json_object_new_int64((int64_t)fb->first_num));
		jadd(j, "a_verdict", json_object_new_string(flow_verdict(&fa)));
		jadd(j, "a_reason", json_object_new_string(wfp_replay_reason_name(fa.reason)));
		jadd(j, "a_filter", na ? json_object_new_string(na) : NULL);
		jadd(j, "b_verdict", json_object_new_string(flow_verdict(fb)));
		jadd(j, "b_reason", json_object_new_string(wfp_replay_reason_name(fb->reason)));
		jadd(j, "b_filter", nb ? json_object_new_string(nb) : NULL);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	printf("flow %" PRIu64 " %s (packet %" PRIu64 "): A %s/%s \"%s\" | B %s/%s \"%s\"\n",
	       fb->id, d, fb->first_num, flow_verdict(&fa), wfp_replay_reason_name(fa.reason),
	       na ? na : "-", flow_verdict(fb), wfp_replay_reason_name(fb->reason),
	       nb ? nb : "-");
}

static int cmp_talk(const void *x, const void *y)
{
	const struct talker *a = x, *b = y;

	return a->pkts < b->pkts ? 1 : a->pkts > b->pkts ? -1 : 0;
}

static void print_summary(struct run *rn)
{
	char ab[64];
	unsigned nt = 0;

	printf("summary: %" PRIu64 " packets: %" PRIu64 " permitted, %" PRIu64 " blocked, %"
	       PRIu64 " dropped, %" PRIu64 " skipped (%" PRIu64 " malformed)\n",
	       rn->pkts[0] + rn->pkts[1] + rn->pkts[2] + rn->pkts[3], rn->pkts[1], rn->pkts[2],
	       rn->pkts[3], rn->pkts[0], rn->reasons[WFP_RR_MALFORMED]);
	printf("summary: %" PRIu64 " flows: %" PRIu64 " permitted, %" PRIu64 " blocked, %"
	       PRIu64 " dropped; %" PRIu64 " cut by reauthorization\n",
	       rn->flows[1] + rn->flows[2] + rn->flows[3], rn->flows[1], rn->flows[2],
	       rn->flows[3], rn->cut);
	for (unsigned r = 0; r < WFP_RR_MAX; r++)
		if (rn->reasons[r])
			printf("reason %-14s %" PRIu64 " packets\n", wfp_replay_reason_name(r),
			       rn->reasons[r]);
	for (unsigned i = 0; i < FSTAT_MAX; i++) {
		struct fstat *f = &rn->fst[i];
		char id[24] = "-";

		if (!f->id)
			continue;
		if (f->id > 1)
			snprintf(id, sizeof(id), "%" PRIu64, f->id - 1);
		printf("filter %-6s %-30s permit %" PRIu64 " pkts %" PRIu64 " flows, block %"
		       PRIu64 " pkts %" PRIu64 " flows\n", id,
		       f->id > 1 ? (f->name ? f->name : "?") : "(no filter)",
		       f->pkts[1], f->flows[1], f->pkts[2], f->flows[2]);
	}
	for (unsigned l = 0; l < LAYER_MAX; l++)
		if (rn->layer_cnt[l][1] || rn->layer_cnt[l][2])
			printf("layer %-40s permit %" PRIu64 ", block %" PRIu64 "\n",
			       wfp_layer_name(l), rn->layer_cnt[l][1], rn->layer_cnt[l][2]);
	for (unsigned i = 0; i < TALKERS_MAX; i++)
		if (rn->talk[i].used)
			rn->talk[nt++] = rn->talk[i];
	qsort(rn->talk, nt, sizeof(*rn->talk), cmp_talk);
	for (unsigned i = 0; i < nt && i < TOP_TALKERS; i++)
		printf("blocked talker %s: %" PRIu64 " packets\n",
		       wfp_addr_format(&rn->talk[i].a, ab, sizeof(ab)), rn->talk[i].pkts);
	if (rn->diff)
		printf("summary: %" PRIu64 " flows differ\n", rn->ndiff);
}

static void print_summary_json(struct run *rn)
{
	struct json_object *j = json_object_new_object(), *x = json_object_new_object();
	struct json_object *reasons = json_object_new_object(), *fs = json_object_new_array();
	struct json_object *ls = json_object_new_array();

	for (unsigned v = 0; v < 4; v++)
		jadd(x, wfp_replay_verdict_name(v), json_object_new_int64((int64_t)rn->pkts[v]));
	for (unsigned r = 0; r < WFP_RR_MAX; r++)
		if (rn->reasons[r])
			jadd(reasons, wfp_replay_reason_name(r),
			     json_object_new_int64((int64_t)rn->reasons[r]));
	jadd(x, "reasons", reasons);
	jadd(x, "flows_permitted", json_object_new_int64((int64_t)rn->flows[1]));
	jadd(x, "flows_blocked", json_object_new_int64((int64_t)rn->flows[2]));
	jadd(x, "flows_dropped", json_object_new_int64((int64_t)rn->flows[3]));
	jadd(x, "flows_cut", json_object_new_int64((int64_t)rn->cut));
	for (unsigned i = 0; i < FSTAT_MAX; i++) {
		struct fstat *f = &rn->fst[i];
		struct json_object *o;

		if (!f->id)
			continue;
		o = json_object_new_object();
		jadd(o, "filter_id", f->id > 1 ? json_object_new_int64((int64_t)f->id - 1) : NULL);
		jadd(o, "filter", f->name ? json_object_new_string(f->name) : NULL);
		jadd(o, "packets_permitted", json_object_new_int64((int64_t)f->pkts[1]));
		jadd(o, "packets_blocked", json_object_new_int64((int64_t)f->pkts[2]));
		jadd(o, "flows_permitted", json_object_new_int64((int64_t)f->flows[1]));
		jadd(o, "flows_blocked", json_object_new_int64((int64_t)f->flows[2]));
		json_object_array_add(fs, o);
	}
	jadd(x, "filters", fs);
	for (unsigned l = 0; l < LAYER_MAX; l++) {
		struct json_object *o;

		if (!rn->layer_cnt[l][1] && !rn->layer_cnt[l][2])
			continue;
		o = json_object_new_object();
		jadd(o, "layer", json_object_new_string(wfp_layer_name(l)));
		jadd(o, "permit", json_object_new_int64((int64_t)rn->layer_cnt[l][1]));
		jadd(o, "block", json_object_new_int64((int64_t)rn->layer_cnt[l][2]));
		json_object_array_add(ls, o);
	}
	jadd(x, "layers", ls);
	if (rn->diff)
		jadd(x, "flows_differ", json_object_new_int64((int64_t)rn->ndiff));
	jadd(j, "summary", x);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: wfpctl replay --policy FILE [--host ADDR]... [--json] [--explain N]\n"
		   "         [--no-packets] [--no-summary] [--flows] [--max-flows N]\n"
		   "         [--write-permitted OUT.pcap]\n"
		   "         [--write-blocked OUT.pcap] [--diff FILE | --policy-change-at N FILE]\n"
		   "         CAPTURE\n");
}

static bool parse_num(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	*out = strtoull(s, &end, 10);
	return !*end && *out;
}

static int learn(struct run *rn, const char *path)
{
	struct wfp_capture_pkt cp;
	struct wfp_capture *c;
	char err[256];
	int lt, ret;

	c = wfp_capture_open(path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "wfpctl replay: %s: %s\n", path, err);
		return -1;
	}
	lt = wfp_capture_linktype(c);
	while ((ret = wfp_capture_next(c, &cp, err, sizeof(err))) == 1) {
		wfp_replay_learn(rn->a.r, lt, cp.data, cp.caplen);
		if (rn->diff)
			wfp_replay_learn(rn->b.r, lt, cp.data, cp.caplen);
	}
	/* a truncated file is reported once, by the replay pass */
	wfp_capture_close(c);
	return 0;
}

static pcap_dumper_t *dump_open(const char *path, int lt, int snap, pcap_t **dead)
{
	pcap_dumper_t *d;

	*dead = pcap_open_dead(lt, snap > 0 ? snap : 262144);
	if (!*dead)
		return NULL;
	d = pcap_dump_open(*dead, path);
	if (!d)
		fprintf(stderr, "wfpctl replay: %s: %s\n", path, pcap_geterr(*dead));
	return d;
}

static int replay(struct run *rn, const char *path)
{
	pcap_dumper_t *dp = NULL, *db = NULL;
	pcap_t *deadp = NULL, *deadb = NULL;
	struct wfp_replay_rec *rec = malloc(sizeof(*rec)), *recb = malloc(sizeof(*recb));
	struct wfp_capture_pkt cp;
	struct wfp_capture *c;
	uint64_t ts0 = 0;
	char err[256];
	int lt, ret = 0, n;

	c = wfp_capture_open(path, err, sizeof(err));
	if (!c || !rec || !recb) {
		fprintf(stderr, "wfpctl replay: %s: %s\n", path, c ? "out of memory" : err);
		ret = -1;
		goto out;
	}
	lt = wfp_capture_linktype(c);
	if (!wfp_pkt_linktype_ok(lt))
		fprintf(stderr, "wfpctl replay: %s: link type %d (%s) is not read; every packet"
			" counts as malformed\n", path, lt,
			pcap_datalink_val_to_name(lt) ? pcap_datalink_val_to_name(lt) : "?");
	if ((rn->o.wperm && !(dp = dump_open(rn->o.wperm, lt, wfp_capture_snaplen(c), &deadp))) ||
	    (rn->o.wblock && !(db = dump_open(rn->o.wblock, lt, wfp_capture_snaplen(c), &deadb)))) {
		ret = -1;
		goto out;
	}
	wfp_replay_set_explain(rn->a.r, rn->o.explain);
	for (uint64_t num = 1; (n = wfp_capture_next(c, &cp, err, sizeof(err))) == 1; num++) {
		struct pcap_pkthdr ph;

		if (num == 1)
			ts0 = cp.ts_us;
		if (rn->o.change_at && num == rn->o.change_at) {
			if (load(&rn->a, rn->o.change_policy, WFP_POLICY_REPLACE)) {
				ret = -1;
				goto out;
			}
			if (rn->o.json)
				printf("{\"policy_change\":{\"before\":%" PRIu64 ",\"policy\":\"%s\"}}\n",
				       num, rn->o.change_policy);
			else if (rn->o.packets)
				printf("policy change before packet %" PRIu64 ": %s\n", num,
				       rn->o.change_policy);
		}
		if (wfp_replay_packet(rn->a.r, lt, cp.ts_us, cp.data, cp.caplen, cp.len, rec)) {
			ret = -1;
			goto out;
		}
		if (rn->diff &&
		    wfp_replay_packet(rn->b.r, lt, cp.ts_us, cp.data, cp.caplen, cp.len, recb)) {
			ret = -1;
			goto out;
		}
		account(rn, rec);
		if (rn->o.packets && !rn->diff) {
			if (rn->o.json)
				print_json(&rn->a, rec, ts0);
			else
				print_line(rn, &rn->a, rec, ts0);
		}
		if (rec->nexplain && rn->o.json)
			print_explain_json(&rn->a, rec);
		else if (rec->nexplain)
			print_explain(&rn->a, rec);
		ph.ts.tv_sec = (time_t)(cp.ts_us / 1000000u);
		ph.ts.tv_usec = (suseconds_t)(cp.ts_us % 1000000u);
		ph.caplen = cp.caplen;
		ph.len = cp.len;
		if (dp && rec->verdict == WFP_RV_PERMIT)
			pcap_dump((u_char *)dp, &ph, cp.data);
		if (db && (rec->verdict == WFP_RV_BLOCK || rec->verdict == WFP_RV_DROP))
			pcap_dump((u_char *)db, &ph, cp.data);
	}
	if (n < 0) {
		/* a truncated capture: what was read counts, the rest is reported */
		fprintf(stderr, "wfpctl replay: %s: %s\n", path, err);
		rn->reasons[WFP_RR_MALFORMED]++;
		rn->pkts[0]++;
	}
	wfp_replay_finish(rn->a.r);
	if (rn->diff)
		wfp_replay_finish(rn->b.r);
	if (rn->o.summary && !rn->o.json)
		print_summary(rn);
	else if (rn->o.summary)
		print_summary_json(rn);
out:
	if (dp)
		pcap_dump_close(dp);
	if (db)
		pcap_dump_close(db);
	if (deadp)
		pcap_close(deadp);
	if (deadb)
		pcap_close(deadb);
	wfp_capture_close(c);
	free(rec);
	free(recb);
	return ret;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "explain", required_argument, NULL, 'x' },
		{ "no-packets", no_argument, NULL, 'P' },
		{ "no-summary", no_argument, NULL, 'S' },
		{ "flows", no_argument, NULL, 'F' },
		{ "write-permitted", required_argument, NULL, 'w' },
		{ "write-blocked", required_argument, NULL, 'b' },
		{ "diff", required_argument, NULL, 'd' },
		{ "policy-change-at", required_argument, NULL, 'c' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wfp_replay_opts ro = { .sz = sizeof(ro) };
	struct wfp_addr hosts[MAX_HOSTS];
	const char *policy = NULL, *capture;
	struct run *rn = calloc(1, sizeof(*rn));
	uint64_t v;
	int c, ret = WFPCTL_EXIT_FAIL;

	if (!rn)
		return WFPCTL_EXIT_NOMEM;
	rn->o.packets = rn->o.summary = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:H:jx:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy = optarg;
			break;
		case 'H':
			if (ro.nhosts == MAX_HOSTS || wfp_addr_parse(optarg, &hosts[ro.nhosts])) {
				fprintf(stderr, "wfpctl replay: bad or too many --host '%s'\n", optarg);
				goto usage;
			}
			ro.nhosts++;
			break;
		case 'j':
			rn->o.json = true;
			break;
		case 'x':
			if (!parse_num(optarg, &rn->o.explain))
				goto usage;
			break;
		case 'P':
			rn->o.packets = false;
			break;
		case 'S':
			rn->o.summary = false;
			break;
		case 'F':
			rn->o.flows = true;
			break;
		case 'w':
			rn->o.wperm = optarg;
			break;
		case 'b':
			rn->o.wblock = optarg;
			break;
		case 'd':
			rn->o.diff_policy = optarg;
			break;
		case 'c':
			if (!parse_num(optarg, &rn->o.change_at) || optind >= argc)
				goto usage;
			rn->o.change_policy = argv[optind++];
			break;
		case 'm':
			if (!parse_num(optarg, &v) || v > UINT32_MAX)
				goto usage;
			ro.max_flows = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			free(rn);
			return WFPCTL_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (!policy || optind + 1 != argc || (rn->o.diff_policy && rn->o.change_policy))
		goto usage;
	capture = argv[optind];
	if (!strcmp(capture, "-") && !ro.nhosts) {
		fprintf(stderr, "wfpctl replay: reading stdin needs --host (no first pass)\n");
		goto usage;
	}
	rn->fst = calloc(FSTAT_MAX, sizeof(*rn->fst));
	rn->talk = calloc(TALKERS_MAX, sizeof(*rn->talk));
	if (!rn->fst || !rn->talk) {
		ret = WFPCTL_EXIT_NOMEM;
		goto out;
	}
	ro.hosts = hosts;
	rn->diff = rn->o.diff_policy != NULL;
	if (side_open(&rn->a, policy) || (rn->diff && side_open(&rn->b, rn->o.diff_policy)))
		goto out;
	rn->a.r = wfp_replay_new(rn->a.e, &ro);
	if (rn->diff)
		rn->b.r = wfp_replay_new(rn->b.e, &ro);
	if (!rn->a.r || (rn->diff && !rn->b.r)) {
		ret = WFPCTL_EXIT_NOMEM;
		goto out;
	}
	wfp_replay_set_flow_end(rn->a.r, on_flow_a, rn);
	if (rn->diff)
		wfp_replay_set_flow_end(rn->b.r, on_flow_b, rn);
	if (strcmp(capture, "-")) {
		if (learn(rn, capture))
			goto out;
	}
	if (wfp_replay_learn_done(rn->a.r) || (rn->diff && wfp_replay_learn_done(rn->b.r))) {
		fprintf(stderr, "wfpctl replay: %s: cannot tell the host's address; use --host\n",
			capture);
		goto out;
	}
	if (!rn->o.json) {
		struct wfp_addr h[MAX_HOSTS];
		unsigned n = wfp_replay_hosts(rn->a.r, h, MAX_HOSTS);
		char ab[64];

		printf("host:");
		for (unsigned i = 0; i < n && i < MAX_HOSTS; i++)
			printf(" %s", wfp_addr_format(&h[i], ab, sizeof(ab)));
		printf("%s\n", ro.nhosts ? "" : " (inferred)");
	}
	ret = replay(rn, capture) ? WFPCTL_EXIT_FAIL : WFPCTL_EXIT_OK;
	if (rn->nomem)
		ret = WFPCTL_EXIT_NOMEM;
out:
	side_close(&rn->a);
	if (rn->diff)
		side_close(&rn->b);
	for (unsigned i = 0; rn->fst && i < FSTAT_MAX; i++)
		free(rn->fst[i].name);
	free(rn->fst);
	free(rn->talk);
	free(rn->q);
	free(rn);
	fflush(stdout);
	return ret;

usage:
	usage(stderr);
	free(rn);
	return WFPCTL_EXIT_USAGE;
}
