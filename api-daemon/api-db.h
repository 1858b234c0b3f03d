/* api-db: the PostgreSQL access layer: a pool of non-blocking libpq connections on the loop,
 * prepared statements. */
#pragma once

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Every query hype-api runs is a DbStatement, defined statically next to the code that uses it
 * and registered before db_pool_start(). Each connection prepares every registered statement
 * (name = stmt->name) right after it connects, so db_query() only ever sends Bind/Execute.
 * Parameters are text (NULL = SQL NULL); SQL is never built from input.
 */
typedef struct DbStatement {
    const char *name; /* unique, e.g. "users_by_id" */
    const char *sql;  /* $1..$n */
    int nparams;
} DbStatement;

typedef struct DbResult {
    PGresult *res;          /* the result (PGRES_TUPLES_OK / COMMAND_OK) or the error result;
                               NULL when the server never answered; PQclear'ed after the callback */
    int error;              /* 0; -EIO server error (see sqlstate); -ETIMEDOUT waited longer than
                               queue_timeout_ms for a connection; -ECONNRESET the connection broke
                               mid-query or the server ended the session (FATAL, e.g. shutdown:
                               res is then that error) and the query may or may not have run;
                               -ECANCELED pool freed */
    const char *sqlstate;   /* "23505" etc. when error == -EIO, else NULL */
    const char *constraint; /* PG_DIAG_CONSTRAINT_NAME for constraint violations, else NULL */
    const char *message;    /* when error != 0: PostgreSQL's primary message, or a fixed text for
                               failures without a server answer; for logs (never contains
                               parameters); NULL on success */
} DbResult;

/* Runs exactly once, on the loop, never from inside db_query(). r is borrowed. It may call
 * db_query() and db_pool_free(), and free its userdata. */
typedef void (*db_callback)(const DbResult *r, void *userdata);

typedef struct DbPoolOptions {
    const char *conninfo;          /* libpq conninfo or URI */
    unsigned size;                 /* connections; 0 = 4 */
    size_t max_queue;              /* queries waiting for a connection; 0 = 4096 */
    uint32_t queue_timeout_ms;     /* 0 = 5000 */
    uint32_t statement_timeout_ms; /* SET statement_timeout per connection; 0 = 10000 */
    uint32_t connect_timeout_ms;   /* for db_pool_start's first connection; 0 = 10000 */
} DbPoolOptions;

typedef struct DbPool DbPool;

/* Copies opts (and conninfo); connects nothing yet. 0, -EINVAL or -ENOMEM. */
int db_pool_new(struct event_base *base, const DbPoolOptions *opts, DbPool **ret);
/* The array must outlive the pool; db_query() accepts only statements of registered arrays.
 * Call before db_pool_start (later calls are logged and ignored; OOM is reported by
 * db_pool_start). */
void db_pool_register(DbPool *pool, const DbStatement *stmts, size_t n);

/*
 * Opens every connection (PQconnectStart/PQconnectPoll on the loop) and prepares the statements.
 * ready_cb runs once, never from inside db_pool_start: error 0 as soon as one connection is
 * ready, or a negative errno and a one-line message (password redacted) when none is ready
 * within connect_timeout_ms (-ECONNREFUSED with libpq's reason, -ETIMEDOUT when attempts never
 * finished). It fails at once with -EIO when a statement does not prepare (the message names
 * it) and with -EINVAL for a malformed conninfo; with -ECANCELED if the pool is freed first.
 * After an error the pool makes no more attempts (queued queries time out): free it.
 * Afterwards a lost connection is reopened with backoff (100 ms doubling up to 5 s); queued
 * queries wait for it (up to queue_timeout_ms). A query unanswered statement_timeout_ms + 2 s
 * after it was sent means a dead peer: its connection is dropped (-ECONNRESET).
 * Returns 0, or -EINVAL, -EALREADY, -ENOMEM (ready_cb is then not called).
 */
typedef void (*db_ready_cb)(DbPool *pool, int error, const char *message, void *userdata);
int db_pool_start(DbPool *pool, db_ready_cb ready_cb, void *userdata);

/*
 * Queues stmt (registered) with params (stmt->nparams strings, copied). Returns 0, or -EAGAIN
 * when max_queue queries are already waiting, -EINVAL for an unregistered statement or missing
 * params, -ENOMEM, -ECANCELED from a callback run by db_pool_free (cb is then not called).
 * Queries start in the order they were accepted, one at a time per connection; with several
 * connections they may finish in any order.
 */
int db_query(DbPool *pool, const DbStatement *stmt, const char *const *params, db_callback cb,
             void *userdata);

typedef struct DbPoolStats {
    unsigned size, connected, busy; /* connections: configured, ready (idle or busy), busy */
    size_t queued;                  /* waiting for a connection */
    uint64_t queries, errors;       /* accepted by db_query; callbacks run with error != 0 */
} DbPoolStats;
void db_pool_stats(const DbPool *pool, DbPoolStats *ret);

/* Fails queued and in-flight queries with -ECANCELED (their callbacks run before it returns;
 * queries whose answer had already arrived get it), runs a still pending ready_cb, closes
 * everything. May be called from a db callback or ready_cb. Returns NULL. */
DbPool *db_pool_free(DbPool *pool);

/* Helpers for callbacks. */
static inline int db_ntuples(const DbResult *r) {
    return r->res ? PQntuples(r->res) : 0;
}
/* Value or NULL for SQL NULL. */
static inline const char *db_value(const DbResult *r, int row, int col) {
    return PQgetisnull(r->res, row, col) ? NULL : PQgetvalue(r->res, row, col);
}
