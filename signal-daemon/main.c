/* hype-signal: the realtime gateway daemon; main only wires configuration and the server. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "hype-log.h"
#include "signal-config.h"
#include "signal-server.h"

static const char summary[] =
    "Hype's realtime gateway: WebSocket and Socket.IO sessions, presence, rooms, signaling.";
static const char options[] = "  --check-config  validate the configuration and exit\n"
                              "  --help          show this help\n"
                              "  --version       show the version\n";

static int parse_args(int argc, char **argv, bool *check_only) {
    static const struct option longopts[] = {
        {"check-config", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    int c;
    *check_only = false;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': *check_only = true; break;
        case 'h':
            config_print_help(stdout, "hype-signal", summary, options, signal_config_vars,
                              signal_config_vars_count);
            return 0;
        case 'V': config_print_version(stdout, "hype-signal"); return 0;
        default: return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hype-signal: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

int main(int argc, char **argv) {
    bool check_only;
    int r = parse_args(argc, argv, &check_only);
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
