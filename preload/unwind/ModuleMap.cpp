// Module map bookkeeping (see ModuleMap.h). Static storage only: refresh() runs before dlclose and
// inside snapshots, where allocating would be tracked as the program's.
#include "unwind/ModuleMap.h"

#include <cstring>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include "tables/SpinLock.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload::module_map {
namespace {

constexpr size_t kMaxModules = 2048;
constexpr size_t kPathPoolBytes = 512 * 1024;

struct KnownModule {
    uint64_t load_bias;
    uint64_t start;
    uint64_t end;
    uint64_t unloaded_sequence;
    uint32_t path_offset;
    uint32_t path_length;
    uint32_t build_id_size;
    uint8_t build_id[snapshot::kBuildIdCapacity];
    bool seen;  // scratch flag of the current refresh
};

SpinLock gLock;
KnownModule gModules[kMaxModules];
size_t gModuleCount = 0;
char gPathPool[kPathPoolBytes];
size_t gPathPoolUsed = 0;

const char* pathOf(const KnownModule& module) noexcept { return gPathPool + module.path_offset; }

// The path dl_iterate_phdr gives, made useful: "" is the main program, the vDSO has no file.
size_t modulePath(const char* reported, char* out, size_t capacity) noexcept {
    if (!reported || !*reported) {
        ssize_t length = readlink("/proc/self/exe", out, capacity - 1);
        if (length <= 0) return 0;
        out[length] = '\0';
        return static_cast<size_t>(length);
    }
    if (std::strncmp(reported, "linux-vdso", 10) == 0 || std::strncmp(reported, "linux-gate", 10) == 0) {
        std::memcpy(out, "[vdso]", 7);
        return 6;
    }
    size_t length = std::strlen(reported);
    if (length >= capacity) length = capacity - 1;
    std::memcpy(out, reported, length);
    out[length] = '\0';
    return length;
}

void readBuildId(const struct dl_phdr_info* info, KnownModule& module) noexcept {
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type != PT_NOTE) continue;
        auto* cursor = reinterpret_cast<const uint8_t*>(info->dlpi_addr + header.p_vaddr);
        const uint8_t* end = cursor + header.p_memsz;
        while (cursor + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(cursor);
            const uint8_t* name = cursor + sizeof(ElfW(Nhdr));
            const uint8_t* description = name + ((note->n_namesz + 3) & ~3u);
            const uint8_t* next = description + ((note->n_descsz + 3) & ~3u);
            if (next > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                size_t size = note->n_descsz < snapshot::kBuildIdCapacity ? note->n_descsz : snapshot::kBuildIdCapacity;
                std::memcpy(module.build_id, description, size);
                module.build_id_size = static_cast<uint32_t>(size);
                return;
            }
            cursor = next;
        }
    }
}

int visitLoadedModule(struct dl_phdr_info* info, size_t, void*) noexcept {
    char path[4096];
    size_t path_length = modulePath(info->dlpi_name, path, sizeof(path));
    for (size_t i = 0; i < gModuleCount; ++i) {
        KnownModule& known = gModules[i];
        if (known.unloaded_sequence == 0 && known.load_bias == info->dlpi_addr && known.path_length == path_length &&
            std::memcmp(pathOf(known), path, path_length) == 0) {
            known.seen = true;
            return 0;
        }
    }
    if (gModuleCount == kMaxModules || gPathPoolUsed + path_length + 1 > kPathPoolBytes) return 0;
    KnownModule& module = gModules[gModuleCount++];
    module = KnownModule{};
    module.load_bias = info->dlpi_addr;
    module.start = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type != PT_LOAD) continue;
        uint64_t start = info->dlpi_addr + header.p_vaddr;
        if (start < module.start) module.start = start;
        if (start + header.p_memsz > module.end) module.end = start + header.p_memsz;
    }
    if (module.start == UINT64_MAX) module.start = 0;
    module.path_offset = static_cast<uint32_t>(gPathPoolUsed);
    module.path_length = static_cast<uint32_t>(path_length);
    std::memcpy(gPathPool + gPathPoolUsed, path, path_length + 1);
    gPathPoolUsed += path_length + 1;
    readBuildId(info, module);
    module.seen = true;
    return 0;
}

void refreshLocked() noexcept {
    for (size_t i = 0; i < gModuleCount; ++i) gModules[i].seen = false;
    dl_iterate_phdr(visitLoadedModule, nullptr);
    for (size_t i = 0; i < gModuleCount; ++i)
        if (!gModules[i].seen && gModules[i].unloaded_sequence == 0) gModules[i].unloaded_sequence = peekSequence();
}

}  // namespace

void refresh() noexcept {
    ReentryGuard guard;
    SpinLockHolder hold(gLock);
    refreshLocked();
}

bool writeSection(SnapshotSectionSink& sink) noexcept {
    SpinLockHolder hold(gLock);
    refreshLocked();
    if (!sink.beginSection(snapshot::SectionType::Modules, sizeof(snapshot::ModuleRecord))) return false;
    for (size_t i = 0; i < gModuleCount; ++i) {
        const KnownModule& known = gModules[i];
        snapshot::ModuleRecord record{};
        record.load_bias = known.load_bias;
        record.start = known.start;
        record.end = known.end;
        record.unloaded_sequence = known.unloaded_sequence;
        record.path = sink.addString(pathOf(known), known.path_length);
        record.build_id_size = known.build_id_size;
        std::memcpy(record.build_id, known.build_id, sizeof(record.build_id));
        if (!sink.appendRecord(&record)) return false;
    }
    return sink.endSection();
}

void lockForFork() noexcept { gLock.lock(); }
void unlockAfterFork() noexcept { gLock.unlock(); }

}  // namespace leakscope::preload::module_map
