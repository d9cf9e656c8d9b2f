/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the intermediate form every policy reader produces and every
 * writer consumes (docs/policy.md).  Private to libwfp.
 *
 * A reader (text, JSON, netsh XML) turns its input into a struct
 * wfp_policy: plain lists of the management objects, exactly the structs
 * the C API takes, with every reference already resolved to a GUID.  Only
 * then does wfp_policy_apply() make the management calls, in one
 * transaction.  Keeping the two steps apart is what lets "wfpctl check"
 * print a listing without an engine, and what guarantees that a file with
 * an error changes nothing: nothing is applied before everything parsed.
 *
 * Ownership: every string, blob and condition array hangs off the policy's
 * arena and dies with wfp_policy_free().
 */
#ifndef WFP_POLICY_PRIV_H
#define WFP_POLICY_PRIV_H

#include <stdbool.h>
#include <stdio.h>

#include <wfp/wfp.h>

/* Limits that keep every reader bounded on hostile input. */
enum pol_limits {
	POL_MAX_INPUT = 256 << 20,     /* bytes of one policy */
	POL_MAX_TOKEN = 8192,          /* one word or string */
	POL_MAX_NAME = 128,            /* a symbolic object name */
	POL_MAX_OBJECTS = 4 << 20,     /* objects of each kind */
	POL_MAX_COND = WFP_MAX_CONDITIONS
};

/* Where an object came from, for errors found after parsing. */
struct pol_loc {
	unsigned line;
	unsigned col;
	const char *text; /* the source line (text policies), or NULL */
};

/* Each object carries its symbolic name (what text policies use to refer
 * to it; NULL if it has none yet) and its source location. */
struct pol_provider {
	struct wfp_provider p;
	const char *name;
	struct pol_loc loc;
	bool placeholder; /* made up by an importer for a missing object */
};

struct pol_sublayer {
	struct wfp_sublayer s;
	const char *name;
	struct pol_loc loc;
	bool placeholder; /* made up by an importer for a missing object */
};

struct pol_callout {
	struct wfp_callout c;
	const char *name;
	struct pol_loc loc;
	bool placeholder; /* made up by an importer for a missing object */
};

struct pol_filter {
	struct wfp_filter f; /* f.cond points into the arena */
	struct pol_loc loc;
};

struct pol_arena_chunk;

struct wfp_policy {
	struct pol_arena_chunk *arena;
	struct pol_provider *prov;
	size_t nprov, cprov;
	struct pol_sublayer *subl;
	size_t nsubl, csubl;
	struct pol_callout *call;
	size_t ncall, ccall;
	struct pol_filter *filt;
	size_t nfilt, cfilt;
	char file[256];
	/* snapshot only: filter ids and effective weights are meaningful */
	bool from_engine;
};

/* Object kinds, for derived keys and messages. */
enum pol_kind {
	POL_PROVIDER,
	POL_SUBLAYER,
	POL_CALLOUT,
	POL_FILTER
};

struct wfp_policy *pol_new(const char *file);
void *pol_alloc(struct wfp_policy *p, size_t n);            /* zeroed */
char *pol_strndup(struct wfp_policy *p, const char *s, size_t n);
char *pol_strdup(struct wfp_policy *p, const char *s);      /* NULL -> NULL */
void *pol_memdup(struct wfp_policy *p, const void *d, size_t n);

/* Append a zeroed object; NULL on allocation failure or limit. */
struct pol_provider *pol_add_provider(struct wfp_policy *p);
struct pol_sublayer *pol_add_sublayer(struct wfp_policy *p);
struct pol_callout *pol_add_callout(struct wfp_policy *p);
struct pol_filter *pol_add_filter(struct wfp_policy *p);

/* Lookup by symbolic name (case-sensitive) or key; NULL if absent. */
struct pol_provider *pol_provider_by_name(const struct wfp_policy *p, const char *n);
struct pol_sublayer *pol_sublayer_by_name(const struct wfp_policy *p, const char *n);
struct pol_callout *pol_callout_by_name(const struct wfp_policy *p, const char *n);
struct pol_provider *pol_provider_by_key(const struct wfp_policy *p, const struct wfp_guid *k);
struct pol_sublayer *pol_sublayer_by_key(const struct wfp_policy *p, const struct wfp_guid *k);
struct pol_callout *pol_callout_by_key(const struct wfp_policy *p, const struct wfp_guid *k);

/* The key an object named `name` gets when its source gives none: a
 * stable hash of kind and name, so that loading the same file twice
 * names the same objects (docs/policy.md, "Keys"). */
void pol_derive_key(enum pol_kind kind, const char *name, struct wfp_guid *out);

/* Can the text language write this name (docs/policy.md)? */
bool pol_name_valid(const char *n);

/* Give every provider, sublayer and callout without a name one made from
 * its display name (unique, a valid identifier).  0 or -WFP_E_NOMEM. */
int pol_assign_names(struct wfp_policy *p);

/* Resolve a reference: a name declared in p, a Windows name
 * (FWPM_SUBLAYER_UNIVERSAL, FWPM_PROVIDER_MPSSVC_WSH, ...; the prefix is
 * optional), or a GUID with or without braces.  0, or -1 if unknown. */
int pol_ref_provider(const struct wfp_policy *p, const char *s, struct wfp_guid *out);
int pol_ref_sublayer(const struct wfp_policy *p, const char *s, struct wfp_guid *out);
int pol_ref_callout(const struct wfp_policy *p, const char *s, struct wfp_guid *out);

/* Fill err (may be NULL) and return code. */
int pol_error(struct wfp_policy_error *err, int code, const char *file,
	      unsigned line, unsigned col, const char *context, size_t clen,
	      const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* ---- well-known objects that are not in the layer table ---- */
struct pol_known {
	const char *name; /* without the FWPM_<KIND>_ prefix */
	const char *guid;
};
/* Windows' built-in providers and callouts (spec appendix A). */
const struct pol_known *pol_known_provider_by_name(const char *name);
const struct pol_known *pol_known_provider_by_key(const struct wfp_guid *k);
const struct pol_known *pol_known_callout_by_name(const char *name);
const struct pol_known *pol_known_callout_by_key(const struct wfp_guid *k);
/* Built into every engine (the silent-drop callouts, spec §3.8). */
bool pol_callout_is_builtin(const struct wfp_guid *k);

/* ---- values (policy_value.c) ---- */

/* How a field's values are written: besides its data type, some fields
 * have symbolic values (protocol names, flag names, directions). */
enum pol_vkind {
	POL_V_PLAIN,
	POL_V_ADDR,      /* IP address field: dotted quad / IPv6 text */
	POL_V_PROTO,     /* IP protocol numbers: tcp, udp, ... */
	POL_V_CFLAGS,    /* FWP_CONDITION_FLAG_* */
	POL_V_REAUTH,    /* FWP_CONDITION_REAUTHORIZE_REASON_* */
	POL_V_SOCKPROP,  /* FWP_CONDITION_SOCKET_PROPERTY_FLAG_* */
	POL_V_DIRECTION, /* inbound / outbound */
	POL_V_ADDRTYPE   /* NL_ADDRESS_TYPE: unicast, multicast, ... */
};
enum pol_vkind pol_field_vkind(unsigned field);

/*
 * Parse one condition value (not a range) for field at layer.  quoted:
 * the text was a string literal.  mask_ok: "addr/prefix" is allowed
 * (EQUAL/NOT_EQUAL).  Blobs are copied into p's arena.  Returns 0 or a
 * negative wfp_err with a message in msg.
 */
int pol_value_parse(struct wfp_policy *p, unsigned field, unsigned layer,
		    const char *s, size_t len, bool quoted, bool mask_ok,
		    struct wfp_cond_value *out, char *msg, size_t msglen);

/* Are the field's values strings (blob, Unicode string, SDDL)? */
bool pol_field_is_string(unsigned field, unsigned layer);
/* Is d[0..n) valid UTF-8 without NUL bytes (writable as a string)? */
bool pol_is_text(const uint8_t *d, size_t n);

/* Parse "A-B" (or two parts given separately) as a RANGE value. */
int pol_range_parse(struct wfp_policy *p, unsigned field, unsigned layer,
		    const char *lo, size_t lolen, bool loq,
		    const char *hi, size_t hilen, bool hiq,
		    struct wfp_cond_value *out, char *msg, size_t msglen);

/* Format a condition value in the text language's syntax ("80",
 * "10.0.0.0/8", "\"/usr/bin/curl\"", "IS_LOOPBACK|IS_REAUTHORIZE",
 * "1000-2000").  Strings come quoted and escaped.  Returns 0, or -1 if
 * buf was too small (the text is then truncated). */
int pol_value_format(unsigned field, const struct wfp_cond_value *v,
		     char *buf, size_t len);

/* Quote and escape s (len bytes) into buf as a text-language string. */
int pol_quote(const char *s, size_t len, char *buf, size_t buflen);

/* Filter flag, match and action keywords shared by readers and writers. */
const char *pol_filter_flag_name(uint32_t bit);
int pol_filter_flag_by_name(const char *name, size_t len, uint32_t *bit);
const char *pol_match_op(unsigned match);        /* "==", "suffix", ... */
int pol_match_by_op(const char *op, size_t len);  /* or -1 */

/* ---- readers and writers ---- */
int pol_parse_text(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err);
int pol_write_text(const struct wfp_policy *p, FILE *out);
int pol_parse_json(struct wfp_policy *p, const char *text, size_t len,
		   struct wfp_policy_error *err);
int pol_write_json(const struct wfp_policy *p, FILE *out);
int pol_parse_xml(struct wfp_policy *p, const char *text, size_t len,
		  struct wfp_policy_error *err);
int pol_write_xml(const struct wfp_policy *p, FILE *out);

#endif
