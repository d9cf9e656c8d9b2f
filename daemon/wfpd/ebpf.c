/* SPDX-License-Identifier: MIT */
/*
 * ebpf.c - wfpd's eBPF ALE back end (issue 7; docs/wfpd.md "eBPF"): the
 * programs of bpf/ decide ALE_RESOURCE_ASSIGNMENT, ALE_AUTH_CONNECT and
 * ALE_AUTH_RECV_ACCEPT at the socket call for the sockets of one cgroup,
 * with the policy wfpd publishes after every commit; their events become
 * net events and monitor lines with the owner recorded at socket(); the
 * owner map names the process of every flow the NFQUEUE path sees.
 *
 * The kernel path: a (direction, family) whose ALE layer eBPF decides
 * completely - no filter there can defer to userspace - and whose
 * per-packet layers have no filter at all (live_kernel_path_ok) needs no
 * NFQUEUE round trip for a new flow: nft.c's owned table stamps its first
 * packet with the epoch and the whole flow stays in the kernel.  In such
 * a layer a classification that cannot be made (an unknown app path ...)
 * blocks, fail-closed, since nobody would decide it later.
 *
 * Without the hooks (or with --ebpf off) wfpd says what is missing and
 * everything goes through NFQUEUE as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "live.h"
#include "mgmt.h"
#include "nft.h"
#include "wfpd.h"

#ifdef WFPD_HAVE_EBPF
#include <wfp/wfp_netevent.h>
#include "../../bpf/loader.h"

struct wfpd_ebpf {
	struct wfp_ebpf *b;
	struct wfp_ebpf_hooks hooks;
	char cgroup[512];     /* the directory attached to */
	char nft_cg[640];     /* its nft match, "" for the cgroup2 root */
	bool cg_named;        /* nft can name it: a kernel path is possible */
	uint32_t complete;    /* kernel layers decided without userspace */
	bool published;
	int evfd;
	char status[768];
};

/* The cgroup2 mount point, from mountinfo (field 5; fstype after " - "). */
static int cgroup2_root(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (rc && fgets(line, sizeof(line), f)) {
		char mnt[512], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && strlen(mnt) < len) {
			snprintf(out, len, "%s", mnt);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/*
 * nft's `socket cgroupv2 level N "PATH"` names the cgroup relative to
 * /sys/fs/cgroup; level is the depth below the cgroup2 root.  A cgroup
 * that nft cannot name leaves the kernel path off (empty match refused).
 */
static int nft_cgroup_match(const char *root, const char *cg, char *out, size_t len)
{
	const char *rel = cg + strlen(root), *base = "/sys/fs/cgroup";
	char name[512];
	unsigned level = 0;

	if (strncmp(cg, root, strlen(root)) || (*rel && *rel != '/'))
		return -EINVAL;
	while (*rel == '/')
		rel++;
	if (!*rel) {
		out[0] = '\0'; /* the root: every socket */
		return 0;
	}
	for (const char *p = rel; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	level++;
	if (strncmp(root, base, strlen(base)) || (root[strlen(base)] && root[strlen(base)] != '/'))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s%s%s", root + strlen(base) + (root[strlen(base)] == '/'),
		 root[strlen(base)] ? "/" : "", rel);
	if (strchr(name, '"'))
		return -EINVAL;
	snprintf(out, len, "socket cgroupv2 level %u \"%s\"", level, name);
	return 0;
}

static void addr_of(const struct wfp_ale_in *in, unsigned ks, bool v6, struct wfp_addr *a)
{
	const struct wfp_ale_val *v = &in->v[ks];

	memset(a, 0, sizeof(*a));
	a->family = v6 ? 6 : 4;
	if (!(in->present & (1U << ks)))
		return;
	if (!v6) {
		a->v4 = (uint32_t)v->lo;
		return;
	}
	for (int i = 0; i < 8; i++) {
		a->v6[i] = (uint8_t)(v->hi >> (56 - 8 * i));
		a->v6[8 + i] = (uint8_t)(v->lo >> (56 - 8 * i));
	}
}

static void put16(uint8_t *dst, const struct wfp_addr *a)
{
	if (a->family == 4) {
		dst[0] = (uint8_t)(a->v4 >> 24);
		dst[1] = (uint8_t)(a->v4 >> 16);
		dst[2] = (uint8_t)(a->v4 >> 8);
		dst[3] = (uint8_t)a->v4;
	} else {
		memcpy(dst, a->v6, 16);
	}
}

/* One kernel classification: a monitor line, and a net event if it
 * dropped (spec §7.1: the deciding filter and the owner). */
static void on_event(const struct wfp_ale_event *ke, void *ctx)
{
	struct wfpd *d = ctx;
	int layer = wfp_ebpf_layer(ke->in.klayer);
	bool v6 = layer >= 0 && (wfp_layer_flags((unsigned)layer) & WFP_LAYER_F_V6);
	bool block = ke->verdict == WFP_ALE_BLOCK;
	const struct wfp_ale_owner *o = &ke->owner;
	struct wfpd_event ev;

	if (layer < 0)
		return;
	d->ctr.ebpf_events++;
	d->ctr.per_layer[layer]++;
	if (block)
		d->ctr.ebpf_blocks++;
	memset(&ev, 0, sizeof(ev));
	ev.layer = (uint16_t)layer;
	ev.family = v6 ? 6 : 4;
	ev.proto = (uint8_t)ke->in.v[WFP_KS_PROTO].lo;
	ev.action = block ? WFP_ACTION_BLOCK : ke->verdict == WFP_ALE_DEFER ? 0 : WFP_ACTION_PERMIT;
	ev.filter_id = ke->filter_id;
	/* as the library reports them: RECV_ACCEPT and LISTEN are inbound;
	 * LISTEN has no protocol field, and only TCP listens */
	ev.inbound = ke->in.klayer == WFP_KL_ACCEPT4 || ke->in.klayer == WFP_KL_ACCEPT6 ||
		     ke->in.klayer == WFP_KL_LISTEN4 || ke->in.klayer == WFP_KL_LISTEN6;
	if (ke->in.klayer == WFP_KL_LISTEN4 || ke->in.klayer == WFP_KL_LISTEN6)
		ev.proto = WFP_PROTO_TCP;
	addr_of(&ke->in, WFP_KS_LADDR, v6, &ev.laddr);
	addr_of(&ke->in, WFP_KS_RADDR, v6, &ev.raddr);
	ev.lport = (uint16_t)ke->in.v[WFP_KS_LPORT].lo;
	ev.rport = (uint16_t)ke->in.v[WFP_KS_RPORT].lo;
	ev.has_uid = true;
	ev.uid = o->uid;
	ev.pid = (int32_t)o->tgid;
	if (o->path_known)
		snprintf(ev.app, sizeof(ev.app), "%.*s", WFP_ALE_PATH_MAX, o->path);
	ev.event = ke->verdict == WFP_ALE_DEFER ? "ebpf-defer" : "ebpf";
	if (block || mgmt_monitoring(d))
		wfpd_event_emit(d, &ev);
	if (block) {
		struct wfp_netevent ne;

		memset(&ne, 0, sizeof(ne));
		ne.time_ns = (uint64_t)time(NULL) * 1000000000ull;
		ne.type = WFP_NET_EVENT_CLASSIFY_DROP;
		ne.flags = WFP_NET_EVENT_F_IP_PROTOCOL_SET | WFP_NET_EVENT_F_IP_VERSION_SET |
			   WFP_NET_EVENT_F_LOCAL_ADDR_SET | WFP_NET_EVENT_F_REMOTE_ADDR_SET |
			   WFP_NET_EVENT_F_LOCAL_PORT_SET | WFP_NET_EVENT_F_REMOTE_PORT_SET |
			   WFP_NET_EVENT_F_USER_ID_SET;
		ne.ip_version = ev.family;
		ne.ip_protocol = ev.proto;
		ne.layer_id = (uint16_t)layer;
		put16(ne.local_addr, &ev.laddr);
		put16(ne.remote_addr, &ev.raddr);
		ne.local_port = ev.lport;
		ne.remote_port = ev.rport;
		ne.direction = ev.inbound ? WFP_MS_DIRECTION_IN : WFP_MS_DIRECTION_OUT;
		ne.filter_id = ke->filter_id;
		ne.uid = o->uid;
		ne.pid = o->tgid;
		if (ev.app[0]) {
			ne.flags |= WFP_NET_EVENT_F_APP_ID_SET;
			snprintf(ne.app_id, sizeof(ne.app_id), "%s", ev.app);
		}
		wfp_netevent_report(d->engine, &ne);
	}
}

static void on_readable(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	(void)fd, (void)events, (void)ctx;
	if (d->ebpf)
		wfp_ebpf_poll(d->ebpf->b, 0, on_event, d);
}

static void fallback(struct wfpd *d, const char *what, int err)
{
	logmsg(d->cfg.ebpf == WFPD_EBPF_ON ? LOG_ERR : LOG_WARNING,
	       "eBPF: missing %s: %s; %s", what, strerror(err > 0 ? err : -err),
	       d->cfg.ebpf == WFPD_EBPF_ON ? "refusing to start (--ebpf on)"
					   : "ALE decided on the NFQUEUE path only");
}

int wfpd_ebpf_start(struct wfpd *d)
{
	struct wfpd_ebpf *x;
	const char *why = "?";
	char root[512];
	int rc;

	if (d->cfg.ebpf == WFPD_EBPF_OFF)
		return 0;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	x->evfd = -1;
	rc = cgroup2_root(root, sizeof(root));
	if (rc) {
		fallback(d, "a cgroup2 mount", rc);
		goto out_fail;
	}
	snprintf(x->cgroup, sizeof(x->cgroup), "%s", d->cfg.ebpf_cgroup ? d->cfg.ebpf_cgroup : root);
	x->b = wfp_ebpf_open(&why);
	if (!x->b) {
		fallback(d, why, errno);
		goto out_fail;
	}
	rc = wfp_ebpf_attach(x->b, x->cgroup, &why);
	if (rc) {
		char what[600];

		snprintf(what, sizeof(what), "%s (cgroup %s)", why, x->cgroup);
		fallback(d, what, rc);
		goto out_fail;
	}
	wfp_ebpf_hooks(x->b, &x->hooks);
	if (nft_cgroup_match(root, x->cgroup, x->nft_cg, sizeof(x->nft_cg))) {
		logmsg(LOG_WARNING, "eBPF: nft cannot name cgroup %s (not below /sys/fs/cgroup): "
				    "no kernel path, new flows are queued", x->cgroup);
	} else {
		x->cg_named = true;
	}
	x->evfd = wfp_ebpf_event_fd(x->b);
	if (x->evfd < 0 || loop_add(d, x->evfd, on_readable, NULL)) {
		fallback(d, "the event ring", errno);
		goto out_fail;
	}
	d->ebpf = x;
	snprintf(x->status, sizeof(x->status), "eBPF on cgroup %s: connect/bind yes, recv-accept %s, "
		 "listen %s, app paths %s", x->cgroup,
		 x->hooks.skb_ingress ? "yes" : "no",
		 x->hooks.lsm_cgroup ? "yes" : x->hooks.listen_sockops ? "sockops" : "no",
		 x->hooks.exec_path ? "yes" : "no");
	logmsg(LOG_INFO, "%s", x->status);
	if (!x->hooks.lsm_cgroup && x->hooks.listen_sockops)
		logmsg(LOG_INFO, "eBPF: listen hook missing (%s): ALE_AUTH_LISTEN enforced by "
				 "refusing connections (listen() succeeds, every SYN to a blocked "
				 "listener is dropped)", strerror(-x->hooks.lsm_err));
	else if (!x->hooks.lsm_cgroup)
		logmsg(LOG_INFO, "eBPF: listen hook missing (%s), no sockops path (%s): "
				 "ALE_AUTH_LISTEN not enforced", strerror(-x->hooks.lsm_err),
		       strerror(-x->hooks.sockops_err));
	wfpd_ebpf_policy_changed(d);
	return 0;

out_fail:
	if (x->b)
		wfp_ebpf_close(x->b);
	free(x);
	return d->cfg.ebpf == WFPD_EBPF_ON ? -1 : 0;
}

/* The kernel layers a kernel path can stand on: strict when complete. */
#define KLAYERS_KPATH ((1U << WFP_KL_CONNECT4) | (1U << WFP_KL_CONNECT6) | \
		       (1U << WFP_KL_ACCEPT4) | (1U << WFP_KL_ACCEPT6))

/* Kernel layers a kernel-path bit needs decided without userspace. */
static uint32_t klayers_of(uint32_t kbit)
{
	switch (kbit) {
	case WFPD_KPATH_OUT4: return 1U << WFP_KL_CONNECT4;
	case WFPD_KPATH_OUT6: return 1U << WFP_KL_CONNECT6;
	case WFPD_KPATH_IN4: return 1U << WFP_KL_ACCEPT4;
	case WFPD_KPATH_IN6: return 1U << WFP_KL_ACCEPT6;
	}
	return 0;
}

/* Which kernel-path kinds may bypass the queue now. */
static uint32_t kpath_wanted(struct wfpd *d)
{
	struct wfpd_ebpf *x = d->ebpf;
	uint32_t k = 0;

	if (!x || !x->published || d->cfg.no_fastpath || !x->cg_named ||
	    mgmt_monitoring(d))
		return 0;
	for (uint32_t bit = 1; bit <= WFPD_KPATH_IN6; bit <<= 1) {
		bool v6 = bit == WFPD_KPATH_OUT6 || bit == WFPD_KPATH_IN6;

		if ((x->complete & klayers_of(bit)) == klayers_of(bit) &&
		    live_kernel_path_ok(d->live, v6))
			k |= bit;
	}
	return k;
}

void wfpd_kpath_update(struct wfpd *d)
{
	uint32_t k = kpath_wanted(d);

	if (!d->ebpf || !d->backend_priv)
		return;
	/* allowed socket calls cost no event while nobody watches */
	wfp_ebpf_permit_events(d->ebpf->b, mgmt_monitoring(d));
	if (nft_kpath_set(d, k, live_epoch_mark(d->live), d->ebpf->nft_cg))
		k = 0;
	if (k != d->kpath)
		logmsg(LOG_INFO, "kernel path: out4 %s, out6 %s, in4 %s, in6 %s",
		       k & WFPD_KPATH_OUT4 ? "on" : "off", k & WFPD_KPATH_OUT6 ? "on" : "off",
		       k & WFPD_KPATH_IN4 ? "on" : "off", k & WFPD_KPATH_IN6 ? "on" : "off");
	d->kpath = k;
}

/* After every commit: compile and swap the kernel policy (atomic, one
 * map update).  A policy too large for the maps is unpublished: every
 * socket call is then allowed in the kernel and decided on NFQUEUE. */
void wfpd_ebpf_policy_changed(struct wfpd *d)
{
	struct wfpd_ebpf *x = d->ebpf;
	struct wfp_ebpf_stats st;
	uint32_t strict = KLAYERS_KPATH;
	int rc;

	if (!x)
		return;
	memset(&st, 0, sizeof(st));
	/*
	 * Strict (a classification the kernel cannot make blocks) wherever
	 * the policy allows a kernel path: no later decision would exist.
	 * This depends on the policy alone, never on whether a monitor
	 * watches, so that watching never changes a verdict.
	 */
	if (!x->cg_named)
		strict = 0; /* no kernel path can exist */
	for (int v6 = 0; v6 < 2; v6++)
		if (d->cfg.no_fastpath || !live_kernel_path_ok(d->live, v6))
			strict &= v6 ? ~((1U << WFP_KL_CONNECT6) | (1U << WFP_KL_ACCEPT6)) :
				       ~((1U << WFP_KL_CONNECT4) | (1U << WFP_KL_ACCEPT4));
	rc = wfp_ebpf_publish_strict(x->b, d->engine, strict, &st);
	if (rc) {
		d->ctr.ebpf_publish_errors++;
		logmsg(LOG_WARNING, "eBPF: cannot publish the policy (%s): decided on NFQUEUE",
		       wfp_strerror(rc));
		wfp_ebpf_unpublish(x->b);
		x->published = false;
		x->complete = 0;
	} else {
		x->published = true;
		x->complete = st.strict_mask;
	}
	wfpd_kpath_update(d);
}

int wfpd_ebpf_owner(struct wfpd *d, uint64_t cookie, char *app, size_t applen, int32_t *pid,
		    uint32_t *uid, uint32_t *gid)
{
	struct wfp_ale_owner o;

	if (!d->ebpf || !cookie || wfp_ebpf_owner(d->ebpf->b, cookie, &o))
		return -ENOENT;
	d->ctr.ebpf_owner_hits++;
	if (app)
		snprintf(app, applen, "%.*s", o.path_known ? WFP_ALE_PATH_MAX : 0, o.path);
	*pid = (int32_t)o.tgid;
	*uid = o.euid;
	*gid = o.egid;
	return 0;
}

void wfpd_ebpf_stop(struct wfpd *d)
{
	struct wfpd_ebpf *x = d->ebpf;

	if (!x)
		return;
	nft_kpath_close(d);
	if (x->evfd >= 0)
		loop_del(d, x->evfd);
	wfp_ebpf_close(x->b);
	free(x);
	d->ebpf = NULL;
	d->kpath = 0;
}

const char *wfpd_ebpf_status(const struct wfpd *d)
{
	return d->ebpf ? d->ebpf->status : "off";
}

void wfpd_ebpf_counters(struct wfpd *d, struct wfpd_ebpf_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned k = 0; d->ebpf && k < WFP_KL_MAX; k++) {
		struct wfp_ale_stats s;

		if (wfp_ebpf_stats(d->ebpf->b, k, &s))
			continue;
		c->permit += s.permit;
		c->block += s.block;
		c->defer += s.defer;
		c->cached += s.cached;
		c->lost += s.lost;
		c->unavailable += s.unavailable;
		c->listen_drops += s.listen_drop;
	}
}

#else /* !WFPD_HAVE_EBPF */

int wfpd_ebpf_start(struct wfpd *d)
{
	if (d->cfg.ebpf == WFPD_EBPF_OFF)
		return 0;
	logmsg(d->cfg.ebpf == WFPD_EBPF_ON ? LOG_ERR : LOG_INFO,
	       "eBPF: this wfpd was built without the eBPF back end; ALE on NFQUEUE only");
	return d->cfg.ebpf == WFPD_EBPF_ON ? -1 : 0;
}

void wfpd_ebpf_policy_changed(struct wfpd *d)
{
	(void)d;
}

void wfpd_kpath_update(struct wfpd *d)
{
	(void)d;
}

int wfpd_ebpf_owner(struct wfpd *d, uint64_t cookie, char *app, size_t applen, int32_t *pid,
		    uint32_t *uid, uint32_t *gid)
{
	(void)d, (void)cookie, (void)app, (void)applen, (void)pid, (void)uid, (void)gid;
	return -ENOENT;
}

void wfpd_ebpf_stop(struct wfpd *d)
{
	(void)d;
}

const char *wfpd_ebpf_status(const struct wfpd *d)
{
	(void)d;
	return "not built";
}

void wfpd_ebpf_counters(struct wfpd *d, struct wfpd_ebpf_counters *c)
{
	(void)d;
	memset(c, 0, sizeof(*c));
}
#endif
