// The leakscope snapshot file format: the one contract between the preload (which writes snapshots
// from inside the target) and the analyzer (which reads them offline).
//
// Everything here is plain-old-data with fixed sizes, little-endian, naturally aligned, so the writer
// can emit records with write(2) and no allocation, and the reader can validate every byte it uses.
// docs/snapshot-format.md explains the format; any change to a layout here bumps kFormatVersion.
//
// File layout:
//   FileHeader                      (kFileHeaderSize bytes)
//   { SectionHeader, payload }*     (FileHeader::section_count times, in any order)
//   Trailer                         (kTrailerSize bytes)
//
// Strings (paths, labels of handles, /proc targets) live once in the Strings section and are referred to
// by StringRef {offset, length} into that section's payload.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::snapshot {

inline constexpr char kMagic[8] = {'L', 'K', 'S', 'N', 'A', 'P', '\r', '\n'};
inline constexpr char kTrailerMagic[8] = {'L', 'K', 'S', 'E', 'N', 'D', '\r', '\n'};
// Version 2 added the Reachability section and the two reachability counters, version 3 the ModuleFiles
// section (docs/snapshot-format.md, "Versions"); a reader still reads the older versions, which lack them.
inline constexpr uint32_t kFormatVersion = 3;
inline constexpr uint32_t kOldestReadableVersion = 1;
inline constexpr size_t kLabelCapacity = 64;     // bytes, NUL-padded; longer labels are cut
inline constexpr size_t kMaxStackDepth = 256;    // frames per stack, the hard cap of the format
inline constexpr size_t kBuildIdCapacity = 40;   // bytes; GNU build-ids are 20 (sha1) today

// Why the snapshot was taken.
enum class Trigger : uint32_t {
    Api = 1,       // leakscope_snapshot(label) from the program
    External = 2,  // `leakscope snap PID [LABEL]`
    Interval = 3,  // LEAKSCOPE_INTERVAL_MS
    Exit = 4,      // exit(), return from main, _exit
    Crash = 5,     // the process is about to die of a signal (SIGSEGV, SIGBUS, SIGABRT, SIGTERM...)
    Sandbox = 6,   // just before the program installed a seccomp filter: the last snapshot that is
                   // safe to write, no exit snapshot follows (docs/snapshot-format.md, "Sandboxes")
};

struct FileHeader {
    char magic[8];                  // kMagic
    uint32_t version;               // kFormatVersion
    uint32_t header_size;           // sizeof(FileHeader); a version-1 reader requires exactly that
    uint32_t section_count;         // sections between the header and the trailer
    uint32_t trigger;               // Trigger
    uint64_t pid;
    uint64_t ppid;
    uint64_t realtime_ns;           // CLOCK_REALTIME when the snapshot was taken
    uint64_t monotonic_ns;          // CLOCK_MONOTONIC when the snapshot was taken
    uint64_t process_start_ns;      // CLOCK_MONOTONIC when the preload initialised in this process
    uint64_t sequence;              // the next sequence number at the snapshot: every record with seq < this existed
    uint32_t snapshot_index;        // 0, 1, 2 ... within this process
    uint32_t stack_depth_limit;     // LEAKSCOPE_DEPTH in force
    char label[kLabelCapacity];     // NUL-padded
    char executable[128];           // /proc/self/exe at the snapshot, NUL-padded (cut if longer)
    uint32_t header_crc32;          // CRC-32 (IEEE) of this struct with this field zero
    uint32_t reserved;
};
static_assert(sizeof(FileHeader) == 280, "FileHeader layout is part of the format");

enum class SectionType : uint32_t {
    Counters = 1,     // exactly one Counters record
    Modules = 2,      // ModuleRecord[]
    Stacks = 3,       // variable: StackRecordHeader followed by depth uint64_t frames, repeated
    Allocations = 4,  // AllocationRecord[]
    Handles = 5,      // HandleRecord[]
    Events = 6,       // EventRecord[]
    Strings = 7,      // raw bytes referenced by StringRef
    Reachability = 8, // version 2: one byte (Reachability) per Allocations record, same order
    ModuleFiles = 9,  // version 3: one ModuleFileRecord per Modules record, same order
};
inline constexpr uint32_t kLastSectionType = uint32_t(SectionType::ModuleFiles);

struct SectionHeader {
    uint32_t type;          // SectionType; each at most once, Counters and Strings always present;
                            // a type this version does not define is corruption (new types need a new version)
    uint32_t record_size;   // size of one fixed record, 0 for the variable-length Stacks and Strings
    uint64_t count;         // records in the payload (bytes for Strings)
    uint64_t payload_size;  // bytes of payload that follow this header
    uint32_t payload_crc32; // CRC-32 (IEEE) of the payload
    uint32_t reserved;      // 0 (checked: no checksum covers a section header, so nothing may go unchecked)
};
static_assert(sizeof(SectionHeader) == 32, "SectionHeader layout is part of the format");

struct Trailer {
    char magic[8];            // kTrailerMagic
    uint64_t file_size;       // total bytes including this trailer
    uint32_t section_count;   // repeats FileHeader::section_count
    uint32_t reserved;        // 0 (checked)
};
static_assert(sizeof(Trailer) == 24, "Trailer layout is part of the format");

struct StringRef {
    uint32_t offset;  // into the Strings payload
    uint32_t length;  // bytes, no NUL
};

// Cumulative since the preload initialised in this process (a forked child starts from its parent's).
struct Counters {
    uint64_t allocations;            // successful allocating calls (malloc, calloc, new, the realloc that moved or grew from NULL...)
    uint64_t frees;                  // frees of tracked blocks
    uint64_t reallocations;          // realloc calls on a tracked block
    uint64_t bytes_allocated;        // total requested bytes
    uint64_t bytes_freed;
    uint64_t live_allocations;
    uint64_t live_bytes;
    uint64_t peak_live_bytes;
    uint64_t handles_opened;
    uint64_t handles_closed;
    uint64_t live_handles;
    uint64_t bad_frees;              // free/realloc of a pointer never handed out
    uint64_t bad_closes;             // close of an fd >= 0 held before that failed with EBADF, and double closes
    uint64_t failed_allocations;     // the real allocator returned NULL
    uint64_t injected_failures;      // NULL returned by fault injection
    uint64_t events_dropped;         // events counted but not stored (event store full)
    uint64_t stacks;                 // distinct stacks in the stack table
    uint64_t stack_table_full;       // captures that could not be stored (stack id 0 used)
    uint64_t untracked_handles;      // fds open in /proc/self/fd that no hook saw
    uint64_t reachability_status;    // ReachabilityStatus of this snapshot (version 2; 0 in version 1)
    uint64_t reachability_scan_ns;   // wall time the reachability scan took, 0 when it did not run
    // New in version 3 (reserved and written zero before): older files read 0 here.
    uint64_t invalid_fd_closes;      // close of a negative fd (EventKind::InvalidFdClose)
    uint64_t unopened_fd_closes;     // EBADF close of an fd this process was never seen to hold (EventKind::UnopenedFdClose)
    uint64_t snapshot_requests_merged;  // snapshot requests (leakscope_snapshot() from a signal handler, `leakscope
                                        // snap`) that arrived while one was pending and were merged into it
};
static_assert(sizeof(Counters) == 192, "Counters layout is part of the format");

static_assert(offsetof(Counters, reachability_status) == 152 && offsetof(Counters, reachability_scan_ns) == 160);
static_assert(offsetof(Counters, invalid_fd_closes) == 168 && offsetof(Counters, unopened_fd_closes) == 176);
static_assert(offsetof(Counters, snapshot_requests_merged) == 184);

// Counters::reachability_status: whether this snapshot's live blocks were classified.
enum class ReachabilityStatus : uint64_t {
    NotAttempted = 0,  // the scan is off for this snapshot (docs/configuration.md, LEAKSCOPE_REACHABILITY)
    Classified = 1,    // the Reachability section is present and holds a class for every allocation
    Skipped = 2,       // the scan would not finish within its time/size budget: written without classes
    Failed = 3,        // the scan could not run (e.g. a seccomp sandbox forbids clone): written without classes
};
inline constexpr uint64_t kLastReachabilityStatus = uint64_t(ReachabilityStatus::Failed);

// "not attempted", "classified", "skipped", "failed" ("unknown" out of range).
constexpr const char* reachabilityStatusName(uint64_t status) {
    switch (status) {
        case uint64_t(ReachabilityStatus::NotAttempted): return "not attempted";
        case uint64_t(ReachabilityStatus::Classified): return "classified";
        case uint64_t(ReachabilityStatus::Skipped): return "skipped";
        case uint64_t(ReachabilityStatus::Failed): return "failed";
    }
    return "unknown";
}

// The class of one live block at the snapshot, as valgrind memcheck's leak checker defines them
// (valgrind manual, "Memory leak detection"); one byte per Allocations record in the Reachability section.
enum class Reachability : uint8_t {
    NotClassified = 0,   // e.g. allocated after the scan's image was taken
    DefinitelyLost = 1,  // no pointer to its start or interior from a root or a reachable block
    IndirectlyLost = 2,  // pointed to only from lost blocks (e.g. the children of a lost tree root)
    PossiblyLost = 3,    // reached only through pointers into its interior, none to its start
    StillReachable = 4,  // a pointer to its start is reachable from a root
};
inline constexpr uint8_t kLastReachability = uint8_t(Reachability::StillReachable);

// The field-standard names, shared by every report: "definitely lost", "indirectly lost", "possibly
// lost", "still reachable", "not classified" (also for a value out of range).
constexpr const char* reachabilityName(Reachability reachability) {
    switch (reachability) {
        case Reachability::NotClassified: return "not classified";
        case Reachability::DefinitelyLost: return "definitely lost";
        case Reachability::IndirectlyLost: return "indirectly lost";
        case Reachability::PossiblyLost: return "possibly lost";
        case Reachability::StillReachable: return "still reachable";
    }
    return "not classified";
}

struct ModuleRecord {
    uint64_t load_bias;      // dlpi_addr: runtime address = file vaddr + load_bias
    uint64_t start;          // lowest runtime address of its PT_LOAD segments
    uint64_t end;            // one past the highest
    uint64_t unloaded_sequence;  // 0 while loaded; else the sequence number when it was seen gone
    StringRef path;          // absolute path ("" for the main program as dl_iterate_phdr reports it is
                             // replaced by /proc/self/exe), "[vdso]" for the vDSO
    uint32_t build_id_size;  // 0 when the module has no NT_GNU_BUILD_ID
    uint8_t build_id[kBuildIdCapacity];
    uint32_t reserved;
};
static_assert(sizeof(ModuleRecord) == 88, "ModuleRecord layout is part of the format");

// ModuleFileRecord::status.
enum class ModuleFileStatus : uint32_t {
    Unknown = 0,   // not taken: no file ([vdso]), no absolute path, a failed stat (`error` says why), a sandbox
    Recorded = 1,  // size, mtime_ns, device and inode are the file's
};
inline constexpr uint32_t kLastModuleFileStatus = uint32_t(ModuleFileStatus::Recorded);

// Version 3: the file a module was loaded from, as stat(2) described it when the preload first saw the
// module (at start for the program and its DT_NEEDED libraries, else at the first snapshot or dlclose
// after the dlopen). Taken once, never per snapshot. The analyzer compares it with the file at the path
// now, so a program rebuilt in place without a build-id is not symbolized with the new file's symbols.
struct ModuleFileRecord {
    uint64_t size;        // st_size, bytes
    int64_t mtime_ns;     // st_mtim as nanoseconds since the epoch
    uint64_t device;      // st_dev
    uint64_t inode;       // st_ino
    uint32_t status;      // ModuleFileStatus; the four fields above are 0 unless Recorded
    uint32_t error;       // Unknown: the errno of the failed stat (0 when none was attempted)
    uint64_t reserved[2]; // 0
};
static_assert(sizeof(ModuleFileRecord) == 56, "ModuleFileRecord layout is part of the format (a size no other record has)");

struct StackRecordHeader {
    uint32_t id;        // > 0; id 0 means "no stack" everywhere
    uint16_t depth;     // frames that follow (<= kMaxStackDepth)
    uint16_t flags;     // StackFlags
};
static_assert(sizeof(StackRecordHeader) == 8);

enum StackFlags : uint16_t {
    kStackTruncated = 1,  // the walk hit the depth limit before the outermost frame
};
// Frames are return addresses, innermost first; frame 0 too (the return address of the program's
// call into the interposed function). Every reader looks up the call, one byte before
// (leakscope/ReturnAddress.h: callSiteOf), never the address itself.

struct AllocationRecord {
    uint64_t address;
    uint64_t size;       // bytes requested
    uint64_t sequence;   // unique in the process; ordered across threads at snapshots (docs/snapshot-format.md)
    uint32_t stack_id;
    uint32_t thread_id;  // kernel tid of the allocating thread
};
static_assert(sizeof(AllocationRecord) == 32);

enum class HandleKind : uint16_t {
    Unknown = 0,
    File = 1,        // open/openat/creat/fopen...: path and flags
    Socket = 2,      // domain/type/protocol
    PipeRead = 3,
    PipeWrite = 4,
    EventFd = 5,
    Epoll = 6,
    TimerFd = 7,
    SignalFd = 8,
    Inotify = 9,
    MemFd = 10,      // path holds the memfd name
    Directory = 11,  // opendir/fdopendir
    Duplicate = 12,  // dup/dup2/dup3/F_DUPFD of another fd: detail_a is the source fd, path its /proc target
};

enum HandleFlags : uint16_t {
    kHandleInherited = 1,     // open when the preload started (or inherited across fork/exec): a baseline
    kHandleUntracked = 2,     // found in /proc/self/fd but no hook saw it open
    kHandleCloexec = 4,
    kHandleStdio = 8,         // opened through a FILE* (fopen, fdopen) or DIR* (opendir)
    kHandleAccepted = 16,     // socket from accept/accept4
    kHandleSocketPair = 32,
};

struct HandleRecord {
    int32_t fd;
    uint16_t kind;        // HandleKind
    uint16_t flags;       // HandleFlags
    uint64_t sequence;
    uint32_t stack_id;    // 0 for inherited and untracked handles
    uint32_t thread_id;
    int32_t detail_a;     // socket: domain; file: open flags; eventfd/timerfd/...: flags; dup: source fd
    int32_t detail_b;     // socket: type (without SOCK_CLOEXEC/NONBLOCK); file: mode; pipe: peer fd
    int32_t detail_c;     // socket: protocol
    uint32_t reserved;
    StringRef path;       // file path, memfd name, or the /proc/self/fd link target for untracked handles
};
static_assert(sizeof(HandleRecord) == 48);

enum class EventKind : uint16_t {
    BadFree = 1,          // free/realloc of a pointer the tracker never handed out; value = pointer
    BadClose = 2,         // close() of an fd >= 0 failed with EBADF, the fd seen held before; value = fd (0.1.0 wrote close(-1) and never-held fds as this too)
    DoubleClose = 3,      // close() of an fd this process already closed and nobody reopened; value = fd
    FailedAllocation = 4, // the real allocator returned NULL; size = request
    InjectedFailure = 5,  // fault injection returned NULL; size = request
    InvalidFdClose = 6,   // close() of a negative fd (dash's close(-1)): closes nothing; value = fd
    // close() of an fd >= 0 that failed with EBADF and that this process was never seen to hold (not
    // open at start, never opened, not closed before: a daemon's "close every fd" sweep). One record
    // per stack: value = the first such fd, size = how many closes of this stack the record stands for.
    UnopenedFdClose = 7,
};

struct EventRecord {
    uint16_t kind;        // EventKind
    uint16_t reserved0;
    uint32_t stack_id;
    uint64_t sequence;    // when it happened
    uint64_t value;       // pointer or fd (as int64)
    uint64_t size;        // allocation request, if any
    uint32_t thread_id;
    uint32_t reserved1;
};
static_assert(sizeof(EventRecord) == 40);

}  // namespace leakscope::snapshot
