/* Monotonic time and sleeping, in one place so tests and emulators agree. */
#ifndef CF_COMMON_CLOCK_H
#define CF_COMMON_CLOCK_H

#include <stdint.h>

uint64_t cf_now_ns(void);      /* CLOCK_MONOTONIC in nanoseconds */
void cf_sleep_ns(uint64_t ns); /* sleeps the full duration, resuming after signals */
void cf_sleep_until_ns(uint64_t deadline_ns);

#endif
