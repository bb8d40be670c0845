#include "SyntheticRun.h"

#include <elf.h>
#include <link.h>

#include <climits>
#include <cstring>
#include <filesystem>

namespace leakscope::testing {

extern "C" __attribute__((noinline, used)) void synthetic_leaky_function() { asm volatile(""); }
extern "C" __attribute__((noinline, used)) void synthetic_cache_function() { asm volatile(""); }
extern "C" __attribute__((noinline, used)) void synthetic_socket_opener() { asm volatile(""); }

namespace {

int collectMainModule(dl_phdr_info* info, size_t, void* data) {
    auto* module = static_cast<SelfModule*>(data);
    if (info->dlpi_name && info->dlpi_name[0]) return 0;  // "" is the main program
    module->load_bias = info->dlpi_addr;
    module->start = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& header = info->dlpi_phdr[i];
        uint64_t begin = info->dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_LOAD) {
            module->start = std::min(module->start, begin);
            module->end = std::max(module->end, begin + header.p_memsz);
        }
        if (header.p_type != PT_NOTE) continue;
        const char* note = reinterpret_cast<const char*>(begin);
        const char* notes_end = note + header.p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= notes_end) {
            auto* nhdr = reinterpret_cast<const ElfW(Nhdr)*>(note);
            const char* name = note + sizeof(ElfW(Nhdr));
            const char* desc = name + ((nhdr->n_namesz + 3) & ~3u);
            if (nhdr->n_type == NT_GNU_BUILD_ID && nhdr->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0)
                module->build_id.assign(desc, nhdr->n_descsz);
            note = desc + ((nhdr->n_descsz + 3) & ~3u);
        }
    }
    return 1;
}

uint64_t addressOf(void (*function)()) { return reinterpret_cast<uint64_t>(function); }

}  // namespace

SelfModule selfModule() {
    SelfModule module;
    dl_iterate_phdr(collectMainModule, &module);
    module.path = std::filesystem::read_symlink("/proc/self/exe").string();
    return module;
}

SnapshotBuilder syntheticSnapshot(uint64_t pid, const std::string& label, uint64_t sequence, uint32_t index) {
    SelfModule self = selfModule();
    SnapshotBuilder builder(pid, label, sequence);
    builder.index(index).executable(self.path);
    builder.module(self.path, self.load_bias, self.start, self.end, self.build_id);
    // Every frame is a return address (leakscope/ReturnAddress.h), frame 0 too: one byte into the function.
    builder.stack(1, {addressOf(synthetic_leaky_function) + 1, addressOf(synthetic_cache_function) + 1});
    builder.stack(2, {addressOf(synthetic_cache_function) + 1});
    builder.stack(3, {addressOf(synthetic_socket_opener) + 1});
    return builder;
}

std::vector<std::string> writeLeakySeries(const std::string& dir, uint64_t pid, int cycles, bool leak_socket) {
    std::vector<std::string> files;
    for (int cycle = 0; cycle <= cycles; ++cycle) {
        bool is_exit = cycle == cycles;
        auto builder = syntheticSnapshot(pid, is_exit ? "exit" : "cycle", 1000 * uint64_t(cycle + 1), uint32_t(cycle));
        // Block b was allocated during cycle b/3, so its sequence lies between that cycle's snapshots.
        for (int block = 0; block < 3 * (cycle + 1); ++block)
            builder.allocation(0x10000 + 0x100 * uint64_t(block), 128, 1000 * uint64_t(block / 3) + 1 + uint64_t(block), 1);
        for (int entry = 0; entry < 5; ++entry) builder.allocation(0x90000 + 0x100 * uint64_t(entry), 1000, 2 + uint64_t(entry), 2);
        if (leak_socket)
            for (int fd = 0; fd <= cycle; ++fd) builder.handle(10 + fd, snapshot::HandleKind::Socket, 500 + uint64_t(fd), 3, 0, "", 2, 2, 0);
        builder.handle(0, snapshot::HandleKind::Unknown, 0, 0, snapshot::kHandleInherited);
        if (is_exit) builder.event(snapshot::EventKind::InvalidFdClose, 900, 3, uint64_t(-1));  // the lost socket's close(-1)
        files.push_back(builder.writeTo(dir));
    }
    return files;
}

}  // namespace leakscope::testing
