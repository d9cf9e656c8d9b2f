/* SPDX-License-Identifier: MIT */
/*
 * wfp_layer.h - the constant layer and field tables (spec §1.2, §1.3, §5.6).
 *
 * Every layer has its run-time id (enum wfp_layer_id), its WFP name
 * without the FWPM_LAYER_ prefix ("ALE_AUTH_CONNECT_V4"), its management
 * GUID, whether it is a discard layer, and the ordered list of fields it
 * indicates (the FWPS_FIELDS_<LAYER> enumeration: slot i of that list is
 * the index of the incoming value a classification carries).
 */
#ifndef WFP_LAYER_H
#define WFP_LAYER_H

#include <wfp/wfp_types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	WFP_LAYER_F_DISCARD = 1U << 0, /* a *_DISCARD twin */
	WFP_LAYER_F_ALE = 1U << 1,     /* an ALE layer */
	WFP_LAYER_F_V6 = 1U << 2,      /* fed by the IPv6 stack */
	WFP_LAYER_F_NO_FIELDS = 1U << 3 /* MAC/name-cache: not modelled */
};

/* Layer metadata; NULL / -1 for an id out of range. */
WFP_API const char *wfp_layer_name(unsigned layer);      /* "STREAM_V4" */
WFP_API const struct wfp_guid *wfp_layer_guid(unsigned layer);
WFP_API uint32_t wfp_layer_flags(unsigned layer);
WFP_API unsigned wfp_layer_field_count(unsigned layer);
/* The field at slot idx of the layer, or -1. */
WFP_API int wfp_layer_field(unsigned layer, unsigned idx);
/* The slot of field f at the layer, or -1 if the layer lacks it. */
WFP_API int wfp_layer_field_index(unsigned layer, unsigned field);
/* The layer's _DISCARD twin, or -1 if it has none. */
WFP_API int wfp_layer_discard_twin(unsigned layer);
/* Lookup by name, with or without "FWPM_LAYER_"/"FWPS_LAYER_", any case. */
WFP_API int wfp_layer_by_name(const char *name);
WFP_API int wfp_layer_by_guid(const struct wfp_guid *g);

/* Field metadata. */
WFP_API const char *wfp_field_name(unsigned field); /* "IP_LOCAL_PORT" */
WFP_API const struct wfp_guid *wfp_field_guid(unsigned field);
/* The incoming data type; address fields are UINT32 at V4 layers and
 * BYTE_ARRAY16 at V6 layers, hence the layer argument. */
WFP_API int wfp_field_type(unsigned field, unsigned layer);
/* Name (with or without "FWPM_CONDITION_", any case, aliases accepted). */
WFP_API int wfp_field_by_name(const char *name);
WFP_API int wfp_field_by_guid(const struct wfp_guid *g);

/* Built-in sublayers (spec §4.1) and their published weights
 * (docs/internals/layers.md). */
struct wfp_builtin_sublayer {
	const char *name; /* "UNIVERSAL" (without FWPM_SUBLAYER_) */
	struct wfp_guid key;
	uint16_t weight;
};
WFP_API unsigned wfp_builtin_sublayer_count(void);
WFP_API const struct wfp_builtin_sublayer *wfp_builtin_sublayer(unsigned i);
WFP_API const struct wfp_builtin_sublayer *wfp_builtin_sublayer_by_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
