// 100,000 C++ throw/catch through a few frames. Exceptions unwind with the _Unwind_* ABI from
// libgcc_s; a preload that puts another unwinder's _Unwind_* symbols in the global scope changes which
// one runs (and can make each throw 100x slower). The output must be identical with and without it.
#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

__attribute__((noinline)) int mayThrow(int i) {
    if (i % 3 != 2) throw std::runtime_error("failure " + std::to_string(i));
    return i;
}

__attribute__((noinline)) int middle(int i) {
    std::string context = "context";  // a destructor that must run during unwinding
    return mayThrow(i) + static_cast<int>(context.size());
}

}  // namespace

int main() {
    const int kThrows = 100000;
    long caught = 0, message_bytes = 0, returned = 0;
    for (int i = 0; caught < kThrows; ++i) {
        try {
            returned += middle(i);
        } catch (const std::runtime_error& error) {
            ++caught;
            message_bytes += static_cast<long>(std::string(error.what()).size());
        }
    }
    std::printf("caught %ld exceptions, %ld message bytes, returned %ld\n", caught, message_bytes, returned);
    return 0;
}
