/* hype-config: typed environment-variable configuration with validation, --help and --version. */
#include "hype-config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hype-log.h"

/* Strict decimal: digits only (one leading '-' allowed), no overflow, no trailing bytes. */
static int parse_ll(const char *s, long long *ret) {
    if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
        return -EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* A number followed by a unit from table; multiplies with overflow checks. */
typedef struct Unit {
    const char *suffix;
    unsigned long long factor;
} Unit;

static int parse_with_units(const char *s, const Unit *units, unsigned long long *ret) {
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == s)
        return -EINVAL;
    char digits[32];
    if ((size_t)(p - s) >= sizeof(digits))
        return -EINVAL;
    memcpy(digits, s, (size_t)(p - s));
    digits[p - s] = '\0';
    long long n;
    if (parse_ll(digits, &n) < 0)
        return -EINVAL;
    for (const Unit *u = units; u->suffix; u++)
        if (strcasecmp(p, u->suffix) == 0) {
            if (u->factor && (unsigned long long)n > ULLONG_MAX / u->factor)
                return -EINVAL;
            *ret = (unsigned long long)n * u->factor;
            return 0;
        }
    return -EINVAL;
}

static const Unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"K", 1024},
    {"KiB", 1024},
    {"M", 1024 * 1024},
    {"MiB", 1024 * 1024},
    {"G", 1024ULL * 1024 * 1024},
    {"GiB", 1024ULL * 1024 * 1024},
    {NULL, 0},
};
static const Unit time_units[] = {
    {"", 1},      {"ms", 1},      {"s", 1000},     {"sec", 1000}, {"min", 60000},
    {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {NULL, 0},
};

static bool parse_bool(const char *s, bool *ret) {
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no",
                                                                                "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *ret = true, true;
        if (strcasecmp(s, no[i]) == 0)
            return *ret = false, true;
    }
    return false;
}

static bool bounded(const ConfigVar *v, long long x) {
    return (v->min == 0 && v->max == 0) || (x >= v->min && x <= v->max);
}

/* Parses one value into its field; on failure writes why (without the value for secrets). */
static int load_one(const ConfigVar *v, const char *s, char *field, char *err, size_t errlen) {
    long long n;
    unsigned long long u;
    bool b;
    const char *shown = (v->flags & CONFIG_SECRET) ? "(secret)" : s;
    switch (v->type) {
    case CONFIG_STRING: {
        size_t len = strlen(s);
        if ((v->min && (long long)len < v->min) || (v->max && (long long)len > v->max)) {
            if (v->flags & CONFIG_SECRET)
                snprintf(err, errlen,
                         "%s is too short or too long: %lld to %lld bytes are required", v->name,
                         v->min, v->max);
            else
                snprintf(err, errlen, "%s=%s: must be %lld to %lld characters long", v->name, shown,
                         v->min, v->max);
            return -EINVAL;
        }
        char *copy = strdup(s);
        if (!copy)
            return -ENOMEM;
        memcpy(field, &copy, sizeof(copy));
        return 0;
    }
    case CONFIG_INT:
        if (parse_ll(s, &n) < 0 || !bounded(v, n))
            goto range;
        memcpy(field, &n, sizeof(n));
        return 0;
    case CONFIG_PORT: {
        if (parse_ll(s, &n) < 0 || n < 1 || n > 65535) {
            snprintf(err, errlen, "%s=%s: not a port number (1-65535)", v->name, shown);
            return -EINVAL;
        }
        uint16_t port = (uint16_t)n;
        memcpy(field, &port, sizeof(port));
        return 0;
    }
    case CONFIG_BOOL:
        if (!parse_bool(s, &b)) {
            snprintf(err, errlen, "%s=%s: expected true or false", v->name, shown);
            return -EINVAL;
        }
        memcpy(field, &b, sizeof(b));
        return 0;
    case CONFIG_SIZE: {
        if (parse_with_units(s, size_units, &u) < 0 || u > (unsigned long long)LLONG_MAX ||
            !bounded(v, (long long)u)) {
            snprintf(err, errlen,
                     "%s=%s: expected a size from %lld to %lld bytes (suffixes K, M, G)", v->name,
                     shown, v->min, v->max);
            return -EINVAL;
        }
        size_t sz = (size_t)u;
        memcpy(field, &sz, sizeof(sz));
        return 0;
    }
    case CONFIG_MSEC: {
        if (parse_with_units(s, time_units, &u) < 0 || u > (unsigned long long)LLONG_MAX ||
            !bounded(v, (long long)u)) {
            snprintf(err, errlen,
                     "%s=%s: expected a duration from %lld to %lld ms (suffixes ms, s, min, h, d)",
                     v->name, shown, v->min, v->max);
            return -EINVAL;
        }
        uint64_t ms = u;
        memcpy(field, &ms, sizeof(ms));
        return 0;
    }
    case CONFIG_LOGLEVEL: {
        int level = log_level_from_string(s);
        if (level < 0) {
            snprintf(err, errlen, "%s=%s: expected error, warning, notice, info or debug", v->name,
                     shown);
            return -EINVAL;
        }
        memcpy(field, &level, sizeof(level));
        return 0;
    }
    }
    return -EINVAL;
range:
    snprintf(err, errlen, "%s=%s: expected an integer from %lld to %lld", v->name, shown, v->min,
             v->max);
    return -EINVAL;
}

int config_load(const ConfigVar *vars, size_t n, void *cfg, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        const ConfigVar *v = &vars[i];
        const char *s = getenv(v->name);
        if (!s || !*s) {
            if (v->flags & CONFIG_REQUIRED) {
                if (v->flags & CONFIG_SECRET)
                    snprintf(err, errlen, "%s is required (at least %lld bytes)", v->name, v->min);
                else
                    snprintf(err, errlen, "%s is required", v->name);
                return -EINVAL;
            }
            s = v->default_value;
            if (!s)
                continue;
        }
        int r = load_one(v, s, (char *)cfg + v->offset, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

void config_free(const ConfigVar *vars, size_t n, void *cfg) {
    for (size_t i = 0; i < n; i++)
        if (vars[i].type == CONFIG_STRING) {
            char **p = (char **)((char *)cfg + vars[i].offset);
            free(*p);
            *p = NULL;
        }
}

void config_print_help(FILE *f, const char *prog, const char *summary, const char *options_help,
                       const ConfigVar *vars, size_t n) {
    fprintf(f, "Usage: %s [OPTION]\n%s\n\nOptions:\n%s\nEnvironment:\n", prog, summary,
            options_help);
    for (size_t i = 0; i < n; i++) {
        const ConfigVar *v = &vars[i];
        const char *def = (v->flags & CONFIG_REQUIRED) ? "required"
                          : (v->flags & CONFIG_SECRET) ? "(secret)"
                          : v->default_value           ? v->default_value
                                                       : "";
        fprintf(f, "  %-22s %-12s %s\n", v->name, def, v->help);
    }
}

void config_print_version(FILE *f, const char *prog) {
    fprintf(f, "%s %s\n", prog, HYPE_VERSION);
}

int config_parse_args(int argc, char **argv, const char *prog, const char *summary,
                      const ConfigVar *vars, size_t n, bool *ret_check_only) {
    static const struct option longopts[] = {
        {"check-config", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    static const char options[] = "  --check-config  validate the configuration and exit\n"
                                  "  --help          show this help\n"
                                  "  --version       show the version\n";
    bool check_only = false;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': check_only = true; break;
        case 'h': config_print_help(stdout, prog, summary, options, vars, n); return 0;
        case 'V': config_print_version(stdout, prog); return 0;
        default: return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n", prog, argv[optind]);
        return -EINVAL;
    }
    *ret_check_only = check_only;
    return 1;
}
