/* sfu-steps: one subscriber's renegotiation in four offers of hype-sdp-sfu, shared by sdp-tool
 * (which real peers answer, making the *-answer-sfu-offer-<n>.sdp fixtures) and the unit tests
 * (which read those answers). Step 1: user A's audio and video; 2: A's audio gone (its section,
 * the BUNDLE tag, stays inactive), B's video added; 3: B's video gone (rejected), C's audio
 * added; 4: D's video added, recycling the section B's video left. */
#pragma once

#include "hype-sdp-sfu.h"

static const SdpCandidate sfu_candidate = {"1",         1,     "udp",  2130706431,
                                           "10.77.0.1", 40000, "host", NULL};
static const SdpLocal sfu_local = {
    "hypeSfu1",
    "hypeSfuPasswordOf24Chars",
    "sha-256",
    "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:"
    "19:08",
    &sfu_candidate,
    1,
    7123456789,
    1};

#define SFU_STEPS 4

/* The offer of step (1 to SFU_STEPS), made from the offers of the steps before it. */
static int sfu_offer_step(Arena *a, int step, Sdp **ret, char *err, size_t errlen) {
    static char *fb[] = {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"};
    static const SdpCodec opus = {111, "opus", 48000, 2, "minptime=10;useinbandfec=1", NULL, 0};
    static const SdpCodec vp8 = {96, "VP8", 90000, 0, NULL, fb, 5};
    static const SdpExtmap audio_ext[] = {{1, 0, SDP_URI_MID, NULL},
                                          {4, 0, SDP_URI_AUDIO_LEVEL, NULL}};
    static const SdpExtmap video_ext[] = {{1, 0, SDP_URI_MID, NULL},
                                          {2, 0, SDP_URI_ABS_SEND_TIME, NULL}};
    const SdpSendStream a_audio = {
        SDP_MEDIA_AUDIO, "userA trackA1", "cnameA", 1001, 0, &opus, 0, audio_ext, 2};
    const SdpSendStream a_video = {
        SDP_MEDIA_VIDEO, "userA trackA2", "cnameA", 1002, 1003, &vp8, 97, video_ext, 2};
    const SdpSendStream b_video = {
        SDP_MEDIA_VIDEO, "userB trackB1", "cnameB", 2001, 2002, &vp8, 97, video_ext, 2};
    const SdpSendStream c_audio = {
        SDP_MEDIA_AUDIO, "userC trackC1", "cnameC", 3001, 0, &opus, 0, audio_ext, 2};
    const SdpSendStream d_video = {
        SDP_MEDIA_VIDEO, "userD trackD1", "cnameD", 4001, 4002, &vp8, 97, video_ext, 2};
    const SdpSendStream steps[SFU_STEPS][3] = {
        {a_audio, a_video}, {a_video, b_video}, {a_video, c_audio}, {a_video, c_audio, d_video}};
    static const size_t counts[SFU_STEPS] = {2, 2, 2, 3};
    Sdp *sdp = NULL;
    for (int i = 0; i < step; i++) {
        int r = sdp_sfu_offer(a, sdp, steps[i], counts[i], &sfu_local, &sdp, err, errlen);
        if (r < 0)
            return r;
    }
    *ret = sdp;
    return 0;
}
