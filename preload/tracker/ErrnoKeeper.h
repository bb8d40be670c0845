// Saves errno and puts it back at the end of the scope, so the program sees exactly what the real
// function set, whatever the recording did to errno in between. Used by every hook.
#pragma once

#include <cerrno>

namespace leakscope::preload {

// This thread's errno. glibc's errno is *__errno_location(), a call through the PLT at every use (four
// per malloc+free); the address is fixed for the life of a thread, so it is asked once per thread and
// kept in initial-exec TLS. A forked child keeps the parent thread's TLS at the same address, and the
// snapshot helper (lifecycle/FdTableCopy.h) runs on its caller's TLS: the kept address stays right.
inline int* errnoAddress() noexcept {
    static thread_local int* address __attribute__((tls_model("initial-exec"))) = nullptr;
    int* known = address;
    if (__builtin_expect(known == nullptr, 0)) address = known = &errno;
    return known;
}

class ErrnoKeeper {
public:
    ErrnoKeeper() noexcept : where_(errnoAddress()), saved_(*where_) {}
    ~ErrnoKeeper() { *where_ = saved_; }
    ErrnoKeeper(const ErrnoKeeper&) = delete;
    ErrnoKeeper& operator=(const ErrnoKeeper&) = delete;
    int saved() const noexcept { return saved_; }

private:
    int* where_;
    int saved_;
};

}  // namespace leakscope::preload
