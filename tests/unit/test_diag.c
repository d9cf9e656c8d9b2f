/* SPDX-License-Identifier: MIT */
/*
 * test_diag.c - net events, engine options, counters and change
 * notifications (spec §6.7, §7.1).
 */
#include "testutil.h"

static struct wfp_netevent drop_event(uint64_t filter_id)
{
	struct wfp_netevent ev = { .type = WFP_NET_EVENT_CLASSIFY_DROP };

	ev.layer_id = WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
	ev.filter_id = filter_id;
	ev.ip_version = 4;
	ev.ip_protocol = 6;
	ev.local_port = 80;
	ev.direction = WFP_MS_DIRECTION_IN;
	snprintf(ev.app_id, sizeof(ev.app_id), "/usr/sbin/iis");
	return ev;
}

static void test_ring(void **state)
{
	struct tu t;
	struct wfp_netevent ev = drop_event(7), *out;
	size_t n;
	uint64_t v;

	tu_open(&t);
	assert_int_equal(wfp_engine_get_option(t.e, WFP_OPTION_COLLECT_NET_EVENTS, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(wfp_engine_set_option(t.e, WFP_OPTION_NET_EVENT_RING_SIZE, 4), 0);
	for (int i = 0; i < 6; i++) {
		ev.filter_id = 100 + (uint64_t)i;
		assert_int_equal(wfp_netevent_report(t.e, &ev), 1);
	}
	/* bounded: the 4 newest remain, oldest first */
	assert_int_equal(wfp_netevent_enum(t.e, 0, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].filter_id, 102);
	assert_int_equal(out[0].seq, 3);
	assert_int_equal(out[3].filter_id, 105);
	assert_int_equal(out[3].layer_id, 44);
	assert_string_equal(out[3].app_id, "/usr/sbin/iis");
	wfp_free_memory(out);
	/* since */
	assert_int_equal(wfp_netevent_enum(t.e, 5, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].seq, 6);
	wfp_free_memory(out);
	/* allows are opt-in */
	ev.type = WFP_NET_EVENT_CLASSIFY_ALLOW;
	assert_int_equal(wfp_netevent_report(t.e, &ev), 0);
	assert_int_equal(wfp_engine_set_option(t.e, WFP_OPTION_NET_EVENT_MATCH_ANY_KEYWORDS,
					       WFP_NET_EVENT_KEYWORD_CLASSIFY_ALLOW), 0);
	assert_int_equal(wfp_netevent_report(t.e, &ev), 1);
	/* disabled collection */
	assert_int_equal(wfp_engine_set_option(t.e, WFP_OPTION_COLLECT_NET_EVENTS, 0), 0);
	assert_int_equal(wfp_netevent_report(t.e, &ev), 0);
	assert_int_equal(wfp_netevent_enum(t.e, 0, &out, &n), -WFP_E_NET_EVENTS_DISABLED);
	assert_int_equal(wfp_engine_set_option(t.e, WFP_OPTION_COLLECT_NET_EVENTS, 2),
			 -WFP_E_OUT_OF_BOUNDS);
	assert_int_equal(wfp_engine_set_option(t.e, WFP_OPTION_NET_EVENT_RING_SIZE, 0),
			 -WFP_E_OUT_OF_BOUNDS);
	tu_close(&t);
}

static unsigned seen;
static uint64_t seen_filter;

static void on_event(void *ctx, const struct wfp_netevent *ev)
{
	(void)ctx;
	seen++;
	seen_filter = ev->filter_id;
}

static void test_subscribe(void **state)
{
	struct tu t;
	struct wfp_netevent ev = drop_event(42);
	int id;

	tu_open(&t);
	seen = 0;
	id = wfp_netevent_subscribe(t.e, on_event, NULL);
	assert_true(id > 0);
	assert_int_equal(wfp_netevent_report(t.e, &ev), 1);
	assert_int_equal(seen, 1);
	assert_int_equal(seen_filter, 42);
	assert_int_equal(wfp_netevent_unsubscribe(t.e, id), 0);
	assert_int_equal(wfp_netevent_report(t.e, &ev), 1);
	assert_int_equal(seen, 1);
	assert_int_equal(wfp_netevent_unsubscribe(t.e, id), -WFP_E_NOT_FOUND);
	tu_close(&t);
}

static void test_counters(void **state)
{
	struct tu t;
	struct wfp_layer_stats st;
	struct tu_in x;
	struct wfp_verdict v;
	uint64_t id, hits, bytes;

	tu_open(&t);
	id = tu_filter(&t, WFP_LAYER_INBOUND_TRANSPORT_V4, NULL, 1, WFP_ACTION_BLOCK, 0, NULL,
		       NULL, 0);
	tu_in_init(&x, WFP_LAYER_INBOUND_TRANSPORT_V4);
	for (int i = 0; i < 3; i++) {
		v = tu_classify(&t, &x, NULL);
		wfp_counters_account(t.e, WFP_LAYER_INBOUND_TRANSPORT_V4, &v, 100);
	}
	assert_int_equal(wfp_filter_counters_get(t.e, id, &hits, &bytes), 0);
	assert_int_equal(hits, 3);
	assert_int_equal(bytes, 300);
	assert_int_equal(wfp_layer_stats_get(t.e, WFP_LAYER_INBOUND_TRANSPORT_V4, &st), 0);
	assert_int_equal(st.block, 3);
	assert_int_equal(st.permit, 0);
	assert_int_equal(wfp_filter_counters_get(t.e, id + 1, &hits, &bytes),
			 -WFP_E_FILTER_NOT_FOUND);
	assert_int_equal(wfp_layer_stats_get(t.e, WFP_LAYER_MAX, &st), -WFP_E_LAYER_NOT_FOUND);
	tu_close(&t);
}

struct changes {
	unsigned adds, dels;
	uint64_t last_id;
};

static void on_change(void *ctx, const struct wfp_change *c)
{
	struct changes *ch = ctx;

	assert_int_equal(c->object, WFP_OBJECT_FILTER);
	if (c->change == WFP_CHANGE_ADD)
		ch->adds++;
	else
		ch->dels++;
	ch->last_id = c->id;
}

static void test_change_notifications(void **state)
{
	struct tu t;
	struct wfp_session *watcher;
	struct changes ch = { 0 }, own = { 0 };
	struct wfp_filter f = { .display = { .name = "f" } };
	uint64_t id;

	tu_open(&t);
	watcher = wfp_session_open(t.e, NULL);
	f.layer = WFP_LAYER_ALE_AUTH_CONNECT_V4;
	f.action.type = WFP_ACTION_BLOCK;
	assert_true(wfp_change_subscribe(watcher, WFP_OBJECT_FILTER,
					 WFP_SUBSCRIBE_ON_ADD | WFP_SUBSCRIBE_ON_DELETE,
					 on_change, &ch) > 0);
	assert_true(wfp_change_subscribe(t.s, WFP_OBJECT_FILTER, WFP_SUBSCRIBE_ON_ADD,
					 on_change, &own) > 0);
	/* nothing before commit; aborted changes are never reported */
	assert_int_equal(wfp_txn_begin(t.s, 0), 0);
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(ch.adds, 0);
	assert_int_equal(wfp_txn_abort(t.s), 0);
	assert_int_equal(ch.adds, 0);
	assert_int_equal(wfp_filter_add(t.s, &f, &id), 0);
	assert_int_equal(ch.adds, 1);
	assert_int_equal(ch.last_id, id);
	assert_int_equal(own.adds, 0); /* not for its own changes */
	assert_int_equal(wfp_filter_delete_by_id(t.s, id), 0);
	assert_int_equal(ch.dels, 1);
	assert_int_equal(wfp_change_subscribe(watcher, 99, WFP_SUBSCRIBE_ON_ADD, on_change, &ch),
			 -WFP_E_INVALID_ENUMERATOR);
	assert_int_equal(wfp_change_subscribe(watcher, WFP_OBJECT_FILTER, 0, on_change, &ch),
			 -WFP_E_INVALID_FLAGS);
	tu_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_subscribe),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_change_notifications),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
