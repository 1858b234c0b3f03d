/* hype-config: typed environment-variable configuration with validation, --help and --version. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A daemon describes its configuration as a static table of ConfigVar; config_load() fills the
 * daemon's own struct (each entry names a field by offset) from the environment.
 *
 *   CONFIG_STRING   char *          (strdup'ed; freed by config_free)
 *   CONFIG_INT      long long       (decimal, range [min, max])
 *   CONFIG_PORT     uint16_t        (1..65535)
 *   CONFIG_BOOL     bool            (1/0, true/false, yes/no, on/off)
 *   CONFIG_SIZE     size_t          (bytes, with optional K/M/G suffix, powers of 1024; [min,max])
 *   CONFIG_MSEC     uint64_t        (milliseconds; accepts "250ms", "5s", "2min", "1h" or a bare
 *                                    number of milliseconds; [min,max] in ms)
 *   CONFIG_LOGLEVEL int             (log_level_from_string)
 *
 * Flags: CONFIG_REQUIRED (no default; missing or empty is an error), CONFIG_SECRET (value never
 * printed anywhere, shown as "(secret)" in --help; min is the minimum length in bytes).
 * For CONFIG_STRING, min/max bound the length when nonzero.
 */
typedef enum ConfigType {
    CONFIG_STRING,
    CONFIG_INT,
    CONFIG_PORT,
    CONFIG_BOOL,
    CONFIG_SIZE,
    CONFIG_MSEC,
    CONFIG_LOGLEVEL,
} ConfigType;

enum {
    CONFIG_REQUIRED = 1u << 0,
    CONFIG_SECRET = 1u << 1,
};

typedef struct ConfigVar {
    const char *name; /* environment variable */
    ConfigType type;
    unsigned flags;
    const char *default_value; /* parsed like an environment value; NULL with CONFIG_REQUIRED */
    long long min, max;        /* see above; 0,0 = unbounded */
    size_t offset;             /* offsetof(DaemonConfig, field) */
    const char *help;          /* one line for --help and the README table */
} ConfigVar;

/*
 * Reads every variable from the environment (getenv), applying defaults. On the first error,
 * writes one clear line to err (e.g. "PORT=abc: not a port number (1-65535)" or
 * "JWT_ACCESS_SECRET is required (at least 32 bytes)"; never a secret's value) and returns
 * -EINVAL. cfg must be zero-initialised.
 */
int config_load(const ConfigVar *vars, size_t n, void *cfg, char *err, size_t errlen);
/* Frees the strings config_load allocated. */
void config_free(const ConfigVar *vars, size_t n, void *cfg);

/* Prints usage, the options list and a table of variables (name, default, help). */
void config_print_help(FILE *f, const char *prog, const char *summary, const char *options_help,
                       const ConfigVar *vars, size_t n);

/* "hype-api 0.1.0" */
void config_print_version(FILE *f, const char *prog);

/*
 * The command line of a daemon whose only options are --check-config, --help and --version
 * (hype-signal, hype-media): prints the help (summary, then vars) or the version and returns 0
 * (exit successfully); returns 1 to go on, with *ret_check_only telling whether --check-config
 * was given; or prints what is wrong on stderr (an unknown option, an argument) and returns
 * -EINVAL.
 */
int config_parse_args(int argc, char **argv, const char *prog, const char *summary,
                      const ConfigVar *vars, size_t n, bool *ret_check_only);
