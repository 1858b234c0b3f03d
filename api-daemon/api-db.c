/* api-db: a pool of non-blocking libpq connections on the event loop, with prepared statements. */
#include "api-db.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hype-log.h"
#include "hype-macro.h"
#include "hype-time.h"

#define DB_DEFAULT_SIZE 4
#define DB_DEFAULT_MAX_QUEUE 4096
#define DB_DEFAULT_QUEUE_TIMEOUT_MS 5000
#define DB_DEFAULT_STATEMENT_TIMEOUT_MS 10000
#define DB_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DB_BACKOFF_MIN_MS 100
#define DB_BACKOFF_MAX_MS 5000
/* statement_timeout makes the server answer every query in bounded time (the server starts
 * counting after we start ours). A query still unanswered this long after that means the
 * server or the path to it vanished without a FIN, so no EOF will ever come: the watchdog
 * drops the connection instead of letting the query hang. */
#define DB_INFLIGHT_GRACE_MS 2000
#define DB_ERRMSG_MAX 256

typedef enum ConnState {
    CONN_DOWN,       /* no PGconn; the timer is the reconnect backoff */
    CONN_CONNECTING, /* PQconnectPoll in progress; the timer is the attempt deadline */
    CONN_SETUP,      /* session settings, then PQsendPrepare each statement; same timer */
    CONN_IDLE,       /* ready, nothing in flight; the timer is off */
    CONN_BUSY,       /* one query in flight; the timer is the in-flight watchdog */
} ConnState;

typedef struct DbQuery {
    struct DbQuery *next;
    const DbStatement *stmt;
    db_callback cb;
    void *userdata;
    uint64_t deadline_ms; /* CLOCK_MONOTONIC; only meaningful while queued */
    PGresult *res;
    int error;
    const char *message;  /* static text for failures that have no server result */
    const char *params[]; /* stmt->nparams pointers into this same allocation, then the bytes */
} DbQuery;

typedef struct QueryList {
    DbQuery *head, *tail;
    size_t n;
} QueryList;

typedef struct DbConn {
    DbPool *pool;
    ConnState state;
    PGconn *pg;
    struct event *io;
    short io_events; /* what io is added for; 0 = not added */
    bool flushing;   /* PQflush left data behind: EV_WRITE is watched until it drains */
    struct event *timer;
    uint32_t backoff_ms;
    size_t setup_step; /* 0 = session settings; i > 0 = prepare statement i - 1 */
    PGresult *res;     /* result of the command in flight, kept until PQgetResult says NULL */
    DbQuery *query;    /* in flight while CONN_BUSY */
} DbConn;

typedef struct StmtSet {
    const DbStatement *v;
    size_t n;
} StmtSet;

struct DbPool {
    struct event_base *base;
    DbPoolOptions opts; /* defaults applied; opts.conninfo points to conninfo */
    char *conninfo;
    char *dsn_redacted;

    StmtSet *sets;
    size_t n_sets, n_stmts;
    int register_error;

    DbConn *conns;
    QueryList queue; /* waiting for a connection, FIFO */
    QueryList done;  /* finished, waiting for on_dispatch to run their callbacks */
    struct event *queue_timer, *dispatch, *ready_ev, *start_timer;

    db_ready_cb ready_cb; /* cleared when called */
    void *ready_userdata;
    int ready_error;
    char ready_message[512];
    char last_error[DB_ERRMSG_MAX]; /* first line of the last libpq failure, for ready_cb */

    bool started, ready_reported, failed, outage_logged;
    bool freeing;     /* db_pool_free has begun: no new queries, no second free */
    bool dispatching; /* on_dispatch is running callbacks: it frees the pool when they return */

    uint64_t queries, errors;
};

static void on_io(evutil_socket_t fd, short what, void *userdata);
static void conn_broken(DbConn *c, const char *why);
static void conn_next(DbConn *c);
static void pool_fail_start(DbPool *pool, int error, const char *message);
static void pool_destroy(DbPool *pool);

/* libpq messages are multi-line ("...failed: ...\n\tIs the server running..."); logs and
 * ready_cb want one line. */
static void first_line(const char *s, char *buf, size_t size) {
    size_t n = s ? strcspn(s, "\r\n") : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(buf, s, n);
    buf[n] = '\0';
}

static void on_notice(void *arg, const char *message) {
    char line[DB_ERRMSG_MAX];
    first_line(message, line, sizeof(line));
    log_debug("PostgreSQL: %s", line);
}

/* ---- query lists ---- */

static void list_push(QueryList *l, DbQuery *q) {
    q->next = NULL;
    if (l->tail)
        l->tail->next = q;
    else
        l->head = q;
    l->tail = q;
    l->n++;
}

static void list_push_front(QueryList *l, DbQuery *q) {
    q->next = l->head;
    l->head = q;
    if (!l->tail)
        l->tail = q;
    l->n++;
}

static DbQuery *list_pop(QueryList *l) {
    DbQuery *q = l->head;
    if (!q)
        return NULL;
    l->head = q->next;
    if (!l->head)
        l->tail = NULL;
    l->n--;
    q->next = NULL;
    return q;
}

/* ---- queries ---- */

/* One allocation per query: the struct, the parameter pointers, then the parameter bytes. */
static DbQuery *query_new(const DbStatement *stmt, const char *const *params, db_callback cb,
                          void *userdata) {
    size_t n = (size_t)stmt->nparams, size = sizeof(DbQuery) + n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        if (params[i])
            size += strlen(params[i]) + 1;
    DbQuery *q = calloc(1, size);
    if (!q)
        return NULL;
    char *p = (char *)&q->params[n];
    for (size_t i = 0; i < n; i++) {
        if (!params[i])
            continue;
        size_t len = strlen(params[i]) + 1;
        q->params[i] = memcpy(p, params[i], len);
        p += len;
    }
    q->stmt = stmt;
    q->cb = cb;
    q->userdata = userdata;
    return q;
}

/* Callbacks never run from here: the query joins the done list and on_dispatch runs it from
 * the loop, so no caller (db_query included) ever sees a callback re-enter it. */
static void query_finish(DbPool *pool, DbQuery *q, int error, PGresult *res, const char *message) {
    q->error = error;
    q->res = res;
    q->message = message;
    list_push(&pool->done, q);
    event_active(pool->dispatch, EV_TIMEOUT, 0);
}

static void query_run_callback(DbPool *pool, DbQuery *q) {
    DbResult r = {.res = q->res, .error = q->error, .message = q->message};
    if (q->error && q->res)
        r.message = PQresultErrorField(q->res, PG_DIAG_MESSAGE_PRIMARY) ?: q->message;
    if (q->error == -EIO && q->res) {
        r.sqlstate = PQresultErrorField(q->res, PG_DIAG_SQLSTATE);
        r.constraint = PQresultErrorField(q->res, PG_DIAG_CONSTRAINT_NAME);
    }
    if (q->error)
        pool->errors++;
    /* The callback may free the pool: touch only q afterwards. */
    q->cb(&r, q->userdata);
    PQclear(q->res);
    free(q);
}

static void on_dispatch(evutil_socket_t fd, short what, void *userdata) {
    DbPool *pool = userdata;
    /* Only what finished before this run: a callback whose new query fails at once lands on the
     * list again and must wait for the next loop iteration rather than spin here. */
    size_t n = pool->done.n;
    pool->dispatching = true;
    for (size_t i = 0; i < n && !pool->freeing; i++)
        query_run_callback(pool, list_pop(&pool->done));
    pool->dispatching = false;
    /* A callback called db_pool_free: it did everything but release the memory we stand on. */
    if (pool->freeing)
        pool_destroy(pool);
}

/* ---- queue and its deadline ---- */

static void queue_arm(DbPool *pool, bool rearm) {
    if (rearm)
        evtimer_del(pool->queue_timer);
    if (!pool->queue.head || evtimer_pending(pool->queue_timer, NULL))
        return;
    uint64_t now = time_mono_ms(), deadline = pool->queue.head->deadline_ms;
    /* Queries share one timeout and the queue is FIFO, so the head expires first; a timer set
     * for a head that left early just fires, finds nothing due and re-arms. */
    timer_arm_ms(pool->queue_timer, deadline > now ? deadline - now : 0);
}

static void on_queue_timeout(evutil_socket_t fd, short what, void *userdata) {
    DbPool *pool = userdata;
    uint64_t now = time_mono_ms();
    while (pool->queue.head && pool->queue.head->deadline_ms <= now)
        query_finish(pool, list_pop(&pool->queue), -ETIMEDOUT, NULL,
                     "timed out waiting for a PostgreSQL connection");
    queue_arm(pool, false);
}

/* ---- readiness ---- */

static void on_ready(evutil_socket_t fd, short what, void *userdata) {
    DbPool *pool = userdata;
    db_ready_cb cb = TAKE_PTR(pool->ready_cb);
    /* Last statement: the callback commonly frees the pool when startup failed. */
    if (cb)
        cb(pool, pool->ready_error, pool->ready_error ? pool->ready_message : NULL,
           pool->ready_userdata);
}

static void pool_report_ready(DbPool *pool, int error, const char *message) {
    if (pool->ready_reported)
        return;
    pool->ready_reported = true;
    pool->ready_error = error;
    snprintf(pool->ready_message, sizeof(pool->ready_message), "%s", message ? message : "");
    evtimer_del(pool->start_timer);
    event_active(pool->ready_ev, EV_TIMEOUT, 0);
}

static unsigned pool_count(const DbPool *pool, ConnState a, ConnState b) {
    unsigned n = 0;
    for (unsigned i = 0; i < pool->opts.size; i++)
        n += pool->conns[i].state == a || pool->conns[i].state == b;
    return n;
}

/* ---- connections ---- */

static void conn_unwatch(DbConn *c) {
    event_del(c->io);
    c->io_events = 0;
}

static int conn_watch(DbConn *c, short events) {
    if (c->io_events == events)
        return 0;
    conn_unwatch(c);
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -EBADF;
    if (event_assign(c->io, c->pool->base, fd, events | EV_PERSIST, on_io, c) < 0 ||
        event_add(c->io, NULL) < 0)
        return -ENOMEM;
    c->io_events = events;
    return 0;
}

/* Unwatch before PQfinish: libevent must forget the fd while it still exists, or a socket that
 * reuses the number later would look registered to libevent and never be added to epoll. */
static void conn_close(DbConn *c) {
    conn_unwatch(c);
    evtimer_del(c->timer);
    PQclear(TAKE_PTR(c->res));
    if (c->pg)
        PQfinish(TAKE_PTR(c->pg));
    c->flushing = false;
    c->state = CONN_DOWN;
}

/* PQconnectStart resolves host names with a blocking getaddrinfo(): deployments that care
 * use a Unix socket, an IP address or hostaddr=. */
static void conn_start(DbConn *c) {
    c->pg = PQconnectStart(c->pool->conninfo);
    if (!c->pg) {
        conn_broken(c, "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, NULL);
        return;
    }
    c->state = CONN_CONNECTING;
    /* PQconnectPoll ignores connect_timeout: bounding the attempt is the caller's job. */
    timer_arm_ms(c->timer, c->pool->opts.connect_timeout_ms);
    /* libpq's contract: behave as if PQconnectPoll had just returned PGRES_POLLING_WRITING. */
    if (conn_watch(c, EV_WRITE) < 0)
        conn_broken(c, "cannot watch the PostgreSQL socket");
}

static int conn_flush(DbConn *c) {
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_broken(c, NULL);
        return -ECONNRESET;
    }
    c->flushing = r > 0;
    if (conn_watch(c, EV_READ | (c->flushing ? EV_WRITE : 0)) < 0) {
        conn_broken(c, "cannot watch the PostgreSQL socket");
        return -ECONNRESET;
    }
    return 0;
}

static const DbStatement *pool_stmt_at(const DbPool *pool, size_t i) {
    for (size_t s = 0; s < pool->n_sets; i -= pool->sets[s].n, s++)
        if (i < pool->sets[s].n)
            return &pool->sets[s].v[i];
    return NULL;
}

static void conn_setup_send(DbConn *c) {
    DbPool *pool = c->pool;
    int ok;
    if (c->setup_step == 0) {
        /* One statement (one result) for both settings. Generic plans: our statements are
         * prepared once and their parameters (ids, LIMIT, OFFSET) do not change the best plan,
         * yet PostgreSQL would re-plan the paged ones on every call (half their cost). */
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT set_config('statement_timeout', '%" PRIu32 "', false),"
                 " set_config('plan_cache_mode', 'force_generic_plan', false)",
                 pool->opts.statement_timeout_ms);
        ok = PQsendQuery(c->pg, sql);
    } else {
        const DbStatement *s = pool_stmt_at(pool, c->setup_step - 1);
        ok = PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL);
    }
    if (!ok) {
        conn_broken(c, NULL);
        return;
    }
    conn_flush(c);
}

static void conn_setup_begin(DbConn *c) {
    if (PQsetnonblocking(c->pg, 1) < 0) {
        conn_broken(c, NULL);
        return;
    }
    c->state = CONN_SETUP;
    c->setup_step = 0;
    conn_setup_send(c);
}

static void conn_ready(DbConn *c) {
    DbPool *pool = c->pool;
    c->state = CONN_IDLE;
    c->backoff_ms = DB_BACKOFF_MIN_MS;
    evtimer_del(c->timer);
    if (pool->outage_logged && pool_count(pool, CONN_IDLE, CONN_BUSY) == pool->opts.size) {
        log_info("PostgreSQL connections restored");
        pool->outage_logged = false;
    }
    pool_report_ready(pool, 0, NULL);
    conn_next(c);
}

/* A bad statement is a deployment bug that no retry fixes: at startup it fails the pool. */
static void conn_statement_failed(DbConn *c, const PGresult *res) {
    DbPool *pool = c->pool;
    const DbStatement *s = pool_stmt_at(pool, c->setup_step - 1);
    char msg[512];
    snprintf(msg, sizeof(msg), "cannot prepare statement \"%s\": %s", s->name,
             PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?: "unknown error");
    if (!pool->ready_reported) {
        pool_fail_start(pool, -EIO, msg);
        return;
    }
    /* Later (say, the schema changed under a running daemon) keep retrying with backoff, and
     * say why at error level once, since the usual "connection lost" line would mislead. */
    if (!pool->outage_logged)
        log_error("%s", msg);
    pool->outage_logged = true;
    conn_broken(c, msg);
}

static void conn_setup_result(DbConn *c, PGresult *res) {
    ExecStatusType want = c->setup_step == 0 ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
    bool ok = PQresultStatus(res) == want;
    if (!ok && c->setup_step > 0)
        conn_statement_failed(c, res);
    else if (!ok)
        conn_broken(c, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    PQclear(res);
    if (!ok)
        return;
    if (++c->setup_step <= c->pool->n_stmts) {
        conn_setup_send(c);
        return;
    }
    conn_ready(c);
}

/* FATAL and PANIC end the session: the query did not fail on its own merits, the connection
 * did, and the caller should treat it like any other lost connection. */
static int result_error(const PGresult *res) {
    if (!res)
        return -ECONNRESET;
    switch (PQresultStatus(res)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_EMPTY_QUERY: return 0;
    default:;
        const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
        if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
            return -ECONNRESET;
        return -EIO;
    }
}

static void conn_query_result(DbConn *c, PGresult *res) {
    DbPool *pool = c->pool;
    DbQuery *q = TAKE_PTR(c->query);
    int error = result_error(res);
    c->state = CONN_IDLE;
    evtimer_del(c->timer);
    query_finish(pool, q, error, res, error ? "PostgreSQL connection lost" : NULL);
    if (error == -ECONNRESET) {
        conn_broken(c, res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL);
        return;
    }
    conn_next(c);
}

/* PQgetResult returned NULL: the command in flight is complete. */
static void conn_command_done(DbConn *c) {
    PGresult *res = TAKE_PTR(c->res);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        PQclear(res);
        conn_broken(c, NULL);
        return;
    }
    if (c->state == CONN_SETUP)
        conn_setup_result(c, res);
    else
        conn_query_result(c, res);
}

/* A prepared statement yields one result; should more come, the first error is the story. */
static void conn_keep_result(DbConn *c, PGresult *res) {
    if (!c->res)
        c->res = res;
    else if (!result_error(c->res) && result_error(res)) {
        PQclear(c->res);
        c->res = res;
    } else
        PQclear(res);
}

static int conn_read(DbConn *c) {
    if (!PQconsumeInput(c->pg)) {
        conn_broken(c, NULL);
        return -ECONNRESET;
    }
    PGnotify *n;
    while ((n = PQnotifies(c->pg)))
        PQfreemem(n);
    /* conn_command_done may send the next command, which keeps the loop going, or leave the
     * connection idle or down, which ends it. */
    while ((c->state == CONN_SETUP || c->state == CONN_BUSY) && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res)
            conn_keep_result(c, res);
        else
            conn_command_done(c);
    }
    return c->state == CONN_DOWN ? -ECONNRESET : 0;
}

static void conn_poll_connect(DbConn *c) {
    /* PQconnectPoll may close the socket and open another (next host or address, SSL or GSS
     * fallback), possibly with the same number: forget the old one first, re-add afterwards. */
    conn_unwatch(c);
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, EV_READ) < 0)
            conn_broken(c, "cannot watch the PostgreSQL socket");
        break;
    case PGRES_POLLING_WRITING:
        if (conn_watch(c, EV_WRITE) < 0)
            conn_broken(c, "cannot watch the PostgreSQL socket");
        break;
    case PGRES_POLLING_OK: conn_setup_begin(c); break;
    default: conn_broken(c, NULL); break;
    }
}

static void on_io(evutil_socket_t fd, short what, void *userdata) {
    DbConn *c = userdata;
    if (c->state == CONN_CONNECTING) {
        conn_poll_connect(c);
        return;
    }
    if ((what & EV_READ) && conn_read(c) < 0)
        return;
    /* libpq: while PQflush has data left, flush again on writable, and also after reading,
     * since the server may stop reading until we drain what it sent. */
    if (c->flushing)
        conn_flush(c);
}

static void on_conn_timer(evutil_socket_t fd, short what, void *userdata) {
    DbConn *c = userdata;
    switch (c->state) {
    case CONN_DOWN: conn_start(c); break;
    case CONN_CONNECTING:
    case CONN_SETUP: conn_broken(c, "timed out while connecting"); break;
    case CONN_BUSY: conn_broken(c, "no answer to a query within statement_timeout"); break;
    case CONN_IDLE: break;
    }
}

static void conn_log_failure(DbConn *c, const char *msg) {
    DbPool *pool = c->pool;
    /* Before ready, ready_cb carries the failure; afterwards one warning per outage, however
     * many connections and retries it involves. */
    if (pool->ready_reported && !pool->failed && !pool->outage_logged) {
        log_warning("PostgreSQL connection to %s failed: %s; reconnecting", pool->dsn_redacted,
                    msg);
        pool->outage_logged = true;
    } else
        log_debug("PostgreSQL connection to %s failed: %s", pool->dsn_redacted, msg);
}

static void conn_broken(DbConn *c, const char *why) {
    DbPool *pool = c->pool;
    char msg[DB_ERRMSG_MAX];
    first_line(why ?: (c->pg ? PQerrorMessage(c->pg) : "out of memory"), msg, sizeof(msg));
    if (!msg[0])
        snprintf(msg, sizeof(msg), "connection lost");
    snprintf(pool->last_error, sizeof(pool->last_error), "%s", msg);
    if (c->query)
        query_finish(pool, TAKE_PTR(c->query), -ECONNRESET, NULL, "PostgreSQL connection lost");
    conn_close(c);
    conn_log_failure(c, msg);
    if (pool->failed)
        return;
    timer_arm_ms(c->timer, c->backoff_ms);
    c->backoff_ms = c->backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : c->backoff_ms * 2;
}

/* Returns 0 when q is in flight on c. Otherwise q has been failed (asynchronously) or, when the
 * connection turned out to be dead before anything was sent, put back at the queue's head. */
static int conn_send_query(DbConn *c, DbQuery *q) {
    DbPool *pool = c->pool;
    if (!PQsendQueryPrepared(c->pg, q->stmt->name, q->stmt->nparams, q->params, NULL, NULL, 0)) {
        if (PQstatus(c->pg) == CONNECTION_BAD) {
            /* Nothing reached the server as a complete, synced command (a connection that
             * drops before Sync rolls back), so running q elsewhere is safe. */
            list_push_front(&pool->queue, q);
            queue_arm(pool, true);
            conn_broken(c, NULL);
            return -ECONNRESET;
        }
        query_finish(pool, q, -EIO, NULL, "cannot send the query to PostgreSQL");
        return -EIO;
    }
    c->query = q;
    c->state = CONN_BUSY;
    timer_arm_ms(c->timer, (uint64_t)pool->opts.statement_timeout_ms + DB_INFLIGHT_GRACE_MS);
    return conn_flush(c);
}

static void conn_next(DbConn *c) {
    DbPool *pool = c->pool;
    while (c->state == CONN_IDLE && pool->queue.head)
        conn_send_query(c, list_pop(&pool->queue));
}

/* ---- pool ---- */

static void pool_fail_start(DbPool *pool, int error, const char *message) {
    pool->failed = true;
    for (unsigned i = 0; i < pool->opts.size; i++)
        conn_close(&pool->conns[i]);
    pool_report_ready(pool, error, message);
}

static void on_start_timeout(evutil_socket_t fd, short what, void *userdata) {
    DbPool *pool = userdata;
    char msg[512];
    if (pool->last_error[0])
        snprintf(msg, sizeof(msg), "cannot connect to PostgreSQL at %s: %s", pool->dsn_redacted,
                 pool->last_error);
    else
        snprintf(msg, sizeof(msg),
                 "cannot connect to PostgreSQL at %s: no answer within %" PRIu32 " ms",
                 pool->dsn_redacted, pool->opts.connect_timeout_ms);
    pool_fail_start(pool, pool->last_error[0] ? -ECONNREFUSED : -ETIMEDOUT, msg);
}

static bool pool_has_statement(const DbPool *pool, const DbStatement *stmt) {
    for (size_t s = 0; s < pool->n_sets; s++)
        if (stmt >= pool->sets[s].v && stmt < pool->sets[s].v + pool->sets[s].n)
            return true;
    return false;
}

static DbConn *pool_idle_conn(DbPool *pool) {
    for (unsigned i = 0; i < pool->opts.size; i++)
        if (pool->conns[i].state == CONN_IDLE)
            return &pool->conns[i];
    return NULL;
}

static void pool_apply_defaults(DbPoolOptions *o) {
    if (!o->size)
        o->size = DB_DEFAULT_SIZE;
    if (!o->max_queue)
        o->max_queue = DB_DEFAULT_MAX_QUEUE;
    if (!o->queue_timeout_ms)
        o->queue_timeout_ms = DB_DEFAULT_QUEUE_TIMEOUT_MS;
    if (!o->statement_timeout_ms)
        o->statement_timeout_ms = DB_DEFAULT_STATEMENT_TIMEOUT_MS;
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = DB_DEFAULT_CONNECT_TIMEOUT_MS;
}

static int pool_new_events(DbPool *pool) {
    pool->queue_timer = evtimer_new(pool->base, on_queue_timeout, pool);
    pool->dispatch = event_new(pool->base, -1, 0, on_dispatch, pool);
    pool->ready_ev = event_new(pool->base, -1, 0, on_ready, pool);
    pool->start_timer = evtimer_new(pool->base, on_start_timeout, pool);
    if (!pool->queue_timer || !pool->dispatch || !pool->ready_ev || !pool->start_timer)
        return -ENOMEM;
    for (unsigned i = 0; i < pool->opts.size; i++) {
        DbConn *c = &pool->conns[i];
        c->pool = pool;
        c->backoff_ms = DB_BACKOFF_MIN_MS;
        c->io = event_new(pool->base, -1, 0, on_io, c);
        c->timer = evtimer_new(pool->base, on_conn_timer, c);
        if (!c->io || !c->timer)
            return -ENOMEM;
    }
    return 0;
}

static inline void db_pool_freep(DbPool **p) {
    db_pool_free(*p);
}

int db_pool_new(struct event_base *base, const DbPoolOptions *opts, DbPool **ret) {
    if (!base || !opts || !ret)
        return -EINVAL;
    _cleanup_(db_pool_freep) DbPool *pool = calloc(1, sizeof(DbPool));
    if (!pool)
        return -ENOMEM;
    pool->base = base;
    pool->opts = *opts;
    pool_apply_defaults(&pool->opts);
    const char *dsn = opts->conninfo ?: "";
    size_t redacted_size = 2 * strlen(dsn) + 32; /* "***" may be longer than the password */
    pool->conninfo = strdup(dsn);
    pool->dsn_redacted = malloc(redacted_size);
    pool->conns = calloc(pool->opts.size, sizeof(DbConn));
    if (!pool->conninfo || !pool->dsn_redacted || !pool->conns)
        return -ENOMEM;
    pool->opts.conninfo = pool->conninfo;
    if (dsn[0])
        log_redact_dsn(dsn, pool->dsn_redacted, redacted_size);
    else
        snprintf(pool->dsn_redacted, redacted_size, "(libpq defaults)");
    int r = pool_new_events(pool);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(pool);
    return 0;
}

void db_pool_register(DbPool *pool, const DbStatement *stmts, size_t n) {
    if (!pool || !n)
        return;
    if (pool->started) {
        /* Running connections would lack these statements; refuse loudly, it is a code bug. */
        log_error("db_pool_register() after db_pool_start(): %s not registered", stmts[0].name);
        return;
    }
    StmtSet *sets = reallocarray(pool->sets, pool->n_sets + 1, sizeof(StmtSet));
    if (!sets) {
        pool->register_error = -ENOMEM; /* reported by db_pool_start */
        return;
    }
    pool->sets = sets;
    pool->sets[pool->n_sets++] = (StmtSet){stmts, n};
    pool->n_stmts += n;
}

int db_pool_start(DbPool *pool, db_ready_cb ready_cb, void *userdata) {
    if (!pool || !ready_cb)
        return -EINVAL;
    if (pool->started)
        return -EALREADY;
    if (pool->register_error)
        return pool->register_error;
    pool->started = true;
    pool->ready_cb = ready_cb;
    pool->ready_userdata = userdata;
    /* A malformed string would fail every retry until connect_timeout_ms: say so at once. Not
     * with libpq's parse message, which may quote a fragment of the string (a password). */
    char *errmsg = NULL;
    PQconninfoOption *parsed = PQconninfoParse(pool->conninfo, &errmsg);
    PQfreemem(errmsg);
    if (!parsed) {
        pool_fail_start(pool, -EINVAL, "invalid PostgreSQL connection string");
        return 0;
    }
    PQconninfoFree(parsed);
    timer_arm_ms(pool->start_timer, pool->opts.connect_timeout_ms);
    for (unsigned i = 0; i < pool->opts.size; i++)
        conn_start(&pool->conns[i]);
    return 0;
}

int db_query(DbPool *pool, const DbStatement *stmt, const char *const *params, db_callback cb,
             void *userdata) {
    if (!pool || !stmt || !cb || stmt->nparams < 0 || (stmt->nparams > 0 && !params))
        return -EINVAL;
    if (pool->freeing)
        return -ECANCELED;
    if (!pool_has_statement(pool, stmt))
        return -EINVAL;
    /* With queries already waiting, an idle connection is about to take the head: join the
     * queue rather than overtake it. */
    DbConn *idle = pool->queue.head ? NULL : pool_idle_conn(pool);
    if (!idle && pool->queue.n >= pool->opts.max_queue)
        return -EAGAIN;
    DbQuery *q = query_new(stmt, params, cb, userdata);
    if (!q)
        return -ENOMEM;
    q->deadline_ms = time_mono_ms() + pool->opts.queue_timeout_ms;
    pool->queries++;
    if (idle) {
        conn_send_query(idle, q);
        return 0;
    }
    list_push(&pool->queue, q);
    queue_arm(pool, false);
    return 0;
}

void db_pool_stats(const DbPool *pool, DbPoolStats *ret) {
    *ret = (DbPoolStats){
        .size = pool->opts.size,
        .connected = pool_count(pool, CONN_IDLE, CONN_BUSY),
        .busy = pool_count(pool, CONN_BUSY, CONN_BUSY),
        .queued = pool->queue.n,
        .queries = pool->queries,
        .errors = pool->errors,
    };
}

/* Moves every unfinished query to the done list, failed with -ECANCELED, behind the ones that
 * already finished (they keep their real results), and closes the connections. */
static void pool_cancel_all(DbPool *pool) {
    for (unsigned i = 0; pool->conns && i < pool->opts.size; i++) {
        DbConn *c = &pool->conns[i];
        if (c->query)
            query_finish(pool, TAKE_PTR(c->query), -ECANCELED, NULL, "database pool closed");
        if (pool->started)
            conn_close(c);
    }
    DbQuery *q;
    while ((q = list_pop(&pool->queue)))
        query_finish(pool, q, -ECANCELED, NULL, "database pool closed");
}

static void pool_free_events(DbPool *pool) {
    for (unsigned i = 0; pool->conns && i < pool->opts.size; i++) {
        if (pool->conns[i].io)
            event_free(pool->conns[i].io);
        if (pool->conns[i].timer)
            event_free(pool->conns[i].timer);
    }
    struct event *evs[] = {pool->queue_timer, pool->dispatch, pool->ready_ev, pool->start_timer};
    for (size_t i = 0; i < ELEMENTSOF(evs); i++)
        if (evs[i])
            event_free(evs[i]);
}

static void pool_destroy(DbPool *pool) {
    pool_free_events(pool);
    free(pool->conns);
    free(pool->sets);
    free(pool->conninfo);
    free(pool->dsn_redacted);
    free(pool);
}

DbPool *db_pool_free(DbPool *pool) {
    if (!pool || pool->freeing)
        return NULL;
    pool->freeing = true;
    pool_cancel_all(pool);
    db_ready_cb ready_cb = TAKE_PTR(pool->ready_cb);
    if (ready_cb) {
        /* Reported but not yet delivered: deliver it as it was. */
        int error = pool->ready_reported ? pool->ready_error : -ECANCELED;
        const char *msg = pool->ready_reported ? pool->ready_message : "database pool closed";
        ready_cb(pool, error, error ? msg : NULL, pool->ready_userdata);
    }
    DbQuery *q;
    while ((q = list_pop(&pool->done)))
        query_run_callback(pool, q);
    if (!pool->dispatching)
        pool_destroy(pool);
    return NULL;
}
