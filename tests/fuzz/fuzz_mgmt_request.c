/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mgmt_request.c - the decoder of wfpd's management requests
 * (daemon/wfpd/request.c, docs/protocol.md): any byte string a local
 * client may send as one line.  What it accepts must be one JSON object
 * with a string "cmd", and must print back as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/wfpd/request.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct json_object *req, *again;
	const char *cmd;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	req = wfpd_request_decode(line, size, &cmd);
	if (req) {
		/* accepted: an object with a string cmd that round-trips */
		const char *text = json_object_to_json_string(req);

		if (!cmd || !json_object_is_type(req, json_type_object))
			abort();
		again = json_tokener_parse(text);
		if (!again || !json_object_is_type(again, json_type_object))
			abort();
		json_object_put(again);
		json_object_put(req);
	} else if (cmd) {
		abort(); /* rejected requests report no command */
	}
	free(line);
	return 0;
}
