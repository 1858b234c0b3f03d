/* api-db: the PostgreSQL access layer: a pool of non-blocking libpq connections on the loop, prepared statements. */
#pragma once

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Every query hype-api runs is a DbStatement, defined statically next to the code that uses it
 * and registered before db_pool_start(). A connection prepares a statement (name = stmt->name)
 * the first time it runs it, and afterwards only sends Bind/Execute. Lazily, so that a database
 * without the schema yet answers each query with its SQL error (42P01...) instead of failing
 * every connection, and the daemon can say "run --migrate".
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
                               mid-query; -ECANCELED pool freed */
    const char *sqlstate;   /* "23505" etc. when error == -EIO, else NULL */
    const char *constraint; /* PG_DIAG_CONSTRAINT_NAME for constraint violations, else NULL */
    const char *message;    /* primary error message, for logs (never contains parameters) */
} DbResult;

/* Runs exactly once, on the loop, never from inside db_query(). r is borrowed. */
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

int db_pool_new(struct event_base *base, const DbPoolOptions *opts, DbPool **ret);
/* The array must outlive the pool. Call before db_pool_start. */
void db_pool_register(DbPool *pool, const DbStatement *stmts, size_t n);

/*
 * Opens every connection (PQconnectStart/PQconnectPoll on the loop) and sets statement_timeout.
 * ready_cb runs once: error 0 as soon as one connection is ready, or a negative errno and a
 * one-line message (password redacted) when none is ready within connect_timeout_ms.
 * Afterwards a lost connection is reopened with backoff (100 ms doubling up to 5 s); queued
 * queries wait for it (up to queue_timeout_ms).
 */
typedef void (*db_ready_cb)(DbPool *pool, int error, const char *message, void *userdata);
int db_pool_start(DbPool *pool, db_ready_cb ready_cb, void *userdata);

/*
 * Queues stmt (registered) with params (stmt->nparams strings, copied; NULL when nparams is 0).
 * Returns 0, or -EAGAIN when max_queue queries are already waiting, -EINVAL for a statement
 * never registered (cb is then not called).
 */
int db_query(DbPool *pool, const DbStatement *stmt, const char *const *params, db_callback cb,
             void *userdata);

typedef struct DbPoolStats {
    unsigned size, connected, busy;
    size_t queued;
    uint64_t queries, errors;
} DbPoolStats;
void db_pool_stats(const DbPool *pool, DbPoolStats *ret);

/* Fails queued and in-flight queries with -ECANCELED (their callbacks run), closes everything. */
DbPool *db_pool_free(DbPool *pool);

/* Helpers for callbacks. */
static inline int db_ntuples(const DbResult *r) {
    return r->res ? PQntuples(r->res) : 0;
}
/* Value or NULL for SQL NULL. */
static inline const char *db_value(const DbResult *r, int row, int col) {
    return PQgetisnull(r->res, row, col) ? NULL : PQgetvalue(r->res, row, col);
}
