#include "HangReport.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "ProcessRunner.h"

namespace leakscope::testing {
namespace {

// The whole of a small /proc file without its last newline; `ok` false when it cannot be read (the
// task ended meanwhile, or the kernel refuses: some of these files check permission at read time, and
// then read nothing). None of them is empty when readable.
std::string readProcFile(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\0')) value.pop_back();
    ok = !value.empty();
    return value;
}

struct TaskStat {
    std::string name;  // comm, between the parentheses (it may hold spaces and parentheses itself)
    char state = '?';
    pid_t parent = 0;
};

// "PID (comm) S PPID ...": the name ends at the last ')'.
bool parseStat(const std::string& text, TaskStat& stat) {
    const auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open || close + 2 >= text.size())
        return false;
    stat.name = text.substr(open + 1, close - open - 1);
    std::istringstream rest(text.substr(close + 2));
    long parent = 0;
    rest >> stat.state >> parent;
    stat.parent = static_cast<pid_t>(parent);
    return static_cast<bool>(rest);
}

std::vector<long> numericEntries(const std::string& directory) {
    std::vector<long> entries;
    if (DIR* listing = opendir(directory.c_str())) {
        while (const dirent* entry = readdir(listing)) {
            char* end = nullptr;
            const long value = std::strtol(entry->d_name, &end, 10);
            if (value > 0 && end && *end == '\0') entries.push_back(value);
        }
        closedir(listing);
    }
    return entries;
}

const char* stateName(char state) {
    switch (state) {
        case 'R': return "running";
        case 'S': return "sleeping";
        case 'D': return "uninterruptible";
        case 'Z': return "zombie";
        case 'T': return "stopped";
        case 't': return "tracing stop";
        case 'X': return "dead";
        case 'I': return "idle";
        case 'P': return "parked";
        default: return "?";
    }
}

// Names of the system calls a waiting thread is usually found in; others show as their number.
std::string syscallName(long number) {
    static const std::map<long, const char*> names = {
        {SYS_read, "read"}, {SYS_write, "write"}, {SYS_futex, "futex"}, {SYS_wait4, "wait4"},
        {SYS_waitid, "waitid"}, {SYS_nanosleep, "nanosleep"}, {SYS_clock_nanosleep, "clock_nanosleep"},
        {SYS_ppoll, "ppoll"}, {SYS_pselect6, "pselect6"}, {SYS_epoll_pwait, "epoll_pwait"},
        {SYS_rt_sigtimedwait, "rt_sigtimedwait"}, {SYS_rt_sigsuspend, "rt_sigsuspend"},
        {SYS_sched_yield, "sched_yield"}, {SYS_exit_group, "exit_group"}, {SYS_exit, "exit"},
        {SYS_clone, "clone"}, {SYS_openat, "openat"}, {SYS_close, "close"}, {SYS_mmap, "mmap"},
        {SYS_munmap, "munmap"}, {SYS_renameat, "renameat"}, {SYS_getdents64, "getdents64"},
#ifdef SYS_poll
        {SYS_poll, "poll"},
#endif
#ifdef SYS_select
        {SYS_select, "select"},
#endif
#ifdef SYS_pause
        {SYS_pause, "pause"},
#endif
#ifdef SYS_epoll_wait
        {SYS_epoll_wait, "epoll_wait"},
#endif
#ifdef SYS_rename
        {SYS_rename, "rename"},
#endif
    };
    const auto found = names.find(number);
    return found == names.end() ? "#" + std::to_string(number) : found->second;
}

// "futex (202 0x7f... ...)" from /proc/.../syscall's "202 0x7f... ...", or the text as it is
// ("running"; "-1 SP PC" outside a system call).
std::string describeSyscall(const std::string& text) {
    char* end = nullptr;
    const long number = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() || number < 0) return text;
    return syscallName(number) + " (" + text + ")";
}

void describeThreads(pid_t pid, std::ostringstream& report) {
    const std::string base = "/proc/" + std::to_string(pid);
    bool ok = false;
    TaskStat process;
    const std::string stat_text = readProcFile(base + "/stat", ok);
    if (!ok || !parseStat(stat_text, process)) {
        report << "process " << pid << ": gone (no /proc entry)\n";
        return;
    }
    report << "process " << pid << " (" << process.name << "), parent " << process.parent << ", state "
           << process.state << " (" << stateName(process.state) << ")\n";
    for (const long tid : numericEntries(base + "/task")) {
        const std::string task = base + "/task/" + std::to_string(tid);
        TaskStat thread;
        const std::string thread_stat = readProcFile(task + "/stat", ok);
        if (!ok || !parseStat(thread_stat, thread)) {
            report << "  thread " << tid << ": gone\n";
            continue;
        }
        bool wchan_ok = false, syscall_ok = false;
        const std::string wchan = readProcFile(task + "/wchan", wchan_ok);
        const std::string syscall_text = readProcFile(task + "/syscall", syscall_ok);
        report << "  thread " << tid << " " << thread.name << "  state " << thread.state << " ("
               << stateName(thread.state) << ")  wchan " << (wchan_ok ? wchan : "(unreadable)") << "  syscall "
               << (syscall_ok ? describeSyscall(syscall_text) : "(unreadable)") << "\n";
    }
}

// gdb attaches to a live thread: a zombie thread-group leader (main returned through pthread_exit, or
// it is exiting while other threads hang on) cannot be attached to, the others can.
pid_t attachableThread(pid_t pid) {
    const std::string base = "/proc/" + std::to_string(pid) + "/task/";
    for (const long tid : numericEntries(base)) {
        bool ok = false;
        TaskStat thread;
        if (parseStat(readProcFile(base + std::to_string(tid) + "/stat", ok), thread) && thread.state != 'Z' &&
            thread.state != 'X')
            return static_cast<pid_t>(tid);
    }
    return 0;
}

void appendBacktraces(pid_t pid, std::chrono::seconds timeout, std::ostringstream& report) {
    const pid_t target = attachableThread(pid);
    if (target == 0) {
        report << "gdb -p " << pid << ": no live thread to attach to\n";
        return;
    }
    ProcessOptions options;
    options.timeout = timeout;
    options.describe_hang = false;        // a gdb that hangs itself is only reported as such
    options.unset_env = {"DEBUGINFOD_URLS"};  // no network lookups of debug info
    ProcessResult gdb;
    try {
        gdb = runProcess({"gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off", "-ex", "thread apply all bt",
                          "-p", std::to_string(target)},
                         options);
    } catch (const std::runtime_error&) {
        report << "gdb: not installed (backtraces need it)\n";
        return;
    }
    constexpr size_t kMaxBytes = 30000;  // a thread-heavy process: its first threads are enough
    std::string text = gdb.out.empty() ? gdb.err : gdb.out;
    if (text.size() > kMaxBytes) text = text.substr(0, kMaxBytes) + "\n... (cut)\n";
    report << "gdb -p " << target << " -batch -ex 'thread apply all bt'"
           << (gdb.timed_out ? " (gdb itself timed out)" : "") << ":\n"
           << text << (text.empty() || text.back() != '\n' ? "\n" : "");
}

}  // namespace

std::vector<pid_t> processDescendants(pid_t pid) {
    std::multimap<pid_t, pid_t> children;
    for (const long entry : numericEntries("/proc")) {
        bool ok = false;
        TaskStat stat;
        if (parseStat(readProcFile("/proc/" + std::to_string(entry) + "/stat", ok), stat))
            children.emplace(stat.parent, static_cast<pid_t>(entry));
    }
    std::vector<pid_t> found;
    std::vector<pid_t> parents = {pid};
    for (size_t next = 0; next < parents.size(); ++next) {
        const auto [first, last] = children.equal_range(parents[next]);
        for (auto child = first; child != last; ++child) {
            found.push_back(child->second);
            parents.push_back(child->second);
        }
    }
    return found;
}

std::vector<pid_t> processesHoldingPipes(const std::vector<ino_t>& pipe_inodes) {
    std::vector<std::string> names;
    for (const ino_t inode : pipe_inodes) names.push_back("pipe:[" + std::to_string(inode) + "]");
    std::vector<pid_t> holders;
    for (const long process : numericEntries("/proc")) {
        const std::string fd_directory = "/proc/" + std::to_string(process) + "/fd/";
        bool holds = false;
        for (const long fd : numericEntries(fd_directory)) {
            char target[64];
            const ssize_t length = readlink((fd_directory + std::to_string(fd)).c_str(), target, sizeof target);
            if (length <= 0) continue;
            const std::string link(target, static_cast<size_t>(length));
            for (const std::string& name : names) holds = holds || link == name;
        }
        if (holds) holders.push_back(static_cast<pid_t>(process));
    }
    return holders;
}

std::string describeHungProcess(pid_t pid, const std::vector<ino_t>& output_pipes, std::chrono::seconds gdb_timeout,
                                size_t max_backtraces) {
    std::vector<pid_t> processes = {pid};
    for (const pid_t descendant : processDescendants(pid)) processes.push_back(descendant);
    std::ostringstream report;
    for (const pid_t process : processes) describeThreads(process, report);
    if (!output_pipes.empty()) {
        for (const pid_t holder : processesHoldingPipes(output_pipes)) {
            if (holder == getpid() || std::find(processes.begin(), processes.end(), holder) != processes.end()) continue;
            report << "holds the program's stdout/stderr pipe:\n";
            describeThreads(holder, report);
            processes.push_back(holder);
        }
    }
    for (size_t i = 0; i < processes.size() && i < max_backtraces; ++i) appendBacktraces(processes[i], gdb_timeout, report);
    if (processes.size() > max_backtraces)
        report << "(no backtraces of the other " << processes.size() - max_backtraces << " processes)\n";
    return report.str();
}

}  // namespace leakscope::testing
