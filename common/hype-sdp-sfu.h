/* hype-sdp-sfu: the SFU's side of SDP negotiation: its answers to clients' offers to publish and
 * its offers of streams to subscribers, renegotiated as streams come and go; pure, no I/O. */
#pragma once

#include "hype-sdp.h"

/*
 * What the SFU receives and sends: codecs in order of preference and header extensions.
 * A codec matches an offered payload type with the same name (case-insensitively), clock rate
 * and channel count, and every "key=value" of fmtp_required present in its a=fmtp.
 */
typedef struct SdpCodecCap {
    SdpMediaKind kind;
    const char *name; /* "opus", "VP8", "H264" */
    uint32_t clock_rate;
    uint8_t channels;                 /* 0 for video */
    const char *const *fmtp_required; /* NULL-terminated, or NULL */
    const char *const *rtcp_fb;       /* feedback the SFU handles, NULL-terminated */
} SdpCodecCap;

typedef struct SdpExtmapCap {
    SdpMediaKind kind;
    const char *uri;
} SdpExtmapCap;

typedef struct SdpCapabilities {
    const SdpCodecCap *codecs;
    size_t n_codecs;
    const SdpExtmapCap *extmaps;
    size_t n_extmaps;
} SdpCapabilities;

/*
 * What DESIGN §6 asks of the SFU: Opus 48000/2, VP8 and H264 packetization-mode=1 (video in
 * that order of preference, each with rtx), feedback nack, nack pli, ccm fir, goog-remb and
 * transport-cc, and the extensions mid, abs-send-time, ssrc-audio-level and transport-cc.
 */
extern const SdpCapabilities sdp_sfu_capabilities;

/* The SFU's end of one WebRTC transport, as its answers and offers announce it. */
typedef struct SdpLocal {
    const char *ice_ufrag, *ice_pwd;
    const char *fingerprint_algorithm; /* "sha-256" */
    const char *fingerprint;           /* "AB:CD:…" */
    const SdpCandidate *candidates;    /* host candidates; the first one goes in m= and c= */
    size_t n_candidates;
    uint64_t session_id, session_version; /* o= line */
} SdpLocal;

/*
 * The SFU's answer to a client's offer to publish (the SFU receives; it sends nothing there).
 * Every section of the offer gets one, with its mid, in its order:
 *   - an audio or video section in the offer's BUNDLE group (or the only section when there is
 *     no group), with rtcp-mux, a SAVPF protocol and a codec of caps, is accepted: the first
 *     codec of caps (in caps order) the offer has, at the offer's payload type, with the rtx
 *     the offer pairs with it (a=fmtp apt=), the offered feedback caps lists, and the offered
 *     extensions caps lists (same ids); direction recvonly for an offered sendonly or sendrecv,
 *     inactive for recvonly or inactive; rtcp-rsize when offered;
 *   - any other section is rejected: port 0, its mid, its first format, inactive (and, for
 *     aiortc 1.4, which refuses a description otherwise, the credentials and rtcp-mux).
 * Simulcast (a=rid, a=simulcast) is not answered: the client then sends one encoding.
 * The answer is ICE-lite with local's credentials, fingerprint and candidates in every accepted
 * section, a=setup:passive (the SFU is the DTLS server) and one BUNDLE group of the accepted
 * mids when the offer has a group (starting elsewhere when the offer's first is rejected, as for
 * a data channel created before the tracks: Chromium 156 takes that). -EINVAL (err says why)
 * when the offer lacks ICE credentials or a fingerprint for its BUNDLE transport
 * (sdp_remote_transport), or asks the SFU to be the DTLS client (a=setup:passive). Strings are
 * copied into a (or are literals).
 */
int sdp_sfu_answer(Arena *a, const Sdp *offer, const SdpLocal *local, const SdpCapabilities *caps,
                   Sdp **ret, char *err, size_t errlen);

/* One stream the SFU sends to a subscriber: one m-section of the offers it makes to it. */
typedef struct SdpSendStream {
    SdpMediaKind kind; /* audio or video */
    const char *msid;  /* "stream track": what identifies the stream from one offer to the next */
    const char *cname;
    uint32_t ssrc;
    uint32_t rtx_ssrc;     /* 0: no rtx */
    const SdpCodec *codec; /* payload type, name, clock rate, channels, fmtp and rtcp-fb */
    uint8_t rtx_pt;        /* used when rtx_ssrc is set */
    const SdpExtmap *extmaps;
    size_t n_extmaps;
} SdpSendStream;

/*
 * The SFU's offer of streams to a subscriber, given its previous offer (NULL for the first):
 *   - a section of previous whose msid (its first) is a stream's keeps its place and mid;
 *   - the section that tags previous's BUNDLE group, its stream gone, stays in the group,
 *     inactive, without SSRCs (Chromium tags its answers with the first section in m= line
 *     order and fails on a recycled one there; mediasoup-client does the same);
 *   - any other section whose stream is gone is rejected (port 0, inactive, no SSRCs), and one
 *     rejected in previous is recycled for a new stream, with a new mid (RFC 8829 §5.2.2);
 *   - the remaining new streams are appended, in their order.
 * Mids are decimal numbers the session has not used; the o= line keeps local's session id and
 * counts its version up from previous's. Sections are sendonly, a=setup:actpass (the client
 * answers active: the SFU is the DTLS server), ICE-lite, one BUNDLE group of the sections not
 * rejected, previous's tag first. -EINVAL for a stream without a codec or an msid, -E2BIG past
 * SDP_MAX_MEDIA. Strings are copied into a (or are literals). Chromium 156 and aiortc 1.4
 * answer such offers, four steps of one renegotiation (tests/unit/common/sdp/sdp-tool.c).
 */
int sdp_sfu_offer(Arena *a, const Sdp *previous, const SdpSendStream *streams, size_t n_streams,
                  const SdpLocal *local, Sdp **ret, char *err, size_t errlen);
