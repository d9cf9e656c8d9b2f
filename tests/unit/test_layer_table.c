/* SPDX-License-Identifier: MIT */
/* test_layer_table.c - the constant layer table (spec §1.2, §1.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wfp/wfp.h>

static void test_layer_ids(void **state)
{
	assert_int_equal(wfp_layer_by_name("ALE_AUTH_RECV_ACCEPT_V4"), 44);
	assert_int_equal(wfp_layer_by_name("FWPM_LAYER_ALE_AUTH_CONNECT_V4"), 48);
	assert_int_equal(wfp_layer_by_name("ale_auth_connect_v6"), 50);
	assert_string_equal(wfp_layer_name(70), "STREAM_PACKET_V4");
}

static void test_round_trip(void **state)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		assert_int_equal(wfp_layer_by_name(wfp_layer_name(l)), l);
		assert_int_equal(wfp_layer_by_guid(wfp_layer_guid(l)), l);
	}
	for (unsigned f = 0; f < WFP_FIELD_MAX; f++) {
		assert_int_equal(wfp_field_by_name(wfp_field_name(f)), f);
		assert_int_equal(wfp_field_by_guid(wfp_field_guid(f)), f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_ids),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
