// W3: C++ container churn with many distinct allocating stacks. Each operation inserts into or erases
// from a std::map<std::string, std::vector<uint32_t>>, so every insert allocates a map node, a key
// string (longer than the small-string buffer) and a vector, all through operator new.
//
//   workload_containers [--ops 1000000] [--sites 64] [--live 4096]
//
// The insert is made from one of 64 template-instantiated call sites reached through 1 to 4 levels of
// distinct descent functions, so the tracker sees sites x 4 caller chains x 3 allocation kinds
// (about 768 distinct stacks): a stack table that is not one hot entry. --live bounds the map; past
// it, every insert is paired with an erase of the smallest key.
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "WorkloadOptions.h"

namespace {

using ChurnMap = std::map<std::string, std::vector<uint32_t>>;

struct ChurnState {
    ChurnMap map;
    uint64_t live = 4096;
    uint64_t inserts = 0;
    uint64_t erases = 0;
};

// One insert site per Site value: its own code address, so its own stacks.
template <int Site>
__attribute__((noinline)) void insertAtSite(ChurnState& state, uint64_t operation) {
    std::string key = "churn-key-site-" + std::to_string(Site) + "-op-" + std::to_string(operation);
    std::vector<uint32_t> value(4 + Site % 13, static_cast<uint32_t>(operation));
    state.map.emplace(std::move(key), std::move(value));
    ++state.inserts;
    if (state.map.size() > state.live) {
        state.map.erase(state.map.begin());
        ++state.erases;
    }
    asm volatile("" ::: "memory");  // keep this frame (no tail call into the erase)
}

using InsertSite = void (*)(ChurnState&, uint64_t);

template <size_t... Sites>
constexpr auto makeSiteTable(std::index_sequence<Sites...>) {
    return std::array<InsertSite, sizeof...(Sites)>{&insertAtSite<static_cast<int>(Sites)>...};
}
constexpr auto kInsertSites = makeSiteTable(std::make_index_sequence<64>{});

// Depth levels 1..4 above the site: distinct functions, so distinct return addresses on the stack.
template <int Depth>
__attribute__((noinline)) void descend(ChurnState& state, InsertSite site, uint64_t operation) {
    if constexpr (Depth == 0) {
        site(state, operation);
    } else {
        descend<Depth - 1>(state, site, operation);
    }
    asm volatile("" ::: "memory");
}

void churnOnce(ChurnState& state, uint64_t sites, uint64_t operation) {
    InsertSite site = kInsertSites[operation % sites];
    switch ((operation / sites) % 4) {
        case 0: descend<0>(state, site, operation); break;
        case 1: descend<1>(state, site, operation); break;
        case 2: descend<2>(state, site, operation); break;
        default: descend<3>(state, site, operation); break;
    }
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t operations = 1'000'000, sites = kInsertSites.size(), live = 4096;
    workloads::parseOptions(argc, argv,
                            {{"ops", &operations, "inserts (each past --live also erases one)"},
                             {"sites", &sites, "distinct insert sites, at most 64"},
                             {"live", &live, "map entries kept live"}});
    if (sites == 0 || sites > kInsertSites.size()) sites = kInsertSites.size();

    ChurnState state;
    state.live = live;
    for (uint64_t operation = 0; operation < operations; ++operation) churnOnce(state, sites, operation);
    std::printf("workload_containers: inserts=%llu erases=%llu live=%zu\n",
                static_cast<unsigned long long>(state.inserts), static_cast<unsigned long long>(state.erases),
                state.map.size());
    return 0;
}
