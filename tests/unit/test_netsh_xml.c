/* SPDX-License-Identifier: MIT */
/*
 * test_netsh_xml.c - netsh wfp XML import/export (spec §7.2): value
 * encodings, app ids (UTF-16LE on Windows, UTF-8 here), placeholders for
 * objects a dump lacks, skipped filters reported through the log, XML ->
 * JSON -> XML exactness, no external entities, robustness.
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

static struct wfp_policy *parse(const char *text, struct wfp_policy_error *err)
{
	struct wfp_policy *p = NULL;

	memset(err, 0, sizeof(*err));
	if (wfp_policy_parse(text, strlen(text), "t.xml", WFP_POLICY_FMT_AUTO, &p, err))
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

static char logged[2048];

static void logfn(enum wfp_log_level lvl, const char *msg, void *ctx)
{
	strncat(logged, msg, sizeof(logged) - strlen(logged) - 2);
	strcat(logged, "\n");
}

#define FILTER(layer, conds, action) \
	"<item><filterKey>{11111111-2222-3333-4444-555555555555}</filterKey>" \
	"<displayData><name>f</name><description/></displayData><flags/>" \
	"<providerKey>{aaaaaaaa-0000-0000-0000-000000000001}</providerKey>" \
	"<layerKey>" layer "</layerKey>" \
	"<subLayerKey>{aaaaaaaa-0000-0000-0000-000000000002}</subLayerKey>" \
	"<weight><type>FWP_UINT8</type><uint8>3</uint8></weight>" conds action \
	"<rawContext>0</rawContext><filterId>5</filterId></item>"
#define COND(field, match, value) \
	"<item><fieldKey>" field "</fieldKey><matchType>" match "</matchType>" \
	"<conditionValue>" value "</conditionValue></item>"

/* "C:\a" in UTF-16LE with the NUL, as Windows stores app ids */
#define APPID "43003a005c0061000000"

static const char doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><wfpdiag><filters numItems=\"2\">"
	FILTER("FWPM_LAYER_ALE_AUTH_CONNECT_V4",
	       "<filterCondition numItems=\"4\">"
	       COND("FWPM_CONDITION_ALE_APP_ID", "FWP_MATCH_EQUAL",
		    "<type>FWP_BYTE_BLOB_TYPE</type><byteBlob><data>" APPID "</data>"
		    "<asString>C:\\a</asString></byteBlob>")
	       COND("FWPM_CONDITION_IP_REMOTE_ADDRESS", "FWP_MATCH_EQUAL",
		    "<type>FWP_V4_ADDR_MASK</type><v4AddrMask><addr>10.0.0.0</addr>"
		    "<mask>255.0.0.0</mask></v4AddrMask>")
	       COND("{c35a604d-d22b-4e1a-91b4-68f674ee674b}", "FWP_MATCH_RANGE",
		    "<type>FWP_RANGE_TYPE</type><rangeValue><valueLow><type>FWP_UINT16</type>"
		    "<uint16>1</uint16></valueLow><valueHigh><type>FWP_UINT16</type>"
		    "<uint16>9</uint16></valueHigh></rangeValue>")
	       COND("FWPM_CONDITION_ALE_PACKAGE_ID", "FWP_MATCH_NOT_EQUAL",
		    "<type>FWP_SID</type><sid>S-1-0-0</sid>")
	       "</filterCondition>",
	       "<action><type>FWP_ACTION_CALLOUT_TERMINATING</type>"
	       "<calloutKey>{aaaaaaaa-0000-0000-0000-000000000003}</calloutKey></action>")
	FILTER("FWPM_LAYER_IKEEXT_V4", "<filterCondition/>",
	       "<action><type>FWP_ACTION_PERMIT</type><filterType/></action>")
	"</filters></wfpdiag>";

static void test_import(void **state)
{
	struct wfp_policy_error err;
	struct wfp_policy *p;
	const struct wfp_filter *f;
	struct wfp_guid g;

	logged[0] = 0;
	wfp_set_log(logfn, NULL);
	p = parse(doc, &err);
	wfp_set_log(NULL, NULL);
	if (!p)
		fail_msg("%s", err.msg);
	/* the IKE filter is skipped and said so */
	assert_int_equal(p->nfilt, 1);
	assert_non_null(strstr(logged, "layer not modelled: FWPM_LAYER_IKEEXT_V4"));
	f = &p->filt[0].f;
	assert_int_equal(f->weight.type, WFP_UINT8);
	assert_int_equal(f->filter_id, 5);
	assert_int_equal(f->cond[0].value.v.blob.size, 4);
	assert_memory_equal(f->cond[0].value.v.blob.data, "C:\\a", 4);
	assert_int_equal(f->cond[1].value.v4.mask, 0xff000000);
	assert_int_equal(f->cond[2].field, WFP_FIELD_IP_REMOTE_PORT);
	assert_int_equal(f->cond[2].value.range.high.u16, 9);
	assert_int_equal(f->cond[3].value.type, WFP_SID);
	/* provider, sublayer and callout were not in the dump: placeholders */
	assert_int_equal(p->nprov, 1);
	assert_int_equal(p->nsubl, 1);
	assert_int_equal(p->ncall, 1);
	wfp_guid_parse("aaaaaaaa-0000-0000-0000-000000000003", &g);
	assert_true(wfp_guid_eq(&p->call[0].c.key, &g));
	assert_int_equal(p->call[0].c.applicable_layer, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	assert_non_null(strstr(logged, "no code on Linux"));
	wfp_policy_free(p);
}

/* Export writes app ids back as Windows does; XML -> JSON -> XML is exact. */
static void test_export_round_trip(void **state)
{
	struct wfp_policy_error err;
	struct wfp_policy *p = parse(doc, &err), *q, *r;
	char *x1, *json, *x2;

	assert_non_null(p);
	x1 = write(p, WFP_POLICY_FMT_XML);
	assert_non_null(strstr(x1, "<data>" APPID "</data>"));
	assert_non_null(strstr(x1, "<fieldKey>FWPM_CONDITION_IP_REMOTE_PORT</fieldKey>"));
	assert_non_null(strstr(x1, "<addr>10.0.0.0</addr>"));
	q = parse(x1, &err);
	assert_non_null(q);
	json = write(q, WFP_POLICY_FMT_JSON);
	r = parse(json, &err);
	assert_non_null(r);
	x2 = write(r, WFP_POLICY_FMT_XML);
	assert_string_equal(x1, x2);
	free(x1);
	free(x2);
	free(json);
	wfp_policy_free(p);
	wfp_policy_free(q);
	wfp_policy_free(r);
}

/* The imported policy loads into an engine in one go. */
static void test_apply(void **state)
{
	struct wfp_policy_error err;
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session *s = wfp_session_open(e, NULL);
	struct wfp_filter **a;
	size_t n;

	assert_int_equal(wfp_policy_load_string(s, doc, strlen(doc), "t.xml", 0, &err), 0);
	assert_int_equal(wfp_filter_enum(s, NULL, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0]->action.type, WFP_ACTION_CALLOUT_TERMINATING);
	wfp_filter_array_free(a, n);
	wfp_engine_close(e);
}

static void test_no_external_entities(void **state)
{
	static const char ent[] =
		"<!DOCTYPE wfpdiag [ <!ENTITY x SYSTEM \"file:///etc/hostname\"> ]>"
		"<wfpdiag><providers numItems=\"1\"><item>"
		"<providerKey>{11111111-2222-3333-4444-555555555555}</providerKey>"
		"<displayData><name>&x;</name></displayData></item></providers></wfpdiag>";
	struct wfp_policy_error err;
	struct wfp_policy *p = parse(ent, &err);

	assert_non_null(p);
	assert_string_equal(p->prov[0].p.display.name, "");
	wfp_policy_free(p);
}

static void test_errors(void **state)
{
	struct wfp_policy_error err;

	assert_null(parse("<wfpdiag><filters><item>\n<layerKey>", &err));
	assert_int_equal(err.code, -WFP_E_PARSE);
	assert_int_equal(err.line, 2);
	assert_null(parse("<wfpdiag><subLayers><item><subLayerKey>FWPM_SUBLAYER_NOPE"
			  "</subLayerKey></item></subLayers></wfpdiag>", &err));
	assert_non_null(strstr(err.msg, "unknown name 'FWPM_SUBLAYER_NOPE'"));
}

static void test_garbage(void **state)
{
	char *buf = malloc(sizeof(doc));
	unsigned x = 7;

	wfp_set_log(NULL, NULL);
	for (int i = 0; i < 1500; i++) {
		struct wfp_policy_error err;
		struct wfp_policy *p = NULL;
		size_t n = sizeof(doc) - 1;

		memcpy(buf, doc, sizeof(doc));
		for (int k = 0; k < 1 + i % 3; k++) {
			x = x * 1103515245 + 12345;
			buf[(x >> 8) % n] = (char)(x >> 20);
		}
		if (wfp_policy_parse(buf, n, "g", WFP_POLICY_FMT_XML, &p, &err) == 0)
			wfp_policy_free(p);
		else
			assert_true(err.msg[0] != 0);
	}
	free(buf);
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
		r = wfp_policy_parse(doc, strlen(doc), "f", WFP_POLICY_FMT_XML, &p, &err);
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
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_export_round_trip),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_no_external_entities),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
