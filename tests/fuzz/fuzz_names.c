/* SPDX-License-Identifier: MIT */
/*
 * fuzz_names.c - the name and GUID parsers every policy format uses:
 * layer, field, data type, match and action names, GUID text.  A GUID
 * that parses must format back to text that parses to the same GUID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wfp/wfp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct wfp_guid g, g2;
	char buf[37];
	uint32_t action;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	wfp_layer_by_name(s);
	wfp_field_by_name(s);
	wfp_data_type_by_name(s);
	wfp_match_by_name(s);
	wfp_action_by_name(s, &action);
	wfp_builtin_sublayer_by_name(s);
	if (!wfp_guid_parse(s, &g)) {
		wfp_guid_format(&g, buf);
		if (wfp_guid_parse(buf, &g2) || !wfp_guid_eq(&g, &g2))
			abort(); /* round trip broken */
		wfp_layer_by_guid(&g);
		wfp_field_by_guid(&g);
	}
	free(s);
	return 0;
}
