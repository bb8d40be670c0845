// A C++ module that a C program dlopens with RTLD_LOCAL (as an interpreter loads an extension): its
// libstdc++ is not in the global scope behind libleakscope. Leaks one 40-byte array per call.
#include <string>

int* volatile kept;  // volatile: the leaked new[] cannot be optimised away

extern "C" __attribute__((noinline)) int module_leak() {
    kept = new int[10];
    std::string* text = new std::string(100, 'x');  // churn: new and sized delete
    const int size = static_cast<int>(text->size());
    delete text;
    return size;
}
