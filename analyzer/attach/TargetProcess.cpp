// /proc and ELF reading for `leakscope attach` (see TargetProcess.h).
#include "attach/TargetProcess.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace leakscope::analyzer::attach {
namespace {

namespace fs = std::filesystem;

std::string procPath(pid_t pid, const std::string& rest) { return "/proc/" + std::to_string(pid) + rest; }

// Reads `size` bytes at `offset`; false on a short read.
bool readAt(int fd, void* buffer, size_t size, uint64_t offset) {
    return ::pread(fd, buffer, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

// A file of the process, opened in the process's own root.
int openInProcessRoot(pid_t pid, const std::string& path) {
    int fd = ::open((procPath(pid, "/root") + path).c_str(), O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

struct ElfFile {
    Elf64_Ehdr header{};
    std::vector<Elf64_Phdr> segments;
    bool valid = false;
};

ElfFile readElf(int fd) {
    ElfFile elf;
    unsigned char ident[EI_NIDENT];
    if (!readAt(fd, ident, sizeof(ident), 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) return elf;
    if (ident[EI_CLASS] != ELFCLASS64) {
        elf.header.e_ident[EI_CLASS] = ident[EI_CLASS];
        return elf;
    }
    if (!readAt(fd, &elf.header, sizeof(elf.header), 0)) return elf;
    elf.segments.resize(elf.header.e_phnum);
    for (size_t i = 0; i < elf.segments.size(); ++i)
        if (!readAt(fd, &elf.segments[i], sizeof(Elf64_Phdr), elf.header.e_phoff + i * elf.header.e_phentsize)) return elf;
    elf.valid = true;
    return elf;
}

// /proc/PID/maps lines: address range, offset and path of each file mapping.
struct Mapping {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t offset = 0;
    std::string path;
};

std::vector<Mapping> mappingsOf(pid_t pid) {
    std::vector<Mapping> mappings;
    std::ifstream maps(procPath(pid, "/maps"));
    std::string line;
    while (std::getline(maps, line)) {
        std::istringstream fields(line);
        std::string range, permissions, offset, device, inode, path;
        fields >> range >> permissions >> offset >> device >> inode;
        std::getline(fields >> std::ws, path);
        if (path.empty() || path[0] != '/') continue;
        Mapping mapping;
        mapping.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
        mapping.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
        mapping.offset = std::stoull(offset, nullptr, 16);
        mapping.path = path;
        mappings.push_back(mapping);
    }
    return mappings;
}


// A thread of the process other than a zombie or dead one (its main thread may be either).
bool hasLiveThread(pid_t pid) {
    std::error_code ec;
    for (fs::directory_iterator it(procPath(pid, "/task"), ec), end; !ec && it != end; it.increment(ec)) {
        std::vector<std::string> fields = statFields(firstLineOf((it->path() / "stat").string()));
        if (!fields.empty() && fields[0] != "Z" && fields[0] != "X") return true;
    }
    return false;
}

}  // namespace

std::optional<MappedFile> findMappedFile(pid_t pid, const std::string& file_prefix) {
    for (const Mapping& mapping : mappingsOf(pid)) {
        if (mapping.offset != 0 || fs::path(mapping.path).filename().string().rfind(file_prefix, 0) != 0) continue;
        int fd = openInProcessRoot(pid, mapping.path);
        if (fd < 0) continue;
        ElfFile elf = readElf(fd);
        ::close(fd);
        if (!elf.valid) continue;
        uint64_t first_load = 0;
        for (const Elf64_Phdr& segment : elf.segments)
            if (segment.p_type == PT_LOAD) {
                first_load = segment.p_vaddr & ~uint64_t{0xfff};
                break;
            }
        return MappedFile{mapping.path, mapping.start - first_load};
    }
    return std::nullopt;
}

std::vector<std::pair<uint64_t, uint64_t>> mappedRanges(pid_t pid, const std::string& file_prefix) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const Mapping& mapping : mappingsOf(pid))
        if (fs::path(mapping.path).filename().string().rfind(file_prefix, 0) == 0)
            ranges.emplace_back(mapping.start, mapping.end);
    return ranges;
}

uint64_t functionAddress(pid_t pid, const MappedFile& file, const std::string& name) {
    int fd = openInProcessRoot(pid, file.path);
    if (fd < 0) return 0;
    uint64_t address = 0;
    Elf64_Ehdr header{};
    if (readAt(fd, &header, sizeof(header), 0)) {
        std::vector<Elf64_Shdr> sections(header.e_shnum);
        bool ok = true;
        for (size_t i = 0; ok && i < sections.size(); ++i)
            ok = readAt(fd, &sections[i], sizeof(Elf64_Shdr), header.e_shoff + i * header.e_shentsize);
        for (size_t i = 0; ok && address == 0 && i < sections.size(); ++i) {
            const Elf64_Shdr& symbols = sections[i];
            if (symbols.sh_type != SHT_DYNSYM || symbols.sh_link >= sections.size()) continue;
            const Elf64_Shdr& strings = sections[symbols.sh_link];
            std::vector<char> names(strings.sh_size + 1, '\0');
            if (!readAt(fd, names.data(), strings.sh_size, strings.sh_offset)) break;
            for (uint64_t at = 0; at + sizeof(Elf64_Sym) <= symbols.sh_size; at += sizeof(Elf64_Sym)) {
                Elf64_Sym symbol{};
                if (!readAt(fd, &symbol, sizeof(symbol), symbols.sh_offset + at)) break;
                if (ELF64_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_shndx == SHN_UNDEF ||
                    symbol.st_name >= strings.sh_size || name != &names[symbol.st_name])
                    continue;
                address = file.bias + symbol.st_value;
                break;
            }
        }
    }
    ::close(fd);
    return address;
}

std::string unattachableReason(pid_t pid) {
    std::string id = std::to_string(pid);
    struct stat status {};
    if (::stat(procPath(pid, "").c_str(), &status) != 0) return "no such process " + id;
    // The state letter of /proc/PID/stat (proc(5)): a process that cannot run cannot make the calls the
    // attach injects, and would only be left with a half-made attach (a stopped one, found by a new user).
    switch (processState(pid)) {
        case 'Z':
        case 'X':
            // The state is the main thread's: after a pthread_exit from main the process runs on in its
            // other threads (ps: "Zl"), but its memory map, read through the main thread, is gone.
            if (hasLiveThread(pid))
                return "process " + id + " runs on without its main thread (it called pthread_exit), whose memory "
                       "map attach reads: not supported; `leakscope run` tracks such a program from its start";
            return "process " + id + " has exited (a zombie its parent has not reaped): nothing to attach to";
        case 'T': return "process " + id + " is stopped (SIGSTOP or job control): resume it with `kill -CONT " + id + "` first";
        case 't': return "process " + id + " is stopped by a debugger (tracing stop): detach the debugger first";
        default: break;
    }
    int fd = ::open(procPath(pid, "/exe").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ElfFile elf = readElf(fd);
        ::close(fd);
        if (elf.header.e_ident[EI_CLASS] == ELFCLASS32)
            return "process " + id + " is a 32-bit program; leakscope attach supports 64-bit x86-64 processes only";
        if (elf.valid && elf.header.e_machine != EM_X86_64)
            return "process " + id + " is not an x86-64 program; leakscope attach supports 64-bit x86-64 processes only";
    }
    // Not readable (another user's process): the ptrace attach names the reason.
    std::vector<Mapping> mappings = mappingsOf(pid);
    if (mappings.empty()) return "";
    bool libc = false, preload = false;
    for (const Mapping& mapping : mappings) {
        std::string name = fs::path(mapping.path).filename().string();
        libc = libc || name.rfind("libc.so", 0) == 0;
        preload = preload || name == "libleakscope.so";
    }
    if (!libc)
        return "process " + id + " is statically linked (no libc.so mapped): there is no dynamic linking to "
               "redirect; build it dynamically to attach";
    if (preload) return "process " + id + " already runs under the preload: use `leakscope snap " + id + "`";
    return "";
}

bool inInterruptibleWait(pid_t pid, pid_t thread) {
    std::string line = firstLineOf(procPath(pid, "/task/" + std::to_string(thread) + "/syscall"));
    if (line.empty() || line == "running" || line[0] == '-') return false;
    long number = std::atol(line.c_str());
    // Linux returns EINTR from these when the thread is stopped by a tracer, even without a handler:
    // epoll_wait, epoll_pwait, epoll_pwait2, rt_sigtimedwait, semop, semtimedop, io_getevents.
    static constexpr long kInterrupted[] = {232, 281, 441, 128, 65, 220, 208};
    return std::find(std::begin(kInterrupted), std::end(kInterrupted), number) != std::end(kInterrupted);
}

std::vector<pid_t> threadsByPreference(pid_t pid) {
    // 0: blocked in a system call that the kernel restarts after the stop (read, poll, nanosleep,
    // accept, ...): a safe point at once; the thread is in the kernel, so it holds no allocator or loader
    // lock of its own making, and the program never sees the stop. 1: running or runnable in user space:
    // let go to its next system call, which a working thread soon makes. 2: blocked in a call that would
    // return EINTR (epoll_wait: event loops retry it): a safe point at once, the program sees one EINTR.
    // 3: in futex (a lock or condition-variable wait, maybe holding another lock): an idle
    // pthread_cond_wait never reaches a safe point, and each such thread tried costs the full 1 s
    // (redis-server's bio_* threads, tried before its event loop, made its attach take 5 s). The main
    // thread first within a rank; never the tool's own thread.
    constexpr long kFutex = 202;
    std::vector<std::pair<int, pid_t>> ranked;
    std::error_code ec;
    for (fs::directory_iterator it(procPath(pid, "/task"), ec), end; !ec && it != end; it.increment(ec)) {
        pid_t thread = static_cast<pid_t>(std::atol(it->path().filename().c_str()));
        if (thread <= 0 || firstLineOf((it->path() / "comm").string()) == "leakscope") continue;
        // "running" (on a CPU now), "-1 sp pc" (in user space), or "<number> <arguments> sp pc".
        std::string line = firstLineOf((it->path() / "syscall").string());
        int rank = 1;
        if (!line.empty() && line != "running" && line[0] != '-')
            rank = std::atol(line.c_str()) == kFutex ? 3 : inInterruptibleWait(pid, thread) ? 2 : 0;
        // Woken from its futex wait and runnable (state R): it leaves the wait on its own, as a running one.
        if (rank == 3) {
            std::vector<std::string> state = statFields(firstLineOf((it->path() / "stat").string()));
            if (!state.empty() && state[0] == "R") rank = 1;
        }
        ranked.emplace_back(rank * 2 + (thread == pid ? 0 : 1), thread);
    }
    std::sort(ranked.begin(), ranked.end());
    std::vector<pid_t> threads;
    for (const auto& [rank, thread] : ranked) threads.push_back(thread);
    return threads;
}

long processUid(pid_t pid) {
    struct stat status {};
    return ::stat(procPath(pid, "").c_str(), &status) == 0 ? static_cast<long>(status.st_uid) : -1;
}

std::vector<std::string> statFields(const std::string& line) {
    // The name (field 2) is in parentheses and may hold spaces and ')' itself ("a) R (b"): the fields
    // proper start after the last ')'.
    std::vector<std::string> fields;
    size_t close = line.rfind(')');
    if (close == std::string::npos) return fields;
    std::istringstream rest(line.substr(close + 1));
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}

char processState(pid_t pid) {
    std::vector<std::string> fields = statFields(firstLineOf(procPath(pid, "/stat")));
    return fields.empty() ? '?' : fields[0][0];
}

uint64_t processStartTicks(pid_t pid) {
    constexpr size_t kStartTime = 22 - 3;  // field 22 of proc(5), counted from field 3 (the state)
    std::vector<std::string> fields = statFields(firstLineOf(procPath(pid, "/stat")));
    return fields.size() > kStartTime ? std::strtoull(fields[kStartTime].c_str(), nullptr, 10) : 0;
}

std::string firstLineOf(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string processName(pid_t pid) { return firstLineOf(procPath(pid, "/comm")); }

}  // namespace leakscope::analyzer::attach
