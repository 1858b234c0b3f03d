/* Unit tests for media-worker/media-config: each worker's slice of the UDP port range, and the
 * configuration's rules and derived defaults. */
#include <stdlib.h>
#include <unistd.h>

#include "hype-log.h"
#include "media-config.h"
#include "test.h"

TEST(slices_cover_the_range_in_order_without_overlap) {
    unsigned lo, hi;
    /* Seed 000's range, 101 ports: two workers, the first one port larger. */
    ASSERT_EQ(media_config_port_slice(10000, 10100, 2, 1, &lo, &hi), 0);
    ASSERT_EQ(lo, 10000);
    ASSERT_EQ(hi, 10050);
    ASSERT_EQ(media_config_port_slice(10000, 10100, 2, 2, &lo, &hi), 0);
    ASSERT_EQ(lo, 10051);
    ASSERT_EQ(hi, 10100);
    /* Every split of a few ranges: consecutive, sizes differing by one at most, larger first. */
    static const unsigned ranges[][2] = {{10000, 10100}, {1, 7}, {40000, 40000}, {1, 65535}};
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
        unsigned min = ranges[r][0], max = ranges[r][1], ports = max - min + 1;
        for (unsigned count = 1; count <= 16 && count <= ports; count++) {
            unsigned next = min, size0 = 0;
            for (unsigned id = 1; id <= count; id++) {
                ASSERT_EQ(media_config_port_slice(min, max, count, id, &lo, &hi), 0);
                ASSERT_EQ(lo, next);
                ASSERT_LE(lo, hi);
                unsigned size = hi - lo + 1;
                if (id == 1)
                    size0 = size;
                ASSERT_TRUE(size == size0 || size + 1 == size0);
                ASSERT_EQ(size, ports / count + (id - 1 < ports % count));
                next = hi + 1;
            }
            ASSERT_EQ(next, max + 1);
        }
    }
    /* As many ports as workers: one each. */
    ASSERT_EQ(media_config_port_slice(5000, 5003, 4, 4, &lo, &hi), 0);
    ASSERT_EQ(lo, 5003);
    ASSERT_EQ(hi, 5003);
}

TEST(slices_refuse_what_cannot_be_split) {
    unsigned lo = 1, hi = 2;
    ASSERT_EQ(media_config_port_slice(10000, 10002, 4, 1, &lo, &hi), -ERANGE); /* 3 for 4 */
    ASSERT_EQ(media_config_port_slice(10100, 10000, 1, 1, &lo, &hi), -EINVAL); /* min > max */
    ASSERT_EQ(media_config_port_slice(10000, 10100, 0, 1, &lo, &hi), -EINVAL); /* nobody */
    ASSERT_EQ(media_config_port_slice(10000, 10100, 4, 0, &lo, &hi), -EINVAL); /* ids from 1 */
    ASSERT_EQ(media_config_port_slice(10000, 10100, 4, 5, &lo, &hi), -EINVAL); /* above count */
    ASSERT_EQ(lo, 1); /* not written on failure */
    ASSERT_EQ(hi, 2);
}

/* ---- the configuration from the environment ---- */

static const char *const names[] = {"LOG_LEVEL",          "MEDIA_SOCKET",   "MEDIA_WORKER_ID",
                                    "MEDIA_WORKERS",      "MEDIA_MIN_PORT", "MEDIA_MAX_PORT",
                                    "MEDIA_BIND_ADDRESS", "ANNOUNCED_IP",   "MEDIA_MAX_TRANSPORTS"};

static void env_reset(void) {
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    setenv("MEDIA_WORKER_ID", "2", 1);
    setenv("MEDIA_WORKERS", "4", 1);
    setenv("ANNOUNCED_IP", "203.0.113.7", 1);
}

TEST(defaults_and_what_derives_from_them) {
    env_reset();
    MediaConfig cfg;
    char err[256] = "";
    ASSERT_EQ(media_config_load(&cfg, err, sizeof(err)), 0);
    ASSERT_STREQ(cfg.media_socket, "/run/hype/media.sock");
    ASSERT_EQ(cfg.worker_id, 2);
    ASSERT_EQ(cfg.slice_min, 10026);
    ASSERT_EQ(cfg.slice_max, 10050);
    ASSERT_EQ(cfg.max_transports, 25); /* one per port of the slice */
    ASSERT_STREQ(cfg.bind_address, "0.0.0.0");
    ASSERT_STREQ(cfg.announced_ip, "203.0.113.7");
    media_config_free(&cfg);
    /* Without MEDIA_WORKERS: one per CPU; without ANNOUNCED_IP: a specific bind address. */
    unsetenv("MEDIA_WORKERS");
    unsetenv("ANNOUNCED_IP");
    setenv("MEDIA_WORKER_ID", "1", 1);
    setenv("MEDIA_BIND_ADDRESS", "::1", 1);
    setenv("MEDIA_MAX_TRANSPORTS", "3", 1);
    ASSERT_EQ(media_config_load(&cfg, err, sizeof(err)), 0);
    ASSERT_EQ(cfg.workers, sysconf(_SC_NPROCESSORS_ONLN));
    ASSERT_STREQ(cfg.announced_ip, "::1");
    ASSERT_EQ(cfg.max_transports, 3);
    ASSERT_EQ(cfg.slice_min, 10000);
    media_config_free(&cfg);
}

TEST(each_rule_is_one_clear_line) {
    static const struct {
        const char *name, *value, *want;
    } cases[] = {
        {"MEDIA_WORKER_ID", "", "MEDIA_WORKER_ID is required"},
        {"MEDIA_WORKER_ID", "9", "MEDIA_WORKER_ID=9 is above MEDIA_WORKERS=4 (ids run from 1)"},
        {"MEDIA_MIN_PORT", "10101", "MEDIA_MIN_PORT=10101 is above MEDIA_MAX_PORT=10100"},
        {"MEDIA_MAX_PORT", "10002",
         "MEDIA_MIN_PORT..MEDIA_MAX_PORT (10000-10002) has 3 ports for MEDIA_WORKERS=4 workers: "
         "each needs one at least"},
        {"MEDIA_MAX_TRANSPORTS", "26",
         "MEDIA_MAX_TRANSPORTS=26 is more than the 25 UDP ports of worker 2's slice "
         "(10026-10050): each transport takes one"},
        {"MEDIA_BIND_ADDRESS", "eth0", "MEDIA_BIND_ADDRESS=eth0: not an IPv4 or IPv6 address"},
        {"ANNOUNCED_IP", "0.0.0.0",
         "ANNOUNCED_IP=0.0.0.0: clients cannot reach a wildcard address"},
        {"ANNOUNCED_IP", "1.2.3", "ANNOUNCED_IP=1.2.3: not an IPv4 or IPv6 address"},
        {"ANNOUNCED_IP", "",
         "ANNOUNCED_IP is required when MEDIA_BIND_ADDRESS is 0.0.0.0: the address clients reach "
         "this machine at"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env_reset();
        setenv(cases[i].name, cases[i].value, 1);
        MediaConfig cfg;
        char err[256] = "";
        ASSERT_EQ(media_config_load(&cfg, err, sizeof(err)), -EINVAL);
        ASSERT_STREQ(err, cases[i].want);
        ASSERT_NULL(cfg.media_socket); /* nothing left to free */
    }
}

TEST_MAIN()
