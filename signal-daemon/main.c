/* hype-signal: the realtime gateway daemon; main only wires configuration and the server. */
#include <stdio.h>
#include <stdlib.h>

#include "hype-log.h"
#include "signal-config.h"
#include "signal-server.h"

static const char summary[] =
    "Hype's realtime gateway: WebSocket and Socket.IO sessions, presence, rooms, signaling.";

int main(int argc, char **argv) {
    bool check_only;
    int r = config_parse_args(argc, argv, "hype-signal", summary, signal_config_vars,
                              signal_config_vars_count, &check_only);
    if (r <= 0)
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

    log_open("hype-signal");
    SignalConfig cfg;
    char err[512];
    if (signal_config_load(&cfg, err, sizeof(err)) < 0) {
        log_error("configuration error: %s", err);
        return EXIT_FAILURE;
    }
    log_set_max_level(cfg.log_level);
    if (check_only) {
        signal_config_free(&cfg);
        return EXIT_SUCCESS;
    }
    Signal *sig = NULL;
    r = signal_new(&cfg, &sig);
    if (r < 0) {
        log_error_errno(r, "cannot start: %m");
        r = EXIT_FAILURE;
    } else
        r = signal_run(sig);
    signal_free(sig);
    signal_config_free(&cfg);
    return r;
}
