/* This machine's Katapult transport (katapult/transport.h): SocketCAN
 * sockets, rtnetlink for a CAN interface's state, sysfs for the CAN
 * interfaces and USB serial devices there are. Also the cf_kp_env helpers
 * that pick a transport. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katapult/katapult.h"
#include "common/safe.h"

/* ARPHRD_CAN (linux/if_arp.h): the link type sysfs shows for a CAN interface. */
#define ARPHRD_CAN_TYPE 280

static cf_code host_can_open(cf_kp_transport *t, const char *ifname, cf_kp_can **out, cf_error *err)
{
    (void)t;
    return cf_kp_can_open(ifname, out, err);
}

static cf_code host_can_info(cf_kp_transport *t, const char *ifname, cf_kp_canlink *out,
                             cf_error *err)
{
    (void)t;
    return cf_kp_canlink_get(ifname, out, err);
}

/* The link type of one /sys/class/net entry, -1 when unreadable. */
static int net_type(const char *name)
{
    char p[300], type[16] = "";
    snprintf(p, sizeof(p), "/sys/class/net/%s/type", name);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    if (!fgets(type, sizeof(type), f))
        type[0] = 0;
    fclose(f);
    return atoi(type);
}

static size_t host_can_interfaces(cf_kp_transport *t, char names[][CF_KP_IFNAME_MAX], size_t cap)
{
    (void)t;
    size_t n = 0;
    DIR *d = opendir("/sys/class/net");
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < cap) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= CF_KP_IFNAME_MAX)
            continue;
        if (net_type(de->d_name) == ARPHRD_CAN_TYPE)
            cf_strlcpy(names[n++], CF_KP_IFNAME_MAX, de->d_name);
    }
    closedir(d);
    return n;
}

static cf_code host_usb_list(cf_kp_transport *t, const char *sysfs_root, cf_kp_usb_dev *devs,
                             size_t cap, size_t *count, cf_error *err)
{
    (void)t;
    return cf_kp_sysfs_scan(sysfs_root ? sysfs_root : "/sys", devs, cap, count, err);
}

static bool host_probe_may_be_on(cf_kp_transport *t, cf_iface link)
{
    (void)t;
    (void)link;
    return true; /* a probe may be on either */
}

static const struct cf_kp_transport_ops host_ops = {
    .name = "host",
    .machine = true,
    .can_open = host_can_open,
    .can_info = host_can_info,
    .can_interfaces = host_can_interfaces,
    .usb_list = host_usb_list,
    .probe_may_be_on = host_probe_may_be_on,
    .free = NULL,
};

static cf_kp_transport host = {.ops = &host_ops};

cf_kp_transport *cf_kp_transport_host(void)
{
    return &host;
}

void cf_kp_transport_free(cf_kp_transport *t)
{
    if (t && t->ops->free)
        t->ops->free(t);
}

cf_kp_transport *cf_kp_env_transport(const cf_kp_env *env)
{
    return env && env->transport ? env->transport : &host;
}

bool cf_kp_env_on_machine(const cf_kp_env *env)
{
    return cf_kp_env_transport(env)->ops->machine;
}

bool cf_kp_env_probe_may_be_on(const cf_kp_env *env, cf_iface link)
{
    cf_kp_transport *t = cf_kp_env_transport(env);
    return t->ops->probe_may_be_on(t, link);
}

size_t cf_kp_env_can_interfaces(const cf_kp_env *env, char names[][CF_KP_IFNAME_MAX], size_t cap)
{
    cf_kp_transport *t = cf_kp_env_transport(env);
    return t->ops->can_interfaces(t, names, cap);
}

cf_code cf_kp_usb_list(const cf_kp_env *env, cf_kp_usb_dev *devs, size_t cap, size_t *count,
                       cf_error *err)
{
    *count = 0;
    cf_kp_transport *t = cf_kp_env_transport(env);
    return t->ops->usb_list(t, env ? env->sysfs_root : NULL, devs, cap, count, err);
}

cf_code cf_kp_env_can_open(const cf_kp_env *env, const char *ifname, cf_kp_can **out, cf_error *err)
{
    cf_kp_transport *t = cf_kp_env_transport(env);
    return t->ops->can_open(t, ifname ? ifname : "can0", out, err);
}

cf_code cf_kp_can_bus_info(const cf_kp_env *env, const char *ifname, cf_kp_canlink *out,
                           cf_error *err)
{
    cf_kp_transport *t = cf_kp_env_transport(env);
    return t->ops->can_info(t, ifname, out, err);
}
