/* media-rtp-stats: what a receiver knows of one incoming RTP stream (RFC 3550 appendix A.1,
 * A.3 and A.8: extended sequence numbers, loss, interarrival jitter, the last sender report)
 * and the report block it sends back about it; pure, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "media-rtcp.h"

typedef struct RtpRecvStats {
    uint32_t clock_rate;
    bool started;
    uint16_t max_seq;
    uint32_t cycles;   /* wraps of the sequence number, times 65536 */
    uint32_t base_seq; /* the first one, extended */
    uint32_t received, expected_prior, received_prior;
    bool have_transit;
    int32_t transit;    /* of the last packet, in RTP units */
    uint32_t jitter_q4; /* interarrival jitter times 16 (A.8's integer form) */
    uint32_t lsr;       /* the last SR's NTP time, middle 32 bits; 0: none yet */
    uint64_t lsr_us;    /* when it arrived */
} RtpRecvStats;

/* A stream at this clock rate (Hz), nothing received yet. */
void rtp_recv_stats_init(RtpRecvStats *s, uint32_t clock_rate);

/* A packet arrived at now_us (any monotonic clock in microseconds). A jump of 3000 or more
 * numbers ahead, or 100 or more behind (a restarted sender), restarts the counts. */
void rtp_recv_stats_update(RtpRecvStats *s, uint16_t seq, uint32_t ts, uint64_t now_us);

/* The sender's report (its NTP time) arrived at now_us. */
void rtp_recv_stats_on_sr(RtpRecvStats *s, uint64_t ntp, uint64_t now_us);

/* The report block about it for an RR sent at now_us (fraction lost since the previous one,
 * cumulative loss, highest sequence, jitter, LSR and DLSR), and that interval closes. */
void rtp_recv_stats_report(RtpRecvStats *s, uint32_t ssrc, uint64_t now_us, RtcpReportBlock *ret);
