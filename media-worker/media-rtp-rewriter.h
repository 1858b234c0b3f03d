/* media-rtp-rewriter: one outgoing RTP stream's sequence numbers and timestamps, continuous
 * across pauses and changes of source whatever the input does; pure, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Per consumer stream. Its output runs in segments: within one, output = input + an offset
 * (so reordering, losses and retransmissions keep their meaning and NACKs map back); a new
 * segment starts after rtp_rewriter_resync() (the consumer resumed, or its source changed) or
 * when the input's sequence restarts (RFC 3550 appendix A.1: a jump of 3000 or more confirmed
 * by the next packet). A segment's first packet gets the sequence number after the highest one
 * sent and a timestamp ahead of the last one by the time that has passed, at the stream's clock
 * rate, so the receiver sees no gap and no step back. Inputs older than the segment's start are
 * refused: their numbers belong to the segment before.
 */
typedef struct RtpRewriter {
    uint32_t clock_rate;
    bool started; /* something was sent */
    bool resync;  /* the next packet starts a segment */
    uint16_t seq_off;
    uint32_t ts_off;
    uint64_t max_ext;   /* the segment's highest input sequence, extended by its cycles */
    uint64_t start_ext; /* the segment's first input, extended */
    uint16_t out_seq;   /* the highest output sequence sent, its timestamp and when */
    uint32_t out_ts;
    uint64_t out_us;
    bool probing; /* an input jumped: bad_seq is the next number that confirms a restart */
    uint16_t bad_seq;
} RtpRewriter;

/* A stream at this clock rate (Hz) whose first packet will be (seq_base, ts_base): pick them at
 * random (RFC 3550 section 5.1). */
void rtp_rewriter_init(RtpRewriter *rw, uint32_t clock_rate, uint16_t seq_base, uint32_t ts_base);

/* The next packet mapped starts a new segment: call it on resume and on a change of source. */
void rtp_rewriter_resync(RtpRewriter *rw);

/*
 * Maps an input packet, now_us being its send time (any monotonic clock): 0 and the output
 * sequence number and timestamp; -ESTALE for a packet from before the segment's start and
 * -ERANGE for the first packet of a jump not yet confirmed (RFC 3550 appendix A.1): drop them.
 * Duplicates map to the same output as the first copy.
 */
int rtp_rewriter_map(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us, uint16_t *ret_seq,
                     uint32_t *ret_ts);

/*
 * The input sequence number behind an output one of the current segment (to relay a
 * consumer's NACK to its producer): 0, or -ESTALE when it was sent in an earlier segment or not
 * at all.
 */
int rtp_rewriter_unmap_seq(const RtpRewriter *rw, uint16_t out_seq, uint16_t *ret_seq);

/* An input timestamp in the output's time base (for the RTP time of forwarded sender reports). */
uint32_t rtp_rewriter_map_ts(const RtpRewriter *rw, uint32_t ts);
