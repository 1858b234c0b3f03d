/* media-dtls: DTLS 1.2 with DTLS-SRTP (RFC 5764) over a datagram path the caller owns (the ICE
 * agent): the worker's certificate and its SHA-256 fingerprint, a gnutls session driven by the
 * datagrams fed to it and by retransmission timers on a GMainContext, the peer's fingerprint
 * check and the SRTP keys it exports. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "sha-256" fingerprints: 32 bytes as upper-case hex pairs joined by colons, and the NUL. */
#define MEDIA_DTLS_FINGERPRINT_LEN (32 * 3)
/* SRTP_AES128_CM_HMAC_SHA1_80: a 16-byte master key then a 14-byte salt, as libsrtp2 takes it. */
#define MEDIA_DTLS_SRTP_KEY_LEN 30
/* Records fit one datagram under a path MTU of 1280 less IP, UDP and TURN overhead. */
#define MEDIA_DTLS_MTU 1200

/* A self-signed ECDSA P-256 certificate, made once per worker at start (and once per client
 * in the tests): every session of the worker presents it. */
typedef struct MediaDtlsCert MediaDtlsCert;
int media_dtls_cert_new(MediaDtlsCert **ret);
/* NULL-safe; returns NULL. Only after every session using it is freed. */
MediaDtlsCert *media_dtls_cert_free(MediaDtlsCert *cert);
/* Its "sha-256" fingerprint ("A9:F4:...:71"), what TransportCreateResult announces. */
const char *media_dtls_cert_fingerprint(const MediaDtlsCert *cert);

typedef enum MediaDtlsState {
    MEDIA_DTLS_NEW,        /* nothing received yet */
    MEDIA_DTLS_CONNECTING, /* handshake under way */
    MEDIA_DTLS_CONNECTED,  /* handshake done, fingerprint checked, keys exported */
    MEDIA_DTLS_FAILED,     /* handshake failed, or the peer's fingerprint is not the expected one */
    MEDIA_DTLS_CLOSED,     /* the peer sent close_notify */
} MediaDtlsState;

typedef struct MediaDtls MediaDtls;

typedef struct MediaDtlsOps {
    /* Sends one datagram to the peer (the ICE agent's selected pair). */
    void (*send)(void *userdata, const uint8_t *buf, size_t len);
    /* The state changed (CONNECTING, CONNECTED, FAILED, CLOSED), with a reason for humans
     * when it failed. Never called from inside media_dtls_free. */
    void (*on_state)(void *userdata, MediaDtlsState state, const char *reason);
} MediaDtlsOps;

/*
 * A session, server (the SFU: mediasoup-client's role "auto" makes the browser the client) or
 * client (tests). cert is borrowed for the session's life; its timers run on ctx. The client
 * starts its handshake on media_dtls_start; the server waits for a ClientHello.
 */
int media_dtls_new(const MediaDtlsCert *cert, bool server, GMainContext *ctx,
                   const MediaDtlsOps *ops, void *userdata, MediaDtls **ret);
MediaDtls *media_dtls_free(MediaDtls *dtls);

/* The fingerprint the peer's certificate must have ("sha-256", hex pairs, any case): until it
 * is set the handshake does not start (a server drops what arrives; the peer retransmits). */
void media_dtls_set_remote_fingerprint(MediaDtls *dtls, const char *fingerprint);
/* Starts the handshake (a client sends its ClientHello). */
void media_dtls_start(MediaDtls *dtls);

/* A datagram that media-demux called DTLS. Application data and what arrives after the
 * handshake are ignored. 0, or -EAGAIN when dropped because the remote fingerprint is not set
 * yet, or -EPROTO when gnutls refused it (the drop counters' malformed). */
int media_dtls_feed(MediaDtls *dtls, const uint8_t *buf, size_t len);

MediaDtlsState media_dtls_state(const MediaDtls *dtls);
const char *media_dtls_state_name(MediaDtlsState state);

/* Once CONNECTED: the keys SRTP protects with (local) and unprotects with (remote). */
void media_dtls_srtp_keys(const MediaDtls *dtls, uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN],
                          uint8_t remote[MEDIA_DTLS_SRTP_KEY_LEN]);
