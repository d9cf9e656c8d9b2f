/* SPDX-License-Identifier: MIT */
/*
 * policy_json.c - JSON policies (json-c): the same object list as the
 * text language, one JSON object per management object.  The schema is
 * in docs/policy.md ("JSON"); in short:
 *
 *   { "format": "openwfp-policy", "version": 1,
 *     "providers": [ { "name", "key", "display": {"name","description"},
 *                      "flags": [...], "service" } ],
 *     "sublayers": [ { "name", "key", "display", "provider", "weight", "flags" } ],
 *     "callouts":  [ { "name", "key", "display", "provider", "layer", "flags" } ],
 *     "filters":   [ { "key", "display", "layer", "sublayer", "provider",
 *                      "weight": "auto" | N | {"range": N},
 *                      "action": {"type", "callout", "filterType"},
 *                      "flags": [...], "context": N,
 *                      "conditions": [ {"field", "match", "value"} ] } ] }
 *
 * References ("provider", "sublayer", "callout") are names declared in
 * the same file, Windows names, or GUIDs, exactly as in the text language;
 * condition values are strings in the text language's value syntax, raw
 * strings for string fields, {"hex": "..."} for byte blobs that are not
 * text, {"low": v, "high": v} for ranges, null for EMPTY.  Unknown
 * members are errors, so a typo cannot silently drop a condition.
 */
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "alloc.h"
#include "compat.h"
#include "cond.h"
#include "policy.h"

/* ---- reader ---- */

struct jctx {
	struct wfp_policy *p;
	struct wfp_policy_error *err;
	char path[96]; /* where we are: "filters[3].conditions[1]" */
	int failed;
};

static int jfail(struct jctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int jfail(struct jctx *c, int code, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (c->failed)
		return c->failed;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = code;
	pol_error(c->err, code, c->p->file, 0, 0, NULL, 0, "%s%s%s", c->path,
		  c->path[0] ? ": " : "", msg);
	return code;
}

/* Reject members not in the NULL-terminated list. */
static int known_members(struct jctx *c, struct json_object *o, const char *const *ok)
{
	json_object_object_foreach(o, k, v) {
		const char *const *a = ok;

		(void)v;
		while (*a && strcmp(*a, k))
			a++;
		if (!*a)
			return jfail(c, -WFP_E_PARSE, "unknown member \"%.40s\"", k);
	}
	return 0;
}

static struct json_object *member(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* A string member copied to the arena; NULL (and ok) if absent. */
static int jstring(struct jctx *c, struct json_object *o, const char *k, bool required,
		   const char **out)
{
	struct json_object *v = member(o, k);
	const char *s;

	*out = NULL;
	if (!v) {
		return required ? jfail(c, -WFP_E_PARSE, "missing \"%s\"", k) : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return jfail(c, -WFP_E_PARSE, "\"%s\" must be a string", k);
	s = json_object_get_string(v);
	if (!pol_is_text((const uint8_t *)s, (size_t)json_object_get_string_len(v)))
		return jfail(c, -WFP_E_PARSE, "\"%s\" must be UTF-8 text without NUL", k);
	*out = pol_strdup(c->p, s);
	return *out ? 0 : jfail(c, -WFP_E_NOMEM, "out of memory");
}

static int jguid(struct jctx *c, struct json_object *o, const char *k, struct wfp_guid *g)
{
	const char *s;

	if (jstring(c, o, k, false, &s) || !s)
		return c->failed;
	if (wfp_guid_parse(s, g))
		return jfail(c, -WFP_E_PARSE, "\"%s\": '%.40s' is not a GUID", k, s);
	return 0;
}

static int juint(struct jctx *c, struct json_object *v, uint64_t max, const char *what,
		 uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return jfail(c, -WFP_E_PARSE, "%s must be a number", what);
	if (json_object_get_int64(v) < 0)
		return jfail(c, -WFP_E_PARSE, "%s must not be negative", what);
	*out = json_object_get_uint64(v);
	if (*out > max)
		return jfail(c, -WFP_E_PARSE, "%s is larger than %llu", what,
			     (unsigned long long)max);
	return 0;
}

static int jdisplay(struct jctx *c, struct json_object *o, struct wfp_display *d)
{
	static const char *const ok[] = { "name", "description", NULL };
	struct json_object *v = member(o, "display");

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return jfail(c, -WFP_E_PARSE, "\"display\" must be an object");
	if (known_members(c, v, ok) || jstring(c, v, "name", false, &d->name))
		return c->failed;
	return jstring(c, v, "description", false, &d->description);
}

/* "flags": ["persistent", ...] against a table of (name, bit). */
struct jflag {
	const char *name;
	uint32_t bit;
};

static int jflags(struct jctx *c, struct json_object *o, const struct jflag *t,
		  uint32_t *flags)
{
	struct json_object *a = member(o, "flags");
	size_t n;

	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return jfail(c, -WFP_E_PARSE, "\"flags\" must be an array");
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *s = json_object_get_string(e);
		const struct jflag *f = t;
		uint64_t u;

		if (json_object_is_type(e, json_type_int)) {
			if (juint(c, e, UINT32_MAX, "a flag", &u))
				return c->failed;
			*flags |= (uint32_t)u;
			continue;
		}
		if (!json_object_is_type(e, json_type_string))
			return jfail(c, -WFP_E_PARSE, "flags are names or numbers");
		while (f->name && strcasecmp(f->name, s))
			f++;
		if (!f->name)
			return jfail(c, -WFP_E_PARSE, "unknown flag '%.40s'", s);
		*flags |= f->bit;
	}
	return 0;
}

/* name + key: one of them is needed; the key defaults to the derived one. */
static int jnamekey(struct jctx *c, struct json_object *o, enum pol_kind kind,
		    const char **name, struct wfp_guid *key)
{
	const char *n;

	if (jstring(c, o, "name", false, &n))
		return c->failed;
	if (n && (kind == POL_PROVIDER ? pol_provider_by_name(c->p, n) != NULL :
		  kind == POL_SUBLAYER ? pol_sublayer_by_name(c->p, n) != NULL :
					 pol_callout_by_name(c->p, n) != NULL))
		return jfail(c, -WFP_E_ALREADY_EXISTS, "name '%.60s' is already used", n);
	*name = n;
	if (*name) {
		pol_derive_key(kind, *name, key);
		if (!pol_name_valid(*name))
			return jfail(c, -WFP_E_PARSE, "bad name '%.40s' (a letter or '_', then "
				     "letters, digits, _ . - + * @ $ %%)", *name);
	} else if (!member(o, "key")) {
		return jfail(c, -WFP_E_PARSE, "needs a \"name\" or a \"key\"");
	}
	return jguid(c, o, "key", key);
}

typedef int (*jref_fn)(const struct wfp_policy *, const char *, struct wfp_guid *);

static int jref(struct jctx *c, struct json_object *o, const char *k, jref_fn fn,
		struct wfp_guid *out)
{
	const char *s;

	if (jstring(c, o, k, false, &s) || !s)
		return c->failed;
	if (fn(c->p, s, out))
		return jfail(c, -WFP_E_NOT_FOUND, "unknown %s '%.60s'", k, s);
	return 0;
}

static int jlayer(struct jctx *c, struct json_object *o, uint16_t *layer)
{
	const char *s;
	int l;

	if (jstring(c, o, "layer", true, &s))
		return c->failed;
	l = wfp_layer_by_name(s);
	if (l < 0)
		return jfail(c, -WFP_E_LAYER_NOT_FOUND, "unknown layer '%.60s'", s);
	*layer = (uint16_t)l;
	return 0;
}

/* Run fn over every element of the array member k, with the path set. */
static int jeach(struct jctx *c, struct json_object *root, const char *k,
		 int (*fn)(struct jctx *, struct json_object *))
{
	struct json_object *a = member(root, k);
	size_t n;

	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return jfail(c, -WFP_E_PARSE, "\"%s\" must be an array", k);
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && !c->failed; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		snprintf(c->path, sizeof(c->path), "%s[%zu]", k, i);
		if (!json_object_is_type(e, json_type_object))
			return jfail(c, -WFP_E_PARSE, "must be an object");
		fn(c, e);
	}
	if (!c->failed)
		c->path[0] = 0;
	return c->failed;
}

static const struct jflag provider_flags[] = {
	{ "persistent", WFP_PROVIDER_F_PERSISTENT }, { "disabled", WFP_PROVIDER_F_DISABLED },
	{ NULL, 0 }
};
static const struct jflag sublayer_flags[] = {
	{ "persistent", WFP_SUBLAYER_F_PERSISTENT }, { NULL, 0 }
};
static const struct jflag callout_flags[] = {
	{ "persistent", WFP_CALLOUT_F_PERSISTENT },
	{ "uses-provider-context", WFP_CALLOUT_F_USES_PROVIDER_CONTEXT }, { NULL, 0 }
};

static int jprovider(struct jctx *c, struct json_object *o)
{
	static const char *const ok[] = { "name", "key", "display", "flags", "service", NULL };
	struct pol_provider *pv = pol_add_provider(c->p);

	if (!pv)
		return jfail(c, -WFP_E_NOMEM, "out of memory");
	if (known_members(c, o, ok) || jnamekey(c, o, POL_PROVIDER, &pv->name, &pv->p.key) ||
	    jdisplay(c, o, &pv->p.display) || jflags(c, o, provider_flags, &pv->p.flags))
		return c->failed;
	if (!pv->p.display.name)
		pv->p.display.name = pv->name ? pv->name : "";
	return jstring(c, o, "service", false, &pv->p.service_name);
}

static int jsublayer(struct jctx *c, struct json_object *o)
{
	static const char *const ok[] = { "name", "key", "display", "flags", "provider",
					  "weight", NULL };
	struct pol_sublayer *sl = pol_add_sublayer(c->p);
	struct json_object *w;
	uint64_t u;

	if (!sl)
		return jfail(c, -WFP_E_NOMEM, "out of memory");
	if (known_members(c, o, ok) || jnamekey(c, o, POL_SUBLAYER, &sl->name, &sl->s.key) ||
	    jdisplay(c, o, &sl->s.display) || jflags(c, o, sublayer_flags, &sl->s.flags) ||
	    jref(c, o, "provider", pol_ref_provider, &sl->s.provider_key))
		return c->failed;
	if (!sl->s.display.name)
		sl->s.display.name = sl->name ? sl->name : "";
	if ((w = member(o, "weight"))) {
		if (juint(c, w, UINT16_MAX, "\"weight\"", &u))
			return c->failed;
		sl->s.weight = (uint16_t)u;
	}
	return 0;
}

static int jcallout(struct jctx *c, struct json_object *o)
{
	static const char *const ok[] = { "name", "key", "display", "flags", "provider",
					  "layer", NULL };
	struct pol_callout *co = pol_add_callout(c->p);

	if (!co)
		return jfail(c, -WFP_E_NOMEM, "out of memory");
	if (known_members(c, o, ok) || jnamekey(c, o, POL_CALLOUT, &co->name, &co->c.key) ||
	    jdisplay(c, o, &co->c.display) || jflags(c, o, callout_flags, &co->c.flags) ||
	    jref(c, o, "provider", pol_ref_provider, &co->c.provider_key))
		return c->failed;
	if (!co->c.display.name)
		co->c.display.name = co->name ? co->name : "";
	return jlayer(c, o, &co->c.applicable_layer);
}

static int jweight(struct jctx *c, struct json_object *w, struct wfp_value *out)
{
	struct json_object *r;
	uint64_t u;

	out->type = WFP_EMPTY;
	if (!w || (json_object_is_type(w, json_type_string) &&
		   !strcmp(json_object_get_string(w), "auto")))
		return 0;
	if (json_object_is_type(w, json_type_object) && (r = member(w, "range")) &&
	    json_object_object_length(w) == 1) {
		if (juint(c, r, 15, "a weight range", &u))
			return c->failed;
		out->type = WFP_UINT8;
		out->u8 = (uint8_t)u;
		return 0;
	}
	if (!json_object_is_type(w, json_type_int))
		return jfail(c, -WFP_E_PARSE, "\"weight\" is \"auto\", a number or {\"range\": N}");
	if (juint(c, w, UINT64_MAX, "\"weight\"", &u))
		return c->failed;
	out->type = WFP_UINT64;
	out->u64 = u;
	return 0;
}

static int jaction(struct jctx *c, struct json_object *o, struct wfp_action *a)
{
	static const char *const ok[] = { "type", "callout", "filterType", NULL };
	static const struct {
		const char *name;
		uint32_t type;
	} types[] = {
		{ "permit", WFP_ACTION_PERMIT }, { "block", WFP_ACTION_BLOCK },
		{ "callout-terminating", WFP_ACTION_CALLOUT_TERMINATING },
		{ "callout-inspection", WFP_ACTION_CALLOUT_INSPECTION },
		{ "callout-unknown", WFP_ACTION_CALLOUT_UNKNOWN },
	};
	struct json_object *v = member(o, "action");
	const char *t;
	size_t i;

	if (!v || !json_object_is_type(v, json_type_object))
		return jfail(c, -WFP_E_PARSE, "needs an \"action\" object");
	if (known_members(c, v, ok) || jstring(c, v, "type", true, &t))
		return c->failed;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(types[i].name, t))
			break;
	if (i == sizeof(types) / sizeof(types[0]) && wfp_action_by_name(t, &a->type))
		return jfail(c, -WFP_E_INVALID_ACTION_TYPE, "unknown action '%.40s'", t);
	if (i < sizeof(types) / sizeof(types[0]))
		a->type = types[i].type;
	if (a->type & WFP_ACTION_FLAG_CALLOUT) {
		if (!member(v, "callout"))
			return jfail(c, -WFP_E_PARSE, "a callout action needs \"callout\"");
		return jref(c, v, "callout", pol_ref_callout, &a->key);
	}
	return jguid(c, v, "filterType", &a->key);
}

static int jfilter_flags(struct jctx *c, struct json_object *o, uint32_t *flags)
{
	struct jflag t[16];
	size_t n = 0;

	for (uint32_t bit = 1; bit && n < 15; bit <<= 1)
		if (pol_filter_flag_name(bit))
			t[n++] = (struct jflag){ pol_filter_flag_name(bit), bit };
	t[n] = (struct jflag){ NULL, 0 };
	return jflags(c, o, t, flags);
}

/* ---- condition values ---- */

/* One end or a single value: string, number, {"hex"} or null. */
static int jscalar(struct jctx *c, const struct wfp_filter *f, unsigned field,
		   struct json_object *v, bool mask_ok, struct wfp_cond_value *out)
{
	bool str = pol_field_is_string(field, f->layer);
	char msg[160], num[24], *hex = NULL;
	const char *s;
	size_t len;
	int r;

	if (!v) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		snprintf(num, sizeof(num), "%s", json_object_get_string(v));
		s = num;
		len = strlen(num);
		str = false;
	} else if (json_object_is_type(v, json_type_object) && member(v, "hex") &&
		   json_object_object_length(v) == 1 &&
		   json_object_is_type(member(v, "hex"), json_type_string)) {
		len = (size_t)json_object_get_string_len(member(v, "hex")) + 4;
		hex = wfp_malloc(len + 1);
		if (!hex)
			return jfail(c, -WFP_E_NOMEM, "out of memory");
		snprintf(hex, len + 1, "hex:%s", json_object_get_string(member(v, "hex")));
		s = hex;
		str = false;
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	} else {
		return jfail(c, -WFP_E_PARSE, "a value is a string, a number, "
			     "{\"hex\": ...} or null");
	}
	r = pol_value_parse(c->p, field, f->layer, s, len, str, mask_ok, out, msg, sizeof(msg));
	wfp_free(hex);
	return r ? jfail(c, r == -WFP_E_NOMEM ? r : -WFP_E_PARSE, "%s", msg) : 0;
}

static int jrange(struct jctx *c, const struct wfp_filter *f, unsigned field,
		  struct json_object *v, struct wfp_cond_value *out)
{
	static const char *const ok[] = { "low", "high", NULL };
	struct wfp_cond_value lo, hi;

	if (!v || !json_object_is_type(v, json_type_object) || !member(v, "low") ||
	    !member(v, "high"))
		return jfail(c, -WFP_E_PARSE, "a range is {\"low\": ..., \"high\": ...}");
	if (known_members(c, v, ok) || jscalar(c, f, field, member(v, "low"), false, &lo) ||
	    jscalar(c, f, field, member(v, "high"), false, &hi))
		return c->failed;
	if (lo.type == WFP_EMPTY || hi.type == WFP_EMPTY)
		return jfail(c, -WFP_E_PARSE, "a range cannot have an empty end");
	memset(out, 0, sizeof(*out));
	out->type = WFP_RANGE;
	out->range.low = lo.v;
	out->range.high = hi.v;
	return 0;
}

static int jmatch(struct jctx *c, struct json_object *o, int *match)
{
	const char *m;

	if (jstring(c, o, "match", false, &m))
		return c->failed;
	if (!m)
		m = "==";
	*match = pol_match_by_op(m, strlen(m));
	if (*match < 0)
		*match = wfp_match_by_name(m);
	if (*match < 0)
		return jfail(c, -WFP_E_PARSE, "unknown match '%.40s'", m);
	return 0;
}

static int jcond(struct jctx *c, const struct wfp_filter *f, struct json_object *o,
		 struct wfp_filter_cond *fc)
{
	static const char *const ok[] = { "field", "match", "value", NULL };
	const char *fname;
	int field, match = 0, r;

	if (!json_object_is_type(o, json_type_object))
		return jfail(c, -WFP_E_PARSE, "a condition is an object");
	if (known_members(c, o, ok) || jstring(c, o, "field", true, &fname) ||
	    jmatch(c, o, &match))
		return c->failed;
	field = wfp_field_by_name(fname);
	if (field < 0)
		return jfail(c, -WFP_E_CONDITION_NOT_FOUND, "unknown field '%.60s'", fname);
	if (wfp_layer_field_index(f->layer, (unsigned)field) < 0)
		return jfail(c, -WFP_E_CONDITION_NOT_FOUND, "field %s does not exist at layer %s",
			     wfp_field_name((unsigned)field), wfp_layer_name(f->layer));
	if (!json_object_object_get_ex(o, "value", NULL))
		return jfail(c, -WFP_E_PARSE, "missing \"value\" (null for EMPTY)");
	fc->field = (uint16_t)field;
	fc->match = (uint16_t)match;
	if (match == WFP_MATCH_RANGE)
		r = jrange(c, f, (unsigned)field, member(o, "value"), &fc->value);
	else
		r = jscalar(c, f, (unsigned)field, member(o, "value"),
			    match == WFP_MATCH_EQUAL || match == WFP_MATCH_NOT_EQUAL, &fc->value);
	if (r)
		return r;
	r = wfp_cond_check(f->layer, fc);
	return r ? jfail(c, r, "%s %s: %s", wfp_field_name(fc->field),
			 pol_match_op(fc->match), wfp_strerror(r)) : 0;
}

/* Conditions are stored grouped by field (first appearance), the order
 * the engine ORs them in (spec §5.4). */
static int jconds(struct jctx *c, struct json_object *o, struct wfp_filter *f)
{
	struct json_object *a = member(o, "conditions");
	struct wfp_filter_cond *fc, *sorted;
	size_t n, base = strlen(c->path), k = 0;

	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return jfail(c, -WFP_E_PARSE, "\"conditions\" must be an array");
	n = json_object_array_length(a);
	if (n > POL_MAX_COND)
		return jfail(c, -WFP_E_LIMIT, "more than %d conditions", POL_MAX_COND);
	if (!n)
		return 0;
	fc = pol_alloc(c->p, n * sizeof(*fc));
	sorted = pol_alloc(c->p, n * sizeof(*fc));
	if (!fc || !sorted)
		return jfail(c, -WFP_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		snprintf(c->path + base, sizeof(c->path) - base, ".conditions[%zu]", i);
		if (jcond(c, f, json_object_array_get_idx(a, i), &fc[i]))
			return c->failed;
	}
	c->path[base] = 0;
	for (size_t i = 0; i < n; i++) {
		bool first = true;

		for (size_t j = 0; j < i && first; j++)
			first = fc[j].field != fc[i].field;
		for (size_t j = i; first && j < n; j++)
			if (fc[j].field == fc[i].field)
				sorted[k++] = fc[j];
	}
	f->cond = sorted;
	f->ncond = (uint32_t)n;
	return 0;
}

static int jfilter(struct jctx *c, struct json_object *o)
{
	static const char *const ok[] = { "key", "display", "layer", "sublayer", "provider",
					  "weight", "action", "flags", "context",
					  "conditions", "filterId", "effectiveWeight", NULL };
	struct pol_filter *pf = pol_add_filter(c->p);
	struct wfp_filter *f;
	struct json_object *ctx;
	uint64_t u;

	if (!pf)
		return jfail(c, -WFP_E_NOMEM, "out of memory");
	f = &pf->f;
	if (known_members(c, o, ok) || jguid(c, o, "key", &f->key) ||
	    jdisplay(c, o, &f->display) || jlayer(c, o, &f->layer) ||
	    jref(c, o, "sublayer", pol_ref_sublayer, &f->sublayer_key) ||
	    jref(c, o, "provider", pol_ref_provider, &f->provider_key) ||
	    jweight(c, member(o, "weight"), &f->weight) || jaction(c, o, &f->action) ||
	    jfilter_flags(c, o, &f->flags))
		return c->failed;
	if (!f->display.name)
		f->display.name = "";
	if ((ctx = member(o, "context"))) {
		if (juint(c, ctx, UINT64_MAX, "\"context\"", &u))
			return c->failed;
		f->raw_context = u;
	}
	return jconds(c, o, f);
}

/* Line and column of a byte offset, for syntax errors. */
static void locate(const char *text, size_t off, unsigned *line, unsigned *col,
		   const char **bol)
{
	*line = 1;
	*bol = text;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n') {
			(*line)++;
			*bol = text + i + 1;
		}
	*col = (unsigned)(text + off - *bol) + 1;
}

static int syntax_error(struct jctx *c, const char *text, size_t len,
			struct json_tokener *tok, enum json_tokener_error je)
{
	size_t off = json_tokener_get_parse_end(tok);
	const char *bol, *eol;
	unsigned line, col;

	if (off > len)
		off = len;
	locate(text, off ? off - 1 : 0, &line, &col, &bol);
	eol = memchr(bol, '\n', len - (size_t)(bol - text));
	return pol_error(c->err, -WFP_E_PARSE, c->p->file, line, col, bol,
			 (size_t)((eol ? eol : text + len) - bol), "JSON: %s",
			 json_tokener_error_desc(je));
}

static bool blank(const char *s, size_t len, size_t from)
{
	for (size_t i = from; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int pol_parse_json(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err)
{
	static const char *const ok[] = { "format", "version", "providers", "sublayers",
					  "callouts", "filters", NULL };
	struct jctx c = { .p = p, .err = err };
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *root;
	enum json_tokener_error je;

	if (!tok)
		return jfail(&c, -WFP_E_NOMEM, "out of memory");
	/* strict: no trailing commas, no single quotes, no garbage */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (len > INT32_MAX)
		len = INT32_MAX;
	root = json_tokener_parse_ex(tok, text, (int)len);
	je = json_tokener_get_error(tok);
	if (!root || je != json_tokener_success || !blank(text, len,
							   json_tokener_get_parse_end(tok))) {
		/* trailing bytes after the document are an error too */
		if (root && je == json_tokener_success)
			je = json_tokener_error_parse_unexpected;
		if (je == json_tokener_continue)
			je = json_tokener_error_parse_eof;
		syntax_error(&c, text, len, tok, je);
		json_object_put(root);
		json_tokener_free(tok);
		return -WFP_E_PARSE;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object))
		jfail(&c, -WFP_E_PARSE, "a JSON policy is an object");
	else if (!known_members(&c, root, ok) && !jeach(&c, root, "providers", jprovider) &&
		 !jeach(&c, root, "sublayers", jsublayer) &&
		 !jeach(&c, root, "callouts", jcallout))
		jeach(&c, root, "filters", jfilter);
	json_object_put(root);
	return c.failed;
}

/* ---- writer ---- */

/* json-c allocates with malloc; a NULL from a constructor is carried up
 * as -WFP_E_NOMEM by wadd. */
static int wadd(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v)
		return -WFP_E_NOMEM;
	if (json_object_object_add(o, k, v)) {
		json_object_put(v);
		return -WFP_E_NOMEM;
	}
	return 0;
}

static int wpush(struct json_object *a, struct json_object *v)
{
	if (!v)
		return -WFP_E_NOMEM;
	if (json_object_array_add(a, v)) {
		json_object_put(v);
		return -WFP_E_NOMEM;
	}
	return 0;
}

static struct json_object *wguid(const struct wfp_guid *g)
{
	char b[37], s[40];

	snprintf(s, sizeof(s), "{%s}", wfp_guid_format(g, b));
	return json_object_new_string(s);
}

static int wdisplay(struct json_object *o, const struct wfp_display *d)
{
	struct json_object *v = json_object_new_object();
	int r;

	if (!v)
		return -WFP_E_NOMEM;
	r = wadd(v, "name", json_object_new_string(d->name ? d->name : ""));
	if (!r && d->description)
		r = wadd(v, "description", json_object_new_string(d->description));
	if (r) {
		json_object_put(v);
		return r;
	}
	return wadd(o, "display", v);
}

static int wflags(struct json_object *o, uint32_t flags, const struct jflag *t)
{
	struct json_object *a;
	uint32_t rest = flags;
	int r = 0;

	if (!flags)
		return 0;
	a = json_object_new_array();
	if (!a)
		return -WFP_E_NOMEM;
	for (; t->name && !r; t++)
		if (flags & t->bit) {
			r = wpush(a, json_object_new_string(t->name));
			rest &= ~t->bit;
		}
	if (!r && rest)
		r = wpush(a, json_object_new_int64(rest));
	if (r) {
		json_object_put(a);
		return r;
	}
	return wadd(o, "flags", a);
}

/* A reference: declared name, Windows name, or GUID. */
static struct json_object *wref(const struct wfp_policy *p, enum pol_kind k,
				const struct wfp_guid *g)
{
	const struct pol_known *kn;
	char b[96];

	if (k == POL_PROVIDER && pol_provider_by_key(p, g))
		return json_object_new_string(pol_provider_by_key(p, g)->name);
	if (k == POL_SUBLAYER && pol_sublayer_by_key(p, g))
		return json_object_new_string(pol_sublayer_by_key(p, g)->name);
	if (k == POL_CALLOUT && pol_callout_by_key(p, g))
		return json_object_new_string(pol_callout_by_key(p, g)->name);
	kn = k == POL_PROVIDER ? pol_known_provider_by_key(g) :
	     k == POL_CALLOUT ? pol_known_callout_by_key(g) : NULL;
	if (kn) {
		snprintf(b, sizeof(b), "FWPM_%s_%s", k == POL_PROVIDER ? "PROVIDER" : "CALLOUT",
			 kn->name);
		return json_object_new_string(b);
	}
	for (unsigned i = 0; k == POL_SUBLAYER && i < wfp_builtin_sublayer_count(); i++)
		if (wfp_guid_eq(&wfp_builtin_sublayer(i)->key, g)) {
			snprintf(b, sizeof(b), "FWPM_SUBLAYER_%s", wfp_builtin_sublayer(i)->name);
			return json_object_new_string(b);
		}
	return wguid(g);
}

static int wrefm(struct json_object *o, const char *m, const struct wfp_policy *p,
		 enum pol_kind k, const struct wfp_guid *g)
{
	return wfp_guid_is_zero(g) ? 0 : wadd(o, m, wref(p, k, g));
}

static bool is_blob(unsigned t)
{
	return t == WFP_BYTE_BLOB || t == WFP_UNICODE_STRING || t == WFP_SID ||
	       t == WFP_SECURITY_DESCRIPTOR;
}

/* One value: raw string for text blobs, {"hex"} for others, else the
 * text language's spelling. */
static struct json_object *wscalar(unsigned field, const struct wfp_cond_value *v)
{
	const struct wfp_blob *b = &v->v.blob;
	struct json_object *o, *r = NULL;
	char buf[256], *hex;

	if (is_blob(v->type) && pol_is_text(b->data, b->size))
		return json_object_new_string_len((const char *)b->data, (int)b->size);
	if (is_blob(v->type)) {
		hex = wfp_malloc(2 * (size_t)b->size + 1);
		o = json_object_new_object();
		if (hex && o) {
			for (uint32_t i = 0; i < b->size; i++)
				snprintf(hex + 2 * i, 3, "%02x", b->data[i]);
			hex[2 * (size_t)b->size] = 0;
			if (!wadd(o, "hex", json_object_new_string(hex)))
				r = o, o = NULL;
		}
		json_object_put(o);
		wfp_free(hex);
		return r;
	}
	pol_value_format(field, v, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static struct json_object *wvalue(unsigned field, const struct wfp_cond_value *v)
{
	struct wfp_cond_value lo = { 0 }, hi = { 0 };
	struct json_object *o;

	if (v->type != WFP_RANGE)
		return wscalar(field, v);
	lo.type = v->range.low.type;
	lo.v = v->range.low;
	hi.type = v->range.high.type;
	hi.v = v->range.high;
	o = json_object_new_object();
	if (o && (wadd(o, "low", wscalar(field, &lo)) || wadd(o, "high", wscalar(field, &hi)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *wcond(const struct wfp_filter_cond *c)
{
	struct json_object *o = json_object_new_object();

	if (o && (wadd(o, "field", json_object_new_string(wfp_field_name(c->field))) ||
		  wadd(o, "match", json_object_new_string(pol_match_op(c->match))) ||
		  /* json-c spells JSON null as a NULL object */
		  (c->value.type == WFP_EMPTY ? json_object_object_add(o, "value", NULL) :
		   wadd(o, "value", wvalue(c->field, &c->value))))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int wweight(struct json_object *o, const struct wfp_value *w)
{
	struct json_object *r;

	if (w->type == WFP_UINT64)
		return wadd(o, "weight", json_object_new_uint64(w->u64));
	if (w->type != WFP_UINT8)
		return wadd(o, "weight", json_object_new_string("auto"));
	r = json_object_new_object();
	if (!r || wadd(r, "range", json_object_new_int(w->u8))) {
		json_object_put(r);
		return -WFP_E_NOMEM;
	}
	return wadd(o, "weight", r);
}

static int waction(struct json_object *o, const struct wfp_policy *p,
		   const struct wfp_action *a)
{
	struct json_object *v = json_object_new_object();
	const char *t;
	int r;

	switch (a->type) {
	case WFP_ACTION_PERMIT: t = "permit"; break;
	case WFP_ACTION_BLOCK: t = "block"; break;
	case WFP_ACTION_CALLOUT_INSPECTION: t = "callout-inspection"; break;
	case WFP_ACTION_CALLOUT_UNKNOWN: t = "callout-unknown"; break;
	case WFP_ACTION_CALLOUT_TERMINATING: t = "callout-terminating"; break;
	default: t = wfp_action_name(a->type);
	}
	if (!v)
		return -WFP_E_NOMEM;
	r = wadd(v, "type", json_object_new_string(t));
	if (!r && (a->type & WFP_ACTION_FLAG_CALLOUT))
		r = wadd(v, "callout", wref(p, POL_CALLOUT, &a->key));
	else if (!r && !wfp_guid_is_zero(&a->key))
		r = wadd(v, "filterType", wguid(&a->key));
	if (r) {
		json_object_put(v);
		return r;
	}
	return wadd(o, "action", v);
}

static int wconds(struct json_object *o, const struct wfp_filter *f)
{
	struct json_object *a;
	int r = 0;

	if (!f->ncond)
		return 0;
	a = json_object_new_array();
	if (!a)
		return -WFP_E_NOMEM;
	for (uint32_t i = 0; i < f->ncond && !r; i++)
		r = wpush(a, wcond(&f->cond[i]));
	if (r) {
		json_object_put(a);
		return r;
	}
	return wadd(o, "conditions", a);
}

static int wfilter_flags(struct json_object *o, uint32_t flags)
{
	struct jflag t[16];
	size_t n = 0;

	for (uint32_t bit = 1; bit && n < 15; bit <<= 1)
		if (pol_filter_flag_name(bit))
			t[n++] = (struct jflag){ pol_filter_flag_name(bit), bit };
	t[n] = (struct jflag){ NULL, 0 };
	return wflags(o, flags, t);
}

static int wfilter(struct json_object *o, const struct wfp_policy *p, const void *obj)
{
	const struct pol_filter *pf = obj;
	const struct wfp_filter *f = &pf->f;
	int r = 0;

	if (!wfp_guid_is_zero(&f->key))
		r = wadd(o, "key", wguid(&f->key));
	if (!r)
		r = wdisplay(o, &f->display);
	if (!r)
		r = wadd(o, "layer", json_object_new_string(wfp_layer_name(f->layer)));
	if (!r)
		r = wrefm(o, "sublayer", p, POL_SUBLAYER, &f->sublayer_key);
	if (!r)
		r = wrefm(o, "provider", p, POL_PROVIDER, &f->provider_key);
	if (!r)
		r = wweight(o, &f->weight);
	if (!r)
		r = waction(o, p, &f->action);
	if (!r)
		r = wfilter_flags(o, f->flags);
	if (!r && f->raw_context)
		r = wadd(o, "context", json_object_new_uint64(f->raw_context));
	if (!r && p->from_engine)
		r = wadd(o, "filterId", json_object_new_uint64(f->filter_id)) ||
		    wadd(o, "effectiveWeight", json_object_new_uint64(f->effective_weight)) ?
			    -WFP_E_NOMEM : 0;
	return r ? r : wconds(o, f);
}

/* What providers, sublayers and callouts open with: name, key, display. */
static int whead(struct json_object *o, const char *name, const struct wfp_guid *key,
		 const struct wfp_display *d)
{
	int r = wadd(o, "name", json_object_new_string(name));

	if (!r)
		r = wadd(o, "key", wguid(key));
	if (!r)
		r = wdisplay(o, d);
	return r;
}

static int wprovider(struct json_object *o, const struct wfp_policy *p, const void *obj)
{
	const struct pol_provider *pv = obj;
	int r = whead(o, pv->name, &pv->p.key, &pv->p.display);

	if (!r)
		r = wflags(o, pv->p.flags, provider_flags);
	if (!r && pv->p.service_name)
		r = wadd(o, "service", json_object_new_string(pv->p.service_name));
	return r;
}

static int wsublayer(struct json_object *o, const struct wfp_policy *p, const void *obj)
{
	const struct pol_sublayer *sl = obj;
	int r = whead(o, sl->name, &sl->s.key, &sl->s.display);

	if (!r)
		r = wrefm(o, "provider", p, POL_PROVIDER, &sl->s.provider_key);
	if (!r)
		r = wadd(o, "weight", json_object_new_int(sl->s.weight));
	if (!r)
		r = wflags(o, sl->s.flags, sublayer_flags);
	return r;
}

static int wcallout(struct json_object *o, const struct wfp_policy *p, const void *obj)
{
	const struct pol_callout *c = obj;
	int r = whead(o, c->name, &c->c.key, &c->c.display);

	if (!r)
		r = wrefm(o, "provider", p, POL_PROVIDER, &c->c.provider_key);
	if (!r)
		r = wadd(o, "layer", json_object_new_string(wfp_layer_name(c->c.applicable_layer)));
	if (!r)
		r = wflags(o, c->c.flags, callout_flags);
	return r;
}

/* Build one array member from n objects of size esz with fn. */
static int warray(struct json_object *root, const char *k, const struct wfp_policy *p,
		  const void *objs, size_t n, size_t esz,
		  int (*fn)(struct json_object *, const struct wfp_policy *, const void *))
{
	struct json_object *a = json_object_new_array_ext((int)(n < INT32_MAX ? n : 0));
	int r = 0;

	if (!a)
		return -WFP_E_NOMEM;
	for (size_t i = 0; i < n && !r; i++) {
		struct json_object *o = json_object_new_object();

		r = o ? fn(o, p, (const char *)objs + i * esz) : -WFP_E_NOMEM;
		r = r ? (json_object_put(o), r) : wpush(a, o);
	}
	if (r) {
		json_object_put(a);
		return r;
	}
	return wadd(root, k, a);
}

int pol_write_json(const struct wfp_policy *p, FILE *out)
{
	struct json_object *root = json_object_new_object();
	int r;

	if (!root)
		return -WFP_E_NOMEM;
	r = wadd(root, "format", json_object_new_string("openwfp-policy"));
	if (!r)
		r = wadd(root, "version", json_object_new_int(1));
	if (!r)
		r = warray(root, "providers", p, p->prov, p->nprov, sizeof(*p->prov),
			   wprovider);
	if (!r)
		r = warray(root, "sublayers", p, p->subl, p->nsubl, sizeof(*p->subl),
			   wsublayer);
	if (!r)
		r = warray(root, "callouts", p, p->call, p->ncall, sizeof(*p->call),
			   wcallout);
	if (!r)
		r = warray(root, "filters", p, p->filt, p->nfilt, sizeof(*p->filt),
			   wfilter);
	if (!r) {
		const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

		if (!s || fputs(s, out) < 0 || fputc('\n', out) < 0)
			r = s ? -WFP_E_IO : -WFP_E_NOMEM;
	}
	json_object_put(root);
	return r;
}
