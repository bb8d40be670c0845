# cmake -DEXECUTABLE=<catch test program> -P CheckCatchTestNames.cmake
# Fails the build when a test case name holds a ';': CTest would split it and register an entry that
# runs nothing and reports Passed. Rename the test case instead (',' or ':' read the same).
execute_process(COMMAND "${EXECUTABLE}" --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE result)
# Catch2 2.x exits with the number of tests listed; a crash gives a non-number.
if(NOT result MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${EXECUTABLE} --list-test-names-only failed (${result})")
endif()
string(FIND "${names}" ";" semicolon)
if(NOT semicolon EQUAL -1)
  string(REPLACE ";" "<SEMICOLON>" shown "${names}")
  string(REGEX MATCHALL "[^\n]*<SEMICOLON>[^\n]*" offending "${shown}")
  string(REPLACE "<SEMICOLON>" "';'" offending "${offending}")
  message(FATAL_ERROR "${EXECUTABLE}: test names must not contain ';' (CTest splits them): ${offending}")
endif()
