/* hype-sdp-sfu: the SFU's side of SDP negotiation: its answers to clients' offers to publish and
 * its offers of streams to subscribers, renegotiated as streams come and go; pure, no I/O. */
#include "hype-sdp-sfu.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hype-macro.h"

static bool str_eq(const char *x, const char *y) {
    return x == y || (x && y && strcmp(x, y) == 0);
}

static const char *const video_feedback[] = {"nack",      "nack pli",     "ccm fir",
                                             "goog-remb", "transport-cc", NULL};
static const char *const audio_feedback[] = {"transport-cc", NULL};
static const char *const h264_required[] = {"packetization-mode=1", NULL};

static const SdpCodecCap sfu_codecs[] = {
    {SDP_MEDIA_AUDIO, "opus", 48000, 2, NULL, audio_feedback},
    {SDP_MEDIA_VIDEO, "VP8", 90000, 0, NULL, video_feedback},
    {SDP_MEDIA_VIDEO, "H264", 90000, 0, h264_required, video_feedback},
};

static const SdpExtmapCap sfu_extmaps[] = {
    {SDP_MEDIA_AUDIO, SDP_URI_MID},          {SDP_MEDIA_AUDIO, SDP_URI_ABS_SEND_TIME},
    {SDP_MEDIA_AUDIO, SDP_URI_AUDIO_LEVEL},  {SDP_MEDIA_AUDIO, SDP_URI_TRANSPORT_CC},
    {SDP_MEDIA_VIDEO, SDP_URI_MID},          {SDP_MEDIA_VIDEO, SDP_URI_ABS_SEND_TIME},
    {SDP_MEDIA_VIDEO, SDP_URI_TRANSPORT_CC},
};

const SdpCapabilities sdp_sfu_capabilities = {sfu_codecs, ELEMENTSOF(sfu_codecs), sfu_extmaps,
                                              ELEMENTSOF(sfu_extmaps)};

/* Strings are copied into the arena (literals are used as they are); a failed copy is
 * remembered and reported once at the end. */
typedef struct Builder {
    Arena *arena;
    bool oom;
    char *err;
    size_t errlen;
} Builder;

static char *copy(Builder *b, const char *s) {
    char *c = s ? arena_strdup(b->arena, s) : NULL;
    b->oom |= s && !c;
    return c;
}

static int build_error(Builder *b, int r, const char *fmt, ...) _printf_(3, 4);
static int build_error(Builder *b, int r, const char *fmt, ...) {
    if (b->err && b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* The result, once every step has succeeded: -ENOMEM when a copy failed on the way. */
static int finish(Builder *b, Sdp *sdp, Sdp **ret) {
    if (b->oom)
        return -ENOMEM;
    *ret = sdp;
    return 0;
}

static int check_local(Builder *b, const SdpLocal *local) {
    if (!local->ice_ufrag || !local->ice_pwd || !local->fingerprint_algorithm ||
        !local->fingerprint)
        return build_error(b, -EINVAL, "local: ICE credentials and a fingerprint are required");
    if (local->n_candidates > SDP_MAX_CANDIDATES)
        return build_error(b, -E2BIG, "local: more than %d candidates (SDP_MAX_CANDIDATES)",
                           SDP_MAX_CANDIDATES);
    return 0;
}

static Sdp *new_session(Builder *b, const SdpLocal *local, uint64_t version) {
    Sdp *sdp = arena_zalloc(b->arena, sizeof(*sdp));
    if (!sdp)
        return NULL;
    sdp->origin = (SdpOrigin){"-", local->session_id, version, "IN IP4 0.0.0.0"};
    sdp->name = "-";
    sdp->timing = "0 0";
    sdp->ice_lite = true;
    sdp->msid_semantic = "WMS *";
    return sdp;
}

static int add_candidate(Builder *b, SdpMedia *m, const SdpCandidate *from) {
    SdpCandidate *c = SDP_PUSH(b->arena, &m->candidates, &m->n_candidates);
    if (!c)
        return -ENOMEM;
    *c = (SdpCandidate){
        copy(b, from->foundation), from->component, copy(b, from->transport), from->priority,
        copy(b, from->address),    from->port,      copy(b, from->type),      copy(b, from->rest)};
    return 0;
}

/* ICE-lite credentials, the fingerprint and the DTLS role. */
static int add_credentials(Builder *b, SdpMedia *m, const SdpLocal *local, SdpSetup setup) {
    SdpTransport *t = &m->transport;
    SdpFingerprint *f = SDP_PUSH(b->arena, &t->fingerprints, &t->n_fingerprints);
    if (!f)
        return -ENOMEM;
    *f = (SdpFingerprint){copy(b, local->fingerprint_algorithm), copy(b, local->fingerprint)};
    t->ice_ufrag = copy(b, local->ice_ufrag);
    t->ice_pwd = copy(b, local->ice_pwd);
    t->setup = setup;
    return 0;
}

/* The credentials, the candidates (the first in m= and c=), rtcp-mux. */
static int add_local_transport(Builder *b, SdpMedia *m, const SdpLocal *local, SdpSetup setup) {
    const SdpCandidate *first = local->n_candidates ? &local->candidates[0] : NULL;
    const char *address = first ? first->address : "0.0.0.0";
    m->port = first ? first->port : 9;
    m->connection =
        arena_printf(b->arena, "IN %s %s", strchr(address, ':') ? "IP6" : "IP4", address);
    b->oom |= !m->connection;
    m->rtcp_mux = true;
    m->end_of_candidates = true;
    for (size_t i = 0; i < local->n_candidates; i++)
        if (add_candidate(b, m, &local->candidates[i]) < 0)
            return -ENOMEM;
    return add_credentials(b, m, local, setup);
}

static bool listed(const char *const *list, const char *s) {
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* A copy of codec in m, with the feedback feedback lists (all of it when feedback is NULL). */
static int add_codec(Builder *b, SdpMedia *m, const SdpCodec *from, const char *const *feedback) {
    SdpCodec *c = SDP_PUSH(b->arena, &m->codecs, &m->n_codecs);
    if (!c)
        return -ENOMEM;
    *c = (SdpCodec){.pt = from->pt,
                    .name = copy(b, from->name),
                    .clock_rate = from->clock_rate,
                    .channels = from->channels,
                    .fmtp = copy(b, from->fmtp)};
    for (size_t i = 0; i < from->n_rtcp_fb; i++) {
        if (feedback && !listed(feedback, from->rtcp_fb[i]))
            continue;
        char **slot = SDP_PUSH(b->arena, &c->rtcp_fb, &c->n_rtcp_fb);
        if (!slot)
            return -ENOMEM;
        *slot = copy(b, from->rtcp_fb[i]);
    }
    return 0;
}

static int add_extmap(Builder *b, SdpMedia *m, const SdpExtmap *from) {
    SdpExtmap *e = SDP_PUSH(b->arena, &m->extmaps, &m->n_extmaps);
    if (!e)
        return -ENOMEM;
    *e = (SdpExtmap){from->id, from->direction, copy(b, from->uri), copy(b, from->attributes)};
    return 0;
}

/* A section answering or following from: the same media, protocol and mid. */
static SdpMedia *add_like(Builder *b, Sdp *sdp, const SdpMedia *from, SdpDirection direction) {
    SdpMedia *m = SDP_PUSH(b->arena, &sdp->media, &sdp->n_media);
    if (!m)
        return NULL;
    m->kind = from->kind;
    m->other_kind = copy(b, from->other_kind);
    m->protocol = copy(b, from->protocol);
    m->mid = copy(b, from->mid);
    m->direction = direction;
    return m;
}

/* An inactive section like from, with its first format. */
static int add_inactive(Builder *b, Sdp *sdp, const SdpMedia *from, SdpMedia **ret) {
    SdpMedia *m = add_like(b, sdp, from, SDP_INACTIVE);
    if (!m)
        return -ENOMEM;
    m->formats = copy(b, from->formats);
    *ret = m;
    return from->n_codecs ? add_codec(b, m, &from->codecs[0], (const char *const[]){NULL}) : 0;
}

/* A rejected section: port 0, inactive, the same media, protocol and mid, its first format.
 * aiortc 1.4 refuses a description unless every section, rejected or not, has ICE credentials,
 * a DTLS role, rtcp-mux (audio, video) and a codec it knows; mediasoup-client keeps them too. */
static int add_rejected(Builder *b, Sdp *sdp, const SdpMedia *from, const SdpLocal *local,
                        SdpSetup setup) {
    SdpMedia *m;
    int r = add_inactive(b, sdp, from, &m);
    if (r < 0)
        return r;
    m->connection = "IN IP4 0.0.0.0";
    m->rtcp_mux = m->kind == SDP_MEDIA_AUDIO || m->kind == SDP_MEDIA_VIDEO;
    return add_credentials(b, m, local, setup);
}

static int add_mid(Builder *b, SdpGroup *g, char *mid) {
    char **slot = SDP_PUSH(b->arena, &g->mids, &g->n_mids);
    if (!slot)
        return -ENOMEM;
    *slot = mid;
    return 0;
}

/* One BUNDLE group of the mids of the sections not rejected, none when all are; tag (when still
 * active) stays first, so that a new offer does not move the bundle to another section. */
static int add_bundle(Builder *b, Sdp *sdp, const char *tag) {
    const SdpMedia *tagged = sdp_find_mid(sdp, tag);
    SdpGroup *g = NULL;
    int r = 0;
    for (size_t i = 0; i < sdp->n_media && r == 0; i++) {
        if (!sdp->media[i].port)
            continue;
        if (!g && !(g = SDP_PUSH(b->arena, &sdp->groups, &sdp->n_groups)))
            return -ENOMEM;
        g->semantics = "BUNDLE";
        if (g->n_mids == 0 && tagged && tagged->port)
            r = add_mid(b, g, tagged->mid);
        if (r == 0 && &sdp->media[i] != tagged)
            r = add_mid(b, g, sdp->media[i].mid);
    }
    return r;
}

static bool codec_matches(const SdpCodec *c, SdpMediaKind kind, const SdpCodecCap *cap) {
    uint8_t channels = c->channels ? c->channels : kind == SDP_MEDIA_AUDIO ? 1 : 0;
    if (cap->kind != kind || !c->name || strcasecmp(c->name, cap->name) != 0 ||
        c->clock_rate != cap->clock_rate || channels != cap->channels)
        return false;
    for (const char *const *req = cap->fmtp_required; req && *req; req++) {
        const char *eq = strchr(*req, '='), *value;
        size_t n;
        char key[64];
        snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - *req) : 0, *req);
        if (!eq || sdp_fmtp_find(c->fmtp, key, &value, &n) < 0 || strlen(eq + 1) != n ||
            strncmp(value, eq + 1, n) != 0)
            return false;
    }
    return true;
}

/* The offered codec the SFU prefers: the first of caps (in its order) the offer has. */
static const SdpCodec *choose_codec(const SdpMedia *m, const SdpCapabilities *caps,
                                    const SdpCodecCap **ret_cap) {
    for (size_t i = 0; i < caps->n_codecs; i++)
        for (size_t j = 0; j < m->n_codecs; j++)
            if (codec_matches(&m->codecs[j], m->kind, &caps->codecs[i])) {
                *ret_cap = &caps->codecs[i];
                return &m->codecs[j];
            }
    return NULL;
}

/* The rtx payload type the offer pairs with pt (a=fmtp:<rtx> apt=<pt>). */
static const SdpCodec *find_rtx(const SdpMedia *m, uint8_t pt) {
    for (size_t i = 0; i < m->n_codecs; i++) {
        uint32_t apt;
        const SdpCodec *c = &m->codecs[i];
        if (c->name && strcasecmp(c->name, "rtx") == 0 &&
            sdp_fmtp_get_uint(c->fmtp, "apt", &apt) == 0 && apt == pt)
            return c;
    }
    return NULL;
}

static bool extmap_accepted(const SdpCapabilities *caps, SdpMediaKind kind, const char *uri) {
    for (size_t i = 0; i < caps->n_extmaps; i++)
        if (caps->extmaps[i].kind == kind && str_eq(caps->extmaps[i].uri, uri))
            return true;
    return false;
}

static bool in_group(const SdpGroup *g, const char *mid) {
    for (size_t i = 0; g && mid && i < g->n_mids; i++)
        if (strcmp(g->mids[i], mid) == 0)
            return true;
    return false;
}

/* The SFU only receives on a client's offer: what the client sends, it receives. */
static SdpDirection answer_direction(SdpDirection offered) {
    return offered == SDP_RECVONLY || offered == SDP_INACTIVE ? SDP_INACTIVE : SDP_RECVONLY;
}

/* The codec to accept an offered section with, or NULL when the section is rejected. */
static const SdpCodec *acceptable(const Sdp *offer, const SdpMedia *m, const SdpCapabilities *caps,
                                  const SdpCodecCap **ret_cap) {
    const SdpGroup *bundle = sdp_find_group(offer, "BUNDLE");
    /* One transport per client: sections outside the BUNDLE group would each need their own. */
    bool bundled = bundle ? in_group(bundle, m->mid) : offer->n_media == 1;
    if ((m->kind != SDP_MEDIA_AUDIO && m->kind != SDP_MEDIA_VIDEO) || !m->port || !bundled ||
        !m->rtcp_mux || !strstr(m->protocol, "SAVPF"))
        return NULL;
    return choose_codec(m, caps, ret_cap);
}

static int add_accepted(Builder *b, Sdp *answer, const SdpMedia *o, const SdpCodec *codec,
                        const SdpCodecCap *cap, const SdpCapabilities *caps,
                        const SdpLocal *local) {
    SdpMedia *m = add_like(b, answer, o, answer_direction(o->direction));
    if (!m)
        return -ENOMEM;
    m->rtcp_rsize = o->rtcp_rsize;
    const SdpCodec *rtx = find_rtx(o, codec->pt);
    int r = add_local_transport(b, m, local, SDP_SETUP_PASSIVE);
    if (r < 0 || (r = add_codec(b, m, codec, cap->rtcp_fb)) < 0 ||
        (rtx && (r = add_codec(b, m, rtx, cap->rtcp_fb)) < 0))
        return r;
    for (size_t i = 0; i < o->n_extmaps; i++) {
        const SdpExtmap *e = &o->extmaps[i];
        if (extmap_accepted(caps, o->kind, e->uri) &&
            (r = add_extmap(b, m, &(SdpExtmap){.id = e->id, .uri = e->uri})) < 0)
            return r;
    }
    return 0;
}

/* What the SFU needs of the offer's transport: the credentials of the section the answer's
 * BUNDLE group starts with, and to be the DTLS server. */
static int check_offer_transport(Builder *b, const Sdp *offer, const Sdp *answer) {
    SdpTransport t;
    if (sdp_remote_transport(offer, answer, &t) < 0)
        return 0; /* nothing accepted: no transport */
    if (!t.ice_ufrag || !t.ice_pwd || !t.n_fingerprints)
        return build_error(b, -EINVAL, "the offer has no ICE credentials or no fingerprint");
    if (t.setup == SDP_SETUP_PASSIVE)
        return build_error(b, -EINVAL,
                           "the offer's a=setup:passive would make the SFU the "
                           "DTLS client");
    return 0;
}

int sdp_sfu_answer(Arena *a, const Sdp *offer, const SdpLocal *local, const SdpCapabilities *caps,
                   Sdp **ret, char *err, size_t errlen) {
    Builder b = {.arena = a, .err = err, .errlen = errlen};
    int r = check_local(&b, local);
    if (r < 0)
        return r;
    Sdp *answer = new_session(&b, local, local->session_version);
    if (!answer)
        return -ENOMEM;
    for (size_t i = 0; i < offer->n_media; i++) {
        const SdpMedia *m = &offer->media[i];
        const SdpCodecCap *cap = NULL;
        const SdpCodec *codec = acceptable(offer, m, caps, &cap);
        r = codec ? add_accepted(&b, answer, m, codec, cap, caps, local)
                  : add_rejected(&b, answer, m, local, SDP_SETUP_PASSIVE);
        if (r < 0)
            return r;
    }
    /* An answer has a BUNDLE group only when the offer has one (RFC 8843 §7.3). */
    if (sdp_find_group(offer, "BUNDLE") && (r = add_bundle(&b, answer, NULL)) < 0)
        return r;
    if ((r = check_offer_transport(&b, offer, answer)) < 0)
        return r;
    return finish(&b, answer, ret);
}

static int add_ssrc(Builder *b, SdpMedia *m, uint32_t ssrc, const SdpSendStream *s) {
    SdpSsrc *x = SDP_PUSH(b->arena, &m->ssrcs, &m->n_ssrcs);
    if (!x)
        return -ENOMEM;
    *x = (SdpSsrc){ssrc, copy(b, s->cname), copy(b, s->msid)};
    return 0;
}

/* The rtx payload type, its SSRC and the FID group pairing it with the stream's. */
static int add_rtx(Builder *b, SdpMedia *m, const SdpSendStream *s) {
    char apt[16];
    snprintf(apt, sizeof(apt), "apt=%u", s->codec->pt);
    SdpCodec rtx = {
        .pt = s->rtx_pt, .name = "rtx", .clock_rate = s->codec->clock_rate, .fmtp = apt};
    SdpSsrcGroup *g = SDP_PUSH(b->arena, &m->ssrc_groups, &m->n_ssrc_groups);
    uint32_t *ssrcs = arena_alloc(b->arena, 2 * sizeof(uint32_t));
    if (!g || !ssrcs)
        return -ENOMEM;
    ssrcs[0] = s->ssrc;
    ssrcs[1] = s->rtx_ssrc;
    *g = (SdpSsrcGroup){"FID", ssrcs, 2};
    int r = add_codec(b, m, &rtx, NULL);
    return r < 0 ? r : add_ssrc(b, m, s->rtx_ssrc, s);
}

static int add_stream(Builder *b, Sdp *sdp, const SdpSendStream *s, const char *mid,
                      const SdpLocal *local) {
    SdpMedia *m = SDP_PUSH(b->arena, &sdp->media, &sdp->n_media);
    if (!m)
        return -ENOMEM;
    m->kind = s->kind;
    m->protocol = "UDP/TLS/RTP/SAVPF";
    m->mid = copy(b, mid);
    m->direction = SDP_SENDONLY;
    m->rtcp_rsize = true;
    char **msid = SDP_PUSH(b->arena, &m->msids, &m->n_msids);
    if (!msid)
        return -ENOMEM;
    *msid = copy(b, s->msid);
    /* The offerer says actpass (RFC 8842 §5.2); the client answers active, the SFU serves. */
    int r = add_local_transport(b, m, local, SDP_SETUP_ACTPASS);
    if (r < 0 || (r = add_codec(b, m, s->codec, NULL)) < 0)
        return r;
    for (size_t i = 0; i < s->n_extmaps; i++)
        if ((r = add_extmap(b, m, &s->extmaps[i])) < 0)
            return r;
    if ((r = add_ssrc(b, m, s->ssrc, s)) < 0)
        return r;
    return s->rtx_ssrc ? add_rtx(b, m, s) : 0;
}

/* A mid's value when it is a decimal number, as the SFU's are, else -1. */
static int64_t mid_number(const char *mid) {
    size_t n = mid ? strspn(mid, "0123456789") : 0;
    return n > 0 && n <= 9 && !mid[n] ? strtoll(mid, NULL, 10) : -1;
}

/* The first decimal mid after every mid the session has used. */
static uint64_t next_mid(const Sdp *previous) {
    int64_t next = 0;
    for (size_t i = 0; previous && i < previous->n_media; i++)
        if (mid_number(previous->media[i].mid) >= next)
            next = mid_number(previous->media[i].mid) + 1;
    return (uint64_t)next;
}

/* The unused stream whose msid a still active section of the previous offer carries, or -1. */
static ssize_t find_stream(const SdpMedia *m, const SdpSendStream *streams, size_t n,
                           const bool *used) {
    for (size_t i = 0; m->port && m->n_msids && i < n; i++)
        if (!used[i] && str_eq(streams[i].msid, m->msids[0]))
            return (ssize_t)i;
    return -1;
}

static ssize_t first_unused(const bool *used, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!used[i])
            return (ssize_t)i;
    return -1;
}

static int check_streams(Builder *b, const SdpSendStream *streams, size_t n) {
    if (n > SDP_MAX_MEDIA)
        return build_error(b, -E2BIG, "more than %d m-sections (SDP_MAX_MEDIA)", SDP_MAX_MEDIA);
    for (size_t i = 0; i < n; i++)
        if (!streams[i].codec || !streams[i].msid ||
            (streams[i].kind != SDP_MEDIA_AUDIO && streams[i].kind != SDP_MEDIA_VIDEO))
            return build_error(b, -EINVAL,
                               "stream %zu: an audio or video stream needs a codec "
                               "and an msid",
                               i);
    return 0;
}

/* The section that tags the previous BUNDLE group loses its stream: it stays in the group,
 * inactive, because Chromium tags its answer's group with the first section in m= line order
 * and fails on a recycled one there ("Failed to setup RTCP mux"); mediasoup-client does the same.
 */
static int add_disabled(Builder *b, Sdp *sdp, const SdpMedia *from, const SdpLocal *local) {
    SdpMedia *m;
    int r = add_inactive(b, sdp, from, &m);
    if (r < 0)
        return r;
    m->rtcp_rsize = true;
    return add_local_transport(b, m, local, SDP_SETUP_ACTPASS);
}

/* A section of the previous offer: kept for its stream, disabled, rejected, or recycled for a
 * new stream. */
static const char *new_mid(char number[static 24], uint64_t *next) {
    snprintf(number, 24, "%" PRIu64, (*next)++);
    return number;
}

static int renew_section(Builder *b, Sdp *sdp, const SdpMedia *m, bool tag,
                         const SdpSendStream *streams, size_t n, bool *used, ssize_t match,
                         uint64_t *mid, const SdpLocal *local) {
    char number[24];
    if (match >= 0) /* a section without a mid was not the SFU's: it gets one */
        return add_stream(b, sdp, &streams[match], m->mid ? m->mid : new_mid(number, mid), local);
    if (tag)
        return add_disabled(b, sdp, m, local);
    if (m->port || (match = first_unused(used, n)) < 0)
        return add_rejected(b, sdp, m, local, SDP_SETUP_ACTPASS);
    used[match] = true;
    return add_stream(b, sdp, &streams[match], new_mid(number, mid), local);
}

int sdp_sfu_offer(Arena *a, const Sdp *previous, const SdpSendStream *streams, size_t n_streams,
                  const SdpLocal *local, Sdp **ret, char *err, size_t errlen) {
    Builder b = {.arena = a, .err = err, .errlen = errlen};
    size_t n_previous = previous ? previous->n_media : 0;
    int r = check_local(&b, local);
    if (r < 0 || (r = check_streams(&b, streams, n_streams)) < 0)
        return r;
    Sdp *sdp = new_session(
        &b, local, previous ? previous->origin.session_version + 1 : local->session_version);
    bool *used = arena_zalloc(a, n_streams + 1);
    ssize_t *match = arena_alloc(a, (n_previous + 1) * sizeof(ssize_t));
    if (!sdp || !used || !match)
        return -ENOMEM;
    /* Streams keep their sections before any section is recycled. */
    for (size_t i = 0; i < n_previous; i++)
        if ((match[i] = find_stream(&previous->media[i], streams, n_streams, used)) >= 0)
            used[match[i]] = true;
    uint64_t mid = next_mid(previous);
    const SdpGroup *bundle = previous ? sdp_find_group(previous, "BUNDLE") : NULL;
    const char *tag = bundle && bundle->n_mids ? bundle->mids[0] : NULL;
    for (size_t i = 0; i < n_previous; i++) {
        const SdpMedia *m = &previous->media[i];
        if ((r = renew_section(&b, sdp, m, tag && str_eq(m->mid, tag), streams, n_streams, used,
                               match[i], &mid, local)) < 0)
            return r;
    }
    for (ssize_t i; (i = first_unused(used, n_streams)) >= 0;) {
        char number[24];
        used[i] = true;
        if (sdp->n_media >= SDP_MAX_MEDIA)
            return build_error(&b, -E2BIG, "more than %d m-sections (SDP_MAX_MEDIA)",
                               SDP_MAX_MEDIA);
        if ((r = add_stream(&b, sdp, &streams[i], new_mid(number, &mid), local)) < 0)
            return r;
    }
    r = add_bundle(&b, sdp, tag);
    return r < 0 ? r : finish(&b, sdp, ret);
}
