/* media-rtp-rewriter: one outgoing RTP stream's sequence numbers and timestamps, continuous
 * across pauses and changes of source whatever the input does. */
#include "media-rtp-rewriter.h"

#include <errno.h>

/* RFC 3550 appendix A.1's bounds: a step forward under MAX_DROPOUT is a loss, one back within
 * MAX_MISORDER a late packet, anything else a jump that the next packet must confirm. */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
/* Extended sequence numbers start one cycle in, so that late packets never go below zero. */
#define EXT_BASE 0x10000u

void rtp_rewriter_init(RtpRewriter *rw, uint32_t clock_rate, uint16_t seq_base, uint32_t ts_base) {
    /* The first segment continues from "one before the base", with no time passed. */
    *rw = (RtpRewriter){
        .clock_rate = clock_rate,
        .resync = true,
        .out_seq = (uint16_t)(seq_base - 1),
        .out_ts = ts_base,
    };
}

void rtp_rewriter_resync(RtpRewriter *rw) {
    rw->resync = true;
}

static void record_sent(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us) {
    rw->out_seq = (uint16_t)(seq + rw->seq_off);
    rw->out_ts = ts + rw->ts_off;
    rw->out_us = now_us;
    rw->started = true;
}

/* Timestamp ticks between the last packet sent and now; at least 1 once something was sent. */
static uint32_t ticks_since_last(const RtpRewriter *rw, uint64_t now_us) {
    if (!rw->started)
        return 0;
    uint64_t us = now_us > rw->out_us ? now_us - rw->out_us : 0;
    uint64_t ticks = us * rw->clock_rate / 1000000;
    return ticks ? (uint32_t)ticks : 1;
}

static void start_segment(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us) {
    rw->seq_off = (uint16_t)(rw->out_seq + 1 - seq);
    rw->ts_off = rw->out_ts + ticks_since_last(rw, now_us) - ts;
    rw->max_ext = rw->start_ext = EXT_BASE | seq;
    rw->resync = false;
    rw->probing = false;
    record_sent(rw, seq, ts, now_us);
}

/* The input's place in the segment: 0 to forward it, or why not. */
static int track_input(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us) {
    uint16_t udelta = (uint16_t)(seq - (uint16_t)rw->max_ext);
    if (udelta < MAX_DROPOUT) {
        rw->probing = false;
        if (udelta > 0) {
            rw->max_ext += udelta;
            record_sent(rw, seq, ts, now_us);
        }
        return 0;
    }
    if (udelta <= 65536 - MAX_MISORDER) {
        if (rw->probing && seq == rw->bad_seq) {
            start_segment(rw, seq, ts, now_us);
            return 0;
        }
        rw->probing = true;
        rw->bad_seq = (uint16_t)(seq + 1);
        return -ERANGE;
    }
    uint64_t ext = rw->max_ext - (uint16_t)(0x10000 - udelta);
    return ext < rw->start_ext ? -ESTALE : 0;
}

int rtp_rewriter_map(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us, uint16_t *ret_seq,
                     uint32_t *ret_ts) {
    if (rw->resync)
        start_segment(rw, seq, ts, now_us);
    else {
        int r = track_input(rw, seq, ts, now_us);
        if (r < 0)
            return r;
    }
    *ret_seq = (uint16_t)(seq + rw->seq_off);
    *ret_ts = ts + rw->ts_off;
    return 0;
}

int rtp_rewriter_unmap_seq(const RtpRewriter *rw, uint16_t out_seq, uint16_t *ret_seq) {
    if (!rw->started)
        return -ESTALE;
    uint16_t in = (uint16_t)(out_seq - rw->seq_off);
    uint16_t back = (uint16_t)((uint16_t)rw->max_ext - in);
    if (back >= 0x8000 || rw->max_ext - back < rw->start_ext)
        return -ESTALE;
    *ret_seq = in;
    return 0;
}

uint32_t rtp_rewriter_map_ts(const RtpRewriter *rw, uint32_t ts) {
    return ts + rw->ts_off;
}
