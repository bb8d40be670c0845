// Builds /proc paths in caller-provided buffers without snprintf (it may allocate for the locale, and
// these run inside hooks, snapshots and the snapshot helper, where nothing may allocate).
#pragma once

#include <cstddef>
#include <cstring>

namespace leakscope::preload {

// Appends the decimal digits of `value` at out[used...] and a NUL; false (out unchanged past used)
// when it does not fit in `capacity` bytes.
inline bool appendDecimal(char* out, size_t capacity, size_t& used, unsigned long value) noexcept {
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

// Appends `text` and a NUL at out[used...]; false when it does not fit.
inline bool appendText(char* out, size_t capacity, size_t& used, const char* text) noexcept {
    const size_t length = std::strlen(text);
    if (used + length >= capacity) return false;
    std::memcpy(out + used, text, length + 1);
    used += length;
    return true;
}

}  // namespace leakscope::preload
