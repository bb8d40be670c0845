// Command-line sizes of the benchmark workloads: `--name N` pairs of non-negative integers, so that
// scripts/bench can shrink a workload (--quick, valgrind) without rebuilding it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace workloads {

struct NamedOption {
    const char* name;   // without the leading "--"
    uint64_t* value;    // holds the default on entry
    const char* help;
};

// Parses argv as `--name N` pairs into `options`. On an unknown name, a missing or non-numeric value,
// prints the usage on stderr and exits 2 (the suite's "usage error" code).
inline void parseOptions(int argc, char** argv, std::initializer_list<NamedOption> options) {
    auto usage = [&](const char* problem) {
        std::fprintf(stderr, "%s: %s\nusage: %s", argv[0], problem, argv[0]);
        for (const NamedOption& option : options) std::fprintf(stderr, " [--%s N]", option.name);
        std::fprintf(stderr, "\n");
        for (const NamedOption& option : options)
            std::fprintf(stderr, "  --%-10s %s (default %llu)\n", option.name, option.help,
                         static_cast<unsigned long long>(*option.value));
        std::exit(2);
    };
    for (int i = 1; i < argc; i += 2) {
        std::string_view flag = argv[i];
        if (flag.size() < 3 || flag.substr(0, 2) != "--") usage("arguments are --name N pairs");
        const NamedOption* match = nullptr;
        for (const NamedOption& option : options)
            if (flag.substr(2) == option.name) match = &option;
        if (!match) usage("unknown option");
        if (i + 1 >= argc) usage("option without a value");
        char* end = nullptr;
        unsigned long long parsed = std::strtoull(argv[i + 1], &end, 10);
        if (*argv[i + 1] == '\0' || *argv[i + 1] == '-' || *end != '\0') usage("values are non-negative integers");
        *match->value = parsed;
    }
}

}  // namespace workloads
