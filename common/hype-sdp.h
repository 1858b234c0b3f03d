/* hype-sdp: SDP (RFC 8866, as JSEP stacks write it) parsed into plain structures, generated back,
 * and looked up; pure, no I/O. The SFU's negotiation on top of it: hype-sdp-sfu. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hype-arena.h"

/*
 * Limits. Every one is enforced by sdp_parse (-E2BIG, the message naming the limit) and by
 * sdp_write, so that what the SFU generates always parses again. Counts are per m-section
 * unless said otherwise; they are well above what Chromium 156, Firefox and aiortc write (a
 * Chromium video section has 23 payload types with 5 rtcp-fb each and 13 extmaps).
 */
#define SDP_MAX_SIZE (256 * 1024) /* bytes of a whole description */
#define SDP_MAX_LINE 4096         /* bytes of one line, line end excluded */
#define SDP_MAX_MEDIA 128         /* m-sections in a description */
#define SDP_MAX_CODECS 64         /* payload types of one m= line */
#define SDP_MAX_RTCP_FB 16        /* a=rtcp-fb lines of one payload type */
#define SDP_MAX_EXTMAPS 32
#define SDP_MAX_SSRCS 32
#define SDP_MAX_SSRC_GROUPS 16
#define SDP_MAX_GROUP_SSRCS 8 /* SSRCs of one a=ssrc-group */
#define SDP_MAX_MSIDS 4
#define SDP_MAX_RIDS 8
#define SDP_MAX_CANDIDATES 32
#define SDP_MAX_FINGERPRINTS 4 /* at session level and in each m-section */
#define SDP_MAX_GROUPS 4       /* a=group lines of a description */
#define SDP_MAX_EXTRA 32       /* lines kept verbatim, at session level and in each m-section */

/* Room for any message sdp_* writes into an err buffer. */
#define SDP_ERROR_MAX 160

typedef enum SdpDirection {
    SDP_DIRECTION_NONE = 0, /* no direction attribute: sendrecv by default (RFC 8866 §6.7) */
    SDP_SENDRECV,
    SDP_SENDONLY,
    SDP_RECVONLY,
    SDP_INACTIVE,
} SdpDirection;

typedef enum SdpSetup {
    SDP_SETUP_NONE = 0,
    SDP_SETUP_ACTPASS,
    SDP_SETUP_ACTIVE, /* the DTLS client */
    SDP_SETUP_PASSIVE,
    SDP_SETUP_HOLDCONN,
} SdpSetup;

typedef enum SdpMediaKind {
    SDP_MEDIA_AUDIO,
    SDP_MEDIA_VIDEO,
    SDP_MEDIA_APPLICATION,
    SDP_MEDIA_OTHER, /* any other media token, kept in SdpMedia.other_kind */
} SdpMediaKind;

/*
 * The structures. Every string is NUL-terminated and NULL when absent; every array is
 * (items, n_items). Whatever sdp_parse (and hype-sdp-sfu) returns lives in the arena it was
 * given. Code that fills a structure itself adds elements with SDP_PUSH and strings of its own
 * (which must then outlive the structure).
 */
typedef struct SdpFingerprint {
    char *algorithm; /* "sha-256" */
    char *value;     /* "01:2D:…:EB" as written */
} SdpFingerprint;

/* ICE and DTLS attributes: at session level, and in each m-section (which wins). */
typedef struct SdpTransport {
    char *ice_ufrag, *ice_pwd;
    char *ice_options; /* "trickle", as written */
    SdpFingerprint *fingerprints;
    size_t n_fingerprints;
    SdpSetup setup;
} SdpTransport;

/* One payload type of an RTP m= line, with its a=rtpmap, a=fmtp and a=rtcp-fb lines. */
typedef struct SdpCodec {
    uint8_t pt;          /* 0-127 */
    char *name;          /* encoding name as written ("opus", "VP8"); NULL without a=rtpmap */
    uint32_t clock_rate; /* 0 without a=rtpmap */
    uint8_t channels;    /* 0 when the rtpmap gives none (one channel) */
    char *fmtp;     /* the parameters as written, "minptime=10;useinbandfec=1"; see sdp_fmtp_* */
    char **rtcp_fb; /* "nack", "nack pli", "transport-cc" */
    size_t n_rtcp_fb;
} SdpCodec;

typedef struct SdpExtmap {
    uint16_t id;            /* 1-255, or 4096-4351 (RFC 8285 §5) */
    SdpDirection direction; /* NONE when the line has no "/direction" */
    char *uri;
    char *attributes; /* what follows the URI, or NULL */
} SdpExtmap;

/* The a=ssrc lines of one SSRC that this module models; others (mslabel, label) are skipped,
 * and an SSRC with neither cname nor msid is not kept. */
typedef struct SdpSsrc {
    uint32_t ssrc;
    char *cname;
    char *msid; /* "stream track" */
} SdpSsrc;

typedef struct SdpSsrcGroup {
    char *semantics; /* "FID" (primary, rtx), "SIM" (layers, lowest first), "FEC-FR" */
    uint32_t *ssrcs;
    size_t n_ssrcs;
} SdpSsrcGroup;

typedef struct SdpRid {
    char *id;
    SdpDirection direction; /* SDP_SENDONLY for "send", SDP_RECVONLY for "recv" */
    char *params;           /* "pt=96;max-width=640", or NULL */
} SdpRid;

typedef struct SdpCandidate {
    char *foundation;
    uint16_t component; /* 1 RTP, 2 RTCP */
    char *transport;    /* "udp", "tcp" as written */
    uint32_t priority;
    char *address; /* IP address or an mDNS name ("….local") */
    uint16_t port;
    char *type; /* "host", "srflx", "prflx", "relay" */
    char *rest; /* what follows the type, "tcptype active generation 0", or NULL */
} SdpCandidate;

typedef struct SdpGroup {
    char *semantics; /* "BUNDLE" */
    char **mids;
    size_t n_mids;
} SdpGroup;

typedef struct SdpMedia {
    SdpMediaKind kind;
    char *other_kind; /* the m= line's media token when kind is SDP_MEDIA_OTHER */
    uint16_t port;    /* 0: rejected or disabled */
    char *protocol;   /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP" */
    /* A protocol with "RTP/" in it lists payload types: one SdpCodec each, in m= line order.
     * Any other lists formats, kept as written ("webrtc-datachannel"). */
    SdpCodec *codecs;
    size_t n_codecs;
    char *formats;
    char *connection; /* the c= line's value, "IN IP4 127.0.0.1" */
    char *mid;
    SdpDirection direction;
    bool rtcp_mux, rtcp_rsize;
    SdpTransport transport;
    SdpExtmap *extmaps;
    size_t n_extmaps;
    char **msids; /* a=msid values, "stream track" */
    size_t n_msids;
    SdpSsrc *ssrcs;
    size_t n_ssrcs;
    SdpSsrcGroup *ssrc_groups;
    size_t n_ssrc_groups;
    SdpRid *rids;
    size_t n_rids;
    char *simulcast; /* the a=simulcast value as written, "send q;h;f" */
    SdpCandidate *candidates;
    size_t n_candidates;
    bool end_of_candidates;
    uint16_t sctp_port; /* 0 when absent */
    bool has_max_message_size;
    uint64_t max_message_size; /* 0 means no limit (RFC 8841 §6) */
    /* Lines this module does not model, verbatim with their type ("a=rtcp:9 IN IP4 0.0.0.0",
     * "a=rtcp-fb:* nack", "b=AS:500"); generated after the known ones (b= and the other
     * non-a= lines right after c=). */
    char **extra;
    size_t n_extra;
} SdpMedia;

typedef struct SdpOrigin {
    char *username;
    uint64_t session_id, session_version;
    char *address; /* "IN IP4 127.0.0.1": network type, address type and address */
} SdpOrigin;

typedef struct Sdp {
    SdpOrigin origin;
    char *name;       /* s= */
    char *timing;     /* t=, "0 0" */
    char *connection; /* c= at session level, or NULL */
    SdpDirection direction;
    bool ice_lite;
    SdpTransport transport;
    SdpGroup *groups;
    size_t n_groups;
    char *msid_semantic; /* "WMS *", as written but without leading spaces */
    char **extra;        /* as SdpMedia.extra */
    size_t n_extra;
    SdpMedia *media;
    size_t n_media;
} Sdp;

/*
 * Adds one zeroed element to a structure's array: SdpCodec *c = SDP_PUSH(a, &m->codecs,
 * &m->n_codecs). NULL when out of memory. The array must be NULL or made by SDP_PUSH (its
 * capacity follows from its count: arrays grow by doubling inside the arena); limits are
 * checked by sdp_write, not here.
 */
#define SDP_PUSH(arena, items, count)                                                              \
    ({                                                                                             \
        __typeof__(items) _items_ = (items);                                                       \
        void *_array_ = *_items_; /* a copy: no access to the array pointer as a void * */         \
        void *_item_ = sdp_array_push((arena), &_array_, (count), sizeof(**_items_));              \
        *_items_ = _array_;                                                                        \
        (__typeof__(*_items_))_item_;                                                              \
    })
void *sdp_array_push(Arena *a, void **items, size_t *count, size_t size);

/*
 * Parses text[0..len) (CRLF or LF line ends; the last line end may be missing). Returns 0 and
 * *ret (in a), or a negative errno with one line in err (errlen bytes; may be NULL):
 *   -E2BIG   a limit above is exceeded: "line 40: more than 64 payload types in an m-section
 *            (SDP_MAX_CODECS)";
 *   -EINVAL  malformed: "line 12 (a=rtpmap): bad clock rate"; v=0 must come first and o=, s=,
 *            t= must be present; control characters and NUL bytes are refused;
 *   -ENOMEM.
 * Attributes that are not modelled are kept in extra; a modelled attribute at a level where
 * this module does not expect it (a=ice-lite in an m-section) is kept there too.
 */
int sdp_parse(Arena *a, const char *text, size_t len, Sdp **ret, char *err, size_t errlen);

/*
 * Generates sdp as text with CRLF line ends, snprintf-style: writes at most size bytes into buf
 * (NUL-terminated when size > 0) and returns the length of the whole text. -E2BIG when sdp
 * exceeds a limit, -EINVAL when a string holds a control character or a required field is
 * missing (origin username and address, a codec's name with its clock rate); err as for
 * sdp_parse. For everything the structures hold, sdp_parse(sdp_write(x)) equals x
 * (sdp_equal), attribute order aside.
 */
ssize_t sdp_write(const Sdp *sdp, char *buf, size_t size, char *err, size_t errlen);
/* sdp_write into a new string in a; *ret_len may be NULL. */
int sdp_generate(Arena *a, const Sdp *sdp, char **ret, size_t *ret_len, char *err, size_t errlen);

/* Deep equality of everything the structures hold, array order included; extra lines compare as
 * sdp_write orders them (the a= ones among themselves, the others among themselves). */
bool sdp_equal(const Sdp *x, const Sdp *y);

/* Lookups. NULL when not found. */
const SdpMedia *sdp_find_mid(const Sdp *sdp, const char *mid);
const SdpCodec *sdp_find_codec(const SdpMedia *m, uint8_t pt);
const SdpSsrc *sdp_find_ssrc(const SdpMedia *m, uint32_t ssrc);
/* The group with these semantics ("BUNDLE"), compared case-insensitively. */
const SdpGroup *sdp_find_group(const Sdp *sdp, const char *semantics);
/* The id of the extension with this URI, or -ENOENT. */
int sdp_extmap_id(const SdpMedia *m, const char *uri);
/* The second SSRC of the a=ssrc-group:FID whose first is ssrc (its rtx), or -ENOENT. */
int sdp_rtx_ssrc(const SdpMedia *m, uint32_t ssrc, uint32_t *ret);

/* The ICE and DTLS attributes that apply to m: each of its own, else the session's. */
void sdp_media_transport(const Sdp *sdp, const SdpMedia *m, SdpTransport *ret);

/*
 * The remote ICE credentials and fingerprint of a negotiated BUNDLE transport: those of remote's
 * section whose mid starts answer's BUNDLE group (the first section answer accepts when it has
 * no group). remote is the client's description (its offer when the SFU answered, its answer
 * when the SFU offered). aiortc gives each section credentials of its own and uses the ones
 * this picks. -ENOENT when answer accepts nothing.
 */
int sdp_remote_transport(const Sdp *remote, const Sdp *answer, SdpTransport *ret);

/*
 * a=fmtp parameters ("key=value;key=value", spaces after ';' allowed). sdp_fmtp_find sets
 * *ret_value to the value (not NUL-terminated: up to the next ';') and *ret_len to its length;
 * keys compare case-insensitively. sdp_fmtp_get_uint reads a decimal value (apt,
 * packetization-mode). -ENOENT when absent (or fmtp is NULL), -EINVAL when not a number.
 */
int sdp_fmtp_find(const char *fmtp, const char *key, const char **ret_value, size_t *ret_len);
int sdp_fmtp_get_uint(const char *fmtp, const char *key, uint32_t *ret);

const char *sdp_direction_name(SdpDirection d); /* "sendrecv", …; "" for NONE */
const char *sdp_media_kind_name(const SdpMedia *m);
/* The direction seen from the other side: sendonly <-> recvonly. */
SdpDirection sdp_direction_reverse(SdpDirection d);

/* Header extensions the SFU uses (RFC 8843, RFC 6464, and two of libwebrtc's). */
#define SDP_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SDP_URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SDP_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDP_URI_TRANSPORT_CC                                                                       \
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
