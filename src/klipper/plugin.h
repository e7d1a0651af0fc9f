/* The installed Cartographer Klipper plugin, and whether an image's firmware
 * works with it.
 *
 * The plugin is a Python package (cartographer3d-plugin) installed with pip
 * into the klippy virtual environment; pip records it as a .dist-info folder
 * whose METADATA file carries "Version:" (PyPA core metadata specification,
 * an RFC 822 style header block). A source checkout carries the version its
 * build tool (hatch-vcs) wrote to src/cartographer/__version__.py.
 *
 * Contract:
 *  - cf_plugin_find() looks under home only: the package metadata in
 *    klippy-env first (what Klipper actually imports), then the checkout.
 *    Not installed is CF_OK with found == false; metadata that is there but
 *    does not parse is CF_ERR_FORMAT naming the file, never a guess.
 *  - cf_plugin_check() refuses (CF_ERR_GATE) an image whose manifest needs a
 *    newer plugin, the hint naming the command that upgrades it; cartoflash
 *    never installs or upgrades Python packages itself.
 *  - Nothing prints; no process is started.
 */
#ifndef CF_KLIPPER_PLUGIN_H
#define CF_KLIPPER_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct cf_plugin {
    bool found;
    char version[64];   /* as recorded, e.g. "1.6.0" or "1.6.1.dev3" */
    int release[3];     /* its x.y.z */
    bool prerelease;    /* a/b/rc/dev suffix: older than the x.y.z release */
    char where[1200];   /* the file it was read from */
    char upgrade[2400]; /* the command that upgrades it */
} cf_plugin;

/* The "Version:" of a METADATA / PKG-INFO header block. */
cf_code cf_plugin_parse_metadata(const char *buf, size_t len, const char *name, char *version,
                                 size_t size, cf_error *err);
/* The version string of a hatch-vcs __version__.py ("__version__ = ... '1.6.0'"). */
cf_code cf_plugin_parse_version_py(const char *buf, size_t len, const char *name, char *version,
                                   size_t size, cf_error *err);
/* Splits a PEP 440 version into its x.y.z release (x.y means x.y.0) and
 * whether it is a pre- or development release. False if it does not start
 * with a release number. */
bool cf_plugin_version_parse(const char *s, int release[3], bool *prerelease);

cf_code cf_plugin_find(const char *home, cf_plugin *out, cf_error *err);

/* CF_OK when min_version is "" or the plugin is at least min_version; when
 * the plugin was not found, CF_OK with note saying that it could not be
 * checked. image names the image in the message. */
cf_code cf_plugin_check(const cf_plugin *p, const char *image, const char *min_version, char *note,
                        size_t note_size, cf_error *err);

#endif
