/* api-config: hype-api's configuration: the variable table and the struct it fills. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-config.h"

typedef struct ApiConfig {
    /* Needed by every mode (--migrate, --seed, serving). */
    char *database_url;
    char *sql_dir;
    int log_level;
    /* Serving only. */
    char *bind_address;
    uint16_t port;
    long long db_pool_size;
    uint64_t db_queue_timeout_ms;
    uint64_t db_statement_timeout_ms;
    char *jwt_access_secret;
    char *jwt_refresh_secret;
    uint64_t access_token_ttl_ms;
    uint64_t refresh_token_ttl_ms;
    long long argon2_memory_kib;
    long long argon2_time_cost;
    long long argon2_parallelism;
    long long argon2_threads;
    size_t max_body_size;
    long long json_max_depth;
    long long node_id;
    long long rate_limit, rate_limit_auth;
    uint64_t rate_limit_window_ms;
    char *cors_origin;
    char *signal_socket;
    char *trust_proxy;
} ApiConfig;

extern const ConfigVar api_config_vars[];
extern const size_t api_config_vars_count;

/* serve == false loads only what --migrate/--seed need. One clear line in err on failure. */
int api_config_load(ApiConfig *cfg, bool serve, char *err, size_t errlen);
void api_config_free(ApiConfig *cfg);
