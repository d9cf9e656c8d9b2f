/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the engine object, sessions and transactions (spec §6.2, §6.3).
 *
 * Transactions keep an undo log.  A write applies to the management objects
 * at once (so the session sees its own changes) and logs how to undo it;
 * deleted objects are only unlinked, not freed.  Abort replays the log
 * backwards.  Commit compiles every layer the transaction touched into a
 * fresh blob first -- if any compile fails, nothing is published and the
 * transaction is aborted -- then publishes all of them, bumps the
 * generations and frees what was deleted.  Classification therefore sees
 * the old policy or the new one, never half of a transaction.
 *
 * Only one write transaction exists at a time (WFP's BFE lock).  libwfp
 * does not block: a second session that needs the lock while another
 * holds it gets FWP_E_TIMEOUT at once (a txnWaitTimeout of zero).
 *
 * Publication: wfp_classify() reads engine->published[layer] with an
 * acquire load; commit stores the new blob with a release store and frees
 * the old one at once.  A caller that classifies on other threads while
 * committing must provide its own grace period (wfpd commits and
 * classifies on one thread).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "log.h"

const char *wfp_version(void);

static const char *store_path_of(const struct wfp_engine_opts *o)
{
	if (!o || o->sz < offsetof(struct wfp_engine_opts, store_path) + sizeof(o->store_path))
		return NULL;
	return o->store_path;
}

/* Load the persistent objects; a store that exists but cannot be read
 * fails the open rather than starting with a silently empty policy. */
static int store_open(struct wfp_engine *e, const char *path)
{
	struct wfp_policy_error err = { 0 };
	struct wfp_session *s;
	int ret;

	e->store_path = wfp_strdup(path);
	if (!e->store_path)
		return -WFP_E_NOMEM;
	s = wfp_session_open(e, NULL);
	if (!s)
		return -errno;
	e->store_loading = true;
	ret = wfp_store_load(s, path, &err);
	e->store_loading = false;
	if (ret)
		wfp_logf(WFP_LOG_ERROR, "store %s:%u:%u: %s", path, err.line, err.col, err.msg);
	wfp_session_close(s);
	return ret;
}

WFP_API struct wfp_engine *wfp_engine_open(const struct wfp_engine_opts *opts)
{
	struct wfp_engine *e;
	int ret;

	if (opts && opts->sz < sizeof(size_t)) {
		errno = WFP_E_INVAL;
		return NULL;
	}
	e = wfp_calloc(1, sizeof(*e));
	if (!e) {
		errno = WFP_E_NOMEM;
		return NULL;
	}
	e->next_filter_id = 1;
	e->next_callout_id = 1;
	wfp_netevent_init(e);
	ret = wfp_sublayers_init_builtin(e);
	if (ret == 0)
		ret = wfp_builtin_callouts_init(e);
	if (ret == 0 && store_path_of(opts))
		ret = store_open(e, store_path_of(opts));
	if (ret) {
		wfp_engine_close(e);
		errno = -ret;
		return NULL;
	}
	return e;
}

static void free_list(struct obj_hdr **head)
{
	while (*head) {
		struct obj_hdr *h = *head;

		*head = h->next;
		wfp_obj_ops[h->kind].destroy(h);
	}
}

static void free_objects(struct wfp_engine *e)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		struct filter_obj *f = e->layer_head[l], *n;

		for (; f; f = n) {
			n = f->layer_next;
			wfp_filter_destroy(&f->h);
		}
		e->layer_head[l] = NULL;
		wfp_clayer_free(e->published[l]);
		e->published[l] = NULL;
	}
	wfp_findex_free(&e->fidx);
	free_list(&e->callouts);
	free_list(&e->sublayers);
	free_list(&e->providers);
	wfp_callout_regs_free(e);
}

WFP_API void wfp_engine_close(struct wfp_engine *e)
{
	if (!e)
		return;
	e->closing = true; /* every object goes below: no purges, no zombies */
	while (e->sessions) {
		e->sessions->zombie = false;
		wfp_session_close(e->sessions);
	}
	free_objects(e);
	wfp_netevent_fini(e);
	wfp_free(e->store_path);
	wfp_free(e);
}

WFP_API uint64_t wfp_engine_generation(const struct wfp_engine *e)
{
	return __atomic_load_n(&e->generation, __ATOMIC_ACQUIRE);
}

WFP_API uint64_t wfp_engine_layer_generation(const struct wfp_engine *e, unsigned layer)
{
	if (layer >= WFP_LAYER_MAX)
		return 0;
	return __atomic_load_n(&e->layer_gen[layer], __ATOMIC_ACQUIRE);
}

/* ---- GUIDs and object headers ---- */

void wfp_guid_generate(struct wfp_guid *g)
{
	if (getrandom(g->b, sizeof(g->b), 0) != (ssize_t)sizeof(g->b)) {
		/* fall back to something unique within this process */
		static uint64_t ctr;
		uint64_t v = ++ctr ^ (uint64_t)(uintptr_t)g;

		memcpy(g->b, &v, 8);
		memcpy(g->b + 8, &ctr, 8);
	}
	g->b[6] = (uint8_t)((g->b[6] & 0x0f) | 0x40); /* RFC 4122 v4 */
	g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
}

enum obj_life wfp_life_of(const struct wfp_session *s, bool persistent)
{
	if (persistent)
		return LIFE_PERSISTENT;
	return s->flags & WFP_SESSION_F_DYNAMIC ? LIFE_DYNAMIC : LIFE_STATIC;
}

int wfp_hdr_init(struct obj_hdr *h, enum obj_kind kind, struct wfp_session *s,
		 const struct wfp_guid *key, const struct wfp_display *d, uint32_t flags,
		 enum obj_life life)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	if (!d->name)
		return -WFP_E_NULL_DISPLAY_NAME;
	h->name = wfp_strdup(d->name);
	h->desc = d->description ? wfp_strdup(d->description) : NULL;
	if (!h->name || (d->description && !h->desc)) {
		wfp_hdr_fini(h);
		return -WFP_E_NOMEM;
	}
	if (key && !wfp_guid_is_zero(key))
		h->key = *key;
	else
		wfp_guid_generate(&h->key);
	h->flags = flags;
	h->life = life;
	h->owner = life == LIFE_DYNAMIC ? s : NULL;
	h->live = true;
	return 0;
}

void wfp_hdr_fini(struct obj_hdr *h)
{
	wfp_free(h->name);
	wfp_free(h->desc);
	h->name = h->desc = NULL;
}

int wfp_hdr_may_delete(const struct wfp_session *s, const struct obj_hdr *h)
{
	if (h->life == LIFE_BUILTIN)
		return -WFP_E_BUILTIN_OBJECT;
	if (!(s->flags & WFP_SESSION_F_DYNAMIC))
		return 0;
	/* spec §6.6: a dynamic session deletes only its own objects */
	if (h->life != LIFE_DYNAMIC)
		return -WFP_E_DYNAMIC_SESSION_IN_PROGRESS;
	if (h->owner != s)
		return -WFP_E_WRONG_SESSION;
	return 0;
}

int wfp_hdr_may_link(enum obj_life life, const struct wfp_session *s,
		     const struct obj_hdr *h)
{
	if (h->life < life)
		return -WFP_E_LIFETIME_MISMATCH;
	if (h->life == LIFE_DYNAMIC && h->owner != s)
		return -WFP_E_LIFETIME_MISMATCH;
	return 0;
}

/* ---- sessions ---- */

WFP_API struct wfp_session *wfp_session_open(struct wfp_engine *e,
					     const struct wfp_session_opts *o)
{
	struct wfp_session *s;

	if (!e) {
		errno = WFP_E_NULL_POINTER;
		return NULL;
	}
	if (o && o->sz < sizeof(size_t)) {
		errno = WFP_E_INVAL;
		return NULL;
	}
	if (o && !wfp_guid_is_zero(&o->key)) {
		for (s = e->sessions; s; s = s->next) {
			if (wfp_guid_eq(&s->key, &o->key)) {
				errno = WFP_E_ALREADY_EXISTS;
				return NULL;
			}
		}
	}
	s = wfp_calloc(1, sizeof(*s));
	if (!s) {
		errno = WFP_E_NOMEM;
		return NULL;
	}
	s->e = e;
	if (o && o->display.name && !(s->name = wfp_strdup(o->display.name))) {
		wfp_free(s);
		errno = WFP_E_NOMEM;
		return NULL;
	}
	if (o && !wfp_guid_is_zero(&o->key))
		s->key = o->key;
	else
		wfp_guid_generate(&s->key);
	s->flags = o ? o->flags : 0;
	s->next = e->sessions;
	e->sessions = s;
	return s;
}

static void session_free(struct wfp_session *s)
{
	for (struct wfp_session **pp = &s->e->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	wfp_free(s->name);
	wfp_free(s);
}

/*
 * A dynamic session whose objects could not be deleted when it closed
 * (another session held the write lock, or memory ran out) stays behind as
 * a zombie, invisible to its caller, and is purged as soon as the lock is
 * free again: its objects never outlive it for longer than the
 * transaction that was in the way.
 */
static void reap_zombies(struct wfp_engine *e)
{
	struct wfp_session *s, *next;

	if (e->reaping || e->wtxn)
		return;
	e->reaping = true;
	for (s = e->sessions; s; s = next) {
		next = s->next;
		if (s->zombie && wfp_session_purge(s) == 0) {
			session_free(s);
			next = e->sessions; /* the list may have changed */
		}
	}
	e->reaping = false;
}

WFP_API void wfp_session_close(struct wfp_session *s)
{
	if (!s || s->zombie)
		return;
	/* spec §6.2: abort the open transaction first, then purge */
	if (s->txn)
		wfp_txn_abort(s);
	wfp_change_unsubscribe_session(s);
	if ((s->flags & WFP_SESSION_F_DYNAMIC) && !s->e->closing) {
		int ret = wfp_session_purge(s);

		/* out of memory is usually brief: try again before giving up */
		for (int i = 0; ret == -WFP_E_NOMEM && i < 3; i++)
			ret = wfp_session_purge(s);
		if (ret) {
			s->zombie = true;
			return;
		}
	}
	session_free(s);
}

WFP_API struct wfp_engine *wfp_session_engine(const struct wfp_session *s)
{
	return s ? s->e : NULL;
}

/* ---- transactions ---- */

static struct txn *txn_new(struct wfp_session *s, uint32_t flags, bool implicit)
{
	struct txn *t = wfp_calloc(1, sizeof(*t));

	if (t) {
		t->s = s;
		t->flags = flags;
		t->implicit = implicit;
	}
	return t;
}

static void txn_free(struct txn *t)
{
	if (t) {
		wfp_free(t->log);
		wfp_free(t);
	}
}

WFP_API int wfp_txn_begin(struct wfp_session *s, uint32_t flags)
{
	struct txn *t;

	if (!s)
		return -WFP_E_NULL_POINTER;
	if (flags & ~(uint32_t)WFP_TXN_READ_ONLY)
		return -WFP_E_INVALID_FLAGS;
	if (s->txn)
		return -WFP_E_TXN_IN_PROGRESS;
	if (!(flags & WFP_TXN_READ_ONLY) && s->e->wtxn)
		return -WFP_E_TIMEOUT;
	t = txn_new(s, flags, false);
	if (!t)
		return -WFP_E_NOMEM;
	s->txn = t;
	if (!(flags & WFP_TXN_READ_ONLY))
		s->e->wtxn = t;
	return 0;
}

int wfp_txn_log(struct txn *t, bool add, struct obj_hdr *h)
{
	if (t->nlog == t->caplog) {
		size_t cap = t->caplog ? t->caplog * 2 : 16;
		struct undo *n = wfp_realloc(t->log, cap * sizeof(*n));

		if (!n)
			return -WFP_E_NOMEM;
		t->log = n;
		t->caplog = cap;
	}
	t->log[t->nlog].add = add;
	t->log[t->nlog].obj = h;
	t->nlog++;
	/* a filter added or deleted changes its layer's published policy */
	if (h->kind == OBJ_FILTER)
		wfp_txn_dirty(t, ((struct filter_obj *)h)->layer);
	return 0;
}

void wfp_txn_dirty(struct txn *t, unsigned layer)
{
	t->dirty[layer / 64] |= 1ULL << (layer % 64);
}

static bool is_dirty(const struct txn *t, unsigned layer)
{
	return t->dirty[layer / 64] & (1ULL << (layer % 64));
}

/* Undo one logged step.  Relinking never allocates (the filter index
 * only grows), so undo cannot fail. */
static void undo_one(struct wfp_engine *e, const struct undo *u)
{
	const struct obj_ops *ops = &wfp_obj_ops[u->obj->kind];

	if (u->add) {
		ops->unlink(e, u->obj);
		ops->destroy(u->obj);
	} else {
		ops->relink(e, u->obj);
	}
}

static void txn_rollback(struct wfp_engine *e, struct txn *t)
{
	while (t->nlog) {
		t->nlog--;
		undo_one(e, &t->log[t->nlog]);
	}
}

/* After publication: free what the transaction deleted. */
static void txn_reap(struct txn *t)
{
	for (size_t i = 0; i < t->nlog; i++)
		if (!t->log[i].add)
			wfp_obj_ops[t->log[i].obj->kind].destroy(t->log[i].obj);
	t->nlog = 0;
}

/* Compile every dirty layer into fresh[]; nothing is published yet. */
static int txn_compile(struct wfp_engine *e, const struct txn *t,
		       struct clayer *fresh[WFP_LAYER_MAX])
{
	int ret = 0;

	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		if (!is_dirty(t, l) || !e->layer_head[l])
			continue;
		fresh[l] = wfp_clayer_build(e, l, &ret);
		if (!fresh[l])
			return ret;
	}
	return 0;
}

/* Publish all of fresh[] at once: nothing here can fail. */
static void txn_swap(struct wfp_engine *e, const struct txn *t,
		     struct clayer *fresh[WFP_LAYER_MAX])
{
	bool changed = false;

	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		struct clayer *old;

		if (!is_dirty(t, l))
			continue;
		old = e->published[l];
		__atomic_store_n(&e->published[l], fresh[l], __ATOMIC_RELEASE);
		__atomic_store_n(&e->layer_gen[l], e->layer_gen[l] + 1, __ATOMIC_RELEASE);
		wfp_clayer_free(old);
		fresh[l] = NULL;
		changed = true;
	}
	if (changed)
		__atomic_store_n(&e->generation, e->generation + 1, __ATOMIC_RELEASE);
}

static void txn_end(struct wfp_session *s, struct txn *t)
{
	struct wfp_engine *e = s->e;

	if (e->wtxn == t)
		e->wtxn = NULL;
	if (s->txn == t)
		s->txn = NULL;
	txn_free(t);
	reap_zombies(e); /* the lock is free: purge closed dynamic sessions */
}

/*
 * Commit: compile, write the store if persistent objects changed, then
 * publish.  Every step that can fail comes before the first visible
 * change, so a failure rolls back with nothing published or stored.
 */
static int txn_finish(struct wfp_session *s, struct txn *t, bool commit)
{
	struct clayer *fresh[WFP_LAYER_MAX] = { 0 };
	struct wfp_engine *e = s->e;
	int ret = 0;

	if (commit && t->nlog) {
		ret = txn_compile(e, t, fresh);
		if (ret == 0 && e->store_path && !e->store_loading &&
		    wfp_txn_touches_persistent(t))
			ret = wfp_store_save(s, e->store_path);
		if (ret == 0) {
			txn_swap(e, t, fresh);
			wfp_change_notify(e, t);
			txn_reap(t);
		}
		for (unsigned l = 0; l < WFP_LAYER_MAX; l++)
			wfp_clayer_free(fresh[l]);
	}
	if (!commit || ret)
		txn_rollback(e, t);
	txn_end(s, t);
	return ret;
}

WFP_API int wfp_txn_commit(struct wfp_session *s)
{
	if (!s)
		return -WFP_E_NULL_POINTER;
	if (!s->txn)
		return -WFP_E_NO_TXN_IN_PROGRESS;
	return txn_finish(s, s->txn, true);
}

WFP_API int wfp_txn_abort(struct wfp_session *s)
{
	if (!s)
		return -WFP_E_NULL_POINTER;
	if (!s->txn)
		return -WFP_E_NO_TXN_IN_PROGRESS;
	return txn_finish(s, s->txn, false);
}

WFP_API int wfp_txn_active(const struct wfp_session *s)
{
	return s && s->txn;
}

/*
 * Enter the transaction a management call runs in: the session's explicit
 * one, or a new implicit one (spec §6.3).  A read needs no lock, but must
 * not see another session's uncommitted writes, so it waits (times out)
 * while someone else holds the write lock.
 */
int wfp_txn_enter(struct wfp_session *s, bool write, struct txn **out)
{
	struct wfp_engine *e;

	*out = NULL;
	if (!s)
		return -WFP_E_NULL_POINTER;
	e = s->e;
	if (s->txn) {
		if (write && (s->txn->flags & WFP_TXN_READ_ONLY))
			return -WFP_E_INCOMPATIBLE_TXN;
		*out = s->txn;
		return 0;
	}
	if (e->wtxn && e->wtxn->s == s && e->wtxn->implicit) {
		/* nested call inside our own implicit transaction (purge) */
		e->wtxn->depth++;
		*out = e->wtxn;
		return 0;
	}
	if (e->wtxn)
		return -WFP_E_TIMEOUT;
	if (!write)
		return 0;
	*out = txn_new(s, 0, true);
	if (!*out)
		return -WFP_E_NOMEM;
	e->wtxn = *out;
	return 0;
}

/* Leave it: an implicit transaction commits on success, aborts on error.
 * A failed call inside an explicit transaction leaves it open (spec §6.3:
 * the caller may still commit the calls that succeeded). */
int wfp_txn_leave(struct wfp_session *s, struct txn *t, int ret)
{
	if (!t || !t->implicit)
		return ret;
	if (t->depth) {
		t->depth--;
		return ret;
	}
	if (ret) {
		txn_finish(s, t, false);
		return ret;
	}
	return txn_finish(s, t, true);
}

/* Deletes every object s owns, in one transaction: all or none.
 * Returns 0 when none is left. */
int wfp_session_purge(struct wfp_session *s)
{
	struct wfp_engine *e = s->e;
	struct txn *t;
	bool again = true;
	int ret;

	ret = wfp_txn_enter(s, true, &t);
	if (ret)
		return ret;
	/* filters first, then what they reference; repeat for chains */
	for (unsigned l = 0; l < WFP_LAYER_MAX && !ret; l++) {
		struct filter_obj *f, *n;

		for (f = e->layer_head[l]; f && !ret; f = n) {
			n = f->layer_next;
			if (f->h.owner == s)
				ret = wfp_filter_delete_by_id(s, f->id);
		}
	}
	while (again && !ret) {
		struct obj_hdr **lists[] = { &e->callouts, &e->sublayers, &e->providers };

		again = false;
		for (unsigned i = 0; i < 3 && !again && !ret; i++) {
			for (struct obj_hdr *h = *lists[i]; h; h = h->next) {
				if (h->owner != s)
					continue;
				ret = wfp_obj_delete(s, h->kind, h);
				again = true;
				break;
			}
		}
	}
	return wfp_txn_leave(s, t, ret);
}
