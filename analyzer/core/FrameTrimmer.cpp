#include "core/FrameTrimmer.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace leakscope::analyzer {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Name without a parameter list: "operator new(unsigned long)" -> "operator new".
std::string_view bareName(std::string_view function) {
    if (startsWith(function, "operator new") || startsWith(function, "operator delete")) return function.substr(0, function.find('('));
    return function.substr(0, function.find('('));
}

constexpr std::array<std::string_view, 15> kAllocatorFunctions = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", "aligned_alloc", "memalign",
    "valloc", "pvalloc", "__libc_malloc", "__libc_calloc", "__libc_realloc", "__libc_memalign", "operator new"};

// libc entry points that create handles or allocate on the caller's behalf: when malloc is called from
// inside them, the program's call to them is the interesting frame.
constexpr std::array<std::string_view, 27> kLibcWrappers = {
    "socket", "socketpair", "accept", "accept4", "open", "open64", "openat", "openat64", "creat", "fopen",
    "fopen64", "fdopen", "freopen", "opendir", "fdopendir", "pipe", "pipe2", "dup", "dup2", "dup3", "eventfd",
    "epoll_create", "epoll_create1", "timerfd_create", "signalfd", "inotify_init", "memfd_create"};

constexpr std::array<std::string_view, 8> kAllocatorPrefixes = {
    "operator new", "std::__new_allocator", "__gnu_cxx::new_allocator", "std::allocator<", "std::allocator_traits<",
    "__gnu_cxx::__alloc_traits", "std::__allocated_ptr", "_IO_"};

bool isLibc(std::string_view module) { return startsWith(module, "libc.so") || startsWith(module, "libc-"); }

}  // namespace

bool isAllocatorFrame(const SymbolizedFrame& frame) {
    if (startsWith(frame.module, "libleakscope")) return true;
    std::string_view name = bareName(frame.function);
    if (std::find(kAllocatorFunctions.begin(), kAllocatorFunctions.end(), name) != kAllocatorFunctions.end()) return true;
    for (auto prefix : kAllocatorPrefixes)
        if (startsWith(frame.function, prefix)) return true;
    if (isLibc(frame.module)) {
        if (std::find(kLibcWrappers.begin(), kLibcWrappers.end(), name) != kLibcWrappers.end()) return true;
        if (startsWith(name, "__libc_") || startsWith(name, "__GI_") || startsWith(name, "__open") || startsWith(name, "__fopen"))
            return true;
        if (!frame.known) return true;  // an unnamed libc internal under an allocation
    }
    return false;
}

SymbolizedStack trimAllocatorFrames(SymbolizedStack stack) {
    size_t first = 0;
    while (first < stack.size() && isAllocatorFrame(stack[first])) ++first;
    if (first == 0 || first == stack.size()) return stack;
    stack.erase(stack.begin(), stack.begin() + long(first));
    return stack;
}

}  // namespace leakscope::analyzer
