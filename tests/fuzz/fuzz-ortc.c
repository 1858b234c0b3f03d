/* fuzz-ortc: signal-ortc on arbitrary JSON text. The input is {"rtpParameters", "rtpCapabilities"}
 * (mediasoup-client's produce parameters and device capabilities), or one object read as both.
 * Whatever validates must map onto the router, consume, and come back: the JSON of the producer
 * and of its consumer must validate again to the same structs, and the proto messages must pack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hype-json.h"
#include "signal-ortc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static OrtcRtpParameters produced, back, consumable, consumer;
static OrtcRtpCapabilities caps;
static OrtcRtpMapping mapping;

static uint32_t counter(void *userdata) {
    uint32_t *n = userdata;
    return *n += 0x9e3779b9u;
}

/* rtp's JSON validates again to the same parameters (compared through their JSON). */
static void round_trip(const OrtcRtpParameters *rtp, OrtcKind kind) {
    char err[ORTC_ERROR_MAX];
    json_object *j = ortc_rtp_parameters_json(rtp), *j2;
    if (!j)
        abort();
    if (ortc_parse_rtp_parameters(j, kind, &back, err, sizeof(err)) < 0)
        abort();
    j2 = ortc_rtp_parameters_json(&back);
    if (!j2 || !json_object_equal(j, j2))
        abort();
    json_object_put(j);
    json_object_put(j2);
}

static void to_proto(const OrtcRtpParameters *rtp, const OrtcRtpMapping *m) {
    Arena *a = arena_new();
    Hype__SignalMedia__RtpParameters *p;
    Hype__SignalMedia__RtpMapping *pm;
    uint8_t buf[1 << 16];
    if (!a || ortc_rtp_parameters_proto(a, rtp, &p) < 0)
        abort();
    if (hype__signal_media__rtp_parameters__get_packed_size(p) > sizeof(buf))
        abort();
    hype__signal_media__rtp_parameters__pack(p, buf);
    if (m) {
        if (ortc_rtp_mapping_proto(a, m, &pm) < 0)
            abort();
        hype__signal_media__rtp_mapping__pack(pm, buf);
    }
    arena_free(a);
}

static void try_kind(json_object *params, bool have_caps, OrtcKind kind) {
    char err[ORTC_ERROR_MAX];
    uint32_t n = 0;
    if (ortc_parse_rtp_parameters(params, kind, &produced, err, sizeof(err)) < 0)
        return;
    round_trip(&produced, kind);
    to_proto(&produced, NULL);
    if (ortc_producer_mapping(kind, &produced, counter, &n, &mapping, &consumable, err,
                              sizeof(err)) < 0)
        return;
    to_proto(&produced, &mapping);
    if (!have_caps)
        return;
    bool can = ortc_can_consume(&consumable, &caps);
    int r =
        ortc_consumer_parameters(&consumable, &caps, "0", counter, &n, &consumer, err, sizeof(err));
    if (can != (r == 0))
        abort();
    if (r < 0)
        return;
    round_trip(&consumer, kind);
    to_proto(&consumer, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_object *o = NULL, *params, *caps_json;
    char err[ORTC_ERROR_MAX];
    if (json_parse_strict((const char *)data, size, JSON_DEFAULT_MAX_DEPTH, &o, NULL) < 0)
        return 0;
    params = json_get(o, "rtpParameters");
    caps_json = json_get(o, "rtpCapabilities");
    if (!params)
        params = o;
    if (!caps_json)
        caps_json = o;
    bool have_caps = ortc_parse_rtp_capabilities(caps_json, &caps, err, sizeof(err)) == 0;
    try_kind(params, have_caps, ORTC_KIND_AUDIO);
    try_kind(params, have_caps, ORTC_KIND_VIDEO);
    json_object_put(o);
    return 0;
}
