/* signal-config: hype-signal's configuration: the variable table and the struct it fills. */
#include "signal-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define F(field) offsetof(SignalConfig, field)

const ConfigVar signal_config_vars[] = {
    {"LOG_LEVEL", CONFIG_LOGLEVEL, 0, "info", 0, 0, F(log_level),
     "error, warning, notice, info or debug"},
    {"BIND_ADDRESS", CONFIG_STRING, 0, "0.0.0.0", 1, 255, F(bind_address),
     "address the WebSocket port listens on (IPv4 or IPv6 literal)"},
    {"WS_PORT", CONFIG_PORT, 0, "8080", 0, 0, F(ws_port), "WebSocket (and Socket.IO) port"},
    {"SIGNAL_SOCKET", CONFIG_STRING, 0, "/run/hype/signal.sock", 1, 107, F(signal_socket),
     "Unix socket where hype-api connects to exchange events and requests"},
    {"MEDIA_SOCKET", CONFIG_STRING, 0, "/run/hype/media.sock", 1, 107, F(media_socket),
     "Unix socket where the hype-media workers connect and register"},
    {"JWT_ACCESS_SECRET", CONFIG_STRING, CONFIG_REQUIRED | CONFIG_SECRET, NULL, 32, 4096,
     F(jwt_access_secret), "HS256 key of hype-api's access tokens (the same value)"},
    {"WS_ALLOWED_ORIGINS", CONFIG_STRING, 0, "", 0, 4096, F(allowed_origins),
     "comma-separated browser origins allowed to connect (empty: any)"},
    {"WS_MAX_MESSAGE", CONFIG_SIZE, 0, "1M", 1024, 67108864, F(max_message),
     "largest client message, all fragments together; larger ones close with 1009"},
    {"WS_OUTPUT_LIMIT", CONFIG_SIZE, 0, "1M", 4096, 1073741824LL, F(output_limit),
     "unsent bytes allowed per connection; a client that stops reading is closed (1008)"},
    {"WS_AUTH_OUTPUT_LIMIT", CONFIG_SIZE, 0, "16K", 1024, 1073741824LL, F(auth_output_limit),
     "unsent bytes allowed per connection until it has authenticated (pongs, errors)"},
    {"WS_PENDING_OPS", CONFIG_INT, 0, "32", 1, 100000, F(pending_ops),
     "client requests a session may have waiting for hype-api at once; more are refused (429)"},
    {"WS_PING_INTERVAL", CONFIG_MSEC, 0, "25s", 50, 3600000, F(ping_interval_ms),
     "how often the server pings each connection"},
    {"WS_PING_TIMEOUT", CONFIG_MSEC, 0, "20s", 50, 3600000, F(ping_timeout_ms),
     "a connection silent this long after a ping is dead and is closed"},
    {"WS_AUTH_TIMEOUT", CONFIG_MSEC, 0, "10s", 50, 600000, F(auth_timeout_ms),
     "time a connection has to authenticate before it is closed with 4001"},
    {"WS_HANDSHAKE_TIMEOUT", CONFIG_MSEC, 0, "10s", 50, 600000, F(handshake_timeout_ms),
     "time a new TCP connection has to send its whole HTTP upgrade request"},
    {"RESUME_WINDOW", CONFIG_MSEC, 0, "2min", 1000, 86400000, F(resume_window_ms),
     "how long a dropped session can be resumed with the events it missed"},
    {"RESUME_BUFFER", CONFIG_INT, 0, "128", 1, 65536, F(resume_buffer),
     "events kept per session for resuming; a client further behind resyncs over REST"},
    {"CHANNEL_BROADCAST_MAX", CONFIG_INT, 0, "1000", 0, 10000000, F(channel_broadcast_max),
     "channels with more subscribers tell only the joiner of user_joined/user_left"},
    {"TYPING_TIMEOUT", CONFIG_MSEC, 0, "8s", 1000, 60000, F(typing_timeout_ms),
     "how long a typing indicator lasts unless renewed"},
    {"CALL_RING_TIMEOUT", CONFIG_MSEC, 0, "30s", 500, 600000, F(call_ring_timeout_ms),
     "how long a 1:1 call rings before it is missed"},
    {"MAX_CONNECTIONS", CONFIG_INT, 0, "200000", 1, 10000000, F(max_connections),
     "open client connections accepted at once"},
    {"SIGNAL_CONFORMANCE", CONFIG_BOOL, 0, "0", 0, 0, F(conformance),
     "test only: serve /socket.io/ and /engine.io/ as the official protocol test suites' "
     "reference server does (no authentication)"},
    {"WS_ECHO", CONFIG_BOOL, 0, "0", 0, 0, F(ws_echo),
     "test only: serve an unauthenticated echo endpoint at /echo (conformance harness)"},
};
const size_t signal_config_vars_count = sizeof(signal_config_vars) / sizeof(signal_config_vars[0]);

int signal_config_load(SignalConfig *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof(*cfg));
    int r = config_load(signal_config_vars, signal_config_vars_count, cfg, err, errlen);
    if (r < 0) {
        signal_config_free(cfg);
        return r;
    }
    return 0;
}

void signal_config_free(SignalConfig *cfg) {
    if (cfg->jwt_access_secret)
        explicit_bzero(cfg->jwt_access_secret, strlen(cfg->jwt_access_secret));
    config_free(signal_config_vars, signal_config_vars_count, cfg);
}

bool signal_config_origin_allowed(const SignalConfig *cfg, const char *origin) {
    const char *list = cfg->allowed_origins;
    if (!list || !*list)
        return true;
    if (!origin)
        return true; /* not a browser: Origin is what browsers send, others need not */
    size_t olen = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        if ((size_t)(end - p) == olen && strncasecmp(p, origin, olen) == 0)
            return true;
        if ((size_t)(end - p) == 1 && *p == '*')
            return true;
        p = end;
    }
    return false;
}
