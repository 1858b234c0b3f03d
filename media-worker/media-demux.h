/* media-demux: what a datagram on a media port is (RFC 7983 first byte, RFC 5761 RTP or RTCP),
 * and a DTLS record-layer check before gnutls sees it; pure, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum DemuxKind {
    DEMUX_UNKNOWN = 0, /* empty, or a first byte no protocol on the port uses: drop it */
    DEMUX_STUN,        /* first byte 0-3 */
    DEMUX_DTLS,        /* first byte 20-63 */
    DEMUX_RTP,         /* first byte 128-191, payload type not in RTCP's 64-95 */
    DEMUX_RTCP,        /* first byte 128-191, payload type 64-95 (RFC 5761 section 4) */
    DEMUX_KIND_COUNT,
} DemuxKind;

/*
 * Classifies a datagram by its first byte (and for 128-191 its second). It only sorts: the
 * parser of the kind decides whether the datagram is well formed. A one-byte datagram of
 * 128-191 counts as RTP, which rtp_parse then refuses.
 */
DemuxKind demux_classify(const uint8_t *buf, size_t len);

/* A stable lowercase name for metrics labels and logs ("stun", "dtls", "rtp", "rtcp",
 * "unknown"). */
const char *demux_kind_name(DemuxKind kind);

/* DTLS record layer (RFC 6347 section 4.1): content types the worker accepts. */
enum {
    DTLS_CHANGE_CIPHER_SPEC = 20,
    DTLS_ALERT = 21,
    DTLS_HANDSHAKE = 22,
    DTLS_APPLICATION_DATA = 23,
};

#define DTLS_RECORD_HEADER_LEN 13
#define DTLS_RECORD_MAX 18432 /* 2^14 + 2048, RFC 6347 section 4.1.1 (ciphertext bound) */

typedef struct DemuxDtls {
    unsigned records;     /* records in the datagram (at least 1) */
    uint8_t content_type; /* the first record's */
    uint16_t epoch;       /* the first record's */
    bool client_hello;    /* the first record is an epoch-0 handshake starting a ClientHello */
} DemuxDtls;

/*
 * Checks that a datagram is a sequence of whole DTLS records (13-byte headers, version 1.x,
 * a known content type, lengths that fit and end exactly at the datagram's end) and says what
 * it starts with, so that junk and floods of ClientHellos can be counted and dropped before
 * gnutls. 0 and *ret filled, or -ENOMSG (not DTLS by its first byte), -EINVAL (malformed).
 * DTLS 1.3's unified headers (first byte 32-63) count as malformed: Debian 12's gnutls speaks
 * DTLS 1.2, and a 1.3 ClientHello still comes in a plain handshake record.
 */
int demux_dtls_check(const uint8_t *buf, size_t len, DemuxDtls *ret);
