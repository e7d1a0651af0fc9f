/* cf_flash_dfu(): the verified, differential DFU flash. The order of the steps
 * is the safety argument (see flash.h); each step is a function below. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/fileio.h"
#include "flash/flash_internal.h"

typedef struct session {
    cf_usb_dfu_info info;
    cf_usb_dev *dev;
    cf_dfu *dfu;
    const cf_chip *chip;
    cf_dfuse_layout layout;
    const cf_flash_events *ev;
    cf_flash_report *rep;
    bool plan_mass; /* a mass erase was planned (for the failure hint) */
} session;

/* Adapts the engine's per-call progress to a phase-wide byte count. */
typedef struct phase_progress {
    const cf_flash_events *ev;
    cf_flash_phase phase;
    size_t base, total;
    size_t done; /* bytes of this call confirmed by the engine: where a failure happened */
} phase_progress;

static void on_engine_progress(void *user, size_t done, size_t total)
{
    (void)total;
    phase_progress *pp = user;
    pp->done = done;
    cf_flash_progress(pp->ev, pp->phase, pp->base + done, pp->total);
}

static cf_code fail_at(session *s, cf_flash_phase phase, uint32_t address, cf_code rc)
{
    s->rep->failed_phase = phase;
    s->rep->failed_address = address;
    return rc;
}

/* Finds, opens and identifies the device, and brings it to dfuIDLE. */
static cf_code connect(cf_usb_backend *be, const char *selector, session *s, cf_error *err)
{
    cf_usb_dfu_info *list = NULL;
    size_t count = 0, index = 0;
    cf_code rc = cf_usb_list_dfu(be, &list, &count, err);
    if (rc == CF_OK)
        rc = cf_usb_select(list, count, selector, &index, err);
    if (rc == CF_OK)
        s->info = list[index];
    free(list);
    if (rc != CF_OK)
        return rc;
    snprintf(s->rep->device_path, sizeof(s->rep->device_path), "%s", s->info.bus_path);

    if (s->info.alt_count < 1)
        return cf_fail(err, CF_ERR_PROTOCOL, "DFU device %s has no alt settings", s->info.bus_path);
    rc = cf_dfuse_parse_layout(s->info.alts[0].name, &s->layout, err);
    if (rc != CF_OK) {
        cf_error_prefix(err, "device %s alt 0", s->info.bus_path);
        return rc;
    }
    s->chip = cf_chip_from_device(&s->info);
    snprintf(s->rep->chip, sizeof(s->rep->chip), "%s", s->chip ? s->chip->mcu : "unknown");

    rc = cf_usb_open(be, &s->info, &s->dev, err);
    if (rc == CF_OK)
        rc = cf_dfu_new(s->dev, &s->info, &s->dfu, err);
    if (rc == CF_OK && s->chip)
        cf_dfu_set_busy_limit(s->dfu, cf_chip_busy_limit_ms(s->chip));
    if (rc == CF_OK)
        rc = cf_dfu_start(s->dfu, err);
    return rc;
}

static void disconnect(session *s)
{
    if (s->dfu)
        cf_dfu_free(s->dfu);
    if (s->dev)
        cf_usb_close(s->dev);
    s->dfu = NULL;
    s->dev = NULL;
}

static cf_code read_range(session *s, cf_flash_phase phase, uint32_t addr, uint8_t *out, size_t len,
                          size_t base, size_t total, cf_error *err)
{
    phase_progress pp = {s->ev, phase, base, total, 0};
    cf_code rc = cf_dfuse_read(s->dfu, addr, out, len, on_engine_progress, &pp, err);
    return rc == CF_OK ? CF_OK : fail_at(s, phase, addr + (uint32_t)pp.done, rc);
}

static size_t page_bytes(const cf_flash_plan *plan, size_t pages)
{
    return pages * plan->page_size;
}

static uint32_t page_address(const cf_flash_plan *plan, size_t p)
{
    return plan->start + (uint32_t)page_bytes(plan, p);
}

/* Step 3: reads pages [first, end) into the plan. `base`/`total` place this
 * read in the READ phase's progress. */
static cf_code read_pages(session *s, cf_flash_plan *plan, size_t first, size_t end, size_t base,
                          size_t total, cf_error *err)
{
    size_t len = page_bytes(plan, end - first);
    cf_code rc = read_range(s, CF_PHASE_READ, page_address(plan, first),
                            plan->current + page_bytes(plan, first), len, base, total, err);
    if (rc == CF_OK)
        cf_flash_plan_learned(plan, first, end);
    return rc;
}

/* Reads every page not read yet (before a mass erase), in contiguous runs. */
static cf_code read_unknown(session *s, cf_flash_plan *plan, cf_error *err)
{
    size_t total = page_bytes(plan, cf_flash_plan_unknown(plan)), done = 0;
    cf_flash_progress(s->ev, CF_PHASE_READ, 0, total);
    for (size_t p = 0; p < plan->page_count;) {
        size_t end = p;
        while (end < plan->page_count && !plan->known[end])
            end++;
        if (end == p) {
            p++;
            continue;
        }
        cf_code rc = read_pages(s, plan, p, end, done, total, err);
        if (rc != CF_OK)
            return rc;
        done += page_bytes(plan, end - p);
        p = end;
    }
    cf_flash_progress(s->ev, CF_PHASE_READ, total, total);
    return CF_OK;
}

/* Step 4 (choice): page erases, or one mass erase when the chip's timings say
 * it is faster even after reading and writing back what it would wipe. */
static cf_code choose_erase(session *s, cf_flash_plan *plan, const cf_flash_opts *opts,
                            uint64_t read_ns, size_t read_bytes, cf_error *err)
{
    if (opts->erase == CF_ERASE_PAGES)
        return CF_OK;
    if (!s->chip || s->layout.segment_count != 1) {
        if (opts->erase == CF_ERASE_MASS)
            return fail_at(s, CF_PHASE_CHECK, 0,
                           cf_fail(err, CF_ERR_UNSUPPORTED,
                                   "mass erase is only offered for the Cartographer chips "
                                   "(STM32F042, STM32G431); this device is %s",
                                   s->rep->chip));
        return CF_OK;
    }
    cf_flash_costs costs = {
        .page_erase_ns = (uint64_t)s->chip->page_erase_us * 1000u,
        .mass_erase_ns = (uint64_t)s->chip->mass_erase_us * 1000u,
        .page_program_ns = (uint64_t)s->chip->page_program_us * 1000u,
        .transfer_ns_per_byte = read_bytes ? read_ns / read_bytes : 0,
    };
    bool forced = opts->erase == CF_ERASE_MASS;
    if (!forced && !cf_flash_mass_pays(plan, &costs))
        return CF_OK;
    cf_code rc = read_unknown(s, plan, err);
    if (rc != CF_OK)
        return rc;
    if (!forced && !cf_flash_mass_pays(plan, &costs))
        return CF_OK; /* what the rest of the flash holds makes it slower after all */
    size_t erases = 0;
    for (size_t p = 0; p < plan->page_count; p++)
        erases += plan->erase[p];
    cf_flash_plan_mass(plan);
    if (plan->restored)
        cf_flash_notice(s->ev, false,
                        "Erase method: one mass erase instead of %zu page erases; %zu page%s the "
                        "image does not change %s written back.",
                        erases, plan->restored, plan->restored == 1 ? "" : "s",
                        plan->restored == 1 ? "is" : "are");
    else
        cf_flash_notice(s->ev, false, "Erase method: one mass erase instead of %zu page erases.",
                        erases);
    return CF_OK;
}

/* Saves what was read before anything is erased: the image's range, or the
 * whole flash before a mass erase. */
static cf_code save_backup(session *s, const cf_flash_plan *plan, const cf_flash_opts *opts,
                           cf_error *err)
{
    size_t first = plan->mass ? 0 : plan->first, end = plan->mass ? plan->page_count : plan->end;
    size_t bytes = page_bytes(plan, end - first);
    cf_code rc = cf_flash_save_backup(opts->backup_dir, s->rep->chip, page_address(plan, first),
                                      plan->current + page_bytes(plan, first), bytes,
                                      s->rep->backup_path, sizeof(s->rep->backup_path), err);
    if (rc != CF_OK)
        return fail_at(s, CF_PHASE_READ, 0, rc);
    cf_flash_notice(s->ev, false, "Previous contents (0x%08x, %zu bytes) saved to %s",
                    page_address(plan, first), bytes, s->rep->backup_path);
    return CF_OK;
}

/* Step 4a: one mass erase, or a page erase of each page marked for it. The
 * progress counts the pages that change (blank ones need no erase). */
static cf_code erase_pages(session *s, const cf_flash_plan *plan, cf_error *err)
{
    size_t total = 0, done = 0;
    for (size_t p = 0; p < plan->page_count; p++)
        total += plan->changed[p] || (plan->mass && plan->write[p]) ? plan->page_size : 0;
    cf_flash_progress(s->ev, CF_PHASE_ERASE, 0, total);
    if (plan->mass) {
        cf_code rc = cf_dfuse_mass_erase(s->dfu, err);
        if (rc != CF_OK)
            return fail_at(s, CF_PHASE_ERASE, 0, rc);
        s->rep->mass_erased = true;
        cf_flash_progress(s->ev, CF_PHASE_ERASE, total, total);
        return CF_OK;
    }
    for (size_t p = 0; p < plan->page_count; p++) {
        if (!plan->changed[p])
            continue;
        if (plan->erase[p]) {
            cf_code rc = cf_dfuse_erase_page(s->dfu, page_address(plan, p), err);
            if (rc != CF_OK)
                return fail_at(s, CF_PHASE_ERASE, page_address(plan, p), rc);
            s->rep->pages_erased++;
        }
        done += plan->page_size;
        cf_flash_progress(s->ev, CF_PHASE_ERASE, done, total);
    }
    return CF_OK;
}

/* Pages [first, end) marked in `which` form one contiguous run. */
static size_t run_end(const cf_flash_plan *plan, const bool *which, size_t first)
{
    size_t p = first;
    while (p < plan->page_count && which[p])
        p++;
    return p;
}

/* The next run of marked pages at or after *p, [*p, *end); false when none
 * is left. */
static bool next_run(const cf_flash_plan *plan, const bool *which, size_t *p, size_t *end)
{
    for (; *p < plan->page_count; (*p)++) {
        *end = run_end(plan, which, *p);
        if (*end != *p)
            return true;
    }
    return false;
}

static size_t marked_bytes(const cf_flash_plan *plan, const bool *which)
{
    size_t pages = 0;
    for (size_t p = 0; p < plan->page_count; p++)
        pages += which[p];
    return page_bytes(plan, pages);
}

/* Step 4b: program every page marked for writing, one run at a time. */
static cf_code write_pages(session *s, const cf_flash_plan *plan, cf_error *err)
{
    size_t total = marked_bytes(plan, plan->write), done = 0;
    cf_flash_progress(s->ev, CF_PHASE_WRITE, 0, total);
    for (size_t p = 0, end = 0; next_run(plan, plan->write, &p, &end); p = end) {
        uint32_t addr = page_address(plan, p);
        size_t len = page_bytes(plan, end - p);
        phase_progress pp = {s->ev, CF_PHASE_WRITE, done, total, 0};
        cf_code rc = cf_dfuse_write(s->dfu, addr, plan->target + page_bytes(plan, p), len,
                                    on_engine_progress, &pp, err);
        if (rc != CF_OK)
            return fail_at(s, CF_PHASE_WRITE, addr + (uint32_t)pp.done, rc);
        done += len;
        s->rep->bytes_written += len;
    }
    cf_flash_progress(s->ev, CF_PHASE_WRITE, total, total);
    return CF_OK;
}

/* Step 5: read back every page marked for verifying and compare with the target. */
static cf_code verify_pages(session *s, const cf_flash_plan *plan, cf_error *err)
{
    size_t total = marked_bytes(plan, plan->verify), done = 0;
    cf_flash_progress(s->ev, CF_PHASE_VERIFY, 0, total);
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for verify");
    cf_code rc = CF_OK;
    for (size_t p = 0, end = 0; rc == CF_OK && next_run(plan, plan->verify, &p, &end); p = end) {
        uint32_t addr = page_address(plan, p);
        size_t len = page_bytes(plan, end - p);
        const uint8_t *want = plan->target + page_bytes(plan, p);
        rc = read_range(s, CF_PHASE_VERIFY, addr, buf, len, done, total, err);
        for (size_t i = 0; rc == CF_OK && i < len; i++) {
            if (buf[i] != want[i]) {
                rc = fail_at(s, CF_PHASE_VERIFY, addr + (uint32_t)i,
                             cf_fail(err, CF_ERR_VERIFY,
                                     "verify failed at 0x%08x: device holds 0x%02x, image has "
                                     "0x%02x",
                                     addr + (uint32_t)i, buf[i], want[i]));
                cf_hint(err, "The probe is still in DFU mode and was not told to leave. Flash "
                             "again (only the pages that differ are rewritten); if it "
                             "fails at the same place again, the flash may be worn.");
            }
        }
        done += len;
        s->rep->bytes_verified += len;
    }
    free(buf);
    if (rc == CF_OK)
        cf_flash_progress(s->ev, CF_PHASE_VERIFY, total, total);
    return rc;
}

static void add_failure_hint(const session *s, cf_error *err)
{
    if (err->code == CF_ERR_GONE) {
        cf_hint(err,
                "The probe dropped off USB during %s. Its flash is incomplete, so it was "
                "never told to leave DFU: reconnect it (BOOT0 shorted if it does not show "
                "up as 0483:df11) and flash again.",
                cf_flash_phase_name(s->rep->failed_phase));
    } else if (err->hint[0] == '\0') {
        cf_hint(err, "The probe is still in DFU mode and was not told to leave; it is safe to "
                     "flash again.");
    }
    if (s->rep->mass_erased && s->rep->backup_path[0]) /* pages outside the image are gone too */
        cf_hint_more(err, "The whole flash was mass-erased; what it held is in the backup file.");
    else if (s->plan_mass && s->rep->failed_phase == CF_PHASE_ERASE)
        cf_hint_more(err, "If this chip refuses mass erase, flash with --erase pages.");
}

/* Records the plan in the report before anything is erased, so a dry run can
 * show what the real run then does. */
static void summarize(session *s, const cf_flash_plan *plan, const cf_flash_opts *opts)
{
    cf_flash_plan_summary *sum = &s->rep->plan;
    sum->planned = true;
    sum->mass = plan->mass;
    sum->restored = plan->restored;
    sum->page_size = plan->page_size;
    sum->write_bytes = marked_bytes(plan, plan->write);
    sum->verify_bytes = marked_bytes(plan, plan->verify);
    sum->leave = !opts->no_leave;
    for (size_t p = 0; p < plan->page_count; p++)
        sum->erases += !plan->mass && plan->changed[p] && plan->erase[p];
    for (size_t p = 0, end = 0; next_run(plan, plan->changed, &p, &end); p = end) {
        if (sum->run_count < CF_FLASH_PLAN_RUNS)
            sum->runs[sum->run_count] = (cf_flash_run){page_address(plan, p), (uint32_t)(end - p)};
        sum->run_count++;
    }
}

/* A dry run ends here: the backup file a real run would write now is named,
 * nothing is created. */
static cf_code stop_dry(session *s, const cf_flash_plan *plan, const cf_flash_opts *opts,
                        cf_error *err)
{
    if (s->rep->pages_changed == 0)
        return CF_OK; /* nothing changes, so no backup */
    size_t first = plan->mass ? 0 : plan->first;
    cf_code rc = cf_flash_backup_name(opts->backup_dir, s->rep->chip, page_address(plan, first),
                                      s->rep->backup_path, sizeof(s->rep->backup_path), err);
    return rc == CF_OK ? CF_OK : fail_at(s, CF_PHASE_READ, 0, rc);
}

/* Steps 3-5 once connected and past the gates. */
static cf_code flash_image(session *s, const cf_image *img, const cf_flash_opts *opts,
                           cf_flash_plan *plan, cf_error *err)
{
    const cf_dfuse_segment *seg = cf_dfuse_find(&s->layout, cf_image_start(img));
    cf_code rc = cf_flash_plan_build(img, seg->start, seg->page_count, seg->page_size, plan, err);
    if (rc != CF_OK)
        return fail_at(s, CF_PHASE_CHECK, 0, rc);
    for (size_t p = plan->first; p < plan->end; p++)
        s->rep->pages_total += plan->touched[p];

    size_t bytes = page_bytes(plan, plan->end - plan->first);
    cf_flash_progress(s->ev, CF_PHASE_READ, 0, bytes);
    uint64_t t0 = cf_now_ns();
    rc = read_pages(s, plan, plan->first, plan->end, 0, bytes, err);
    if (rc != CF_OK)
        return rc;
    uint64_t read_ns = cf_now_ns() - t0;
    cf_flash_progress(s->ev, CF_PHASE_READ, bytes, bytes);

    bool full = opts->full || opts->erase == CF_ERASE_MASS;
    s->rep->pages_changed = cf_flash_plan_pages(plan, full);
    if (s->rep->pages_changed == 0) {
        summarize(s, plan, opts);
        return CF_OK; /* nothing to erase, so nothing to back up */
    }
    rc = choose_erase(s, plan, opts, read_ns, bytes, err);
    s->plan_mass = plan->mass;
    if (rc == CF_OK)
        summarize(s, plan, opts);
    if (rc == CF_OK && opts->dry_run)
        return stop_dry(s, plan, opts, err);
    if (rc == CF_OK)
        rc = save_backup(s, plan, opts, err);
    if (rc == CF_OK)
        rc = erase_pages(s, plan, err);
    s->rep->pages_restored = plan->restored;
    if (rc == CF_OK)
        rc = write_pages(s, plan, err);
    if (rc == CF_OK)
        rc = verify_pages(s, plan, err);
    return rc;
}

cf_code cf_flash_dfu(cf_usb_backend *be, const cf_image *img, const cf_flash_opts *opts,
                     const cf_flash_events *ev, cf_flash_report *rep, cf_error *err)
{
    uint64_t t0 = cf_now_ns();
    memset(rep, 0, sizeof(*rep));
    rep->still_in_dfu = true;
    session s = {.ev = ev, .rep = rep};
    cf_flash_plan plan = {0};

    cf_code rc = connect(be, opts->device, &s, err);
    if (rc != CF_OK) {
        fail_at(&s, CF_PHASE_CONNECT, 0, rc);
        goto out;
    }
    rc = cf_flash_check_device(&s.info, opts->force, ev, err);
    if (rc == CF_OK)
        rc = cf_flash_check_gates(img, s.chip, &s.info, &s.layout, opts->force, ev, err);
    if (rc != CF_OK) {
        fail_at(&s, CF_PHASE_CHECK, 0, rc);
        goto out;
    }
    rc = flash_image(&s, img, opts, &plan, err);
    if (rc != CF_OK)
        goto out;
    if (!opts->no_leave && !opts->dry_run) {
        uint32_t jump = s.chip ? s.chip->flash_start : s.layout.segments[0].start;
        rc = cf_dfuse_leave(s.dfu, jump, err);
        if (rc != CF_OK) {
            fail_at(&s, CF_PHASE_LEAVE, jump, rc);
            goto out;
        }
        rep->left = true;
        rep->still_in_dfu = false;
    }
out:
    if (rc != CF_OK)
        add_failure_hint(&s, err);
    cf_flash_plan_free(&plan);
    disconnect(&s);
    rep->seconds = (double)(cf_now_ns() - t0) / 1e9;
    return rc;
}

cf_code cf_read_flash_dfu(cf_usb_backend *be, const char *device, uint8_t **out, size_t *size_out,
                          uint32_t *start_out, const cf_flash_events *ev, cf_flash_report *rep,
                          cf_error *err)
{
    uint64_t t0 = cf_now_ns();
    memset(rep, 0, sizeof(*rep));
    rep->still_in_dfu = true;
    *out = NULL;
    *size_out = 0;
    *start_out = 0;
    session s = {.ev = ev, .rep = rep};
    uint8_t *buf = NULL;
    cf_code rc = connect(be, device, &s, err);
    if (rc != CF_OK)
        goto out;
    if (!s.chip) { /* reading changes nothing, so it is allowed; but say what this is */
        cf_dfu_kind kind;
        cf_dfu_identify(&s.info, &kind);
        cf_flash_notice(ev, true, "%04x:%04x at %s is %s; reading its flash anyway.", s.info.vid,
                        s.info.pid, s.info.bus_path, kind.summary);
    }
    const cf_dfuse_segment *seg = &s.layout.segments[0];
    /* the parser refused unordered or oversized layouts; a gap ends the read */
    size_t size = cf_dfuse_contiguous_bytes(&s.layout);
    buf = malloc(size);
    if (!buf) {
        rc = cf_fail(err, CF_ERR_NOMEM, "out of memory for a %zu-byte read", size);
        goto out;
    }
    cf_flash_progress(ev, CF_PHASE_READ, 0, size);
    rc = read_range(&s, CF_PHASE_READ, seg->start, buf, size, 0, size, err);
    if (rc != CF_OK)
        goto out;
    cf_flash_progress(ev, CF_PHASE_READ, size, size);
    rep->bytes_verified = size;
    *out = buf;
    *size_out = size;
    *start_out = seg->start;
    buf = NULL;
out:
    free(buf);
    disconnect(&s);
    rep->seconds = (double)(cf_now_ns() - t0) / 1e9;
    return rc;
}

cf_code cf_backup_dfu(cf_usb_backend *be, const char *device, const char *out_path,
                      const cf_flash_events *ev, cf_flash_report *rep, cf_error *err)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    uint32_t start = 0;
    cf_code rc = cf_read_flash_dfu(be, device, &buf, &size, &start, ev, rep, err);
    if (rc == CF_OK)
        rc = cf_write_file_atomic(out_path, buf, size, err);
    if (rc == CF_OK)
        snprintf(rep->backup_path, sizeof(rep->backup_path), "%s", out_path);
    else
        rep->bytes_verified = 0;
    free(buf);
    return rc;
}
