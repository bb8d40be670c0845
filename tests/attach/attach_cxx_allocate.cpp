// The allocation of attach_daemon.c built as attach_jemalloc_cxx_daemon: C++ new[]/delete[], which
// resolve to libjemalloc.so.2's own operators (linked first), as a C++ server on jemalloc allocates.
// jemalloc serves them without calling malloc or mallocx through any slot: an attach sees them only by
// redirecting the operators themselves. In their own file: the compiler may not elide the pair.
#include <cstddef>

extern "C" void* daemon_cxx_allocate(size_t size) { return new char[size]; }
extern "C" void daemon_cxx_release(void* block) { delete[] static_cast<char*>(block); }
