/* media-config: hype-media's configuration: the variable table, the struct it fills, and the
 * worker's slice of the UDP port range. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-config.h"

typedef struct MediaConfig {
    int log_level;
    char *media_socket;
    long long worker_id; /* 1..workers */
    long long workers;   /* how many share the port range (0 in the environment: CPUs) */
    uint16_t min_port, max_port;
    char *bind_address;
    char *announced_ip;           /* never empty after media_config_load */
    long long max_transports;     /* 0 in the environment: one per port of the slice */
    uint64_t connect_timeout_ms;  /* a transport must complete ICE and DTLS within it */
    long long speaking_threshold; /* -dBov: a level at or under it is speech */
    uint64_t speaking_hold_ms;    /* how long speaking lasts after the last loud packet */
    /* This worker's slice of min_port..max_port. */
    uint16_t slice_min, slice_max;
} MediaConfig;

extern const ConfigVar media_config_vars[];
extern const size_t media_config_vars_count;

/* Reads and checks the environment, then derives the slice and the defaults that depend on
 * others (the CPU count, the bind address, the slice's size). One clear line in err on failure;
 * cfg holds nothing to free then. */
int media_config_load(MediaConfig *cfg, char *err, size_t errlen);
void media_config_free(MediaConfig *cfg);

/*
 * Worker id's slice of the ports min..max shared by count workers (ids 1..count): consecutive
 * slices of equal size, the first (ports % count) one port larger, covering the whole range.
 * -EINVAL when min > max, count is 0 or id is not in 1..count; -ERANGE when the range has fewer
 * ports than workers. ret_* are not written on failure.
 */
int media_config_port_slice(unsigned min, unsigned max, unsigned count, unsigned id,
                            unsigned *ret_min, unsigned *ret_max);
