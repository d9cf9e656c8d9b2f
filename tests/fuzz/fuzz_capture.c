/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capture.c - the capture reader and the replay (wfp_replay.h): the
 * input is a pcap / pcapng file.  Both passes run (host inference, then
 * the replay with a small flow table so eviction happens), the policy
 * changes halfway through (reauthorization), and every record is checked
 * for consistency.  A bad file must fail cleanly, never crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include <wfp/wfp.h>
#include <wfp/wfp_policy.h>
#include <wfp/wfp_replay.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_a[] =
	"filter \"web\" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80\n"
	"filter \"no-ssh\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 22\n"
	"filter \"stealth\" layer INBOUND_TRANSPORT_V4_DISCARD block\n"
	"filter \"no-ntp\" layer ALE_AUTH_CONNECT_V6 block where IP_REMOTE_PORT == 123\n";
static const char policy_b[] =
	"filter \"all\" layer ALE_AUTH_RECV_ACCEPT_V4 block\n"
	"filter \"all6\" layer ALE_AUTH_CONNECT_V6 block\n";

static void flow_end(const struct wfp_replay_flow *f, void *ctx)
{
	if (f->verdict > WFP_RV_DROP || !f->id)
		abort();
	(void)ctx;
}

static void pass(const uint8_t *data, size_t size, struct wfp_replay *r, int learn,
		 struct wfp_session *s)
{
	struct wfp_replay_rec *rec;
	struct wfp_capture_pkt cp;
	struct wfp_capture *c;
	char err[256];
	int lt, n;

	c = wfp_capture_open_mem(data, size, err, sizeof(err));
	if (!c)
		return;
	lt = wfp_capture_linktype(c);
	rec = malloc(sizeof(*rec));
	for (unsigned i = 0; rec && (n = wfp_capture_next(c, &cp, err, sizeof(err))) == 1; i++) {
		if (learn) {
			wfp_replay_learn(r, lt, cp.data, cp.caplen);
			continue;
		}
		if (i == 8)
			wfp_policy_load_string(s, policy_b, sizeof(policy_b) - 1, "b",
					       WFP_POLICY_REPLACE, NULL);
		wfp_replay_packet(r, lt, cp.ts_us, cp.data, cp.caplen, cp.len, rec);
		if (rec->verdict > WFP_RV_DROP || rec->reason >= WFP_RR_MAX ||
		    rec->nlayers > WFP_REPLAY_MAX_LAYERS)
			abort();
	}
	free(rec);
	wfp_capture_close(c);
}

/* One engine for the process: each run starts from policy A again
 * (REPLACE), so runs do not depend on each other. */
static struct wfp_session *session(void)
{
	static struct wfp_session *s;
	struct wfp_engine *e;

	if (s)
		return s;
	e = wfp_engine_open(NULL);
	s = e ? wfp_session_open(e, NULL) : NULL;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_replay_opts o = { .sz = sizeof(o), .max_flows = 8 };
	struct wfp_session *s = session();
	struct wfp_replay *r;

	if (!s || wfp_policy_load_string(s, policy_a, sizeof(policy_a) - 1, "a",
					 WFP_POLICY_REPLACE, NULL))
		return 0;
	r = wfp_replay_new(wfp_session_engine(s), &o);
	if (!r)
		return 0;
	wfp_replay_set_flow_end(r, flow_end, NULL);
	wfp_replay_set_explain(r, 3);
	pass(data, size, r, 1, s);
	wfp_replay_learn_done(r);
	pass(data, size, r, 0, s);
	wfp_replay_finish(r);
	wfp_replay_free(r);
	return 0;
}
