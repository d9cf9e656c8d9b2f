/* SPDX-License-Identifier: MIT */
/*
 * hello.c - the smallest libwfp program: open an engine, load a policy,
 * list the filters in arbitration order.  tests/pkg/install.sh builds it
 * against an installed libwfp with pkg-config; libwfp(3) shows it.
 */
#include <stdio.h>
#include <string.h>

#include <wfp/wfp.h>

static const char policy[] =
	"filter \"no telnet\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 23\n"
	"filter \"web\" layer ALE_AUTH_CONNECT_V4 permit where IP_REMOTE_PORT in {80, 443}\n";

int main(void)
{
	struct wfp_policy_error err;
	struct wfp_engine *e = wfp_engine_open(NULL);
	struct wfp_session *s = e ? wfp_session_open(e, NULL) : NULL;
	struct wfp_filter **f = NULL;
	size_t n = 0;
	int rc = 1;

	if (!s)
		goto out;
	if (wfp_policy_load_string(s, policy, strlen(policy), "hello.wfp", 0, &err)) {
		wfp_policy_error_print(&err, stderr);
		goto out;
	}
	if (wfp_filter_enum(s, NULL, &f, &n))
		goto out;
	printf("libwfp %s: %zu filters\n", wfp_version(), n);
	for (size_t i = 0; i < n; i++)
		printf("%llu %s %s\n", (unsigned long long)f[i]->filter_id,
		       wfp_layer_name(f[i]->layer), f[i]->display.name);
	wfp_filter_array_free(f, n);
	rc = 0;
out:
	wfp_session_close(s);
	wfp_engine_close(e);
	return rc;
}
