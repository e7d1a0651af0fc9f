#include "cli/progress.h"
#include "common/log.h"
#include "common/safe.h"

#include <jansson.h>
#include <string.h>

#define BAR_WIDTH 30

static const char *phase_label(cf_flash_phase p)
{
    switch (p) {
    case CF_PHASE_READ:
        return "Read";
    case CF_PHASE_ERASE:
        return "Erase";
    case CF_PHASE_WRITE:
        return "Download";
    case CF_PHASE_VERIFY:
        return "Verify";
    default:
        return cf_flash_phase_name(p);
    }
}

static void draw_bar(cf_progress_view *v, cf_flash_phase phase, size_t done, size_t total)
{
    if (done >= total && v->last_percent == 100)
        return; /* the end was drawn already */
    v->last_percent = total && done < total ? 0 : 100;
    int percent = total ? (int)((done * 100) / total) : 100;
    int filled = total ? (int)((done * BAR_WIDTH) / total) : BAR_WIDTH;
    double secs = (double)(cf_now_ns() - v->phase_start) / 1e9;
    double rate = secs > 0.001 ? (double)done / 1024.0 / secs : 0.0;
    char bar[BAR_WIDTH + 1];
    memset(bar, '=', (size_t)filled);
    memset(bar + filled, ' ', (size_t)(BAR_WIDTH - filled));
    bar[BAR_WIDTH] = '\0';
    fprintf(v->out, "\r%-8s [%s] %3d%% %8zu/%zu bytes %7.1f KiB/s", phase_label(phase), bar,
            percent, done, total, rate);
    if (done >= total)
        fputc('\n', v->out);
    fflush(v->out);
}

static void plain_line(cf_progress_view *v, cf_flash_phase phase, size_t done, size_t total)
{
    int percent = total ? (int)((done * 100) / total) : 100;
    /* Plain output (logs, pipes): start, each quarter, and the end, once each. */
    if (percent == v->last_percent ||
        (done != 0 && done < total && percent / 25 == v->last_percent / 25))
        return;
    v->last_percent = percent;
    double secs = (double)(cf_now_ns() - v->phase_start) / 1e9;
    fprintf(v->out, "%s: %3d%% (%zu of %zu bytes, %.2f s)\n", phase_label(phase), percent, done,
            total, secs);
    fflush(v->out);
}

/* Every phase goes to the debug log as it starts and once as it ends. */
static void log_phase(cf_progress_view *v, cf_flash_phase phase, size_t done, size_t total,
                      bool started)
{
    if (started) {
        v->end_logged = false;
        cf_log(false, "phase %s: started (%zu bytes)", cf_flash_phase_name(phase), total);
    }
    if (done < total || v->end_logged || !v->phase_count)
        return;
    const cf_progress_phase *p = &v->phases[v->phase_count - 1];
    v->end_logged = true;
    cf_log(false, "phase %s: done, %zu bytes in %.2f s", cf_flash_phase_name(phase), total,
           (double)(p->end_ns - p->start_ns) / 1e9);
}

static void on_progress(void *user, cf_flash_phase phase, size_t done, size_t total)
{
    cf_progress_view *v = user;
    uint64_t now = cf_now_ns();
    bool started = (int)phase != v->phase;
    if (started) {
        v->phase = (int)phase;
        v->phase_start = now;
        v->last_percent = -100;
        if (v->phase_count < sizeof(v->phases) / sizeof(v->phases[0]))
            v->phases[v->phase_count++] = (cf_progress_phase){.phase = phase, .start_ns = now};
    }
    if (v->phase_count) {
        cf_progress_phase *p = &v->phases[v->phase_count - 1];
        p->bytes = total;
        p->end_ns = now;
    }
    log_phase(v, phase, done, total, started);
    if (v->tty)
        draw_bar(v, phase, done, total);
    else
        plain_line(v, phase, done, total);
}

static void on_notice(void *user, bool warning, const char *text)
{
    cf_progress_view *v = user;
    cf_log(false, "%s%s", warning ? "warning: " : "", text);
    if (v->quiet_notices && !warning)
        return;
    /* notices quote image and device strings */
    fprintf(warning ? stderr : v->out, "%s\n", cf_safe(text));
    fflush(warning ? stderr : v->out);
}

void cf_progress_view_init(cf_progress_view *v, FILE *out, bool tty)
{
    memset(v, 0, sizeof(*v));
    v->out = out;
    v->tty = tty;
    v->phase = -1;
}

void cf_progress_view_events(cf_progress_view *v, cf_flash_events *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->user = v;
    ev->progress = on_progress;
    ev->notice = on_notice;
}

void cf_cli_progress_start(const cf_front *cli, cf_progress_view *v, cf_flash_events *ev)
{
    cf_progress_view_init(v, cli->json ? stderr : stdout, cli->json ? false : cli->tty);
    cf_progress_view_events(v, ev);
}

json_t *cf_progress_view_phases_json(const cf_progress_view *v)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < v->phase_count; i++) {
        const cf_progress_phase *p = &v->phases[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(cf_flash_phase_name(p->phase)));
        json_object_set_new(o, "bytes", json_integer((json_int_t)p->bytes));
        json_object_set_new(o, "seconds", json_real((double)(p->end_ns - p->start_ns) / 1e9));
        json_array_append_new(arr, o);
    }
    return arr;
}
