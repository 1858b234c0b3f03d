/* api-server: the hype-api manager: owns the loop's parts (HTTP, DB pool, work pool) and their
 * start and stop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api-config.h"
#include "api-db.h"
#include "api-ratelimit.h"
#include "api-revocation.h"
#include "api-workpool.h"
#include "hype-http-server.h"
#include "hype-id.h"

struct event_base;
struct event;

typedef struct Api {
    struct event_base *base;
    const ApiConfig *cfg;
    HttpServer *http;
    DbPool *db;
    WorkPool *work;
    Revocations *revoked;
    RateLimiter *limiter;
    struct ApiSignal *signal; /* the link to hype-signal */
    struct ApiEvents *events; /* what goes over it once committed */
    IdGenerator ids;
    int64_t started_ms;
    bool serving;
    int exit_code;
    struct event *sig_term, *sig_int, *force_exit;
    int stop_signal; /* the first SIGTERM or SIGINT; force_exit is armed from then on */
} Api;

/* Builds every part; nothing listens or connects yet. */
int api_new(const ApiConfig *cfg, Api **ret);
/* Connects the pool, checks the schema version, loads revocations, listens, sends READY=1;
 * then runs the loop until SIGTERM/SIGINT has drained every request. Returns the exit code. */
int api_run(Api *api);
Api *api_free(Api *api);
