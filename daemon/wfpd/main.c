/* SPDX-License-Identifier: MIT */
/*
 * main.c - wfpd, the openwfp daemon: applies a WFP policy to this host's
 * real traffic.  It owns one engine and one static session holding the
 * loaded policy; the back end (NFQUEUE) feeds packets to the live model;
 * the management socket changes and inspects the policy (docs/wfpd.md,
 * docs/protocol.md).
 *
 * Start-up order matters for fail-closed: the persistent policy is
 * loaded before any hook exists, the queue consumer is bound before the
 * table that feeds it is installed, and the table's chains drop by
 * policy until their queue rule is in place.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "live.h"
#include "mgmt.h"
#include "nft.h"
#include "wfpd.h"

static void wfp_log_cb(enum wfp_log_level level, const char *msg, void *ctx)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	(void)ctx;
	logmsg(prio[level <= WFP_LOG_DEBUG ? level : WFP_LOG_DEBUG], "libwfp: %s", msg);
}

/* Does any filter test ALE_APP_ID?  Only then is the /proc walk that
 * finds a socket's executable worth its cost on every new flow. */
static bool policy_tests(struct wfpd *d, unsigned field)
{
	struct wfp_filter **a = NULL;
	size_t n = 0;
	bool need = false;

	if (wfp_filter_enum(d->session, NULL, &a, &n))
		return true;
	for (size_t i = 0; i < n && !need; i++)
		for (uint32_t j = 0; j < a[i]->ncond; j++)
			if (a[i]->cond[j].field == field)
				need = true;
	wfp_filter_array_free(a, n);
	return need;
}

static uint32_t epoch_max(const struct wfpd *d)
{
	return d->cfg.ct_mark_mask >> __builtin_ctz(d->cfg.ct_mark_mask);
}

/* Every policy change starts a new fast-path epoch: every marked flow
 * comes back to wfpd once, and is reauthorized if its layer changed. */
void wfpd_policy_changed(struct wfpd *d)
{
	d->app_needed = policy_tests(d, WFP_FIELD_ALE_APP_ID);
	d->user_needed = policy_tests(d, WFP_FIELD_ALE_USER_ID);
	live_policy_changed(d->live);
	d->fwd_free = (uint8_t)(live_forward_free(d->live, false) | live_forward_free(d->live, true) << 1);
	d->epoch = d->epoch % epoch_max(d) + 1;
	if (d->backend_priv)
		nft_set_epoch(d, live_epoch_mark(d->live));
	wfpd_ebpf_policy_changed(d);
}

int wfpd_policy_apply(struct wfpd *d, const char *text, size_t len, const char *name,
		      char *err, size_t errlen)
{
#ifdef WFPD_HAVE_POLICY
	struct wfp_policy_error pe;
	int rc;

	memset(&pe, 0, sizeof(pe));
	rc = wfp_policy_load_string(d->session, text, len, name, WFP_POLICY_REPLACE, &pe);
	if (rc) {
		if (pe.line)
			snprintf(err, errlen, "%s:%u:%u: %s", name, pe.line, pe.col,
				 pe.msg[0] ? pe.msg : wfp_strerror(rc));
		else
			snprintf(err, errlen, "%s: %s", name, pe.msg[0] ? pe.msg : wfp_strerror(rc));
		return -1;
	}
	snprintf(d->policy_name, sizeof(d->policy_name), "%s", name);
	logmsg(LOG_INFO, "policy %s loaded", name);
	wfpd_policy_changed(d);
	return 0;
#else
	(void)d, (void)text, (void)len, (void)name;
	snprintf(err, errlen, "this wfpd was built without the policy loader");
	return -1;
#endif
}

/* Deletes every filter in one transaction (the built-in objects stay). */
int wfpd_flush(struct wfpd *d)
{
	struct wfp_filter **a = NULL;
	size_t n = 0;
	int rc = wfp_txn_begin(d->session, 0);

	if (rc)
		return rc;
	rc = wfp_filter_enum(d->session, NULL, &a, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = wfp_filter_delete_by_id(d->session, a[i]->filter_id);
	wfp_filter_array_free(a, n);
	if (rc) {
		wfp_txn_abort(d->session);
		return rc;
	}
	rc = wfp_txn_commit(d->session);
	if (!rc) {
		snprintf(d->policy_name, sizeof(d->policy_name), "(flushed)");
		wfpd_policy_changed(d);
	}
	return rc;
}

/* systemd readiness (Type=notify) without libsystemd: one datagram to
 * $NOTIFY_SOCKET once the table is in place, so that units ordered after
 * wfpd start only when traffic is already enforced. */
static void notify_ready(const struct wfpd *d)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[256];
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=enforcing via %s, %s\nMAINPID=%d",
		 d->qpath_used, d->cfg.fail_open ? "fail-open" : "fail-closed", (int)getpid());
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		logmsg(LOG_WARNING, "sd_notify: %s", strerror(errno));
	close(fd);
}

static int load_persistent(struct wfpd *d)
{
	char err[512];
	FILE *f;
	char *text;
	long len;
	int rc;

	if (!d->cfg.policy)
		return 0;
	f = fopen(d->cfg.policy, "r");
	if (!f) {
		logmsg(LOG_ERR, "%s: %s", d->cfg.policy, strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		logmsg(LOG_ERR, "%s: cannot read", d->cfg.policy);
		return -1;
	}
	fclose(f);
	text[len] = '\0';
	rc = wfpd_policy_apply(d, text, (size_t)len, d->cfg.policy, err, sizeof(err));
	free(text);
	if (rc)
		logmsg(LOG_ERR, "%s", err);
	return rc;
}

int main(int argc, char **argv)
{
	static struct wfpd d; /* large: the net event ring */
	char err[512];
	int rc = 1;

	switch (config_parse(&d.cfg, argc, argv)) {
	case 1:
		return 0;
	case -1:
		return 2;
	}
	d.backend = backend_by_name(d.cfg.backend);
	if (!d.backend) {
		fprintf(stderr, "wfpd: unknown backend '%s'\n", d.cfg.backend);
		return 2;
	}
	wfp_set_log(wfp_log_cb, NULL);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	{
		struct wfp_engine_opts eo = { .sz = sizeof(eo), .store_path = d.cfg.store };

		d.engine = wfp_engine_open(&eo);
	}
	d.session = d.engine ? wfp_session_open(d.engine, NULL) : NULL;
	d.live = d.session ? live_new(&d) : NULL;
	if (d.epfd < 0 || !d.live) {
		logmsg(LOG_ERR, "start-up: %s", strerror(errno));
		goto out_engine;
	}
	/* a fresh epoch: marks from an earlier run never match, so every
	 * existing flow is reauthorized against the policy loaded now */
	d.epoch = (uint32_t)(time(NULL) ^ getpid()) % epoch_max(&d) + 1;
	if (load_persistent(&d))
		goto out_engine;
	/* also without a --policy: the derived state of the empty policy */
	wfpd_policy_changed(&d);
	rc = mgmt_open(&d);
	if (rc) {
		logmsg(LOG_ERR, "management socket %s: %s%s", d.cfg.sock_path, strerror(-rc),
		       rc == -EADDRINUSE ? " (is another wfpd running?)" : "");
		rc = 1;
		goto out_mgmt;
	}
	if (d.cfg.metrics && metrics_open(&d, d.cfg.metrics))
		goto out_mgmt;
	if (d.backend->open(&d, &d.backend_priv, err, sizeof(err))) {
		logmsg(LOG_ERR, "%s backend: %s", d.backend->name, err);
		goto out_mgmt;
	}
	/* after the table: until the kernel path exists every flow queues */
	if (wfpd_ebpf_start(&d)) {
		rc = 1;
		goto out_backend;
	}
	logmsg(LOG_INFO, "enforcing on table inet %s, queue %u..%u via %s, %s, fast path %s",
	       d.cfg.table, d.cfg.queue_base, d.cfg.queue_base + d.cfg.nqueues - 1, d.qpath_used,
	       d.cfg.fail_open ? "FAIL-OPEN" : "fail-closed",
	       d.cfg.no_fastpath ? "off" : "on");
	notify_ready(&d);
	rc = loop_run(&d) ? 1 : 0;
out_backend:
	wfpd_ebpf_stop(&d);
	d.backend->close(d.backend_priv, d.cfg.keep_table);
	d.backend_priv = NULL;
out_mgmt:
	metrics_close(&d);
	mgmt_close(&d);
out_engine:
	live_free(d.live);
	wfp_session_close(d.session);
	wfp_engine_close(d.engine);
	if (d.epfd >= 0)
		close(d.epfd);
	return rc;
}
