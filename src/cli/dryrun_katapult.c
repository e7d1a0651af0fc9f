/* flash can|usb --dry-run: what the real run would send, known before the
 * bootloader request (the block size only the probe's Katapult can tell). */
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/dryrun.h"
#include "common/log.h"
#include "katapult/katapult.h"

void cf_cli_print_kp_plan(bool can, const cf_kp_report *rep)
{
    const cf_kp_plan *p = &rep->plan;
    printf("Dry run: nothing was sent to the probe (no bootloader request).\n");
    printf("Device:  %s\n", rep->device);
    if (can)
        printf("Request: CAN bootloader request to this UUID, then CONNECT (a node that did not\n"
               "         answer identify above may still be there: Klipper holding it keeps it\n"
               "         silent until the request)\n");
    else if (p->request)
        printf("Request: 1200-baud touch (the probe runs Klipper), then Katapult on the same "
               "port\n");
    else
        printf("Request: none, the probe already runs Katapult\n");
    printf("Write:   %zu blocks of %u bytes from 0x%08x (%zu bytes), each read back and "
           "compared, then COMPLETE\n",
           p->blocks, (unsigned)p->block_size, (unsigned)p->address, p->bytes);
    if (!p->block_size_known)
        printf("         (the probe's Katapult reports its block size at CONNECT; stock "
               "Katapult uses %u)\n",
               (unsigned)CF_KP_PLAN_BLOCK);
    printf("Backup:  none (Katapult cannot read back what the probe held before)\n");
}

void cf_cli_log_kp_plan(const cf_kp_report *rep)
{
    const cf_kp_plan *p = &rep->plan;
    cf_log(false,
           "dry run: %s, bootloader request %s, %zu blocks of %u bytes (%zu bytes) from 0x%08x",
           rep->device, p->request ? "yes" : "no (already in Katapult)", p->blocks,
           (unsigned)p->block_size, p->bytes, (unsigned)p->address);
}

json_t *cf_cli_kp_plan_json(const cf_kp_report *rep)
{
    const cf_kp_plan *p = &rep->plan;
    json_t *o = json_object();
    json_object_set_new(o, "bootloader_request", json_boolean(p->request));
    json_object_set_new(o, "in_katapult", json_boolean(p->in_katapult));
    json_object_set_new(o, "address", json_integer(p->address));
    json_object_set_new(o, "block_size", json_integer(p->block_size));
    json_object_set_new(o, "block_size_known", json_boolean(p->block_size_known));
    json_object_set_new(o, "blocks", json_integer((json_int_t)p->blocks));
    json_object_set_new(o, "bytes_to_write", json_integer((json_int_t)p->bytes));
    json_object_set_new(o, "backup_file", json_null());
    return o;
}
