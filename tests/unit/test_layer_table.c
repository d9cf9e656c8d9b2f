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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
