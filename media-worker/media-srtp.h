/* media-srtp: one side's SRTP and SRTCP contexts (libsrtp2, AES_CM_128_HMAC_SHA1_80) from the
 * keys DTLS exported: one to protect what it sends, one to unprotect what it receives. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "media-dtls.h"

/* What protecting adds at most (the 10-byte tag, and SRTCP's 4-byte index): the room every
 * buffer handed to media_srtp_protect* needs past the packet. */
#define MEDIA_SRTP_TRAILER 16

typedef struct MediaSrtp MediaSrtp;

/* local protects what this side sends, remote unprotects what it receives (media_dtls_srtp_keys).
 * Any SSRC in either direction: streams appear as packets do (libsrtp keeps one per SSRC). */
int media_srtp_new(const uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN],
                   const uint8_t remote[MEDIA_DTLS_SRTP_KEY_LEN], MediaSrtp **ret);
MediaSrtp *media_srtp_free(MediaSrtp *srtp);

/* In place: *len grows by the trailer (buf has MEDIA_SRTP_TRAILER bytes of room past it) or
 * shrinks by it. 0, or -EINVAL for what libsrtp refuses (a replay, a bad tag, a bad header). */
int media_srtp_protect(MediaSrtp *srtp, uint8_t *buf, size_t *len);
int media_srtp_unprotect(MediaSrtp *srtp, uint8_t *buf, size_t *len);
int media_srtp_protect_rtcp(MediaSrtp *srtp, uint8_t *buf, size_t *len);
int media_srtp_unprotect_rtcp(MediaSrtp *srtp, uint8_t *buf, size_t *len);
