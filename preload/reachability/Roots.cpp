// The scan's roots; see Roots.h for what is a root and why.
#include "reachability/Roots.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tables/LiveTable.h"

namespace leakscope::preload::reachability {
namespace {

struct ModuleSearch {
    ScanPlan* plan;
    bool overflow;
};

// True when one of the module's PT_LOAD segments holds this very function: the preload itself, whose
// data (configuration, table pointers) is the tool's, not the program's.
bool isOwnModule(const dl_phdr_info* info) noexcept {
    const auto own = reinterpret_cast<uint64_t>(&isOwnModule);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        const uint64_t begin = info->dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_LOAD && own >= begin && own < begin + header.p_memsz) return true;
    }
    return false;
}

int visitModule(dl_phdr_info* info, size_t, void* context) noexcept {
    auto* search = static_cast<ModuleSearch*>(context);
    if (isOwnModule(info)) return 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type != PT_LOAD || !(header.p_flags & PF_W) || header.p_memsz == 0) continue;
        if (search->plan->module_count == kMaxModuleRanges) {
            search->overflow = true;
            return 1;
        }
        const uint64_t begin = info->dlpi_addr + header.p_vaddr;
        search->plan->modules[search->plan->module_count++] = {begin, begin + header.p_memsz};
    }
    return 0;
}

bool parseHex(const char*& text, const char* end, uint64_t* value) noexcept {
    uint64_t result = 0;
    const char* start = text;
    for (; text < end; ++text) {
        const char c = *text;
        unsigned digit;
        if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
        else break;
        result = result << 4 | digit;
    }
    *value = result;
    return text != start;
}

// One line of /proc/self/maps: "begin-end perms offset dev inode [path]".
struct MapsLine {
    uint64_t begin = 0;
    uint64_t end = 0;
    char perms[4] = {};
    bool anonymous = false;  // inode 0 and no path
    bool main_stack = false; // "[stack]"
};

bool parseLine(const char* text, const char* end, MapsLine* line) noexcept {
    if (!parseHex(text, end, &line->begin) || text == end || *text++ != '-') return false;
    if (!parseHex(text, end, &line->end) || end - text < 6 || *text++ != ' ') return false;
    std::memcpy(line->perms, text, 4);
    text += 4;
    // Skip offset and device, read the inode, then the path (if any) after the spaces.
    for (int field = 0; field < 2; ++field) {
        while (text < end && *text == ' ') ++text;
        while (text < end && *text != ' ') ++text;
    }
    while (text < end && *text == ' ') ++text;
    uint64_t inode = 0;
    while (text < end && *text >= '0' && *text <= '9') inode = inode * 10 + static_cast<uint64_t>(*text++ - '0');
    while (text < end && *text == ' ') ++text;
    const size_t path_length = static_cast<size_t>(end - text);
    line->anonymous = inode == 0 && path_length == 0;
    line->main_stack = path_length == 7 && std::memcmp(text, "[stack]", 7) == 0;
    return true;
}

bool holds(const MapsLine& line, uint64_t address) noexcept { return address >= line.begin && address < line.end; }

}  // namespace

bool addExcluded(ScanPlan& plan, uint64_t begin, uint64_t end) noexcept {
    if (plan.excluded_count == kMaxExcludedRanges) return false;
    plan.excluded[plan.excluded_count++] = {begin, end};
    return true;
}

bool collectPlan(ScanPlan& plan) noexcept {
    ModuleSearch search{&plan, false};
    dl_iterate_phdr(visitModule, &search);
    return !search.overflow;
}

bool excludeLiveTableLocked(ScanPlan& plan) noexcept {
    struct Exclusion {
        ScanPlan* plan;
        bool fits;
    } exclusion{&plan, true};
    live_table::forEachMappingLocked(
        [](uint64_t begin, uint64_t end, void* context) {
            auto* state = static_cast<Exclusion*>(context);
            if (!addExcluded(*state->plan, begin, end)) state->fits = false;
        },
        &exclusion);
    return exclusion.fits;
}

long readMappedRoots(const ScanPlan& plan, MappedRoot* out, size_t capacity) noexcept {
    const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;  // errno says why (EMFILE: the caller may free a number and retry)
    char buffer[8192];
    size_t buffered = 0;
    size_t found = 0;
    MapsLine previous;
    bool overflow = false;
    auto consider = [&](const MapsLine& line) {
        const bool writable_private = line.perms[0] == 'r' && line.perms[1] == 'w' && line.perms[3] == 'p';
        const bool above_guard = previous.end == line.begin && previous.anonymous && previous.perms[0] == '-' &&
                                 previous.perms[1] == '-' && previous.perms[2] == '-';
        const bool floor_here = holds(line, plan.stack_floor);
        bool root = false;
        // The tool thread's stack never, not even when it takes the snapshot (interval, external).
        if (writable_private && !holds(line, plan.tool_stack)) {
            if (line.main_stack || floor_here) root = true;
            else if (line.anonymous && above_guard) root = true;
            else if (holds(line, plan.main_tls)) root = true;
        }
        if (root) {
            if (found == capacity) overflow = true;
            else out[found++] = {{line.begin, line.end}, floor_here};
        }
        previous = line;
    };
    for (;;) {
        const long got = syscall(SYS_read, fd, buffer + buffered, sizeof(buffer) - buffered);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        buffered += static_cast<size_t>(got);
        size_t start = 0;
        for (size_t i = 0; i < buffered; ++i) {
            if (buffer[i] != '\n') continue;
            MapsLine line;
            if (parseLine(buffer + start, buffer + i, &line)) consider(line);
            start = i + 1;
        }
        std::memmove(buffer, buffer + start, buffered - start);
        buffered -= start;
        if (buffered == sizeof(buffer)) break;  // a line longer than the buffer: not a maps line
    }
    syscall(SYS_close, fd);
    return overflow ? -1 : static_cast<long>(found);
}

}  // namespace leakscope::preload::reachability
