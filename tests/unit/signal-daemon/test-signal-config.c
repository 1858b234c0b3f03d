/* Unit tests for signal-daemon/signal-config: defaults, errors, the origin allow-list. */
#include "signal-config.h"
#include "test.h"

static void clear_env(void) {
    for (size_t i = 0; i < signal_config_vars_count; i++)
        unsetenv(signal_config_vars[i].name);
}

TEST(defaults_and_required_secret) {
    clear_env();
    SignalConfig cfg;
    char err[256];
    ASSERT_EQ(signal_config_load(&cfg, err, sizeof(err)), -EINVAL);
    ASSERT_TRUE(strstr(err, "JWT_ACCESS_SECRET") != NULL);
    setenv("JWT_ACCESS_SECRET", "0123456789abcdef0123456789abcdef", 1);
    ASSERT_EQ(signal_config_load(&cfg, err, sizeof(err)), 0);
    ASSERT_EQ(cfg.ws_port, 8080);
    ASSERT_EQ(cfg.max_message, 1 << 20);
    ASSERT_EQ(cfg.ping_interval_ms, 25000);
    ASSERT_FALSE(cfg.ws_echo);
    signal_config_free(&cfg);
}

TEST(origin_allow_list) {
    clear_env();
    setenv("JWT_ACCESS_SECRET", "0123456789abcdef0123456789abcdef", 1);
    setenv("WS_ALLOWED_ORIGINS", "https://a.example, https://B.example", 1);
    SignalConfig cfg;
    char err[256];
    ASSERT_EQ(signal_config_load(&cfg, err, sizeof(err)), 0);
    ASSERT_TRUE(signal_config_origin_allowed(&cfg, "https://a.example"));
    ASSERT_TRUE(signal_config_origin_allowed(&cfg, "https://b.example"));
    ASSERT_FALSE(signal_config_origin_allowed(&cfg, "https://a.example.evil"));
    ASSERT_FALSE(signal_config_origin_allowed(&cfg, "https://a.exampl"));
    ASSERT_TRUE(signal_config_origin_allowed(&cfg, NULL));
    signal_config_free(&cfg);
    unsetenv("WS_ALLOWED_ORIGINS");
    ASSERT_EQ(signal_config_load(&cfg, err, sizeof(err)), 0);
    ASSERT_TRUE(signal_config_origin_allowed(&cfg, "https://anything"));
    signal_config_free(&cfg);
}

TEST_MAIN()
