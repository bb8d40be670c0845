// libFuzzer harness: the fuzzer's bytes as a suppressions file (analyzer/core/Suppressions.h), parsed,
// and every rule that parsed matched against a finding with a few ordinary frames, so hostile globs
// reach fnmatch the way `leakscope check --suppressions` would send them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/Suppressions.h"

namespace {

leakscope::analyzer::Finding sampleFinding(const std::string& type) {
    leakscope::analyzer::Finding finding;
    finding.type = type;
    leakscope::analyzer::SymbolizedFrame inner;
    inner.function = "create_from_config(config const*)";
    inner.file = "/src/pipeline/afe.c";
    inner.line = 42;
    inner.module = "libalgo.so";
    inner.known = true;
    leakscope::analyzer::SymbolizedFrame outer;
    outer.function = "libalgo.so+0x1f30";
    outer.module = "libalgo.so";
    finding.stack = {inner, outer};
    return finding;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto rules = leakscope::analyzer::parseSuppressions(text, "fuzz.supp");
    if (!rules.ok()) {
        if (rules.status().message().empty()) __builtin_trap();  // every rejection must say why
        return 0;
    }
    static const leakscope::analyzer::Finding kFindings[] = {sampleFinding("growth"), sampleFinding("exit_leak")};
    for (const auto& rule : *rules)
        for (const auto& finding : kFindings) (void)leakscope::analyzer::suppressionMatches(rule, finding);
    return 0;
}
