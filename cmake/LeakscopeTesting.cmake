# Test helpers shared by every folder.
include(Catch)

# A test case that cannot run ends with SKIP_TEST (tests/support/Skip.h): exit 77, listed as skipped.
set(LEAKSCOPE_SKIP_RETURN_CODE 77)

# The analyzer's persistent symbol cache (analyzer/core/SymbolCache.h) of every test lives in the build
# tree, never in the user's ~/.cache: a test run must not depend on, nor leave behind, what earlier runs
# cached. Tests of the cache itself set their own XDG_CACHE_HOME.
set(LEAKSCOPE_TEST_ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-symbol-cache")

# Catch2's discovery splits CTest names at ';' (a test named "a; b" becomes an entry that runs nothing
# and passes): after each build of a test executable, refuse test names with a semicolon.
function(leakscope_check_catch_names target)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DEXECUTABLE=$<TARGET_FILE:${target}>
            -P ${PROJECT_SOURCE_DIR}/cmake/CheckCatchTestNames.cmake
    VERBATIM)
endfunction()

# leakscope_add_catch_test(NAME <exe> SOURCES <src...> [LIBS <libs...>] [LABELS <labels...>])
# Builds one Catch2 executable and registers each of its test cases as its own CTest test.
function(leakscope_add_catch_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE leakscope_catch_main ${ARG_LIBS})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  leakscope_check_catch_names(${ARG_NAME})
  catch_discover_tests(${ARG_NAME}
    TEST_PREFIX "${ARG_NAME}: "
    PROPERTIES LABELS "${labels}" TIMEOUT 600 SKIP_RETURN_CODE ${LEAKSCOPE_SKIP_RETURN_CODE}
               ENVIRONMENT "${LEAKSCOPE_TEST_ENVIRONMENT}"
    DISCOVERY_TIMEOUT 30)
endfunction()

# leakscope_add_integration_test(NAME <exe> SOURCES <src...> [TARGETS <built programs...>] [LIBS ...] [LABELS ...])
# A Catch2 program that runs real built programs under the real preload and analyzer through
# tests/support (ToolRun). The paths reach the test as compile definitions:
#   LEAKSCOPE_TARGET_<NAME>  for each program named in TARGETS (NAME upper-cased, '-' -> '_')
# and tests/support knows the preload and analyzer (overridable by the environment variables
# LEAKSCOPE_PRELOAD and LEAKSCOPE_ANALYZER, e.g. to test an installed tree).
function(leakscope_add_integration_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;TARGETS;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE leakscope_catch_main leakscope_test_support ${ARG_LIBS})
  foreach(t IN LISTS ARG_TARGETS)
    add_dependencies(${ARG_NAME} ${t})
    string(TOUPPER "${t}" var)
    string(REPLACE "-" "_" var "${var}")
    target_compile_definitions(${ARG_NAME} PRIVATE "LEAKSCOPE_TARGET_${var}=\"$<TARGET_FILE:${t}>\"")
  endforeach()
  set(labels integration)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  leakscope_check_catch_names(${ARG_NAME})
  catch_discover_tests(${ARG_NAME}
    TEST_PREFIX "${ARG_NAME}: "
    PROPERTIES LABELS "${labels}" TIMEOUT 900 SKIP_RETURN_CODE ${LEAKSCOPE_SKIP_RETURN_CODE}
               ENVIRONMENT "${LEAKSCOPE_TEST_ENVIRONMENT}"
    DISCOVERY_TIMEOUT 30)
endfunction()
