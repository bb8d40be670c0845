#include "core/Reachability.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "leakscope/snapshot_format.h"

namespace leakscope::analyzer {
namespace {

using Status = FindingReachability::Status;
constexpr size_t kNotClassified = size_t(snapshot::Reachability::NotClassified);
constexpr size_t kDefinitelyLost = size_t(snapshot::Reachability::DefinitelyLost);
constexpr size_t kIndirectlyLost = size_t(snapshot::Reachability::IndirectlyLost);
// Phrases list the classes from the worst to the least bad, then the blocks nobody classified.
constexpr size_t kPhraseOrder[] = {1, 2, 3, 4, 0};

uint64_t total(const std::array<uint64_t, kReachabilityClasses>& values) {
    uint64_t sum = 0;
    for (uint64_t value : values) sum += value;
    return sum;
}

int rank(Status status) {
    switch (status) {
    case Status::Classified: return 3;
    case Status::Freed: return 2;
    case Status::NotClassified: return 1;
    case Status::None: return 0;
    }
    return 0;
}

std::string bytesText(double bytes) {
    std::ostringstream out;
    // Whole bytes, except for a rate below 10 B/cycle (a block every few cycles: 0.5 B).
    if (bytes >= 10 || bytes == std::floor(bytes)) out << uint64_t(std::llround(bytes));
    else out << std::round(bytes * 10) / 10;
    return out.str() + " B";
}

}  // namespace

void splitPerCycle(FindingReachability& reachability, double bytes_per_cycle) {
    reachability.bytes_per_cycle.fill(0);
    const uint64_t bytes = total(reachability.bytes), blocks = total(reachability.blocks);
    if (reachability.status != Status::Classified || blocks == 0) {
        reachability.bytes_per_cycle[kNotClassified] = bytes_per_cycle;
        return;
    }
    // Zero-byte blocks (malloc(0)) have no byte share: their count decides.
    for (size_t i = 0; i < kReachabilityClasses; ++i)
        reachability.bytes_per_cycle[i] = bytes_per_cycle * (bytes ? double(reachability.bytes[i]) / double(bytes)
                                                                   : double(reachability.blocks[i]) / double(blocks));
}

void addReachability(FindingReachability& total_reachability, const FindingReachability& part) {
    if (part.status == Status::None) return;
    if (rank(part.status) > rank(total_reachability.status)) {
        total_reachability.status = part.status;
        total_reachability.reason = part.reason;
        total_reachability.snapshot_label = part.snapshot_label;
        total_reachability.snapshot_index = part.snapshot_index;
    }
    for (size_t i = 0; i < kReachabilityClasses; ++i) {
        total_reachability.bytes[i] += part.bytes[i];
        total_reachability.blocks[i] += part.blocks[i];
        total_reachability.bytes_per_cycle[i] += part.bytes_per_cycle[i];
    }
}

bool mostlyLost(const Finding& finding) {
    const auto& r = finding.reachability;
    if (finding.type != kGrowth || finding.resource != "memory" || r.status != Status::Classified) return false;
    double all = 0;
    for (double bytes : r.bytes_per_cycle) all += bytes;
    return 2 * (r.bytes_per_cycle[kDefinitelyLost] + r.bytes_per_cycle[kIndirectlyLost]) > all;
}

std::string reachabilityPhrase(const Finding& finding) {
    const auto& r = finding.reachability;
    switch (r.status) {
    case Status::None: return "";
    case Status::NotClassified: return "reachability not classified";
    case Status::Freed:
        return "freed before the classified '" + r.snapshot_label + "' snapshot #" + std::to_string(r.snapshot_index);
    case Status::Classified: break;
    }
    const bool growth = finding.type == kGrowth;
    std::array<double, kReachabilityClasses> amount{};
    for (size_t i = 0; i < kReachabilityClasses; ++i) amount[i] = growth ? r.bytes_per_cycle[i] : double(r.bytes[i]);
    // Blocks of 0 bytes only: say which classes they are in.
    bool by_blocks = std::all_of(amount.begin(), amount.end(), [](double a) { return a <= 0; });
    std::vector<size_t> present;
    for (size_t klass : kPhraseOrder)
        if (by_blocks ? r.blocks[klass] > 0 : amount[klass] > 0) present.push_back(klass);
    if (present.empty()) return "reachability not classified";
    if (present.size() == 1)
        return present[0] == kNotClassified ? "not classified (allocated while the scan ran)"
                                            : std::string("all ") + snapshot::reachabilityName(snapshot::Reachability(present[0]));
    std::string text;
    for (size_t klass : present)
        text += (text.empty() ? "" : ", ") +
                (by_blocks ? std::to_string(r.blocks[klass]) + (r.blocks[klass] == 1 ? " block " : " blocks ") : bytesText(amount[klass]) + " ") +
                snapshot::reachabilityName(snapshot::Reachability(klass));
    return text;
}

std::string reachabilityKey(size_t reachability_class) {
    std::string key = snapshot::reachabilityName(snapshot::Reachability(reachability_class));
    std::replace(key.begin(), key.end(), ' ', '_');
    return key;
}

const char* reachabilityStatusName(FindingReachability::Status status) {
    switch (status) {
    case Status::Classified: return "classified";
    case Status::NotClassified: return "not_classified";
    case Status::Freed: return "freed";
    case Status::None: return "";
    }
    return "";
}

}  // namespace leakscope::analyzer
