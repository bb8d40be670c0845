// Saves errno and puts it back at the end of the scope, so the program sees exactly what the real
// function set, whatever the recording did to errno in between. Used by every hook.
#pragma once

#include <cerrno>

namespace leakscope::preload {

class ErrnoKeeper {
public:
    ErrnoKeeper() noexcept : saved_(errno) {}
    ~ErrnoKeeper() { errno = saved_; }
    ErrnoKeeper(const ErrnoKeeper&) = delete;
    ErrnoKeeper& operator=(const ErrnoKeeper&) = delete;
    int saved() const noexcept { return saved_; }

private:
    int saved_;
};

}  // namespace leakscope::preload
