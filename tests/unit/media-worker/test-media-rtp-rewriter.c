/* Unit tests for media-worker/media-rtp-rewriter: continuity of a consumer's sequence numbers
 * and timestamps through wraparound, losses, reordering, pause/resume, source switches and
 * input restarts. */
#include "media-rtp-rewriter.h"
#include "test.h"

typedef struct Out {
    int r;
    uint16_t seq;
    uint32_t ts;
} Out;

static Out map(RtpRewriter *rw, uint16_t seq, uint32_t ts, uint64_t now_us) {
    Out o = {0};
    o.r = rtp_rewriter_map(rw, seq, ts, now_us, &o.seq, &o.ts);
    return o;
}

#define ASSERT_MAPS(rw, in_seq, in_ts, now, want_seq, want_ts)                                     \
    do {                                                                                           \
        Out o_ = map(rw, in_seq, in_ts, now);                                                      \
        ASSERT_EQ(o_.r, 0);                                                                        \
        ASSERT_EQ(o_.seq, (uint16_t)(want_seq));                                                   \
        ASSERT_EQ_U(o_.ts, (uint32_t)(want_ts));                                                   \
    } while (0)

TEST(first_packet_gets_the_bases) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 48000, 1000, 5000);
    ASSERT_MAPS(&rw, 777, 123456, 0, 1000, 5000);
    ASSERT_MAPS(&rw, 778, 123456 + 960, 20000, 1001, 5960);
    ASSERT_MAPS(&rw, 780, 123456 + 2880, 60000, 1003, 7880); /* a loss stays a gap */
    ASSERT_MAPS(&rw, 779, 123456 + 1920, 61000, 1002, 6920); /* late: between */
    ASSERT_MAPS(&rw, 779, 123456 + 1920, 62000, 1002, 6920); /* duplicate: the same */
    ASSERT_EQ_U(rtp_rewriter_map_ts(&rw, 123456 + 2880), 7880);
}

TEST(wraparound_of_input_and_output) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 90000, 65534, 0xfffffe00);
    uint16_t in = 65533;
    uint32_t ts = 0xffffff00;
    for (int i = 0; i < 10; i++, in++, ts += 0x80)
        ASSERT_MAPS(&rw, in, ts, (uint64_t)i * 1000, 65534 + i, 0xfffffe00u + 0x80u * i);
    /* late packets across the input wrap */
    ASSERT_MAPS(&rw, 65535, 0xffffff00 + 0x100, 20000, 65534 + 2, 0xfffffe00u + 0x100);
    ASSERT_MAPS(&rw, 0, 0xffffff00 + 0x180, 20000, 65534 + 3, 0xfffffe00u + 0x180);
}

TEST(pause_resume_continues_after_the_last_sent) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 48000, 100, 1000);
    uint64_t t = 0;
    for (int i = 0; i < 5; i++, t += 20000)
        ASSERT_MAPS(&rw, 500 + i, 9600 + 960 * i, t, 100 + i, 1000 + 960 * i);
    /* paused for 2 s while the producer went on (100 packets); then resumed */
    rtp_rewriter_resync(&rw);
    uint64_t resume = (t - 20000) + 2000000;
    ASSERT_MAPS(&rw, 605, 9600 + 960 * 105, resume, 105, 1000 + 960 * 4 + 96000);
    ASSERT_MAPS(&rw, 606, 9600 + 960 * 106, resume + 20000, 106, 1000 + 960 * 5 + 96000);
    /* a packet from before the resume point is refused: its number was used before */
    Out o = map(&rw, 604, 0, resume + 30000);
    ASSERT_EQ(o.r, -ESTALE);
}

TEST(source_switch) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 90000, 40000, 7);
    ASSERT_MAPS(&rw, 10, 1000, 0, 40000, 7);
    ASSERT_MAPS(&rw, 11, 1000, 1000, 40001, 7); /* same frame */
    ASSERT_MAPS(&rw, 12, 4000, 33000, 40002, 3007);
    /* another producer: unrelated numbers and clock, 10 ms later */
    rtp_rewriter_resync(&rw);
    ASSERT_MAPS(&rw, 60000, 0xfffffff0, 43000, 40003, 3007 + 900);
    ASSERT_MAPS(&rw, 60001, 0xfffffff0, 44000, 40004, 3007 + 900);
    ASSERT_MAPS(&rw, 60002, 0xfffffff0 + 3000, 76000, 40005, 3007 + 3900);
    /* and back to the first, whose numbers went on meanwhile */
    rtp_rewriter_resync(&rw);
    ASSERT_MAPS(&rw, 90, 90000, 76000, 40006, 3007 + 3900 + 1); /* no time: one tick */
}

TEST(sequence_restart_needs_confirmation) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 48000, 0, 0);
    ASSERT_MAPS(&rw, 100, 0, 0, 0, 0);
    ASSERT_MAPS(&rw, 101, 960, 20000, 1, 960);
    /* one wild packet, then normal ones: it is dropped and nothing changes */
    ASSERT_EQ(map(&rw, 30000, 5, 30000).r, -ERANGE);
    ASSERT_MAPS(&rw, 102, 1920, 40000, 2, 1920);
    /* a real restart: the first is dropped, the second confirms it */
    ASSERT_EQ(map(&rw, 40000, 777, 60000).r, -ERANGE);
    ASSERT_MAPS(&rw, 40001, 777 + 960, 80000, 3, 1920 + 1920);
    ASSERT_MAPS(&rw, 40002, 777 + 1920, 100000, 4, 1920 + 2880);
    /* far behind (more than 100 back) counts as a jump, not as a late packet */
    ASSERT_EQ(map(&rw, 39000, 0, 100000).r, -ERANGE);
    ASSERT_MAPS(&rw, 40003, 777 + 2880, 120000, 5, 1920 + 3840);
}

TEST(reordered_first_packets_of_a_segment) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 90000, 10, 10);
    ASSERT_MAPS(&rw, 501, 100, 0, 10, 10);
    ASSERT_EQ(map(&rw, 500, 100, 0).r, -ESTALE); /* before the segment's first */
    ASSERT_MAPS(&rw, 502, 100, 0, 11, 10);
}

TEST(unmap_for_nack) {
    RtpRewriter rw;
    uint16_t in;
    rtp_rewriter_init(&rw, 90000, 65530, 0);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 65530, &in), -ESTALE); /* nothing sent */
    for (uint16_t i = 0; i < 10; i++)
        ASSERT_EQ(map(&rw, (uint16_t)(65000 + i), 0, i).r, 0);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 65530, &in), 0);
    ASSERT_EQ(in, 65000);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 3, &in), 0); /* output wrapped */
    ASSERT_EQ(in, 65009);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 4, &in), -ESTALE);     /* not sent yet */
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 65529, &in), -ESTALE); /* before the stream */
    rtp_rewriter_resync(&rw);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 3, &in), 0); /* still the old segment until a packet */
    ASSERT_EQ(map(&rw, 7, 0, 100).r, 0);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 4, &in), 0);
    ASSERT_EQ(in, 7);
    ASSERT_EQ(rtp_rewriter_unmap_seq(&rw, 3, &in), -ESTALE); /* the previous segment's */
}

/* A long run with losses, reordering, pauses and switches: what the receiver sees never steps
 * back and never skips except where the input lost packets. */
TEST(long_run_stays_monotonic) {
    RtpRewriter rw;
    rtp_rewriter_init(&rw, 48000, 12345, 0xfffff000);
    uint16_t in = 65000, prev_seq = 0;
    uint32_t ts = 0xfff00000, prev_ts = 0;
    uint64_t now = 0;
    bool first = true;
    unsigned sent = 0;
    for (unsigned i = 0; i < 300000; i++, in++, ts += 960, now += 20000) {
        if (i % 5000 == 4999) { /* a pause of 100 packets, or a source switch */
            in += 100, ts += 96000, now += 2000000;
            if (i % 10000 == 9999)
                in += 20000, ts += 123456789;
            rtp_rewriter_resync(&rw);
        }
        if (i % 97 == 50)
            continue; /* lost */
        Out o = map(&rw, in, ts, now);
        ASSERT_EQ(o.r, 0);
        if (!first) {
            uint16_t step = (uint16_t)(o.seq - prev_seq);
            ASSERT_TRUE(step == 1 || (step == 2 && i % 97 == 51));
            ASSERT_GT((int32_t)(o.ts - prev_ts), 0);
        }
        first = false;
        prev_seq = o.seq, prev_ts = o.ts;
        sent++;
    }
    ASSERT_GT(sent, 290000);
}

TEST_MAIN()
