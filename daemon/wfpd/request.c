/* SPDX-License-Identifier: MIT */
/*
 * request.c - decoding one management request line (docs/protocol.md).
 *
 * Kept apart from mgmt.c, with no dependency but json-c, so that the
 * decoder of this untrusted input can be fuzzed on its own
 * (tests/fuzz/fuzz_mgmt_request.c).
 */
#include <limits.h>
#include <string.h>

#include "request.h"

/*
 * The whole line must be one JSON value: json_tokener_parse() stops after
 * the first value and ignores what follows, so `{"cmd":"flush"} junk`
 * would flush (found by tests/netns/hostile.sh).
 */
static struct json_object *parse_line(const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (!line || strlen(line) != len || len > INT_MAX)
		return NULL; /* a NUL inside the line: the rest would go unseen */
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    line[end + strspn(line + end, " \t\r")] != '\0') {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *wfpd_request_decode(const char *line, size_t len, const char **cmd)
{
	struct json_object *req = parse_line(line, len), *cmdv;

	*cmd = NULL;
	if (!req || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &cmdv) ||
	    !json_object_is_type(cmdv, json_type_string) ||
	    !(*cmd = json_object_get_string(cmdv))) {
		json_object_put(req);
		*cmd = NULL;
		return NULL;
	}
	return req;
}
