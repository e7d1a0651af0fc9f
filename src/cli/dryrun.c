/* flash dfu --dry-run: what the real run would do, from the plan cf_flash_dfu()
 * made before its first erase. */
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/dryrun.h"
#include "common/log.h"

static const char *erase_method(const cf_flash_report *rep)
{
    if (rep->pages_changed == 0)
        return "none";
    return rep->plan.mass ? "mass" : "pages";
}

static void print_runs(const cf_flash_plan_summary *p)
{
    size_t shown = p->run_count < CF_FLASH_PLAN_RUNS ? p->run_count : CF_FLASH_PLAN_RUNS;
    for (size_t i = 0; i < shown; i++) {
        uint32_t end = p->runs[i].address + p->runs[i].pages * p->page_size;
        printf("  pages 0x%08x..0x%08x (%u page%s)\n", p->runs[i].address, end - 1,
               p->runs[i].pages, p->runs[i].pages == 1 ? "" : "s");
    }
    if (shown < p->run_count)
        printf("  ... and %zu more runs\n", p->run_count - shown);
}

void cf_cli_print_dfu_plan(const cf_flash_report *rep)
{
    const cf_flash_plan_summary *p = &rep->plan;
    printf("Dry run: nothing was erased, written or backed up; the probe stays in DFU mode.\n");
    if (rep->pages_changed == 0) {
        printf("Plan: 0 of %zu pages change: the probe already holds this image (checked by "
               "read-back); nothing would be erased%s.\n",
               rep->pages_total, p->leave ? ", only DFU left" : "");
        return;
    }
    printf("Plan: %zu of %zu pages change (%u bytes each):\n", rep->pages_changed, rep->pages_total,
           p->page_size);
    print_runs(p);
    if (p->mass)
        printf("Erase:  one mass erase (%zu unchanged page%s written back)\n", p->restored,
               p->restored == 1 ? "" : "s");
    else
        printf("Erase:  %zu page erase%s (pages already blank are not erased)\n", p->erases,
               p->erases == 1 ? "" : "s");
    printf("Write:  %zu bytes, then %zu bytes read back and compared\n", p->write_bytes,
           p->verify_bytes);
    printf("Backup: %s (time stamp of the real run)\n", rep->backup_path);
    printf("Leave:  %s\n", p->leave ? "yes, the probe starts its new firmware"
                                    : "no (--no-leave): it stays in DFU mode");
}

void cf_cli_log_dfu_plan(const cf_flash_report *rep)
{
    const cf_flash_plan_summary *p = &rep->plan;
    cf_log(false,
           "dry run: %zu of %zu pages change, erase %s (%zu page erases), %zu bytes to write, "
           "backup %s, leave %s",
           rep->pages_changed, rep->pages_total, erase_method(rep), p->erases, p->write_bytes,
           rep->backup_path[0] ? rep->backup_path : "none", p->leave ? "yes" : "no");
}

json_t *cf_cli_dfu_plan_json(const cf_flash_report *rep)
{
    const cf_flash_plan_summary *p = &rep->plan;
    json_t *o = json_object();
    json_object_set_new(o, "pages_total", json_integer((json_int_t)rep->pages_total));
    json_object_set_new(o, "pages_changed", json_integer((json_int_t)rep->pages_changed));
    json_object_set_new(o, "page_size", json_integer(p->page_size));
    json_t *runs = json_array();
    size_t shown = p->run_count < CF_FLASH_PLAN_RUNS ? p->run_count : CF_FLASH_PLAN_RUNS;
    for (size_t i = 0; i < shown; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "address", json_integer(p->runs[i].address));
        json_object_set_new(r, "pages", json_integer(p->runs[i].pages));
        json_array_append_new(runs, r);
    }
    json_object_set_new(o, "changed", runs);
    json_object_set_new(o, "changed_runs", json_integer((json_int_t)p->run_count));
    json_object_set_new(o, "erase_method", json_string(erase_method(rep)));
    json_object_set_new(o, "page_erases", json_integer((json_int_t)p->erases));
    json_object_set_new(o, "pages_restored", json_integer((json_int_t)p->restored));
    json_object_set_new(o, "bytes_to_write", json_integer((json_int_t)p->write_bytes));
    json_object_set_new(o, "bytes_to_verify", json_integer((json_int_t)p->verify_bytes));
    json_object_set_new(o, "backup_file",
                        rep->backup_path[0] ? cf_front_json_text(rep->backup_path) : json_null());
    json_object_set_new(o, "leave", json_boolean(p->leave));
    return o;
}
