/* SPDX-License-Identifier: MIT */
/*
 * test_policy_json.c - JSON policies (docs/policy-json.md): what the
 * schema's members parse to, errors with their path, exact round trips
 * text -> JSON -> text, and robustness on mutated input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>

#include "policy.h"

void wfp_fault_inject(unsigned long n); /* alloc.c */

static struct wfp_policy *parse(const char *text, int fmt, struct wfp_policy_error *err)
{
	struct wfp_policy *p = NULL;

	memset(err, 0, sizeof(*err));
	if (wfp_policy_parse(text, strlen(text), "t.json", fmt, &p, err))
		return NULL;
	return p;
}

static char *write(const struct wfp_policy *p, int fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(wfp_policy_write(p, fmt, f), 0);
	fclose(f);
	return buf;
}

static const char fault_doc[] =
	"{ \"providers\": [ { \"name\": \"p\", \"display\": { \"name\": \"P\" } } ],"
	"  \"sublayers\": [ { \"name\": \"s\", \"provider\": \"p\" } ],"
	"  \"callouts\": [ { \"name\": \"c\", \"layer\": \"STREAM_V4\" } ],"
	"  \"filters\": [ { \"layer\": \"STREAM_V4\", \"sublayer\": \"s\","
	"    \"action\": { \"type\": \"callout-inspection\", \"callout\": \"c\" },"
	"    \"conditions\": [ { \"field\": \"IP_REMOTE_ADDRESS\", \"value\": \"10.0.0.0/8\" },"
	"      { \"field\": \"IP_LOCAL_PORT\", \"match\": \"in\","
	"        \"value\": { \"low\": 1, \"high\": 2 } } ] } ] }";

static void test_members(void **state)
{
	static const char doc[] =
		"{ \"providers\": [ { \"name\": \"acme\", \"flags\": [\"persistent\"] } ],\n"
		"  \"sublayers\": [ { \"name\": \"s\", \"provider\": \"acme\", \"weight\": 9,"
		"                     \"flags\": [\"persistent\"] } ],\n"
		"  \"filters\": [ { \"display\": { \"name\": \"f\", \"description\": \"d\" },\n"
		"     \"layer\": \"ALE_AUTH_CONNECT_V4\", \"sublayer\": \"s\", \"provider\": \"acme\",\n"
		"     \"weight\": { \"range\": 2 }, \"action\": { \"type\": \"permit\" },\n"
		"     \"flags\": [ \"clear-action-right\" ], \"context\": 18446744073709551615,\n"
		"     \"conditions\": [\n"
		"       { \"field\": \"IP_REMOTE_PORT\", \"match\": \"in\","
		"         \"value\": { \"low\": 1, \"high\": \"9\" } },\n"
		"       { \"field\": \"IP_PROTOCOL\", \"value\": \"udp\" },\n"
		"       { \"field\": \"IP_REMOTE_PORT\", \"match\": \"FWP_MATCH_EQUAL\", \"value\": 53 },\n"
		"       { \"field\": \"ALE_APP_ID\", \"value\": { \"hex\": \"00ff\" } },\n"
		"       { \"field\": \"IP_LOCAL_ADDRESS\", \"value\": null } ] } ] }\n";
	struct wfp_policy_error err;
	struct wfp_policy *p = parse(doc, WFP_POLICY_FMT_AUTO, &err);
	const struct wfp_filter *f;

	if (!p)
		fail_msg("%s", err.msg);
	assert_int_equal(p->prov[0].p.flags, WFP_PROVIDER_F_PERSISTENT);
	assert_int_equal(p->subl[0].s.weight, 9);
	f = &p->filt[0].f;
	assert_string_equal(f->display.description, "d");
	assert_int_equal(f->weight.type, WFP_UINT8);
	assert_true(f->raw_context == UINT64_MAX);
	assert_int_equal(f->flags, WFP_FILTER_F_CLEAR_ACTION_RIGHT);
	assert_int_equal(f->ncond, 5);
	/* grouped by field in order of first appearance (spec §5.4) */
	assert_int_equal(f->cond[0].field, WFP_FIELD_IP_REMOTE_PORT);
	assert_int_equal(f->cond[1].field, WFP_FIELD_IP_REMOTE_PORT);
	assert_int_equal(f->cond[1].value.v.u16, 53);
	assert_int_equal(f->cond[2].value.v.u8, 17);
	assert_int_equal(f->cond[3].value.v.blob.size, 2);
	assert_int_equal(f->cond[4].value.type, WFP_EMPTY);
	wfp_policy_free(p);
}

static void test_errors(void **state)
{
	static const struct {
		const char *doc;
		const char *msg;
		unsigned line;
	} t[] = {
		{ "{ \"filters\": [ { \"layer\": \"X\", \"action\": {\"type\": \"block\"} } ] }",
		  "filters[0]: unknown layer 'X'", 0 },
		{ "{ \"filters\": [ {} ] }", "filters[0]: missing \"layer\"", 0 },
		{ "{ \"providers\": [ { } ] }", "providers[0]: needs a \"name\" or a \"key\"", 0 },
		{ "{\n\"filters\": [ , ] }", "JSON: unexpected character", 2 },
		{ "{ \"x\": 1 }", "unknown member \"x\"", 0 },
		{ "{ \"filters\": [ { \"layer\": \"ALE_AUTH_CONNECT_V4\", \"action\": "
		  "{\"type\": \"block\"}, \"weight\": -1 } ] }",
		  "filters[0]: \"weight\" must not be negative", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct wfp_policy_error err;

		assert_null(parse(t[i].doc, WFP_POLICY_FMT_JSON, &err));
		assert_string_equal(err.msg, t[i].msg);
		assert_int_equal(err.line, t[i].line);
	}
}

static void test_round_trip(void **state)
{
	static const char text[] =
		"provider a \"A\" description \"x\" persistent service \"svc\"\n"
		"sublayer s weight 0x0005 provider a\n"
		"callout c layer ALE_AUTH_CONNECT_V4 provider a\n"
		"filter \"f\" key {01234567-89ab-cdef-0123-456789abcdef} layer ALE_AUTH_CONNECT_V4 "
		"sublayer s weight 18446744073709551615 callout unknown c "
		"permit-if-callout-unregistered context 3 where\n"
		"\tIP_REMOTE_ADDRESS in {10.0.0.0/8, 1.2.3.4-1.2.3.9} and\n"
		"\tALE_APP_ID == \"\\xff\" and\n"
		"\tALE_USER_ID == \"O:LSD:(A;;CC;;;WD)\" and\n"
		"\tFLAGS none-set IS_LOOPBACK|0x80000000\n";
	struct wfp_policy_error err;
	struct wfp_policy *p = parse(text, WFP_POLICY_FMT_TEXT, &err), *q;
	char *t1, *json, *t2;

	assert_non_null(p);
	t1 = write(p, WFP_POLICY_FMT_TEXT);
	json = write(p, WFP_POLICY_FMT_JSON);
	q = parse(json, WFP_POLICY_FMT_AUTO, &err);
	if (!q)
		fail_msg("%s\n%s", err.msg, json);
	t2 = write(q, WFP_POLICY_FMT_TEXT);
	assert_string_equal(t1, t2);
	assert_non_null(strstr(json, "\"hex\": \"ff\""));
	free(t1);
	free(t2);
	free(json);
	wfp_policy_free(p);
	wfp_policy_free(q);
}

/* Mutated JSON never crashes and either parses or explains itself. */
static void test_garbage(void **state)
{
	static const char seed[] =
		"{ \"providers\": [ { \"name\": \"p\" } ], \"filters\": [ { \"layer\": "
		"\"ALE_AUTH_CONNECT_V6\", \"provider\": \"p\", \"action\": { \"type\": \"block\" },"
		" \"conditions\": [ { \"field\": \"IP_REMOTE_ADDRESS\", \"match\": \"in\","
		" \"value\": { \"low\": \"::1\", \"high\": \"::9\" } } ] } ] }";
	char buf[sizeof(seed)];
	unsigned x = 99;

	for (int i = 0; i < 3000; i++) {
		struct wfp_policy_error err;
		struct wfp_policy *p = NULL;
		size_t n = sizeof(seed) - 1;

		memcpy(buf, seed, sizeof(seed));
		for (int k = 0; k < 1 + i % 3; k++) {
			x = x * 1103515245 + 12345;
			buf[(x >> 8) % n] = (char)(x >> 20);
		}
		if (wfp_policy_parse(buf, n, "g", WFP_POLICY_FMT_JSON, &p, &err) == 0)
			wfp_policy_free(p);
		else
			assert_true(err.msg[0] != 0);
	}
}

/* Fail the nth of libwfp's allocations for every n: a clean error. */
static void test_alloc_failures(void **state)
{
	int r = -1;

	wfp_set_log(NULL, NULL);
	for (unsigned long n = 1; r && n < 20000; n++) {
		struct wfp_policy_error err;
		struct wfp_policy *p = NULL;

		wfp_fault_inject(n);
		r = wfp_policy_parse(fault_doc, strlen(fault_doc), "f", WFP_POLICY_FMT_JSON, &p, &err);
		wfp_fault_inject(0);
		if (r) {
			assert_null(p);
			assert_int_equal(err.code, r);
		}
		wfp_policy_free(p);
	}
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
