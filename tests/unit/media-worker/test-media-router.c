/* Component test of media-worker's routers and WebRTC transports, with real libraries and no
 * mocks, in one process on one GMainContext, on 127.0.0.1 only: the worker's side (media-router,
 * media-transport: ICE-lite, DTLS server, SRTP) against clients made of a full (controlling)
 * libnice agent, a gnutls DTLS client with its own certificate (media-dtls in its client role)
 * and libsrtp2. Each wait is bounded (5 s); the test stops by itself. */
#include <agent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hype-ipc-server.h"
#include "hype-log.h"
#include "loop-wait-glib.h"
#include "media-demux.h"
#include "media-dtls.h"
#include "media-router.h"
#include "media-rtcp.h"
#include "media-rtp.h"
#include "media-srtp.h"
#include "test.h"

#define RECV_MAX 64

typedef struct Client {
    GMainContext *ctx;
    NiceAgent *agent;
    guint stream;
    MediaDtlsCert *cert;
    MediaDtls *dtls;
    MediaSrtp *srtp;
    int connected, failed;
    /* What arrived: RTP headers and payloads, and key frame requests. */
    int rtp;
    RtpPacket got[RECV_MAX];
    char payload[RECV_MAX][32];
    int plis, srs, rrs;
    uint32_t pli_ssrc;
    RtcpSr sr; /* the last sender report */
    RtcpRr rr; /* the last receiver report */
    uint8_t buf[2048];
} Client;

typedef struct Fixture {
    GMainContext *ctx;
    GMainLoop *loop;
    MediaDtlsCert *cert;
    MediaCounters counters;
    MediaTransportEnv env;
    MediaRouters *m;
    int states, failures;
    Hype__SignalMedia__TransportState__Dtls last_dtls;
    uint64_t last_failed;
    int speaking_changes;
    bool speaking;
    uint64_t speaking_producer;
} Fixture;

/* ---- the worker's side ---- */

static void on_notify(void *userdata, Hype__SignalMedia__Envelope *env) {
    Fixture *f = userdata;
    Hype__SignalMedia__TransportState *st = env->transport_state;
    if (env->body_case == HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_SPEAKING) {
        f->speaking_changes++;
        f->speaking = env->speaking->speaking;
        f->speaking_producer = env->speaking->producer_id;
        return;
    }
    f->states++;
    f->last_dtls = st->dtls;
    if (st->ice == HYPE__SIGNAL_MEDIA__TRANSPORT_STATE__ICE__ICE_CLOSED) {
        f->failures++;
        f->last_failed = st->transport_id;
    }
}

static void fixture_init(Fixture *f, unsigned timeout_ms) {
    memset(f, 0, sizeof(*f));
    f->ctx = g_main_context_new();
    f->loop = g_main_loop_new(f->ctx, FALSE);
    g_main_context_push_thread_default(f->ctx);
    if (media_dtls_cert_new(&f->cert) < 0)
        abort();
    f->env = (MediaTransportEnv){.ctx = f->ctx,
                                 .bind_address = "127.0.0.1",
                                 .announced_ip = "127.0.0.1",
                                 .min_port = 42000,
                                 .max_port = 42999,
                                 .cert = f->cert,
                                 .connect_timeout_ms = timeout_ms,
                                 .counters = &f->counters};
    if (media_routers_new(&f->env, on_notify, f, &f->m) < 0)
        abort();
}

static void fixture_done(Fixture *f) {
    f->m = media_routers_free(f->m);
    /* Let the deferred frees (libnice agents) run. */
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    media_dtls_cert_free(f->cert);
    g_main_context_pop_thread_default(f->ctx);
    g_main_loop_unref(f->loop);
    g_main_context_unref(f->ctx);
}

static bool wait_for(Fixture *f, int *counter, int target) {
    return loop_wait_glib(f->ctx, f->loop, NULL, counter, target);
}

/* Runs the loop until the worker has read target datagrams in all (5 s at most). */
static bool wait_worker_total(Fixture *f, uint64_t target) {
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (f->counters.packets_in < target && g_get_monotonic_time() < deadline)
        g_main_context_iteration(f->ctx, FALSE);
    return f->counters.packets_in >= target;
}

/* The same for n more than now. */
static bool wait_worker_reads(Fixture *f, uint64_t n) {
    return wait_worker_total(f, f->counters.packets_in + n);
}

/* ---- the client's side ---- */

static void client_send(void *userdata, const uint8_t *buf, size_t len) {
    Client *c = userdata;
    nice_agent_send(c->agent, c->stream, 1, (guint)len, (const gchar *)buf);
}

static void client_dtls_state(void *userdata, MediaDtlsState state, const char *reason) {
    Client *c = userdata;
    if (state == MEDIA_DTLS_CONNECTED) {
        uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN], remote[MEDIA_DTLS_SRTP_KEY_LEN];
        media_dtls_srtp_keys(c->dtls, local, remote);
        if (media_srtp_new(local, remote, &c->srtp) == 0)
            c->connected++;
    } else if (state == MEDIA_DTLS_FAILED || state == MEDIA_DTLS_CLOSED)
        c->failed++;
}

static const MediaDtlsOps client_dtls_ops = {.send = client_send, .on_state = client_dtls_state};

static void client_rtcp(Client *c, size_t len) {
    RtcpIter it;
    RtcpPart part;
    rtcp_iter_init(&it, c->buf, len);
    while (rtcp_iter_next(&it, &part) > 0) {
        RtcpFb fb;
        if (part.pt == RTCP_SR && rtcp_sr_parse(c->buf + part.off, part.len, &c->sr) == 0)
            c->srs++;
        if (part.pt == RTCP_RR && rtcp_rr_parse(c->buf + part.off, part.len, &c->rr) == 0)
            c->rrs++;
        if (part.pt == RTCP_PSFB && rtcp_fb_parse(c->buf + part.off, part.len, &fb) == 0 &&
            fb.fmt == RTCP_PSFB_PLI) {
            c->plis++;
            c->pli_ssrc = fb.media_ssrc;
        }
    }
}

static void client_rtp(Client *c, size_t len) {
    RtpPacket p;
    if (rtp_parse(c->buf, len, &p) < 0 || c->rtp >= RECV_MAX)
        return;
    c->got[c->rtp] = p;
    snprintf(c->payload[c->rtp], sizeof(c->payload[0]), "%.*s", (int)p.payload_len,
             (const char *)c->buf + p.payload_off);
    c->rtp++;
}

static void client_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *data,
                        gpointer userdata) {
    Client *c = userdata;
    DemuxKind kind = demux_classify((const uint8_t *)data, len);
    size_t n = len;
    if (kind == DEMUX_DTLS) {
        media_dtls_feed(c->dtls, (const uint8_t *)data, len);
        return;
    }
    if (!c->srtp || len > sizeof(c->buf))
        return;
    memcpy(c->buf, data, len);
    if (kind == DEMUX_RTCP && media_srtp_unprotect_rtcp(c->srtp, c->buf, &n) == 0)
        client_rtcp(c, n);
    else if (kind == DEMUX_RTP && media_srtp_unprotect(c->srtp, c->buf, &n) == 0)
        client_rtp(c, n);
}

/* ICE completed on the client's side: it starts the handshake. */
static void client_ice_state(NiceAgent *agent, guint stream, guint component, guint state,
                             gpointer userdata) {
    Client *c = userdata;
    if (state == NICE_COMPONENT_STATE_READY)
        media_dtls_start(c->dtls);
}

static void client_init(Client *c, Fixture *f) {
    memset(c, 0, sizeof(*c));
    c->ctx = f->ctx;
    if (media_dtls_cert_new(&c->cert) < 0 ||
        media_dtls_new(c->cert, false, f->ctx, &client_dtls_ops, c, &c->dtls) < 0)
        abort();
}

/* Clients nominate aggressively (USE-CANDIDATE on every check) unless this is set: then as
 * browsers do, checks first and a nomination after. */
static bool regular_nomination;

/* Starts ICE towards the worker's transport (its answer to TransportCreate). */
static void client_start(Client *c, const MediaTransportInfo *info) {
    NiceAddress addr;
    c->agent = nice_agent_new_full(c->ctx, NICE_COMPATIBILITY_RFC5245,
                                   regular_nomination ? NICE_AGENT_OPTION_REGULAR_NOMINATION : 0);
    g_object_set(c->agent, "upnp", FALSE, "ice-tcp", FALSE, "controlling-mode", TRUE, NULL);
    g_signal_connect(c->agent, "component-state-changed", G_CALLBACK(client_ice_state), c);
    nice_address_set_from_string(&addr, "127.0.0.1");
    nice_agent_add_local_address(c->agent, &addr);
    c->stream = nice_agent_add_stream(c->agent, 1);
    nice_agent_attach_recv(c->agent, c->stream, 1, c->ctx, client_recv, c);
    nice_agent_gather_candidates(c->agent, c->stream);
    media_dtls_set_remote_fingerprint(c->dtls, info->fingerprint.value);
    nice_agent_set_remote_credentials(c->agent, c->stream, info->ice.username_fragment,
                                      info->ice.password);
    NiceCandidate *cand = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
    cand->stream_id = c->stream;
    cand->component_id = 1;
    cand->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    cand->priority = info->candidate.priority;
    g_strlcpy(cand->foundation, "1", sizeof(cand->foundation));
    nice_address_set_from_string(&cand->addr, info->candidate.address);
    nice_address_set_port(&cand->addr, info->candidate.port);
    GSList *list = g_slist_append(NULL, cand);
    nice_agent_set_remote_candidates(c->agent, c->stream, 1, list);
    g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static void client_done(Client *c) {
    c->srtp = media_srtp_free(c->srtp);
    c->dtls = media_dtls_free(c->dtls);
    if (c->agent) {
        nice_agent_attach_recv(c->agent, c->stream, 1, c->ctx, NULL, NULL);
        g_object_unref(c->agent);
    }
    c->cert = media_dtls_cert_free(c->cert);
}

/* An RTP packet with a one-byte mid extension (id 4, "a") and a text payload, protected and
 * sent. */
static void client_send_rtp(Client *c, uint8_t pt, uint32_t ssrc, uint16_t seq, uint32_t ts,
                            const char *text) {
    uint8_t pkt[256] = {0x90, pt, (uint8_t)(seq >> 8), (uint8_t)seq, (uint8_t)(ts >> 24),
                        (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts, (uint8_t)(ssrc >> 24),
                        (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc,
                        /* extension: 0xBEDE, one word: id 4 len 1 "a", padding */
                        0xbe, 0xde, 0x00, 0x01, 0x40, 'a', 0, 0};
    size_t len = 20, n = strnlen(text, sizeof(pkt) - 20 - MEDIA_SRTP_TRAILER);
    memcpy(pkt + len, text, n);
    len += n;
    if (media_srtp_protect(c->srtp, pkt, &len) == 0)
        nice_agent_send(c->agent, c->stream, 1, (guint)len, (const gchar *)pkt);
}

/* ---- requests, as hype-signal would send them ---- */

/* One VP8 stream's parameters (one codec, one encoding, the mid extension), in one place. */
typedef struct Params {
    Hype__SignalMedia__RtpParameters rp;
    Hype__SignalMedia__RtpCodec codec, *codecs[1];
    Hype__SignalMedia__RtpEncoding enc, *encs[1];
    Hype__SignalMedia__RtpHeaderExtension ext, *exts[1];
} Params;

static Hype__SignalMedia__RtpParameters *make_params(Params *p, uint32_t pt, uint32_t ssrc,
                                                     uint32_t ext_id, const char *mid) {
    hype__signal_media__rtp_parameters__init(&p->rp);
    hype__signal_media__rtp_codec__init(&p->codec);
    hype__signal_media__rtp_encoding__init(&p->enc);
    hype__signal_media__rtp_header_extension__init(&p->ext);
    p->codec.mime_type = (char *)"video/VP8";
    p->codec.payload_type = pt;
    p->codec.clock_rate = 90000;
    p->enc.ssrc = ssrc;
    p->ext.uri = (char *)"urn:ietf:params:rtp-hdrext:sdes:mid";
    p->ext.id = ext_id;
    p->codecs[0] = &p->codec;
    p->encs[0] = &p->enc;
    p->exts[0] = &p->ext;
    p->rp.mid = (char *)mid;
    p->rp.n_codecs = 1;
    p->rp.codecs = p->codecs;
    p->rp.n_encodings = 1;
    p->rp.encodings = p->encs;
    p->rp.n_header_extensions = 1;
    p->rp.header_extensions = p->exts;
    return &p->rp;
}

static int connect_transport(Fixture *f, uint64_t id, const char *fingerprint) {
    Hype__SignalMedia__TransportConnect req = HYPE__SIGNAL_MEDIA__TRANSPORT_CONNECT__INIT;
    Hype__SignalMedia__DtlsFingerprint fp = HYPE__SIGNAL_MEDIA__DTLS_FINGERPRINT__INIT;
    Hype__SignalMedia__DtlsFingerprint *fps[1] = {&fp};
    fp.algorithm = (char *)"sha-256";
    fp.value = (char *)fingerprint;
    req.transport_id = id;
    req.n_fingerprints = 1;
    req.fingerprints = fps;
    req.role = HYPE__SIGNAL_MEDIA__DTLS_ROLE__DTLS_ROLE_CLIENT;
    return media_routers_transport_connect(f->m, &req);
}

static int produce(Fixture *f, uint64_t transport, uint64_t id, uint32_t ssrc) {
    Hype__SignalMedia__Produce req = HYPE__SIGNAL_MEDIA__PRODUCE__INIT;
    Params params;
    req.transport_id = transport;
    req.producer_id = id;
    req.kind = HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_VIDEO;
    req.rtp_parameters = make_params(&params, 96, ssrc, 4, "a");
    return media_routers_produce(f->m, &req);
}

static int consume(Fixture *f, uint64_t transport, uint64_t id, uint64_t producer, uint32_t ssrc) {
    Hype__SignalMedia__Consume req = HYPE__SIGNAL_MEDIA__CONSUME__INIT;
    Params params;
    req.transport_id = transport;
    req.consumer_id = id;
    req.producer_id = producer;
    req.kind = HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_VIDEO;
    req.rtp_parameters = make_params(&params, 101, ssrc, 1, "0");
    req.paused = true;
    return media_routers_consume(f->m, &req);
}

#define CONSUMER(action) HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__ACTION__ACTION_##action

/* A dead transport is closed by the worker itself, from the loop: whether it went (gone when
 * hype-signal asks to close it). */
static bool closed_by_worker(Fixture *f, uint64_t id) {
    for (int spins = 0; spins < 100; spins++) {
        if (media_routers_transport_close(f->m, id) == -ENOENT)
            return true;
        g_main_context_iteration(f->ctx, FALSE);
    }
    return false;
}

/* ---- tests ---- */

/* Router 1 with transports 10 (a's) and 11 (b's), both connected: ICE and DTLS complete. */
static bool start_pair(Fixture *f, Client *a, Client *b, MediaTransportInfo *ia,
                       MediaTransportInfo *ib) {
    client_init(a, f);
    client_init(b, f);
    if (media_routers_router_create(f->m, 1) < 0 ||
        media_routers_transport_create(f->m, 1, 10, ia) < 0 ||
        media_routers_transport_create(f->m, 1, 11, ib) < 0 ||
        connect_transport(f, 10, media_dtls_cert_fingerprint(a->cert)) < 0 ||
        connect_transport(f, 11, media_dtls_cert_fingerprint(b->cert)) < 0)
        return false;
    client_start(a, ia);
    client_start(b, ib);
    return wait_for(f, &a->connected, 1) && wait_for(f, &b->connected, 1);
}

TEST(two_clients_exchange_rtp_through_a_router) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    char text[32];
    fixture_init(&f, 5000);
    ASSERT_TRUE(start_pair(&f, &a, &b, &ia, &ib));
    ASSERT_EQ(media_routers_router_create(f.m, 1), -EEXIST);
    ASSERT_EQ(media_routers_transport_create(f.m, 2, 12, &ib), -ENOENT);
    ASSERT_TRUE(ia.ice.ice_lite);
    ASSERT_STREQ(ia.candidate.address, "127.0.0.1");
    ASSERT_NE(ia.candidate.port, ib.candidate.port);
    ASSERT_EQ(connect_transport(&f, 11, media_dtls_cert_fingerprint(b.cert)), -EALREADY);
    ASSERT_EQ(f.failures, 0);

    ASSERT_EQ(produce(&f, 10, 100, 1111), 0);
    ASSERT_EQ(consume(&f, 11, 200, 100, 2222), 0);
    ASSERT_EQ(consume(&f, 11, 200, 100, 2222), -EEXIST);

    /* Paused: nothing arrives. Resumed: a PLI reaches the producer's client, for its SSRC. */
    for (int i = 0; i < 5; i++)
        client_send_rtp(&a, 96, 1111, (uint16_t)(5000 + i), 90000u * (uint32_t)i, "early");
    ASSERT_TRUE(wait_worker_reads(&f, 5));
    /* The producer's client hears of its stream at once: a receiver report about its SSRC. */
    ASSERT_TRUE(wait_for(&f, &a.rrs, 1));
    ASSERT_EQ(a.rr.report_count, 1);
    ASSERT_EQ_U(a.rr.reports[0].ssrc, 1111);
    ASSERT_EQ(media_routers_consumer_action(f.m, 200, CONSUMER(RESUME)), 0);
    ASSERT_TRUE(wait_for(&f, &a.plis, 1));
    ASSERT_EQ_U(a.pli_ssrc, 1111);

    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof(text), "frame %d", i);
        client_send_rtp(&a, 96, 1111, (uint16_t)(5010 + i), 3000u * (uint32_t)(10 + i), text);
    }
    ASSERT_TRUE(wait_for(&f, &b.rtp, 20));
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof(text), "frame %d", i);
        ASSERT_STREQ(b.payload[i], text);
        ASSERT_EQ_U(b.got[i].ssrc, 2222);
        ASSERT_EQ(b.got[i].payload_type, 101);
        if (i > 0)
            ASSERT_EQ((uint16_t)(b.got[i - 1].seq + 1), b.got[i].seq);
    }
    /* The mid is the consumer's, at the consumer's id. */
    {
        RtpExt ext;
        ASSERT_EQ(rtp_ext_find(b.buf, &b.got[19], 1, &ext), 0);
        ASSERT_EQ(ext.len, 1);
        ASSERT_EQ(b.buf[ext.off], '0');
    }

    /* Paused, the producer goes on; resumed, the numbering continues without a gap. */
    ASSERT_EQ(media_routers_consumer_action(f.m, 200, CONSUMER(PAUSE)), 0);
    for (int i = 0; i < 10; i++)
        client_send_rtp(&a, 96, 1111, (uint16_t)(5030 + i), 3000u * (uint32_t)(30 + i), "gone");
    ASSERT_TRUE(wait_worker_reads(&f, 10));
    ASSERT_EQ(media_routers_consumer_action(f.m, 200, CONSUMER(RESUME)), 0);
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof(text), "after %d", i);
        client_send_rtp(&a, 96, 1111, (uint16_t)(5040 + i), 3000u * (uint32_t)(40 + i), text);
    }
    ASSERT_TRUE(wait_for(&f, &b.rtp, 30));
    ASSERT_STREQ(b.payload[20], "after 0");
    ASSERT_STREQ(b.payload[29], "after 9");
    for (int i = 20; i < 30; i++)
        ASSERT_EQ((uint16_t)(b.got[i - 1].seq + 1), b.got[i].seq);
    ASSERT_TRUE(b.got[20].ts - b.got[19].ts < 0x80000000u); /* no step back */

    /* A's sender report reaches B as its consumer's: its SSRC, A's NTP time, the RTP time in
     * B's time base, the consumer's own counts. */
    {
        RtcpSr sr = {.ssrc = 1111, .ntp = 0x0102030405060708ull, .rtp_ts = 3000u * 49 + 1500};
        uint8_t pkt[128];
        ssize_t n = rtcp_sr_build(pkt, sizeof(pkt) - MEDIA_SRTP_TRAILER, &sr);
        ASSERT_GT(n, 0);
        size_t len = (size_t)n;
        ASSERT_EQ(media_srtp_protect_rtcp(a.srtp, pkt, &len), 0);
        nice_agent_send(a.agent, a.stream, 1, (guint)len, (const gchar *)pkt);
        ASSERT_TRUE(wait_for(&f, &b.srs, 1));
        ASSERT_EQ_U(b.sr.ssrc, 2222);
        ASSERT_EQ_U(b.sr.ntp, 0x0102030405060708ull);
        ASSERT_EQ_U(b.sr.rtp_ts - b.got[29].ts, 1500);
        ASSERT_EQ_U(b.sr.packet_count, 30);
    }

    /* The counts hype-signal sees. */
    Hype__SignalMedia__WorkerLoad load = HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    media_routers_load(f.m, &load);
    ASSERT_EQ(load.routers, 1);
    ASSERT_EQ(load.transports, 2);
    ASSERT_EQ(load.producers, 1);
    ASSERT_EQ(load.consumers, 1);
    ASSERT_GE(load.packets_in, 45);
    ASSERT_GE(load.packets_out, 31);
    ASSERT_EQ(load.dropped_srtp, 0);

    /* Closing the router closes everything on it. */
    ASSERT_EQ(media_routers_router_close(f.m, 1), 0);
    load = (Hype__SignalMedia__WorkerLoad)HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    media_routers_load(f.m, &load);
    ASSERT_EQ(load.transports + load.producers + load.consumers, 0);
    ASSERT_EQ(media_routers_consumer_action(f.m, 200, CONSUMER(RESUME)), -ENOENT);
    client_done(&a);
    client_done(&b);
    fixture_done(&f);
}

TEST(clients_that_nominate_after_checking_connect_too) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    fixture_init(&f, 5000);
    regular_nomination = true;
    bool connected = start_pair(&f, &a, &b, &ia, &ib);
    regular_nomination = false;
    ASSERT_TRUE(connected);
    ASSERT_EQ(f.failures, 0);
    client_done(&a);
    client_done(&b);
    fixture_done(&f);
}

TEST(a_wrong_fingerprint_fails_the_transport) {
    Fixture f;
    Client a, other;
    MediaTransportInfo ia;
    fixture_init(&f, 5000);
    client_init(&a, &f);
    client_init(&other, &f);
    ASSERT_EQ(media_routers_router_create(f.m, 1), 0);
    ASSERT_EQ(media_routers_transport_create(f.m, 1, 10, &ia), 0);
    /* hype-signal was told another certificate's fingerprint. */
    ASSERT_EQ(connect_transport(&f, 10, media_dtls_cert_fingerprint(other.cert)), 0);
    client_start(&a, &ia);
    ASSERT_TRUE(wait_for(&f, &f.failures, 1));
    ASSERT_EQ_U(f.last_failed, 10);
    ASSERT_EQ(f.last_dtls, HYPE__SIGNAL_MEDIA__TRANSPORT_STATE__DTLS__DTLS_FAILED);
    ASSERT_TRUE(wait_for(&f, &a.failed, 1)); /* the worker's alert */
    ASSERT_EQ(a.connected, 0);
    ASSERT_TRUE(closed_by_worker(&f, 10));
    client_done(&a);
    client_done(&other);
    fixture_done(&f);
}

TEST(the_client_checks_the_worker_fingerprint_too) {
    Fixture f;
    Client a;
    MediaTransportInfo ia;
    fixture_init(&f, 5000);
    client_init(&a, &f);
    ASSERT_EQ(media_routers_router_create(f.m, 1), 0);
    ASSERT_EQ(media_routers_transport_create(f.m, 1, 10, &ia), 0);
    ASSERT_EQ(connect_transport(&f, 10, media_dtls_cert_fingerprint(a.cert)), 0);
    ia.fingerprint.value = (char *)media_dtls_cert_fingerprint(a.cert); /* not the worker's */
    client_start(&a, &ia);
    ASSERT_TRUE(wait_for(&f, &a.failed, 1));
    ASSERT_EQ(a.connected, 0);
    client_done(&a);
    fixture_done(&f);
}

/* Keeps a client talking (RTP of an SSRC nobody produces: counted as no_route). */
static gboolean on_chatter(gpointer userdata) {
    static uint16_t seq;
    client_send_rtp(userdata, 96, 3333, seq++, 0, "hello");
    return G_SOURCE_CONTINUE;
}

TEST(a_client_gone_silent_is_closed) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    fixture_init(&f, 5000);
    f.env.silence_timeout_ms = 300;
    ASSERT_TRUE(start_pair(&f, &a, &b, &ia, &ib));
    GSource *chatter = g_timeout_source_new(50);
    g_source_set_callback(chatter, on_chatter, &b, NULL);
    g_source_attach(chatter, f.ctx);
    client_done(&a); /* no goodbye: its agent just stops */
    bool failed = wait_for(&f, &f.failures, 1);
    g_source_destroy(chatter);
    g_source_unref(chatter);
    ASSERT_TRUE(failed);
    ASSERT_EQ(f.failures, 1);
    ASSERT_EQ_U(f.last_failed, 10);
    ASSERT_TRUE(closed_by_worker(&f, 10));
    ASSERT_EQ(media_routers_transport_close(f.m, 11), 0); /* b kept talking */
    client_done(&b);
    fixture_done(&f);
}

TEST(a_transport_that_never_connects_is_closed) {
    Fixture f;
    MediaTransportInfo ia;
    fixture_init(&f, 200);
    ASSERT_EQ(media_routers_router_create(f.m, 1), 0);
    ASSERT_EQ(media_routers_transport_create(f.m, 1, 10, &ia), 0);
    ASSERT_TRUE(wait_for(&f, &f.failures, 1));
    ASSERT_EQ_U(f.last_failed, 10);
    ASSERT_TRUE(closed_by_worker(&f, 10));
    fixture_done(&f);
}

/* Junk at a flowing transport's port, from an address that never completed ICE: random bytes,
 * DTLS ClientHellos, STUN checks with a wrong password. The flow goes on; the junk is counted. */
static void send_junk(int fd, uint16_t port, unsigned i) {
    uint8_t junk[300];
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    static const uint8_t hello[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12,
                                    1,  0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t check[] = {0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                    3, 4, 5, 6, 7,    8,    9,    10,   11, 12};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    for (size_t k = 0; k < sizeof(junk); k++)
        junk[k] = (uint8_t)g_random_int();
    if (i % 3 == 0)
        sendto(fd, junk, 1 + i % sizeof(junk), 0, (struct sockaddr *)&to, sizeof(to));
    else if (i % 3 == 1)
        sendto(fd, hello, sizeof(hello), 0, (struct sockaddr *)&to, sizeof(to));
    else
        sendto(fd, check, sizeof(check), 0, (struct sockaddr *)&to, sizeof(to));
}

TEST(junk_does_not_stop_a_flowing_transport) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    char text[32];
    fixture_init(&f, 5000);
    ASSERT_TRUE(start_pair(&f, &a, &b, &ia, &ib));
    ASSERT_EQ(produce(&f, 10, 100, 1111), 0);
    ASSERT_EQ(consume(&f, 11, 200, 100, 2222), 0);
    ASSERT_EQ(media_routers_consumer_action(f.m, 200, CONSUMER(RESUME)), 0);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    uint64_t before = f.counters.dropped_malformed + f.counters.dropped_unauthenticated;
    for (int i = 0; i < 40; i++) {
        for (unsigned j = 0; j < 50; j++) {
            send_junk(fd, ia.candidate.port, (unsigned)i * 50 + j);
            send_junk(fd, ib.candidate.port, (unsigned)i * 50 + j + 1);
        }
        snprintf(text, sizeof(text), "frame %d", i);
        client_send_rtp(&a, 96, 1111, (uint16_t)(100 + i), 3000u * (uint32_t)i, text);
        ASSERT_TRUE(wait_worker_reads(&f, 101));
    }
    close(fd);
    ASSERT_TRUE(wait_for(&f, &b.rtp, 40));
    ASSERT_STREQ(b.payload[39], "frame 39");
    ASSERT_EQ_U(f.counters.dropped_malformed + f.counters.dropped_unauthenticated - before, 4000);
    ASSERT_EQ(f.failures, 0);
    ASSERT_EQ(a.failed + b.failed, 0);
    client_done(&a);
    client_done(&b);
    fixture_done(&f);
}

/* A receiver asks its consumer for a key frame: the producer's client gets a PLI for its own
 * SSRC, once however many come within a second. */
TEST(a_receivers_pli_reaches_the_producer) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    uint8_t pli[64];
    fixture_init(&f, 5000);
    ASSERT_TRUE(start_pair(&f, &a, &b, &ia, &ib));
    ASSERT_EQ(produce(&f, 10, 100, 1111), 0);
    ASSERT_EQ(consume(&f, 11, 200, 100, 2222), 0); /* paused: no PLI yet */
    uint64_t before = f.counters.packets_in;
    for (int i = 0; i < 3; i++) {
        ssize_t n = rtcp_pli_build(pli, sizeof(pli) - MEDIA_SRTP_TRAILER, 4242, 2222);
        ASSERT_GT(n, 0);
        size_t len = (size_t)n;
        ASSERT_EQ(media_srtp_protect_rtcp(b.srtp, pli, &len), 0);
        nice_agent_send(b.agent, b.stream, 1, (guint)len, (const gchar *)pli);
    }
    ASSERT_TRUE(wait_for(&f, &a.plis, 1));
    ASSERT_EQ_U(a.pli_ssrc, 1111);
    /* The other two came, and were not relayed. */
    ASSERT_TRUE(wait_worker_total(&f, before + 3));
    while (g_main_context_iteration(f.ctx, FALSE))
        ;
    ASSERT_EQ(a.plis, 1);
    client_done(&a);
    client_done(&b);
    fixture_done(&f);
}

/* ---- speaking ---- */

/* An Opus packet with ssrc-audio-level (id 1) at this level (-dBov). */
static void client_send_audio(Client *c, uint16_t seq, uint8_t level) {
    uint8_t pkt[64] = {0x90, 111, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0, 0, 0, 0x1e, 0x61,
                       /* 0xBEDE, one word: id 1 len 1, V flag and level, padding */
                       0xbe, 0xde, 0x00, 0x01, 0x10, (uint8_t)(0x80 | level), 0, 0, 'o', 'p'};
    size_t len = 22;
    if (media_srtp_protect(c->srtp, pkt, &len) == 0)
        nice_agent_send(c->agent, c->stream, 1, (guint)len, (const gchar *)pkt);
}

static gboolean on_quiet(gpointer userdata) {
    static uint16_t seq = 100;
    client_send_audio(userdata, seq++, 127);
    return G_SOURCE_CONTINUE;
}

TEST(an_audio_producer_speaks_and_falls_silent) {
    Fixture f;
    Client a, b;
    MediaTransportInfo ia, ib;
    Hype__SignalMedia__Produce req = HYPE__SIGNAL_MEDIA__PRODUCE__INIT;
    Params params;
    fixture_init(&f, 5000);
    ASSERT_TRUE(start_pair(&f, &a, &b, &ia, &ib));
    media_routers_set_speaking(f.m, 50, 100);
    req.transport_id = 10;
    req.producer_id = 300;
    req.kind = HYPE__SIGNAL_MEDIA__MEDIA_KIND__KIND_AUDIO;
    req.rtp_parameters = make_params(&params, 111, 7777, 1, "a"); /* 0x1e61 = 7777 */
    params.codec.mime_type = (char *)"audio/opus";
    params.codec.clock_rate = 48000;
    params.ext.uri = (char *)"urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    ASSERT_EQ(media_routers_produce(f.m, &req), 0);
    for (uint16_t i = 0; i < 3; i++)
        client_send_audio(&a, i, 30); /* loud */
    ASSERT_TRUE(wait_for(&f, &f.speaking_changes, 1));
    ASSERT_TRUE(f.speaking);
    ASSERT_EQ_U(f.speaking_producer, 300);
    GSource *quiet = g_timeout_source_new(20);
    g_source_set_callback(quiet, on_quiet, &a, NULL);
    g_source_attach(quiet, f.ctx);
    bool fell = wait_for(&f, &f.speaking_changes, 2); /* once the hold has passed */
    g_source_destroy(quiet);
    g_source_unref(quiet);
    ASSERT_TRUE(fell);
    ASSERT_FALSE(f.speaking);
    client_done(&a);
    client_done(&b);
    fixture_done(&f);
}

/* ---- over media.sock: hype-signal's requests reach the routers through the worker's link ---- */

typedef struct Signal {
    IpcPeer *worker;
    int registered, replies;
    uint32_t code; /* of the last reply: 0 or an Error.Code */
    Hype__SignalMedia__Envelope__BodyCase body;
    uint32_t port;
    char fingerprint[MEDIA_DTLS_FINGERPRINT_LEN];
} Signal;

static void s_register(void *ud, IpcCall *call, const ProtobufCMessage *msg) {
    Hype__SignalMedia__WorkerRegisterResult res = HYPE__SIGNAL_MEDIA__WORKER_REGISTER_RESULT__INIT;
    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    ((Signal *)ud)->registered++;
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_WORKER_REGISTER_RESULT;
    env.worker_register_result = &res;
    ipc_serve_reply(call, &env.base);
}

static void s_hello(IpcPeer *p, const Hype__Hello *h, void *ud) {
    ((Signal *)ud)->worker = p;
}

static void s_frame(IpcPeer *p, const ProtobufCMessage *msg, void *ud) {
}

static void s_close(IpcPeer *p, int error, void *ud) {
    ((Signal *)ud)->worker = NULL;
}

static void s_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    Signal *s = ud;
    const Hype__SignalMedia__Envelope *env = reply ? ipc_signal_media(reply) : NULL;
    s->replies++;
    s->code = error == -EREMOTEIO ? env->error->code : error ? 999 : 0;
    s->body = env ? env->body_case : 0;
    if (!error && env->body_case == HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_TRANSPORT_CREATE_RESULT) {
        const Hype__SignalMedia__TransportCreateResult *res = env->transport_create_result;
        s->port = res->n_ice_candidates ? res->ice_candidates[0]->port : 0;
        snprintf(s->fingerprint, sizeof(s->fingerprint), "%s",
                 res->n_fingerprints ? res->fingerprints[0]->value : "");
    }
}

/* Sends one request and runs both loops until its reply. */
static bool ask(Fixture *f, struct event_base *base, Signal *s, Hype__SignalMedia__Envelope *env) {
    int want = s->replies + 1;
    return ipc_peer_request(s->worker, &env->base, 0, s_reply, s) == 0 &&
           loop_wait_glib(f->ctx, f->loop, base, &s->replies, want);
}

TEST(requests_over_media_sock_reach_the_routers) {
    Fixture f;
    Signal s = {0};
    IpcServer *server = NULL;
    MediaLink *link = NULL;
    char dir[] = "/tmp/hype-media-router-XXXXXX", path[64];
    static const IpcServerCallbacks cbs = {s_hello, s_frame, s_close};
    IpcServerOptions o = {
        .link = &ipc_link_signal_media,
        .role = HYPE__ROLE__ROLE_SIGNAL,
        .instance = "signal",
        .roles = IPC_ROLE_BIT(HYPE__ROLE__ROLE_MEDIA),
    };
    fixture_init(&f, 5000);
    log_set_max_level(LOG_WARNING); /* the link says when it registers */
    struct event_base *base = event_base_new();
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/media.sock", dir);
    MediaConfig cfg = {.media_socket = path,
                       .worker_id = 1,
                       .workers = 1,
                       .slice_min = 42000,
                       .slice_max = 42999,
                       .announced_ip = (char *)"127.0.0.1"};
    ASSERT_OK(ipc_server_new(base, path, &o, &cbs, &s, &server));
    ASSERT_OK(ipc_server_serve(server, HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_WORKER_REGISTER,
                               s_register, &s));
    ASSERT_OK(ipc_server_listen(server));
    ASSERT_OK(media_link_new(f.ctx, &cfg, NULL, NULL, &link));
    ASSERT_OK(media_routers_serve(f.m, link));
    media_link_start(link);
    ASSERT_TRUE(loop_wait_glib(f.ctx, f.loop, base, &s.registered, 1));

    Hype__SignalMedia__Envelope env = HYPE__SIGNAL_MEDIA__ENVELOPE__INIT;
    Hype__SignalMedia__RouterCreate rc = HYPE__SIGNAL_MEDIA__ROUTER_CREATE__INIT;
    rc.router_id = 5;
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_ROUTER_CREATE;
    env.router_create = &rc;
    ASSERT_TRUE(ask(&f, base, &s, &env));
    ASSERT_EQ(s.code, 0);
    ASSERT_EQ(s.body, HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_ROUTER_CREATE_RESULT);
    ASSERT_TRUE(ask(&f, base, &s, &env));
    ASSERT_EQ(s.code, HYPE__ERROR__CODE__CODE_CONFLICT);

    Hype__SignalMedia__TransportCreate tc = HYPE__SIGNAL_MEDIA__TRANSPORT_CREATE__INIT;
    tc.router_id = 5;
    tc.transport_id = 50;
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_TRANSPORT_CREATE;
    env.transport_create = &tc;
    ASSERT_TRUE(ask(&f, base, &s, &env));
    ASSERT_EQ(s.code, 0);
    ASSERT_GE(s.port, 42000);
    ASSERT_STREQ(s.fingerprint, media_dtls_cert_fingerprint(f.cert));

    Hype__SignalMedia__ConsumerAction ca = HYPE__SIGNAL_MEDIA__CONSUMER_ACTION__INIT;
    ca.consumer_id = 77;
    ca.action = CONSUMER(RESUME);
    env.body_case = HYPE__SIGNAL_MEDIA__ENVELOPE__BODY_CONSUMER_ACTION;
    env.consumer_action = &ca;
    ASSERT_TRUE(ask(&f, base, &s, &env));
    ASSERT_EQ(s.code, HYPE__ERROR__CODE__CODE_NOT_FOUND);

    Hype__SignalMedia__WorkerLoad load = HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    media_routers_load(f.m, &load);
    ASSERT_EQ(load.transports, 1);
    media_link_stop(link); /* the drop hook closes what hype-signal placed */
    load = (Hype__SignalMedia__WorkerLoad)HYPE__SIGNAL_MEDIA__WORKER_LOAD__INIT;
    media_routers_load(f.m, &load);
    ASSERT_EQ(load.routers + load.transports, 0);
    link = media_link_free(link);
    server = ipc_server_free(server);
    unlink(path);
    rmdir(dir);
    event_base_free(base);
    fixture_done(&f);
    log_set_max_level(LOG_INFO);
}

TEST_MAIN()
