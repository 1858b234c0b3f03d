/* media-demux: what a datagram on a media port is (RFC 7983 first byte, RFC 5761 RTP or RTCP),
 * and a DTLS record-layer check before gnutls sees it. */
#include "media-demux.h"

#include <errno.h>

#include "hype-endian.h"

#define DTLS_HANDSHAKE_HEADER_LEN 12
#define DTLS_CLIENT_HELLO 1

DemuxKind demux_classify(const uint8_t *buf, size_t len) {
    if (len == 0)
        return DEMUX_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3)
        return DEMUX_STUN;
    if (b >= 20 && b <= 63)
        return DEMUX_DTLS;
    if (b < 128 || b > 191)
        return DEMUX_UNKNOWN; /* ZRTP (16-19), TURN channels (64-79) and the rest: not ours */
    /* RFC 5761: RTP payload types 64-95 are avoided so that RTCP's 192-223 (marker bit set,
     * 64-95 under the mask) tell the two apart. */
    if (len >= 2 && (buf[1] & 0x7f) >= 64 && (buf[1] & 0x7f) <= 95)
        return DEMUX_RTCP;
    return DEMUX_RTP;
}

const char *demux_kind_name(DemuxKind kind) {
    static const char *const names[DEMUX_KIND_COUNT] = {
        [DEMUX_UNKNOWN] = "unknown", [DEMUX_STUN] = "stun", [DEMUX_DTLS] = "dtls",
        [DEMUX_RTP] = "rtp",         [DEMUX_RTCP] = "rtcp",
    };
    return (unsigned)kind < DEMUX_KIND_COUNT ? names[kind] : "unknown";
}

/* One record header at buf (len bytes left): its total length, or -EINVAL. */
static int record_len(const uint8_t *buf, size_t len) {
    if (len < DTLS_RECORD_HEADER_LEN)
        return -EINVAL;
    if (buf[0] < DTLS_CHANGE_CIPHER_SPEC || buf[0] > DTLS_APPLICATION_DATA)
        return -EINVAL;
    if (buf[1] != 0xfe) /* DTLS 1.0 is 0xfeff, 1.2 0xfefd: the major byte is 254 */
        return -EINVAL;
    size_t body = be16_get(buf + 11);
    if (body == 0 || body > DTLS_RECORD_MAX || body > len - DTLS_RECORD_HEADER_LEN)
        return -EINVAL;
    return (int)(DTLS_RECORD_HEADER_LEN + body);
}

static bool is_client_hello(const uint8_t *rec, size_t len) {
    return rec[0] == DTLS_HANDSHAKE && be16_get(rec + 3) == 0 &&
           len >= DTLS_RECORD_HEADER_LEN + DTLS_HANDSHAKE_HEADER_LEN &&
           rec[DTLS_RECORD_HEADER_LEN] == DTLS_CLIENT_HELLO;
}

int demux_dtls_check(const uint8_t *buf, size_t len, DemuxDtls *ret) {
    if (demux_classify(buf, len) != DEMUX_DTLS)
        return -ENOMSG;
    unsigned records = 0;
    for (size_t off = 0; off < len; records++) {
        int r = record_len(buf + off, len - off);
        if (r < 0)
            return r;
        off += (size_t)r;
    }
    *ret = (DemuxDtls){
        .records = records,
        .content_type = buf[0],
        .epoch = be16_get(buf + 3),
        .client_hello = is_client_hello(buf, (size_t)record_len(buf, len)),
    };
    return 0;
}
