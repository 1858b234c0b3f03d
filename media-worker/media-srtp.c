/* media-srtp: SRTP/SRTCP contexts from DTLS-SRTP keys; see media-srtp.h. */
#include "media-srtp.h"

#include <errno.h>
#include <limits.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Wide enough for the reordering a browser's pacer and NACK retransmissions produce. */
#define REPLAY_WINDOW 1024

struct MediaSrtp {
    srtp_t tx, rx;
};

/* srtp_init once per process: the worker is single-threaded, so a flag is enough. */
static int ensure_init(void) {
    static bool done;
    if (!done) {
        if (srtp_init() != srtp_err_status_ok)
            return -EIO;
        done = true;
    }
    return 0;
}

static int make_session(srtp_t *ret, const uint8_t key[MEDIA_DTLS_SRTP_KEY_LEN], bool outbound) {
    srtp_policy_t policy;
    unsigned char k[MEDIA_DTLS_SRTP_KEY_LEN];
    memset(&policy, 0, sizeof(policy));
    memcpy(k, key, sizeof(k));
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = k;
    policy.window_size = REPLAY_WINDOW;
    /* The SFU may send a packet again (a retransmission answering a NACK). */
    policy.allow_repeat_tx = outbound;
    return srtp_create(ret, &policy) == srtp_err_status_ok ? 0 : -EINVAL;
}

int media_srtp_new(const uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN],
                   const uint8_t remote[MEDIA_DTLS_SRTP_KEY_LEN], MediaSrtp **ret) {
    int r = ensure_init();
    if (r < 0)
        return r;
    MediaSrtp *srtp = calloc(1, sizeof(*srtp));
    if (!srtp)
        return -ENOMEM;
    r = make_session(&srtp->tx, local, true);
    if (r >= 0)
        r = make_session(&srtp->rx, remote, false);
    if (r < 0) {
        media_srtp_free(srtp);
        return r;
    }
    *ret = srtp;
    return 0;
}

MediaSrtp *media_srtp_free(MediaSrtp *srtp) {
    if (!srtp)
        return NULL;
    if (srtp->tx)
        srtp_dealloc(srtp->tx);
    if (srtp->rx)
        srtp_dealloc(srtp->rx);
    free(srtp);
    return NULL;
}

typedef srtp_err_status_t (*srtp_fn)(srtp_t, void *, int *);

static int run(srtp_t s, srtp_fn fn, uint8_t *buf, size_t *len) {
    if (*len > INT_MAX - MEDIA_SRTP_TRAILER)
        return -EINVAL;
    int n = (int)*len;
    if (fn(s, buf, &n) != srtp_err_status_ok)
        return -EINVAL;
    *len = (size_t)n;
    return 0;
}

int media_srtp_protect(MediaSrtp *srtp, uint8_t *buf, size_t *len) {
    return run(srtp->tx, srtp_protect, buf, len);
}

int media_srtp_unprotect(MediaSrtp *srtp, uint8_t *buf, size_t *len) {
    return run(srtp->rx, srtp_unprotect, buf, len);
}

int media_srtp_protect_rtcp(MediaSrtp *srtp, uint8_t *buf, size_t *len) {
    return run(srtp->tx, srtp_protect_rtcp, buf, len);
}

int media_srtp_unprotect_rtcp(MediaSrtp *srtp, uint8_t *buf, size_t *len) {
    return run(srtp->rx, srtp_unprotect_rtcp, buf, len);
}
