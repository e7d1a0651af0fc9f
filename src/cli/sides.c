#include "cli/sides.h"
#include "front/simulate.h"

/* The probe sides alone (see cf_cli_sides_open). */
static cf_code open_sides(const cf_front *cli, cf_cli_sides *s, cf_error *err)
{
    /* The Katapult simulation is a probe running its firmware; any other
     * simulation is the DFU side (a probe in DFU mode); hardware has both. */
    s->kp_side = !cli->simulate || cf_front_sim_is_katapult(cli->simulate);
    if (cli->simulate && s->kp_side)
        return cf_front_sim_katapult(cli->simulate, &s->sim, err);
    cf_code rc = cf_front_open_backend(cli, &s->dfu, err);
    if (rc != CF_OK && !cli->simulate) {
        cf_error_reset(err);
        s->dfu = NULL;
        return CF_OK;
    }
    return rc;
}

cf_code cf_cli_sides_open(const cf_front *cli, const cf_catalog_opts *copts, cf_cli_sides *s,
                          cf_status_opts *so, cf_error *err)
{
    *s = (cf_cli_sides){0};
    cf_code rc = open_sides(cli, s, err);
    if (rc != CF_OK)
        return rc;
    s->cat_rc = cf_catalog_open(copts, &s->cat, &s->cat_err);
    if (s->cat_rc != CF_OK)
        s->cat = NULL;
    s->env.transport = s->sim;
    so->env = s->kp_side ? &s->env : NULL;
    so->dfu = s->dfu;
    so->config = !cli->simulate;
    so->moonraker = true;
    so->catalog = s->cat;
    return CF_OK;
}

void cf_cli_add_can_if(cf_status_opts *so, const char *name)
{
    if (so->can_if_count < sizeof(so->can_ifs) / sizeof(so->can_ifs[0]))
        so->can_ifs[so->can_if_count++] = name;
}

void cf_cli_sides_close(cf_cli_sides *s)
{
    cf_catalog_close(s->cat);
    cf_front_close_backend(s->dfu);
    cf_kp_transport_free(s->sim);
}
