// Memory for the reachability scan: plain mmap'd arrays. The scan runs inside the traced program (and
// in a clone of it that shares no lock with it), where malloc may not be called: a lock of the
// program's allocator may be held by a thread that does not exist in the clone.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

// Linux 5.14's value, for C libraries whose headers predate it (the kernel then answers EINVAL and the
// pages fault in as they are written).
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace leakscope::preload::reachability {

// An array of `count` zeroed T, private (the default) or shared with a child process (MAP_SHARED:
// what the scanning clone writes, its parent reads). MAP_NORESERVE: only touched pages cost memory,
// and the kernel never merges it with a mapping of the program (a different vm flag). `populate`
// (MAP_POPULATE) for arrays that will be written whole: one system call instead of a page fault per
// page, which on a virtual machine is most of the cost of filling them.
template <typename T>
class MappedArray {
public:
    MappedArray() noexcept = default;
    ~MappedArray() { release(); }
    MappedArray(const MappedArray&) = delete;
    MappedArray& operator=(const MappedArray&) = delete;

    bool allocate(size_t count, bool shared = false, bool populate = false) noexcept {
        release();
        if (count == 0) count = 1;
        bytes_ = count * sizeof(T);
        // A private array that will be written whole and spans huge pages is asked for them before
        // it is populated: the cost of the scan's own memory is per page mapped (a fault, and on a
        // virtual machine with shadow page tables an exit to the host per page first touched), and a
        // 2 MiB page is one where 4 KiB pages are 512. A hint: where transparent huge pages are off
        // the array gets small pages.
        const bool huge = populate && !shared && bytes_ >= kHugePage;
        void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                            (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE |
                                (populate && !huge ? MAP_POPULATE : 0),
                            -1, 0);
        if (memory == MAP_FAILED) {
            bytes_ = 0;
            return false;
        }
        if (huge) {
            madvise(memory, bytes_, MADV_HUGEPAGE);
            madvise(memory, bytes_, MADV_POPULATE_WRITE);  // Linux 5.14; before it, faults as it is written
        }
        data_ = static_cast<T*>(memory);
        count_ = count;
        return true;
    }
    void release() noexcept {
        if (data_) munmap(data_, bytes_);
        data_ = nullptr;
        count_ = bytes_ = 0;
    }
    T* data() const noexcept { return data_; }
    size_t size() const noexcept { return count_; }
    T& operator[](size_t index) const noexcept { return data_[index]; }

private:
    static constexpr size_t kHugePage = size_t{2} << 20;
    T* data_ = nullptr;
    size_t count_ = 0;
    size_t bytes_ = 0;
};

// A half-open address range [begin, end).
struct AddressRange {
    uint64_t begin;
    uint64_t end;
};

}  // namespace leakscope::preload::reachability
