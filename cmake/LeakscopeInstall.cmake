# Install rules, the CMake package another project finds with find_package(leakscope), the pkg-config
# file for the header, and the Debian package (CPack).
#
# Layout (prefix-relative):
#   bin/leakscope                       the analyzer
#   lib/leakscope/libleakscope.so       the preload (a fixed "lib/leakscope": `leakscope run` looks for it
#                                       at ../lib/leakscope/ relative to itself, whatever the multiarch libdir)
#   include/leakscope/leakscope.h       the C API
#   lib/cmake/leakscope/                leakscopeConfig.cmake, version file, LeakscopeAddTest.cmake
#   share/pkgconfig/leakscope.pc        (the header is arch-independent)
#   share/doc/leakscope/                docs, copyright, ci/*.yml templates, examples/
#   share/man/man1/leakscope.1          the man page (packaging/leakscope.1)
#   share/bash-completion/completions/leakscope
# `cmake --install BUILD --strip` strips the binaries; the DEB is always stripped (CPACK_STRIP_FILES).
include(CMakePackageConfigHelpers)

install(TARGETS leakscope_analyzer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS leakscope_preload LIBRARY DESTINATION lib/leakscope)
# `leakscope attach` loads this copy (dynamic TLS) into running processes; it looks next to the preload.
install(TARGETS leakscope_attach_preload LIBRARY DESTINATION lib/leakscope)
install(FILES ${PROJECT_SOURCE_DIR}/include/leakscope/leakscope.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/leakscope)

set(LEAKSCOPE_CMAKE_DIR lib/cmake/leakscope)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/leakscopeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/leakscopeConfig.cmake
  INSTALL_DESTINATION ${LEAKSCOPE_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/leakscopeConfigVersion.cmake
  COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES
  ${PROJECT_BINARY_DIR}/leakscopeConfig.cmake
  ${PROJECT_BINARY_DIR}/leakscopeConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/LeakscopeAddTest.cmake
  DESTINATION ${LEAKSCOPE_CMAKE_DIR})

# First use: the man page, bash completion, the CI templates the docs link and the examples.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/leakscope.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/leakscope.bash DESTINATION share/bash-completion/completions RENAME leakscope)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ci/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/ci FILES_MATCHING PATTERN "*.yml")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

configure_file(${CMAKE_CURRENT_LIST_DIR}/leakscope.pc.in ${PROJECT_BINARY_DIR}/leakscope.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/leakscope.pc DESTINATION share/pkgconfig)

# Debian package: `cpack -G DEB` in the build directory.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME leakscope)
set(CPACK_PACKAGE_VENDOR "leakscope")
set(CPACK_PACKAGE_CONTACT "leakscope maintainers <maintainers@leakscope.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Stripped binaries (the unstripped analyzer is ~27 MB of debug info nobody installing it needs).
set(CPACK_STRIP_FILES ON)
include(CPack)
