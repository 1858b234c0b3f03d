/* test-api-db: api-db and api-migrate against a throwaway PostgreSQL cluster of the test's own. */
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api-db.h"
#include "api-migrate.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "test.h"

TEST_MAIN()

/* ---- a private PostgreSQL cluster: Unix socket in a temp dir, no TCP ---- */

static char pg_dir[256]; /* short: paths under it must fit PATH_MAX */
static char pg_bin[PATH_MAX];
static char pg_conninfo[512];
static int pg_guard_fd = -1;
static pid_t pg_guard_pid;

/* Runs a shell command, as postgres when we are root (initdb refuses root). */
static int pg_run(const char *fmt, ...) _printf_(1, 2);
static int pg_run(const char *fmt, ...) {
    char cmd[4 * PATH_MAX], body[3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s%s", geteuid() == 0 ? "runuser -u postgres -- " : "", body);
    int r = system(cmd);
    return WIFEXITED(r) && WEXITSTATUS(r) == 0 ? 0 : -EIO;
}

static int pg_start(void) {
    return pg_run("%s/pg_ctl -D %s/data -l %s/pg.log -w -o \"-k %s -c listen_addresses='' "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start "
                  ">/dev/null",
                  pg_bin, pg_dir, pg_dir, pg_dir);
}

static int pg_stop(const char *mode) {
    return pg_run("%s/pg_ctl -D %s/data -m %s -w stop >/dev/null 2>&1", pg_bin, pg_dir, mode);
}

/* A child that outlives us by a moment: when our end of the pipe closes, however we die
 * (assertion, sanitizer abort, alarm), it stops the cluster and removes the directory. The
 * pipe is O_CLOEXEC so that the postmaster, started through system(), does not hold it. */
static void pg_spawn_guard(void) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0 || (pg_guard_pid = fork()) < 0)
        abort();
    if (pg_guard_pid == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) < 0 && errno == EINTR)
            ;
        pg_stop("immediate");
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg_dir);
        _exit(system(cmd) == 0 ? 0 : 1);
    }
    close(p[0]);
    pg_guard_fd = p[1];
}

static void pg_cleanup(void) {
    if (pg_guard_fd < 0)
        return;
    close(pg_guard_fd);
    pg_guard_fd = -1;
    waitpid(pg_guard_pid, NULL, 0);
}

static void pg_make_dir(void) {
    snprintf(pg_dir, sizeof(pg_dir), "%s/hype-pgtest.XXXXXX", getenv("TMPDIR") ?: "/tmp");
    if (!mkdtemp(pg_dir))
        abort();
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (!pw || chown(pg_dir, pw->pw_uid, pw->pw_gid) < 0)
            abort();
    }
}

/* Starts the cluster on first use; every test calls it, so any single test can run alone. */
static const char *pg(void) {
    if (pg_conninfo[0])
        return pg_conninfo;
    alarm(60); /* safety net: nothing here may hang; the guard still cleans up */
    snprintf(pg_bin, sizeof(pg_bin), "%s", getenv("PGBIN") ?: "/usr/lib/postgresql/15/bin");
    pg_make_dir();
    pg_spawn_guard();
    atexit(pg_cleanup);
    if (pg_run("%s/initdb -D %s/data -U postgres -A trust -E UTF8 --no-locale --no-sync "
               ">%s/initdb.log 2>&1",
               pg_bin, pg_dir, pg_dir) < 0 ||
        pg_start() < 0) {
        fprintf(stderr, "cannot start PostgreSQL in %s (see initdb.log, pg.log)\n", pg_dir);
        exit(EXIT_FAILURE);
    }
    snprintf(pg_conninfo, sizeof(pg_conninfo), "host=%s user=postgres dbname=postgres", pg_dir);
    return pg_conninfo;
}

static const char *pg_db(const char *dbname) {
    static char buf[sizeof(pg_conninfo) + 64];
    pg();
    snprintf(buf, sizeof(buf), "host=%s user=postgres dbname=%s", pg_dir, dbname);
    return buf;
}

DEFINE_CLEANUP_FUNC(PGconn, PQfinish)
DEFINE_CLEANUP_FUNC(PGresult, PQclear)

/* Blocking admin statement (test setup only); returns the first value or "" / NULL on error. */
static char *admin_value(const char *conninfo, const char *sql, char *buf, size_t size) {
    _cleanup_(PQfinishp) PGconn *c = PQconnectdb(conninfo);
    _cleanup_(PQclearp) PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        fprintf(stderr, "  admin SQL failed: %s: %s", sql, PQerrorMessage(c));
        return NULL;
    }
    snprintf(buf, size, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    return buf;
}

static bool admin_exec(const char *conninfo, const char *sql) {
    char buf[8];
    return admin_value(conninfo, sql, buf, sizeof(buf)) != NULL;
}

/* ---- driving the loop ---- */

static void event_base_freep(struct event_base **b) {
    if (*b)
        event_base_free(*b);
}
static void db_pool_freep(DbPool **p) {
    db_pool_free(*p);
}
#define _cleanup_base_ _cleanup_(event_base_freep)
#define _cleanup_pool_ _cleanup_(db_pool_freep)

static void on_deadline(evutil_socket_t fd, short what, void *userdata) {
    *(bool *)userdata = true;
}

/* Runs the loop until pred(arg) holds or timeout_ms passes. Every state change happens in an
 * event callback, so checking after each loop iteration misses nothing. */
static bool run_until(struct event_base *base, bool (*pred)(const void *), const void *arg,
                      int timeout_ms) {
    bool expired = false;
    struct event *t = evtimer_new(base, on_deadline, &expired);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!pred(arg) && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return pred(arg);
}

typedef struct Count {
    const int *n;
    int target;
} Count;
static bool count_reached(const void *arg) {
    const Count *c = arg;
    return *c->n >= c->target;
}
#define RUN_UNTIL_COUNT(base, counter, target, ms)                                                 \
    run_until(base, count_reached, &(Count){&(counter), (target)}, ms)

typedef struct Connected {
    DbPool *pool;
    unsigned n;
} Connected;
static bool connected_is(const void *arg) {
    const Connected *c = arg;
    DbPoolStats st;
    db_pool_stats(c->pool, &st);
    return st.connected == c->n;
}

/* No event may outlive the pool: what the loop still holds after db_pool_free is a leak. */
static int events_left(struct event_base *base) {
    return event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE);
}

/* ---- pool start ---- */

typedef struct Ready {
    int done, error;
    char message[512];
} Ready;

static void on_ready(DbPool *pool, int error, const char *message, void *userdata) {
    Ready *r = userdata;
    r->done++;
    r->error = error;
    snprintf(r->message, sizeof(r->message), "%s", message ?: "");
}

typedef struct Out {
    int done, error, ntuples;
    char sqlstate[8], constraint[64], message[256];
    char v[3][64];
    bool null[3];
} Out;

static void on_result(const DbResult *r, void *userdata) {
    Out *o = userdata;
    o->done++;
    o->error = r->error;
    o->ntuples = db_ntuples(r);
    snprintf(o->sqlstate, sizeof(o->sqlstate), "%s", r->sqlstate ?: "");
    snprintf(o->constraint, sizeof(o->constraint), "%s", r->constraint ?: "");
    snprintf(o->message, sizeof(o->message), "%s", r->message ?: "");
    int ncols = r->res && o->ntuples ? PQnfields(r->res) : 0;
    for (int i = 0; i < ncols && i < 3; i++) {
        const char *v = db_value(r, 0, i);
        o->null[i] = !v;
        snprintf(o->v[i], sizeof(o->v[i]), "%s", v ?: "");
    }
}

static int pool_open(struct event_base *base, DbPoolOptions opts, const DbStatement *stmts,
                     size_t n, DbPool **ret, Ready *ready) {
    if (!opts.conninfo)
        opts.conninfo = pg();
    int r = db_pool_new(base, &opts, ret);
    if (r < 0)
        return r;
    db_pool_register(*ret, stmts, n);
    *ready = (Ready){0};
    r = db_pool_start(*ret, on_ready, ready);
    if (r < 0)
        return r;
    if (ready->done) /* ready_cb must never run synchronously */
        return -EINVAL;
    if (!RUN_UNTIL_COUNT(base, ready->done, 1, 20000))
        return -ETIMEDOUT;
    return ready->error;
}

static const DbStatement basic_stmts[] = {
    {"rows", "SELECT g, 'row ' || g FROM generate_series(1, $1::int) g", 1},
    {"echo3", "SELECT $1::text IS NULL, $2::text, $3::int", 3},
    {"echo", "SELECT $1::text", 1},
    {"double", "SELECT $1::int * 2, pg_backend_pid()", 1},
    {"sleep", "SELECT pg_sleep($1::float8)", 1},
    {"noparams", "SELECT 42", 0},
};
#define STMT(i) (&basic_stmts[i])

TEST(pool_start_and_rows) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){0}, basic_stmts, ELEMENTSOF(basic_stmts), &pool,
                        &ready),
              0);
    ASSERT_EQ(ready.done, 1);
    Out o = {0};
    ASSERT_EQ(db_query(pool, STMT(0), (const char *[]){"3"}, on_result, &o), 0);
    ASSERT_EQ(o.done, 0); /* never synchronously */
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o.done, 1, 5000));
    ASSERT_EQ(o.error, 0);
    ASSERT_EQ(o.ntuples, 3);
    ASSERT_STREQ(o.v[0], "1");
    ASSERT_STREQ(o.v[1], "row 1");
    Out o2 = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o2), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o2.done, 1, 5000));
    ASSERT_STREQ(o2.v[0], "42");
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ(st.size, 4);
    ASSERT_GE(st.connected, 1);
    ASSERT_EQ(st.busy, 0);
    ASSERT_EQ(st.queued, 0);
    ASSERT_EQ_U(st.queries, 2);
    ASSERT_EQ_U(st.errors, 0);
    pool = db_pool_free(pool);
    ASSERT_EQ(ready.done, 1);
    ASSERT_EQ(events_left(base), 0);
}

TEST(params_and_null) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &pool, &ready),
              0);
    /* The parameters are copied: the caller's buffers may change right after db_query. */
    char text[] = "h\xc3\xa9llo 'quoted' $2 \\";
    char num[] = "42";
    Out o = {0}, n = {0};
    ASSERT_EQ(db_query(pool, STMT(1), (const char *[]){NULL, text, num}, on_result, &o), 0);
    ASSERT_EQ(db_query(pool, STMT(2), (const char *[]){NULL}, on_result, &n), 0);
    memset(text, 'x', sizeof(text) - 1);
    num[0] = '9';
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, n.done, 1, 5000));
    ASSERT_EQ(o.done, 1); /* FIFO on one connection */
    ASSERT_EQ(o.error, 0);
    ASSERT_STREQ(o.v[0], "t");
    ASSERT_STREQ(o.v[1], "h\xc3\xa9llo 'quoted' $2 \\");
    ASSERT_STREQ(o.v[2], "42");
    ASSERT_EQ(n.error, 0);
    ASSERT_EQ(n.ntuples, 1);
    ASSERT_TRUE(n.null[0]);
    /* Misuse is refused up front, without a callback. */
    DbStatement unregistered = {"echo", "SELECT $1::text", 1};
    ASSERT_EQ(db_query(pool, &unregistered, (const char *[]){"x"}, on_result, &o), -EINVAL);
    ASSERT_EQ(db_query(pool, STMT(2), NULL, on_result, &o), -EINVAL);
    ASSERT_EQ(o.done, 1);
}

#define N_CONCURRENT 200

typedef struct Doubled {
    int i, done, error, value, pid;
    int *total;
} Doubled;

static void on_doubled(const DbResult *r, void *userdata) {
    Doubled *d = userdata;
    d->done++;
    d->error = r->error;
    if (!r->error && db_ntuples(r) == 1) {
        d->value = atoi(db_value(r, 0, 0));
        d->pid = atoi(db_value(r, 0, 1));
    }
    (*d->total)++;
}

TEST(concurrent_200_on_4) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 4}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &pool, &ready),
              0);
    /* Wait for all four, so that the first four queries go to four distinct backends. */
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 4}, 10000));
    static Doubled d[N_CONCURRENT];
    int total = 0;
    for (int i = 0; i < N_CONCURRENT; i++) {
        char p[16];
        snprintf(p, sizeof(p), "%d", i);
        d[i] = (Doubled){.i = i, .total = &total};
        ASSERT_EQ(db_query(pool, STMT(3), (const char *[]){p}, on_doubled, &d[i]), 0);
    }
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ(st.busy, 4);
    ASSERT_EQ(st.queued, N_CONCURRENT - 4);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, total, N_CONCURRENT, 20000));
    int pids[4] = {0}, npids = 0;
    for (int i = 0; i < N_CONCURRENT; i++) {
        ASSERT_EQ(d[i].done, 1);
        ASSERT_EQ(d[i].error, 0);
        ASSERT_EQ(d[i].value, 2 * i);
        bool seen = false;
        for (int k = 0; k < npids; k++)
            seen |= pids[k] == d[i].pid;
        if (!seen && npids < 4)
            pids[npids++] = d[i].pid;
    }
    ASSERT_EQ(npids, 4);
    db_pool_stats(pool, &st);
    ASSERT_EQ(st.busy, 0);
    ASSERT_EQ(st.queued, 0);
    ASSERT_EQ_U(st.queries, N_CONCURRENT);
}

/* A callback that queries again and frees its own userdata: a chain of ten. */
typedef struct Chain {
    DbPool *pool;
    int left, *finished;
} Chain;

static void on_chain(const DbResult *r, void *userdata) {
    Chain *c = userdata;
    if (r->error || c->left == 0) {
        *c->finished = r->error ? r->error : 1;
        free(c);
        return;
    }
    Chain *next = malloc(sizeof(Chain));
    *next = (Chain){c->pool, c->left - 1, c->finished};
    free(c);
    if (db_query(next->pool, STMT(5), NULL, on_chain, next) < 0) {
        *next->finished = -1;
        free(next);
    }
}

TEST(callback_requeries_and_frees_userdata) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 2}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &pool, &ready),
              0);
    int finished = 0;
    Chain *c = malloc(sizeof(Chain));
    *c = (Chain){pool, 10, &finished};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_chain, c), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, finished, 1, 5000));
    ASSERT_EQ(finished, 1);
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ_U(st.queries, 11);
}

/* ---- server errors ---- */

static const DbStatement unique_stmts[] = {
    {"unique_insert", "INSERT INTO t_unique (id) VALUES ($1::int)", 1},
};

TEST(unique_violation) {
    ASSERT_TRUE(admin_exec(pg(), "CREATE TABLE t_unique (id int CONSTRAINT t_unique_pkey "
                                 "PRIMARY KEY)"));
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1}, unique_stmts, 1, &pool, &ready), 0);
    Out a = {0}, b = {0};
    ASSERT_EQ(db_query(pool, &unique_stmts[0], (const char *[]){"7"}, on_result, &a), 0);
    ASSERT_EQ(db_query(pool, &unique_stmts[0], (const char *[]){"7"}, on_result, &b), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, b.done, 1, 5000));
    ASSERT_EQ(a.error, 0);
    ASSERT_EQ(b.error, -EIO);
    ASSERT_STREQ(b.sqlstate, "23505");
    ASSERT_STREQ(b.constraint, "t_unique_pkey");
    ASSERT_TRUE(strstr(b.message, "duplicate key") != NULL);
    ASSERT_TRUE(strstr(b.message, "7") == NULL); /* the primary message carries no values */
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ_U(st.errors, 1);
}

TEST(bad_statement_fails_start) {
    static const DbStatement stmts[] = {
        {"fine", "SELECT 1", 0},
        {"broken_stmt", "SELEC $1::int", 1},
    };
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    int r = pool_open(base, (DbPoolOptions){.size = 2}, stmts, ELEMENTSOF(stmts), &pool, &ready);
    ASSERT_EQ(r, -EIO);
    ASSERT_TRUE(strstr(ready.message, "broken_stmt") != NULL);
    ASSERT_TRUE(strstr(ready.message, "syntax error") != NULL);
    ASSERT_TRUE(strchr(ready.message, '\n') == NULL);
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ(st.connected, 0);
}

TEST(statement_timeout) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1, .statement_timeout_ms = 100},
                        basic_stmts, ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    Out o = {0}, after = {0};
    ASSERT_EQ(db_query(pool, STMT(4), (const char *[]){"5"}, on_result, &o), 0);
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &after), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, after.done, 1, 5000));
    ASSERT_EQ(o.error, -EIO);
    ASSERT_STREQ(o.sqlstate, "57014");
    ASSERT_EQ(after.error, 0); /* the connection survives a cancelled statement */
    ASSERT_STREQ(after.v[0], "42");
}

/* ---- queue limits ---- */

TEST(queue_full) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1, .max_queue = 2}, basic_stmts,
                        ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    Out o[6] = {{0}};
    int accepted = 0, again = 0;
    for (int i = 0; i < 6; i++) {
        int r = db_query(pool, STMT(5), NULL, on_result, &o[i]);
        accepted += r == 0;
        again += r == -EAGAIN;
    }
    ASSERT_EQ(accepted, 3); /* one in flight, two waiting */
    ASSERT_EQ(again, 3);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o[2].done, 1, 5000));
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(o[i].error, 0);
    for (int i = 3; i < 6; i++)
        ASSERT_EQ(o[i].done, 0);
}

TEST(queue_timeout) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1, .queue_timeout_ms = 200}, basic_stmts,
                        ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    Out slow = {0}, waiting = {0};
    ASSERT_EQ(db_query(pool, STMT(4), (const char *[]){"1"}, on_result, &slow), 0);
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &waiting), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, slow.done, 1, 5000));
    ASSERT_EQ(waiting.done, 1);
    ASSERT_EQ(waiting.error, -ETIMEDOUT);
    ASSERT_EQ(waiting.ntuples, 0);
    ASSERT_EQ(slow.error, 0);
    DbPoolStats st;
    db_pool_stats(pool, &st);
    ASSERT_EQ(st.queued, 0);
    ASSERT_EQ_U(st.errors, 1);
}

/* ---- connection failures ---- */

static bool outcome_allowed(int error) {
    return error == 0 || error == -ETIMEDOUT || error == -ECONNRESET;
}

TEST(server_restart) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 2, .queue_timeout_ms = 300}, basic_stmts,
                        ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 2}, 10000));
    ASSERT_EQ(pg_stop("fast"), 0);
    /* Sent on a connection whose server is gone, before the loop has noticed. */
    Out during = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &during), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, during.done, 1, 5000));
    ASSERT_TRUE(outcome_allowed(during.error));
    ASSERT_NE(during.error, 0);
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 0}, 5000));
    /* Queued while every reconnect attempt fails. */
    Out down = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &down), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, down.done, 1, 5000));
    ASSERT_EQ(down.error, -ETIMEDOUT);
    ASSERT_EQ(pg_start(), 0);
    /* Backoff is at most 5 s: both connections come back without help. */
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 2}, 15000));
    Out back = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &back), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, back.done, 1, 5000));
    ASSERT_EQ(back.error, 0);
    ASSERT_STREQ(back.v[0], "42");
}

TEST(server_restart_with_queries_in_flight) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 2, .queue_timeout_ms = 10000},
                        basic_stmts, ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 2}, 10000));
    Out o[6] = {{0}};
    int total = 0;
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(db_query(pool, STMT(4), (const char *[]){"0.05"}, on_result, &o[i]), 0);
    /* Restarting blocks us: the loop only learns of it afterwards, all at once. */
    ASSERT_EQ(pg_stop("fast"), 0);
    ASSERT_EQ(pg_start(), 0);
    for (int i = 0; i < 6; i++) {
        ASSERT_TRUE(RUN_UNTIL_COUNT(base, o[i].done, 1, 15000));
        ASSERT_TRUE(outcome_allowed(o[i].error));
        total += o[i].done;
    }
    ASSERT_EQ(total, 6);
    Out back = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &back), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, back.done, 1, 15000));
    ASSERT_EQ(back.error, 0);
}

/* Captures what the code under test logs to stderr, to check it for secrets. */
typedef struct Capture {
    int saved;
    FILE *f;
} Capture;

static void capture_begin(Capture *c) {
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    c->f = tmpfile();
    if (c->saved < 0 || !c->f || dup2(fileno(c->f), STDERR_FILENO) < 0)
        abort();
}

static void capture_end(Capture *c, char *buf, size_t size) {
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    ssize_t n = pread(fileno(c->f), buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    fclose(c->f);
    fputs(buf, stderr); /* still show it */
}

TEST(connect_failure_message) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    const char *dsn = "host=/nonexistent-hype-dir user=postgres password=secret dbname=postgres";
    Capture cap;
    char logged[4096];
    capture_begin(&cap);
    int r = pool_open(base,
                      (DbPoolOptions){.conninfo = dsn, .connect_timeout_ms = 300,
                                      .queue_timeout_ms = 100},
                      basic_stmts, ELEMENTSOF(basic_stmts), &pool, &ready);
    capture_end(&cap, logged, sizeof(logged));
    ASSERT_EQ(r, -ECONNREFUSED);
    ASSERT_TRUE(strstr(ready.message, "cannot connect to PostgreSQL at ") == ready.message);
    ASSERT_TRUE(strstr(ready.message, "password=***") != NULL);
    ASSERT_TRUE(strstr(ready.message, "nonexistent-hype-dir") != NULL);
    ASSERT_TRUE(strstr(ready.message, "secret") == NULL);
    ASSERT_TRUE(strchr(ready.message, '\n') == NULL);
    ASSERT_TRUE(strstr(logged, "secret") == NULL);
    /* Queries on a pool that never came up end by timeout instead of hanging. */
    Out o = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o.done, 1, 5000));
    ASSERT_EQ(o.error, -ETIMEDOUT);
    pool = db_pool_free(pool);
    ASSERT_EQ(events_left(base), 0);
}

TEST(invalid_conninfo) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    int r = pool_open(base, (DbPoolOptions){.conninfo = "host=/tmp password=secret bogus=1"},
                      basic_stmts, ELEMENTSOF(basic_stmts), &pool, &ready);
    ASSERT_EQ(r, -EINVAL);
    ASSERT_TRUE(strstr(ready.message, "secret") == NULL);
    ASSERT_TRUE(ready.message[0] != '\0');
}

TEST(multi_host_conninfo) {
    /* libpq tries the first host, fails, and moves on to the second: the socket changes under
     * the pool during PQconnectPoll. */
    char dsn[600];
    pg();
    snprintf(dsn, sizeof(dsn), "host=/nonexistent-hype-dir,%s user=postgres dbname=postgres",
             pg_dir);
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.conninfo = dsn, .size = 2}, basic_stmts,
                        ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    Out o = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o.done, 1, 5000));
    ASSERT_EQ(o.error, 0);
}

TEST(query_before_start) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    DbPoolOptions opts = {.conninfo = pg(), .size = 1};
    ASSERT_EQ(db_pool_new(base, &opts, &pool), 0);
    db_pool_register(pool, basic_stmts, ELEMENTSOF(basic_stmts));
    Out o = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o), 0); /* waits for a connection */
    Ready ready = {0};
    ASSERT_EQ(db_pool_start(pool, on_ready, &ready), 0);
    ASSERT_EQ(db_pool_start(pool, on_ready, &ready), -EALREADY);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, o.done, 1, 5000));
    ASSERT_EQ(ready.done, 1);
    ASSERT_EQ(ready.error, 0);
    ASSERT_EQ(o.error, 0);
    ASSERT_STREQ(o.v[0], "42");
}

static void continue_backend(pid_t *pid) {
    if (*pid > 0)
        kill(*pid, SIGCONT);
}

/* A backend that stops answering (SIGSTOP: as if the host vanished without a FIN) must not
 * hang its query forever: the in-flight watchdog drops the connection. */
TEST(hung_server_watchdog) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1, .statement_timeout_ms = 100},
                        basic_stmts, ELEMENTSOF(basic_stmts), &pool, &ready),
              0);
    Doubled d = {0};
    int total = 0;
    d.total = &total;
    ASSERT_EQ(db_query(pool, STMT(3), (const char *[]){"1"}, on_doubled, &d), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, total, 1, 5000));
    ASSERT_GT(d.pid, 0);
    _cleanup_(continue_backend) pid_t stopped = d.pid;
    ASSERT_EQ(kill(stopped, SIGSTOP), 0);
    Out hung = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &hung), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, hung.done, 1, 10000));
    ASSERT_EQ(hung.error, -ECONNRESET);
    Out after = {0};
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &after), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, after.done, 1, 5000));
    ASSERT_EQ(after.error, 0);
}

/* ---- shutdown ---- */

TEST(free_cancels_queued) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &pool, &ready),
              0);
    Out o[3] = {{0}};
    ASSERT_EQ(db_query(pool, STMT(4), (const char *[]){"2"}, on_result, &o[0]), 0);
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o[1]), 0);
    ASSERT_EQ(db_query(pool, STMT(5), NULL, on_result, &o[2]), 0);
    pool = db_pool_free(pool);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(o[i].done, 1);
        ASSERT_EQ(o[i].error, -ECANCELED);
    }
    ASSERT_EQ(events_left(base), 0);
}

typedef struct FreeInside {
    DbPool **pool;
    int calls, requery;
} FreeInside;

static void on_free_inside(const DbResult *r, void *userdata) {
    FreeInside *f = userdata;
    f->calls++;
    if (*f->pool) {
        DbPool *p = *f->pool;
        *f->pool = NULL;
        db_pool_free(p);
    }
}

static void on_requery_during_free(const DbResult *r, void *userdata) {
    FreeInside *f = userdata;
    f->calls++;
    f->requery = db_query(*f->pool, STMT(5), NULL, on_result, NULL);
}

TEST(free_from_callback) {
    _cleanup_base_ struct event_base *base = event_base_new();
    _cleanup_pool_ DbPool *pool = NULL;
    Ready ready;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 2}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &pool, &ready),
              0);
    ASSERT_TRUE(run_until(base, connected_is, &(Connected){pool, 2}, 10000));
    FreeInside f = {&pool, 0, 0};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(db_query(pool, STMT(5), NULL, on_free_inside, &f), 0);
    ASSERT_TRUE(RUN_UNTIL_COUNT(base, f.calls, 5, 5000));
    ASSERT_NULL(pool);
    ASSERT_EQ(events_left(base), 0);

    /* A callback run by db_pool_free cannot queue anything new. */
    DbPool *p2 = NULL;
    ASSERT_EQ(pool_open(base, (DbPoolOptions){.size = 1}, basic_stmts, ELEMENTSOF(basic_stmts),
                        &p2, &ready),
              0);
    FreeInside g = {&p2, 0, 0};
    ASSERT_EQ(db_query(p2, STMT(5), NULL, on_requery_during_free, &g), 0);
    db_pool_free(p2);
    ASSERT_EQ(g.calls, 1);
    ASSERT_EQ(g.requery, -ECANCELED);
    ASSERT_EQ(events_left(base), 0);
}

/* ---- migrations ---- */

static bool write_file(const char *dir, const char *name, const char *text) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

static bool make_sql_dir(char *dir, size_t size) {
    snprintf(dir, size, "%s/sql.XXXXXX", pg_dir);
    return mkdtemp(dir) != NULL;
}

static bool create_db(const char *name) {
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    return admin_exec(pg(), sql);
}

TEST(migrate_apply_in_order) {
    ASSERT_TRUE(create_db("mig_basic"));
    char dsn[sizeof(pg_conninfo) + 64], dir[PATH_MAX], buf[64];
    snprintf(dsn, sizeof(dsn), "%s", pg_db("mig_basic"));
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    ASSERT_EQ(migrate_expected_version(dir), 0);
    ASSERT_TRUE(write_file(dir, "002_b.sql", "CREATE TABLE b (a_id int REFERENCES a(id));\n"));
    ASSERT_TRUE(write_file(dir, "001_a.sql",
                           "CREATE TABLE a (id int PRIMARY KEY);\n"
                           "CREATE INDEX a_idx ON a (id);\n"));
    ASSERT_TRUE(write_file(dir, "README", "not a migration"));
    ASSERT_TRUE(write_file(dir, "seed.sql", "INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING;\n"));
    ASSERT_EQ(migrate_expected_version(dir), 2);
    ASSERT_EQ(migrate_apply(dsn, dir), 2);
    ASSERT_EQ(migrate_apply(dsn, dir), 0);
    ASSERT_STREQ(admin_value(dsn, "SELECT string_agg(version || ':' || name, ',' ORDER BY "
                                  "version) FROM schema_migrations",
                             buf, sizeof(buf)),
                 "1:001_a.sql,2:002_b.sql");
    ASSERT_STREQ(admin_value(dsn, "SELECT length(checksum) FROM schema_migrations LIMIT 1", buf,
                             sizeof(buf)),
                 "64");
    ASSERT_STREQ(admin_value(dsn, MIGRATE_VERSION_SQL, buf, sizeof(buf)), "2");

    ASSERT_EQ(migrate_seed(dsn, dir), 0);
    ASSERT_EQ(migrate_seed(dsn, dir), 0);
    ASSERT_STREQ(admin_value(dsn, "SELECT count(*) FROM a", buf, sizeof(buf)), "1");

    /* An edited applied migration is only warned about. */
    ASSERT_TRUE(write_file(dir, "001_a.sql", "CREATE TABLE a (id int PRIMARY KEY); -- edited\n"));
    ASSERT_EQ(migrate_apply(dsn, dir), 0);
}

TEST(migrate_failure_rolls_back) {
    ASSERT_TRUE(create_db("mig_fail"));
    char dsn[sizeof(pg_conninfo) + 64], dir[PATH_MAX], buf[64];
    snprintf(dsn, sizeof(dsn), "%s", pg_db("mig_fail"));
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    ASSERT_TRUE(write_file(dir, "001_a.sql", "CREATE TABLE a (id int);\n"));
    ASSERT_TRUE(write_file(dir, "002_b.sql", "CREATE TABLE b (id int);\n"));
    ASSERT_TRUE(write_file(dir, "003_c.sql",
                           "CREATE TABLE c (id int);\n"
                           "INSERT INTO c VALUES (1);\n"
                           "SELECT 1 / 0;\n"));
    ASSERT_EQ(migrate_expected_version(dir), 3);
    Capture cap;
    char logged[4096];
    capture_begin(&cap);
    int r = migrate_apply(dsn, dir);
    capture_end(&cap, logged, sizeof(logged));
    ASSERT_EQ(r, -EIO);
    ASSERT_TRUE(strstr(logged, "003_c.sql") != NULL);
    ASSERT_TRUE(strstr(logged, "division by zero") != NULL);
    ASSERT_STREQ(admin_value(dsn, "SELECT to_regclass('c') IS NULL", buf, sizeof(buf)), "t");
    ASSERT_STREQ(admin_value(dsn, "SELECT to_regclass('b') IS NULL", buf, sizeof(buf)), "f");
    ASSERT_STREQ(admin_value(dsn, "SELECT max(version) FROM schema_migrations", buf, sizeof(buf)),
                 "2");
    /* Fixed, it goes through. */
    ASSERT_TRUE(write_file(dir, "003_c.sql", "CREATE TABLE c (id int);\n"));
    ASSERT_EQ(migrate_apply(dsn, dir), 1);
}

TEST(migrate_error_line) {
    ASSERT_TRUE(create_db("mig_line"));
    char dsn[sizeof(pg_conninfo) + 64], dir[PATH_MAX];
    snprintf(dsn, sizeof(dsn), "%s", pg_db("mig_line"));
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    ASSERT_TRUE(write_file(dir, "001_syntax.sql",
                           "-- caf\xc3\xa9: multi-byte characters before the error\n"
                           "CREATE TABLE a (id int);\n"
                           "\n"
                           "SELEC 1;\n"));
    Capture cap;
    char logged[4096];
    capture_begin(&cap);
    int r = migrate_apply(dsn, dir);
    capture_end(&cap, logged, sizeof(logged));
    ASSERT_EQ(r, -EIO);
    ASSERT_TRUE(strstr(logged, "migration 001_syntax.sql failed at line 4: syntax error") != NULL);
}

TEST(migrate_names_and_duplicates) {
    char dir[PATH_MAX];
    pg();
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    ASSERT_TRUE(write_file(dir, "01_short.sql", "SELECT 1;"));  /* not NNN: ignored */
    ASSERT_TRUE(write_file(dir, "010_x.sql.bak", "SELECT 1;")); /* not .sql: ignored */
    ASSERT_TRUE(write_file(dir, "0100_ten.sql", "SELECT 1;"));
    ASSERT_TRUE(write_file(dir, "020_twenty.sql", "SELECT 1;"));
    ASSERT_EQ(migrate_expected_version(dir), 100);
    ASSERT_TRUE(write_file(dir, "100_again.sql", "SELECT 1;"));
    ASSERT_EQ(migrate_expected_version(dir), -EEXIST);
    ASSERT_TRUE(migrate_expected_version("/nonexistent-hype-dir") < 0);
    ASSERT_EQ(migrate_seed(pg(), "/nonexistent-hype-dir"), 0); /* no seed.sql: nothing to do */
}

TEST(migrate_connect_failure) {
    char dir[PATH_MAX];
    pg();
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    ASSERT_TRUE(write_file(dir, "001_a.sql", "SELECT 1;"));
    Capture cap;
    char logged[4096];
    capture_begin(&cap);
    int r = migrate_apply("postgresql://hype:secret@/postgres?host=/nonexistent-hype-dir", dir);
    capture_end(&cap, logged, sizeof(logged));
    ASSERT_EQ(r, -ECONNREFUSED);
    ASSERT_TRUE(strstr(logged, "cannot connect to PostgreSQL") != NULL);
    ASSERT_TRUE(strstr(logged, "secret") == NULL);
}

TEST(migrate_concurrent) {
    ASSERT_TRUE(create_db("mig_conc"));
    char dsn[sizeof(pg_conninfo) + 64], dir[PATH_MAX], buf[64];
    snprintf(dsn, sizeof(dsn), "%s", pg_db("mig_conc"));
    ASSERT_TRUE(make_sql_dir(dir, sizeof(dir)));
    /* Not re-runnable: applying it twice would fail, so a double application shows. */
    ASSERT_TRUE(write_file(dir, "001_a.sql", "CREATE TABLE a (id int); SELECT pg_sleep(0.2);\n"));
    ASSERT_TRUE(write_file(dir, "002_b.sql", "CREATE TABLE b (id int);\n"));
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        ASSERT_TRUE(pids[i] >= 0);
        if (pids[i] == 0) {
            int r = migrate_apply(dsn, dir);
            _exit(r < 0 ? 100 : r); /* _exit: the cluster belongs to the parent's atexit */
        }
    }
    int sum = 0;
    for (int i = 0; i < 2; i++) {
        int status;
        ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_LE(WEXITSTATUS(status), 2);
        sum += WEXITSTATUS(status);
    }
    ASSERT_EQ(sum, 2);
    ASSERT_STREQ(admin_value(dsn, "SELECT count(*) FROM schema_migrations", buf, sizeof(buf)),
                 "2");
}
