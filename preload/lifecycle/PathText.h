// Paths built into fixed buffers without allocating or snprintf (it may allocate for the locale): the
// preload's hooks, signal handlers, vfork children and the snapshot helper build file and /proc names
// this way. Append text or a decimal number at out[used...], keeping a NUL.
#pragma once

#include <cstddef>
#include <cstring>

namespace leakscope::preload {

// Appends `text`; false (and nothing appended) when it does not fit with its NUL.
inline bool appendText(char* out, size_t capacity, size_t& used, const char* text) noexcept {
    const size_t length = std::strlen(text);
    if (used + length >= capacity) return false;
    std::memcpy(out + used, text, length + 1);
    used += length;
    return true;
}

// Appends the decimal digits of `value`; false (and nothing appended) when they do not fit.
inline bool appendDecimal(char* out, size_t capacity, size_t& used, unsigned long long value) noexcept {
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value);
    if (used + count >= capacity) return false;
    while (count) out[used++] = digits[--count];
    out[used] = '\0';
    return true;
}

}  // namespace leakscope::preload
