// Streams one snapshot file (format: snapshot_format.h) without allocating through malloc: the
// preload calls it from inside hooked programs, signal-deferred paths and exit handlers.
//
// Usage: open() -> { beginSection() -> appendRecord()/appendBytes()... -> endSection() }* ->
// commit(). Strings added with addString() at any time are written as the last section by commit().
// The file is created as "<dir>/.tmp-<final name>" (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600)
// and renamed to "<dir>/<final name>" by commit(); any failure leaves no file behind.
//
// Memory: one 64 KiB write buffer and a growable strings buffer, both mmap'd, released by the
// destructor. Every call returns false (or an empty StringRef) after the first failure; failure()
// then names what went wrong and lastErrno() says why.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::snapshot {

// Creates `directory` (and missing parents) with mode 0700 and checks that it is safe to write into:
// a real directory (not a symlink) owned by the effective user. On failure writes one human-readable
// reason into `why` (NUL-terminated, cut to why_size) and returns false.
bool prepareOutputDirectory(const char* directory, char* why, size_t why_size) noexcept;

// "<realtime_ns:020>-<pid>-<index:06>-<label>.lksnap" with the label sanitised to [A-Za-z0-9._-].
// Returns false when `out_size` is too small.
bool formatSnapshotFileName(char* out, size_t out_size, uint64_t realtime_ns, uint64_t pid, uint32_t index,
                            const char* label) noexcept;

// Who owns the writer's fd number besides the writer (the preload's fd registry). Without one the
// writer keeps the number open() gave it. With one: adopt() receives the fd right after it is opened and
// returns a token (it may move the fd and register it); current(token) gives the number to use for each
// write (it may change while the file is written); release(token) forgets the number and returns it,
// and the writer closes it only afterwards, so nobody ever takes a reused number for the writer's.
struct FdOwner {
    int (*adopt)(int fd) noexcept;
    int (*current)(int token) noexcept;
    int (*release)(int token) noexcept;
};

class SnapshotWriter {
public:
    SnapshotWriter() noexcept = default;
    explicit SnapshotWriter(const FdOwner* owner) noexcept : owner_(owner) {}
    ~SnapshotWriter();
    SnapshotWriter(const SnapshotWriter&) = delete;
    SnapshotWriter& operator=(const SnapshotWriter&) = delete;

    // Creates the temporary file and reserves room for `header` (whose section_count, header_size,
    // magic, version and crc are filled in by commit()).
    bool open(const char* directory, const char* final_name, const FileHeader& header) noexcept;

    // Starts a section; record_size 0 means variable-length records (Stacks, Strings).
    bool beginSection(SectionType type, uint32_t record_size) noexcept;
    // Appends one fixed-size record (record_size bytes) and counts it.
    bool appendRecord(const void* record) noexcept;
    // Appends raw payload bytes; `records` is added to the section's count (variable-length sections).
    bool appendBytes(const void* data, size_t size, uint64_t records) noexcept;
    // Finishes the section: patches its header with count, payload size and CRC.
    bool endSection() noexcept;

    // Stores bytes in the Strings section; {0,0} for an empty string or after a failure.
    StringRef addString(const char* text, size_t length) noexcept;

    // Writes the Strings section, the trailer and the final header, then renames the file into place.
    bool commit() noexcept;
    // Removes the temporary file (called by the destructor when commit() did not succeed).
    void abandon() noexcept;

    // The number the file has now (-1 when it is not open).
    int fd() const noexcept;
    bool failed() const noexcept { return failure_ != nullptr; }
    const char* failure() const noexcept { return failure_ ? failure_ : "no error"; }
    int lastErrno() const noexcept { return errno_; }
    const char* path() const noexcept { return final_path_; }

private:
    bool fail(const char* what) noexcept;
    bool flush() noexcept;
    bool writeAt(uint64_t offset, const void* data, size_t size) noexcept;
    // Forgets the fd (through the owner first) and closes it; the close's result.
    int closeFile() noexcept;

    static constexpr size_t kBufferSize = 64 * 1024;
    static constexpr size_t kPathCapacity = 4096;

    const FdOwner* owner_ = nullptr;
    int fd_ = -1;     // without an owner: the fd; with one: the owner's token (-1: not open)
    bool committed_ = false;
    const char* failure_ = nullptr;
    int errno_ = 0;

    FileHeader header_{};
    uint8_t* buffer_ = nullptr;   // pending bytes not yet written
    size_t buffered_ = 0;
    uint64_t file_offset_ = 0;    // bytes written or buffered so far

    char* strings_ = nullptr;     // Strings payload, mmap'd, grown with mremap
    size_t strings_size_ = 0;
    size_t strings_capacity_ = 0;

    bool in_section_ = false;
    SectionHeader section_{};
    uint64_t section_offset_ = 0;  // where the open section's header sits
    uint32_t section_count_ = 0;

    char temp_path_[kPathCapacity] = {};
    char final_path_[kPathCapacity] = {};
};

}  // namespace leakscope::snapshot
