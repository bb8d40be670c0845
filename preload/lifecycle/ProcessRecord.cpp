// The process record: see ProcessRecord.h.
#include "lifecycle/ProcessRecord.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "leakscope/SnapshotWriter.h"
#include "lifecycle/Config.h"
#include "lifecycle/PathText.h"
#include "snapshot/UserSwitchDirectory.h"
#include "tracker/ErrnoKeeper.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload::process_record {
namespace {

constexpr char kExecRecordVariable[] = "LEAKSCOPE_EXEC_RECORD=";
constexpr size_t kPathCapacity = sizeof(Config::output_dir) + 128;

// The record's path and where its name starts in it. Written by one thread at a time: the
// constructor and the fork child run alone; a user switch and an exec race only with each other, and
// a program doing both at once on two threads gets a record that may say either.
char gPath[kPathCapacity];
size_t gNameOffset = 0;
char gComm[33] = "";  // the command name, sanitised, kept for the records of forked children
unsigned gStartEuid = 0;
char gExecEntry[sizeof(kExecRecordVariable) + kPathCapacity];
StartState gStartState = StartState::Tracked;
// The errno the record's name holds (nowrite<E>), 0 for none.
int gNotedWriteError = 0;
// Why the output directory could not be had at this image's start ("" when it could).
char gDirectoryProblem[512] = "";

// What gPath names: nothing, the `.proc-` record, the `.exec-` one; or nothing because the record was
// removed for an exec whose next image is not followed (given back if that exec fails).
enum State : int { kNone, kLive, kExecuted, kRemovedForExec };
std::atomic<int> gState{kNone};

// The command name as a file name part: [A-Za-z0-9._] kept, anything else '_' ('-' separates fields).
void rememberComm(const char* argv0) noexcept {
    const char* base = argv0;
    for (const char* p = argv0; *p; ++p)
        if (*p == '/') base = p + 1;
    size_t length = 0;
    for (; base[length] && length + 1 < sizeof(gComm); ++length) {
        const char c = base[length];
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
        gComm[length] = allowed ? c : '_';
    }
    gComm[length] = '\0';
    if (length == 0) std::memcpy(gComm, "unknown", 8);
}

// "<dir>/.proc-<pid>-<start_ns>-<euid>-<state>-<comm>" into `out`; false when it does not fit.
bool composePath(char* out, const char* directory, const char* prefix, const char* state, size_t& name_offset) noexcept {
    size_t used = 0;
    out[0] = '\0';
    if (!appendText(out, kPathCapacity, used, directory) || !appendText(out, kPathCapacity, used, "/")) return false;
    name_offset = used;
    return appendText(out, kPathCapacity, used, prefix) && appendDecimal(out, kPathCapacity, used, trackedPid()) &&
           appendText(out, kPathCapacity, used, "-") && appendDecimal(out, kPathCapacity, used, processStartNs()) &&
           appendText(out, kPathCapacity, used, "-") && appendDecimal(out, kPathCapacity, used, gStartEuid) &&
           appendText(out, kPathCapacity, used, "-") && appendText(out, kPathCapacity, used, state) &&
           appendText(out, kPathCapacity, used, "-") && appendText(out, kPathCapacity, used, gComm);
}

// The same record under another prefix ("exec" <-> "proc"): both are 5 characters.
void swapPrefix(char* path, const char* prefix) noexcept { std::memcpy(path + gNameOffset, prefix, 5); }

// An empty file, made without an fd where possible (mknodat). Under an inherited seccomp filter only
// openat + close: the loader's own calls, which the filter let through to load this library.
bool makeEmptyFile(const char* path, bool under_filter) noexcept {
    if (!under_filter) return syscall(SYS_mknodat, AT_FDCWD, path, S_IFREG | 0600, 0) == 0;
    const long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    syscall(SYS_close, fd);
    return true;
}

const char* stateWord(StartState state) noexcept {
    switch (state) {
        case StartState::Tracked: return "tracked";
        case StartState::Sandboxed: return "sandboxed";
        case StartState::SandboxTracked: return "sandboxtracked";
    }
    return "tracked";
}

}  // namespace

void create(StartState state, const char* argv0) noexcept {
    ErrnoKeeper keep_errno;
    gState.store(kNone, std::memory_order_relaxed);
    gNotedWriteError = 0;  // a new record (a forked child's too) names its own errors
    gStartState = state;
    const bool under_filter = state == StartState::Sandboxed;
    const char* directory = config().output_dir;
    char switched[64];
    if (argv0) {
        rememberComm(argv0);
        gStartEuid = config().starting_euid;
        // Made (mkdir -p) and checked as a snapshot would (owner, no symlink). Not under a filter: its
        // mkdir, lstat and access are calls of the tool's choosing; there only an existing directory
        // (`leakscope run` makes it before the program starts) gets the record.
        // Said now, while fd 2 is surely the stderr the process started with; at its first snapshot it
        // may be closed (echo closes it before exit) and the process would end without a word.
        gDirectoryProblem[0] = '\0';
        if (!under_filter && !snapshot::prepareOutputDirectory(directory, gDirectoryProblem, sizeof(gDirectoryProblem))) {
            warnSnapshotNotWritten(gDirectoryProblem, "", 0);
            return;
        }
        gDirectoryProblem[0] = '\0';
    } else {
        // Nowhere to put it; the child says so at its first snapshot (a child that execs at once would
        // say it twice: its next image says it at its own start).
        if (gDirectoryProblem[0]) return;
        // A forked child: its parent's directory was checked at the parent's start. A parent that switched
        // user with the hooks' help writes into its `uid-<N>` directory, and so does the child.
        gStartEuid = static_cast<unsigned>(geteuid());
        if (switchedUserDirectory(switched, sizeof(switched))) directory = switched;
    }
    size_t offset = 0;
    if (!composePath(gPath, directory, ".proc-", stateWord(state), offset)) return;
    gNameOffset = offset;
    if (makeEmptyFile(gPath, under_filter)) gState.store(kLive, std::memory_order_release);
}

void createInForkChild() noexcept {
    if (sandboxed()) return;  // the parent installed a filter: no call of the tool's choosing
    create(gStartState, nullptr);
}

void settle() noexcept {
    int expected = kLive;
    if (!gState.compare_exchange_strong(expected, kNone, std::memory_order_acq_rel)) return;
    ErrnoKeeper keep_errno;
    syscall(SYS_unlinkat, AT_FDCWD, gPath, 0);
}

namespace {

// Whether this image's record may be renamed now: it is live, this is the process's own image (not a
// vfork child), and no seccomp filter is in place (no call of the tool's choosing under one).
bool mayRename() noexcept {
    return gState.load(std::memory_order_acquire) == kLive && !sandboxed() &&
           static_cast<uint64_t>(getpid()) == trackedPid();
}

// The live record renamed to `prefix` + `number` as its state (uid<N>, nowrite<E>); false when it could
// not be (the name stays what it was). Call after mayRename().
bool renameState(const char* prefix, uint64_t number) noexcept {
    char state[32] = "";
    size_t used = 0;
    char renamed[kPathCapacity];
    size_t offset = 0;
    char directory[kPathCapacity];
    std::memcpy(directory, gPath, gNameOffset - 1);
    directory[gNameOffset - 1] = '\0';
    if (!appendText(state, sizeof(state), used, prefix) || !appendDecimal(state, sizeof(state), used, number) ||
        !composePath(renamed, directory, ".proc-", state, offset))
        return false;
    if (syscall(SYS_renameat, AT_FDCWD, gPath, AT_FDCWD, renamed) != 0) return false;
    std::memcpy(gPath, renamed, sizeof(gPath));
    return true;
}

}  // namespace

void noteUserSwitch(uid_t new_euid) noexcept {
    if (new_euid == static_cast<uid_t>(-1) || !mayRename()) return;
    ErrnoKeeper keep_errno;
    if (new_euid == geteuid()) return;
    if (renameState("uid", new_euid)) gNotedWriteError = 0;
}

void noteWriteError(int error) noexcept {
    // Said already: no rename per snapshot, only when the error changes.
    if (error <= 0 || error == gNotedWriteError || !mayRename()) return;
    ErrnoKeeper keep_errno;
    if (renameState("nowrite", static_cast<uint64_t>(error))) gNotedWriteError = error;
}

void beforeExec() noexcept {
    if (static_cast<uint64_t>(getpid()) != trackedPid()) return;  // a vfork child: the record is its parent's
    if (sandboxed()) return;  // no call of the tool's choosing under a filter (its record is settled)
    int expected = kLive;
    if (!gState.compare_exchange_strong(expected, kExecuted, std::memory_order_acq_rel)) return;
    ErrnoKeeper keep_errno;
    char executed[kPathCapacity];
    std::memcpy(executed, gPath, sizeof(executed));
    swapPrefix(executed, ".exec");
    if (!config().follow_exec || syscall(SYS_renameat, AT_FDCWD, gPath, AT_FDCWD, executed) != 0) {
        // Not following (the next image is left alone on request), or the rename failed: no record.
        syscall(SYS_unlinkat, AT_FDCWD, gPath, 0);
        gState.store(kRemovedForExec, std::memory_order_release);
        gExecEntry[0] = '\0';
        return;
    }
    swapPrefix(gPath, ".exec");
    size_t used = 0;
    gExecEntry[0] = '\0';
    if (!appendText(gExecEntry, sizeof(gExecEntry), used, kExecRecordVariable) ||
        !appendText(gExecEntry, sizeof(gExecEntry), used, gPath))
        gExecEntry[0] = '\0';
}

void execFailed() noexcept {
    if (static_cast<uint64_t>(getpid()) != trackedPid()) return;
    ErrnoKeeper keep_errno;
    gExecEntry[0] = '\0';
    int expected = kExecuted;
    if (gState.compare_exchange_strong(expected, kLive, std::memory_order_acq_rel)) {
        char live[kPathCapacity];
        std::memcpy(live, gPath, sizeof(live));
        swapPrefix(live, ".proc");
        if (syscall(SYS_renameat, AT_FDCWD, gPath, AT_FDCWD, live) == 0) {
            swapPrefix(gPath, ".proc");
        } else {
            gState.store(kNone, std::memory_order_release);
        }
        return;
    }
    // Removed before the exec (not following); the process goes on, so it gets its record back.
    if (expected == kRemovedForExec && gState.compare_exchange_strong(expected, kNone, std::memory_order_acq_rel) &&
        makeEmptyFile(gPath, false))
        gState.store(kLive, std::memory_order_release);
}

void settlePredecessor(const char* record_path) noexcept {
    // Only a record of this very pid, and only an `.exec-` one: the value comes from the environment.
    const char* name = std::strrchr(record_path, '/');
    name = name ? name + 1 : record_path;
    char prefix[32];
    size_t used = 0;
    if (!appendText(prefix, sizeof(prefix), used, ".exec-") || !appendDecimal(prefix, sizeof(prefix), used, trackedPid()) ||
        !appendText(prefix, sizeof(prefix), used, "-") || std::strncmp(name, prefix, used) != 0)
        return;
    ErrnoKeeper keep_errno;
    syscall(SYS_unlinkat, AT_FDCWD, record_path, 0);
}

const char* predecessorEntry() noexcept {
    return gState.load(std::memory_order_acquire) == kExecuted ? gExecEntry : "";
}

}  // namespace leakscope::preload::process_record
