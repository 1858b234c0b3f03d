/* api-config: hype-api's configuration: the variable table and the struct it fills. */
#include "api-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define F(field) offsetof(ApiConfig, field)
#define CLI_VARS 3 /* the first entries are all that --migrate and --seed read */

const ConfigVar api_config_vars[] = {
    {"DATABASE_URL", CONFIG_STRING, CONFIG_REQUIRED, NULL, 0, 0, F(database_url),
     "PostgreSQL connection string (libpq URI or key=value)"},
    {"HYPE_SQL_DIR", CONFIG_STRING, 0, HYPE_SQL_DIR, 1, 4096, F(sql_dir),
     "directory holding the NNN_name.sql migrations and seed.sql"},
    {"LOG_LEVEL", CONFIG_LOGLEVEL, 0, "info", 0, 0, F(log_level),
     "error, warning, notice, info or debug"},
    {"BIND_ADDRESS", CONFIG_STRING, 0, "0.0.0.0", 1, 255, F(bind_address),
     "address the HTTP API listens on (IPv4 or IPv6 literal)"},
    {"PORT", CONFIG_PORT, 0, "3001", 0, 0, F(port), "HTTP API port"},
    {"DB_POOL_SIZE", CONFIG_INT, 0, "4", 1, 256, F(db_pool_size),
     "PostgreSQL connections held by hype-api"},
    {"DB_QUEUE_TIMEOUT", CONFIG_MSEC, 0, "5s", 10, 600000, F(db_queue_timeout_ms),
     "longest a query waits for a free connection before the request gets 503"},
    {"DB_STATEMENT_TIMEOUT", CONFIG_MSEC, 0, "10s", 10, 600000, F(db_statement_timeout_ms),
     "PostgreSQL statement_timeout for every query"},
    {"JWT_ACCESS_SECRET", CONFIG_STRING, CONFIG_REQUIRED | CONFIG_SECRET, NULL, 32, 4096,
     F(jwt_access_secret), "HS256 key for access tokens (at least 32 bytes)"},
    {"JWT_REFRESH_SECRET", CONFIG_STRING, CONFIG_REQUIRED | CONFIG_SECRET, NULL, 32, 4096,
     F(jwt_refresh_secret), "HS256 key for refresh tokens (at least 32 bytes, not the access key)"},
    {"ACCESS_TOKEN_TTL", CONFIG_MSEC, 0, "15min", 10000, 86400000, F(access_token_ttl_ms),
     "lifetime of access tokens"},
    {"REFRESH_TOKEN_TTL", CONFIG_MSEC, 0, "7d", 60000, 31536000000LL, F(refresh_token_ttl_ms),
     "lifetime of refresh tokens (sliding: every refresh renews it)"},
    {"ARGON2_MEMORY_KIB", CONFIG_INT, 0, "19456", 1024, 4194304, F(argon2_memory_kib),
     "argon2id memory cost per hash, KiB"},
    {"ARGON2_TIME_COST", CONFIG_INT, 0, "2", 1, 100, F(argon2_time_cost), "argon2id iterations"},
    {"ARGON2_PARALLELISM", CONFIG_INT, 0, "1", 1, 64, F(argon2_parallelism),
     "argon2id lanes per hash"},
    {"ARGON2_THREADS", CONFIG_INT, 0, "0", 0, 256, F(argon2_threads),
     "password-hashing threads (0: one per CPU)"},
    {"MAX_BODY_SIZE", CONFIG_SIZE, 0, "1M", 1024, 1073741824LL, F(max_body_size),
     "largest accepted request body; larger ones get 413"},
    {"JSON_MAX_DEPTH", CONFIG_INT, 0, "32", 2, 1000, F(json_max_depth),
     "deepest JSON nesting accepted in request bodies"},
    {"NODE_ID", CONFIG_INT, 0, "0", 0, 31, F(node_id),
     "this node's number in time-ordered IDs (unique per hype-api node)"},
    {"RATE_LIMIT", CONFIG_INT, 0, "600", 1, 100000000, F(rate_limit),
     "requests per window per client address, and per signed-in user"},
    {"RATE_LIMIT_AUTH", CONFIG_INT, 0, "30", 1, 100000000, F(rate_limit_auth),
     "requests per window per client address to register, login, guest and refresh"},
    {"RATE_LIMIT_WINDOW", CONFIG_MSEC, 0, "1min", 1000, 86400000, F(rate_limit_window_ms),
     "length of a rate-limit window"},
    {"SIGNAL_SOCKET", CONFIG_STRING, 0, "/run/hype/signal.sock", 0, 107, F(signal_socket),
     "hype-signal's Unix socket, for live events (\"off\": do not connect)"},
    {"TRUST_PROXY", CONFIG_STRING, 0, "", 0, 4096, F(trust_proxy),
     "comma-separated addresses of reverse proxies whose X-Forwarded-For names the client"},
    {"CORS_ORIGIN", CONFIG_STRING, 0, "*", 1, 4096, F(cors_origin),
     "allowed browser origins: * or a comma-separated list (then credentials are allowed)"},
};
const size_t api_config_vars_count = sizeof(api_config_vars) / sizeof(api_config_vars[0]);

int api_config_load(ApiConfig *cfg, bool serve, char *err, size_t errlen) {
    memset(cfg, 0, sizeof(*cfg));
    int r =
        config_load(api_config_vars, serve ? api_config_vars_count : CLI_VARS, cfg, err, errlen);
    if (r < 0) {
        api_config_free(cfg); /* what was loaded before the bad variable */
        return r;
    }
    if (serve && strcmp(cfg->jwt_access_secret, cfg->jwt_refresh_secret) == 0) {
        snprintf(err, errlen,
                 "JWT_ACCESS_SECRET and JWT_REFRESH_SECRET must differ, so that "
                 "access and refresh tokens cannot be swapped");
        api_config_free(cfg);
        return -EINVAL;
    }
    return 0;
}

void api_config_free(ApiConfig *cfg) {
    /* Secrets should not linger in freed heap memory. */
    if (cfg->jwt_access_secret)
        explicit_bzero(cfg->jwt_access_secret, strlen(cfg->jwt_access_secret));
    if (cfg->jwt_refresh_secret)
        explicit_bzero(cfg->jwt_refresh_secret, strlen(cfg->jwt_refresh_secret));
    config_free(api_config_vars, api_config_vars_count, cfg);
}
