/* fuzz-sdp: the SDP parser on arbitrary text. What parses must generate and parse back equal
 * (sdp_equal), and the SFU's answer to it and its next offer after it (as if it were the
 * previous one) must generate and parse back too. */
#include <stdint.h>
#include <stdlib.h>

#include "hype-sdp-sfu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const SdpCandidate candidate = {"1", 1, "udp", 2130706431, "10.0.0.1", 40000, "host", NULL};
static const SdpLocal local = {
    "ufrag", "passwordpasswordpassword", "sha-256", "AB:CD", &candidate, 1, 1, 1};

/* sdp must come back from its text unchanged; a parsed description always generates, unless LF
 * line ends becoming CRLF take it over SDP_MAX_SIZE. */
static void round_trip(Arena *a, const Sdp *sdp, size_t input_size) {
    char err[SDP_ERROR_MAX], *text;
    size_t len;
    Sdp *back;
    int r = sdp_generate(a, sdp, &text, &len, err, sizeof(err));
    if (r == -E2BIG && input_size > SDP_MAX_SIZE / 2)
        return;
    if (r < 0 || sdp_parse(a, text, len, &back, err, sizeof(err)) < 0 || !sdp_equal(sdp, back))
        abort();
}

/* The lookups the SFU makes on a client's description. */
static void look_up(const Sdp *sdp) {
    SdpTransport t;
    uint32_t u;
    for (size_t i = 0; i < sdp->n_media; i++) {
        const SdpMedia *m = &sdp->media[i];
        sdp_media_transport(sdp, m, &t);
        for (size_t j = 0; j < m->n_codecs; j++)
            sdp_fmtp_get_uint(m->codecs[j].fmtp, "apt", &u);
        for (size_t j = 0; j < m->n_ssrcs; j++)
            sdp_rtx_ssrc(m, m->ssrcs[j].ssrc, &u);
        sdp_extmap_id(m, SDP_URI_MID);
    }
    sdp_remote_transport(sdp, sdp, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Arena *a = arena_new();
    Sdp *sdp, *answer, *offer;
    char err[SDP_ERROR_MAX];
    if (!a)
        return 0;
    if (sdp_parse(a, (const char *)data, size, &sdp, err, sizeof(err)) == 0) {
        round_trip(a, sdp, size);
        look_up(sdp);
        if (sdp_sfu_answer(a, sdp, &local, &sdp_sfu_capabilities, &answer, err, sizeof(err)) == 0)
            round_trip(a, answer, 0);
        SdpCodec opus = {111, "opus", 48000, 2, NULL, NULL, 0};
        SdpSendStream stream = {SDP_MEDIA_AUDIO, "s t", "c", 1, 2, &opus, 96, NULL, 0};
        if (sdp->n_media && sdp->media[0].n_msids)
            stream.msid = sdp->media[0].msids[0]; /* keeps a section, whatever its mid */
        if (sdp_sfu_offer(a, sdp, &stream, 1, &local, &offer, err, sizeof(err)) == 0)
            round_trip(a, offer, 0);
    }
    arena_free(a);
    return 0;
}
