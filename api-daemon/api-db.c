/* api-db: the PostgreSQL access layer: a pool of non-blocking libpq connections on the loop, prepared statements. */
#include "api-db.h"

#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hype-log.h"

#define TICK_MS 50
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define DSN_SHOWN_MAX 512

typedef struct Query {
    struct Query *next;
    size_t stmt;        /* index into pool->stmts */
    db_callback cb;
    void *userdata;
    uint64_t deadline_ms;
    char *params[];     /* stmt->nparams pointers, then the strings, in one allocation */
} Query;

typedef enum ConnState {
    CONN_DOWN,       /* waiting for the retry timer */
    CONN_CONNECTING, /* PQconnectPoll in progress */
    CONN_SETUP,      /* SET statement_timeout in flight */
    CONN_IDLE,
    CONN_PREPARING,  /* PQsendPrepare for the query's statement in flight */
    CONN_BUSY,       /* the query itself in flight */
} ConnState;

typedef struct Conn {
    DbPool *pool;
    PGconn *pg;
    ConnState state;
    struct event *io, *retry;
    int io_fd;
    short io_what;
    unsigned backoff_ms;
    uint64_t connect_deadline_ms;
    bool *prepared; /* per statement, on this connection */
    Query *q;       /* in flight */
    PGresult *result;
} Conn;

struct DbPool {
    struct event_base *base;
    DbPoolOptions opts;
    char *conninfo;
    char dsn_shown[DSN_SHOWN_MAX];
    const DbStatement **stmts;
    size_t n_stmts;
    Conn *conns;
    Query *head, *tail;
    size_t queued;
    struct event *tick, *pump;
    db_ready_cb ready_cb;
    void *ready_userdata;
    bool ready_reported;
    uint64_t start_deadline_ms;
    bool outage_logged;
    char last_error[256];
    uint64_t queries, errors;
};

static void conn_start(Conn *c);
static void pool_pump(DbPool *pool);

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- query queue ---- */

static void queue_push(DbPool *pool, Query *q) {
    q->next = NULL;
    if (pool->tail)
        pool->tail->next = q;
    else
        pool->head = q;
    pool->tail = q;
    pool->queued++;
}

static Query *queue_pop(DbPool *pool) {
    Query *q = pool->head;
    if (!q)
        return NULL;
    pool->head = q->next;
    if (!pool->head)
        pool->tail = NULL;
    pool->queued--;
    return q;
}

/* Runs the callback once and frees the query. */
static void query_complete(DbPool *pool, Query *q, PGresult *res, int error) {
    DbResult r = {.res = res, .error = error};
    if (res && error == 0) {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            r.error = -EIO;
            r.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            r.constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
            r.message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        }
    }
    if (r.error)
        pool->errors++;
    q->cb(&r, q->userdata);
    PQclear(res);
    free(q);
}

/* ---- connection I/O ---- */

static void on_io(evutil_socket_t fd, short what, void *arg);

/* Watches the connection's current socket for what (EV_READ and/or EV_WRITE). */
static int conn_watch(Conn *c, short what) {
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -EBADF;
    if (c->io && c->io_fd == fd && c->io_what == what)
        return 0;
    if (c->io)
        event_free(c->io);
    c->io = event_new(c->pool->base, fd, what | EV_PERSIST, on_io, c);
    c->io_fd = fd;
    c->io_what = what;
    return c->io && event_add(c->io, NULL) == 0 ? 0 : -ENOMEM;
}

static void conn_close(Conn *c) {
    if (c->io) {
        event_free(c->io);
        c->io = NULL;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    PQclear(c->result);
    c->result = NULL;
    if (c->prepared) /* statements are per connection: a new one must prepare them again */
        memset(c->prepared, 0, c->pool->n_stmts * sizeof(bool));
}

static void first_line(char *dst, size_t n, const char *msg) {
    snprintf(dst, n, "%s", msg && *msg ? msg : "unknown error");
    dst[strcspn(dst, "\n")] = '\0';
}

/* The connection broke: fail what was in flight, log once per outage, retry with backoff. */
static void conn_fail(Conn *c, const char *why) {
    DbPool *pool = c->pool;
    Query *q = c->q;
    first_line(pool->last_error, sizeof(pool->last_error), why);
    if (pool->ready_reported && !pool->outage_logged) {
        log_warning("PostgreSQL connection lost or refused (%s): %s; reconnecting", pool->dsn_shown,
                    pool->last_error);
        pool->outage_logged = true;
    }
    conn_close(c);
    c->state = CONN_DOWN;
    c->q = NULL;
    c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (c->backoff_ms > BACKOFF_MAX_MS)
        c->backoff_ms = BACKOFF_MAX_MS;
    struct timeval tv = {c->backoff_ms / 1000, (c->backoff_ms % 1000) * 1000};
    evtimer_add(c->retry, &tv);
    if (q)
        query_complete(pool, q, NULL, -ECONNRESET);
}

static bool conn_send_flush(Conn *c) {
    int f = PQflush(c->pg);
    if (f < 0)
        return false;
    return conn_watch(c, f == 1 ? EV_READ | EV_WRITE : EV_READ) == 0;
}

static void conn_send_query(Conn *c) {
    const DbStatement *s = c->pool->stmts[c->q->stmt];
    bool ok;
    if (!c->prepared[c->q->stmt]) {
        c->state = CONN_PREPARING;
        ok = PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL);
    } else {
        c->state = CONN_BUSY;
        ok = PQsendQueryPrepared(c->pg, s->name, s->nparams, (const char *const *)c->q->params,
                                 NULL, NULL, 0);
    }
    if (!ok || !conn_send_flush(c))
        conn_fail(c, PQerrorMessage(c->pg));
}

static void pool_report_ready(DbPool *pool, int error, const char *message) {
    if (pool->ready_reported)
        return;
    pool->ready_reported = true;
    if (pool->ready_cb)
        pool->ready_cb(pool, error, message, pool->ready_userdata);
}

static void conn_became_idle(Conn *c) {
    c->state = CONN_IDLE;
    c->backoff_ms = 0;
    if (c->pool->outage_logged) {
        log_notice("PostgreSQL connection re-established");
        c->pool->outage_logged = false;
    }
    pool_report_ready(c->pool, 0, NULL);
    pool_pump(c->pool);
}

/* A command finished (PQgetResult returned NULL): act on the result for the current state. */
static void conn_command_done(Conn *c) {
    PGresult *res = c->result;
    c->result = NULL;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    switch (c->state) {
    case CONN_SETUP:
        if (!ok) {
            char msg[256];
            first_line(msg, sizeof(msg), res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
            PQclear(res);
            conn_fail(c, msg);
            return;
        }
        PQclear(res);
        conn_became_idle(c);
        return;
    case CONN_PREPARING:
        if (!ok) { /* e.g. a table the statement needs does not exist: the query gets the error */
            Query *q = c->q;
            c->q = NULL;
            c->state = CONN_IDLE;
            query_complete(c->pool, q, res, 0);
            pool_pump(c->pool);
            return;
        }
        PQclear(res);
        c->prepared[c->q->stmt] = true;
        conn_send_query(c);
        return;
    case CONN_BUSY: {
        Query *q = c->q;
        c->q = NULL;
        c->state = CONN_IDLE;
        c->pool->queries++;
        query_complete(c->pool, q, res, 0);
        pool_pump(c->pool);
        return;
    }
    default:
        PQclear(res);
        return;
    }
}

static void conn_read(Conn *c) {
    /* An idle connection becomes readable when the server goes away (shutdown, restart). */
    if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    while (c->pg && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (!res) {
            conn_command_done(c);
            return;
        }
        /* Keep the first result of a command; a multi-statement SETUP yields several. */
        if (!c->result || PQresultStatus(res) == PGRES_FATAL_ERROR) {
            PQclear(c->result);
            c->result = res;
        } else
            PQclear(res);
    }
}

static void notice_processor(void *arg, const char *message) {
    log_debug("PostgreSQL: %.*s", (int)strcspn(message, "\n"), message);
}

static void conn_setup(Conn *c) {
    char sql[128];
    PQsetNoticeProcessor(c->pg, notice_processor, c);
    snprintf(sql, sizeof(sql), "SET statement_timeout = %u; SET application_name = 'hype-api'",
             c->pool->opts.statement_timeout_ms);
    c->state = CONN_SETUP;
    if (!PQsendQuery(c->pg, sql) || !conn_send_flush(c))
        conn_fail(c, PQerrorMessage(c->pg));
}

static void conn_poll_connect(Conn *c) {
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, EV_READ) < 0)
            conn_fail(c, "cannot watch the socket");
        return;
    case PGRES_POLLING_WRITING:
        if (conn_watch(c, EV_WRITE) < 0)
            conn_fail(c, "cannot watch the socket");
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->pg, 1) < 0) {
            conn_fail(c, PQerrorMessage(c->pg));
            return;
        }
        conn_setup(c);
        return;
    case PGRES_POLLING_FAILED:
    default:
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
}

static void on_io(evutil_socket_t fd, short what, void *arg) {
    Conn *c = arg;
    if (c->state == CONN_CONNECTING) {
        conn_poll_connect(c);
        return;
    }
    if ((what & EV_WRITE) && !conn_send_flush(c)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (what & EV_READ)
        conn_read(c);
}

static void conn_start(Conn *c) {
    c->pg = PQconnectStart(c->pool->conninfo);
    if (!c->pg) {
        conn_fail(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    c->state = CONN_CONNECTING;
    uint32_t timeout = c->pool->opts.connect_timeout_ms;
    c->connect_deadline_ms = now_ms() + timeout;
    /* PQconnectStart's contract: first wait for the socket to become writable. */
    if (conn_watch(c, EV_WRITE) < 0)
        conn_fail(c, PQerrorMessage(c->pg));
}

static void on_retry(evutil_socket_t fd, short what, void *arg) {
    conn_start(arg);
}

/* ---- pool ---- */

static void pool_pump(DbPool *pool) {
    for (unsigned i = 0; i < pool->opts.size && pool->head; i++) {
        Conn *c = &pool->conns[i];
        if (c->state != CONN_IDLE)
            continue;
        c->q = queue_pop(pool);
        conn_send_query(c);
    }
}

static void on_pump(evutil_socket_t fd, short what, void *arg) {
    pool_pump(arg);
}

static void check_start_deadline(DbPool *pool, uint64_t now) {
    if (pool->ready_reported || now < pool->start_deadline_ms)
        return;
    char msg[DSN_SHOWN_MAX + 300];
    snprintf(msg, sizeof(msg), "cannot connect to PostgreSQL at %s: %s", pool->dsn_shown,
             pool->last_error[0] ? pool->last_error : "timed out");
    pool_report_ready(pool, -ETIMEDOUT, msg);
}

/* Expires queued queries and stuck connection attempts. */
static void on_tick(evutil_socket_t fd, short what, void *arg) {
    DbPool *pool = arg;
    uint64_t now = now_ms();
    while (pool->head && pool->head->deadline_ms <= now) {
        /* Deadlines grow along the queue (FIFO, one timeout), so only the head needs checking. */
        query_complete(pool, queue_pop(pool), NULL, -ETIMEDOUT);
    }
    for (unsigned i = 0; i < pool->opts.size; i++) {
        Conn *c = &pool->conns[i];
        if (c->state == CONN_CONNECTING && now >= c->connect_deadline_ms)
            conn_fail(c, "connection attempt timed out");
    }
    check_start_deadline(pool, now);
}

int db_pool_new(struct event_base *base, const DbPoolOptions *opts, DbPool **ret) {
    DbPool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    pool->base = base;
    pool->opts = *opts;
    pool->opts.size = opts->size ? opts->size : 4;
    pool->opts.max_queue = opts->max_queue ? opts->max_queue : 4096;
    pool->opts.queue_timeout_ms = opts->queue_timeout_ms ? opts->queue_timeout_ms : 5000;
    pool->opts.statement_timeout_ms = opts->statement_timeout_ms ? opts->statement_timeout_ms : 10000;
    pool->opts.connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 10000;
    pool->conninfo = strdup(opts->conninfo ? opts->conninfo : "");
    pool->conns = calloc(pool->opts.size, sizeof(Conn));
    pool->tick = event_new(base, -1, EV_PERSIST, on_tick, pool);
    pool->pump = event_new(base, -1, 0, on_pump, pool);
    if (!pool->conninfo || !pool->conns || !pool->tick || !pool->pump) {
        db_pool_free(pool);
        return -ENOMEM;
    }
    log_redact_dsn(pool->conninfo, pool->dsn_shown, sizeof(pool->dsn_shown));
    for (unsigned i = 0; i < pool->opts.size; i++) {
        pool->conns[i].pool = pool;
        pool->conns[i].retry = evtimer_new(base, on_retry, &pool->conns[i]);
        if (!pool->conns[i].retry) {
            db_pool_free(pool);
            return -ENOMEM;
        }
    }
    *ret = pool;
    return 0;
}

void db_pool_register(DbPool *pool, const DbStatement *stmts, size_t n) {
    const DbStatement **all = realloc(pool->stmts, (pool->n_stmts + n) * sizeof(*all));
    if (!all) {
        log_error("out of memory registering statements");
        abort();
    }
    pool->stmts = all;
    for (size_t i = 0; i < n; i++)
        pool->stmts[pool->n_stmts++] = &stmts[i];
}

int db_pool_start(DbPool *pool, db_ready_cb ready_cb, void *userdata) {
    pool->ready_cb = ready_cb;
    pool->ready_userdata = userdata;
    pool->start_deadline_ms = now_ms() + pool->opts.connect_timeout_ms;
    for (unsigned i = 0; i < pool->opts.size; i++) {
        pool->conns[i].prepared = calloc(pool->n_stmts ? pool->n_stmts : 1, sizeof(bool));
        if (!pool->conns[i].prepared)
            return -ENOMEM;
    }
    struct timeval tv = {0, TICK_MS * 1000};
    if (event_add(pool->tick, &tv) < 0)
        return -ENOMEM;
    for (unsigned i = 0; i < pool->opts.size; i++)
        conn_start(&pool->conns[i]);
    return 0;
}

static ssize_t statement_index(const DbPool *pool, const DbStatement *stmt) {
    for (size_t i = 0; i < pool->n_stmts; i++)
        if (pool->stmts[i] == stmt)
            return (ssize_t)i;
    return -1;
}

int db_query(DbPool *pool, const DbStatement *stmt, const char *const *params, db_callback cb,
             void *userdata) {
    ssize_t idx = statement_index(pool, stmt);
    if (idx < 0) {
        log_error("statement %s was never registered", stmt->name);
        return -EINVAL;
    }
    if (pool->queued >= pool->opts.max_queue)
        return -EAGAIN;
    size_t n = (size_t)stmt->nparams, bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += params[i] ? strlen(params[i]) + 1 : 0;
    Query *q = malloc(sizeof(*q) + n * sizeof(char *) + bytes);
    if (!q)
        return -ENOMEM;
    *q = (Query){.stmt = (size_t)idx, .cb = cb, .userdata = userdata,
                 .deadline_ms = now_ms() + pool->opts.queue_timeout_ms};
    char *p = (char *)&q->params[n];
    for (size_t i = 0; i < n; i++) {
        if (!params[i]) {
            q->params[i] = NULL;
            continue;
        }
        size_t len = strlen(params[i]) + 1;
        q->params[i] = memcpy(p, params[i], len);
        p += len;
    }
    queue_push(pool, q);
    /* Never send from here: a send that fails would have to run the callback inside db_query. */
    event_active(pool->pump, EV_TIMEOUT, 0);
    return 0;
}

void db_pool_stats(const DbPool *pool, DbPoolStats *ret) {
    *ret = (DbPoolStats){.size = pool->opts.size, .queued = pool->queued,
                         .queries = pool->queries, .errors = pool->errors};
    for (unsigned i = 0; i < pool->opts.size; i++) {
        ConnState s = pool->conns[i].state;
        ret->connected += s == CONN_IDLE || s == CONN_BUSY || s == CONN_PREPARING;
        ret->busy += s == CONN_BUSY || s == CONN_PREPARING;
    }
}

DbPool *db_pool_free(DbPool *pool) {
    if (!pool)
        return NULL;
    for (unsigned i = 0; pool->conns && i < pool->opts.size; i++) {
        Conn *c = &pool->conns[i];
        Query *q = c->q;
        c->q = NULL;
        conn_close(c);
        if (c->retry)
            event_free(c->retry);
        free(c->prepared);
        if (q)
            query_complete(pool, q, NULL, -ECANCELED);
    }
    while (pool->head)
        query_complete(pool, queue_pop(pool), NULL, -ECANCELED);
    if (pool->tick)
        event_free(pool->tick);
    if (pool->pump)
        event_free(pool->pump);
    free(pool->conns);
    free(pool->stmts);
    free(pool->conninfo);
    free(pool);
    return NULL;
}
