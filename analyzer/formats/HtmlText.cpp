#include "formats/HtmlText.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace leakscope::analyzer::html {

std::string escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

ByteUnit byteUnitFor(double bytes) {
    static constexpr ByteUnit kUnits[] = {{1024.0 * 1024 * 1024, "GiB"}, {1024.0 * 1024, "MiB"}, {1024.0, "KiB"}};
    for (const auto& unit : kUnits)
        if (std::fabs(bytes) >= unit.size) return unit;
    return {1, "B"};
}

std::string formatFixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", std::clamp(decimals, 0, 6), value);
    return buffer;
}

std::string formatBytes(double bytes) {
    // Exact below 100 KiB: 2044 B/cycle must not read as the 2048 of its neighbour.
    ByteUnit unit = byteUnitFor(bytes);
    if (unit.size == 1 || std::fabs(bytes) < 100 * 1024) return formatCount(bytes) + " B";
    std::string number = formatFixed(bytes / unit.size, 2);
    number.erase(number.find_last_not_of('0') + 1);
    if (number.back() == '.') number.pop_back();
    return number + " " + unit.suffix;
}

std::string formatCount(double value) {
    double rounded = std::round(value * 10) / 10;
    double whole = std::trunc(rounded);
    std::string digits = formatFixed(std::fabs(whole), 0);
    // Thousands separators make 7-digit byte counts readable at a glance.
    for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(size_t(i), ",");
    std::string out = (rounded < 0 ? "-" : "") + digits;
    int tenths = int(std::lround(std::fabs(rounded - whole) * 10));
    if (tenths != 0) out += "." + std::to_string(tenths);
    return out;
}

}  // namespace leakscope::analyzer::html
