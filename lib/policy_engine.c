/* SPDX-License-Identifier: MIT */
/*
 * policy_engine.c - the two bridges between a policy object list and an
 * engine: apply (the same management calls a C program makes, in one
 * transaction, all or nothing) and snapshot (what an engine holds, as an
 * object list the writers can print).  docs/policy.md, "Applying".
 *
 * All or nothing: when the session has no transaction open, apply runs
 * its own and aborts it on the first failure.  When the caller already
 * has one open, apply joins it (spec §6.3: a session has at most one) and
 * on failure undoes its own calls by deleting, in reverse order, what it
 * added, and re-adding what REPLACE deleted, so the caller's transaction
 * is left as it was.
 */
#include <string.h>

#include "internal.h"
#include "policy.h"

/* ---- undo log of one apply ---- */

enum step_kind { S_PROVIDER, S_SUBLAYER, S_CALLOUT, S_FILTER };

struct step {
	enum step_kind kind;
	struct wfp_guid key;
	uint64_t id; /* filters */
};

struct applier {
	struct wfp_session *s;
	const struct wfp_policy *p;
	struct wfp_policy_error *err;
	struct step *done;
	size_t ndone, cdone;
	struct wfp_policy *removed; /* REPLACE: what was deleted */
};

static int record(struct applier *a, enum step_kind k, const struct wfp_guid *key,
		  uint64_t id)
{
	if (a->ndone == a->cdone) {
		size_t nc = a->cdone ? a->cdone * 2 : 64;
		struct step *n = wfp_realloc(a->done, nc * sizeof(*n));

		if (!n)
			return -WFP_E_NOMEM;
		a->done = n;
		a->cdone = nc;
	}
	a->done[a->ndone++] = (struct step){ k, *key, id };
	return 0;
}

/* Delete what this apply added, newest first (joined transactions). */
static void undo_adds(struct applier *a)
{
	while (a->ndone) {
		const struct step *st = &a->done[--a->ndone];

		switch (st->kind) {
		case S_FILTER:
			wfp_filter_delete_by_id(a->s, st->id);
			break;
		case S_CALLOUT:
			wfp_callout_delete(a->s, &st->key);
			break;
		case S_SUBLAYER:
			wfp_sublayer_delete(a->s, &st->key);
			break;
		case S_PROVIDER:
			wfp_provider_delete(a->s, &st->key);
			break;
		}
	}
}

static int obj_error(struct applier *a, int r, const struct pol_loc *loc,
		     const char *what, const char *name)
{
	return pol_error(a->err, r, a->p->file, loc->line, loc->col, loc->text,
			 loc->text ? strlen(loc->text) : 0, "%s '%s': %s", what,
			 name ? name : "", wfp_strerror(r));
}

static int add_all(struct applier *a)
{
	const struct wfp_policy *p = a->p;
	int r = 0;

	for (size_t i = 0; i < p->nprov && !r; i++) {
		r = wfp_provider_add(a->s, &p->prov[i].p);
		r = r ? obj_error(a, r, &p->prov[i].loc, "provider", p->prov[i].name) :
			record(a, S_PROVIDER, &p->prov[i].p.key, 0);
	}
	for (size_t i = 0; i < p->nsubl && !r; i++) {
		r = wfp_sublayer_add(a->s, &p->subl[i].s);
		r = r ? obj_error(a, r, &p->subl[i].loc, "sublayer", p->subl[i].name) :
			record(a, S_SUBLAYER, &p->subl[i].s.key, 0);
	}
	for (size_t i = 0; i < p->ncall && !r; i++) {
		r = wfp_callout_add(a->s, &p->call[i].c, NULL);
		r = r ? obj_error(a, r, &p->call[i].loc, "callout", p->call[i].name) :
			record(a, S_CALLOUT, &p->call[i].c.key, 0);
	}
	for (size_t i = 0; i < p->nfilt && !r; i++) {
		uint64_t id = 0;

		r = wfp_filter_add(a->s, &p->filt[i].f, &id);
		r = r ? obj_error(a, r, &p->filt[i].loc, "filter",
				  p->filt[i].f.display.name) :
			record(a, S_FILTER, &p->filt[i].f.key, id);
	}
	return r;
}

/* ---- REPLACE: remove every non-built-in object ---- */

static int remove_all(struct applier *a)
{
	const struct wfp_policy *o = a->removed;
	int r = 0;

	for (size_t i = 0; i < o->nfilt && !r; i++)
		r = wfp_filter_delete_by_id(a->s, o->filt[i].f.filter_id);
	for (size_t i = 0; i < o->ncall && !r; i++)
		r = wfp_callout_delete(a->s, &o->call[i].c.key);
	for (size_t i = 0; i < o->nsubl && !r; i++)
		r = wfp_sublayer_delete(a->s, &o->subl[i].s.key);
	for (size_t i = 0; i < o->nprov && !r; i++)
		r = wfp_provider_delete(a->s, &o->prov[i].p.key);
	if (r)
		pol_error(a->err, r, a->p->file, 0, 0, NULL, 0,
			  "replace: cannot remove the current policy: %s", wfp_strerror(r));
	return r;
}

/* Joined transaction: put back what remove_all deleted (best effort; the
 * objects get new filter ids, their keys stay). */
static void restore_removed(struct applier *a)
{
	const struct wfp_policy *o = a->removed;

	for (size_t i = 0; i < o->nprov; i++)
		wfp_provider_add(a->s, &o->prov[i].p);
	for (size_t i = 0; i < o->nsubl; i++)
		wfp_sublayer_add(a->s, &o->subl[i].s);
	for (size_t i = 0; i < o->ncall; i++)
		wfp_callout_add(a->s, &o->call[i].c, NULL);
	for (size_t i = 0; i < o->nfilt; i++)
		wfp_filter_add(a->s, &o->filt[i].f, NULL);
}

static int apply_steps(struct applier *a, uint32_t flags)
{
	int r;

	if (flags & WFP_POLICY_REPLACE) {
		r = wfp_policy_snapshot(a->s, &a->removed);
		if (r)
			return pol_error(a->err, r, a->p->file, 0, 0, NULL, 0,
					 "replace: cannot read the current policy: %s",
					 wfp_strerror(r));
		r = remove_all(a);
		if (r)
			return r;
	}
	return add_all(a);
}

static void rollback_joined(struct applier *a)
{
	undo_adds(a);
	if (a->removed)
		restore_removed(a);
}

int wfp_policy_apply(struct wfp_session *s, const struct wfp_policy *p,
		     uint32_t flags, struct wfp_policy_error *err)
{
	struct applier a = { .s = s, .p = p, .err = err };
	bool joined;
	int r;

	if (!s || !p)
		return pol_error(err, -WFP_E_NULL_POINTER, p ? p->file : NULL, 0, 0,
				 NULL, 0, "no session or policy");
	joined = wfp_txn_active(s);
	if (!joined && (r = wfp_txn_begin(s, 0)))
		return pol_error(err, r, p->file, 0, 0, NULL, 0,
				 "cannot begin a transaction: %s", wfp_strerror(r));
	r = apply_steps(&a, flags);
	if (joined) {
		/* CHECK_ONLY leaves the caller's transaction untouched too */
		if (r || (flags & WFP_POLICY_CHECK_ONLY))
			rollback_joined(&a);
	} else if (r || (flags & WFP_POLICY_CHECK_ONLY)) {
		wfp_txn_abort(s);
	} else if ((r = wfp_txn_commit(s))) {
		pol_error(err, r, p->file, 0, 0, NULL, 0, "commit failed: %s",
			  wfp_strerror(r));
	}
	wfp_free(a.done);
	wfp_policy_free(a.removed);
	return r;
}

/* ---- snapshot ---- */

static bool builtin_sublayer(const struct wfp_guid *k)
{
	for (unsigned i = 0; i < wfp_builtin_sublayer_count(); i++)
		if (wfp_guid_eq(&wfp_builtin_sublayer(i)->key, k))
			return true;
	return false;
}

static int dup_display(struct wfp_policy *p, struct wfp_display *d)
{
	const char *n = d->name, *ds = d->description;

	d->name = pol_strdup(p, n ? n : "");
	d->description = pol_strdup(p, ds);
	return !d->name || (ds && !d->description) ? -WFP_E_NOMEM : 0;
}

/*
 * Keys of the engine's providers or callouts, oldest first (the engine
 * keeps them newest first).  There is no public enumeration of these two
 * kinds, so this reads the engine's lists (internal.h) and then uses the
 * public getters for the copies.
 */
static int engine_keys(struct wfp_session *s, bool callouts, struct wfp_guid **out,
		       size_t *n)
{
	size_t cnt = 0, i;
	struct wfp_guid *k;

	struct obj_hdr *head = callouts ? s->e->callouts : s->e->providers;

	*out = NULL;
	*n = 0;
	for (struct obj_hdr *h = head; h; h = h->next)
		cnt += h->life != LIFE_BUILTIN;
	if (!cnt)
		return 0;
	k = wfp_calloc(cnt, sizeof(*k));
	if (!k)
		return -WFP_E_NOMEM;
	i = cnt;
	for (struct obj_hdr *h = head; h; h = h->next)
		if (h->life != LIFE_BUILTIN)
			k[--i] = h->key;
	*out = k;
	*n = cnt;
	return 0;
}

static int snap_provider(struct wfp_session *s, struct wfp_policy *p,
			 const struct wfp_guid *key)
{
	struct wfp_provider *g;
	struct pol_provider *pv;
	int r = wfp_provider_get(s, key, &g);

	if (r)
		return r;
	pv = pol_add_provider(p);
	if (pv) {
		pv->p = *g;
		pv->p.service_name = pol_strdup(p, g->service_name);
		r = dup_display(p, &pv->p.display);
	}
	if (!pv || (g->service_name && !pv->p.service_name))
		r = -WFP_E_NOMEM;
	wfp_provider_free(g);
	return r;
}

static int snap_callout(struct wfp_session *s, struct wfp_policy *p,
			const struct wfp_guid *key)
{
	struct wfp_callout *g;
	struct pol_callout *c;
	int r = wfp_callout_get(s, key, &g);

	if (r)
		return r;
	c = pol_add_callout(p);
	if (c) {
		c->c = *g;
		c->c.flags &= ~(uint32_t)WFP_CALLOUT_F_REGISTERED;
		r = dup_display(p, &c->c.display);
	} else {
		r = -WFP_E_NOMEM;
	}
	wfp_callout_free(g);
	return r;
}

static int snap_objects(struct wfp_session *s, struct wfp_policy *p, bool callouts)
{
	struct wfp_guid *k;
	size_t n;
	int r = engine_keys(s, callouts, &k, &n);

	for (size_t i = 0; i < n && !r; i++)
		r = callouts ? snap_callout(s, p, &k[i]) : snap_provider(s, p, &k[i]);
	wfp_free(k);
	return r;
}

static int snap_sublayers(struct wfp_session *s, struct wfp_policy *p)
{
	struct wfp_sublayer **a;
	size_t n;
	int r = wfp_sublayer_enum(s, &a, &n);

	for (size_t i = 0; i < n && !r; i++) {
		struct pol_sublayer *sl;

		if (builtin_sublayer(&a[i]->key))
			continue;
		sl = pol_add_sublayer(p);
		if (!sl) {
			r = -WFP_E_NOMEM;
			break;
		}
		sl->s = *a[i];
		r = dup_display(p, &sl->s.display);
	}
	if (n || a)
		wfp_sublayer_array_free(a, n);
	return r;
}

/* Deep copy of conditions: blobs into the arena. */
static int dup_conds(struct wfp_policy *p, struct wfp_filter *f)
{
	struct wfp_filter_cond *c;

	if (!f->ncond) {
		f->cond = NULL;
		return 0;
	}
	c = pol_memdup(p, f->cond, f->ncond * sizeof(*c));
	if (!c)
		return -WFP_E_NOMEM;
	for (uint32_t i = 0; i < f->ncond; i++) {
		struct wfp_value *v[2] = { &c[i].value.v, NULL };

		if (c[i].value.type == WFP_RANGE) {
			v[0] = &c[i].value.range.low;
			v[1] = &c[i].value.range.high;
		} else if (c[i].value.type > WFP_SINGLE_DATA_TYPE_MAX) {
			continue;
		}
		for (int j = 0; j < 2 && v[j]; j++) {
			uint16_t t = v[j]->type;

			if (t != WFP_BYTE_BLOB && t != WFP_SID && t != WFP_UNICODE_STRING &&
			    t != WFP_SECURITY_DESCRIPTOR)
				continue;
			v[j]->blob.data = pol_memdup(p, v[j]->blob.data, v[j]->blob.size);
			if (!v[j]->blob.data)
				return -WFP_E_NOMEM;
		}
	}
	f->cond = c;
	return 0;
}

static int snap_filters(struct wfp_session *s, struct wfp_policy *p)
{
	struct wfp_filter **a;
	size_t n;
	int r = wfp_filter_enum(s, NULL, &a, &n);

	for (size_t i = 0; i < n && !r; i++) {
		struct pol_filter *f = pol_add_filter(p);

		if (!f) {
			r = -WFP_E_NOMEM;
			break;
		}
		f->f = *a[i];
		f->f.flags &= ~(uint32_t)WFP_FILTER_F_DISABLED;
		r = dup_display(p, &f->f.display);
		if (!r)
			r = dup_conds(p, &f->f);
	}
	if (n || a)
		wfp_filter_array_free(a, n);
	return r;
}

int wfp_policy_snapshot(struct wfp_session *s, struct wfp_policy **out)
{
	struct wfp_policy *p;
	int r;

	if (!s || !out)
		return -WFP_E_NULL_POINTER;
	*out = NULL;
	p = pol_new("<engine>");
	if (!p)
		return -WFP_E_NOMEM;
	p->from_engine = true;
	r = snap_objects(s, p, false);
	if (!r)
		r = snap_sublayers(s, p);
	if (!r)
		r = snap_objects(s, p, true);
	if (!r)
		r = snap_filters(s, p);
	if (!r)
		r = pol_assign_names(p);
	if (r) {
		wfp_policy_free(p);
		return r;
	}
	*out = p;
	return 0;
}
