#include "core/StackKey.h"

#include <algorithm>
#include <cstdio>

namespace leakscope::analyzer {
namespace {

void mix(uint64_t& hash, const std::string& text) {
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    hash ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    hash *= 0x100000001b3ull;
}

// An unknown frame is "module+0xoffset"; the offset moves with every rebuild, so only the module counts.
// Except in a module whose file was rebuilt since the run (stale): every frame in it is unknown, and
// only the offsets (all from the run's one build) keep two different leaks from merging into one.
std::string stableName(const SymbolizedFrame& frame) {
    if (frame.known || frame.stale) return frame.function;
    return frame.module.empty() ? std::string("?") : frame.module + "+?";
}

template <typename FrameAt>
std::string keyOf(const std::string& type, const std::string& resource, const std::string& handle_kind, size_t size,
                  FrameAt at) {
    uint64_t hash = 0xcbf29ce484222325ull;
    mix(hash, type);
    mix(hash, resource);
    mix(hash, handle_kind);
    for (size_t i = 0; i < size && i < kStackKeyFrames; ++i) mix(hash, stableName(at(i)));
    char text[20];
    std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

}  // namespace

std::string stackKey(const std::string& type, const std::string& resource, const std::string& handle_kind,
                     const SymbolizedStack& stack) {
    return keyOf(type, resource, handle_kind, stack.size(), [&](size_t i) -> const SymbolizedFrame& { return stack[i]; });
}

std::string stackKey(const std::string& type, const std::string& resource, const std::string& handle_kind,
                     const std::vector<const SymbolizedFrame*>& stack, size_t first) {
    return keyOf(type, resource, handle_kind, stack.size() - std::min(first, stack.size()),
                 [&](size_t i) -> const SymbolizedFrame& { return *stack[first + i]; });
}

}  // namespace leakscope::analyzer
