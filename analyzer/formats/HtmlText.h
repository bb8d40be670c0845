// Text helpers of the HTML report and its SVG plots: escaping (function names carry `<>&`, paths and
// handle details may carry quotes) and human-readable numbers.
#pragma once

#include <string>

namespace leakscope::analyzer::html {

// Escaped for element content and for double- or single-quoted attribute values.
std::string escape(const std::string& text);

// The binary unit a byte value reads best in: 1 B, 1 KiB, 1 MiB or 1 GiB.
struct ByteUnit {
    double size;
    const char* suffix;
};
ByteUnit byteUnitFor(double bytes);

// `value` with exactly `decimals` decimals (0..6), a '-' sign when negative.
std::string formatFixed(double value, int decimals);

// Exact below 100 KiB ("2,044 B"), else up to two decimals in the unit that fits ("1.5 MiB").
std::string formatBytes(double bytes);

// 12345 -> "12,345"; fractional values (medians may be x.5) keep one decimal.
std::string formatCount(double value);

}  // namespace leakscope::analyzer::html
