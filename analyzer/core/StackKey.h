// The identity of a finding that survives ASLR and unrelated rebuilds: a hash of the finding's type,
// its resource (and handle kind) and the function names of its top frames. Addresses, file paths and
// line numbers are left out on purpose: they change when unrelated code moves.
#pragma once

#include <string>

#include "core/SymbolizedFrame.h"

namespace leakscope::analyzer {

inline constexpr size_t kStackKeyFrames = 5;

// 16 hex digits (FNV-1a 64).
std::string stackKey(const std::string& type, const std::string& resource, const std::string& handle_kind,
                     const SymbolizedStack& stack);
// The same key for the frames of `stack` from index `first` on, borrowed from the Symbolizer's cache.
std::string stackKey(const std::string& type, const std::string& resource, const std::string& handle_kind,
                     const std::vector<const SymbolizedFrame*>& stack, size_t first);

}  // namespace leakscope::analyzer
