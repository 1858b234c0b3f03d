/* Unit tests for media-worker/media-rtp-stats: loss, wraparound, restarts, jitter and the
 * last sender report, as a receiver's report block says them. */
#include "media-rtp-stats.h"
#include "test.h"

TEST(a_perfect_stream_reports_no_loss_and_no_jitter) {
    RtpRecvStats s;
    RtcpReportBlock b;
    rtp_recv_stats_init(&s, 90000);
    for (uint32_t i = 0; i < 100; i++) /* 30 fps, on time */
        rtp_recv_stats_update(&s, (uint16_t)(1000 + i), 3000 * i, 33333u * i + 5);
    rtp_recv_stats_report(&s, 7, 4000000, &b);
    ASSERT_EQ_U(b.ssrc, 7);
    ASSERT_EQ(b.fraction_lost, 0);
    ASSERT_EQ(b.cumulative_lost, 0);
    ASSERT_EQ_U(b.highest_seq, 1099);
    ASSERT_LE(b.jitter, 1);
    ASSERT_EQ_U(b.lsr, 0);
    ASSERT_EQ_U(b.dlsr, 0);
}

TEST(losses_count_per_interval_and_in_total) {
    RtpRecvStats s;
    RtcpReportBlock b;
    rtp_recv_stats_init(&s, 48000);
    for (uint32_t i = 0; i < 100; i++)
        if (i % 4 != 3) /* a quarter lost */
            rtp_recv_stats_update(&s, (uint16_t)i, 960 * i, 20000u * i);
    rtp_recv_stats_report(&s, 1, 2000000, &b);
    /* 99 is not known lost yet: 24 of the 99 expected (0..98), of 256 */
    ASSERT_EQ(b.cumulative_lost, 24);
    ASSERT_EQ(b.fraction_lost, 24 * 256 / 99);
    for (uint32_t i = 100; i < 200; i++)
        rtp_recv_stats_update(&s, (uint16_t)i, 960 * i, 20000u * i);
    rtp_recv_stats_report(&s, 1, 4000000, &b);
    ASSERT_EQ(b.fraction_lost, 1 * 256 / 101); /* 99, now known lost */
    ASSERT_EQ(b.cumulative_lost, 25);
}

TEST(sequence_numbers_wrap_and_restarts_start_over) {
    RtpRecvStats s;
    RtcpReportBlock b;
    rtp_recv_stats_init(&s, 90000);
    for (uint32_t i = 0; i < 10; i++)
        rtp_recv_stats_update(&s, (uint16_t)(65530 + i), 0, 0);
    rtp_recv_stats_report(&s, 1, 0, &b);
    ASSERT_EQ_U(b.highest_seq, 65536 + 3);
    ASSERT_EQ(b.cumulative_lost, 0);
    rtp_recv_stats_update(&s, 30000, 0, 0); /* a new sender on the same SSRC */
    rtp_recv_stats_report(&s, 1, 0, &b);
    ASSERT_EQ_U(b.highest_seq, 30000);
    ASSERT_EQ(b.cumulative_lost, 0);
}

TEST(the_last_sender_report_and_its_delay) {
    RtpRecvStats s;
    RtcpReportBlock b;
    rtp_recv_stats_init(&s, 90000);
    rtp_recv_stats_update(&s, 1, 0, 0);
    rtp_recv_stats_on_sr(&s, 0x1122334455667788ull, 1000000);
    rtp_recv_stats_report(&s, 1, 1500000, &b);
    ASSERT_EQ_U(b.lsr, 0x33445566);
    ASSERT_EQ_U(b.dlsr, 32768); /* half a second in 1/65536 s */
}

TEST(jitter_grows_with_uneven_arrivals) {
    RtpRecvStats s;
    RtcpReportBlock b;
    rtp_recv_stats_init(&s, 90000);
    for (uint32_t i = 0; i < 200; i++) /* every other packet 10 ms late */
        rtp_recv_stats_update(&s, (uint16_t)i, 3000 * i, 33333u * i + (i % 2) * 10000);
    rtp_recv_stats_report(&s, 1, 0, &b);
    ASSERT_GT(b.jitter, 600); /* about 900 units (10 ms at 90 kHz) */
    ASSERT_LT(b.jitter, 1000);
}

TEST_MAIN()
