/* hype-log: leveled logging to the journal (with fields) under systemd, else to stderr. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "hype-macro.h"

/*
 * Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG.
 *
 * log_open() decides the sink once: the journal (sd_journal_send with MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, CODE_FILE/CODE_LINE/CODE_FUNC and ERRNO when set) when JOURNAL_STREAM or
 * INVOCATION_ID says we run under systemd, else one line per message on stderr:
 *   "hype-api[1234]: <level> message"
 * Not thread-safe against log_open(); the log_* calls themselves may come from any thread.
 *
 * Never pass a secret, a password, a token or a full DSN to these functions: nothing here can
 * tell a secret from other text. Use log_redact_dsn() for connection strings.
 */
void log_open(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
/* "err", "error", "warning", "notice", "info", "debug" (case-insensitive); -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* Returns -abs(error) when error != 0, else 0, so callers can "return log_error_errno(r, ...)". */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Like log_internal, plus extra journal fields ("KEY=value" strings, NULL-terminated list after
 * the format arguments is not possible with printf checking, so fields come as an array). On
 * stderr the fields are appended as " KEY=value". */
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...)                                                          \
    ({                                                                                             \
        int _l_ = (level);                                                                         \
        (log_get_max_level() >= _l_)                                                               \
            ? log_internal(_l_, (error), __FILE__, __LINE__, __func__, __VA_ARGS__)                \
            : -abs(error);                                                                         \
    })
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
/* log_struct(LOG_INFO, fields, "fmt", ...) with fields = (const char *[]){"ROUTE=/x", NULL}. */
#define log_struct(level, fields, ...)                                                             \
    log_struct_internal((level), 0, __FILE__, __LINE__, __func__, (fields), __VA_ARGS__)

/* Copies a libpq conninfo or URI into buf with any password replaced by "***". */
const char *log_redact_dsn(const char *dsn, char *buf, size_t size);
