/* signal-config: hype-signal's configuration: the variable table and the struct it fills. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-config.h"

typedef struct SignalConfig {
    int log_level;
    char *bind_address;
    uint16_t ws_port;
    char *signal_socket;
    char *media_socket;
    char *jwt_access_secret;
    char *allowed_origins;
    size_t max_message;
    size_t output_limit;
    size_t auth_output_limit;
    long long pending_ops;
    uint64_t ping_interval_ms;
    uint64_t ping_timeout_ms;
    uint64_t auth_timeout_ms;
    uint64_t handshake_timeout_ms;
    uint64_t resume_window_ms;
    long long resume_buffer;
    uint64_t typing_timeout_ms;
    uint64_t call_ring_timeout_ms;
    long long channel_broadcast_max;
    long long max_connections;
    bool ws_echo;
    bool conformance;
} SignalConfig;

extern const ConfigVar signal_config_vars[];
extern const size_t signal_config_vars_count;

/* One clear line in err on failure. */
int signal_config_load(SignalConfig *cfg, char *err, size_t errlen);
void signal_config_free(SignalConfig *cfg);
/* Whether origin is allowed by ALLOWED_ORIGINS (empty: any). */
bool signal_config_origin_allowed(const SignalConfig *cfg, const char *origin);
