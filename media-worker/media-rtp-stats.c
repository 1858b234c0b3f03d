/* media-rtp-stats: receive statistics of one RTP stream; see media-rtp-stats.h. */
#include "media-rtp-stats.h"

#include <string.h>

#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

void rtp_recv_stats_init(RtpRecvStats *s, uint32_t clock_rate) {
    memset(s, 0, sizeof(*s));
    s->clock_rate = clock_rate;
}

static void restart(RtpRecvStats *s, uint16_t seq) {
    uint32_t clock_rate = s->clock_rate, lsr = s->lsr;
    uint64_t lsr_us = s->lsr_us;
    rtp_recv_stats_init(s, clock_rate);
    s->lsr = lsr;
    s->lsr_us = lsr_us;
    s->started = true;
    s->max_seq = seq;
    s->base_seq = seq;
}

/* A.8 in integer form: the arrival time in RTP units, whose difference with the timestamp
 * only matters up to a constant. */
static void update_jitter(RtpRecvStats *s, uint32_t ts, uint64_t now_us) {
    uint32_t arrival = (uint32_t)(now_us * s->clock_rate / 1000000u);
    int32_t transit = (int32_t)(arrival - ts);
    if (s->have_transit) {
        int32_t d = transit - s->transit;
        uint32_t ad = (uint32_t)(d < 0 ? -d : d);
        s->jitter_q4 += ad - ((s->jitter_q4 + 8) >> 4);
    }
    s->transit = transit;
    s->have_transit = true;
}

void rtp_recv_stats_update(RtpRecvStats *s, uint16_t seq, uint32_t ts, uint64_t now_us) {
    if (!s->started)
        restart(s, seq);
    uint16_t delta = (uint16_t)(seq - s->max_seq);
    if (delta < MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += 65536; /* wrapped */
        s->max_seq = seq;
    } else if (delta <= 65536 - MAX_MISORDER) {
        restart(s, seq); /* the sender started over */
    } /* else: a late or duplicate packet, counted as received (A.1 does the same) */
    s->received++;
    update_jitter(s, ts, now_us);
}

void rtp_recv_stats_on_sr(RtpRecvStats *s, uint64_t ntp, uint64_t now_us) {
    s->lsr = (uint32_t)(ntp >> 16);
    s->lsr_us = now_us;
}

void rtp_recv_stats_report(RtpRecvStats *s, uint32_t ssrc, uint64_t now_us, RtcpReportBlock *ret) {
    uint32_t ext_max = s->cycles + s->max_seq;
    uint32_t expected = s->started ? ext_max - s->base_seq + 1 : 0;
    int64_t lost = (int64_t)expected - s->received;
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    int64_t lost_interval = (int64_t)expected_interval - received_interval;
    memset(ret, 0, sizeof(*ret));
    ret->ssrc = ssrc;
    ret->fraction_lost = expected_interval == 0 || lost_interval <= 0
                             ? 0
                             : (uint8_t)((lost_interval << 8) / expected_interval);
    /* 24 bits, signed: duplicates can make it negative. */
    ret->cumulative_lost = (int32_t)(lost > 0x7fffff    ? 0x7fffff
                                     : lost < -0x800000 ? -0x800000
                                                        : lost);
    ret->highest_seq = ext_max;
    ret->jitter = s->jitter_q4 >> 4;
    ret->lsr = s->lsr;
    ret->dlsr = s->lsr ? (uint32_t)((now_us - s->lsr_us) * 65536u / 1000000u) : 0;
    s->expected_prior = expected;
    s->received_prior = s->received;
}
