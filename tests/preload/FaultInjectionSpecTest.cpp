// The LEAKSCOPE_FAIL_ALLOC grammar (docs/configuration.md), as faultspec/ parses it for the preload and the analyzer.
#include <catch2/catch.hpp>
#include <string>

#include "faultspec/FaultSpec.h"

using leakscope::faultspec::isValid;

TEST_CASE("fault-injection specs of the documented grammar are accepted") {
    const char* valid[] = {"nth=100", "every=10", "above=1048576", "function=audio_dma_setup_playback",
                           "function=port_realloc,nth=1", "every=2,limit=3;above=0", "nth=1;", "limit=5,every=1"};
    for (const char* spec : valid) {
        char why[256] = "";
        INFO(spec << ": " << why);
        CHECK(isValid(spec, why, sizeof(why)));
    }
}

TEST_CASE("bad fault-injection specs are refused with a reason naming the condition") {
    struct Case {
        const char* spec;
        const char* reason;
    } cases[] = {{"nth=0", "\"nth=0\" needs a number of at least 1"},
                 {"every=ten", "\"every=ten\" needs a non-negative decimal number"},
                 {"colour=blue", "has an unknown key"},
                 {"nth", "is not key=value"},
                 {"function=", "needs a function name"},
                 {"above=1,,nth=2", "empty condition"},
                 {"", "has no rule"},
                 {";;", "has no rule"},
                 {"nth=1;nth=2;nth=3;nth=4;nth=5;nth=6;nth=7;nth=8;nth=9", "more than 8 rules"},
                 {"above=99999999999999999999", "non-negative decimal number"}};
    for (const auto& c : cases) {
        char why[256] = "";
        INFO(c.spec);
        CHECK_FALSE(isValid(c.spec, why, sizeof(why)));
        CHECK(std::string(why).find(c.reason) != std::string::npos);
    }
}
