/* signal-ortc: the negotiation of mediasoup's ortc.ts, in C, pure (no I/O, no loop): the router's
 * RTP capabilities, the validation of what mediasoup-client sends (a producer's rtpParameters,
 * a device's rtpCapabilities), the mapping of a producer's payload types and SSRCs onto the
 * router's, and each consumer's parameters for a given device. JSON in and out is json-c in the
 * shapes mediasoup-client 3.x sends and accepts (../shared/notes/sfu-facts.md); what goes to the
 * worker is the protobuf-c RtpParameters and RtpMapping of proto/hype-signal-media.proto.
 *
 * Errors: negative errno with a message naming the field written into err (ORTC_ERROR_MAX is
 * enough): -EINVAL for a malformed value, -E2BIG for an array or string past its fixed limit,
 * -ENOTSUP for what the router or the device cannot do, -ENOMEM. Nothing logs. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-arena.h"
#include "hype-signal-media.pb-c.h"

#define ORTC_ERROR_MAX 192

/* Fixed limits of every array and string read from a client (-E2BIG past them). They keep the
 * structs small enough to keep per producer and per session (OrtcRtpParameters about 13 KB,
 * OrtcRtpCapabilities about 24 KB): mediasoup-client sends a producer's one codec and its rtx,
 * and a device's capabilities are what it shares with the router (5 codecs, 4 to 9 header
 * extensions with Chromium). */
#define ORTC_MAX_CODECS 8       /* in a producer's parameters */
#define ORTC_MAX_CAPS_CODECS 16 /* in a device's capabilities */
#define ORTC_MAX_HEADER_EXTENSIONS 16
#define ORTC_MAX_ENCODINGS 8  /* simulcast layers */
#define ORTC_MAX_FEEDBACK 8   /* rtcpFeedback entries per codec (Chromium: 5) */
#define ORTC_MAX_PARAMETERS 8 /* codec parameters (fmtp) per codec */
#define ORTC_MIME_MAX 48
#define ORTC_PARAM_KEY_MAX 40
#define ORTC_PARAM_VALUE_MAX 64
#define ORTC_FEEDBACK_MAX 24 /* "transport-cc", "pli" */
#define ORTC_URI_MAX 112
#define ORTC_MID_MAX 32
#define ORTC_RID_MAX 32
#define ORTC_CNAME_MAX 64
#define ORTC_SCALABILITY_MAX 16

typedef enum OrtcKind {
    ORTC_KIND_NONE = 0,
    ORTC_KIND_AUDIO = 1, /* the values of proto MediaKind */
    ORTC_KIND_VIDEO = 2,
} OrtcKind;

/* "audio", "video"; ORTC_KIND_NONE for anything else (s may be NULL). */
OrtcKind ortc_kind_from_string(const char *s);
const char *ortc_kind_to_string(OrtcKind kind);

typedef enum OrtcDirection {
    ORTC_DIRECTION_SENDRECV = 0,
    ORTC_DIRECTION_SENDONLY,
    ORTC_DIRECTION_RECVONLY,
    ORTC_DIRECTION_INACTIVE,
} OrtcDirection;

/* A codec parameter: JSON strings stay strings, JSON numbers (integers) stay numbers. */
typedef struct OrtcParameter {
    char key[ORTC_PARAM_KEY_MAX];
    char value[ORTC_PARAM_VALUE_MAX]; /* the number in decimal when numeric */
    bool numeric;
} OrtcParameter;

typedef struct OrtcFeedback {
    char type[ORTC_FEEDBACK_MAX];
    char parameter[ORTC_FEEDBACK_MAX]; /* "" when absent */
} OrtcFeedback;

/* A codec of RtpParameters (payload_type) or of RtpCapabilities (payload_type is the
 * preferredPayloadType). */
typedef struct OrtcCodec {
    OrtcKind kind; /* from the mime type */
    char mime_type[ORTC_MIME_MAX];
    uint8_t payload_type;
    uint32_t clock_rate;
    uint8_t channels; /* audio: 1 when absent; 0 for video */
    size_t n_parameters;
    OrtcParameter parameters[ORTC_MAX_PARAMETERS];
    size_t n_feedback;
    OrtcFeedback feedback[ORTC_MAX_FEEDBACK];
} OrtcCodec;

typedef struct OrtcHeaderExtension {
    OrtcKind kind; /* capabilities only */
    char uri[ORTC_URI_MAX];
    uint8_t id; /* 1-255; the preferredId in capabilities */
    bool encrypt;
    OrtcDirection direction; /* capabilities only */
} OrtcHeaderExtension;

typedef struct OrtcEncoding {
    uint32_t ssrc;     /* 0: absent (then rid is set) */
    uint32_t rtx_ssrc; /* 0: none */
    char rid[ORTC_RID_MAX];
    bool dtx;
    uint32_t max_bitrate; /* 0: absent */
    char scalability_mode[ORTC_SCALABILITY_MAX];
} OrtcEncoding;

typedef struct OrtcRtpParameters {
    char mid[ORTC_MID_MAX];
    size_t n_codecs;
    OrtcCodec codecs[ORTC_MAX_CODECS];
    size_t n_header_extensions;
    OrtcHeaderExtension header_extensions[ORTC_MAX_HEADER_EXTENSIONS];
    size_t n_encodings;
    OrtcEncoding encodings[ORTC_MAX_ENCODINGS];
    char rtcp_cname[ORTC_CNAME_MAX];
    bool rtcp_reduced_size; /* true when absent */
} OrtcRtpParameters;

typedef struct OrtcRtpCapabilities {
    size_t n_codecs;
    OrtcCodec codecs[ORTC_MAX_CAPS_CODECS];
    size_t n_header_extensions;
    OrtcHeaderExtension header_extensions[ORTC_MAX_HEADER_EXTENSIONS];
} OrtcRtpCapabilities;

/* How a producer's payload types and SSRCs become the router's (proto RtpMapping). */
typedef struct OrtcRtpMapping {
    size_t n_codecs;
    struct {
        uint8_t payload_type, mapped_payload_type;
    } codecs[ORTC_MAX_CODECS];
    size_t n_encodings;
    struct {
        uint32_t ssrc; /* 0 when matched by rid */
        char rid[ORTC_RID_MAX];
        uint32_t mapped_ssrc;
    } encodings[ORTC_MAX_ENCODINGS];
} OrtcRtpMapping;

/* A source of random 32-bit numbers for SSRCs (and a cname when the producer sent none): the
 * daemon passes a CSPRNG, tests a counter. Zeros and repeats are skipped (drawing again): it
 * must not return a constant. */
typedef uint32_t (*ortc_random_fn)(void *userdata);

/* ---- the router ---- */

/* The router's RTP capabilities, fixed for every router: Opus 48000/2 (pt 100), VP8 (101) and
 * its rtx (102), H264 packetization-mode=1 profile-level-id=42e01f (103) and its rtx (104); the
 * header extensions mid, rtp-stream-id, repaired-rtp-stream-id, abs-send-time, transport-wide-cc
 * and ssrc-audio-level. A new object {codecs, headerExtensions} for device.load(), NULL on
 * OOM; the caller puts it. */
json_object *ortc_router_capabilities(void);

/* ---- what clients send ---- */

/* A producer's rtpParameters (transport.on('produce') of mediasoup-client) for kind: every
 * codec of that kind, at least one codec and one encoding, each encoding with an ssrc or a rid.
 * Unknown members are ignored, as mediasoup does. 0 and *ret filled, or an error; *ret may be
 * partly written on failure. */
int ortc_parse_rtp_parameters(json_object *json, OrtcKind kind, OrtcRtpParameters *ret, char *err,
                              size_t err_size);

/* A device's rtpCapabilities (device.rtpCapabilities): codecs with preferredPayloadType, header
 * extensions with kind and preferredId. As above. */
int ortc_parse_rtp_capabilities(json_object *json, OrtcRtpCapabilities *ret, char *err,
                                size_t err_size);

/* ---- producing ---- */

/*
 * Maps a validated producer (rtp, of kind) onto the router: each media codec to the router codec
 * it matches (mime type case-insensitively, clock rate, channels for audio; for H264 the same
 * packetization-mode and the same profile (Constrained Baseline, Baseline, Main, High or
 * Constrained High, read from profile-level-id as h264-profile-level-id does; the level is not
 * compared: the router allows level asymmetry)), each rtx to the router's rtx whose apt is
 * that codec's; each encoding to a fresh SSRC from rnd. -ENOTSUP when a codec has no match in
 * the router (or an rtx no media codec), -EINVAL when rtp's codecs are not all of kind.
 * ret_mapping is what the worker rewrites with; ret_consumable (optional) is the producer as
 * the router forwards it, which ortc_consumer_parameters reads: the router's payload types, the
 * mapped SSRCs, the router's header extensions the router sends for that kind, the cname.
 */
int ortc_producer_mapping(OrtcKind kind, const OrtcRtpParameters *rtp, ortc_random_fn rnd,
                          void *userdata, OrtcRtpMapping *ret_mapping,
                          OrtcRtpParameters *ret_consumable, char *err, size_t err_size);

/* ---- consuming ---- */

/* Whether a device with caps can receive the consumable producer: its first media codec matches
 * one of the device's with the same payload type (the router's: mediasoup-client gives the
 * device the router's preferredPayloadType; it rejects consume() otherwise). */
bool ortc_can_consume(const OrtcRtpParameters *consumable, const OrtcRtpCapabilities *caps);

/*
 * A consumer's parameters for a device: the first media codec of consumable the device
 * supports (payload type as above) and its rtx when the device has an rtx for it, each with the
 * rtcpFeedback both sides have (then goog-remb dropped when transport-wide-cc is negotiated,
 * transport-cc dropped when only abs-send-time is, both when neither); the header extensions of
 * consumable the device receives for that kind, with the device's preferredId; one encoding with
 * a fresh SSRC from rnd (and ssrc + 1 for rtx when kept), scalabilityMode "L<layers>T<t>" for
 * simulcast; the producer's cname, reducedSize; mid given by the caller (per recv transport,
 * "0", "1", ...). -ENOTSUP when the device cannot consume it, -EINVAL for an empty or long mid.
 */
int ortc_consumer_parameters(const OrtcRtpParameters *consumable, const OrtcRtpCapabilities *caps,
                             const char *mid, ortc_random_fn rnd, void *userdata,
                             OrtcRtpParameters *ret, char *err, size_t err_size);

/* ---- output ---- */

/* RtpParameters as mediasoup-client reads them (consume's rtpParameters): {mid, codecs,
 * headerExtensions, encodings, rtcp {cname, reducedSize, mux: true}}. New object, NULL on OOM. */
json_object *ortc_rtp_parameters_json(const OrtcRtpParameters *rtp);

/* What recvTransport.consume() takes: {id, producerId, kind, rtpParameters} (the voice API
 * may add members of its own). New object, NULL on OOM. */
json_object *ortc_consume_options_json(const char *id, const char *producer_id, OrtcKind kind,
                                       const OrtcRtpParameters *rtp);

/* The proto messages, every part (strings too) allocated in a; -ENOMEM. Codec parameters become
 * one fmtp string "k=v;k=v". */
int ortc_rtp_parameters_proto(Arena *a, const OrtcRtpParameters *rtp,
                              Hype__SignalMedia__RtpParameters **ret);
int ortc_rtp_mapping_proto(Arena *a, const OrtcRtpMapping *mapping,
                           Hype__SignalMedia__RtpMapping **ret);
