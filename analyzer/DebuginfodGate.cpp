// The `leakscope` command's dlopen, in front of the C library's: it refuses one library, libdw's
// debuginfod client, when no debuginfod server is configured (DEBUGINFOD_URLS unset or empty), and
// passes every other call through unchanged.
//
// Why: when a module has no local debug info (no build-id file under /usr/lib/debug, no
// .gnu_debuglink target), dwfl_standard_find_debuginfo falls back to debuginfod, and libdw
// (libdwfl/debuginfod-client.c: lazily since elfutils 0.187, from a constructor before) dlopens
// libdebuginfod.so.1 for that whatever the environment says. Loading it maps 29 more libraries
// (libcurl, GnuTLS, nettle, libssh2, LDAP, Kerberos...) and runs their constructors: a quarter of the
// CPU of a cold report of an sqlite3 run (docs/BENCHMARKS.md, "debuginfod"). The client then does nothing without a server: debuginfod_find_debuginfo returns
// -ENOSYS when DEBUGINFOD_URLS is unset or empty, before it even looks in its cache. So refusing the
// load in exactly that case finds the same debug info, and libdw treats the refusal like a system
// without libdebuginfod. With DEBUGINFOD_URLS set, the load and the download happen as in any
// elfutils tool (docs/cli.md, "Debug info from debuginfod").
//
// libdw calls dlopen through its PLT, so this definition, exported from the executable
// (analyzer/CMakeLists.txt), is the one it reaches.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

namespace {

using DlopenFunction = void* (*)(const char*, int);

bool isDebuginfodClient(const char* file) noexcept {
    if (file == nullptr) return false;
    const char* slash = std::strrchr(file, '/');
    const char* name = slash ? slash + 1 : file;
    return std::strncmp(name, "libdebuginfod.so", std::strlen("libdebuginfod.so")) == 0 ||
           std::strncmp(name, "libdebuginfod-", std::strlen("libdebuginfod-")) == 0;
}

// The rule libdebuginfod itself applies (debuginfod-client.c, debuginfod_query_server).
bool debuginfodConfigured() noexcept {
    const char* urls = std::getenv("DEBUGINFOD_URLS");
    return urls != nullptr && urls[0] != '\0';
}

}  // namespace

extern "C" void* dlopen(const char* file, int mode) noexcept {
    static const auto next = reinterpret_cast<DlopenFunction>(dlsym(RTLD_NEXT, "dlopen"));
    if (isDebuginfodClient(file) && !debuginfodConfigured()) return nullptr;
    return next ? next(file, mode) : nullptr;
}
