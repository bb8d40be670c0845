# leakscope_add_test(NAME <name> COMMAND <program> [args...]
#                    [CYCLE_LABEL <label>] [WARMUP <cycles>]
#                    [SUPPRESSIONS <file>] [BASELINE <file>]
#                    [MAX_BYTES_PER_CYCLE <bytes>] [MAX_HANDLES_PER_CYCLE <n>] [MAX_EXIT_BYTES <bytes>]
#                    [FAIL_ON <kinds>] [REPORT_DIR <dir>] [WORKING_DIRECTORY <dir>])
#
# Registers a CTest test that runs COMMAND under `leakscope run --check`: the test fails when the
# program leaks across its lifecycle snapshots (exit 1, the leak report in its output) and, as without
# leakscope, when the program itself fails or crashes (its own status, 128+N for signal N). Snapshots
# and a Markdown, JUnit and SARIF report of the latest run are kept in REPORT_DIR (default
# <build>/leakscope/<name>): each run first deletes the previous run's snapshots there (`run --force`,
# which touches only snapshot files), so a second `ctest`, `ctest --repeat` and `ctest -j` work and a
# report never mixes two runs. CTest never runs one test twice at once; give tests distinct REPORT_DIRs.
# COMMAND may name a target of the calling project; its path is resolved at test time.
function(leakscope_add_test)
  cmake_parse_arguments(LS ""
    "NAME;CYCLE_LABEL;WARMUP;SUPPRESSIONS;BASELINE;MAX_BYTES_PER_CYCLE;MAX_HANDLES_PER_CYCLE;MAX_EXIT_BYTES;FAIL_ON;REPORT_DIR;WORKING_DIRECTORY"
    "COMMAND" ${ARGN})
  if(NOT LS_NAME OR NOT LS_COMMAND)
    message(FATAL_ERROR "leakscope_add_test: NAME and COMMAND are required")
  endif()
  if(NOT LEAKSCOPE_EXECUTABLE)
    message(FATAL_ERROR "leakscope_add_test: LEAKSCOPE_EXECUTABLE is not set (find_package(leakscope) first)")
  endif()
  if(NOT LS_REPORT_DIR)
    set(LS_REPORT_DIR "${CMAKE_CURRENT_BINARY_DIR}/leakscope/${LS_NAME}")
  endif()

  list(POP_FRONT LS_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()

  set(args run --out "${LS_REPORT_DIR}/snapshots" --force --check
      --format text
      --format markdown --output "${LS_REPORT_DIR}/report.md"
      --format junit --output "${LS_REPORT_DIR}/report.junit.xml"
      --format sarif --output "${LS_REPORT_DIR}/report.sarif")
  if(LS_CYCLE_LABEL)
    list(APPEND args --label "${LS_CYCLE_LABEL}")
  endif()
  if(DEFINED LS_WARMUP)
    list(APPEND args --warmup "${LS_WARMUP}")
  endif()
  foreach(opt IN ITEMS SUPPRESSIONS BASELINE MAX_BYTES_PER_CYCLE MAX_HANDLES_PER_CYCLE MAX_EXIT_BYTES FAIL_ON)
    if(DEFINED LS_${opt})
      string(TOLOWER "${opt}" flag)
      string(REPLACE "_" "-" flag "${flag}")
      list(APPEND args "--${flag}" "${LS_${opt}}")
    endif()
  endforeach()

  set(wd "")
  if(LS_WORKING_DIRECTORY)
    set(wd WORKING_DIRECTORY "${LS_WORKING_DIRECTORY}")
  endif()
  add_test(NAME ${LS_NAME}
    COMMAND "${LEAKSCOPE_EXECUTABLE}" ${args} -- "${program}" ${LS_COMMAND}
    ${wd})
  set_tests_properties(${LS_NAME} PROPERTIES LABELS leakscope)
endfunction()
