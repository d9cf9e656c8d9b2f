/* SPDX-License-Identifier: MIT */
/*
 * stealth.c - stealth mode, or "preventing port scanning" (spec §3.8),
 * written against openwfp's Fwpm API the way the MSDN sample of that name
 * is written against Windows': one function adds both filter sets inside
 * one transaction.
 *
 *   1. OUTBOUND_ICMP_ERROR_V4/V6: BLOCK ICMP type 3 (destination
 *      unreachable), so a UDP datagram to a closed port gets no answer;
 *   2. INBOUND_TRANSPORT_V4/V6_DISCARD: the built-in silent-drop callouts
 *      for non-loopback traffic, so a SYN to a closed port gets no RST.
 *
 * Porting notes (docs/fwpm.md): the Windows sample needs <windows.h>,
 * SAL annotations (__in, __in_opt) and #pragma comment(lib, ...); here it
 * is <wfp/fwpm.h> and -lwfp.  Everything else -- types, calls, GUIDs,
 * error codes -- is unchanged.
 *
 * Built as a program it installs the policy in the process's engine and
 * lists what it added.  tests/unit/test_fwpm.c compiles it with
 * STEALTH_NO_MAIN and drives traffic through the result.
 */
#include <stdio.h>
#include <string.h>

#include <wfp/fwpm.h>

#define EXIT_ON_ERROR(fn)						\
	do {								\
		if (result != ERROR_SUCCESS) {				\
			printf(#fn " = 0x%08X\n", (unsigned)result);	\
			goto CLEANUP;					\
		}							\
	} while (0)

DWORD BlockPortScanning(HANDLE engine, PCWSTR filterName, const GUID *providerKey,
			const GUID *subLayerKey);

DWORD BlockPortScanning(HANDLE engine, PCWSTR filterName, const GUID *providerKey,
			const GUID *subLayerKey)
{
	/* one layer, condition and action per filter */
	static const struct {
		const GUID *layer;
		const GUID *callout; /* NULL: a static BLOCK */
	} sets[] = {
		{ &FWPM_LAYER_OUTBOUND_ICMP_ERROR_V4, NULL },
		{ &FWPM_LAYER_OUTBOUND_ICMP_ERROR_V6, NULL },
		{ &FWPM_LAYER_INBOUND_TRANSPORT_V4_DISCARD,
		  &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP },
		{ &FWPM_LAYER_INBOUND_TRANSPORT_V6_DISCARD,
		  &FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V6_SILENT_DROP },
	};
	DWORD result = ERROR_SUCCESS;
	FWPM_FILTER_CONDITION0 cond[1];
	FWPM_FILTER0 filter;
	BOOL txnInProgress = FALSE;

	memset(&filter, 0, sizeof(filter));
	filter.displayData.name = (PWSTR)filterName;
	/* tag what we add with our provider, and keep it in our sublayer so
	 * that nobody else's filters override it */
	filter.providerKey = (GUID *)providerKey;
	if (subLayerKey)
		filter.subLayerKey = *subLayerKey;
	filter.numFilterConditions = 1;
	filter.filterCondition = cond;

	/* all or nothing: a failure half-way leaves no partial policy */
	result = FwpmTransactionBegin0(engine, 0);
	EXIT_ON_ERROR(FwpmTransactionBegin0);
	txnInProgress = TRUE;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		memset(cond, 0, sizeof(cond));
		filter.layerKey = *sets[i].layer;
		if (!sets[i].callout) {
			/* ICMP destination unreachable answers UDP scans */
			cond[0].fieldKey = FWPM_CONDITION_ICMP_TYPE;
			cond[0].matchType = FWP_MATCH_EQUAL;
			cond[0].conditionValue.type = FWP_UINT16;
			cond[0].conditionValue.uint16 = 3;
			filter.action.type = FWP_ACTION_BLOCK;
		} else {
			/* loopback keeps its RSTs: local tools rely on them */
			cond[0].fieldKey = FWPM_CONDITION_FLAGS;
			cond[0].matchType = FWP_MATCH_FLAGS_NONE_SET;
			cond[0].conditionValue.type = FWP_UINT32;
			cond[0].conditionValue.uint32 = FWP_CONDITION_FLAG_IS_LOOPBACK;
			filter.action.type = FWP_ACTION_CALLOUT_TERMINATING;
			filter.action.calloutKey = *sets[i].callout;
		}
		result = FwpmFilterAdd0(engine, &filter, NULL, NULL);
		EXIT_ON_ERROR(FwpmFilterAdd0);
	}

	result = FwpmTransactionCommit0(engine);
	EXIT_ON_ERROR(FwpmTransactionCommit0);
	txnInProgress = FALSE;

CLEANUP:
	if (txnInProgress)
		FwpmTransactionAbort0(engine);
	return result;
}

#ifndef STEALTH_NO_MAIN
int main(void)
{
	FWPM_FILTER_ENUM_TEMPLATE0 tmpl;
	FWPM_FILTER0 **filters = NULL;
	HANDLE engine = NULL, en = NULL;
	UINT32 n = 0;
	DWORD result;
	int ret = 1;

	result = FwpmEngineOpen0(NULL, RPC_C_AUTHN_DEFAULT, NULL, NULL, &engine);
	EXIT_ON_ERROR(FwpmEngineOpen0);
	result = BlockPortScanning(engine, L"Stealth mode", NULL, NULL);
	EXIT_ON_ERROR(BlockPortScanning);

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.actionMask = 0xFFFFFFFF;
	result = FwpmFilterCreateEnumHandle0(engine, &tmpl, &en);
	EXIT_ON_ERROR(FwpmFilterCreateEnumHandle0);
	result = FwpmFilterEnum0(engine, en, 16, &filters, &n);
	EXIT_ON_ERROR(FwpmFilterEnum0);
	for (UINT32 i = 0; i < n; i++)
		printf("filter %llu: %ls, action 0x%04x, layer %08x-...\n",
		       (unsigned long long)filters[i]->filterId,
		       filters[i]->displayData.name, (unsigned)filters[i]->action.type,
		       (unsigned)filters[i]->layerKey.Data1);
	ret = n == 4 ? 0 : 1;
	FwpmFreeMemory0((void **)&filters);

CLEANUP:
	if (en)
		FwpmFilterDestroyEnumHandle0(engine, en);
	if (engine)
		FwpmEngineClose0(engine);
	wfp_fwpm_shutdown();
	return ret;
}
#endif
