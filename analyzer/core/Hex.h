// "0x…" spelling of addresses, used by every output.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace leakscope::analyzer {

inline std::string hexAddress(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

inline std::string hexBytes(const std::string& bytes) {
    static const char kDigits[] = "0123456789abcdef";
    std::string text;
    for (unsigned char byte : bytes) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

}  // namespace leakscope::analyzer
