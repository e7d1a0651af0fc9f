# Libraries loaded on first use with dlopen (src/catalog/dlib.c), never linked:
# libcurl, libarchive and libcrypto pull in ~40 shared libraries that flashing
# never needs. Included by src/catalog/CMakeLists.txt; for each pkg-config
# module <PREFIX> found by the top-level CMakeLists.txt it provides
#   cf_<prefix>_headers  an INTERFACE target with the module's include folders
#                        and cflags (headers only, nothing linked);
# and one INTERFACE target for them all,
#   cf_dlopen_names      compile definitions CF_SONAME_<PREFIX>="libfoo.so.N"
#                        (read from the library pkg-config resolved, never
#                        guessed) and CF_DEBPKG_<PREFIX>="package" (the Debian
#                        package dpkg says ships that file, else the usual one;
#                        for the "install ..." hint).
include_guard(GLOBAL)

# cf_soname(<out> <library file>): the file's DT_SONAME, or a configure error.
function(cf_soname out file)
  set(tool ${CMAKE_OBJDUMP})
  if(NOT tool)
    find_program(CF_OBJDUMP NAMES objdump llvm-objdump)
    set(tool ${CF_OBJDUMP})
  endif()
  if(NOT tool)
    message(FATAL_ERROR "cannot read the SONAME of ${file}: no objdump (install binutils)")
  endif()
  execute_process(COMMAND ${tool} -p ${file} OUTPUT_VARIABLE dump RESULT_VARIABLE rc
                  ERROR_QUIET)
  if(NOT rc EQUAL 0 OR NOT dump MATCHES "\n *SONAME +([^ \r\n]+)")
    message(FATAL_ERROR "cannot read the SONAME of ${file} (${tool} -p): it must be a shared "
                        "library with a SONAME, since cartoflash loads it with dlopen")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

# cf_debian_package(<out> <file> <default>): the package dpkg says ships <file>.
function(cf_debian_package out file default)
  set(pkg ${default})
  find_program(CF_DPKG_QUERY dpkg-query)
  if(CF_DPKG_QUERY)
    execute_process(COMMAND ${CF_DPKG_QUERY} -S ${file} OUTPUT_VARIABLE owner
                    RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND owner MATCHES "^([a-z0-9][a-z0-9.+-]*)(:[a-z0-9]+)?: ")
      set(pkg ${CMAKE_MATCH_1})
    endif()
  endif()
  set(${out} ${pkg} PARENT_SCOPE)
endfunction()

# cf_dlopen_module(<PREFIX> <library name> <default Debian package>)
function(cf_dlopen_module prefix name default_pkg)
  set(file "")
  foreach(lib ${${prefix}_LINK_LIBRARIES})
    get_filename_component(base ${lib} NAME)
    if(base MATCHES "^lib${name}\\.so")
      set(file ${lib})
    endif()
  endforeach()
  if(NOT file)
    message(FATAL_ERROR "pkg-config module ${prefix} has no shared lib${name}.so "
                        "(found: ${${prefix}_LINK_LIBRARIES})")
  endif()
  cf_soname(soname ${file})
  get_filename_component(dir ${file} DIRECTORY)
  cf_debian_package(pkg ${dir}/${soname} ${default_pkg})
  message(STATUS "lib${name}: loaded on first use as ${soname} (Debian package ${pkg})")

  string(TOLOWER ${prefix} lower)
  add_library(cf_${lower}_headers INTERFACE)
  target_include_directories(cf_${lower}_headers INTERFACE ${${prefix}_INCLUDE_DIRS})
  target_compile_options(cf_${lower}_headers INTERFACE ${${prefix}_CFLAGS_OTHER})
  target_compile_definitions(cf_dlopen_names INTERFACE CF_SONAME_${prefix}="${soname}"
                                                       CF_DEBPKG_${prefix}="${pkg}")
endfunction()

add_library(cf_dlopen_names INTERFACE)
cf_dlopen_module(CURL curl libcurl4)
cf_dlopen_module(ARCHIVE archive libarchive13)
cf_dlopen_module(CRYPTO crypto libssl3)
