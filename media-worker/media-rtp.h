/* media-rtp: RTP packets read and rewritten in place (RFC 3550 header, RFC 8285 header
 * extensions, RFC 6464 audio level): what a forwarding SFU changes per consumer; pure, no I/O,
 * no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_LEN 12
#define RTP_VERSION 2
#define RTP_EXT_ONE_BYTE_PROFILE 0xbede
#define RTP_EXT_TWO_BYTE_PROFILE 0x1000 /* the top 12 bits; the low 4 are "appbits" */
#define RTP_EXT_ONE_BYTE_ID_MAX 14
#define RTP_EXT_ONE_BYTE_LEN_MAX 16
#define RTP_MID_MAX 16 /* longest mid the remap writes (what one one-byte element holds) */

typedef enum RtpExtForm {
    RTP_EXT_NONE = 0,
    RTP_EXT_ONE_BYTE, /* profile 0xBEDE */
    RTP_EXT_TWO_BYTE, /* profile 0x100X */
    RTP_EXT_OTHER,    /* some other profile: kept as it is, never looked into */
} RtpExtForm;

/*
 * A parsed packet: header fields and where its parts are, as offsets from the packet's first
 * byte, so that the same RtpPacket describes a copy of the packet (the per-consumer buffer the
 * worker protects with SRTP) as well as the original. Parse SRTP packets after unprotecting
 * them: before, the padding count is under encryption and the authentication tag is at the end.
 */
typedef struct RtpPacket {
    size_t len; /* the whole packet */
    bool marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t csrc_count;  /* the CSRCs follow the fixed header: rtp_csrc() */
    RtpExtForm ext_form; /* RTP_EXT_NONE when the X bit is clear */
    uint16_t ext_profile;
    size_t ext_off;     /* the extension elements, after the 4-byte extension header */
    size_t ext_len;     /* their length, a multiple of 4 */
    size_t payload_off; /* = the header's length */
    size_t payload_len; /* padding excluded */
    uint8_t padding_len;
} RtpPacket;

/*
 * Parses an RTP packet. 0 and *ret filled; -EINVAL when it is not a well-formed RTP packet
 * (under 12 bytes, version not 2, CSRCs, extension or padding past the end, a padding count of
 * 0, a malformed one- or two-byte extension element); -ENOMSG when its payload type is in
 * RTCP's range 64-95 (RFC 5761: it is RTCP). *ret is not written on failure.
 */
int rtp_parse(const uint8_t *buf, size_t len, RtpPacket *ret);

/* The i-th CSRC (i < p->csrc_count). */
uint32_t rtp_csrc(const uint8_t *buf, const RtpPacket *p, unsigned i);

/* One header extension element: its local id and where its value is (buf + off). */
typedef struct RtpExt {
    uint8_t id;
    uint8_t len;
    size_t off;
} RtpExt;

/*
 * Iterates the elements of a one- or two-byte extension block, skipping padding; *cursor starts
 * at 0. 1 and *ret filled, or 0 at the end (also for RTP_EXT_NONE and RTP_EXT_OTHER). A
 * one-byte element with id 15 ends the block (RFC 8285 section 4.2).
 */
int rtp_ext_next(const uint8_t *buf, const RtpPacket *p, size_t *cursor, RtpExt *ret);

/* The first element with this id: 0 and *ret, or -ENOENT. */
int rtp_ext_find(const uint8_t *buf, const RtpPacket *p, uint8_t id, RtpExt *ret);

/*
 * ssrc-audio-level (RFC 6464) at this id: *ret_voice the V flag, *ret_level the level in -dBov
 * (0 loudest, 127 silence). 0, -ENOENT when absent, -EINVAL when its length is not 1.
 */
int rtp_audio_level(const uint8_t *buf, const RtpPacket *p, uint8_t id, bool *ret_voice,
                    uint8_t *ret_level);

/* abs-send-time's 24-bit value (6.18 fixed-point seconds, wrapping every 64 s) for a time in
 * microseconds. */
uint32_t rtp_abs_send_time(uint64_t now_us);

/*
 * Overwrites the value of the existing element with this id by one of the same length (the
 * worker stamps abs-send-time with its own send time). 0, -ENOENT, or -EINVAL when the
 * lengths differ.
 */
int rtp_ext_write(uint8_t *buf, const RtpPacket *p, uint8_t id, const void *value, size_t len);

/* Writes the fields a consumer changes (the marker and everything else stay) into buf and *p. */
void rtp_set_header(uint8_t *buf, RtpPacket *p, uint8_t payload_type, uint32_t ssrc, uint16_t seq,
                    uint32_t ts);

/*
 * How a consumer's header extensions differ from its producer's: ids are per m-section, so a
 * producer's id becomes the consumer's, and what the consumer did not negotiate goes. The mid
 * (RFC 8843) is the consumer's own, written where the producer's was.
 */
typedef struct RtpExtMap {
    uint8_t to[256]; /* the producer's id -> the consumer's; 0: not negotiated, dropped */
    uint8_t mid_from;
    uint8_t mid_len;
    char mid[RTP_MID_MAX];
} RtpExtMap;

/* An empty map: every element is dropped. */
void rtp_ext_map_init(RtpExtMap *m);

/* Maps the producer's id "from" to the consumer's "to" (both 1-255). 0 or -EINVAL. */
int rtp_ext_map_add(RtpExtMap *m, uint8_t from, uint8_t to);

/* The mid: the producer's id and the consumer's id and value (1-16 bytes). 0 or -EINVAL. */
int rtp_ext_map_mid(RtpExtMap *m, uint8_t from, uint8_t to, const char *mid, size_t len);

#define RTP_REMAP_MID_DROPPED 1 /* the consumer's mid did not fit: the element was left out */

/*
 * Rewrites the extension block of the packet in buf (p->len bytes of cap) for a consumer:
 * every element's id through m, elements the consumer did not negotiate left out, the mid
 * element's value replaced by m->mid. The new block is written in the form its ids and lengths
 * need (one-byte when every id is 1-14 and every value 1-16 bytes long, else two-byte).
 *
 * In place when the new block is not longer than the old one (the rest is zero padding, which
 * RFC 8285 receivers skip); when it is longer (a longer mid, ids above 14), the payload moves
 * forward by the difference, which needs that much room in cap. Without the room the mid is
 * left out instead (RTP_REMAP_MID_DROPPED: receivers that know the SSRC from signaling, as
 * mediasoup-client's do, demultiplex without it) and if that is still too long, -ENOBUFS and
 * the packet is unchanged. A block of another profile, or no block, is left alone: the mid is
 * only ever written where the producer sent one.
 *
 * Returns 0 or RTP_REMAP_MID_DROPPED with buf and *p updated (p->len grows by what was
 * inserted), or a negative errno with both unchanged: -ENOBUFS, -E2BIG (a block over 1 KiB).
 */
int rtp_ext_remap(uint8_t *buf, size_t cap, RtpPacket *p, const RtpExtMap *m);
