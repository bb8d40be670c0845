// Module map bookkeeping (see ModuleMap.h). Static storage only: refresh() runs before dlclose and
// inside snapshots, where allocating would be tracked as the program's.
#include "unwind/ModuleMap.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    snapshot::ModuleFileRecord file;  // taken once, when the module is first seen
    bool seen;  // scratch flag of the current refresh
};

SpinLock gLock;
KnownModule gModules[kMaxModules];
size_t gModuleCount = 0;
char gPathPool[kPathPoolBytes];
size_t gPathPoolUsed = 0;

const char* pathOf(const KnownModule& module) noexcept { return gPathPool + module.path_offset; }

// Parses a hexadecimal number at *cursor (advancing it); false when there is none.
bool parseHex(const char*& cursor, const char* end, uint64_t& value) noexcept {
    value = 0;
    const char* start = cursor;
    for (; cursor < end; ++cursor) {
        const char c = *cursor;
        const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) break;
        value = value << 4 | static_cast<uint64_t>(digit);
    }
    return cursor != start;
}

// The absolute path of the file mapped at `address`, from /proc/thread-self/maps (the kernel's name for
// the mapping, which does not depend on the cwd at load time or now). Raw reads into static storage:
// this runs under gLock inside snapshots. Returns the length, 0 when no file mapping covers address.
size_t mappedFilePath(uint64_t address, char* out, size_t capacity) noexcept {
    static char buffer[64 * 1024];
    const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/maps", O_RDONLY | O_CLOEXEC));
    if (fd < 0) return 0;
    size_t kept = 0, found = 0;
    for (;;) {
        const long got = syscall(SYS_read, fd, buffer + kept, sizeof(buffer) - kept);
        if (got <= 0) break;
        const char* cursor = buffer;
        const char* end = buffer + kept + static_cast<size_t>(got);
        for (const char* newline; (newline = static_cast<const char*>(std::memchr(cursor, '\n', size_t(end - cursor))));
             cursor = newline + 1) {
            // "start-end perms offset dev inode   path"
            uint64_t start = 0, stop = 0;
            const char* field = cursor;
            if (!parseHex(field, newline, start) || field == newline || *field++ != '-' ||
                !parseHex(field, newline, stop) || address < start || address >= stop)
                continue;
            const char* path = static_cast<const char*>(std::memchr(field, '/', size_t(newline - field)));
            if (path) {
                found = std::min(size_t(newline - path), capacity - 1);
                std::memcpy(out, path, found);
                out[found] = '\0';
            }
            syscall(SYS_close, fd);
            return found;
        }
        kept = size_t(end - cursor);
        if (kept == sizeof(buffer)) kept = 0;  // a line longer than the buffer: no mapping of ours
        std::memmove(buffer, cursor, kept);
    }
    syscall(SYS_close, fd);
    return 0;
}

// The path dl_iterate_phdr gives, made useful: "" is the main program, the vDSO has no file, and a
// relative name (dlopen("./plugin.so") keeps it as given) becomes the absolute path of the mapped file,
// so the analyzer can key a module by its identity whatever the cwd was. `address` lies in the module.
size_t modulePath(const char* reported, uint64_t address, char* out, size_t capacity) noexcept {
    if (!reported || !*reported) {
        // thread-self: /proc/self names an exited leader after main's pthread_exit, which has no exe.
        ssize_t length = readlink("/proc/thread-self/exe", out, capacity - 1);
        if (length <= 0) return 0;
        out[length] = '\0';
        return static_cast<size_t>(length);
    }
    if (std::strncmp(reported, "linux-vdso", 10) == 0 || std::strncmp(reported, "linux-gate", 10) == 0) {
        std::memcpy(out, "[vdso]", 7);
        return 6;
    }
    if (reported[0] != '/' && !sandboxed()) {  // a seccomp filter may forbid the open (dlclose after one)
        if (size_t length = mappedFilePath(address, out, capacity)) return length;
    }
    size_t length = std::strlen(reported);
    if (length >= capacity) length = capacity - 1;
    std::memcpy(out, reported, length);
    out[length] = '\0';
    return length;
}

// What the module's file is now (ModuleFileRecord), so the analyzer can tell whether the file at the
// path is still this one when it reads the snapshot. One raw stat: no allocation, no fd kept, and none
// at all under a seccomp filter, which may kill the process for a system call it did not expect (the
// fingerprint is then unknown, as it is for the vDSO and for a path that is not absolute). The main
// program is stat'ed through /proc/thread-self/exe, which names the mapped file even if its path was
// replaced since the exec.
void takeFileFingerprint(bool main_program, const char* path, snapshot::ModuleFileRecord& file) noexcept {
    file = snapshot::ModuleFileRecord{};
    if (sandboxed() || (!main_program && path[0] != '/')) return;
    struct stat status {};
    const int saved_errno = errno;  // refresh() runs inside the program's dlclose
    const bool failed = syscall(SYS_newfstatat, AT_FDCWD, main_program ? "/proc/thread-self/exe" : path, &status, 0) != 0;
    file.error = failed ? static_cast<uint32_t>(errno) : 0;
    errno = saved_errno;
    if (failed) return;
    file.status = uint32_t(snapshot::ModuleFileStatus::Recorded);
    file.size = static_cast<uint64_t>(status.st_size);
    file.mtime_ns = int64_t(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    file.device = static_cast<uint64_t>(status.st_dev);
    file.inode = static_cast<uint64_t>(status.st_ino);
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
    uint64_t first_segment = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; ++i)
        if (info->dlpi_phdr[i].p_type == PT_LOAD) {
            first_segment = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            break;
        }
    char path[4096];
    size_t path_length = modulePath(info->dlpi_name, first_segment, path, sizeof(path));
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
    const bool main_program = !info->dlpi_name || !*info->dlpi_name;
    if (std::strcmp(path, "[vdso]") != 0) takeFileFingerprint(main_program, path, module.file);
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
    // The files, in the same order (version 3): a section of its own, so the Modules layout is version 1's.
    if (!sink.endSection() || !sink.beginSection(snapshot::SectionType::ModuleFiles, sizeof(snapshot::ModuleFileRecord)))
        return false;
    for (size_t i = 0; i < gModuleCount; ++i)
        if (!sink.appendRecord(&gModules[i].file)) return false;
    return sink.endSection();
}

void releaseLockOwnedHere() noexcept { gLock.releaseIfOwnedHere(); }
void lockForFork() noexcept { gLock.lock(); }
void unlockAfterFork() noexcept { gLock.unlock(); }

}  // namespace leakscope::preload::module_map
