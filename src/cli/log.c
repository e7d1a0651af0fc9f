/* The command line's debug log: what flash, backup and update did, for the
 * user who asks later "what happened to my probe?" (common/log.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

/* The command line as one string, for the log's first line. */
static void join_args(int argc, char **argv, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && len + 1 < cap; i++) {
        int n = snprintf(out + len, cap - len, "%s%s", i ? " " : "", argv[i]);
        if (n < 0)
            break;
        len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
    }
}

cf_code cf_cli_log_open(const cf_front *cli, int argc, char **argv, cf_error *err)
{
    char path[PATH_MAX];
    cf_error local;
    cf_error_reset(&local);
    cf_code rc = CF_OK;
    if (cli->log)
        rc = cf_log_open(cli->log, &local);
    else if ((rc = cf_log_default_path("cli.log", path, sizeof(path), &local)) == CF_OK)
        rc = cf_log_open(path, &local);
    if (rc != CF_OK && cli->log) {
        *err = local;
        cf_hint(err, "name a regular file in a folder you can write (--log FILE); a symbolic "
                     "link is never followed");
        return rc;
    }
    if (rc != CF_OK) { /* the default log is a convenience: flashing goes on without it */
        fprintf(stderr, "cartoflash: warning: no debug log: %s\n", local.message);
        return CF_OK;
    }
    char line[1024];
    join_args(argc, argv, line, sizeof(line));
    cf_log(false, "cartoflash %s: %s%s%s", CF_VERSION, line, cli->simulate ? " --simulate=" : "",
           cli->simulate ? cli->simulate : "");
    return CF_OK;
}
