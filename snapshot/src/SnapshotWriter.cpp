// The snapshot writer: write(2) from an mmap'd buffer, CRC-32 per section, patched headers, temp name
// then rename. No malloc, no stdio, no exceptions: it runs inside the traced program.
#include "leakscope/SnapshotWriter.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakscope/Crc32.h"

namespace leakscope::snapshot {
namespace {

// Appends `text` to out[*used] (NUL-terminated, never past size). False when it did not fit.
bool appendText(char* out, size_t size, size_t* used, const char* text) noexcept {
    size_t length = std::strlen(text);
    if (*used + length + 1 > size) return false;
    std::memcpy(out + *used, text, length);
    *used += length;
    out[*used] = '\0';
    return true;
}

// Decimal, zero-padded to `width` digits.
bool appendNumber(char* out, size_t size, size_t* used, uint64_t value, int width) noexcept {
    char digits[24];
    int count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count < width && count < 20) digits[count++] = '0';
    char text[24];
    for (int i = 0; i < count; ++i) text[i] = digits[count - 1 - i];
    text[count] = '\0';
    return appendText(out, size, used, text);
}

bool joinPath(char* out, size_t size, const char* directory, const char* prefix, const char* name) noexcept {
    size_t used = 0;
    out[0] = '\0';
    return appendText(out, size, &used, directory) && appendText(out, size, &used, "/") &&
           appendText(out, size, &used, prefix) && appendText(out, size, &used, name);
}

void describe(char* why, size_t why_size, const char* directory, const char* problem) noexcept {
    if (why_size == 0) return;
    size_t used = 0;
    why[0] = '\0';
    appendText(why, why_size, &used, "output directory ");
    appendText(why, why_size, &used, directory);
    appendText(why, why_size, &used, " ");
    appendText(why, why_size, &used, problem);
}

}  // namespace

bool prepareOutputDirectory(const char* directory, char* why, size_t why_size) noexcept {
    char path[4096];
    size_t length = std::strlen(directory);
    if (length == 0 || length >= sizeof(path)) {
        describe(why, why_size, directory, "is empty or too long");
        return false;
    }
    std::memcpy(path, directory, length + 1);
    // mkdir -p: every missing component is created 0700 (parents included: nobody else needs them).
    for (size_t i = 1; i <= length; ++i) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            describe(why, why_size, directory, errno == EACCES ? "cannot be created (permission denied)"
                                                               : "cannot be created");
            return false;
        }
        path[i] = saved;
    }
    struct stat status {};
    if (lstat(directory, &status) != 0) {
        describe(why, why_size, directory, "cannot be inspected");
        return false;
    }
    if (S_ISLNK(status.st_mode)) {
        describe(why, why_size, directory, "is a symbolic link; refusing to write snapshots through it");
        return false;
    }
    if (!S_ISDIR(status.st_mode)) {
        describe(why, why_size, directory, "is not a directory");
        return false;
    }
    if (status.st_uid != geteuid()) {
        describe(why, why_size, directory, "is owned by another user; refusing to write snapshots into it");
        return false;
    }
    if (access(directory, W_OK | X_OK) != 0) {
        describe(why, why_size, directory, "is not writable");
        return false;
    }
    return true;
}

bool formatSnapshotFileName(char* out, size_t out_size, uint64_t realtime_ns, uint64_t pid, uint32_t index,
                            const char* label) noexcept {
    char clean[kLabelCapacity];
    size_t length = 0;
    for (; label && label[length] != '\0' && length + 1 < sizeof(clean); ++length) {
        char c = label[length];
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
        clean[length] = allowed ? c : '_';
    }
    clean[length] = '\0';
    if (length == 0) std::memcpy(clean, "snapshot", 9);
    size_t used = 0;
    out[0] = '\0';
    return appendNumber(out, out_size, &used, realtime_ns, 20) && appendText(out, out_size, &used, "-") &&
           appendNumber(out, out_size, &used, pid, 0) && appendText(out, out_size, &used, "-") &&
           appendNumber(out, out_size, &used, index, 6) && appendText(out, out_size, &used, "-") &&
           appendText(out, out_size, &used, clean) && appendText(out, out_size, &used, ".lksnap");
}

SnapshotWriter::~SnapshotWriter() {
    if (!committed_) abandon();
    if (buffer_) munmap(buffer_, kBufferSize);
    if (strings_) munmap(strings_, strings_capacity_);
}

bool SnapshotWriter::fail(const char* what) noexcept {
    if (!failure_) {
        failure_ = what;
        errno_ = errno;
    }
    return false;
}

bool SnapshotWriter::open(const char* directory, const char* final_name, const FileHeader& header) noexcept {
    if (!joinPath(temp_path_, sizeof(temp_path_), directory, ".tmp-", final_name) ||
        !joinPath(final_path_, sizeof(final_path_), directory, "", final_name)) {
        errno = ENAMETOOLONG;
        return fail("snapshot path is too long");
    }
    void* buffer = mmap(nullptr, kBufferSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buffer == MAP_FAILED) return fail("cannot map the snapshot write buffer");
    buffer_ = static_cast<uint8_t*>(buffer);
    int fd = ::open(temp_path_, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail("cannot create the snapshot file");
    fd_ = owner_ ? owner_->adopt(fd) : fd;
    if (fd_ < 0) {
        errno = EMFILE;
        return fail("cannot register the snapshot file");
    }
    header_ = header;
    // The header is rewritten by commit(); reserve its bytes now so sections follow it.
    return appendBytes(&header_, sizeof(header_), 0);
}

bool SnapshotWriter::flush() noexcept {
    size_t done = 0;
    while (done < buffered_) {
        ssize_t wrote = ::write(fd(), buffer_ + done, buffered_ - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) {
            if (wrote == 0) errno = ENOSPC;
            return fail("cannot write the snapshot file");
        }
        done += static_cast<size_t>(wrote);
    }
    buffered_ = 0;
    return true;
}

bool SnapshotWriter::writeAt(uint64_t offset, const void* data, size_t size) noexcept {
    const auto* bytes = static_cast<const uint8_t*>(data);
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = ::pwrite(fd(), bytes + done, size - done, static_cast<off_t>(offset + done));
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) {
            if (wrote == 0) errno = ENOSPC;
            return fail("cannot write the snapshot file");
        }
        done += static_cast<size_t>(wrote);
    }
    return true;
}

bool SnapshotWriter::appendBytes(const void* data, size_t size, uint64_t records) noexcept {
    if (failure_ || fd_ < 0) return false;
    const auto* bytes = static_cast<const uint8_t*>(data);
    if (in_section_) {
        section_.payload_crc32 = crc32Update(section_.payload_crc32, data, size);
        section_.payload_size += size;
        section_.count += records;
    }
    file_offset_ += size;
    while (size > 0) {
        size_t room = kBufferSize - buffered_;
        size_t take = size < room ? size : room;
        std::memcpy(buffer_ + buffered_, bytes, take);
        buffered_ += take;
        bytes += take;
        size -= take;
        if (buffered_ == kBufferSize && !flush()) return false;
    }
    return true;
}

bool SnapshotWriter::beginSection(SectionType type, uint32_t record_size) noexcept {
    if (failure_) return false;
    if (in_section_) {
        errno = EINVAL;
        return fail("a section was started inside another");
    }
    section_ = SectionHeader{};
    section_.type = static_cast<uint32_t>(type);
    section_.record_size = record_size;
    section_offset_ = file_offset_;
    if (!appendBytes(&section_, sizeof(section_), 0)) return false;  // placeholder, patched by endSection()
    in_section_ = true;
    return true;
}

bool SnapshotWriter::appendRecord(const void* record) noexcept {
    if (!in_section_ || section_.record_size == 0) {
        errno = EINVAL;
        return fail("a record was appended outside a fixed-size section");
    }
    return appendBytes(record, section_.record_size, 1);
}

bool SnapshotWriter::endSection() noexcept {
    if (!in_section_) {
        errno = EINVAL;
        return fail("a section was ended that was not started");
    }
    in_section_ = false;
    ++section_count_;
    // The header may still be in the buffer or already on disk: patch whichever holds it.
    uint64_t buffer_start = file_offset_ - buffered_;
    if (section_offset_ >= buffer_start) {
        std::memcpy(buffer_ + (section_offset_ - buffer_start), &section_, sizeof(section_));
        return !failure_;
    }
    if (!flush()) return false;
    return writeAt(section_offset_, &section_, sizeof(section_));
}

StringRef SnapshotWriter::addString(const char* text, size_t length) noexcept {
    if (failure_ || length == 0 || text == nullptr) return StringRef{0, 0};
    if (strings_size_ + length > UINT32_MAX) return StringRef{0, 0};
    if (strings_size_ + length > strings_capacity_) {
        size_t wanted = strings_capacity_ ? strings_capacity_ * 2 : 64 * 1024;
        while (wanted < strings_size_ + length) wanted *= 2;
        void* grown = strings_ ? mremap(strings_, strings_capacity_, wanted, MREMAP_MAYMOVE)
                               : mmap(nullptr, wanted, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (grown == MAP_FAILED) {
            fail("cannot grow the snapshot strings buffer");
            return StringRef{0, 0};
        }
        strings_ = static_cast<char*>(grown);
        strings_capacity_ = wanted;
    }
    std::memcpy(strings_ + strings_size_, text, length);
    StringRef ref{static_cast<uint32_t>(strings_size_), static_cast<uint32_t>(length)};
    strings_size_ += length;
    return ref;
}

bool SnapshotWriter::commit() noexcept {
    if (failure_ || fd_ < 0) return false;
    if (in_section_ && !endSection()) return false;
    if (!beginSection(SectionType::Strings, 0) || !appendBytes(strings_, strings_size_, strings_size_) ||
        !endSection())
        return false;
    Trailer trailer{};
    std::memcpy(trailer.magic, kTrailerMagic, sizeof(trailer.magic));
    trailer.section_count = section_count_;
    trailer.file_size = file_offset_ + sizeof(trailer);
    if (!appendBytes(&trailer, sizeof(trailer), 0) || !flush()) return false;

    std::memcpy(header_.magic, kMagic, sizeof(header_.magic));
    header_.version = kFormatVersion;
    header_.header_size = sizeof(FileHeader);
    header_.section_count = section_count_;
    header_.header_crc32 = 0;
    header_.reserved = 0;
    header_.header_crc32 = crc32(&header_, sizeof(header_));
    if (!writeAt(0, &header_, sizeof(header_))) return false;
    if (closeFile() != 0) return fail("cannot close the snapshot file");
    if (::rename(temp_path_, final_path_) != 0) return fail("cannot rename the snapshot file into place");
    committed_ = true;
    return true;
}

int SnapshotWriter::fd() const noexcept {
    if (fd_ < 0) return -1;
    return owner_ ? owner_->current(fd_) : fd_;
}

int SnapshotWriter::closeFile() noexcept {
    if (fd_ < 0) return 0;
    int fd = owner_ ? owner_->release(fd_) : fd_;
    fd_ = -1;
    if (fd < 0) {  // the owner gave the number up while the file was written
        errno = EBADF;
        return -1;
    }
    return ::close(fd);
}

void SnapshotWriter::abandon() noexcept {
    closeFile();
    if (temp_path_[0] != '\0' && !committed_) ::unlink(temp_path_);
    temp_path_[0] = '\0';
}

}  // namespace leakscope::snapshot
