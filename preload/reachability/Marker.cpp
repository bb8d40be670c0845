// valgrind memcheck's leak classes over the live-block index; see Marker.h for the rules.
#include "reachability/Marker.h"

#include <ctime>
#include <cstring>

#include "tracker/ClockNs.h"

namespace leakscope::preload::reachability {

bool Deadline::expired() noexcept { return clockNs(CLOCK_MONOTONIC) >= end_ns_; }

template <typename Visit>
bool Marker::forEachWord(uint64_t begin, uint64_t end, Visit visit) noexcept {
    uint64_t at = (begin + 7) & ~uint64_t{7};
    while (at + 8 <= end) {
        // In chunks, so the deadline is looked at every 4096 chunks and the loop stays tight.
        const uint64_t chunk_end = end - at > 4096 ? at + 4096 : end;
        for (; at + 8 <= chunk_end; at += 8) {
            uint64_t word;
            std::memcpy(&word, reinterpret_cast<const void*>(at), sizeof(word));
            visit(word);
        }
        if (deadline_.expiredSometimes()) return false;
    }
    return true;
}

void Marker::reach(uint64_t word, bool definite) noexcept {
    const long found = index_.find(word);
    if (found < 0) return;
    const auto block = static_cast<size_t>(found);
    if (word == starts_[block] && definite) {
        if (states_[block] == kReachable) return;
        states_[block] = kReachable;  // (re)scanned: what it points to may be upgraded too
        stack_[depth_++] = static_cast<uint32_t>(block);
    } else if (states_[block] == kUnreached) {
        states_[block] = kPossible;
        stack_[depth_++] = static_cast<uint32_t>(block);
    }
}

bool Marker::scanRoot(uint64_t begin, uint64_t end) noexcept {
    if (!forEachWord(begin, end, [this](uint64_t word) { reach(word, true); })) return false;
    return drain();
}

bool Marker::drain() noexcept {
    while (depth_ > 0) {
        const uint32_t block = stack_[--depth_];
        const bool definite = states_[block] == kReachable;
        if (!forEachWord(starts_[block], starts_[block] + sizes_[block],
                         [this, definite](uint64_t word) { reach(word, definite); }))
            return false;
    }
    return true;
}

bool Marker::absorbTree(size_t leader) noexcept {
    stack_[depth_++] = static_cast<uint32_t>(leader);
    while (depth_ > 0) {
        const uint32_t block = stack_[--depth_];
        const bool ok = forEachWord(starts_[block], starts_[block] + sizes_[block], [this, leader](uint64_t word) {
            const long found = index_.find(word);
            if (found < 0 || static_cast<size_t>(found) == leader || states_[found] != kUnreached) return;
            states_[found] = kIndirect;
            stack_[depth_++] = static_cast<uint32_t>(found);
        });
        if (!ok) return false;
    }
    return true;
}

bool Marker::finish() noexcept {
    if (!drain()) return false;
    for (size_t i = 0; i < count_; ++i)
        if (states_[i] == kUnreached && !absorbTree(i)) return false;
    return true;
}

snapshot::Reachability Marker::classOf(size_t i) const noexcept {
    switch (states_[i]) {
        case kReachable: return snapshot::Reachability::StillReachable;
        case kPossible: return snapshot::Reachability::PossiblyLost;
        case kIndirect: return snapshot::Reachability::IndirectlyLost;
        default: return snapshot::Reachability::DefinitelyLost;
    }
}

}  // namespace leakscope::preload::reachability
