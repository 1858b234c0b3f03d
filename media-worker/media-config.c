/* media-config: hype-media's configuration: the variable table, the struct it fills, and the
 * worker's slice of the UDP port range. */
#include "media-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define F(field) offsetof(MediaConfig, field)

const ConfigVar media_config_vars[] = {
    {"LOG_LEVEL", CONFIG_LOGLEVEL, 0, "info", 0, 0, F(log_level),
     "error, warning, notice, info or debug"},
    {"MEDIA_SOCKET", CONFIG_STRING, 0, "/run/hype/media.sock", 1, 107, F(media_socket),
     "hype-signal's Unix socket where workers connect and register (the same path in both)"},
    {"MEDIA_WORKER_ID", CONFIG_INT, CONFIG_REQUIRED, NULL, 1, 4096, F(worker_id),
     "this worker's number, 1 to MEDIA_WORKERS (hype-media@N.service sets N)"},
    {"MEDIA_WORKERS", CONFIG_INT, 0, "0", 0, 4096, F(workers),
     "how many workers share the port range, each its own slice (0: one per CPU)"},
    {"MEDIA_MIN_PORT", CONFIG_PORT, 0, "10000", 0, 0, F(min_port),
     "first UDP port of the range the workers share"},
    {"MEDIA_MAX_PORT", CONFIG_PORT, 0, "10100", 0, 0, F(max_port),
     "last UDP port of the range the workers share"},
    {"MEDIA_BIND_ADDRESS", CONFIG_STRING, 0, "0.0.0.0", 1, 63, F(bind_address),
     "address the worker's UDP ports bind to (IPv4 or IPv6 literal)"},
    {"ANNOUNCED_IP", CONFIG_STRING, 0, "", 0, 63, F(announced_ip),
     "address clients reach the worker at, which its ICE candidates carry (empty: "
     "MEDIA_BIND_ADDRESS, which must then not be a wildcard)"},
    {"MEDIA_MAX_TRANSPORTS", CONFIG_INT, 0, "0", 0, 65536, F(max_transports),
     "WebRTC transports the worker accepts at once, each on one port of its slice (0: as many "
     "as the slice has ports)"},
    {"MEDIA_CONNECT_TIMEOUT", CONFIG_MSEC, 0, "30s", 1000, 600000, F(connect_timeout_ms),
     "time a new WebRTC transport has to complete ICE and DTLS before it is closed"},
    {"MEDIA_SPEAKING_THRESHOLD", CONFIG_INT, 0, "50", 0, 127, F(speaking_threshold),
     "audio level (-dBov, 0 loudest, 127 silence) at or under which a producer is speaking"},
    {"MEDIA_SPEAKING_HOLD", CONFIG_MSEC, 0, "500ms", 50, 10000, F(speaking_hold_ms),
     "how long a producer stays speaking after its last packet over the threshold"},
};
const size_t media_config_vars_count = sizeof(media_config_vars) / sizeof(media_config_vars[0]);

int media_config_port_slice(unsigned min, unsigned max, unsigned count, unsigned id,
                            unsigned *ret_min, unsigned *ret_max) {
    if (min > max || count == 0 || id == 0 || id > count)
        return -EINVAL;
    unsigned ports = max - min + 1;
    if (ports < count)
        return -ERANGE;
    unsigned size = ports / count, larger = ports % count, before = id - 1;
    unsigned lo = min + before * size + (before < larger ? before : larger);
    *ret_min = lo;
    *ret_max = lo + size - (before < larger ? 0 : 1);
    return 0;
}

/* 1 for an IP literal that is a wildcard, 0 for another literal, -EINVAL for no literal. */
static int ip_literal(const char *s) {
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, s, buf) == 1)
        return ((struct in_addr *)buf)->s_addr == INADDR_ANY;
    if (inet_pton(AF_INET6, s, buf) == 1)
        return memcmp(buf, &in6addr_any, sizeof(in6addr_any)) == 0;
    return -EINVAL;
}

static int derive(MediaConfig *cfg, char *err, size_t errlen) {
    if (cfg->workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->workers = cpus > 0 ? cpus : 1;
    }
    if (cfg->min_port > cfg->max_port) {
        snprintf(err, errlen, "MEDIA_MIN_PORT=%u is above MEDIA_MAX_PORT=%u", cfg->min_port,
                 cfg->max_port);
        return -EINVAL;
    }
    if (cfg->worker_id > cfg->workers) {
        snprintf(err, errlen, "MEDIA_WORKER_ID=%lld is above MEDIA_WORKERS=%lld (ids run from 1)",
                 cfg->worker_id, cfg->workers);
        return -EINVAL;
    }
    unsigned lo, hi;
    if (media_config_port_slice(cfg->min_port, cfg->max_port, (unsigned)cfg->workers,
                                (unsigned)cfg->worker_id, &lo, &hi) < 0) {
        snprintf(err, errlen,
                 "MEDIA_MIN_PORT..MEDIA_MAX_PORT (%u-%u) has %u ports for MEDIA_WORKERS=%lld "
                 "workers: each needs one at least",
                 cfg->min_port, cfg->max_port, cfg->max_port - cfg->min_port + 1u, cfg->workers);
        return -EINVAL;
    }
    cfg->slice_min = (uint16_t)lo;
    cfg->slice_max = (uint16_t)hi;
    long long ports = hi - lo + 1;
    if (cfg->max_transports == 0)
        cfg->max_transports = ports;
    else if (cfg->max_transports > ports) {
        snprintf(err, errlen,
                 "MEDIA_MAX_TRANSPORTS=%lld is more than the %lld UDP ports of worker %lld's "
                 "slice (%u-%u): each transport takes one",
                 cfg->max_transports, ports, cfg->worker_id, lo, hi);
        return -EINVAL;
    }
    int bind_any = ip_literal(cfg->bind_address);
    if (bind_any < 0) {
        snprintf(err, errlen, "MEDIA_BIND_ADDRESS=%s: not an IPv4 or IPv6 address",
                 cfg->bind_address);
        return -EINVAL;
    }
    if (!cfg->announced_ip[0]) {
        if (bind_any) {
            snprintf(err, errlen,
                     "ANNOUNCED_IP is required when MEDIA_BIND_ADDRESS is %s: the address "
                     "clients reach this machine at",
                     cfg->bind_address);
            return -EINVAL;
        }
        free(cfg->announced_ip);
        cfg->announced_ip = strdup(cfg->bind_address);
        return cfg->announced_ip ? 0 : -ENOMEM;
    }
    int announced_any = ip_literal(cfg->announced_ip);
    if (announced_any != 0) {
        snprintf(err, errlen, "ANNOUNCED_IP=%s: %s", cfg->announced_ip,
                 announced_any < 0 ? "not an IPv4 or IPv6 address"
                                   : "clients cannot reach a wildcard address");
        return -EINVAL;
    }
    return 0;
}

int media_config_load(MediaConfig *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof(*cfg));
    int r = config_load(media_config_vars, media_config_vars_count, cfg, err, errlen);
    if (r == 0)
        r = derive(cfg, err, errlen);
    if (r < 0) {
        if (r == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        media_config_free(cfg);
    }
    return r;
}

void media_config_free(MediaConfig *cfg) {
    config_free(media_config_vars, media_config_vars_count, cfg);
}
