/* SPDX-License-Identifier: MIT */
/* request.h - decoding one management request line (request.c). */
#ifndef WFPD_REQUEST_H
#define WFPD_REQUEST_H

#include <stddef.h>
#include <json.h>

/* The request object (caller puts it) with its "cmd" string in *cmd, or
 * NULL when the line is not exactly one JSON object with a string "cmd". */
struct json_object *wfpd_request_decode(const char *line, size_t len, const char **cmd);

#endif
