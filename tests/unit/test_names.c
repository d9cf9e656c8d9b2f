/* SPDX-License-Identifier: MIT */
/*
 * test_names.c - names of data/match/action types (spec §5.2, §5.3,
 * §4.3), error codes (§6.9), GUID text, and the log callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>

#include "log.h"

static void test_data_type_names(void **state)
{
	assert_string_equal(wfp_data_type_name(WFP_EMPTY), "FWP_EMPTY");
	assert_string_equal(wfp_data_type_name(WFP_UINT32), "FWP_UINT32");
	assert_string_equal(wfp_data_type_name(WFP_DOUBLE), "FWP_DOUBLE");
	assert_string_equal(wfp_data_type_name(WFP_BYTE_ARRAY16), "FWP_BYTE_ARRAY16_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_BYTE_BLOB), "FWP_BYTE_BLOB_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_SID), "FWP_SID");
	assert_string_equal(wfp_data_type_name(WFP_SECURITY_DESCRIPTOR),
			    "FWP_SECURITY_DESCRIPTOR_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_TOKEN_ACCESS_INFORMATION),
			    "FWP_TOKEN_ACCESS_INFORMATION_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_UNICODE_STRING), "FWP_UNICODE_STRING_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_BITMAP_ARRAY64), "FWP_BITMAP_ARRAY64_TYPE");
	assert_string_equal(wfp_data_type_name(WFP_V4_ADDR_MASK), "FWP_V4_ADDR_MASK");
	assert_string_equal(wfp_data_type_name(WFP_V6_ADDR_MASK), "FWP_V6_ADDR_MASK");
	assert_string_equal(wfp_data_type_name(WFP_RANGE), "FWP_RANGE_TYPE");
	assert_null(wfp_data_type_name(WFP_BITMAP_ARRAY64 + 1));
	assert_null(wfp_data_type_name(WFP_SINGLE_DATA_TYPE_MAX));
	assert_null(wfp_data_type_name(WFP_DATA_TYPE_MAX));
	assert_null(wfp_data_type_name(UINT_MAX));
}

static void test_data_type_by_name(void **state)
{
	for (unsigned t = 0; t < WFP_DATA_TYPE_MAX; t++) {
		const char *n = wfp_data_type_name(t);

		if (!n)
			continue;
		assert_int_equal(wfp_data_type_by_name(n), t);
		assert_int_equal(wfp_data_type_by_name(n + 4), t); /* no FWP_ */
	}
	assert_int_equal(wfp_data_type_by_name("uint32"), WFP_UINT32);
	assert_int_equal(wfp_data_type_by_name("fwp_uint8"), WFP_UINT8);
	assert_int_equal(wfp_data_type_by_name("BYTE_BLOB"), WFP_BYTE_BLOB);
	assert_int_equal(wfp_data_type_by_name("FWP_BYTE_BLOB"), WFP_BYTE_BLOB);
	assert_int_equal(wfp_data_type_by_name("byte_array16"), WFP_BYTE_ARRAY16);
	assert_int_equal(wfp_data_type_by_name("Range"), WFP_RANGE);
	assert_int_equal(wfp_data_type_by_name("v6_addr_mask"), WFP_V6_ADDR_MASK);
	assert_int_equal(wfp_data_type_by_name("SECURITY_DESCRIPTOR"), WFP_SECURITY_DESCRIPTOR);
	assert_int_equal(wfp_data_type_by_name("sid"), WFP_SID);
	assert_int_equal(wfp_data_type_by_name("NOPE"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name("UINT32_TYPE"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name("_TYPE"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name("BYTE_BLOB_"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name("SINGLE_DATA_TYPE_MAX"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name(""), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_data_type_by_name(NULL), -WFP_E_NOT_FOUND);
}

static void test_match_names(void **state)
{
	assert_string_equal(wfp_match_name(WFP_MATCH_EQUAL), "FWP_MATCH_EQUAL");
	assert_string_equal(wfp_match_name(WFP_MATCH_RANGE), "FWP_MATCH_RANGE");
	assert_string_equal(wfp_match_name(WFP_MATCH_FLAGS_NONE_SET), "FWP_MATCH_FLAGS_NONE_SET");
	assert_string_equal(wfp_match_name(WFP_MATCH_NOT_PREFIX), "FWP_MATCH_NOT_PREFIX");
	assert_null(wfp_match_name(WFP_MATCH_MAX));
	for (unsigned m = 0; m < WFP_MATCH_MAX; m++) {
		assert_non_null(wfp_match_name(m));
		assert_int_equal(wfp_match_by_name(wfp_match_name(m)), m);
		assert_int_equal(wfp_match_by_name(wfp_match_name(m) + 10), m);
	}
	assert_int_equal(wfp_match_by_name("equal"), WFP_MATCH_EQUAL);
	assert_int_equal(wfp_match_by_name("MATCH_NOT_EQUAL"), WFP_MATCH_NOT_EQUAL);
	assert_int_equal(wfp_match_by_name("fwp_match_equal_case_insensitive"),
			 WFP_MATCH_EQUAL_CASE_INSENSITIVE);
	assert_int_equal(wfp_match_by_name("EQUAL_"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_match_by_name("TYPE_MAX"), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_match_by_name(NULL), -WFP_E_NOT_FOUND);
}

static void test_action_names(void **state)
{
	static const uint32_t all[] = {
		WFP_ACTION_BLOCK, WFP_ACTION_PERMIT, WFP_ACTION_CALLOUT_TERMINATING,
		WFP_ACTION_CALLOUT_INSPECTION, WFP_ACTION_CALLOUT_UNKNOWN,
		WFP_ACTION_CONTINUE, WFP_ACTION_NONE, WFP_ACTION_NONE_NO_MATCH,
	};
	uint32_t out;

	assert_string_equal(wfp_action_name(WFP_ACTION_BLOCK), "FWP_ACTION_BLOCK");
	assert_string_equal(wfp_action_name(0x1002), "FWP_ACTION_PERMIT");
	assert_string_equal(wfp_action_name(0x5003), "FWP_ACTION_CALLOUT_TERMINATING");
	assert_string_equal(wfp_action_name(0x6004), "FWP_ACTION_CALLOUT_INSPECTION");
	assert_string_equal(wfp_action_name(0x4005), "FWP_ACTION_CALLOUT_UNKNOWN");
	assert_string_equal(wfp_action_name(0x2006), "FWP_ACTION_CONTINUE");
	assert_string_equal(wfp_action_name(7), "FWP_ACTION_NONE");
	assert_string_equal(wfp_action_name(8), "FWP_ACTION_NONE_NO_MATCH");
	assert_null(wfp_action_name(WFP_ACTION_FLAG_TERMINATING));
	assert_null(wfp_action_name(0));
	assert_null(wfp_action_name(1));

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		out = 0;
		assert_int_equal(wfp_action_by_name(wfp_action_name(all[i]), &out), 0);
		assert_int_equal(out, all[i]);
		out = 0;
		assert_int_equal(wfp_action_by_name(wfp_action_name(all[i]) + 11, &out), 0);
		assert_int_equal(out, all[i]);
	}
	assert_int_equal(wfp_action_by_name("permit", &out), 0);
	assert_int_equal(out, WFP_ACTION_PERMIT);
	assert_int_equal(wfp_action_by_name("Action_Block", &out), 0);
	assert_int_equal(out, WFP_ACTION_BLOCK);
	out = 42;
	assert_int_equal(wfp_action_by_name("allow", &out), -WFP_E_NOT_FOUND);
	assert_int_equal(out, 42);
	assert_int_equal(wfp_action_by_name("NONE_", &out), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_action_by_name(NULL, &out), -WFP_E_NOT_FOUND);
	assert_int_equal(wfp_action_by_name("block", NULL), -WFP_E_NOT_FOUND);
}

static void test_errors(void **state)
{
	char want[64];

	assert_int_equal(wfp_err_hresult(-WFP_E_ALREADY_EXISTS), 0x80320009);
	assert_int_equal(wfp_err_hresult(WFP_E_ALREADY_EXISTS), 0x80320009);
	assert_int_equal(wfp_err_hresult(-WFP_E_INVALID_WEIGHT), 0x80320025);
	assert_int_equal(wfp_err_hresult(-WFP_E_INVALID_CIPHER_TRANSFORM), 0x80320039);
	assert_int_equal(wfp_err_hresult(0), 0);
	assert_int_equal(wfp_err_hresult(-WFP_E_NOMEM), 0);
	assert_int_equal(wfp_err_hresult(-WFP_E_PARSE), 0);
	assert_int_equal(wfp_err_hresult(-0x3A), 0);
	assert_int_equal(wfp_err_hresult(INT_MIN), 0);
	assert_int_equal(wfp_err_hresult(INT_MAX), 0);

	assert_string_equal(wfp_strerror_name(-WFP_E_ALREADY_EXISTS), "FWP_E_ALREADY_EXISTS");
	assert_string_equal(wfp_strerror_name(WFP_E_TYPE_MISMATCH), "FWP_E_TYPE_MISMATCH");
	assert_string_equal(wfp_strerror_name(-WFP_E_CALLOUT_NOT_FOUND), "FWP_E_CALLOUT_NOT_FOUND");
	assert_string_equal(wfp_strerror_name(-WFP_E_NOMEM), "WFP_E_NOMEM");
	assert_string_equal(wfp_strerror_name(-WFP_E_INVAL), "WFP_E_INVAL");
	assert_string_equal(wfp_strerror_name(WFP_E_PARSE), "WFP_E_PARSE");
	assert_string_equal(wfp_strerror_name(0), "WFP_OK");
	assert_string_equal(wfp_strerror_name(-0x3A), "unknown error");
	assert_string_equal(wfp_strerror_name(-WFP_E_MAX), "unknown error");
	assert_string_equal(wfp_strerror_name(INT_MIN), "unknown error");

	assert_string_equal(wfp_strerror(-WFP_E_ALREADY_EXISTS),
			    "object with that GUID or LUID exists");
	assert_string_equal(wfp_strerror(-WFP_E_NOMEM), "out of memory");
	assert_string_equal(wfp_strerror(-12345), "unknown error");
	assert_string_equal(wfp_strerror(WFP_E_LIB_BASE - 1), "unknown error");

	/* every WFP code has a distinct FWP_E_ name, a text and its HRESULT */
	for (int c = WFP_E_CALLOUT_NOT_FOUND; c <= WFP_E_INVALID_CIPHER_TRANSFORM; c++) {
		assert_int_equal(strncmp(wfp_strerror_name(-c), "FWP_E_", 6), 0);
		assert_true(strlen(wfp_strerror(-c)) > 0);
		assert_string_not_equal(wfp_strerror(-c), "unknown error");
		assert_int_equal(wfp_err_hresult(-c), 0x80320000u | (unsigned)c);
		if (c > 1)
			assert_string_not_equal(wfp_strerror_name(-c), wfp_strerror_name(-c + 1));
	}
	for (int c = WFP_E_LIB_BASE; c < WFP_E_MAX; c++) {
		snprintf(want, sizeof(want), "%.6s", wfp_strerror_name(-c));
		assert_string_equal(want, "WFP_E_");
		assert_int_equal(wfp_err_hresult(c), 0);
	}
}

static void test_guid_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		"c86fd1bf-21cd-497e-a0bb-17425c885c5",    /* 35 */
		"c86fd1bf-21cd-497e-a0bb-17425c885c588",  /* 37 */
		"c86fd1bf-21cd-497e-a0bb-17425c885c58 ",
		" c86fd1bf-21cd-497e-a0bb-17425c885c58",
		"c86fd1bf021cd-497e-a0bb-17425c885c58",   /* dash missing */
		"c86fd1bf-21cd-497e-a0bb17425c885c58-",   /* dash moved */
		"c86fd1bg-21cd-497e-a0bb-17425c885c58",   /* not hex */
		"c86fd1bf-21cd-497e-a0bb-17425c885c5x",
		"c86fd1bf-+1cd-497e-a0bb-17425c885c58",
		"{c86fd1bf-21cd-497e-a0bb-17425c885c58",  /* unclosed */
		"c86fd1bf-21cd-497e-a0bb-17425c885c58}",  /* unopened */
		"{c86fd1bf-21cd-497e-a0bb-17425c885c58}x",
		"{{c86fd1bf-21cd-497e-a0bb-17425c885c58}}",
		"c86fd1bf21cd497ea0bb17425c885c58",
	};
	struct wfp_guid g, sentinel;
	char buf[37];

	assert_int_equal(wfp_guid_parse("c86fd1bf-21cd-497e-a0bb-17425c885c58", &g), 0);
	assert_int_equal(g.b[0], 0xc8);
	assert_int_equal(g.b[3], 0xbf);
	assert_int_equal(g.b[4], 0x21);
	assert_int_equal(g.b[8], 0xa0);
	assert_int_equal(g.b[15], 0x58);
	assert_string_equal(wfp_guid_format(&g, buf), "c86fd1bf-21cd-497e-a0bb-17425c885c58");
	assert_int_equal(wfp_layer_by_guid(&g), 0);

	assert_int_equal(wfp_guid_parse("{C86FD1BF-21CD-497E-A0BB-17425C885C58}", &g), 0);
	assert_string_equal(wfp_guid_format(&g, buf), "c86fd1bf-21cd-497e-a0bb-17425c885c58");
	assert_int_equal(wfp_guid_parse("{c86Fd1bf-21cd-497e-a0bB-17425c885c58}", &g), 0);
	assert_int_equal(wfp_layer_by_guid(&g), 0);

	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g = sentinel;
		assert_int_equal(wfp_guid_parse(bad[i], &g), -WFP_E_INVAL);
		assert_memory_equal(&g, &sentinel, sizeof(g)); /* untouched */
	}
	assert_int_equal(wfp_guid_parse(NULL, &g), -WFP_E_INVAL);
	assert_int_equal(wfp_guid_parse("c86fd1bf-21cd-497e-a0bb-17425c885c58", NULL),
			 -WFP_E_INVAL);
}

static void test_guid_misc(void **state)
{
	struct wfp_guid z = { { 0 } }, a, b;
	char buf[37];

	assert_true(wfp_guid_is_zero(&z));
	assert_string_equal(wfp_guid_format(&z, buf), "00000000-0000-0000-0000-000000000000");
	assert_int_equal(wfp_guid_parse("00000000-0000-0000-0000-000000000000", &a), 0);
	assert_true(wfp_guid_is_zero(&a));
	assert_true(wfp_guid_eq(&a, &z));

	assert_int_equal(wfp_guid_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", &a), 0);
	assert_false(wfp_guid_is_zero(&a));
	assert_string_equal(wfp_guid_format(&a, buf), "ffffffff-ffff-ffff-ffff-ffffffffffff");
	b = a;
	assert_true(wfp_guid_eq(&a, &b));
	b.b[15] = 0xfe;
	assert_false(wfp_guid_eq(&a, &b));
	b = z;
	b.b[15] = 1;
	assert_false(wfp_guid_is_zero(&b));
	assert_true(wfp_guid_is_zero(NULL));
	assert_false(wfp_guid_eq(&a, NULL));
	assert_ptr_equal(wfp_guid_format(&a, buf), buf);
}

struct log_rec {
	int calls;
	enum wfp_log_level lvl;
	char msg[WFP_LOG_MSG_MAX + 8];
};

static void log_cb(enum wfp_log_level lvl, const char *msg, void *ctx)
{
	struct log_rec *r = ctx;

	r->calls++;
	r->lvl = lvl;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static void test_log(void **state)
{
	struct log_rec r = { 0 };
	char big[2 * WFP_LOG_MSG_MAX];

	wfp_logf(WFP_LOG_ERROR, "nobody listens %d", 1); /* no callback: no-op */
	wfp_set_log(log_cb, &r);
	wfp_logf(WFP_LOG_WARN, "filter %u at layer %s", 7u, "STREAM_V4");
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.lvl, WFP_LOG_WARN);
	assert_string_equal(r.msg, "filter 7 at layer STREAM_V4");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wfp_logf(WFP_LOG_DEBUG, "%s", big);
	assert_int_equal(r.calls, 2);
	assert_int_equal(strlen(r.msg), WFP_LOG_MSG_MAX - 1); /* truncated */

	wfp_set_log(NULL, NULL);
	wfp_logf(WFP_LOG_INFO, "dropped");
	assert_int_equal(r.calls, 2);
}

static void test_version(void **state)
{
	const char *v = wfp_version();

	assert_non_null(v);
	assert_true(strlen(v) > 0);
	assert_string_not_equal(v, "unknown"); /* meson passed -DWFP_VERSION */
	assert_true(v[0] >= '0' && v[0] <= '9');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_type_names),
		cmocka_unit_test(test_data_type_by_name),
		cmocka_unit_test(test_match_names),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_guid_parse),
		cmocka_unit_test(test_guid_misc),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
