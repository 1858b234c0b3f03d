/* hype-media: a media worker (SFU) daemon; main only wires configuration and the manager. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "hype-log.h"
#include "media-config.h"
#include "media-worker.h"

static const char summary[] =
    "Hype's media worker: one SFU process of several, linked to hype-signal, forwarding the "
    "voice and video of the routers placed on it.";
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
            config_print_help(stdout, "hype-media", summary, options, media_config_vars,
                              media_config_vars_count);
            return 0;
        case 'V': config_print_version(stdout, "hype-media"); return 0;
        default: return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hype-media: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

int main(int argc, char **argv) {
    bool check_only;
    int r = parse_args(argc, argv, &check_only);
    if (r <= 0)
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

    log_open("hype-media");
    MediaConfig cfg;
    char err[512];
    if (media_config_load(&cfg, err, sizeof(err)) < 0) {
        log_error("configuration error: %s", err);
        return EXIT_FAILURE;
    }
    log_set_max_level(cfg.log_level);
    if (check_only) {
        media_config_free(&cfg);
        return EXIT_SUCCESS;
    }
    MediaWorker *worker = NULL;
    r = media_worker_new(&cfg, &worker);
    if (r < 0) {
        log_error_errno(r, "cannot start: %m");
        r = EXIT_FAILURE;
    } else
        r = media_worker_run(worker);
    media_worker_free(worker);
    media_config_free(&cfg);
    return r;
}
