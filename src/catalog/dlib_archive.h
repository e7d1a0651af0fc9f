/* libarchive through dlopen (see dlib.h): call cf_dlib_archive() first, then
 * the sym_ pointers. */
#ifndef CF_CATALOG_DLIB_ARCHIVE_H
#define CF_CATALOG_DLIB_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "catalog/dlib.h"

#define CF_DLIB_ARCHIVE_SYMBOLS(X)                                                                 \
    X(archive_read_new)                                                                            \
    X(archive_read_support_filter_gzip)                                                            \
    X(archive_read_support_filter_none)                                                            \
    X(archive_read_support_format_tar)                                                             \
    X(archive_read_open_filename)                                                                  \
    X(archive_read_open_memory)                                                                    \
    X(archive_read_next_header)                                                                    \
    X(archive_read_data)                                                                           \
    X(archive_read_free)                                                                           \
    X(archive_error_string)                                                                        \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_symlink)                                                                       \
    X(archive_entry_filetype)

#define CF_DLIB_DECLARE(fn) extern __typeof__(fn) *sym_##fn;
CF_DLIB_ARCHIVE_SYMBOLS(CF_DLIB_DECLARE)
#undef CF_DLIB_DECLARE

#endif
