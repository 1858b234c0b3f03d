/* media-router: the worker's routers and their registries; see media-router.h. */
#include "media-router.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hype-log.h"
#include "media-consumer.h"
#include "media-producer.h"
#include "media-rtcp.h"

typedef struct Router Router;
typedef struct Transport Transport;

struct MediaRouters {
    const MediaTransportEnv *env;
    media_router_notify_cb notify;
    void *userdata;
    /* By id (keys point at the objects' own ids); the routers table owns the routers, each
     * router its transports, each transport its producers and consumers. */
    GHashTable *routers, *transports, *producers, *consumers;
    MediaSpeaking speaking;
};

struct Router {
    uint64_t id;
    MediaRouters *m;
    GPtrArray *transports;
};

/* A transport as the router knows it: what it produces and consumes, by SSRC for the packet
 * path (a handful each: a scan beats a table). */
struct Transport {
    uint64_t id;
    Router *router;
    MediaTransport *t;
    GPtrArray *producers, *consumers;
    GSource *close_later; /* it died: it closes from the loop */
};

/* ---- closing, leaves first ---- */

static void consumer_close(MediaRouters *m, MediaConsumer *c) {
    Transport *tp = c->owner;
    g_hash_table_remove(m->consumers, &c->id);
    g_ptr_array_remove_fast(tp->consumers, c);
    g_ptr_array_remove_fast(((MediaProducer *)c->producer)->consumers, c);
    media_consumer_free(c);
}

static void producer_close(MediaRouters *m, MediaProducer *p) {
    Transport *tp = p->owner;
    while (p->consumers->len)
        consumer_close(m, g_ptr_array_index(p->consumers, 0));
    g_hash_table_remove(m->producers, &p->id);
    g_ptr_array_remove_fast(tp->producers, p);
    media_producer_free(p);
}

static void transport_close(MediaRouters *m, Transport *tp) {
    while (tp->producers->len)
        producer_close(m, g_ptr_array_index(tp->producers, 0));
    while (tp->consumers->len)
        consumer_close(m, g_ptr_array_index(tp->consumers, 0));
    g_hash_table_remove(m->transports, &tp->id);
    g_ptr_array_remove_fast(tp->router->transports, tp);
    if (tp->close_later) {
        g_source_destroy(tp->close_later);
        g_source_unref(tp->close_later);
    }
    media_transport_free(tp->t);
    g_ptr_array_unref(tp->producers);
    g_ptr_array_unref(tp->consumers);
    free(tp);
}

static void router_close(MediaRouters *m, Router *r) {
    while (r->transports->len)
        transport_close(m, g_ptr_array_index(r->transports, 0));
    g_ptr_array_unref(r->transports);
    g_hash_table_remove(m->routers, &r->id); /* last: the key is r's */
    free(r);
}

/* ---- packets ---- */

static MediaProducer *find_producer(Transport *tp, uint32_t ssrc) {
    for (guint i = 0; i < tp->producers->len; i++) {
        MediaProducer *p = g_ptr_array_index(tp->producers, i);
        if (p->ssrc == ssrc)
            return p;
    }
    return NULL;
}

static void on_rtp(void *userdata, MediaTransport *t, const uint8_t *buf, const RtpPacket *pkt) {
    Transport *tp = userdata;
    MediaCounters *counters = tp->router->m->env->counters;
    MediaProducer *p = find_producer(tp, pkt->ssrc);
    if (p)
        media_producer_forward(p, buf, pkt, counters);
    else
        counters->dropped_no_route++;
}

static MediaConsumer *find_consumer(Transport *tp, uint32_t ssrc) {
    for (guint i = 0; i < tp->consumers->len; i++) {
        MediaConsumer *c = g_ptr_array_index(tp->consumers, i);
        if (c->ssrc == ssrc)
            return c;
    }
    return NULL;
}

static void on_sender_report(Transport *tp, const uint8_t *buf, size_t len) {
    RtcpSr sr;
    MediaProducer *p;
    if (rtcp_sr_parse(buf, len, &sr) == 0 && (p = find_producer(tp, sr.ssrc)))
        media_producer_on_sr(p, &sr);
}

/* A producer's sender report goes on to its consumers, each as its own; a receiver's PLI or FIR
 * for a consumer's SSRC becomes its producer's (rate limited). Receiver reports are not
 * answered yet: browsers keep sending without them. */
static void on_rtcp(void *userdata, MediaTransport *t, const uint8_t *buf, size_t len) {
    Transport *tp = userdata;
    RtcpIter it;
    RtcpPart part;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_iter_next(&it, &part) > 0) {
        RtcpFb fb;
        uint32_t ssrc;
        uint8_t seq_nr;
        if (part.pt == RTCP_SR) {
            on_sender_report(tp, buf + part.off, part.len);
            continue;
        }
        if (part.pt != RTCP_PSFB || rtcp_fb_parse(buf + part.off, part.len, &fb) < 0)
            continue;
        if (fb.fmt == RTCP_PSFB_PLI)
            ssrc = fb.media_ssrc;
        else if (fb.fmt == RTCP_PSFB_FIR && rtcp_fir_count(&fb) > 0)
            rtcp_fir_get(&fb, 0, &ssrc, &seq_nr);
        else
            continue;
        MediaConsumer *c = find_consumer(tp, ssrc);
        if (c)
            media_producer_request_key_frame(c->producer);
    }
}

/* ---- transport state ---- */

static gboolean on_close_later(gpointer userdata) {
    Transport *tp = userdata;
    transport_close(tp->router->m, tp);
    return G_SOURCE_REMOVE;
}

/* A dead transport closes from the loop: its libraries may be on the stack now. */
static void queue_close(Transport *tp) {
    if (tp->close_later)
        return;
    tp->close_later = g_idle_source_new();
    g_source_set_callback(tp->close_later, on_close_later, tp, NULL);
    g_source_attach(tp->close_later, tp->router->m->env->ctx);
}

static void on_state(void *userdata, MediaTransport *t, MediaIceState ice, MediaDtlsState dtls,
                     bool failed, const char *reason) {
    Transport *tp = userdata;
    MediaRouters *m = tp->router->m;
    Hype__SignalMedia__TransportState st = HYPE__SIGNAL_MEDIA__TRANSPORT_STATE__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    /* The enums run in the same order as the proto's. */
    st.transport_id = tp->id;
    st.ice = (Hype__SignalMedia__TransportState__Ice)(failed ? MEDIA_ICE_CLOSED : ice);
    st.dtls = (Hype__SignalMedia__TransportState__Dtls)dtls;
    st.reason = (char *)(reason ? reason : "");
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_TRANSPORT_STATE;
    env.transport_state = &st;
    log_debug("transport %llu: ice %d dtls %s%s%s", (unsigned long long)tp->id, ice,
              media_dtls_state_name(dtls), reason ? ": " : "", reason ? reason : "");
    if (m->notify)
        m->notify(m->userdata, &env);
    if (failed)
        queue_close(tp);
}

static void on_speaking(void *userdata, MediaProducer *p, bool speaking) {
    MediaRouters *m = userdata;
    Hype__SignalMedia__Speaking sp = HYPE__SIGNAL_MEDIA__SPEAKING__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    sp.producer_id = p->id;
    sp.speaking = speaking;
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_SPEAKING;
    env.speaking = &sp;
    if (m->notify)
        m->notify(m->userdata, &env);
}

static const MediaTransportOps transport_ops = {
    .on_state = on_state,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

/* ---- the registry ---- */

int media_routers_new(const MediaTransportEnv *env, media_router_notify_cb notify, void *userdata,
                      MediaRouters **ret) {
    MediaRouters *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->env = env;
    m->notify = notify;
    m->userdata = userdata;
    m->routers = g_hash_table_new(g_int64_hash, g_int64_equal);
    m->transports = g_hash_table_new(g_int64_hash, g_int64_equal);
    m->producers = g_hash_table_new(g_int64_hash, g_int64_equal);
    m->consumers = g_hash_table_new(g_int64_hash, g_int64_equal);
    m->speaking = (MediaSpeaking){.on_change = on_speaking, .userdata = m};
    media_routers_set_speaking(m, 50, 500);
    *ret = m;
    return 0;
}

static void close_all(MediaRouters *m) {
    GHashTableIter it;
    gpointer key, value;
    for (;;) {
        g_hash_table_iter_init(&it, m->routers);
        if (!g_hash_table_iter_next(&it, &key, &value))
            break;
        router_close(m, value);
    }
}

MediaRouters *media_routers_free(MediaRouters *m) {
    if (!m)
        return NULL;
    close_all(m);
    g_hash_table_unref(m->routers);
    g_hash_table_unref(m->transports);
    g_hash_table_unref(m->producers);
    g_hash_table_unref(m->consumers);
    free(m);
    return NULL;
}

void media_routers_set_speaking(MediaRouters *m, uint8_t threshold, unsigned hold_ms) {
    m->speaking.threshold = threshold;
    m->speaking.hold_us = (uint64_t)hold_ms * 1000;
}

int media_routers_router_create(MediaRouters *m, uint64_t router_id) {
    if (g_hash_table_contains(m->routers, &router_id))
        return -EEXIST;
    Router *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->id = router_id;
    r->m = m;
    r->transports = g_ptr_array_new();
    g_hash_table_insert(m->routers, &r->id, r);
    return 0;
}

int media_routers_router_close(MediaRouters *m, uint64_t router_id) {
    Router *r = g_hash_table_lookup(m->routers, &router_id);
    if (!r)
        return -ENOENT;
    router_close(m, r);
    return 0;
}

static void fill_info(MediaRouters *m, Transport *tp, MediaTransportInfo *info) {
    Hype__SignalMedia__TransportCreateResult res =
        HYPE__SIGNAL_MEDIA__TRANSPORT_CREATE_RESULT__INIT;
    Hype__SignalMedia__IceParameters ice = HYPE__SIGNAL_MEDIA__ICE_PARAMETERS__INIT;
    Hype__SignalMedia__IceCandidate cand = HYPE__SIGNAL_MEDIA__ICE_CANDIDATE__INIT;
    Hype__SignalMedia__DtlsFingerprint fp = HYPE__SIGNAL_MEDIA__DTLS_FINGERPRINT__INIT;
    ice.username_fragment = (char *)media_transport_ufrag(tp->t);
    ice.password = (char *)media_transport_pwd(tp->t);
    ice.ice_lite = true;
    cand.foundation = (char *)"udpcandidate";
    cand.priority = media_transport_priority(tp->t);
    cand.address = (char *)m->env->announced_ip;
    cand.protocol = (char *)"udp";
    cand.port = media_transport_port(tp->t);
    cand.type = (char *)"host";
    fp.algorithm = (char *)"sha-256";
    fp.value = (char *)media_dtls_cert_fingerprint(m->env->cert);
    info->ice = ice;
    info->candidate = cand;
    info->fingerprint = fp;
    info->candidates[0] = &info->candidate;
    info->fingerprints[0] = &info->fingerprint;
    res.ice_parameters = &info->ice;
    res.n_ice_candidates = 1;
    res.ice_candidates = info->candidates;
    res.n_fingerprints = 1;
    res.fingerprints = info->fingerprints;
    info->result = res;
}

int media_routers_transport_create(MediaRouters *m, uint64_t router_id, uint64_t transport_id,
                                   MediaTransportInfo *ret) {
    Router *r = g_hash_table_lookup(m->routers, &router_id);
    if (!r)
        return -ENOENT;
    if (g_hash_table_contains(m->transports, &transport_id))
        return -EEXIST;
    if (m->env->max_transports && g_hash_table_size(m->transports) >= m->env->max_transports)
        return -ENOSPC;
    Transport *tp = calloc(1, sizeof(*tp));
    if (!tp)
        return -ENOMEM;
    tp->id = transport_id;
    tp->router = r;
    int rc = media_transport_new(m->env, &transport_ops, tp, &tp->t);
    if (rc < 0) {
        free(tp);
        return rc;
    }
    tp->producers = g_ptr_array_new();
    tp->consumers = g_ptr_array_new();
    g_ptr_array_add(r->transports, tp);
    g_hash_table_insert(m->transports, &tp->id, tp);
    fill_info(m, tp, ret);
    return 0;
}

int media_routers_transport_connect(MediaRouters *m,
                                    const Hype__SignalMedia__TransportConnect *req) {
    Transport *tp = g_hash_table_lookup(m->transports, &req->transport_id);
    if (!tp)
        return -ENOENT;
    /* We are the DTLS server: a client that insists on being the server cannot connect. */
    if (req->role == HYPE__SIGNAL_MEDIA__DTLS_ROLE__DTLS_ROLE_SERVER)
        return -EINVAL;
    for (size_t i = 0; i < req->n_fingerprints; i++)
        if (strcasecmp(req->fingerprints[i]->algorithm, "sha-256") == 0)
            return media_transport_connect(tp->t, req->fingerprints[i]->value);
    return -EINVAL;
}

int media_routers_transport_close(MediaRouters *m, uint64_t transport_id) {
    Transport *tp = g_hash_table_lookup(m->transports, &transport_id);
    if (!tp)
        return -ENOENT;
    transport_close(m, tp);
    return 0;
}

/* ---- producers and consumers ---- */

int media_routers_produce(MediaRouters *m, const Hype__SignalMedia__Produce *req) {
    Transport *tp = g_hash_table_lookup(m->transports, &req->transport_id);
    MediaProducer *p;
    if (!tp)
        return -ENOENT;
    if (g_hash_table_contains(m->producers, &req->producer_id))
        return -EEXIST;
    int r = media_producer_new(req, tp->t, tp, &m->speaking, &p);
    if (r < 0)
        return r;
    if (find_producer(tp, p->ssrc)) { /* its packets would be another's */
        media_producer_free(p);
        return -EEXIST;
    }
    g_ptr_array_add(tp->producers, p);
    g_hash_table_insert(m->producers, &p->id, p);
    return 0;
}

int media_routers_consume(MediaRouters *m, const Hype__SignalMedia__Consume *req) {
    Transport *tp = g_hash_table_lookup(m->transports, &req->transport_id);
    MediaProducer *p = g_hash_table_lookup(m->producers, &req->producer_id);
    MediaConsumer *c;
    if (!tp || !p)
        return -ENOENT;
    if (g_hash_table_contains(m->consumers, &req->consumer_id))
        return -EEXIST;
    if (tp->router != ((Transport *)p->owner)->router)
        return -EXDEV;
    int r = media_consumer_new(req, &p->stream, p, tp->t, tp, &c);
    if (r < 0)
        return r;
    g_ptr_array_add(tp->consumers, c);
    g_ptr_array_add(p->consumers, c);
    g_hash_table_insert(m->consumers, &c->id, c);
    if (!c->paused) /* its receiver starts from a key frame */
        media_producer_request_key_frame(p);
    return 0;
}

int media_routers_producer_action(MediaRouters *m, uint64_t producer_id,
                                  Hype__SignalMedia__ProducerAction__Action action) {
    MediaProducer *p = g_hash_table_lookup(m->producers, &producer_id);
    if (!p)
        return -ENOENT;
    switch (action) {
    case HYPE__SIGNAL_MEDIA__PRODUCER_ACTION__ACTION__ACTION_PAUSE:
    case HYPE__SIGNAL_MEDIA__PRODUCER_ACTION__ACTION__ACTION_RESUME:
        media_producer_set_paused(p, action ==
                                         HYPE__SIGNAL_MEDIA__PRODUCER_ACTION__ACTION__ACTION_PAUSE);
        return 0;
    case HYPE__SIGNAL_MEDIA__PRODUCER_ACTION__ACTION__ACTION_CLOSE: producer_close(m, p); return 0;
    default: return -EINVAL;
    }
}

int media_routers_consumer_action(MediaRouters *m, uint64_t consumer_id,
                                  Hype__SignalMedia__ConsumerAction__Action action) {
    MediaConsumer *c = g_hash_table_lookup(m->consumers, &consumer_id);
    if (!c)
        return -ENOENT;
    switch (action) {
    case HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__ACTION__ACTION_PAUSE:
        media_consumer_set_paused(c, true);
        return 0;
    case HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__ACTION__ACTION_RESUME:
        if (media_consumer_set_paused(c, false)) /* its receiver goes on from a key frame */
            media_producer_request_key_frame(c->producer);
        return 0;
    case HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__ACTION__ACTION_CLOSE: consumer_close(m, c); return 0;
    case HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__ACTION__ACTION_REQUEST_KEY_FRAME:
        media_producer_request_key_frame(c->producer);
        return 0;
    default: return -EINVAL;
    }
}

void media_routers_load(MediaRouters *m, Hype__SignalMedia__WorkerLoad *load) {
    const MediaCounters *c = m->env->counters;
    load->routers += g_hash_table_size(m->routers);
    load->transports += g_hash_table_size(m->transports);
    load->producers += g_hash_table_size(m->producers);
    load->consumers += g_hash_table_size(m->consumers);
    load->packets_in += c->packets_in;
    load->packets_out += c->packets_out;
    load->bytes_in += c->bytes_in;
    load->bytes_out += c->bytes_out;
    load->dropped_malformed += c->dropped_malformed;
    load->dropped_unauthenticated += c->dropped_unauthenticated;
    load->dropped_srtp += c->dropped_srtp;
    load->dropped_no_route += c->dropped_no_route;
}

/* ---- serving hype-signal ---- */

#define BODY(x) HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_##x

static void reply_errno(IpcCall *call, int r) {
    Hype__Error__Code code = HYPE__ERROR__CODE__CODE_INTERNAL;
    if (r == -ENOENT)
        code = HYPE__ERROR__CODE__CODE_NOT_FOUND;
    else if (r == -EEXIST || r == -EALREADY)
        code = HYPE__ERROR__CODE__CODE_CONFLICT;
    else if (r == -EINVAL || r == -EXDEV)
        code = HYPE__ERROR__CODE__CODE_BAD_REQUEST;
    else if (r == -EADDRINUSE || r == -ENOSPC)
        code = HYPE__ERROR__CODE__CODE_TOO_MANY;
    ipc_serve_reply_error(call, code, strerror(-r));
}

static int dispatch(MediaRouters *m, const Hype__SignalMedia__Envelope *req,
                    MediaTransportInfo *info) {
    switch (req->body_case) {
    case BODY(ROUTER_CREATE): return media_routers_router_create(m, req->router_create->router_id);
    case BODY(ROUTER_CLOSE): return media_routers_router_close(m, req->router_close->router_id);
    case BODY(TRANSPORT_CREATE):
        return media_routers_transport_create(m, req->transport_create->router_id,
                                              req->transport_create->transport_id, info);
    case BODY(TRANSPORT_CONNECT): return media_routers_transport_connect(m, req->transport_connect);
    case BODY(TRANSPORT_CLOSE):
        return media_routers_transport_close(m, req->transport_close->transport_id);
    case BODY(PRODUCE): return media_routers_produce(m, req->produce);
    case BODY(CONSUME): return media_routers_consume(m, req->consume);
    case BODY(PRODUCER_ACTION):
        return media_routers_producer_action(m, req->producer_action->producer_id,
                                             req->producer_action->action);
    case BODY(CONSUMER_ACTION):
        return media_routers_consumer_action(m, req->consumer_action->consumer_id,
                                             req->consumer_action->action);
    default: return -EINVAL;
    }
}

/*
 * Every request X is field n of the Envelope and its XResult field n + 1 (the proto keeps them
 * so; common/hype-ipc-signal-media.c refuses any other pairing, so a slip shows at once). Only
 * TransportCreateResult has fields: the others are answered with an empty message of their type.
 */
static void serve(void *userdata, IpcCall *call, const ProtobufCMessage *request) {
    const Hype__SignalMedia__Envelope *req = (const void *)request;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    MediaTransportInfo info;
    union {
        ProtobufCMessage base;
        uint8_t room[64];
    } empty;
    int r = dispatch(userdata, req, &info);
    if (r < 0) {
        reply_errno(call, r);
        return;
    }
    env.body_case = (Hype__SignalMedia__Envelope__BodyCase)(req->body_case + 1);
    if (req->body_case == BODY(TRANSPORT_CREATE))
        env.transport_create_result = &info.result;
    else {
        const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field(
            &hype__signal_media__envelope__descriptor, env.body_case);
        protobuf_c_message_init(field->descriptor, &empty);
        /* The oneof's members share one pointer: any member's name sets it. */
        env.router_create_result = (void *)&empty;
    }
    ipc_serve_reply(call, &env.base);
}

static void on_load(void *userdata, Hype__SignalMedia__WorkerLoad *load) {
    media_routers_load(userdata, load);
}

/* hype-signal is gone (or the worker stops): what it placed here closes; it will place anew. */
static void on_drop(void *userdata) {
    close_all(userdata);
}

int media_routers_serve(MediaRouters *m, MediaLink *link) {
    static const Hype__SignalMedia__Envelope__BodyCase bodies[] = {
        BODY(ROUTER_CREATE),     BODY(ROUTER_CLOSE),    BODY(TRANSPORT_CREATE),
        BODY(TRANSPORT_CONNECT), BODY(TRANSPORT_CLOSE), BODY(PRODUCE),
        BODY(CONSUME),           BODY(PRODUCER_ACTION), BODY(CONSUMER_ACTION),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bodies); i++) {
        int r = media_link_serve(link, bodies[i], serve, m);
        if (r < 0)
            return r;
    }
    int r = media_link_on_load(link, on_load, m);
    return r < 0 ? r : media_link_on_drop(link, on_drop, m);
}
