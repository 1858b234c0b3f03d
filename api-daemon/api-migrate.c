/* api-migrate: applies sql/NNN_name.sql migrations and seed data (blocking; CLI modes only). */
#include "api-migrate.h"

#include <dirent.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hype-log.h"
#include "hype-macro.h"

/* Key of the session advisory lock every migrator holds for its whole run ("Hype" + 1). Fixed
 * so that two hype-api processes, of any version, serialise against each other. */
#define MIGRATE_LOCK_KEY INT64_C(0x4879706500000001)
#define MIGRATE_FILE_MAX (64u << 20)
#define SHA256_HEX_LEN 64

typedef struct Migration {
    int version;
    char *file; /* "001_init.sql" */
} Migration;

typedef struct MigrationList {
    Migration *v;
    size_t n;
} MigrationList;

static void migration_list_done(MigrationList *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].file);
    free(l->v);
    *l = (MigrationList){0};
}

DEFINE_CLEANUP_FUNC(PGconn, PQfinish)
DEFINE_CLEANUP_FUNC(PGresult, PQclear)
DEFINE_CLEANUP_FUNC(DIR, closedir)

/* "NNN_name.sql": three or more digits, an underscore, a non-empty name. Returns the version,
 * -ENOENT for names that are not migrations, -ERANGE beyond INT_MAX. */
static int parse_migration_name(const char *name) {
    size_t digits = strspn(name, "0123456789"), len = strlen(name);
    if (digits < 3 || name[digits] != '_' || len < digits + 1 + 1 + 4 ||
        strcmp(name + len - 4, ".sql") != 0)
        return -ENOENT;
    long long v = 0;
    for (size_t i = 0; i < digits; i++) {
        v = v * 10 + (name[i] - '0');
        if (v > INT_MAX)
            return -ERANGE;
    }
    return (int)v;
}

static int migration_cmp(const void *a, const void *b) {
    const Migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static int list_add(MigrationList *l, int version, const char *file) {
    Migration *v = reallocarray(l->v, l->n + 1, sizeof(Migration));
    if (!v)
        return -ENOMEM;
    l->v = v;
    l->v[l->n].file = strdup(file);
    if (!l->v[l->n].file)
        return -ENOMEM;
    l->v[l->n++].version = version;
    return 0;
}

static int list_check_duplicates(const MigrationList *l) {
    for (size_t i = 1; i < l->n; i++)
        if (l->v[i].version == l->v[i - 1].version) {
            log_error("migrations %s and %s share version %d", l->v[i - 1].file, l->v[i].file,
                      l->v[i].version);
            return -EEXIST;
        }
    return 0;
}

/* Lists sql_dir's migrations sorted by version; duplicate versions are an error. */
static int scan_migrations(const char *sql_dir, MigrationList *ret) {
    _cleanup_(closedirp) DIR *d = opendir(sql_dir);
    if (!d)
        return log_error_errno(errno, "cannot open migrations directory %s: %m", sql_dir);
    _cleanup_(migration_list_done) MigrationList l = {0};
    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        int v = parse_migration_name(de->d_name);
        if (v == -ERANGE)
            return log_error_errno(ERANGE, "migration %s: version out of range", de->d_name);
        if (v == -ENOENT) {
            size_t len = strlen(de->d_name);
            /* A .sql file that is neither seed.sql nor NNN_name.sql is most likely a typo that
             * would otherwise be skipped without a word. */
            if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0 &&
                strcmp(de->d_name, "seed.sql") != 0)
                log_warning("ignoring %s/%s: not named NNN_name.sql", sql_dir, de->d_name);
            continue;
        }
        int r = list_add(&l, v, de->d_name);
        if (r < 0)
            return log_error_errno(r, "cannot list migrations: %m");
    }
    if (errno)
        return log_error_errno(errno, "cannot read migrations directory %s: %m", sql_dir);
    if (l.n)
        qsort(l.v, l.n, sizeof(Migration), migration_cmp);
    int r = list_check_duplicates(&l);
    if (r < 0)
        return r;
    *ret = l;
    l = (MigrationList){0};
    return 0;
}

/* Reads a whole file as a C string: PQexec takes one, so a NUL inside would silently cut the
 * SQL short; such a file is refused. */
static int read_sql_file(const char *dir, const char *file, char **ret, size_t *ret_len) {
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, file) < 0)
        return -ENOMEM;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > MIGRATE_FILE_MAX)
        return -EFBIG;
    size_t size = (size_t)st.st_size;
    _cleanup_free_ char *buf = malloc(size + 1);
    if (!buf)
        return -ENOMEM;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO; /* shrank while we read it */
        got += (size_t)n;
    }
    buf[size] = '\0';
    if (memchr(buf, '\0', size))
        return -EINVAL;
    *ret = TAKE_PTR(buf);
    *ret_len = size;
    return 0;
}

static int sha256_hex(const char *data, size_t len, char hex[SHA256_HEX_LEN + 1]) {
    unsigned char digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, digest) < 0)
        return -EIO;
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

static void on_notice(void *arg, const char *message) {
    log_debug("PostgreSQL: %.*s", (int)strcspn(message, "\n"), message);
}

static int db_connect(const char *conninfo, PGconn **ret) {
    _cleanup_(PQfinishp) PGconn *c = PQconnectdb(conninfo ?: "");
    if (!c)
        return log_error_errno(ENOMEM, "cannot connect to PostgreSQL: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        char redacted[1024];
        const char *err = PQerrorMessage(c);
        log_error("cannot connect to PostgreSQL at %s: %.*s",
                  log_redact_dsn(conninfo && *conninfo ? conninfo : "(libpq defaults)", redacted,
                                 sizeof(redacted)),
                  (int)strcspn(err, "\r\n"), err);
        return -ECONNREFUSED;
    }
    /* Without this, libpq prints notices such as "relation already exists, skipping" on
     * stderr, bypassing the log. */
    PQsetNoticeProcessor(c, on_notice, NULL);
    *ret = TAKE_PTR(c);
    return 0;
}

static bool result_ok(const PGresult *res) {
    ExecStatusType st = PQresultStatus(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/* PostgreSQL's primary message when the server sent one, else libpq's (lost connection, OOM),
 * which is multi-line: the caller prints up to the returned length. */
static const char *result_message(PGconn *c, const PGresult *res, int *ret_len) {
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m)
        m = res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(c);
    *ret_len = (int)strcspn(m, "\r\n");
    return m;
}

/* Runs SQL that must succeed; what names the step for the error line. */
static int exec_ok(PGconn *c, const char *sql, const char *what) {
    _cleanup_(PQclearp) PGresult *res = PQexec(c, sql);
    if (result_ok(res))
        return 0;
    int len;
    const char *m = result_message(c, res, &len);
    log_error("%s failed: %.*s", what, len, m);
    return -EIO;
}

/* PG_DIAG_STATEMENT_POSITION counts characters (not bytes) from 1 into the whole string that
 * was sent, that is the file: turn it into the line a migration author looks for. */
static unsigned error_line(const PGresult *res, const char *sql) {
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    long chars = pos ? strtol(pos, NULL, 10) : 0;
    if (chars <= 0)
        return 0;
    unsigned line = 1;
    for (const char *p = sql; *p && chars > 1; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80) /* first byte of a UTF-8 character */
            chars--;
        line += *p == '\n';
    }
    return line;
}

/* Runs a whole SQL file (several statements allowed) inside the caller's transaction. */
static int exec_file(PGconn *c, const char *sql, const char *file) {
    _cleanup_(PQclearp) PGresult *res = PQexec(c, sql);
    if (result_ok(res))
        return 0;
    int len;
    const char *m = result_message(c, res, &len);
    unsigned line = error_line(res, sql);
    if (line)
        log_error("%s failed at line %u: %.*s", file, line, len, m);
    else
        log_error("%s failed: %.*s", file, len, m);
    return -EIO;
}

/* A session lock, not a transaction one: it must span the many transactions of one run. It
 * goes away with the connection, however the run ends. */
static int take_lock(PGconn *c) {
    char key[32];
    snprintf(key, sizeof(key), "%" PRId64, MIGRATE_LOCK_KEY);
    const char *params[] = {key};
    _cleanup_(PQclearp) PGresult *res =
        PQexecParams(c, "SELECT pg_advisory_lock($1::bigint)", 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return 0;
    int len;
    const char *m = result_message(c, res, &len);
    log_error("cannot take the migration lock: %.*s", len, m);
    return -EIO;
}

static int ensure_schema_table(PGconn *c) {
    return exec_ok(c,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY,"
                   " name text NOT NULL,"
                   " checksum text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   "creating schema_migrations");
}

/* The checksum recorded for version, "" when the version is not applied. */
static int applied_checksum(PGconn *c, int version, char buf[SHA256_HEX_LEN + 1], bool *ret) {
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *params[] = {v};
    _cleanup_(PQclearp) PGresult *res =
        PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1::int", 1, NULL,
                     params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int len;
        const char *m = result_message(c, res, &len);
        log_error("reading schema_migrations failed: %.*s", len, m);
        return -EIO;
    }
    *ret = PQntuples(res) > 0;
    snprintf(buf, SHA256_HEX_LEN + 1, "%s", *ret ? PQgetvalue(res, 0, 0) : "");
    return 0;
}

static int record_migration(PGconn *c, const Migration *m, const char *checksum) {
    char v[16];
    snprintf(v, sizeof(v), "%d", m->version);
    const char *params[] = {v, m->file, checksum};
    _cleanup_(PQclearp) PGresult *res = PQexecParams(
        c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::int, $2, $3)", 3,
        NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        return 0;
    int len;
    const char *msg = result_message(c, res, &len);
    log_error("migration %s: recording it failed: %.*s", m->file, len, msg);
    return -EIO;
}

/* BEGIN; the file (several statements allowed); its schema_migrations row; COMMIT. */
static int apply_one(PGconn *c, const Migration *m, const char *sql, const char *checksum) {
    char what[PATH_MAX];
    snprintf(what, sizeof(what), "migration %s", m->file);
    int r = exec_ok(c, "BEGIN", what);
    if (r >= 0)
        r = exec_file(c, sql, what);
    if (r >= 0)
        r = record_migration(c, m, checksum);
    if (r >= 0)
        r = exec_ok(c, "COMMIT", what);
    if (r < 0) {
        /* The error is already logged; ROLLBACK is a no-op after a failed COMMIT. */
        _cleanup_(PQclearp) PGresult *res = PQexec(c, "ROLLBACK");
        return r;
    }
    log_info("applied migration %s", m->file);
    return 0;
}

/* Applies m unless recorded; 1 when applied, 0 when it already was. */
static int migrate_one(PGconn *c, const char *sql_dir, const Migration *m) {
    _cleanup_free_ char *sql = NULL;
    size_t len;
    int r = read_sql_file(sql_dir, m->file, &sql, &len);
    if (r < 0)
        return log_error_errno(r, "cannot read migration %s/%s: %m", sql_dir, m->file);
    char checksum[SHA256_HEX_LEN + 1], recorded[SHA256_HEX_LEN + 1];
    r = sha256_hex(sql, len, checksum);
    if (r < 0)
        return log_error_errno(r, "migration %s: cannot hash it", m->file);
    bool applied;
    r = applied_checksum(c, m->version, recorded, &applied);
    if (r < 0)
        return r;
    if (applied) {
        /* Editing an applied migration changes nothing in databases that already ran it. */
        if (strcmp(recorded, checksum) != 0)
            log_warning("migration %s changed after it was applied (checksum %s, recorded %s)",
                        m->file, checksum, recorded);
        return 0;
    }
    r = apply_one(c, m, sql, checksum);
    return r < 0 ? r : 1;
}

int migrate_apply(const char *conninfo, const char *sql_dir) {
    _cleanup_(migration_list_done) MigrationList l = {0};
    int r = scan_migrations(sql_dir, &l);
    if (r < 0)
        return r;
    _cleanup_(PQfinishp) PGconn *c = NULL;
    r = db_connect(conninfo, &c);
    if (r < 0)
        return r;
    /* Lock before CREATE TABLE IF NOT EXISTS: run concurrently, that statement itself can fail
     * with a unique violation in the catalogs. */
    r = take_lock(c);
    if (r < 0)
        return r;
    r = ensure_schema_table(c);
    if (r < 0)
        return r;
    int applied = 0;
    for (size_t i = 0; i < l.n; i++) {
        r = migrate_one(c, sql_dir, &l.v[i]);
        if (r < 0)
            return r;
        applied += r;
    }
    return applied;
}

int migrate_seed(const char *conninfo, const char *sql_dir) {
    _cleanup_free_ char *sql = NULL;
    size_t len;
    int r = read_sql_file(sql_dir, "seed.sql", &sql, &len);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return log_error_errno(r, "cannot read %s/seed.sql: %m", sql_dir);
    _cleanup_(PQfinishp) PGconn *c = NULL;
    r = db_connect(conninfo, &c);
    if (r < 0)
        return r;
    /* Seeding beside a running migration could see half a schema: share the lock. */
    r = take_lock(c);
    if (r < 0)
        return r;
    r = exec_ok(c, "BEGIN", "seed.sql");
    if (r >= 0)
        r = exec_file(c, sql, "seed.sql");
    if (r >= 0)
        r = exec_ok(c, "COMMIT", "seed.sql");
    if (r < 0) {
        _cleanup_(PQclearp) PGresult *res = PQexec(c, "ROLLBACK");
        return r;
    }
    log_info("applied seed.sql");
    return 0;
}

int migrate_expected_version(const char *sql_dir) {
    _cleanup_(migration_list_done) MigrationList l = {0};
    int r = scan_migrations(sql_dir, &l);
    if (r < 0)
        return r;
    return l.n ? l.v[l.n - 1].version : 0;
}

int migrate_create_admin(const char *conninfo, const char *username) {
    PGconn *pg = NULL;
    int cr = db_connect(conninfo, &pg);
    if (cr < 0)
        return cr;
    const char *params[1] = {username};
    PGresult *res = PQexecParams(pg,
                                 "UPDATE users SET role = 'admin', updated_at = now()"
                                 " WHERE lower(username) = lower($1) RETURNING id",
                                 1, NULL, params, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_error("cannot promote %s: %.*s", username, (int)strcspn(PQerrorMessage(pg), "\n"),
                  PQerrorMessage(pg));
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        log_error("no account named \"%s\": register it first", username);
        r = -ENOENT;
    } else
        log_info("%s is now an administrator", username);
    PQclear(res);
    PQfinish(pg);
    return r;
}
