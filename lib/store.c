/* SPDX-License-Identifier: MIT */
/*
 * store.c - the on-disk store of persistent objects (spec §6.4).
 *
 * Objects added with a PERSISTENT flag survive the engine: an engine
 * opened with a store path loads them at start, and every commit that
 * adds or deletes a persistent object rewrites the store *before* the
 * commit is published.  If the write fails, the commit fails and the
 * transaction is rolled back, so the running policy and the store never
 * disagree.
 *
 * Crash safety is write-temp + fsync + rename + fsync(dir): the store is
 * the JSON policy format (docs/policy.md) written to "PATH.tmp", flushed
 * to disk, then renamed over PATH in one atomic step.  A kill -9 or a
 * power cut at any moment leaves either the old file or the new one,
 * never a mix; a stale PATH.tmp is ignored and overwritten.  Filter ids
 * are run-time ids and are assigned afresh at load (the keys persist).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "policy.h"

/* Keep only the objects marked persistent; the rest die with the engine. */
static void keep_persistent(struct wfp_policy *p)
{
	size_t k;

#define KEEP(arr, n, flagexpr) do {					\
		k = 0;							\
		for (size_t i = 0; i < (n); i++)			\
			if (flagexpr)					\
				(arr)[k++] = (arr)[i];			\
		(n) = k;						\
	} while (0)
	KEEP(p->prov, p->nprov, p->prov[i].p.flags & WFP_PROVIDER_F_PERSISTENT);
	KEEP(p->subl, p->nsubl, p->subl[i].s.flags & WFP_SUBLAYER_F_PERSISTENT);
	KEEP(p->call, p->ncall, p->call[i].c.flags & WFP_CALLOUT_F_PERSISTENT);
	KEEP(p->filt, p->nfilt, p->filt[i].f.flags & WFP_FILTER_F_PERSISTENT);
#undef KEEP
}

static int fsync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -WFP_E_INVAL;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -WFP_E_IO;
	if (fsync(fd))
		ret = -WFP_E_IO;
	close(fd);
	return ret;
}

static int write_file(const struct wfp_policy *p, const char *tmp)
{
	FILE *f = fopen(tmp, "we");
	int ret;

	if (!f)
		return -WFP_E_IO;
	ret = wfp_policy_write(p, WFP_POLICY_FMT_JSON, f);
	if (ret == 0 && (fflush(f) || fsync(fileno(f))))
		ret = -WFP_E_IO;
	if (fclose(f) && ret == 0)
		ret = -WFP_E_IO;
	return ret;
}

WFP_API int wfp_store_save(struct wfp_session *s, const char *path)
{
	char tmp[4096];
	struct wfp_policy *p;
	int ret;

	if (!s || !path)
		return -WFP_E_NULL_POINTER;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -WFP_E_INVAL;
	ret = wfp_policy_snapshot(s, &p);
	if (ret)
		return ret;
	keep_persistent(p);
	ret = write_file(p, tmp);
	wfp_policy_free(p);
	if (ret == 0 && rename(tmp, path))
		ret = -WFP_E_IO;
	if (ret == 0)
		ret = fsync_dir_of(path);
	if (ret) {
		wfp_logf(WFP_LOG_ERROR, "store %s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
	}
	return ret;
}

WFP_API int wfp_store_load(struct wfp_session *s, const char *path,
			   struct wfp_policy_error *err)
{
	struct wfp_policy *p;
	int ret;

	if (!s || !path)
		return -WFP_E_NULL_POINTER;
	if (access(path, F_OK) && errno == ENOENT)
		return 0; /* first start: nothing persisted yet */
	ret = wfp_policy_parse_file(path, WFP_POLICY_FMT_JSON, &p, err);
	if (ret)
		return ret;
	ret = wfp_policy_apply(s, p, 0, err);
	wfp_policy_free(p);
	return ret;
}

/* Does the transaction touch a persistent object? */
bool wfp_txn_touches_persistent(const struct txn *t)
{
	for (size_t i = 0; i < t->nlog; i++)
		if (t->log[i].obj->life == LIFE_PERSISTENT)
			return true;
	return false;
}
