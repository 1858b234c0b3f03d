/* api-migrate: applies sql/NNN_name.sql migrations and seed data, and promotes admins (blocking;
 * CLI modes only). */
#pragma once

/*
 * Blocking libpq: used by `hype-api --migrate` and `--seed`, which run before or instead of the
 * event loop, never from it.
 *
 * Migration files are sql_dir/NNN_name.sql: three or more digits (the version), an underscore,
 * a name. Two files with one version are an error; other files are ignored (a stray *.sql other
 * than seed.sql with a warning). A file may hold several statements but no transaction control
 * (BEGIN/COMMIT): it runs inside the migrator's transaction.
 *
 * migrate_apply: takes a session advisory lock (so concurrent migrators serialise), creates
 * schema_migrations(version int primary key, name text, checksum text, applied_at timestamptz)
 * when missing, then applies each migration whose version is not recorded, in version order,
 * each in its own transaction together with its schema_migrations row (name = the file name).
 * A recorded migration whose file checksum (SHA-256 hex) changed is reported as a warning. Logs
 * one info line per applied file. Returns the number applied, or a negative errno after logging
 * one clear line (the failing file, the line when PostgreSQL gives a position, and its message):
 * -ECONNREFUSED cannot connect (DSN redacted), -EIO a statement failed (that migration is rolled
 * back, earlier ones stay), -EEXIST duplicate versions, or the errno of reading sql_dir.
 *
 * migrate_seed: runs sql_dir/seed.sql (idempotent statements) in one transaction, under the
 * same lock. 0 when there is no seed.sql; errors as above.
 *
 * migrate_expected_version: the highest NNN among sql_dir's files (0 when none), so the daemon
 * can refuse to serve a database that is behind; a negative errno as above.
 */
int migrate_apply(const char *conninfo, const char *sql_dir);
int migrate_seed(const char *conninfo, const char *sql_dir);
int migrate_expected_version(const char *sql_dir);

/* SQL the daemon runs (asynchronously) at start to read the applied version. */
#define MIGRATE_VERSION_SQL "SELECT COALESCE(max(version), 0) FROM schema_migrations"

/*
 * hype-api --create-admin USERNAME: gives that account the global admin role (the admin API),
 * blocking libpq like the rest of this module. Returns 0, -ENOENT (one clear line logged) when
 * no such account exists, or another negative errno.
 */
int migrate_create_admin(const char *conninfo, const char *username);
