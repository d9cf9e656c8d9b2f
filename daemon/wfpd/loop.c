/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the event loop: one epoll set, one callback per fd (after
 * redis ae_epoll.c), plus a once-a-second tick for flow expiry.  Signals
 * arrive through a signalfd so that no handler ever runs inside the
 * verdict path.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "mgmt.h"
#include "wfpd.h"

enum { MAX_FDS = 256, MAX_EVENTS = 32 };

struct handler {
	int fd;
	wfpd_fd_fn fn;
	void *ctx;
};

static struct handler handlers[MAX_FDS];
static int log_verbose;
static int log_stderr = 1;

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		fprintf(stderr, "wfpd: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

int loop_add(struct wfpd *d, int fd, wfpd_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (fd < 0 || fd >= MAX_FDS) {
		errno = EMFILE;
		return -1;
	}
	handlers[fd] = (struct handler){ .fd = fd, .fn = fn, .ctx = ctx };
	ev.data.fd = fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void loop_del(struct wfpd *d, int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	handlers[fd].fn = NULL;
}

static void on_tick(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	uint64_t n;

	(void)events;
	(void)ctx;
	if (read(fd, &n, sizeof(n)) == sizeof(n)) {
		live_gc(d->live);
		metrics_tick();
		mgmt_tick(d);
	}
}

static void on_signal(struct wfpd *d, int fd, uint32_t events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)ctx;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		logmsg(LOG_INFO, "signal %u: stopping", si.ssi_signo);
		d->stop = 1;
	}
}

int loop_run(struct wfpd *d)
{
	struct itimerspec it = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct epoll_event evs[MAX_EVENTS];
	sigset_t mask;
	int tfd, sfd;

	log_verbose = d->cfg.verbose;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &it, NULL) < 0 ||
	    loop_add(d, sfd, on_signal, NULL) || loop_add(d, tfd, on_tick, NULL)) {
		logmsg(LOG_ERR, "event loop: %s", strerror(errno));
		return -1;
	}
	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, MAX_EVENTS, -1);

		if (n < 0 && errno != EINTR) {
			logmsg(LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd >= 0 && fd < MAX_FDS && handlers[fd].fn)
				handlers[fd].fn(d, fd, evs[i].events, handlers[fd].ctx);
		}
	}
	loop_del(d, sfd);
	loop_del(d, tfd);
	close(sfd);
	close(tfd);
	return 0;
}
