/* SPDX-License-Identifier: MIT */
/*
 * test_layer_table.c - the constant layer, field and built-in sublayer
 * tables (spec §1.2, §1.3, §1.4, §1.5, §4.1, §5.6).
 *
 * Expected values are copied from the spec's tables, which were
 * extracted from the Windows SDK headers; the library's table was typed
 * from the same source, so a disagreement here is a transcription error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <wfp/wfp.h>

static void assert_guid_text(const struct wfp_guid *g, const char *text)
{
	char buf[37];

	assert_non_null(g);
	assert_string_equal(wfp_guid_format(g, buf), text);
}

static void test_layer_ids(void **state)
{
	assert_int_equal(wfp_layer_by_name("ALE_AUTH_RECV_ACCEPT_V4"), 44);
	assert_int_equal(wfp_layer_by_name("FWPM_LAYER_ALE_AUTH_CONNECT_V4"), 48);
	assert_int_equal(wfp_layer_by_name("ale_auth_connect_v6"), 50);
	assert_int_equal(wfp_layer_by_name("fwps_layer_stream_v4"), WFP_LAYER_STREAM_V4);
	assert_int_equal(wfp_layer_by_name("FwpM_LaYeR_INBOUND_IPPACKET_V4"), 0);
	assert_string_equal(wfp_layer_name(70), "STREAM_PACKET_V4");
	assert_string_equal(wfp_layer_name(0), "INBOUND_IPPACKET_V4");
	assert_string_equal(wfp_layer_name(71), "STREAM_PACKET_V6");
	assert_string_equal(wfp_layer_name(58), "INBOUND_MAC_FRAME_NATIVE");
}

static void test_layer_bad_input(void **state)
{
	struct wfp_guid zero = { { 0 } };

	assert_null(wfp_layer_name(WFP_LAYER_MAX));
	assert_null(wfp_layer_guid(WFP_LAYER_MAX));
	assert_int_equal(wfp_layer_flags(WFP_LAYER_MAX), 0);
	assert_int_equal(wfp_layer_field_count(WFP_LAYER_MAX), 0);
	assert_int_equal(wfp_layer_field(WFP_LAYER_MAX, 0), -1);
	assert_int_equal(wfp_layer_field_index(WFP_LAYER_MAX, 0), -1);
	assert_int_equal(wfp_layer_discard_twin(WFP_LAYER_MAX), -1);
	assert_true(wfp_layer_by_name(NULL) < 0);
	assert_true(wfp_layer_by_name("") < 0);
	assert_true(wfp_layer_by_name("FWPM_LAYER_") < 0);
	assert_true(wfp_layer_by_name("STREAM_V4 ") < 0);
	assert_true(wfp_layer_by_name("STREAM") < 0);
	assert_true(wfp_layer_by_name("STREAM_V4_DISCARDX") < 0);
	assert_true(wfp_layer_by_guid(NULL) < 0);
	assert_true(wfp_layer_by_guid(&zero) < 0);
}

static void test_layer_round_trip(void **state)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		assert_int_equal(wfp_layer_by_name(wfp_layer_name(l)), l);
		assert_int_equal(wfp_layer_by_guid(wfp_layer_guid(l)), l);
		assert_false(wfp_guid_is_zero(wfp_layer_guid(l)));
		for (unsigned m = 0; m < l; m++)
			assert_false(wfp_guid_eq(wfp_layer_guid(l), wfp_layer_guid(m)));
	}
}

/* A few GUIDs, checked as text against spec §1.2. */
static void test_layer_guids(void **state)
{
	assert_guid_text(wfp_layer_guid(0), "c86fd1bf-21cd-497e-a0bb-17425c885c58");
	assert_guid_text(wfp_layer_guid(13), "ac4a9833-f69d-4648-b261-6dc84835ef39");
	assert_guid_text(wfp_layer_guid(44), "e1cd9fe7-f4b5-4273-96c0-592e487b8650");
	assert_guid_text(wfp_layer_guid(48), "c38d57d1-05a7-4c33-904f-7fbceee60e82");
	assert_guid_text(wfp_layer_guid(50), "4a72393b-319f-44bc-84c3-ba54dcb3b6b4");
	/* the SDK's comment says a23a, its bytes say a231: bytes win */
	assert_guid_text(wfp_layer_guid(56), "effb7edb-0055-4f9a-a231-4ff8131ad191");
	assert_guid_text(wfp_layer_guid(61), "92d592fa-6b01-434a-9dea-d1e96ea97da9");
	assert_guid_text(wfp_layer_guid(69), "bef02c9c-606b-4536-8c26-1c2fc7b631d4");
	assert_guid_text(wfp_layer_guid(71), "779a8ca3-f099-468f-b5d4-83535c461c02");
}

static void test_layer_flags(void **state)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		const char *n = wfp_layer_name(l);
		uint32_t fl = wfp_layer_flags(l);
		size_t len = strlen(n);
		int discard = len > 8 && !strcmp(n + len - 8, "_DISCARD");
		int ale = !strncmp(n, "ALE_", 4);
		int v6 = strstr(n, "_V6") != NULL;
		int nofields = l >= 56 && l <= 61;

		assert_int_equal(!!(fl & WFP_LAYER_F_DISCARD), discard);
		assert_int_equal(!!(fl & WFP_LAYER_F_ALE), ale);
		assert_int_equal(!!(fl & WFP_LAYER_F_V6), v6);
		assert_int_equal(!!(fl & WFP_LAYER_F_NO_FIELDS), nofields);
		/* discard layers are exactly the odd ids below 56 */
		assert_int_equal(discard, l < 56 && (l & 1));
		if (nofields)
			assert_int_equal(wfp_layer_field_count(l), 0);
		else
			assert_true(wfp_layer_field_count(l) > 0);
	}
	assert_true(wfp_layer_flags(WFP_LAYER_ALE_AUTH_CONNECT_V6) & WFP_LAYER_F_ALE);
	assert_false(wfp_layer_flags(WFP_LAYER_STREAM_V4) & WFP_LAYER_F_ALE);
}

static void test_discard_twins(void **state)
{
	char want[64];

	assert_int_equal(wfp_layer_discard_twin(44), 45);
	assert_int_equal(wfp_layer_discard_twin(0), 1);
	assert_int_equal(wfp_layer_discard_twin(54), 55);
	assert_int_equal(wfp_layer_discard_twin(45), -1);
	for (unsigned l = 56; l < WFP_LAYER_MAX; l++)
		assert_int_equal(wfp_layer_discard_twin(l), -1);
	for (unsigned l = 0; l < 56; l += 2) {
		int t = wfp_layer_discard_twin(l);

		assert_int_equal(t, l + 1);
		snprintf(want, sizeof(want), "%s_DISCARD", wfp_layer_name(l));
		assert_string_equal(wfp_layer_name((unsigned)t), want);
		/* the twin indicates the same FWPS_FIELDS enumeration (§1.3) */
		assert_int_equal(wfp_layer_field_count((unsigned)t), wfp_layer_field_count(l));
		for (unsigned i = 0; i < wfp_layer_field_count(l); i++)
			assert_int_equal(wfp_layer_field((unsigned)t, i), wfp_layer_field(l, i));
	}
}

/* FWPS_FIELDS_<family>_MAX from spec §1.3, for V4, V6 and the twins. */
static const struct {
	const char *family;
	unsigned max;
	int has_discard;
} family_max[] = {
	{ "INBOUND_IPPACKET", 10, 1 },
	{ "OUTBOUND_IPPACKET", 10, 1 },
	{ "IPFORWARD", 15, 1 },
	{ "INBOUND_TRANSPORT", 15, 1 },
	{ "OUTBOUND_TRANSPORT", 16, 1 },
	{ "STREAM", 8, 1 },
	{ "DATAGRAM_DATA", 14, 1 },
	{ "STREAM_PACKET", 12, 0 },
	{ "INBOUND_ICMP_ERROR", 22, 1 },
	{ "OUTBOUND_ICMP_ERROR", 14, 1 },
	{ "ALE_RESOURCE_ASSIGNMENT", 18, 1 },
	{ "ALE_AUTH_LISTEN", 14, 1 },
	{ "ALE_AUTH_RECV_ACCEPT", 39, 1 },
	{ "ALE_AUTH_CONNECT", 41, 1 },
	{ "ALE_FLOW_ESTABLISHED", 24, 1 },
	{ "ALE_BIND_REDIRECT", 10, 0 },
	{ "ALE_CONNECT_REDIRECT", 14, 0 },
	{ "ALE_RESOURCE_RELEASE", 11, 0 },
	{ "ALE_ENDPOINT_CLOSURE", 13, 0 },
};

static void test_field_counts(void **state)
{
	static const char *const sfx[] = { "_V4", "_V6", "_V4_DISCARD", "_V6_DISCARD" };
	char name[64];
	unsigned seen = 0;

	for (size_t i = 0; i < sizeof(family_max) / sizeof(family_max[0]); i++) {
		for (unsigned s = 0; s < (family_max[i].has_discard ? 4u : 2u); s++) {
			int l;

			snprintf(name, sizeof(name), "%s%s", family_max[i].family, sfx[s]);
			l = wfp_layer_by_name(name);
			assert_true(l >= 0);
			assert_int_equal(wfp_layer_field_count((unsigned)l), family_max[i].max);
			assert_true(family_max[i].max <= WFP_MAX_FIELDS_PER_LAYER);
			seen++;
		}
	}
	assert_int_equal(seen, WFP_LAYER_MAX - 6); /* all but the 6 unmodelled */
}

static void assert_slot(unsigned layer, unsigned slot, unsigned field)
{
	assert_int_equal(wfp_layer_field(layer, slot), field);
	assert_int_equal(wfp_layer_field_index(layer, field), slot);
}

/* Spot checks of slot positions against the lists of spec §1.3. */
static void test_field_slots(void **state)
{
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 0, WFP_FIELD_ALE_APP_ID);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 7, WFP_FIELD_IP_REMOTE_PORT);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 12, WFP_FIELD_FLAGS);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 28, WFP_FIELD_REAUTHORIZE_REASON);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 29, WFP_FIELD_PEER_NAME);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V4, 36, WFP_FIELD_COMPARTMENT_ID);
	assert_slot(WFP_LAYER_ALE_AUTH_CONNECT_V6_DISCARD, 40, WFP_FIELD_BITMAP_IP_REMOTE_PORT);
	assert_slot(WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, 11, WFP_FIELD_FLAGS);
	assert_slot(WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, 12, WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT);
	assert_slot(WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, 13, WFP_FIELD_NAP_CONTEXT);
	assert_slot(WFP_LAYER_ALE_AUTH_RECV_ACCEPT_V4, 29, WFP_FIELD_REAUTHORIZE_REASON);
	assert_slot(WFP_LAYER_INBOUND_TRANSPORT_V4, 9, WFP_FIELD_FLAGS);
	assert_slot(WFP_LAYER_INBOUND_TRANSPORT_V4, 12, WFP_FIELD_CURRENT_PROFILE_ID);
	assert_slot(WFP_LAYER_OUTBOUND_TRANSPORT_V6, 9, WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE);
	assert_slot(WFP_LAYER_OUTBOUND_ICMP_ERROR_V4, 4, WFP_FIELD_IP_LOCAL_PORT);
	assert_slot(WFP_LAYER_OUTBOUND_ICMP_ERROR_V6, 5, WFP_FIELD_IP_REMOTE_PORT);
	assert_slot(WFP_LAYER_INBOUND_ICMP_ERROR_V4, 8, WFP_FIELD_IP_LOCAL_PORT);
	assert_slot(WFP_LAYER_INBOUND_ICMP_ERROR_V4, 9, WFP_FIELD_IP_REMOTE_PORT);
	assert_slot(WFP_LAYER_INBOUND_ICMP_ERROR_V6, 3, WFP_FIELD_EMBEDDED_REMOTE_ADDRESS);
	assert_slot(WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4, 12,
		    WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT);
	assert_slot(WFP_LAYER_ALE_RESOURCE_ASSIGNMENT_V4, 6, WFP_FIELD_ALE_PROMISCUOUS_MODE);
	assert_slot(WFP_LAYER_ALE_AUTH_LISTEN_V6, 10, WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT);
	assert_slot(WFP_LAYER_STREAM_V4, 5, WFP_FIELD_DIRECTION);
	assert_slot(WFP_LAYER_STREAM_PACKET_V6, 7, WFP_FIELD_DIRECTION);
	assert_slot(WFP_LAYER_DATAGRAM_DATA_V4, 0, WFP_FIELD_IP_PROTOCOL);
	assert_slot(WFP_LAYER_DATAGRAM_DATA_V4, 9, WFP_FIELD_DIRECTION);
	assert_slot(WFP_LAYER_IPFORWARD_V4, 0, WFP_FIELD_IP_SOURCE_ADDRESS);
	assert_slot(WFP_LAYER_IPFORWARD_V6, 4, WFP_FIELD_IP_FORWARD_INTERFACE);
	assert_slot(WFP_LAYER_ALE_FLOW_ESTABLISHED_V4, 12, WFP_FIELD_DIRECTION);
	assert_slot(WFP_LAYER_ALE_CONNECT_REDIRECT_V4, 8, WFP_FIELD_IP_REMOTE_PORT);
	assert_slot(WFP_LAYER_ALE_ENDPOINT_CLOSURE_V6, 12, WFP_FIELD_COMPARTMENT_ID);

	/* fields a layer lacks */
	assert_int_equal(wfp_layer_field_index(WFP_LAYER_STREAM_V4, WFP_FIELD_IP_PROTOCOL), -1);
	assert_int_equal(wfp_layer_field_index(WFP_LAYER_ALE_AUTH_LISTEN_V4,
					       WFP_FIELD_IP_REMOTE_ADDRESS), -1);
	assert_int_equal(wfp_layer_field_index(WFP_LAYER_INBOUND_MAC_FRAME_ETHERNET,
					       WFP_FIELD_FLAGS), -1);
	assert_int_equal(wfp_layer_field_index(0, WFP_FIELD_MAX), -1);
	assert_int_equal(wfp_layer_field(WFP_LAYER_STREAM_V4, 8), -1);
}

/* field() and field_index() are inverse on every layer. */
static void test_field_index_consistent(void **state)
{
	for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
		unsigned present = 0;

		for (unsigned i = 0; i < wfp_layer_field_count(l); i++) {
			int f = wfp_layer_field(l, i);

			assert_true(f >= 0 && f < WFP_FIELD_MAX);
			assert_int_equal(wfp_layer_field_index(l, (unsigned)f), i);
		}
		for (unsigned f = 0; f < WFP_FIELD_MAX; f++) {
			int i = wfp_layer_field_index(l, f);

			if (i < 0)
				continue;
			present++;
			assert_int_equal(wfp_layer_field(l, (unsigned)i), f);
		}
		/* no field twice: every slot is found back */
		assert_int_equal(present, wfp_layer_field_count(l));
		/* every modelled layer indicates FLAGS (spec §1.3) */
		if (wfp_layer_field_count(l))
			assert_true(wfp_layer_field_index(l, WFP_FIELD_FLAGS) >= 0);
	}
}

static void test_field_round_trip(void **state)
{
	for (unsigned f = 0; f < WFP_FIELD_MAX; f++) {
		char full[128];

		assert_non_null(wfp_field_name(f));
		assert_int_equal(wfp_field_by_name(wfp_field_name(f)), f);
		snprintf(full, sizeof(full), "FWPM_CONDITION_%s", wfp_field_name(f));
		assert_int_equal(wfp_field_by_name(full), f);
		assert_int_equal(wfp_field_by_guid(wfp_field_guid(f)), f);
		assert_false(wfp_guid_is_zero(wfp_field_guid(f)));
		for (unsigned g = 0; g < f; g++)
			assert_false(wfp_guid_eq(wfp_field_guid(f), wfp_field_guid(g)));
	}
	assert_null(wfp_field_name(WFP_FIELD_MAX));
	assert_null(wfp_field_guid(WFP_FIELD_MAX));
	assert_true(wfp_field_by_name(NULL) < 0);
	assert_true(wfp_field_by_name("NO_SUCH_FIELD") < 0);
	assert_true(wfp_field_by_name("FWPM_CONDITION_") < 0);
	assert_true(wfp_field_by_guid(NULL) < 0);
}

static void test_field_aliases(void **state)
{
	static const struct {
		const char *name;
		unsigned field;
	} alias[] = {
		{ "ICMP_TYPE", WFP_FIELD_IP_LOCAL_PORT },
		{ "FWPM_CONDITION_ICMP_CODE", WFP_FIELD_IP_REMOTE_PORT },
		{ "profile_id", WFP_FIELD_CURRENT_PROFILE_ID },
		{ "INTERFACE", WFP_FIELD_IP_LOCAL_INTERFACE },
		{ "LOCAL_INTERFACE_INDEX", WFP_FIELD_INTERFACE_INDEX },
		{ "LOCAL_INTERFACE_TYPE", WFP_FIELD_INTERFACE_TYPE },
		{ "LOCAL_TUNNEL_TYPE", WFP_FIELD_TUNNEL_TYPE },
		{ "ARRIVAL_SUB_INTERFACE_INDEX", WFP_FIELD_SUB_INTERFACE_INDEX },
		{ "FWPM_CONDITION_ALE_REAUTH_REASON", WFP_FIELD_REAUTHORIZE_REASON },
		{ "ALE_SIO_FIREWALL_SOCKET_PROPERTY", WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT },
		{ "ALE_SIO_FIREWALL_SYSTEM_PORT", WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT },
		{ "NAP_CONTEXT", WFP_FIELD_NAP_CONTEXT },
		{ "ALE_NAP_CONTEXT", WFP_FIELD_NAP_CONTEXT },
		{ "ip_remote_address", WFP_FIELD_IP_REMOTE_ADDRESS },
	};
	struct wfp_guid g;

	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		assert_int_equal(wfp_field_by_name(alias[i].name), alias[i].field);

	/* both reauthorization GUIDs select one field (spec §1.5) */
	assert_int_equal(wfp_guid_parse("11205e8c-11ae-457a-8a44-477026dd764a", &g), 0);
	assert_int_equal(wfp_field_by_guid(&g), WFP_FIELD_REAUTHORIZE_REASON);
	assert_int_equal(wfp_guid_parse("b482d227-1979-4a98-8044-18bbe6237542", &g), 0);
	assert_int_equal(wfp_field_by_guid(&g), WFP_FIELD_REAUTHORIZE_REASON);
	/* ICMP_TYPE is #defined to the IP_LOCAL_PORT GUID */
	assert_int_equal(wfp_guid_parse("0c1ba1af-5765-453f-af22-a8f791ac775b", &g), 0);
	assert_int_equal(wfp_field_by_guid(&g), WFP_FIELD_IP_LOCAL_PORT);
}

/* GUIDs checked as text: spec §5.6 and, where it is silent, the SDK. */
static void test_field_guids(void **state)
{
	assert_guid_text(wfp_field_guid(WFP_FIELD_IP_REMOTE_ADDRESS),
			 "b235ae9a-1d64-49b8-a44c-5ff3d9095045");
	assert_guid_text(wfp_field_guid(WFP_FIELD_FLAGS),
			 "632ce23b-5167-435c-86d7-e903684aa80c");
	assert_guid_text(wfp_field_guid(WFP_FIELD_ALE_USER_ID),
			 "af043a0a-b34d-4f86-979c-c90371af6e66");
	assert_guid_text(wfp_field_guid(WFP_FIELD_COMPARTMENT_ID),
			 "35a791ab-04ac-4ff2-a6bb-da6cfac71806");
	assert_guid_text(wfp_field_guid(WFP_FIELD_NAP_CONTEXT),
			 "46275a9d-c03f-4d77-b784-1c57f4d02753");
	assert_guid_text(wfp_field_guid(WFP_FIELD_ARRIVAL_INTERFACE_TYPE),
			 "89f990de-e798-4e6d-ab76-7c9558292e6f");
	assert_guid_text(wfp_field_guid(WFP_FIELD_NEXTHOP_TUNNEL_TYPE),
			 "72b1a111-987b-4720-99dd-c7c576fa2d4c");
	assert_guid_text(wfp_field_guid(WFP_FIELD_BITMAP_IP_LOCAL_ADDRESS),
			 "16ebc3df-957a-452e-a1fc-3d2ff6a730ba");
	assert_guid_text(wfp_field_guid(WFP_FIELD_BITMAP_IP_REMOTE_PORT),
			 "2663d549-aaf2-46a2-8666-1e7667f86985");
	assert_string_equal(wfp_field_name(WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT),
			    "ALE_SIO_FIREWALL_SYSTEM_PORT");
	assert_string_equal(wfp_field_name(WFP_FIELD_IP_LOCAL_PORT), "IP_LOCAL_PORT");
}

static void test_field_types(void **state)
{
	static const unsigned addr[] = {
		WFP_FIELD_IP_LOCAL_ADDRESS, WFP_FIELD_IP_REMOTE_ADDRESS,
		WFP_FIELD_IP_SOURCE_ADDRESS, WFP_FIELD_IP_DESTINATION_ADDRESS,
		WFP_FIELD_EMBEDDED_REMOTE_ADDRESS,
	};

	for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
		for (unsigned l = 0; l < WFP_LAYER_MAX; l++) {
			int want = wfp_layer_flags(l) & WFP_LAYER_F_V6 ?
					   WFP_BYTE_ARRAY16 : WFP_UINT32;

			assert_int_equal(wfp_field_type(addr[i], l), want);
		}
		assert_int_equal(wfp_field_type(addr[i], WFP_LAYER_MAX), -1);
	}
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_LOCAL_ADDRESS, 48), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_LOCAL_ADDRESS, 50), WFP_BYTE_ARRAY16);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_REMOTE_ADDRESS, 51), WFP_BYTE_ARRAY16);

	assert_int_equal(wfp_field_type(WFP_FIELD_IP_LOCAL_PORT, 48), WFP_UINT16);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_REMOTE_PORT, 50), WFP_UINT16);
	assert_int_equal(wfp_field_type(WFP_FIELD_EMBEDDED_LOCAL_PORT, 28), WFP_UINT16);
	assert_int_equal(wfp_field_type(WFP_FIELD_ORIGINAL_ICMP_TYPE, 48), WFP_UINT16);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_PROTOCOL, 48), WFP_UINT8);
	assert_int_equal(wfp_field_type(WFP_FIELD_EMBEDDED_PROTOCOL, 28), WFP_UINT8);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_LOCAL_ADDRESS_TYPE, 50), WFP_UINT8);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_DESTINATION_ADDRESS_TYPE, 8), WFP_UINT8);
	assert_int_equal(wfp_field_type(WFP_FIELD_FLAGS, 48), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_DIRECTION, 20), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_INTERFACE_INDEX, 44), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_CURRENT_PROFILE_ID, 12), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_REAUTHORIZE_REASON, 48), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_COMPARTMENT_ID, 48), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_SIO_FIREWALL_SYSTEM_PORT, 44), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_LOCAL_INTERFACE, 48), WFP_UINT64);
	assert_int_equal(wfp_field_type(WFP_FIELD_IP_ARRIVAL_INTERFACE, 44), WFP_UINT64);
	assert_int_equal(wfp_field_type(WFP_FIELD_INTERFACE_QUARANTINE_EPOCH, 44), WFP_UINT64);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_APP_ID, 48), WFP_BYTE_BLOB);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_ORIGINAL_APP_ID, 48), WFP_BYTE_BLOB);
	assert_int_equal(wfp_field_type(WFP_FIELD_PEER_NAME, 48), WFP_BYTE_BLOB);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_USER_ID, 48), WFP_TOKEN_INFORMATION);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_REMOTE_USER_ID, 44), WFP_TOKEN_INFORMATION);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_REMOTE_MACHINE_ID, 44),
			 WFP_TOKEN_INFORMATION);
	assert_int_equal(wfp_field_type(WFP_FIELD_ALE_PACKAGE_ID, 48), WFP_SID);
	/* non-address fields do not depend on the layer */
	assert_int_equal(wfp_field_type(WFP_FIELD_FLAGS, WFP_LAYER_MAX), WFP_UINT32);
	assert_int_equal(wfp_field_type(WFP_FIELD_MAX, 0), -1);
	/* every field has a type */
	for (unsigned f = 0; f < WFP_FIELD_MAX; f++)
		assert_true(wfp_field_type(f, 0) > WFP_EMPTY);
}

static void test_builtin_sublayers(void **state)
{
	const struct wfp_builtin_sublayer *s, *u;
	unsigned n = wfp_builtin_sublayer_count();

	assert_int_equal(n, 18);
	for (unsigned i = 0; i < n; i++) {
		s = wfp_builtin_sublayer(i);
		assert_non_null(s);
		assert_false(wfp_guid_is_zero(&s->key));
		assert_ptr_equal(wfp_builtin_sublayer_by_name(s->name), s);
		if (i == 0)
			continue;
		/* published weights are distinct and listed highest first */
		assert_true(wfp_builtin_sublayer(i - 1)->weight > s->weight);
		for (unsigned j = 0; j < i; j++)
			assert_false(wfp_guid_eq(&s->key, &wfp_builtin_sublayer(j)->key));
	}
	assert_null(wfp_builtin_sublayer(n));

	u = wfp_builtin_sublayer_by_name("FWPM_SUBLAYER_UNIVERSAL");
	assert_non_null(u);
	assert_int_equal(u->weight, 0x8100);
	assert_guid_text(&u->key, "eebecc03-ced4-4380-819a-2734397b2b74");

	s = wfp_builtin_sublayer_by_name("inspection");
	assert_non_null(s);
	assert_int_equal(s->weight, 0);
	assert_ptr_equal(s, wfp_builtin_sublayer(n - 1)); /* lowest (§4.1) */
	assert_guid_text(&s->key, "877519e1-e6a9-41a5-81b4-8c4f118e4a60");

	s = wfp_builtin_sublayer_by_name("fwpm_sublayer_teredo");
	assert_non_null(s);
	assert_ptr_equal(s, wfp_builtin_sublayer_by_name("EDGE_TRAVERSAL"));
	assert_guid_text(&s->key, "ba69dc66-5176-4979-9c89-26a7b46a8327");
	assert_int_equal(s->weight, 0x8200);

	s = wfp_builtin_sublayer_by_name("MPSSVC_WF");
	assert_non_null(s);
	assert_int_equal(s->weight, 0x1000);
	assert_guid_text(&s->key, "b3cdd441-af90-41ba-a745-7c6008ff2301");
	s = wfp_builtin_sublayer_by_name("MPSSVC_WSH");
	assert_non_null(s);
	assert_int_equal(s->weight, 0x1100);
	assert_guid_text(&s->key, "b3cdd441-af90-41ba-a745-7c6008ff2300");
	s = wfp_builtin_sublayer_by_name("IPSEC_SECURITY_REALM");
	assert_non_null(s);
	assert_int_equal(s->weight, 0xF000);
	assert_guid_text(&s->key, "37a57701-5884-4964-92b8-3e704688b0ad");

	errno = 0;
	assert_null(wfp_builtin_sublayer_by_name("NO_SUCH_SUBLAYER"));
	assert_int_equal(errno, ENOENT);
	assert_null(wfp_builtin_sublayer_by_name(NULL));
	assert_null(wfp_builtin_sublayer_by_name("FWPM_SUBLAYER_"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_ids),
		cmocka_unit_test(test_layer_bad_input),
		cmocka_unit_test(test_layer_round_trip),
		cmocka_unit_test(test_layer_guids),
		cmocka_unit_test(test_layer_flags),
		cmocka_unit_test(test_discard_twins),
		cmocka_unit_test(test_field_counts),
		cmocka_unit_test(test_field_slots),
		cmocka_unit_test(test_field_index_consistent),
		cmocka_unit_test(test_field_round_trip),
		cmocka_unit_test(test_field_aliases),
		cmocka_unit_test(test_field_guids),
		cmocka_unit_test(test_field_types),
		cmocka_unit_test(test_builtin_sublayers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
