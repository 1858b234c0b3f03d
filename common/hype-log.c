/* hype-log: leveled logging to the journal (with fields) under systemd, else to stderr. */
#include "hype-log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#define LOG_FIELDS_MAX 16

static const char *log_ident = "hype";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit", [LOG_ERR] = "error",
    [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_open(const char *ident) {
    if (ident)
        log_ident = ident;
    /* JOURNAL_STREAM is set when stderr is connected to the journal; INVOCATION_ID whenever
     * systemd started us. Either way native journal fields beat a flat stderr line. */
    log_to_journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
}

void log_set_max_level(int level) {
    log_max_level = level;
}

int log_get_max_level(void) {
    return log_max_level;
}

int log_level_from_string(const char *s) {
    if (!s)
        return -EINVAL;
    if (strcasecmp(s, "err") == 0)
        return LOG_ERR;
    for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -EINVAL;
}

static void log_write(int level, int error, const char *file, int line, const char *func,
                      const char *const *fields, const char *msg) {
    if (log_to_journal) {
        struct iovec iov[8 + LOG_FIELDS_MAX];
        char prio[32], code_file[512], code_line[32], code_func[256], ident[128], errno_field[32];
        char message[4096 + 16];
        size_t n = 0;
#define IOV_STR(s) (iov[n++] = (struct iovec){.iov_base = (void *)(s), .iov_len = strlen(s)})
        snprintf(message, sizeof(message), "MESSAGE=%s", msg);
        snprintf(prio, sizeof(prio), "PRIORITY=%i", level);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
        snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
        snprintf(code_line, sizeof(code_line), "CODE_LINE=%i", line);
        snprintf(code_func, sizeof(code_func), "CODE_FUNC=%s", func);
        IOV_STR(message);
        IOV_STR(prio);
        IOV_STR(ident);
        IOV_STR(code_file);
        IOV_STR(code_line);
        IOV_STR(code_func);
        if (error) {
            snprintf(errno_field, sizeof(errno_field), "ERRNO=%i", abs(error));
            IOV_STR(errno_field);
        }
        for (size_t i = 0; fields && fields[i] && i < LOG_FIELDS_MAX; i++)
            IOV_STR(fields[i]);
#undef IOV_STR
        if (sd_journal_sendv(iov, (int)n) >= 0)
            return;
        /* Journal unreachable: fall through to stderr rather than lose the line. */
    }

    char extra[1024] = "";
    size_t off = 0;
    for (size_t i = 0; fields && fields[i] && i < LOG_FIELDS_MAX && off < sizeof(extra); i++)
        off += (size_t)snprintf(extra + off, sizeof(extra) - off, " %s", fields[i]);
    /* One fprintf per line: stdio locks the stream, so lines from threads do not interleave. */
    fprintf(stderr, "%s[%d]: <%s> %s%s\n", log_ident, (int)getpid(),
            level >= 0 && level <= LOG_DEBUG ? level_names[level] : "?", msg, extra);
}

static int log_vformat(int level, int error, const char *file, int line, const char *func,
                       const char *const *fields, const char *format, va_list ap) {
    char msg[4096];
    /* Support "%m" for the given error, as systemd's log_*_errno do. */
    errno = abs(error);
    vsnprintf(msg, sizeof(msg), format, ap);
    log_write(level, error, file, line, func, fields, msg);
    return error ? -abs(error) : 0;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
    if (level > log_max_level)
        return error ? -abs(error) : 0;
    va_list ap;
    va_start(ap, format);
    int r = log_vformat(level, error, file, line, func, NULL, format, ap);
    va_end(ap);
    return r;
}

int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) {
    if (level > log_max_level)
        return error ? -abs(error) : 0;
    va_list ap;
    va_start(ap, format);
    int r = log_vformat(level, error, file, line, func, fields, format, ap);
    va_end(ap);
    return r;
}

/* Masks the ":secret@" of a URI and the value of every "password=" (conninfo or URI query). */
const char *log_redact_dsn(const char *dsn, char *buf, size_t size) {
    if (!buf || size == 0)
        return "";
    if (!dsn)
        dsn = "(none)";
    size_t o = 0;
    const char *userinfo_end = NULL, *userinfo_colon = NULL;
    const char *scheme = strstr(dsn, "://");
    if (scheme) {
        const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
        const char *at = memchr(auth, '@', (size_t)(end - auth));
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            userinfo_colon = colon;
            userinfo_end = at;
        }
    }
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o + 1 < size)                                                                          \
            buf[o++] = (c);                                                                        \
    } while (0)
    for (const char *p = dsn; *p;) {
        if (p == userinfo_colon) {
            PUT(':');
            PUT('*');
            PUT('*');
            PUT('*');
            p = userinfo_end;
            continue;
        }
        if (strncasecmp(p, "password=", 9) == 0 && (p == dsn || strchr(" ?&", p[-1]))) {
            for (int i = 0; i < 9; i++)
                PUT(p[i]);
            PUT('*');
            PUT('*');
            PUT('*');
            p += 9;
            if (*p == '\'') { /* quoted conninfo value */
                for (p++; *p && *p != '\''; p++)
                    if (*p == '\\' && p[1])
                        p++;
                if (*p)
                    p++;
            } else
                p += strcspn(p, " &");
            continue;
        }
        PUT(*p);
        p++;
    }
#undef PUT
    buf[o] = '\0';
    return buf;
}
