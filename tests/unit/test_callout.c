/* SPDX-License-Identifier: MIT */
/*
 * test_callout.c - callouts as plug-ins beyond classify: flow contexts
 * (FwpsFlowAssociateContext) and the flowDelete notification when the ALE
 * flow goes (close, failed reauthorization, host freed), and the notify
 * function on filter add/delete.
 */
#include "stackutil.h"

struct fctx {
	struct net *n;
	int host;
	uint64_t value;
	unsigned associated;
	unsigned deleted;
	uint64_t deleted_handle, deleted_value;
	uint64_t seen_handle;
	unsigned notified_add, notified_del;
	int fail_add;
};

/* PERMIT, and attach ctx->value to the flow being authorised. */
static void assoc_classify(void *ctx, const struct wfp_incoming *in,
			   const struct wfp_callout_filter *f, struct wfp_classify_out *out)
{
	struct fctx *c = ctx;
	static const struct wfp_guid key = { { 0xAA, [14] = 0x02, [15] = 0x01 } };

	out->action = WFP_ACTION_PERMIT;
	if (in->md && (in->md->present & WFP_MD_FLOW_HANDLE)) {
		c->seen_handle = in->md->flow_handle;
		if (!wfp_flow_associate_context(c->n->h[c->host], in->md->flow_handle, &key,
						c->value))
			c->associated++;
	}
}

static void on_flow_delete(void *ctx, uint64_t handle, uint64_t value)
{
	struct fctx *c = ctx;

	c->deleted++;
	c->deleted_handle = handle;
	c->deleted_value = value;
}

static int on_notify(void *ctx, enum wfp_notify_type type, uint64_t id)
{
	struct fctx *c = ctx;

	if (type == WFP_NOTIFY_ADD_FILTER)
		c->notified_add++;
	else
		c->notified_del++;
	return type == WFP_NOTIFY_ADD_FILTER && c->fail_add;
}

static struct wfp_guid setup(struct net *n, struct fctx *c, int host, unsigned layer)
{
	struct wfp_callout co = { .key = tu_guid(0x201), .applicable_layer = (uint16_t)layer };
	struct wfp_callout_ops ops = { .sz = sizeof(ops), .classify = assoc_classify,
				       .notify = on_notify, .flow_delete = on_flow_delete };

	c->n = n;
	c->host = host;
	co.display.name = "flow ctx";
	assert_int_equal(wfp_callout_add(n->t[host].s, &co, NULL), 0);
	assert_int_equal(wfp_callout_register(n->t[host].e, &co.key, &ops, c), 0);
	tu_filter(&n->t[host], layer, NULL, 1, WFP_ACTION_CALLOUT_UNKNOWN, 0, &co.key, NULL, 0);
	return co.key;
}

/* TCP: the context lives as long as the connection. */
static void test_context_until_close(void **state)
{
	struct net *n = net_new();
	struct fctx c = { .value = 42 };
	int s, cl;

	/* the flow exists once established: where WFP callouts attach */
	setup(n, &c, CLI, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4);
	assert_int_equal(c.notified_add, 1);
	cl = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	assert_int_equal(c.associated, 1);
	assert_true(c.seen_handle != 0);
	assert_int_equal(wfp_sock_send(n->h[CLI], cl, 100), 100);
	net_run(n);
	assert_int_equal(c.deleted, 0); /* the flow is alive */
	assert_int_equal(wfp_sock_close(n->h[CLI], cl), 0);
	net_run(n);
	assert_int_equal(c.deleted, 0); /* half closed: the peer still sends */
	assert_int_equal(wfp_sock_close(n->h[SRV], s), 0);
	net_run(n);
	assert_int_equal(c.deleted, 1);
	assert_int_equal(c.deleted_handle, c.seen_handle);
	assert_int_equal(c.deleted_value, 42);
	net_free(n);
	assert_int_equal(c.deleted, 1); /* not twice */
}

/* UDP flows die with their host: flow_delete still runs. */
static void test_context_host_freed(void **state)
{
	struct net *n = net_new();
	struct fctx c = { .value = 7 };
	struct wfp_addr sa = net_addr(SRV, WFP_AF_INET);
	int s, u;

	setup(n, &c, CLI, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	s = wfp_sock_open(n->h[SRV], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	assert_int_equal(wfp_sock_bind(n->h[SRV], s, NULL, 53), 0);
	u = wfp_sock_open(n->h[CLI], WFP_AF_INET, WFP_PROTO_UDP, NULL);
	assert_int_equal(wfp_sock_sendto(n->h[CLI], u, &sa, 53, 10), 10);
	net_run(n);
	assert_int_equal(c.associated, 1);
	assert_int_equal(c.deleted, 0);
	net_free(n);
	assert_int_equal(c.deleted, 1);
	assert_int_equal(c.deleted_value, 7);
}

/* The API's own rules: unknown flows, replacement, removal, the limit. */
static void test_context_api(void **state)
{
	struct net *n = net_new();
	struct fctx c = { .value = 1 };
	struct wfp_guid other = tu_guid(0x999);
	int s, cl;

	setup(n, &c, CLI, WFP_LAYER_ALE_FLOW_ESTABLISHED_V4);
	cl = net_tcp_connect(n, WFP_AF_INET, 80, &s);
	assert_int_equal(c.associated, 1);
	assert_int_equal(wfp_flow_associate_context(n->h[CLI], 0xdeadbeef, &other, 1),
			 -WFP_E_NOT_FOUND);
	/* a second callout's context, then removed: no flow_delete for it */
	assert_int_equal(wfp_flow_associate_context(n->h[CLI], c.seen_handle, &other, 5), 0);
	assert_int_equal(wfp_flow_remove_context(n->h[CLI], c.seen_handle, &other), 0);
	assert_int_equal(wfp_flow_remove_context(n->h[CLI], c.seen_handle, &other),
			 -WFP_E_NOT_FOUND);
	for (unsigned i = 1; i < WFP_FLOW_MAX_CONTEXTS; i++) {
		struct wfp_guid g = tu_guid(0x900 + i);

		assert_int_equal(wfp_flow_associate_context(n->h[CLI], c.seen_handle, &g, i), 0);
	}
	assert_int_equal(wfp_flow_associate_context(n->h[CLI], c.seen_handle, &other, 9),
			 -WFP_E_LIMIT);
	assert_int_equal(wfp_sock_close(n->h[CLI], cl), 0);
	assert_int_equal(wfp_sock_close(n->h[SRV], s), 0);
	net_run(n);
	assert_int_equal(c.deleted, 1); /* only the registered callout is told */
	net_free(n);
}

/* notify: told of adds and deletes; a failing notify fails the add. */
static void test_notify(void **state)
{
	struct net *n = net_new();
	struct fctx c = { 0 };
	struct wfp_guid key = setup(n, &c, CLI, WFP_LAYER_ALE_AUTH_CONNECT_V4);
	struct wfp_filter f = { .display = { .name = "x" }, .layer = WFP_LAYER_ALE_AUTH_CONNECT_V4 };
	struct wfp_filter **all;
	size_t cnt;
	uint64_t id;

	f.action.type = WFP_ACTION_CALLOUT_TERMINATING;
	f.action.key = key;
	assert_int_equal(wfp_filter_add(n->t[CLI].s, &f, &id), 0);
	assert_int_equal(c.notified_add, 2);
	assert_int_equal(wfp_filter_delete_by_id(n->t[CLI].s, id), 0);
	assert_int_equal(c.notified_del, 1);
	c.fail_add = 1;
	assert_int_equal(wfp_filter_add(n->t[CLI].s, &f, NULL), -WFP_E_CALLOUT_NOTIFICATION_FAILED);
	assert_int_equal(wfp_filter_enum(n->t[CLI].s, NULL, &all, &cnt), 0);
	assert_int_equal(cnt, 1); /* only setup's filter */
	wfp_filter_array_free(all, cnt);
	net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_until_close),
		cmocka_unit_test(test_context_host_freed),
		cmocka_unit_test(test_context_api),
		cmocka_unit_test(test_notify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
