/* media-worker: the hype-media manager: makes the worker's parts (its link to hype-signal, and
 * what hangs on it), runs the GLib main loop, tells systemd, and stops on SIGTERM or SIGINT. */
#pragma once

#include "media-config.h"

typedef struct MediaWorker MediaWorker;

/* Builds every part (cfg is borrowed); nothing connects yet. */
int media_worker_new(const MediaConfig *cfg, MediaWorker **ret);
/* Sends READY=1 (the worker is up whether or not hype-signal is: it links when it can, and says
 * so in STATUS=), runs the loop until SIGTERM or SIGINT has closed what the worker holds and its
 * link has sent what was queued (2 s at most; a second signal stops at once). Returns the exit
 * code. */
int media_worker_run(MediaWorker *worker);
MediaWorker *media_worker_free(MediaWorker *worker);
