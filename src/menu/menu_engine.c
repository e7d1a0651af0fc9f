/* The menu engine: items are data, rendering and reading a choice are loops.
 * Separators take a number like in cartographer-klipper's firmware.py, so
 * the numbers users know from the docs ("3. DFU", "5. Enable Advanced Mode") stay the same. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "menu/engine.h"

#define TAG_COLUMN 18 /* "Katapult - CAN    [For Flashing via CAN]" */

void menu_init(menu *m, const char *title)
{
    memset(m, 0, sizeof(*m));
    menu_copy(m->title, sizeof(m->title), title);
    m->next_number = 1;
}

static menu_item *new_item(menu *m)
{
    if (m->count >= MENU_MAX_ITEMS)
        return NULL; /* pages cap their lists well below this */
    menu_item *it = &m->items[m->count++];
    memset(it, 0, sizeof(*it));
    it->number = m->next_number++;
    return it;
}

void menu_add(menu *m, int action, menu_color color, const char *fmt, ...)
{
    menu_item *it = new_item(m);
    if (!it)
        return;
    it->action = action;
    it->color = color;
    va_list ap;
    va_start(ap, fmt);
    char text[sizeof(it->label)];
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* labels name devices and firmware files: shown through the output filter */
    cf_safe_buf(it->label, sizeof(it->label), text);
}

void menu_tag(menu *m, const char *tag)
{
    if (m->count > 0)
        menu_copy(m->items[m->count - 1].tag, sizeof(m->items[0].tag), tag);
}

void menu_sep(menu *m)
{
    menu_item *it = new_item(m);
    if (it)
        it->separator = true;
}

void menu_rule(menu *m)
{
    menu_item *it = new_item(m);
    if (!it)
        return;
    it->separator = true;
    m->next_number--; /* the number goes to the next item */
    it->number = -1;
}

void menu_add_exit(menu *m)
{
    if (m->count >= MENU_MAX_ITEMS)
        return;
    menu_item *it = &m->items[m->count++];
    memset(it, 0, sizeof(*it));
    it->number = 0;
    it->action = MENU_ACT_EXIT;
    it->color = COL_RED;
    snprintf(it->label, sizeof(it->label), "Exit");
}

void menu_add_footer(menu *m, int back, int main_menu, const char *main_label)
{
    menu_sep(m);
    if (back != MENU_ACT_NONE)
        menu_add(m, back, COL_NONE, "Back");
    menu_add(m, main_menu, COL_CYAN, "%s", main_label ? main_label : "Back to main menu");
    menu_sep(m);
    menu_add_exit(m);
}

void menu_render(const menu *m)
{
    char title[sizeof(m->title)];
    size_t i;
    for (i = 0; m->title[i]; i++)
        title[i] = (char)toupper((unsigned char)m->title[i]);
    title[i] = '\0';

    scr_rule('=');
    scr_center(COL_MAGENTA, title);
    scr_rule('=');
    for (i = 0; i < m->count; i++) {
        const menu_item *it = &m->items[i];
        if (it->separator) {
            scr_rule('-');
            continue;
        }
        printf(" %d. %s%s%s", it->number, scr_code(it->color), it->label,
               it->color != COL_NONE ? scr_reset() : "");
        if (it->tag[0]) {
            size_t len = strlen(it->label);
            for (size_t p = len; p < TAG_COLUMN; p++)
                fputc(' ', stdout);
            if (len >= TAG_COLUMN)
                fputc(' ', stdout);
            printf("%s%s%s", scr_code(COL_YELLOW), it->tag, scr_reset());
        }
        fputc('\n', stdout);
    }
    scr_rule('=');
}

static const menu_item *find_number(const menu *m, long n)
{
    for (size_t i = 0; i < m->count; i++)
        if (!m->items[i].separator && m->items[i].number == n)
            return &m->items[i];
    return NULL;
}

int menu_number_of(const menu *m, int action)
{
    for (size_t i = 0; i < m->count; i++)
        if (!m->items[i].separator && m->items[i].action == action)
            return m->items[i].number;
    return -1;
}

/* "Enter one of: 1, 3, 5, 6, 0" */
static void print_choices(const menu *m)
{
    printf("%sEnter one of:", scr_code(COL_RED));
    bool first = true;
    for (size_t i = 0; i < m->count; i++) {
        if (m->items[i].separator)
            continue;
        printf("%s %d", first ? "" : ",", m->items[i].number);
        first = false;
    }
    printf("%s\n", scr_reset());
}

int menu_ask(const menu *m)
{
    char line[64];
    for (;;) {
        printf("%s Select an option: %s", scr_code(COL_YELLOW), scr_reset());
        if (!term_read_line(line, sizeof(line))) {
            fputc('\n', stdout);
            return MENU_ACT_QUIT;
        }
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            continue; /* a bare Enter (the docs' "Press Enter") just asks again */
        char *end;
        long n = strtol(p, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (end == p || *end != '\0') {
            printf("%sInvalid input \"%.20s\". Please enter a number.%s ", scr_code(COL_RED), p,
                   scr_reset());
            print_choices(m);
            continue;
        }
        const menu_item *it = find_number(m, n);
        if (!it) {
            printf("%sInvalid choice %ld. Please try again.%s ", scr_code(COL_RED), n, scr_reset());
            print_choices(m);
            continue;
        }
        menu_log(true, "menu \"%s\": chose %ld (%s)", m->title, n, it->label);
        return it->action;
    }
}

int menu_show(const menu *m)
{
    menu_render(m);
    return menu_ask(m);
}
