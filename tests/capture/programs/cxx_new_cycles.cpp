// Allocates through C++ operator new/delete for 12 cycles. Built twice: linked with -ljemalloc (whose
// libjemalloc.so.2 defines the operator new/delete family itself) and with libstdc++ only (whose
// operator new calls malloc).
//   new_leak  leak_new leaks one 40-byte object per cycle; churn allocates and deletes through every
//             form (array, nothrow, align_val_t, sized and aligned deletes) and catches the
//             std::bad_alloc of an impossible request.
//   fixed     the same, leak_new's object deleted too.
// Prints one line per cycle; exits 3 when an operator answers something else than assumed.
#include <leakscope/leakscope.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

struct Forty {
    char bytes[40];
};
struct alignas(64) Aligned {
    char bytes[64];
};

Forty* volatile sink;

void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "cxx_new_cycles: unexpected: %s\n", what);
        std::exit(3);
    }
}

__attribute__((noinline)) void churn() {
    char* array = new char[100];
    Forty* nothrow_object = new (std::nothrow) Forty;
    char* nothrow_array = new (std::nothrow) char[30];
    Aligned* aligned = new Aligned;  // align_val_t new; sized aligned delete
    Aligned* aligned_array = new Aligned[3];
    void* raw_aligned = ::operator new(48, std::align_val_t{128}, std::nothrow);
    expect(nothrow_object && nothrow_array && raw_aligned, "a nothrow new failed");
    expect(reinterpret_cast<uintptr_t>(aligned) % 64 == 0, "new of an alignas(64) type is not aligned");
    expect(reinterpret_cast<uintptr_t>(raw_aligned) % 128 == 0, "align_val_t{128} not honoured");
    std::memset(array, 1, 100);
    delete[] array;
    ::operator delete(nothrow_object, sizeof(Forty));  // sized delete
    ::operator delete[](nothrow_array, std::nothrow);
    delete aligned;
    delete[] aligned_array;
    ::operator delete(raw_aligned, std::align_val_t{128}, std::nothrow);
    bool caught = false;
    volatile size_t impossible = SIZE_MAX / 2;  // volatile: a run-time request the compiler cannot refuse
    try {
        char* never = new char[impossible];
        delete[] never;
    } catch (const std::bad_alloc&) {
        caught = true;
    }
    expect(caught, "an impossible new did not throw std::bad_alloc");
    expect(new (std::nothrow) char[impossible] == nullptr, "an impossible nothrow new did not return NULL");
}

}  // namespace

// extern "C": the report names it leak_new, without namespace or parameters.
extern "C" __attribute__((noinline)) void leak_new(bool fixed) {
    Forty* object = new Forty;
    std::memset(object->bytes, 2, sizeof object->bytes);
    sink = object;
    if (fixed) delete object;
}

int main(int argc, char** argv) {
    const bool fixed = argc > 1 && std::strcmp(argv[1], "fixed") == 0;
    if (argc < 2 || (!fixed && std::strcmp(argv[1], "new_leak") != 0)) {
        std::fprintf(stderr, "usage: cxx_new_cycles new_leak|fixed\n");
        return 2;
    }
    for (int cycle = 0; cycle < 12; ++cycle) {
        churn();
        leak_new(fixed);
        leakscope_snapshot("cycle");
        std::printf("cycle %d\n", cycle);
    }
    return 0;
}
