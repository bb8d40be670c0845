# Every third-party dependency, found the CMake way from Debian 12 packages (scripts/setup installs
# them). Nothing is downloaded at configure time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(LIBDW REQUIRED IMPORTED_TARGET libdw)                # libdw-dev (elfutils)
pkg_check_modules(LIBWEBSOCKETS REQUIRED IMPORTED_TARGET libwebsockets) # libwebsockets-dev
find_package(absl REQUIRED)                                            # libabsl-dev
find_package(spdlog REQUIRED)                                          # libspdlog-dev
if(LEAKSCOPE_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)                                      # catch2 (2.13)
endif()
find_package(CLI11 REQUIRED)                                           # libcli11-dev
find_package(nlohmann_json 3 REQUIRED)                                 # nlohmann-json3-dev
