/* usb_arrival: prints the CLOCK_MONOTONIC time at which a libusb hotplug
 * callback learns that a 0483:df11 device arrived, then exits 0 (1 if none
 * arrived within SECONDS).
 *
 *   usb_arrival SECONDS
 *
 * The wait test's reference point: the earliest moment any libusb program
 * using hotplug can know about the device (udev has processed the event and
 * libusb has set the device up). A tool's discovery time is measured from
 * here, so the guest's emulation slowness in udev and libusb is not counted
 * against the tool.
 */
#include <inttypes.h>
#include <libusb-1.0/libusb.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"

static int LIBUSB_CALL on_arrival(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user)
{
    (void)ctx;
    (void)event;
    uint64_t now = cf_now_ns();
    printf("t=%" PRIu64 ".%06" PRIu64 " arrived bus=%u address=%u\n", now / 1000000000u,
           now % 1000000000u / 1000u, libusb_get_bus_number(dev), libusb_get_device_address(dev));
    fflush(stdout);
    *(int *)user = 1;
    return 1; /* one arrival is all we want */
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    libusb_context *ctx = NULL;
    if (libusb_init(&ctx) != 0) {
        fprintf(stderr, "usb_arrival: libusb_init failed\n");
        return 2;
    }
    if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
        fprintf(stderr, "usb_arrival: this libusb has no hotplug support\n");
        libusb_exit(ctx);
        return 2;
    }
    int arrived = 0;
    libusb_hotplug_callback_handle handle;
    if (libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, 0, 0x0483,
                                         0xdf11, LIBUSB_HOTPLUG_MATCH_ANY, on_arrival, &arrived,
                                         &handle) != LIBUSB_SUCCESS) {
        fprintf(stderr, "usb_arrival: cannot register a hotplug callback\n");
        libusb_exit(ctx);
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    uint64_t deadline = cf_now_ns() + (uint64_t)seconds * 1000000000u;
    while (!arrived && cf_now_ns() < deadline) {
        struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
        libusb_handle_events_timeout_completed(ctx, &tv, &arrived);
    }
    libusb_exit(ctx);
    return arrived ? 0 : 1;
}
