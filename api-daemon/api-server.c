/* api-server: the hype-api manager: owns the loop's parts (HTTP, DB pool, work pool) and their
 * start and stop. */
#include "api-server.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-events.h"
#include "api-signal.h"
#include "api-migrate.h"
#include "api-password.h"
#include "api-router.h"
#include "hype-log.h"
#include "hype-notify.h"
#include "hype-time.h"

#define SHUTDOWN_GRACE_SECONDS 15
#define WORK_QUEUE_MAX 4096
#define PROCESS_API 1 /* the "process" bits of IDs hype-api makes */

enum {
    S_SCHEMA_VERSION,
    S_LOAD_REVOKED,
    S__COUNT,
};

static const DbStatement startup_statements[] = {
    [S_SCHEMA_VERSION] = {"startup_schema_version", MIGRATE_VERSION_SQL, 0},
    /* Sessions revoked recently enough that some of their access tokens may still be valid. */
    [S_LOAD_REVOKED] =
        {"startup_revoked_sessions",
         "SELECT id, floor(extract(epoch FROM revoked_at) * 1000)::int8 FROM sessions"
         " WHERE revoked_at > now() - make_interval(secs => $1::float8)",
         1},
};
_Static_assert(sizeof(startup_statements) / sizeof(startup_statements[0]) == S__COUNT,
               "one statement per S_ name");

static void fail_start(Api *api, int r, const char *what) {
    log_error_errno(r, "%s", what);
    api->exit_code = EXIT_FAILURE;
    event_base_loopbreak(api->base);
}

static int listen_http(Api *api) {
    int fd = notify_listen_fd("http");
    if (fd >= 0)
        return http_server_listen_fd(api->http, fd);
    return http_server_bind(api->http, api->cfg->bind_address, api->cfg->port);
}

static void start_serving(Api *api) {
    int r = listen_http(api);
    if (r < 0) {
        log_error_errno(r, "cannot listen on %s:%u: %m", api->cfg->bind_address, api->cfg->port);
        api->exit_code = EXIT_FAILURE;
        event_base_loopbreak(api->base);
        return;
    }
    api->serving = true;
    api_signal_start(api->signal);
    notify_watchdog_start(api->base);
    notify_ready("serving on port %u", http_server_port(api->http));
    log_info("hype-api %s serving on %s:%u", HYPE_VERSION, api->cfg->bind_address,
             http_server_port(api->http));
}

static void on_revoked_loaded(const DbResult *res, void *userdata) {
    Api *api = userdata;
    if (res->error) {
        fail_start(api, res->error, "cannot read revoked sessions");
        return;
    }
    int64_t ttl = (int64_t)api->cfg->access_token_ttl_ms;
    for (int i = 0; i < db_ntuples(res); i++)
        revocations_add(api->revoked, strtoull(db_value(res, i, 0), NULL, 10),
                        strtoll(db_value(res, i, 1), NULL, 10) + ttl, time_wall_ms());
    start_serving(api);
}

static void on_schema_version(const DbResult *res, void *userdata) {
    Api *api = userdata;
    int expected = migrate_expected_version(api->cfg->sql_dir);
    int have = res->error == 0 && db_ntuples(res) == 1 ? atoi(db_value(res, 0, 0)) : 0;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "42P01") == 0)
        have = 0; /* no schema_migrations table: nothing applied */
    else if (res->error) {
        fail_start(api, res->error, "cannot read the schema version");
        return;
    }
    if (expected < 0 || have < expected) {
        log_error("database schema is at version %d but this hype-api needs %d: "
                  "run \"hype-api --migrate\" first",
                  have, expected);
        api->exit_code = EXIT_FAILURE;
        event_base_loopbreak(api->base);
        return;
    }
    const char *params[1] = {NULL};
    char ttl[32];
    snprintf(ttl, sizeof(ttl), "%.3f", (double)api->cfg->access_token_ttl_ms / 1000.0);
    params[0] = ttl;
    int r = db_query(api->db, &startup_statements[S_LOAD_REVOKED], params, on_revoked_loaded, api);
    if (r < 0)
        fail_start(api, r, "cannot queue the start-up queries");
}

static void on_db_ready(DbPool *pool, int error, const char *message, void *userdata) {
    Api *api = userdata;
    if (error < 0) {
        /* Statements are prepared at connect: on a database whose schema is missing or behind,
         * that is where it shows first. */
        if (error == -EIO)
            log_error("%s; is the schema current? run \"hype-api --migrate\"", message);
        else
            log_error("%s", message);
        api->exit_code = EXIT_FAILURE;
        event_base_loopbreak(api->base);
        return;
    }
    notify_status("database connected, checking schema");
    int r = db_query(api->db, &startup_statements[S_SCHEMA_VERSION], NULL, on_schema_version, api);
    if (r < 0)
        fail_start(api, r, "cannot queue the start-up queries");
}

static void on_drained(void *userdata) {
    Api *api = userdata;
    event_base_loopexit(api->base, NULL);
}

static void on_force_exit(evutil_socket_t fd, short what, void *userdata) {
    Api *api = userdata;
    log_warning("requests still running %d s after the stop signal: exiting anyway",
                SHUTDOWN_GRACE_SECONDS);
    event_base_loopbreak(api->base);
}

static const char *signal_name(int sig) {
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : strsignal(sig);
}

static void on_signal(evutil_socket_t sig, short what, void *userdata) {
    Api *api = userdata;
    if (api->force_exit) {
        /* A second signal while draining (make run's Ctrl-C, then its SIGTERM): stop now, and
         * say so; this is not the grace timeout. Every connection still open after the drain
         * began is one with a request running, arriving or being answered. */
        size_t n = http_server_connections(api->http);
        log_full_errno(n ? LOG_WARNING : LOG_INFO, 0,
                       "received %s %s%s: exiting now with %zu connection%s still open",
                       signal_name((int)sig), sig == api->stop_signal ? "again" : "after ",
                       sig == api->stop_signal ? "" : signal_name(api->stop_signal), n,
                       n == 1 ? "" : "s");
        event_base_loopbreak(api->base);
        return;
    }
    api->stop_signal = (int)sig;
    log_info("received %s, finishing in-flight requests", signal_name((int)sig));
    notify_stopping("stopping: draining %zu connections", http_server_connections(api->http));
    struct timeval grace = {SHUTDOWN_GRACE_SECONDS, 0};
    api->force_exit = evtimer_new(api->base, on_force_exit, api);
    evtimer_add(api->force_exit, &grace);
    if (!api->serving)
        event_base_loopbreak(api->base);
    else
        http_server_shutdown(api->http, on_drained, api);
}

static int make_pools(Api *api) {
    const ApiConfig *c = api->cfg;
    DbPoolOptions db = {
        .conninfo = c->database_url,
        .size = (unsigned)c->db_pool_size,
        .queue_timeout_ms = (uint32_t)c->db_queue_timeout_ms,
        .statement_timeout_ms = (uint32_t)c->db_statement_timeout_ms,
    };
    int r = db_pool_new(api->base, &db, &api->db);
    if (r < 0)
        return r;
    db_pool_register(api->db, startup_statements, ELEMENTSOF(startup_statements));
    for (size_t i = 0; i < api_modules_count; i++)
        db_pool_register(api->db, api_modules[i]->statements, api_modules[i]->n_statements);
    return workpool_new(api->base, (unsigned)c->argon2_threads, WORK_QUEUE_MAX, &api->work);
}

int api_new(const ApiConfig *cfg, Api **ret) {
    Api *api = calloc(1, sizeof(*api));
    if (!api)
        return -ENOMEM;
    api->cfg = cfg;
    api->started_ms = time_wall_ms();
    api->base = event_base_new();
    int r = api->base ? 0 : -ENOMEM;
    if (r == 0)
        r = id_generator_init(&api->ids, (unsigned)cfg->node_id, PROCESS_API);
    if (r == 0)
        r = revocations_new(&api->revoked);
    if (r == 0)
        r = ratelimit_new(0, &api->limiter);
    if (r == 0)
        r = make_pools(api);
    if (r == 0) {
        PasswordParams pp = {(uint32_t)cfg->argon2_memory_kib, (uint32_t)cfg->argon2_time_cost,
                             (uint32_t)cfg->argon2_parallelism};
        r = password_init(&pp);
    }
    if (r == 0) {
        HttpServerOptions ho = {.max_body_size = cfg->max_body_size, .server_name = "hype"};
        r = http_server_new(api->base, &ho, api_router_dispatch, api, &api->http);
    }
    if (r == 0)
        r = api_signal_new(api, cfg->signal_socket, &api->signal);
    if (r == 0)
        r = api_events_new(api, &api->events);
    if (r < 0) {
        api_free(api);
        return r;
    }
    *ret = api;
    return 0;
}

int api_run(Api *api) {
    notify_raise_fd_limit();
    api->sig_term = evsignal_new(api->base, SIGTERM, on_signal, api);
    api->sig_int = evsignal_new(api->base, SIGINT, on_signal, api);
    if (!api->sig_term || !api->sig_int || evsignal_add(api->sig_term, NULL) < 0 ||
        evsignal_add(api->sig_int, NULL) < 0) {
        log_error("cannot install signal handlers");
        return EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN);
    notify_status("connecting to PostgreSQL");
    int r = db_pool_start(api->db, on_db_ready, api);
    if (r < 0) {
        log_error_errno(r, "cannot start the database pool: %m");
        return EXIT_FAILURE;
    }
    event_base_dispatch(api->base);
    return api->exit_code;
}

Api *api_free(Api *api) {
    if (!api)
        return NULL;
    notify_watchdog_stop();
    api->http = http_server_free(api->http);
    /* The work pool first: its completions may still queue queries. */
    api->work = workpool_free(api->work);
    api->db = db_pool_free(api->db);
    api->events = api_events_free(api->events);
    /* Last: requests hype-signal made may still be answered while the parts above close. */
    api->signal = api_signal_free(api->signal);
    api->revoked = revocations_free(api->revoked);
    api->limiter = ratelimit_free(api->limiter);
    if (api->sig_term)
        event_free(api->sig_term);
    if (api->sig_int)
        event_free(api->sig_int);
    if (api->force_exit)
        event_free(api->force_exit);
    if (api->base)
        event_base_free(api->base);
    free(api);
    return NULL;
}
