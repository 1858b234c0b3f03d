/* api-migrate: applies sql/NNN_name.sql migrations and seed data (blocking; CLI modes only). */
#include "api-migrate.h"

#include <dirent.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-log.h"

/* pg_advisory_lock key: "hypemigr" in ASCII, so it is recognisable in pg_locks. */
#define MIGRATE_LOCK_KEY "7526768474384443762"
#define MIGRATIONS_MAX 1000

typedef struct Migration {
    int version;
    char name[256]; /* file name */
} Migration;

static int cmp_migration(const void *a, const void *b) {
    return ((const Migration *)a)->version - ((const Migration *)b)->version;
}

/* NNN_name.sql with at least three digits. Returns the version or -1. */
static int migration_version(const char *name) {
    size_t digits = strspn(name, "0123456789"), len = strlen(name);
    if (digits < 3 || digits > 9 || name[digits] != '_' || len < digits + 6 ||
        strcmp(name + len - 4, ".sql") != 0)
        return -1;
    return atoi(name);
}

/* Lists the migrations of dir sorted by version; -EEXIST on a duplicate version. */
static int list_migrations(const char *dir, Migration **ret, size_t *ret_n) {
    DIR *d = opendir(dir);
    if (!d)
        return log_error_errno(errno, "cannot open the migrations directory %s: %m", dir);
    Migration *list = calloc(MIGRATIONS_MAX, sizeof(*list));
    size_t n = 0;
    for (struct dirent *e; list && (e = readdir(d));) {
        int v = migration_version(e->d_name);
        if (v < 0 || n == MIGRATIONS_MAX)
            continue;
        list[n].version = v;
        snprintf(list[n].name, sizeof(list[n].name), "%s", e->d_name);
        n++;
    }
    closedir(d);
    if (!list)
        return -ENOMEM;
    qsort(list, n, sizeof(*list), cmp_migration);
    for (size_t i = 1; i < n; i++)
        if (list[i].version == list[i - 1].version) {
            log_error("migrations %s and %s share version %d", list[i - 1].name, list[i].name,
                      list[i].version);
            free(list);
            return -EEXIST;
        }
    *ret = list;
    *ret_n = n;
    return 0;
}

int migrate_expected_version(const char *sql_dir) {
    Migration *list = NULL;
    size_t n = 0;
    int r = list_migrations(sql_dir, &list, &n);
    if (r < 0)
        return r;
    int v = n ? list[n - 1].version : 0;
    free(list);
    return v;
}

/* NULL with errno set on failure. */
static char *read_file(const char *path, size_t *ret_len) {
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[8192];
    for (size_t got; mem && (got = fread(chunk, 1, sizeof(chunk), f)) > 0;)
        fwrite(chunk, 1, got, mem);
    fclose(f);
    if (!mem)
        return NULL;
    fclose(mem);
    *ret_len = len;
    return buf;
}

static void sha256_hex(const char *data, size_t len, char out[65]) {
    unsigned char d[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static bool exec_ok(PGconn *pg, const char *sql, const char *what) {
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        log_error("%s failed: %.*s", what, (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
    PQclear(res);
    return ok;
}

/* "relation already exists, skipping" and the like are not worth an info line. */
static void notice_to_debug(void *arg, const char *message) {
    log_debug("PostgreSQL: %.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *connect_db(const char *conninfo) {
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        char shown[512];
        log_error("cannot connect to PostgreSQL at %s: %.*s",
                  log_redact_dsn(conninfo, shown, sizeof(shown)),
                  (int)strcspn(PQerrorMessage(pg), "\n"), PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, notice_to_debug, NULL);
    return pg;
}

/* The recorded checksum of version, or "" when the version is not applied. */
static int applied_checksum(PGconn *pg, int version, char out[65]) {
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *params[1] = {v};
    PGresult *res = PQexecParams(pg, "SELECT checksum FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_error("cannot read schema_migrations: %s", PQerrorMessage(pg));
        PQclear(res);
        return -EIO;
    }
    snprintf(out, 65, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return 0;
}

static int apply_one(PGconn *pg, const char *dir, const Migration *m) {
    char path[4096], sum[65], have[65];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, m->name);
    _cleanup_free_ char *sql = read_file(path, &len);
    if (!sql)
        return log_error_errno(errno ? errno : EIO, "cannot read %s: %m", path);
    sha256_hex(sql, len, sum);
    if (applied_checksum(pg, m->version, have) < 0)
        return -EIO;
    if (have[0]) {
        if (strcmp(have, sum) != 0)
            log_warning("migration %s changed after it was applied (checksum differs)", m->name);
        return 0;
    }
    if (!exec_ok(pg, "BEGIN", "BEGIN"))
        return -EIO;
    char what[512];
    snprintf(what, sizeof(what), "migration %s", m->name);
    if (!exec_ok(pg, sql, what)) {
        exec_ok(pg, "ROLLBACK", "ROLLBACK");
        return -EIO;
    }
    char v[16];
    snprintf(v, sizeof(v), "%d", m->version);
    const char *params[3] = {v, m->name, sum};
    PGresult *res = PQexecParams(pg, "INSERT INTO schema_migrations (version, name, checksum) "
                                     "VALUES ($1, $2, $3)", 3, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok || !exec_ok(pg, "COMMIT", "COMMIT")) {
        exec_ok(pg, "ROLLBACK", "ROLLBACK");
        return -EIO;
    }
    log_info("applied migration %s", m->name);
    return 1;
}

int migrate_apply(const char *conninfo, const char *sql_dir) {
    Migration *list = NULL;
    size_t n = 0;
    int r = list_migrations(sql_dir, &list, &n);
    if (r < 0)
        return r;
    PGconn *pg = connect_db(conninfo);
    if (!pg) {
        free(list);
        return -ECONNREFUSED;
    }
    int applied = 0;
    /* The lock serialises concurrent migrators (several nodes, ExecStartPre of each). */
    if (!exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock") ||
        !exec_ok(pg, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, checksum text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())",
                 "creating schema_migrations"))
        applied = -EIO;
    for (size_t i = 0; applied >= 0 && i < n; i++) {
        r = apply_one(pg, sql_dir, &list[i]);
        applied = r < 0 ? r : applied + r;
    }
    PQfinish(pg); /* releases the advisory lock too */
    if (applied >= 0)
        log_info("schema is current at version %d (%d migration(s) applied now)",
                 n ? list[n - 1].version : 0, applied);
    free(list);
    return applied;
}

int migrate_seed(const char *conninfo, const char *sql_dir) {
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/seed.sql", sql_dir);
    _cleanup_free_ char *sql = read_file(path, &len);
    if (!sql) {
        if (errno != ENOENT)
            return log_error_errno(errno, "cannot read %s: %m", path);
        log_info("no seed.sql in %s: nothing to seed", sql_dir);
        return 0;
    }
    PGconn *pg = connect_db(conninfo);
    if (!pg)
        return -ECONNREFUSED;
    bool ok = exec_ok(pg, "BEGIN", "BEGIN") && exec_ok(pg, sql, "seed.sql") &&
              exec_ok(pg, "COMMIT", "COMMIT");
    if (!ok)
        exec_ok(pg, "ROLLBACK", "ROLLBACK");
    PQfinish(pg);
    if (ok)
        log_info("seed data is in place");
    return ok ? 0 : -EIO;
}
