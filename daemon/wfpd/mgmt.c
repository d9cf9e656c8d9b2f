/* SPDX-License-Identifier: MIT */
/*
 * mgmt.c - the management socket: a Unix stream socket speaking JSON
 * lines, one request object per line, one response object per line
 * (docs/protocol.md, version WFPD_PROTO_VERSION).  `monitor` turns a
 * connection into a stream of event objects.
 *
 * Access: SO_PEERCRED at accept.  Root, or a member of group "openwfp",
 * may talk; everyone else gets one refusal line, is logged, and is
 * disconnected.  The socket file itself is 0660 root:openwfp (0600 when
 * the group does not exist), so the credential check is the second wall,
 * not the only one.
 *
 * Every connection is non-blocking with bounded buffers: a request line
 * may be at most MAX_LINE bytes, and a monitor client that does not read
 * loses events (counted) rather than stalling the verdict loop.  A client
 * with a reply still unsent is not read until the reply has gone (EPOLLOUT
 * carries long replies out; the next request waits in the kernel's socket
 * buffer), so one that never reads costs at most one reply buffer.  At
 * most MAX_PER_UID connections per non-root uid, and RESERVED_ROOT slots
 * only root may take: a member of openwfp cannot lock root out
 * (docs/security.md).
 *
 * Sessions (spec §6.2): every connection owns one engine session, opened
 * by `session-open` (dynamic or not) or, static, by its first object
 * request; closing the connection closes it, and a dynamic session's
 * objects go with it, so a client that dies (the kernel closes its
 * socket) leaves nothing behind.  `session-attach` lets another
 * connection of the same user act in a session it does not own (the
 * `wfpctl session` scheme); the owner's connection alone decides its
 * lifetime.  The requests themselves are in session.c.
 */
#include <errno.h>
#include <stddef.h>
#include <time.h>
#include <grp.h>
#include <limits.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "backend.h"
#include "cond.h"
#include "live.h"
#include "mgmt.h"
#include "request.h"

enum {
	MAX_CLIENTS = 64,
	MAX_PER_UID = 8,       /* connections of one non-root uid */
	RESERVED_ROOT = 8,     /* slots only root may take */
	MAX_LINE = 16 << 20,   /* a whole policy travels in one line */
	OUT_MAX = 4 << 20
};

/* An engine session and who may use it. */
struct msess {
	struct wfp_session *s;
	struct wfp_guid key;   /* its id on the wire (session-attach) */
	uid_t uid;             /* the owner's */
	bool dynamic;
	unsigned txn_ops;      /* writes in the open transaction */
	uint64_t txn_since_ms; /* when its write transaction began */
	bool txn_aborted;      /* force-aborted: tell the next request */
	struct msess *next;    /* closing, waiting for the write lock */
};

struct client {
	int fd;
	uid_t uid;
	uint32_t events;        /* epoll interest now */
	bool monitor;
	struct msess *own;     /* the session this connection owns */
	struct msess *sess;    /* the one it acts in: own, or attached */
	bool orphaned;         /* its attached session was closed */
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen;
	uint64_t lost;
};

struct mgmt {
	int fd;
	char path[108];
	struct client *c[MAX_CLIENTS];
	unsigned nmonitors;
	/* The engine has one write lock (lib/engine.c): the session whose
	 * explicit write transaction holds it, and the sessions whose
	 * connection closed meanwhile.  Their close (the purge of a dynamic
	 * session's objects) needs the lock, so it waits for the commit,
	 * the abort or the timeout. */
	struct msess *writer;
	struct msess *closing;
};

/* ---- output ---- */

/* spec §6.2: the open transaction is aborted, then a dynamic session's
 * objects are deleted; traffic sees the change like after a load. */
static void close_now(struct wfpd *d, struct msess *ms)
{
	uint64_t gen = wfp_engine_generation(d->engine);

	wfp_session_close(ms->s);
	free(ms);
	if (wfp_engine_generation(d->engine) != gen)
		wfpd_policy_changed(d);
}

/* Closes the sessions that waited for the write lock, once it is free. */
static void reap(struct wfpd *d)
{
	struct mgmt *m = d->mgmt;

	while (!m->writer && m->closing) {
		struct msess *ms = m->closing;

		m->closing = ms->next;
		close_now(d, ms);
	}
}

static void sess_close(struct wfpd *d, struct client *c)
{
	struct mgmt *m = d->mgmt;
	struct msess *ms = c->own;

	if (!ms)
		return;
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (m->c[i] && m->c[i] != c && m->c[i]->sess == ms) {
			m->c[i]->sess = NULL;
			m->c[i]->orphaned = true;
		}
	}
	c->own = c->sess = NULL;
	if (m->writer == ms)
		m->writer = NULL; /* wfp_session_close aborts its transaction */
	ms->next = m->closing;
	m->closing = ms;
	reap(d);
}

/* Who holds the engine's write lock after a request in session ms. */
static void track_writer(struct wfpd *d, struct msess *ms, const char *cmd,
			 struct json_object *req)
{
	struct mgmt *m = d->mgmt;
	struct json_object *v;

	if (!strcmp(cmd, "txn-begin") && wfp_txn_active(ms->s) && !m->writer &&
	    !(json_object_object_get_ex(req, "read_only", &v) && json_object_get_boolean(v))) {
		m->writer = ms;
		ms->txn_since_ms = now_ms();
	}
	if (m->writer == ms && !wfp_txn_active(ms->s)) {
		m->writer = NULL;
		reap(d);
	}
}

void mgmt_tick(struct wfpd *d)
{
	struct mgmt *m = d->mgmt;
	struct msess *ms = m ? m->writer : NULL;

	/* spec §6.3: a transaction holds the lock for a bounded time, then
	 * is force-aborted and its next call fails with FWP_E_TXN_ABORTED */
	if (!ms || now_ms() - ms->txn_since_ms < (uint64_t)d->cfg.txn_timeout_s * 1000)
		return;
	logmsg(LOG_WARNING, "management: transaction open for over %u s aborted",
	       d->cfg.txn_timeout_s);
	wfp_txn_abort(ms->s);
	ms->txn_aborted = true;
	ms->txn_ops = 0;
	m->writer = NULL;
	reap(d);
}

static void client_free(struct wfpd *d, struct client *c)
{
	struct mgmt *m = d->mgmt;

	sess_close(d, c);
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i] == c)
			m->c[i] = NULL;
	if (c->monitor && !--m->nmonitors)
		wfpd_kpath_update(d); /* nobody watches: the kernel path may return */
	loop_del(d, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static int flush_out(struct client *c)
{
	while (c->outlen) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	return 0;
}

/* Queues one line; false if the client's buffer is full. */
static bool put_line(struct client *c, const char *s)
{
	size_t n = strlen(s);

	if (c->outlen + n + 1 > OUT_MAX)
		return false;
	if (!c->out && !(c->out = malloc(OUT_MAX)))
		return false;
	memcpy(c->out + c->outlen, s, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	return true;
}

/*
 * Read a client only when it has no reply pending (monitors excepted:
 * their stream never ends); ask for EPOLLOUT while output is pending.
 */
static bool pending(const struct client *c)
{
	return c->outlen && !c->monitor;
}

static void set_interest(struct wfpd *d, struct client *c)
{
	struct epoll_event ev = { .data.fd = c->fd };

	ev.events = (pending(c) ? 0 : EPOLLIN) | (c->outlen ? EPOLLOUT : 0);
	if (ev.events != c->events && !epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = ev.events;
}

static void reply(struct client *c, struct json_object *o)
{
	json_object_object_add(o, "v", json_object_new_int(WFPD_PROTO_VERSION));
	put_line(c, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	flush_out(c);
}

static struct json_object *ok_obj(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

/* The HRESULT a Windows client would see: FWP_E_* for WFP's codes,
 * the closest COM code for libwfp's own. */
static uint32_t hresult(int rc)
{
	switch (-rc) {
	case WFP_E_NOMEM:
		return 0x8007000e; /* E_OUTOFMEMORY */
	case WFP_E_LIMIT:
		return 0x80070718; /* HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA) */
	case WFP_E_IO:
		return 0x80004005; /* E_FAIL */
	case WFP_E_INVAL:
	case WFP_E_PARSE:
		return 0x80070057; /* E_INVALIDARG */
	default:
		return wfp_err_hresult(rc);
	}
}

/* Every error answer names the error (FWP_E_* or libwfp's WFP_E_*) and
 * its HRESULT, so that clients can act on it. */
static void reply_fail(struct client *c, int rc, const char *msg)
{
	struct json_object *o = json_object_new_object();
	char h[16];

	snprintf(h, sizeof(h), "0x%08x", hresult(rc));
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg && msg[0] ? msg :
								   wfp_strerror(rc)));
	json_object_object_add(o, "code", json_object_new_string(wfp_strerror_name(rc)));
	json_object_object_add(o, "hresult", json_object_new_string(h));
	reply(c, o);
}

static void reply_err(struct client *c, const char *msg)
{
	reply_fail(c, -WFP_E_INVAL, msg);
}

/* ---- events ---- */

static const char *action_word(uint32_t a)
{
	return a == WFP_ACTION_BLOCK ? "block" : a == WFP_ACTION_PERMIT ? "permit" : "none";
}

static struct json_object *event_json(const struct wfpd_event *ev)
{
	struct json_object *o = json_object_new_object();
	char a[64];

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)ev->seq));
	json_object_object_add(o, "time_ms", json_object_new_int64((int64_t)ev->time_ms));
	json_object_object_add(o, "layer", json_object_new_string(wfp_layer_name(ev->layer)));
	json_object_object_add(o, "action", json_object_new_string(action_word(ev->action)));
	json_object_object_add(o, "filter_id", json_object_new_int64((int64_t)ev->filter_id));
	json_object_object_add(o, "event", json_object_new_string(ev->event ? ev->event : "?"));
	json_object_object_add(o, "direction", json_object_new_string(ev->inbound ? "in" : "out"));
	json_object_object_add(o, "proto", json_object_new_int(ev->proto));
	json_object_object_add(o, "local", json_object_new_string(wfp_addr_format(&ev->laddr, a, sizeof(a))));
	json_object_object_add(o, "local_port", json_object_new_int(ev->lport));
	json_object_object_add(o, "remote", json_object_new_string(wfp_addr_format(&ev->raddr, a, sizeof(a))));
	json_object_object_add(o, "remote_port", json_object_new_int(ev->rport));
	json_object_object_add(o, "flags", json_object_new_int64(ev->flags));
	if (ev->flags & WFP_CONDITION_FLAG_IS_REAUTHORIZE)
		json_object_object_add(o, "reauth", json_object_new_boolean(1));
	if (ev->discard) {
		json_object_object_add(o, "discard_module", json_object_new_int64(ev->discard_module));
		json_object_object_add(o, "discard_reason", json_object_new_int64(ev->discard_reason));
	}
	if (ev->has_uid)
		json_object_object_add(o, "uid", json_object_new_int64(ev->uid));
	if (ev->pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(ev->pid));
	if (ev->app[0])
		json_object_object_add(o, "app", json_object_new_string(ev->app));
	return o;
}

void wfpd_event_emit(struct wfpd *d, const struct wfpd_event *in)
{
	struct mgmt *m = d->mgmt;
	struct wfpd_event ev = *in;
	struct json_object *o, *w;
	const char *s;

	ev.seq = ++d->ev_seq;
	if (!m || !m->nmonitors)
		return;
	ev.time_ms = (uint64_t)time(NULL) * 1000;
	o = event_json(&ev);
	w = json_object_new_object();
	json_object_object_add(w, "event", o);
	s = json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN);
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = m->c[i];

		if (!c || !c->monitor)
			continue;
		if (!put_line(c, s))
			c->lost++;
		flush_out(c);
		set_interest(d, c);
	}
	json_object_put(w);
}

int mgmt_monitoring(const struct wfpd *d)
{
	return d->mgmt && d->mgmt->nmonitors;
}

/* ---- requests ---- */

struct json_object *mgmt_filter_json(struct wfpd *d, const struct wfp_filter *f)
{
	uint64_t hits = 0, bytes = 0;
	struct json_object *o = json_object_new_object(), *conds = json_object_new_array();
	char g[37], v[256];

	json_object_object_add(o, "id", json_object_new_int64((int64_t)f->filter_id));
	json_object_object_add(o, "key", json_object_new_string(wfp_guid_format(&f->key, g)));
	json_object_object_add(o, "name", json_object_new_string(f->display.name ? f->display.name : ""));
	if (f->display.description)
		json_object_object_add(o, "description",
				       json_object_new_string(f->display.description));
	json_object_object_add(o, "layer", json_object_new_string(wfp_layer_name(f->layer)));
	json_object_object_add(o, "sublayer", json_object_new_string(wfp_guid_format(&f->sublayer_key, g)));
	json_object_object_add(o, "weight", json_object_new_int64((int64_t)f->effective_weight));
	json_object_object_add(o, "action", json_object_new_string(wfp_action_name(f->action.type)));
	json_object_object_add(o, "flags", json_object_new_int64(f->flags));
	wfp_filter_counters_get(d->engine, f->filter_id, &hits, &bytes);
	json_object_object_add(o, "hits", json_object_new_int64((int64_t)hits));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)bytes));
	for (uint32_t i = 0; i < f->ncond; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "field", json_object_new_string(wfp_field_name(f->cond[i].field)));
		json_object_object_add(c, "match", json_object_new_string(wfp_match_name(f->cond[i].match)));
		json_object_object_add(c, "value", json_object_new_string(
			wfp_cond_value_format_field(&f->cond[i].value, f->cond[i].field, v, sizeof(v))));
		json_object_array_add(conds, c);
	}
	json_object_object_add(o, "conditions", conds);
	return o;
}

static int show_filters(struct wfpd *d, struct json_object *o)
{
	struct wfp_filter **a = NULL;
	struct json_object *arr = json_object_new_array();
	size_t n = 0;
	int rc = wfp_filter_enum(d->session, NULL, &a, &n);

	if (rc) {
		json_object_put(arr);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, mgmt_filter_json(d, a[i]));
	wfp_filter_array_free(a, n);
	json_object_object_add(o, "filters", arr);
	return 0;
}

static void flow_cb(const struct live_flow_info *fi, void *ctx)
{
	struct json_object *o = json_object_new_object();
	char a[64];

	json_object_object_add(o, "id", json_object_new_int64((int64_t)fi->id));
	json_object_object_add(o, "proto", json_object_new_int(fi->proto));
	json_object_object_add(o, "direction", json_object_new_string(fi->inbound ? "in" : "out"));
	json_object_object_add(o, "state", json_object_new_string(fi->state));
	json_object_object_add(o, "layer", json_object_new_string(wfp_layer_name(fi->auth_layer)));
	json_object_object_add(o, "local", json_object_new_string(wfp_addr_format(&fi->laddr, a, sizeof(a))));
	json_object_object_add(o, "local_port", json_object_new_int(fi->lport));
	json_object_object_add(o, "remote", json_object_new_string(wfp_addr_format(&fi->raddr, a, sizeof(a))));
	json_object_object_add(o, "remote_port", json_object_new_int(fi->rport));
	json_object_object_add(o, "age_ms", json_object_new_int64((int64_t)fi->age_ms));
	json_object_object_add(o, "idle_ms", json_object_new_int64((int64_t)fi->idle_ms));
	json_object_object_add(o, "packets", json_object_new_int64((int64_t)fi->packets));
	json_object_object_add(o, "fastpath", json_object_new_boolean(fi->fastpath));
	if (fi->has_uid)
		json_object_object_add(o, "uid", json_object_new_int64(fi->uid));
	if (fi->pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(fi->pid));
	if (fi->app && fi->app[0])
		json_object_object_add(o, "app", json_object_new_string(fi->app));
	json_object_array_add(ctx, o);
}

#define CTR(name) { #name, offsetof(struct wfpd_counters, name) }
static const struct {
	const char *name;
	size_t off;
} counters[] = {
	CTR(packets), CTR(accepted), CTR(dropped), CTR(rejected), CTR(malformed),
	CTR(batches), CTR(verdict_msgs), CTR(enobufs), CTR(recv_errors),
	CTR(classifications), CTR(fastpath_marks), CTR(reauths),
	CTR(flows_created), CTR(flows_expired), CTR(flows_evicted), CTR(flows_refused),
	CTR(stealth_drops), CTR(sockdiag_lookups), CTR(app_lookups),
	CTR(mgmt_refused), CTR(mgmt_limited), CTR(mgmt_requests),
	CTR(ebpf_events), CTR(ebpf_blocks), CTR(ebpf_owner_hits), CTR(ebpf_publish_errors),
};

static void show_counters(struct wfpd *d, struct json_object *o)
{
	struct json_object *c = json_object_new_object(), *l = json_object_new_object();

	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		json_object_object_add(c, counters[i].name, json_object_new_int64(
			(int64_t)*(const uint64_t *)((const char *)&d->ctr + counters[i].off)));
	for (unsigned i = 0; i < WFP_LAYER_MAX; i++) {
		struct wfp_layer_stats st;
		struct json_object *x;

		if (!d->ctr.per_layer[i])
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "classified", json_object_new_int64((int64_t)d->ctr.per_layer[i]));
		if (!wfp_layer_stats_get(d->engine, i, &st)) {
			json_object_object_add(x, "permit", json_object_new_int64((int64_t)st.permit));
			json_object_object_add(x, "block", json_object_new_int64((int64_t)st.block));
			json_object_object_add(x, "none", json_object_new_int64((int64_t)st.none));
		}
		json_object_object_add(l, wfp_layer_name(i), x);
	}
	json_object_object_add(c, "per_layer", l);
	json_object_object_add(o, "counters", c);
	json_object_object_add(o, "queue_path", json_object_new_string(d->qpath_used ? d->qpath_used : ""));
	json_object_object_add(o, "epoch", json_object_new_int64(d->epoch));
	json_object_object_add(o, "ebpf", json_object_new_string(wfpd_ebpf_status(d)));
	if (d->ebpf) {
		struct wfpd_ebpf_counters k;
		struct json_object *x = json_object_new_object();

		wfpd_ebpf_counters(d, &k);
		json_object_object_add(x, "permit", json_object_new_int64((int64_t)k.permit));
		json_object_object_add(x, "block", json_object_new_int64((int64_t)k.block));
		json_object_object_add(x, "defer", json_object_new_int64((int64_t)k.defer));
		json_object_object_add(x, "cached", json_object_new_int64((int64_t)k.cached));
		json_object_object_add(x, "lost_events", json_object_new_int64((int64_t)k.lost));
		json_object_object_add(x, "unavailable", json_object_new_int64((int64_t)k.unavailable));
		json_object_object_add(x, "listen_drops", json_object_new_int64((int64_t)k.listen_drops));
		json_object_object_add(o, "kernel", x);
	}
	json_object_object_add(o, "kernel_path", json_object_new_int64(d->kpath));
}

/* The engine's net event log (spec §7.1), in the event shape of monitor. */
static struct json_object *netevent_json(const struct wfp_netevent *ne)
{
	struct wfpd_event ev;
	struct json_object *o;

	memset(&ev, 0, sizeof(ev));
	ev.seq = ne->seq;
	ev.time_ms = ne->time_ns / 1000000;
	ev.layer = ne->layer_id;
	ev.proto = ne->ip_protocol;
	ev.family = ne->ip_version;
	ev.action = WFP_ACTION_BLOCK;
	ev.filter_id = ne->filter_id;
	ev.inbound = ne->direction == WFP_MS_DIRECTION_IN;
	ev.laddr.family = ev.raddr.family = ne->ip_version;
	if (ne->ip_version == 4) {
		ev.laddr.v4 = (uint32_t)ne->local_addr[0] << 24 | (uint32_t)ne->local_addr[1] << 16 |
			      (uint32_t)ne->local_addr[2] << 8 | ne->local_addr[3];
		ev.raddr.v4 = (uint32_t)ne->remote_addr[0] << 24 | (uint32_t)ne->remote_addr[1] << 16 |
			      (uint32_t)ne->remote_addr[2] << 8 | ne->remote_addr[3];
	} else {
		memcpy(ev.laddr.v6, ne->local_addr, 16);
		memcpy(ev.raddr.v6, ne->remote_addr, 16);
	}
	ev.lport = ne->local_port;
	ev.rport = ne->remote_port;
	ev.discard = ne->discard_module || ne->discard_reason ||
		     (wfp_layer_flags(ne->layer_id) & WFP_LAYER_F_DISCARD);
	ev.discard_module = ne->discard_module;
	ev.discard_reason = ne->discard_reason;
	ev.has_uid = (ne->flags & WFP_NET_EVENT_F_USER_ID_SET) != 0;
	ev.uid = ne->uid;
	ev.pid = (int32_t)ne->pid;
	snprintf(ev.app, sizeof(ev.app), "%s", ne->app_id);
	ev.event = ne->keywords & WFP_NET_EVENT_KEYWORD_PORT_SCANNING_DROP ? "port-scan-drop"
									   : "drop";
	if (ne->flags & WFP_NET_EVENT_F_REAUTH_REASON_SET)
		ev.flags |= WFP_CONDITION_FLAG_IS_REAUTHORIZE;
	o = event_json(&ev);
	return o;
}

/* "since": only events with a larger sequence number (0: all kept). */
static int show_netevents(struct wfpd *d, struct json_object *req, struct json_object *o)
{
	struct json_object *arr, *js;
	struct wfp_netevent *ev = NULL;
	uint64_t since = 0;
	size_t n = 0;
	int rc;

	if (json_object_object_get_ex(req, "since", &js) && json_object_get_int64(js) > 0)
		since = (uint64_t)json_object_get_int64(js);
	rc = wfp_netevent_enum(d->engine, since, &ev, &n);

	if (rc)
		return rc;
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, netevent_json(&ev[i]));
	wfp_free_memory(ev);
	json_object_object_add(o, "netevents", arr);
	return 0;
}

static void cmd_show(struct wfpd *d, struct client *c, struct json_object *req)
{
	struct json_object *w, *o;
	const char *what;

	if (!json_object_object_get_ex(req, "what", &w) || !(what = json_object_get_string(w))) {
		reply_err(c, "show: missing \"what\"");
		return;
	}
	o = ok_obj();
	if (!strcmp(what, "filters")) {
		int rc = show_filters(d, o);

		if (rc) {
			json_object_put(o);
			reply_fail(c, rc, NULL);
			return;
		}
	} else if (!strcmp(what, "flows")) {
		struct json_object *arr = json_object_new_array();

		live_flows_foreach(d->live, flow_cb, arr);
		json_object_object_add(o, "flows", arr);
	} else if (!strcmp(what, "netevents")) {
		int rc = show_netevents(d, req, o);

		if (rc) {
			json_object_put(o);
			reply_fail(c, rc, NULL);
			return;
		}
	} else if (!strcmp(what, "counters")) {
		show_counters(d, o);
	} else {
		json_object_put(o);
		reply_err(c, "show: what must be filters, flows, netevents or counters");
		return;
	}
	reply(c, o);
}

static void cmd_load(struct wfpd *d, struct client *c, struct json_object *req)
{
	struct json_object *t, *nm;
	char err[512];
	const char *name = "policy";

	if (!json_object_object_get_ex(req, "text", &t) || !json_object_is_type(t, json_type_string)) {
		reply_err(c, "load: missing \"text\"");
		return;
	}
	if (json_object_object_get_ex(req, "name", &nm) && json_object_get_string(nm))
		name = json_object_get_string(nm);
	if (wfpd_policy_apply(d, json_object_get_string(t), (size_t)json_object_get_string_len(t),
			      name, err, sizeof(err))) {
		reply_fail(c, -WFP_E_PARSE, err);
		return;
	}
	reply(c, ok_obj());
}

static struct msess *sess_new(struct wfpd *d, struct client *c, bool dynamic, const char *name,
			      int *rc)
{
	struct wfp_session_opts so = { .sz = sizeof(so) };
	struct msess *ms = calloc(1, sizeof(*ms));

	/* the key is the session's id on the wire: random, not guessable */
	if (!ms || getrandom(ms->key.b, sizeof(ms->key.b), 0) != (ssize_t)sizeof(ms->key.b)) {
		free(ms);
		*rc = -WFP_E_NOMEM;
		return NULL;
	}
	ms->key.b[6] = (uint8_t)((ms->key.b[6] & 0x0f) | 0x40);
	ms->key.b[8] = (uint8_t)((ms->key.b[8] & 0x3f) | 0x80);
	so.key = ms->key;
	so.display.name = name;
	so.flags = dynamic ? WFP_SESSION_F_DYNAMIC : 0;
	ms->s = wfp_session_open(d->engine, &so);
	if (!ms->s) {
		*rc = errno ? -errno : -WFP_E_NOMEM;
		free(ms);
		return NULL;
	}
	ms->uid = c->uid;
	ms->dynamic = dynamic;
	c->own = c->sess = ms;
	return ms;
}

static void sess_info(struct msess *ms, struct json_object *o)
{
	char g[37];

	json_object_object_add(o, "session", json_object_new_string(wfp_guid_format(&ms->key, g)));
	json_object_object_add(o, "dynamic", json_object_new_boolean(ms->dynamic));
}

static void cmd_session_open(struct wfpd *d, struct client *c, struct json_object *req)
{
	struct json_object *v, *o;
	const char *name = "wfpd client";
	bool dyn;
	int rc = 0;

	if (c->sess || c->orphaned) {
		reply_fail(c, -WFP_E_ALREADY_EXISTS, "this connection already has a session");
		return;
	}
	dyn = json_object_object_get_ex(req, "dynamic", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(req, "name", &v) && json_object_is_type(v, json_type_string))
		name = json_object_get_string(v);
	if (!sess_new(d, c, dyn, name, &rc)) {
		reply_fail(c, rc, NULL);
		return;
	}
	o = ok_obj();
	sess_info(c->own, o);
	reply(c, o);
}

/* Act in another connection's session: same user (or root), and the
 * session's random key as proof that the owner handed it over. */
static void cmd_session_attach(struct wfpd *d, struct client *c, struct json_object *req)
{
	struct mgmt *m = d->mgmt;
	struct json_object *v, *o;
	struct wfp_guid key;

	if (c->sess || c->orphaned) {
		reply_fail(c, -WFP_E_ALREADY_EXISTS, "this connection already has a session");
		return;
	}
	if (!json_object_object_get_ex(req, "session", &v) ||
	    wfp_guid_parse(json_object_get_string(v), &key)) {
		reply_err(c, "session-attach: missing or bad \"session\"");
		return;
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		struct client *x = m->c[i];

		if (!x || !x->own || !wfp_guid_eq(&x->own->key, &key))
			continue;
		if (x->own->uid != c->uid && c->uid != 0)
			break;
		c->sess = x->own;
		o = ok_obj();
		sess_info(c->sess, o);
		reply(c, o);
		return;
	}
	reply_fail(c, -WFP_E_NOT_FOUND, "no such session");
}

static void cmd_sess(struct wfpd *d, struct client *c, const char *cmd, struct json_object *req)
{
	struct json_object *o;
	uint64_t gen = wfp_engine_generation(d->engine);
	char msg[512];
	int rc = 0;

	if (c->orphaned) {
		reply_fail(c, -WFP_E_SESSION_ABORTED, "the attached session was closed");
		return;
	}
	if (c->sess && c->sess->txn_aborted) {
		c->sess->txn_aborted = false;
		reply_fail(c, -WFP_E_TXN_ABORTED, "the transaction was open longer than "
			   "--txn-timeout and was aborted");
		return;
	}
	if (!c->sess && !sess_new(d, c, false, "wfpd client", &rc)) {
		reply_fail(c, rc, NULL);
		return;
	}
	o = ok_obj();
	rc = sess_request(d, c->sess->s, &c->sess->txn_ops, cmd, req, o, msg, sizeof(msg));
	track_writer(d, c->sess, cmd, req);
	/* a commit (explicit or implicit) that changed the policy reaches
	 * live traffic exactly as a load does: reauthorization, new epoch */
	if (wfp_engine_generation(d->engine) != gen) {
		snprintf(d->policy_name, sizeof(d->policy_name), "(sessions)");
		wfpd_policy_changed(d);
	}
	if (rc) {
		json_object_put(o);
		reply_fail(c, rc, msg);
		return;
	}
	reply(c, o);
}

static void dispatch(struct wfpd *d, struct client *c, const char *line, size_t len)
{
	const char *cmd;
	struct json_object *req = wfpd_request_decode(line, len, &cmd), *o;

	d->ctr.mgmt_requests++;
	if (!req) {
		reply_err(c, "bad request: expected a JSON object with \"cmd\"");
		return;
	}
	/* only a whole policy may be large */
	if (len > MGMT_MAX_OBJ_REQ && strcmp(cmd, "load")) {
		reply_fail(c, -WFP_E_LIMIT, "request too long (limit " MGMT_STR(MGMT_MAX_OBJ_REQ)
			   " bytes but for load)");
		json_object_put(req);
		return;
	}
	if (!strcmp(cmd, "hello")) {
		o = ok_obj();
		json_object_object_add(o, "daemon", json_object_new_string("wfpd"));
		json_object_object_add(o, "version", json_object_new_string(wfp_version()));
		json_object_object_add(o, "proto", json_object_new_int(WFPD_PROTO_VERSION));
		json_object_object_add(o, "backend", json_object_new_string(d->backend->name));
		json_object_object_add(o, "queue_path", json_object_new_string(d->qpath_used ? d->qpath_used : ""));
		json_object_object_add(o, "fail_open", json_object_new_boolean(d->cfg.fail_open));
		json_object_object_add(o, "policy", json_object_new_string(d->policy_name));
		reply(c, o);
	} else if (!strcmp(cmd, "load")) {
		cmd_load(d, c, req);
	} else if (!strcmp(cmd, "show")) {
		cmd_show(d, c, req);
	} else if (!strcmp(cmd, "flush")) {
		if (wfpd_flush(d))
			reply_err(c, "flush failed");
		else
			reply(c, ok_obj());
	} else if (!strcmp(cmd, "session-open")) {
		cmd_session_open(d, c, req);
	} else if (!strcmp(cmd, "session-attach")) {
		cmd_session_attach(d, c, req);
	} else if (sess_command(cmd)) {
		cmd_sess(d, c, cmd, req);
	} else if (!strcmp(cmd, "monitor")) {
		if (!c->monitor) {
			c->monitor = true;
			/* a watched flow must be seen: no kernel path meanwhile */
			if (!d->mgmt->nmonitors++)
				wfpd_kpath_update(d);
		}
		reply(c, ok_obj());
	} else {
		reply_fail(c, -WFP_E_INVAL, "unknown command");
	}
	json_object_put(req);
}

static void on_client(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	struct client *c = ctx;
	ssize_t n;
	char *nl;

	(void)fd;
	(void)events;
	if (flush_out(c) < 0) {
		client_free(d, c);
		return;
	}
	for (;;) {
		/* one request at a time: its reply must be gone before the next */
		while (!pending(c) && c->inlen && (nl = memchr(c->in, '\n', c->inlen))) {
			size_t len = (size_t)(nl - c->in) + 1;

			*nl = '\0';
			if (nl > c->in)
				dispatch(d, c, c->in, len - 1);
			memmove(c->in, c->in + len, c->inlen - len);
			c->inlen -= len;
		}
		if (pending(c))
			break;
		if (c->incap - c->inlen < 65536) {
			size_t cap = c->incap ? c->incap * 2 : 65536;
			char *p;

			if (cap > MAX_LINE + 65536 || !(p = realloc(c->in, cap))) {
				reply_err(c, "request too long");
				client_free(d, c);
				return;
			}
			c->in = p;
			c->incap = cap;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen - 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_free(d, c);
			return;
		}
		if (n < 0)
			break;
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
	}
	set_interest(d, c);
}

/* Root, or a member (primary or supplementary) of group openwfp. */
static bool authorised(uid_t uid, gid_t gid)
{
	struct group *g;
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (uid == 0)
		return true;
	g = getgrnam("openwfp");
	if (!g)
		return false;
	if (gid == g->gr_gid)
		return true;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

/* Per-uid and total limits; root only meets the total. */
static bool too_many(const struct mgmt *m, uid_t uid)
{
	unsigned all = 0, same = 0;

	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (!m->c[i])
			continue;
		all++;
		same += m->c[i]->uid == uid;
	}
	if (uid == 0)
		return all >= MAX_CLIENTS;
	return same >= MAX_PER_UID || all >= MAX_CLIENTS - RESERVED_ROOT;
}

static void on_accept(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	struct mgmt *m = d->mgmt;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct client *c;
	unsigned slot;
	int cfd;

	(void)events;
	(void)ctx;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 ||
	    !authorised(cr.uid, cr.gid)) {
		static const char refuse[] =
			"{\"ok\":false,\"error\":\"permission denied: root or group openwfp required\","
			"\"code\":\"E_ACCESSDENIED\",\"hresult\":\"0x80070005\",\"v\":"
			MGMT_STR(WFPD_PROTO_VERSION) "}\n";

		d->ctr.mgmt_refused++;
		logmsg(LOG_WARNING, "management: refused pid %d uid %u gid %u", (int)cr.pid,
		       (unsigned)cr.uid, (unsigned)cr.gid);
		(void)!send(cfd, refuse, sizeof(refuse) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(cfd);
		return;
	}
	if (too_many(m, cr.uid)) {
		static const char busy[] =
			"{\"ok\":false,\"error\":\"too many management connections\","
			"\"code\":\"WFP_E_LIMIT\",\"hresult\":\"0x80070718\",\"v\":"
			MGMT_STR(WFPD_PROTO_VERSION) "}\n";

		d->ctr.mgmt_limited++;
		logmsg(LOG_WARNING, "management: connection limit, refused pid %d uid %u",
		       (int)cr.pid, (unsigned)cr.uid);
		(void)!send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(cfd);
		return;
	}
	for (slot = 0; slot < MAX_CLIENTS && m->c[slot]; slot++)
		;
	c = slot < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->uid = cr.uid;
	c->events = EPOLLIN;
	m->c[slot] = c;
	if (loop_add(d, cfd, on_client, c))
		client_free(d, c);
}

int mgmt_open(struct wfpd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mgmt *m = calloc(1, sizeof(*m));
	struct group *g;
	char dir[108], *slash;
	mode_t mode;

	if (!m)
		return -ENOMEM;
	m->fd = -1;
	d->mgmt = m;
	if (strlen(d->cfg.sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(m->path, sizeof(m->path), "%s", d->cfg.sock_path);
	snprintf(dir, sizeof(dir), "%s", m->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	memcpy(sa.sun_path, m->path, strlen(m->path) + 1);
	m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0)
		return -errno;
	/* a live wfpd answers on the path: never steal its socket */
	if (connect(m->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(m->fd);
		m->fd = -1;
		return -EADDRINUSE;
	}
	unlink(m->path);
	if (bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m->fd, 16) < 0)
		return -errno;
	g = getgrnam("openwfp");
	mode = d->cfg.sock_mode ? (mode_t)d->cfg.sock_mode : g ? 0660 : 0600;
	if (g && chown(m->path, 0, g->gr_gid) < 0)
		logmsg(LOG_WARNING, "chown %s: %s", m->path, strerror(errno));
	chmod(m->path, mode);
	return loop_add(d, m->fd, on_accept, NULL) ? -errno : 0;
}

void mgmt_close(struct wfpd *d)
{
	struct mgmt *m = d->mgmt;

	if (!m)
		return;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i])
			client_free(d, m->c[i]);
	m->writer = NULL;
	reap(d);
	if (m->fd >= 0) {
		loop_del(d, m->fd);
		close(m->fd);
		unlink(m->path);
	}
	free(m);
	d->mgmt = NULL;
}
