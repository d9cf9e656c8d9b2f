/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - persistent objects survive the engine (spec §6.4):
 * what persists, what does not, failed writes, corrupt stores.
 */
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/wfp-store-XXXXXX";
static char path[256];

static struct wfp_engine *open_store(void)
{
	struct wfp_engine_opts o = { .sz = sizeof(o), .store_path = path };

	return wfp_engine_open(&o);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.json", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[300];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void add_objects(struct wfp_session *s)
{
	struct wfp_provider p = { .key = tu_guid(1), .display = { .name = "vpn" },
				  .flags = WFP_PROVIDER_F_PERSISTENT };
	struct wfp_sublayer sl = { .key = tu_guid(2), .display = { .name = "ks" },
				   .flags = WFP_SUBLAYER_F_PERSISTENT, .provider_key = tu_guid(1),
				   .weight = 0x7777 };
	struct wfp_filter_cond c = tu_cond_u16(WFP_FIELD_IP_REMOTE_PORT, WFP_MATCH_EQUAL, 23);
	struct wfp_filter f = { .key = tu_guid(3), .display = { .name = "no telnet" } };

	assert_int_equal(wfp_provider_add(s, &p), 0);
	assert_int_equal(wfp_sublayer_add(s, &sl), 0);
	f.flags = WFP_FILTER_F_PERSISTENT;
	f.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
	f.sublayer_key = sl.key;
	f.provider_key = p.key;
	f.action.type = WFP_ACTION_BLOCK;
	f.cond = &c;
	f.ncond = 1;
	assert_int_equal(wfp_filter_add(s, &f, NULL), 0);
	/* a static filter: does not persist */
	f.key = tu_guid(4);
	f.flags = 0;
	f.sublayer_key = (struct wfp_guid){ { 0 } };
	f.provider_key = (struct wfp_guid){ { 0 } };
	assert_int_equal(wfp_filter_add(s, &f, NULL), 0);
}

static void test_survives_restart(void **state)
{
	struct wfp_engine *e = open_store();
	struct wfp_session *s;
	struct wfp_filter *got;
	struct wfp_sublayer *sl;
	struct tu_in x;
	struct wfp_verdict v;
	struct wfp_guid k3 = tu_guid(3), k4 = tu_guid(4), k2 = tu_guid(2);

	assert_non_null(e);
	s = wfp_session_open(e, NULL);
	add_objects(s);
	wfp_engine_close(e);
	assert_int_equal(access(path, R_OK), 0);

	e = open_store();
	assert_non_null(e);
	s = wfp_session_open(e, NULL);
	assert_int_equal(wfp_filter_get_by_key(s, &k3, &got), 0);
	assert_true(got->flags & WFP_FILTER_F_PERSISTENT);
	assert_string_equal(got->display.name, "no telnet");
	assert_int_equal(got->ncond, 1);
	wfp_filter_free(got);
	assert_int_equal(wfp_filter_get_by_key(s, &k4, &got), -WFP_E_FILTER_NOT_FOUND);
	assert_int_equal(wfp_sublayer_get(s, &k2, &sl), 0);
	assert_int_equal(sl->weight, 0x7777);
	wfp_sublayer_free(sl);
	/* and it is enforced */
	tu_in_init(&x, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	tu_set_u16(&x, WFP_FIELD_IP_REMOTE_PORT, 23);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.action, WFP_ACTION_BLOCK);
	/* deleting it persists too */
	assert_int_equal(wfp_filter_delete_by_key(s, &k3), 0);
	wfp_engine_close(e);
	e = open_store();
	s = wfp_session_open(e, NULL);
	assert_int_equal(wfp_filter_get_by_key(s, &k3, &got), -WFP_E_FILTER_NOT_FOUND);
	assert_int_equal(wfp_sublayer_get(s, &k2, &sl), 0);
	wfp_sublayer_free(sl);
	wfp_engine_close(e);
	unlink(path);
}

/* A commit whose store write fails is rolled back: nothing published. */
static void test_write_failure_rolls_back(void **state)
{
	char bad[300];
	struct wfp_engine_opts o = { .sz = sizeof(o), .store_path = bad };
	struct wfp_engine *e;
	struct wfp_session *s;
	struct wfp_filter f = { .display = { .name = "p" } }, **all;
	struct tu_in x;
	struct wfp_verdict v;
	size_t n;

	snprintf(bad, sizeof(bad), "%s/no/such/dir/store.json", dir);
	e = wfp_engine_open(&o);
	assert_non_null(e); /* no store yet is fine */
	s = wfp_session_open(e, NULL);
	f.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = WFP_ACTION_BLOCK;
	f.flags = WFP_FILTER_F_PERSISTENT;
	assert_int_equal(wfp_filter_add(s, &f, NULL), -WFP_E_IO);
	assert_int_equal(wfp_filter_enum(s, NULL, &all, &n), 0);
	assert_int_equal(n, 0);
	wfp_filter_array_free(all, n);
	tu_in_init(&x, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	assert_int_equal(wfp_classify(e, &x.in, &v, NULL), 0);
	assert_int_equal(v.action, WFP_ACTION_NONE_NO_MATCH);
	/* non-persistent objects need no store */
	f.flags = 0;
	assert_int_equal(wfp_filter_add(s, &f, NULL), 0);
	wfp_engine_close(e);
}

/* A corrupt store fails the open: never a silently empty policy. */
static void test_corrupt_store(void **state)
{
	FILE *f = fopen(path, "w");
	char tmp[300];

	assert_non_null(f);
	fputs("{ \"filters\": [ { \"layer\": ", f);
	fclose(f);
	errno = 0;
	assert_null(open_store());
	assert_true(errno != 0);
	unlink(path);
	/* a stale temporary file from a killed writer is ignored */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	fputs("garbage", f);
	fclose(f);
	struct wfp_engine *e = open_store();
	assert_non_null(e);
	wfp_engine_close(e);
	unlink(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_write_failure_rolls_back),
		cmocka_unit_test(test_corrupt_store),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
