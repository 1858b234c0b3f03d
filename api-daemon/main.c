/* hype-api: the public HTTP/JSON API daemon; main only wires configuration, modes and the server.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "api-config.h"
#include "api-migrate.h"
#include "api-server.h"
#include "hype-log.h"

static const char summary[] =
    "Hype's public HTTP/JSON API: accounts, users and everything persistent.";
static const char options[] = "  --migrate       apply pending sql/ migrations and exit\n"
                              "  --seed          insert default data (idempotent) and exit\n"
                              "  --check-config  validate the configuration and exit\n"
                              "  --create-admin USERNAME\n"
                              "                  give an account the admin role and exit\n"
                              "  --help          show this help\n"
                              "  --version       show the version\n";

typedef enum Mode { MODE_SERVE, MODE_MIGRATE, MODE_SEED, MODE_CHECK, MODE_CREATE_ADMIN } Mode;

static const char *admin_username;

static int parse_args(int argc, char **argv, Mode *mode) {
    static const struct option longopts[] = {
        {"migrate", no_argument, NULL, 'm'},
        {"seed", no_argument, NULL, 's'},
        {"check-config", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"create-admin", required_argument, NULL, 'a'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    int c;
    *mode = MODE_SERVE;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': *mode = MODE_MIGRATE; break;
        case 's': *mode = MODE_SEED; break;
        case 'c': *mode = MODE_CHECK; break;
        case 'a':
            *mode = MODE_CREATE_ADMIN;
            admin_username = optarg;
            break;
        case 'h':
            config_print_help(stdout, "hype-api", summary, options, api_config_vars,
                              api_config_vars_count);
            return 0;
        case 'V': config_print_version(stdout, "hype-api"); return 0;
        default: return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hype-api: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    return 1;
}

int main(int argc, char **argv) {
    Mode mode;
    int r = parse_args(argc, argv, &mode);
    if (r <= 0)
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

    log_open("hype-api");
    ApiConfig cfg;
    char err[512];
    if (api_config_load(&cfg, mode == MODE_SERVE || mode == MODE_CHECK, err, sizeof(err)) < 0) {
        log_error("configuration error: %s", err);
        return EXIT_FAILURE;
    }
    log_set_max_level(cfg.log_level);

    if (mode == MODE_MIGRATE)
        r = migrate_apply(cfg.database_url, cfg.sql_dir) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    else if (mode == MODE_SEED)
        r = migrate_seed(cfg.database_url, cfg.sql_dir) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    else if (mode == MODE_CHECK)
        r = EXIT_SUCCESS;
    else if (mode == MODE_CREATE_ADMIN)
        r = migrate_create_admin(cfg.database_url, admin_username) < 0 ? EXIT_FAILURE
                                                                       : EXIT_SUCCESS;
    else {
        Api *api = NULL;
        r = api_new(&cfg, &api);
        if (r < 0) {
            log_error_errno(r, "cannot start: %m");
            r = EXIT_FAILURE;
        } else
            r = api_run(api);
        api_free(api);
    }
    api_config_free(&cfg);
    return r;
}
