#include "core/FrameTrimmer.h"

#include <fnmatch.h>

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

// The C and C++ runtimes' own modules (name prefixes): a frame in them is never the program's call.
constexpr std::array<std::string_view, 8> kRuntimeModules = {"libc.so", "libc-",   "ld-linux", "libstdc++.so",
                                                             "libgcc_s.so", "libm.so", "libnss_", "libresolv"};

// Name of a C library function as a caller spells it: "__GI___strdup" / "___asprintf" -> "strdup" / "asprintf".
std::string libcPublicName(std::string name) {
    if (startsWith(name, "__GI_")) name.erase(0, 5);
    size_t underscores = name.find_first_not_of('_');
    if (underscores != std::string::npos) name.erase(0, underscores);
    return name;
}

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

namespace {

// The leading allocator frames of `size` frames, 0 when every frame is one (nothing else would be left).
template <typename FrameAt>
size_t leadingAllocatorFrames(size_t size, FrameAt at) {
    size_t first = 0;
    while (first < size && isAllocatorFrame(at(first))) ++first;
    return first == size ? 0 : first;
}

}  // namespace

SymbolizedStack trimAllocatorFrames(SymbolizedStack stack) {
    size_t first = leadingAllocatorFrames(stack.size(), [&](size_t i) -> const SymbolizedFrame& { return stack[i]; });
    if (first != 0) stack.erase(stack.begin(), stack.begin() + long(first));
    return stack;
}

size_t allocatorFramesToTrim(const std::vector<const SymbolizedFrame*>& stack) {
    return leadingAllocatorFrames(stack.size(), [&](size_t i) -> const SymbolizedFrame& { return *stack[i]; });
}

bool isRuntimeModule(std::string_view module) {
    return std::any_of(kRuntimeModules.begin(), kRuntimeModules.end(), [&](std::string_view runtime) { return startsWith(module, runtime); });
}

bool isRuntimeFrame(const SymbolizedFrame& frame) {
    if (isRuntimeModule(frame.module)) return true;
    std::string name = shortFunctionName(frame.function);  // without a template's return type
    return startsWith(name, "std::") || startsWith(name, "__gnu_cxx::") || startsWith(name, "__cxxabiv1::");
}

namespace {

bool isSkippedInHeadline(const SymbolizedFrame& frame, const HeadlineRules& rules) {
    if (isRuntimeFrame(frame) || isAllocatorFrame(frame)) return true;
    if (rules.wrappers.count({frame.module, frame.function})) return true;
    std::string bare = frame.function.substr(0, frame.function.find('('));
    for (const auto& pattern : rules.alloc_fns)
        if (fnmatch(pattern.c_str(), bare.c_str(), 0) == 0 || fnmatch(pattern.c_str(), frame.function.c_str(), 0) == 0)
            return true;
    return false;
}

}  // namespace

size_t callerOfWrappers(const SymbolizedStack& stack, const HeadlineRules& rules) {
    size_t first = 0;
    while (first < stack.size() && isSkippedInHeadline(stack[first], rules)) ++first;
    return first == stack.size() ? 0 : first;
}

size_t headlineFrame(const SymbolizedStack& stack, const HeadlineRules& rules) {
    size_t first = callerOfWrappers(stack, rules);
    if (first >= stack.size()) return 0;
    if (!rules.system_modules.count(stack[first].module)) return first;
    // Inside an installed library: its caller outside the installed libraries is the program's call.
    for (size_t i = first + 1; i < stack.size(); ++i)
        if (!stack[i].module.empty() && !rules.system_modules.count(stack[i].module) && !isRuntimeFrame(stack[i])) return i;
    return first;
}

std::string shortFunctionName(const std::string& function) {
    std::string out;
    int depth = 0;
    for (size_t i = 0; i < function.size(); ++i) {
        char c = function[i];
        // "operator<", "operator<<", "operator()", "operator->": part of the name, not a bracket.
        if (depth == 0 && function.compare(i, 8, "operator") == 0) {
            size_t end = i + 8;
            if (function.compare(end, 2, "()") == 0) {
                end += 2;
            } else {
                while (end < function.size() && std::string_view("<>=[]-!+*/%&|^~,").find(function[end]) != std::string_view::npos)
                    ++end;
            }
            out.append(function, i, end - i);
            i = end - 1;
            continue;
        }
        if (c == '<') {
            if (depth++ == 0) out += "<…>";
        } else if (c == '>') {
            if (depth > 0) --depth;
        } else if (c == '(' && depth == 0) {
            // A parameter list ends the name; "(anonymous namespace)" does not.
            if (function.compare(i, 21, "(anonymous namespace)") == 0) {
                out += "(anonymous namespace)";
                i += 20;
                continue;
            }
            break;
        } else if (depth == 0) {
            out += c;
        }
    }
    // A function template's demangled name starts with its return type: "void std::vector<…>::f".
    if (auto space = out.rfind(' '); space != std::string::npos && out.find("operator") == std::string::npos &&
                                      out.find("(anonymous namespace)") == std::string::npos)
        out.erase(0, space + 1);
    return out.empty() ? function : out;
}

std::string headlineText(const SymbolizedStack& stack, size_t headline_frame) {
    if (stack.empty()) return "";
    headline_frame = std::min(headline_frame, stack.size() - 1);
    std::string caller = shortFunctionName(stack[headline_frame].function);
    if (headline_frame == 0) return caller;
    // The program called through the preload's entry (its dlopen entry, a hook): name what the
    // program asked for, the function the entry went on to ("main → dlopen"), not the tool.
    size_t callee_frame = headline_frame - 1;
    while (callee_frame > 0 && startsWith(stack[callee_frame].module, "libleakscope")) --callee_frame;
    const SymbolizedFrame& callee = stack[callee_frame];
    std::string name = shortFunctionName(callee.function);
    if (isLibc(callee.module)) name = libcPublicName(name);
    return caller + " → " + name;
}

}  // namespace leakscope::analyzer
