# Build hardening, on unless CF_HARDEN=OFF: the binary runs as a user with
# access to USB devices and parses files and replies from outside, so it gets
# the hardening Debian's dpkg-buildflags documents for packages:
#   -fstack-protector-strong   stack canaries in functions with local arrays
#   -D_FORTIFY_SOURCE=2        checked memcpy/snprintf/... (only when optimising:
#                              glibc ignores it at -O0, and it fights ASan)
#   -Wl,-z,relro,-z,now        GOT read-only after start-up (full RELRO)
#   PIE                        position-independent executable (ASLR)
# tests/ship/check-hardening.sh reads the built ELF and fails if one is missing.
include_guard(GLOBAL)

option(CF_HARDEN "Build with stack protector, _FORTIFY_SOURCE, full RELRO and PIE" ON)

if(CF_HARDEN)
  include(CheckPIESupported)
  check_pie_supported(LANGUAGES C)
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  add_compile_options(-fstack-protector-strong)
  if(NOT CF_SANITIZE AND NOT CF_FUZZ)
    # -U first: a packager's CFLAGS may already define it with another level.
    add_compile_options("$<$<CONFIG:Release,MinSizeRel,RelWithDebInfo>:-U_FORTIFY_SOURCE>"
                        "$<$<CONFIG:Release,MinSizeRel,RelWithDebInfo>:-D_FORTIFY_SOURCE=2>")
  endif()
  add_link_options(-Wl,-z,relro,-z,now)
endif()

# Whether this configuration's binary must carry _FORTIFY_SOURCE's checked calls
# (read by the hardening test).
set(CF_EXPECT_FORTIFY OFF)
if(CF_HARDEN AND NOT CF_SANITIZE AND NOT CF_FUZZ
   AND CMAKE_BUILD_TYPE MATCHES "^(Release|MinSizeRel|RelWithDebInfo)$")
  set(CF_EXPECT_FORTIFY ON)
endif()
