/* hype-media: a media worker (SFU) daemon; main only wires configuration and the manager. */
#include <stdio.h>
#include <stdlib.h>

#include "hype-log.h"
#include "media-config.h"
#include "media-worker.h"

static const char summary[] =
    "Hype's media worker: one SFU process of several, linked to hype-signal, forwarding the "
    "voice and video of the routers placed on it.";

int main(int argc, char **argv) {
    bool check_only;
    int r = config_parse_args(argc, argv, "hype-media", summary, media_config_vars,
                              media_config_vars_count, &check_only);
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
