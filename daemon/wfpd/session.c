/* SPDX-License-Identifier: MIT */
/*
 * session.c - the object and transaction requests of the management
 * protocol (docs/protocol.md, version 2): txn-begin/commit/abort,
 * filter-add/delete/get/enum, sublayer-add/delete, provider-add/delete,
 * each run in the engine session of the connection that sent it
 * (mgmt.c owns sessions and their lifetime: spec §6.2).
 *
 * Objects arrive as a JSON policy object (docs/policy-json.md) or as one
 * statement of the text language (docs/policy.md); both go through
 * libwfp's policy readers, never a parser of our own.  Errors are
 * negative enum wfp_err, so the client sees WFP's name and HRESULT.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <wfp/wfp.h>
#include <wfp/wfp_policy.h>

#include "mgmt.h"

/* An RFC 4122 version-4 key for a filter that came without one, so that
 * its id can be found again after the policy apply added it. */
static int random_key(struct wfp_guid *g)
{
	if (getrandom(g->b, sizeof(g->b), 0) != (ssize_t)sizeof(g->b))
		return -WFP_E_IO;
	g->b[6] = (uint8_t)((g->b[6] & 0x0f) | 0x40);
	g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
	return 0;
}

static int set_msg(char *msg, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_msg(char *msg, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return rc;
}

static int policy_err(char *msg, size_t len, int rc, const struct wfp_policy_error *pe)
{
	if (pe->line && pe->msg[0])
		snprintf(msg, len, "%u:%u: %s", pe->line, pe->col, pe->msg);
	else
		snprintf(msg, len, "%s", pe->msg[0] ? pe->msg : wfp_strerror(rc));
	return pe->code ? pe->code : rc;
}

/*
 * Turns the request's object (member `kind_one`, a JSON policy object) or
 * `text` (one text statement) into a JSON policy holding exactly one
 * object of kind `kinds` ("filters", "sublayers", "providers"), every
 * reference resolved by the reader.  *out is the JSON tree; its single
 * object is *obj.
 */
static int to_policy(struct json_object *req, const char *kind_one, const char *kinds,
		     struct json_object **out, struct json_object **obj, char *msg, size_t len)
{
	static const char *const all[] = { "providers", "sublayers", "callouts", "filters" };
	struct json_object *v, *root = NULL, *arr;
	struct wfp_policy_error pe;
	struct wfp_policy *p = NULL;
	const char *src;
	char *buf = NULL;
	size_t srclen, blen = 0;
	FILE *f;
	int rc;

	memset(&pe, 0, sizeof(pe));
	if (json_object_object_get_ex(req, kind_one, &v) &&
	    json_object_is_type(v, json_type_object)) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(v));
		json_object_object_add(root, kinds, arr);
		src = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	} else if (json_object_object_get_ex(req, "text", &v) &&
		   json_object_is_type(v, json_type_string)) {
		src = json_object_get_string(v);
	} else {
		return set_msg(msg, len, -WFP_E_INVAL, "missing \"%s\" (object) or \"text\"",
			       kind_one);
	}
	srclen = strlen(src);
	rc = wfp_policy_parse(src, srclen, "request", WFP_POLICY_FMT_AUTO, &p, &pe);
	json_object_put(root);
	if (rc)
		return policy_err(msg, len, rc, &pe);
	/* the JSON writer gives every object its key, derived or not */
	f = open_memstream(&buf, &blen);
	rc = f ? wfp_policy_write(p, WFP_POLICY_FMT_JSON, f) : -WFP_E_NOMEM;
	if (f)
		fclose(f);
	wfp_policy_free(p);
	root = rc ? NULL : json_tokener_parse(buf);
	free(buf);
	if (!root)
		return rc ? rc : -WFP_E_NOMEM;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		size_t n = json_object_object_get_ex(root, all[i], &arr) ?
				   json_object_array_length(arr) : 0;

		if (n != (strcmp(all[i], kinds) ? 0u : 1u)) {
			json_object_put(root);
			return set_msg(msg, len, -WFP_E_INVAL,
				       "expected exactly one object of kind %s", kinds);
		}
	}
	json_object_object_get_ex(root, kinds, &arr);
	*obj = json_object_array_get_idx(arr, 0);
	*out = root;
	return 0;
}

static int apply_json(struct wfp_session *s, struct json_object *root, char *msg, size_t len)
{
	const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	struct wfp_policy_error pe;
	struct wfp_policy *p = NULL;
	int rc;

	memset(&pe, 0, sizeof(pe));
	rc = wfp_policy_parse(txt, strlen(txt), "request", WFP_POLICY_FMT_JSON, &p, &pe);
	if (!rc)
		rc = wfp_policy_apply(s, p, 0, &pe);
	wfp_policy_free(p);
	return rc ? policy_err(msg, len, rc, &pe) : 0;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static int filter_add(struct wfpd *d, struct wfp_session *s, struct json_object *req,
		      struct json_object *resp, char *msg, size_t len)
{
	struct json_object *root, *obj;
	struct wfp_filter *f;
	struct wfp_guid key;
	const char *ks;
	char g[37];
	int rc = to_policy(req, "filter", "filters", &root, &obj, msg, len);

	if (rc)
		return rc;
	ks = jstr(obj, "key");
	if (ks ? wfp_guid_parse(ks, &key) : random_key(&key)) {
		json_object_put(root);
		return set_msg(msg, len, -WFP_E_INVAL, "bad filter key");
	}
	json_object_object_add(obj, "key", json_object_new_string(wfp_guid_format(&key, g)));
	rc = apply_json(s, root, msg, len);
	json_object_put(root);
	if (rc)
		return rc;
	/* the session sees its own transaction's filters */
	rc = wfp_filter_get_by_key(s, &key, &f);
	if (rc)
		return rc;
	json_object_object_add(resp, "id", json_object_new_int64((int64_t)f->filter_id));
	json_object_object_add(resp, "key", json_object_new_string(g));
	json_object_object_add(resp, "filter", mgmt_filter_json(d, f));
	wfp_filter_free(f);
	return 0;
}

static int simple_add(struct wfp_session *s, struct json_object *req, struct json_object *resp,
		      const char *one, const char *kinds, char *msg, size_t len)
{
	struct json_object *root, *obj;
	struct wfp_guid key;
	const char *ks;
	char g[37];
	int rc = to_policy(req, one, kinds, &root, &obj, msg, len);

	if (rc)
		return rc;
	/* the JSON writer always gives the key (derived from the name) */
	ks = jstr(obj, "key");
	if (!ks || wfp_guid_parse(ks, &key)) {
		json_object_put(root);
		return set_msg(msg, len, -WFP_E_INVAL, "%s without a key", one);
	}
	rc = apply_json(s, root, msg, len);
	json_object_put(root);
	if (!rc)
		json_object_object_add(resp, "key", json_object_new_string(wfp_guid_format(&key, g)));
	return rc;
}

/* "key": GUID string, or "id": number (filters).  1: by id. */
static int which(struct json_object *req, bool id_ok, uint64_t *id, struct wfp_guid *key,
		 char *msg, size_t len)
{
	struct json_object *v;
	const char *ks = jstr(req, "key");

	if (ks) {
		if (wfp_guid_parse(ks, key))
			return set_msg(msg, len, -WFP_E_INVAL, "bad key '%s'", ks);
		return 0;
	}
	if (id_ok && json_object_object_get_ex(req, "id", &v) &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_string))) {
		errno = 0;
		*id = (uint64_t)json_object_get_int64(v);
		if (!errno && *id)
			return 1;
	}
	return set_msg(msg, len, -WFP_E_INVAL, "missing \"key\"%s",
		       id_ok ? " or \"id\"" : "");
}

static int filter_get(struct wfpd *d, struct wfp_session *s, struct json_object *req,
		      struct json_object *resp, char *msg, size_t len)
{
	struct wfp_filter *f = NULL;
	struct wfp_guid key;
	uint64_t id = 0;
	int rc = which(req, true, &id, &key, msg, len);

	if (rc < 0)
		return rc;
	rc = rc ? wfp_filter_get_by_id(s, id, &f) : wfp_filter_get_by_key(s, &key, &f);
	if (rc)
		return rc;
	json_object_object_add(resp, "filter", mgmt_filter_json(d, f));
	wfp_filter_free(f);
	return 0;
}

static int filter_delete(struct wfp_session *s, struct json_object *req, char *msg, size_t len)
{
	struct wfp_guid key;
	uint64_t id = 0;
	int rc = which(req, true, &id, &key, msg, len);

	if (rc < 0)
		return rc;
	return rc ? wfp_filter_delete_by_id(s, id) : wfp_filter_delete_by_key(s, &key);
}

static int filter_enum(struct wfpd *d, struct wfp_session *s, struct json_object *req,
		       struct json_object *resp, char *msg, size_t len)
{
	struct wfp_filter_enum_template t = { 0 };
	struct wfp_filter **a = NULL;
	struct json_object *arr;
	const char *v;
	size_t n = 0;
	int rc;

	if ((v = jstr(req, "layer"))) {
		rc = wfp_layer_by_name(v);
		if (rc < 0)
			return set_msg(msg, len, -WFP_E_LAYER_NOT_FOUND, "no layer '%s'", v);
		t.layer = (uint16_t)rc;
		t.flags |= WFP_ENUM_F_LAYER;
	}
	if ((v = jstr(req, "provider"))) {
		if (wfp_guid_parse(v, &t.provider_key))
			return set_msg(msg, len, -WFP_E_INVAL, "bad provider key '%s'", v);
		t.flags |= WFP_ENUM_F_PROVIDER;
	}
	if ((v = jstr(req, "sublayer"))) {
		const struct wfp_builtin_sublayer *b = wfp_builtin_sublayer_by_name(v);

		if (b)
			t.sublayer_key = b->key;
		else if (wfp_guid_parse(v, &t.sublayer_key))
			return set_msg(msg, len, -WFP_E_INVAL, "bad sublayer key '%s'", v);
		t.flags |= WFP_ENUM_F_SUBLAYER;
	}
	rc = wfp_filter_enum(s, &t, &a, &n);
	if (rc)
		return rc;
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, mgmt_filter_json(d, a[i]));
	wfp_filter_array_free(a, n);
	json_object_object_add(resp, "filters", arr);
	return 0;
}

static int key_delete(struct wfp_session *s, struct json_object *req, bool sublayer,
		      char *msg, size_t len)
{
	struct wfp_guid key;
	uint64_t id;
	int rc = which(req, false, &id, &key, msg, len);

	if (rc < 0)
		return rc;
	return sublayer ? wfp_sublayer_delete(s, &key) : wfp_provider_delete(s, &key);
}

static bool is_write(const char *cmd)
{
	return !strcmp(cmd, "filter-add") || !strcmp(cmd, "filter-delete") ||
	       !strcmp(cmd, "sublayer-add") || !strcmp(cmd, "sublayer-delete") ||
	       !strcmp(cmd, "provider-add") || !strcmp(cmd, "provider-delete");
}

bool sess_command(const char *cmd)
{
	return is_write(cmd) || !strcmp(cmd, "filter-get") || !strcmp(cmd, "filter-enum") ||
	       !strcmp(cmd, "txn-begin") || !strcmp(cmd, "txn-commit") ||
	       !strcmp(cmd, "txn-abort");
}

int sess_request(struct wfpd *d, struct wfp_session *s, unsigned *txn_ops, const char *cmd,
		 struct json_object *req, struct json_object *resp, char *msg, size_t len)
{
	struct json_object *v;
	int rc;

	msg[0] = '\0';
	if (is_write(cmd) && wfp_txn_active(s) && *txn_ops >= MGMT_MAX_TXN_OPS)
		return set_msg(msg, len, -WFP_E_LIMIT,
			       "%s: too many requests in one transaction (limit "
			       MGMT_STR(MGMT_MAX_TXN_OPS) ")", cmd);
	if (!strcmp(cmd, "txn-begin")) {
		bool ro = json_object_object_get_ex(req, "read_only", &v) &&
			  json_object_get_boolean(v);

		rc = wfp_txn_begin(s, ro ? WFP_TXN_READ_ONLY : 0);
		if (!rc)
			*txn_ops = 0;
		return rc;
	}
	if (!strcmp(cmd, "txn-commit") || !strcmp(cmd, "txn-abort")) {
		rc = cmd[4] == 'c' ? wfp_txn_commit(s) : wfp_txn_abort(s);
		if (!rc)
			*txn_ops = 0;
		return rc;
	}
	if (is_write(cmd) && wfp_txn_active(s))
		(*txn_ops)++; /* failed writes count too: they cost work */
	if (!strcmp(cmd, "filter-add"))
		return filter_add(d, s, req, resp, msg, len);
	if (!strcmp(cmd, "filter-delete"))
		return filter_delete(s, req, msg, len);
	if (!strcmp(cmd, "filter-get"))
		return filter_get(d, s, req, resp, msg, len);
	if (!strcmp(cmd, "filter-enum"))
		return filter_enum(d, s, req, resp, msg, len);
	if (!strcmp(cmd, "sublayer-add"))
		return simple_add(s, req, resp, "sublayer", "sublayers", msg, len);
	if (!strcmp(cmd, "provider-add"))
		return simple_add(s, req, resp, "provider", "providers", msg, len);
	if (!strcmp(cmd, "sublayer-delete"))
		return key_delete(s, req, true, msg, len);
	if (!strcmp(cmd, "provider-delete"))
		return key_delete(s, req, false, msg, len);
	return set_msg(msg, len, -WFP_E_INVAL, "unknown command %s", cmd);
}
