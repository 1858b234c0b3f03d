/* media-rtcp: RTCP packets (RFC 3550 compound packets, SR, RR, SDES, BYE; RFC 4585 feedback:
 * NACK, PLI, transport-cc, REMB; RFC 5104 FIR): read, built for the SFU's own reports and
 * requests, and SSRCs rewritten in place for relayed feedback; pure, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
    RTCP_RTPFB = 205, /* transport-layer feedback (RFC 4585) */
    RTCP_PSFB = 206,  /* payload-specific feedback (RFC 4585) */
};

enum {
    RTCP_RTPFB_NACK = 1,  /* generic NACK (RFC 4585 section 6.2.1) */
    RTCP_RTPFB_TWCC = 15, /* transport-wide congestion control (draft-holmer-rmcat-twcc-01) */
    RTCP_PSFB_PLI = 1,    /* picture loss indication (RFC 4585 section 6.3.1) */
    RTCP_PSFB_FIR = 4,    /* full intra request (RFC 5104 section 4.3.1) */
    RTCP_PSFB_AFB = 15,   /* application layer feedback: REMB when it starts with "REMB" */
};

#define RTCP_HEADER_LEN 4
#define RTCP_COUNT_MAX 31 /* report blocks, SDES chunks, BYE sources: 5 bits */
#define RTCP_SDES_CNAME 1

/*
 * One packet of a compound: where it is in the datagram (buf + off, len bytes, padding
 * included), its type and its 5-bit count or feedback format.
 */
typedef struct RtcpPart {
    size_t off;
    size_t len;
    uint8_t pt;
    uint8_t count;
} RtcpPart;

typedef struct RtcpIter {
    const uint8_t *buf;
    size_t len;
    size_t off;
} RtcpIter;

void rtcp_iter_init(RtcpIter *it, const uint8_t *buf, size_t len);

/*
 * The next packet of the compound: 1 and *ret, 0 at the end, or -EINVAL when the rest is not a
 * well-formed RTCP packet (under 4 bytes, version not 2, a length past the end, a bad padding
 * count). After an error the iterator stays at the end. Reduced-size RTCP (RFC 5506: a lone
 * feedback packet, no SR/RR first) is accepted.
 */
int rtcp_iter_next(RtcpIter *it, RtcpPart *ret);

/* Checks a whole compound: the number of packets in it (at least 1), or -EINVAL. */
int rtcp_validate(const uint8_t *buf, size_t len);

/*
 * The typed parsers below read one packet (buf, len: an RtcpPart's bytes). Each returns 0 and
 * fills *ret, -ENOMSG when the packet is of another type (or feedback format), or -EINVAL when
 * it is too short for what its header announces. Strings point into buf.
 */

typedef struct RtcpReportBlock {
    uint32_t ssrc;
    uint8_t fraction_lost;   /* of 256 */
    int32_t cumulative_lost; /* 24-bit signed */
    uint32_t highest_seq;    /* extended */
    uint32_t jitter;
    uint32_t lsr;  /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr; /* delay since it, in 1/65536 s */
} RtcpReportBlock;

typedef struct RtcpSr {
    uint32_t ssrc;
    uint64_t ntp; /* NTP timestamp, 32.32 */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
    uint8_t report_count;
    RtcpReportBlock reports[RTCP_COUNT_MAX];
} RtcpSr;

typedef struct RtcpRr {
    uint32_t ssrc;
    uint8_t report_count;
    RtcpReportBlock reports[RTCP_COUNT_MAX];
} RtcpRr;

int rtcp_sr_parse(const uint8_t *buf, size_t len, RtcpSr *ret);
int rtcp_rr_parse(const uint8_t *buf, size_t len, RtcpRr *ret);

typedef struct RtcpSdesChunk {
    uint32_t ssrc;
    const char *cname; /* NULL when the chunk has none; not NUL-terminated */
    uint8_t cname_len;
} RtcpSdesChunk;

typedef struct RtcpSdes {
    uint8_t chunk_count;
    RtcpSdesChunk chunks[RTCP_COUNT_MAX];
} RtcpSdes;

/* Every chunk, its items walked and its null-octet end and padding checked. */
int rtcp_sdes_parse(const uint8_t *buf, size_t len, RtcpSdes *ret);

typedef struct RtcpBye {
    uint8_t ssrc_count;
    uint32_t ssrcs[RTCP_COUNT_MAX];
    const char *reason; /* NULL when absent; not NUL-terminated */
    uint8_t reason_len;
} RtcpBye;

int rtcp_bye_parse(const uint8_t *buf, size_t len, RtcpBye *ret);

/*
 * A feedback packet (RTPFB or PSFB): its common part and its FCI. The FCI of the formats the
 * SFU acts on is checked here: NACK (whole PID+BLP entries, at least one), FIR (whole 8-byte
 * entries, at least one), transport-cc (at least its 8-byte header), REMB (its 8-byte header
 * and the SSRCs it announces); other formats are returned unchecked.
 */
typedef struct RtcpFb {
    uint8_t pt;
    uint8_t fmt;
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci;
    size_t fci_len;
} RtcpFb;

int rtcp_fb_parse(const uint8_t *buf, size_t len, RtcpFb *ret);

/* Generic NACK entries (fb from rtcp_fb_parse, RTPFB/NACK). */
size_t rtcp_nack_count(const RtcpFb *fb);
void rtcp_nack_get(const RtcpFb *fb, size_t i, uint16_t *ret_pid, uint16_t *ret_blp);

/* The lost sequence numbers, in the order the entries give them: how many there are in all
 * (up to 17 per entry); at most cap are written to out. */
size_t rtcp_nack_lost(const RtcpFb *fb, uint16_t *out, size_t cap);

/* FIR entries (fb from rtcp_fb_parse, PSFB/FIR): the SSRC asked for a key frame and the
 * request's sequence number. */
size_t rtcp_fir_count(const RtcpFb *fb);
void rtcp_fir_get(const RtcpFb *fb, size_t i, uint32_t *ret_ssrc, uint8_t *ret_seq_nr);

typedef struct RtcpRemb {
    uint64_t bitrate; /* bits per second (mantissa << exponent, saturated) */
    uint8_t ssrc_count;
    const uint8_t *ssrcs; /* ssrc_count big-endian SSRCs: rtcp_remb_ssrc() */
} RtcpRemb;

/* REMB (draft-alvestrand-rmcat-remb-03) in a PSFB/AFB packet: 0, -ENOMSG (another AFB). */
int rtcp_remb_parse(const RtcpFb *fb, RtcpRemb *ret);
uint32_t rtcp_remb_ssrc(const RtcpRemb *remb, size_t i);

typedef struct RtcpTwcc {
    uint16_t base_seq;
    uint16_t status_count;
    int32_t reference_time; /* 24-bit signed, in 64 ms units */
    uint8_t fb_count;
} RtcpTwcc;

/* The header of a transport-cc feedback (RTPFB/15): 0 or -ENOMSG. The chunks are not read. */
int rtcp_twcc_parse(const RtcpFb *fb, RtcpTwcc *ret);

/*
 * Relaying feedback to a producer, in place on one packet (buf, len): rtcp_fb_map_ssrc
 * replaces the media source SSRC "from" by "to" in the common part and, for FIR, in every entry
 * (where RFC 5104 puts it; the common field is 0 there): how many were replaced, or -ENOMSG /
 * -EINVAL as rtcp_fb_parse. rtcp_fb_set_sender writes the packet sender's SSRC (the SFU's).
 * A FIR's sequence number is the requester's: the SFU asking a producer on behalf of several
 * consumers should rather send its own (rtcp_fir_build).
 */
int rtcp_fb_map_ssrc(uint8_t *buf, size_t len, uint32_t from, uint32_t to);
int rtcp_fb_set_sender(uint8_t *buf, size_t len, uint32_t sender_ssrc);

/*
 * Builders: each writes one packet at buf (cap bytes) and returns its length, or -ENOBUFS
 * (nothing useful written) or -EINVAL (more than 31 report blocks, an over-long CNAME, no
 * sequence numbers). Concatenate them for a compound packet.
 */
ssize_t rtcp_sr_build(uint8_t *buf, size_t cap, const RtcpSr *sr);
ssize_t rtcp_rr_build(uint8_t *buf, size_t cap, uint32_t ssrc, const RtcpReportBlock *reports,
                      size_t count);
ssize_t rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname, size_t len);
ssize_t rtcp_pli_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
ssize_t rtcp_fir_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       uint8_t seq_nr);
/* The lost sequence numbers as PID+BLP entries (a number within 16 after an entry's PID joins
 * its bitmask; give them in ascending order for the fewest entries). */
ssize_t rtcp_nack_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *seqs, size_t count);
