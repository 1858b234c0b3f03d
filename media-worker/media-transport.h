/* media-transport: one WebRTC transport of the worker: an ICE-lite agent on one UDP port of the
 * worker's slice (media-stun answers the checks), a DTLS server session over the nominated
 * address (media-dtls), SRTP contexts from its keys (media-srtp), and the received datagrams
 * sorted (media-demux) and handed over decrypted.
 *
 * Why not libnice's ICE-lite (NICE_AGENT_OPTION_LITE_MODE): libnice 0.1.21 in lite mode still
 * sends triggered checks and only nominates a pair once its own check succeeded, which takes the
 * client's ICE password; mediasoup-client never sends its ICE parameters (only DTLS ones), so a
 * browser could never complete ICE with it. An ICE-lite agent needs nothing of the client's:
 * RFC 8445 section 7.3 lets it answer and nominate on the client's checks alone, as mediasoup's
 * own worker does. The tests use libnice's full agent as the client. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media-dtls.h"
#include "media-rtp.h"

/* What the worker counts for WorkerLoad: shared by its transports, reset never. */
typedef struct MediaCounters {
    uint64_t packets_in, packets_out, bytes_in, bytes_out;
    uint64_t dropped_malformed;       /* not STUN, DTLS, RTP or RTCP, or broken as such */
    uint64_t dropped_unauthenticated; /* before ICE completed, or before DTLS gave keys */
    uint64_t dropped_srtp;            /* failed to unprotect (bad tag, replay) */
    uint64_t dropped_no_route;        /* no producer for its SSRC, or nowhere to go */
} MediaCounters;

/* The largest datagram handled: media comes under the path MTU; more is malformed. */
#define MEDIA_TRANSPORT_MTU 1500

/* What every transport of the worker shares; borrowed for the transports' life. */
typedef struct MediaTransportEnv {
    GMainContext *ctx;
    const char *bind_address; /* IP literal the port binds to */
    const char *announced_ip; /* what the candidate carries */
    uint16_t min_port, max_port;
    const MediaDtlsCert *cert;
    unsigned connect_timeout_ms; /* ICE and DTLS must both complete within it */
    unsigned max_transports;     /* at once, on the worker (0: as many as ports) */
    /* Once connected, a client silent this long is gone (0: 30 s, RFC 7675's consent
     * lifetime; browsers check consent every 5 s or so even when they send no media). */
    unsigned silence_timeout_ms;
    MediaCounters *counters;
} MediaTransportEnv;

typedef enum MediaIceState {
    MEDIA_ICE_NEW,
    MEDIA_ICE_CONNECTED,
    MEDIA_ICE_DISCONNECTED,
    MEDIA_ICE_CLOSED,
} MediaIceState;

typedef struct MediaTransport MediaTransport;

typedef struct MediaTransportOps {
    /* ICE or DTLS changed. failed: the transport is dead (DTLS failed or closed, the connect
     * timeout passed, or the client went silent; reason says which) and its owner must free it (it
     * may do so from here). */
    void (*on_state)(void *userdata, MediaTransport *t, MediaIceState ice, MediaDtlsState dtls,
                     bool failed, const char *reason);
    /* An RTP packet, unprotected and parsed (buf is the transport's, valid for the call;
     * forwarding copies out of it). */
    void (*on_rtp)(void *userdata, MediaTransport *t, const uint8_t *buf, const RtpPacket *p);
    /* A well-formed compound RTCP packet, unprotected. */
    void (*on_rtcp)(void *userdata, MediaTransport *t, const uint8_t *buf, size_t len);
} MediaTransportOps;

/*
 * Binds a port of env's range (-EADDRINUSE when none is free), picks random ICE credentials and
 * arms the connect timeout. ops and userdata are the owner's (the router).
 */
int media_transport_new(const MediaTransportEnv *env, const MediaTransportOps *ops, void *userdata,
                        MediaTransport **ret);
/* Closes at once (the port is free again, nothing more is received or sent, no callback
 * runs). Not from inside its own callbacks: the owner defers it to the loop. NULL-safe;
 * returns NULL. */
MediaTransport *media_transport_free(MediaTransport *t);

const char *media_transport_ufrag(const MediaTransport *t);
const char *media_transport_pwd(const MediaTransport *t);
uint16_t media_transport_port(const MediaTransport *t);
/* The candidate's priority (host, one component). */
uint32_t media_transport_priority(const MediaTransport *t);

/* TransportConnect: the client's certificate fingerprint; the handshake may start. -EALREADY
 * when given before, -EINVAL when it is no sha-256 fingerprint. */
int media_transport_connect(MediaTransport *t, const char *fingerprint);
/* DTLS is connected: SRTP can flow. */
bool media_transport_ready(const MediaTransport *t);

/* Protects in place and sends (buf has MEDIA_SRTP_TRAILER bytes of room past len). -ENOTCONN
 * before DTLS is connected, -EINVAL when SRTP refuses (a datagram the socket refuses is a loss,
 * as on the wire). */
int media_transport_send_rtp(MediaTransport *t, uint8_t *buf, size_t len);
int media_transport_send_rtcp(MediaTransport *t, uint8_t *buf, size_t len);
