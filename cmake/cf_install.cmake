# What `cmake --install` puts where (GNUInstallDirs; DESTDIR is honoured by
# cmake itself): the binary (src/cli), the man page cartoflash(1) built from its
# scdoc source, bash and zsh completion, the udev rule and the docs.
# tests/ship/install.sh installs into a temporary DESTDIR and checks the tree.
include_guard(GLOBAL)
include(GNUInstallDirs)

option(CF_MANPAGE "Build and install the man page (needs scdoc)" ON)
# Relative paths are under the install prefix. Debian bookworm keeps udev rules
# in /lib/udev/rules.d (debian/rules passes that); elsewhere <prefix>/lib/udev.
set(CF_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING "Where the udev rule is installed")
set(CF_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "Where the bash completion script is installed")
# Debian's zsh reads vendor-completions; upstream zsh uses site-functions.
set(CF_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions"
    CACHE STRING "Where the zsh completion function is installed")

if(CF_MANPAGE)
  find_program(CF_SCDOC scdoc)
  if(NOT CF_SCDOC)
    message(FATAL_ERROR "scdoc not found: install it (Debian package scdoc) or configure "
                        "with -DCF_MANPAGE=OFF to build without the man page")
  endif()
  set(man_src ${PROJECT_SOURCE_DIR}/docs/man/cartoflash.1.scd)
  set(man_out ${PROJECT_BINARY_DIR}/docs/man/cartoflash.1)
  # scdoc reads stdin and writes stdout; cmake -E cannot redirect, so sh does,
  # with fixed paths only.
  add_custom_command(OUTPUT ${man_out}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/docs/man
                     COMMAND sh -c "\"$1\" < \"$2\" > \"$3\"" sh ${CF_SCDOC} ${man_src} ${man_out}
                     DEPENDS ${man_src} VERBATIM COMMENT "scdoc: cartoflash(1)")
  add_custom_target(cf_manpage ALL DEPENDS ${man_out})
  install(FILES ${man_out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(FILES ${PROJECT_SOURCE_DIR}/completion/cartoflash.bash
        DESTINATION ${CF_BASH_COMPLETION_DIR} RENAME cartoflash)
install(FILES ${PROJECT_SOURCE_DIR}/completion/_cartoflash DESTINATION ${CF_ZSH_COMPLETION_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/data/udev/70-cartoflash.rules DESTINATION ${CF_UDEV_RULES_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
