/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pcap.c - capture files (pcap and pcapng, wfp_replay.h) as wfpctl
 * replay reads them: opened from memory, every record read and its bytes
 * handed to the packet parser with the file's link type.  A record may
 * never claim more bytes than the file holds.
 */
#include <stdint.h>

#include <wfp/wfp.h>
#include <wfp/wfp_pkt.h>
#include <wfp/wfp_replay.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wfp_capture_pkt cp;
	struct wfp_capture *c;
	char err[256];
	unsigned n = 0;
	int lt;

	c = wfp_capture_open_mem(data, size, err, sizeof(err));
	if (!c)
		return 0;
	lt = wfp_capture_linktype(c);
	wfp_capture_snaplen(c);
	while (n++ < 100000 && wfp_capture_next(c, &cp, err, sizeof(err)) > 0) {
		struct wfp_pkt p;

		if (cp.caplen > size)
			__builtin_trap(); /* more bytes than the file has */
		wfp_pkt_parse_link(lt, cp.data, cp.caplen, &p, NULL);
	}
	wfp_capture_close(c);
	return 0;
}
