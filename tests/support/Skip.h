// A test that cannot run says so: SKIP_TEST prints "SKIPPED: <reason>" and ends the test executable
// with kSkipReturnCode, which the registration helpers (cmake/LeakscopeTesting.cmake) give CTest as
// SKIP_RETURN_CODE, so `ctest` lists the test as skipped, never as passed. CTest runs one test case per
// process, so ending the process ends only this test case.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace leakscope::testing {

constexpr int kSkipReturnCode = 77;

[[noreturn]] inline void skipTest(const std::string& reason) {
    std::cout << "SKIPPED: " << reason << std::endl;
    std::fflush(nullptr);
    std::_Exit(kSkipReturnCode);
}

}  // namespace leakscope::testing

// SKIP_TEST("strace is not installed") or SKIP_TEST("cannot mount: " << strerror(errno)).
#define SKIP_TEST(message)                                \
    do {                                                  \
        std::ostringstream skip_reason_;                  \
        skip_reason_ << message;                          \
        ::leakscope::testing::skipTest(skip_reason_.str()); \
    } while (false)
