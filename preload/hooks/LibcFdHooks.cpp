// Interposed calls whose fds libc creates internally, without passing through our open/pipe/socket
// hooks: the mkstemp family, tmpfile, popen (and pclose, which closes its fd inside libc), and fds
// received over a Unix socket (recvmsg/recvmmsg with SCM_RIGHTS). Each new fd is recorded with the
// stack of the program's call, so a per-cycle leak of them is found like one of open()'s.
//
// The kind and path come from the kernel (the /proc link target): libc decides what these calls
// open (a file under $TMPDIR, an unlinked file, one end of a pipe, whatever the peer sent).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "handles/HandleDescriptions.h"
#include "hooks/HookSupport.h"
#include "hooks/LibcFdHooks.h"

namespace leakscope::preload::handles {
namespace {

constinit RealFunction<int (*)(char*)> realMkstemp("mkstemp");
constinit RealFunction<int (*)(char*)> realMkstemp64("mkstemp64");
constinit RealFunction<int (*)(char*, int)> realMkostemp("mkostemp");
constinit RealFunction<int (*)(char*, int)> realMkostemp64("mkostemp64");
constinit RealFunction<int (*)(char*, int)> realMkstemps("mkstemps");
constinit RealFunction<int (*)(char*, int)> realMkstemps64("mkstemps64");
constinit RealFunction<int (*)(char*, int, int)> realMkostemps("mkostemps");
constinit RealFunction<int (*)(char*, int, int)> realMkostemps64("mkostemps64");
constinit RealFunction<FILE* (*)()> realTmpfile("tmpfile");
constinit RealFunction<FILE* (*)()> realTmpfile64("tmpfile64");
constinit RealFunction<int (*)(FILE*)> realPclose("pclose");
constinit RealFunction<ssize_t (*)(int, msghdr*, int)> realRecvmsg("recvmsg");
constinit RealFunction<int (*)(int, mmsghdr*, unsigned int, int, timespec*)> realRecvmmsg("recvmmsg");

// Records an fd a real call just created, described from the kernel; `flags` adds HandleFlags bits.
[[gnu::always_inline]] inline int recordFromKernel(int fd, uint16_t flags = 0) noexcept {
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) {
        char target[kHandlePathCapacity];
        describeFromKernel(entry, fd, target, readFdTarget(fd, target, sizeof(target)));
        entry.flags |= flags;
        if (kernelCloexec(fd)) entry.flags |= snapshot::kHandleCloexec;
    });
    return fd;
}

[[gnu::always_inline]] inline FILE* recordStreamFromKernel(FILE* stream) noexcept {
    if (stream) recordFromKernel(fileno(stream), snapshot::kHandleStdio);
    return stream;
}

// The fds an SCM_RIGHTS control message carried into this process (one received message), all with
// the stack of the one receiving call.
[[gnu::always_inline]] inline void recordReceivedFds(const msghdr& message) noexcept {
    if (!message.msg_control || message.msg_controllen < sizeof(cmsghdr)) return;
    ErrnoKeeper keep;
    // CMSG_NXTHDR is a function call in glibc, written against a non-const msghdr.
    msghdr& walk = const_cast<msghdr&>(message);
    for (cmsghdr* header = CMSG_FIRSTHDR(&walk); header; header = CMSG_NXTHDR(&walk, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS || header->cmsg_len < CMSG_LEN(0))
            continue;
        const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char* data = CMSG_DATA(header);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            __builtin_memcpy(&fd, data + i * sizeof(int), sizeof(int));  // CMSG_DATA need not be int-aligned
            recordFromKernel(fd);
        }
    }
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;

LEAKSCOPE_EXPORT int mkstemp(char* name) { return recordFromKernel(callReal(realMkstemp, name)); }
LEAKSCOPE_EXPORT int mkstemp64(char* name) { return recordFromKernel(callReal(realMkstemp64, name)); }
LEAKSCOPE_EXPORT int mkostemp(char* name, int flags) { return recordFromKernel(callReal(realMkostemp, name, flags)); }
LEAKSCOPE_EXPORT int mkostemp64(char* name, int flags) {
    return recordFromKernel(callReal(realMkostemp64, name, flags));
}
LEAKSCOPE_EXPORT int mkstemps(char* name, int suffix_length) {
    return recordFromKernel(callReal(realMkstemps, name, suffix_length));
}
LEAKSCOPE_EXPORT int mkstemps64(char* name, int suffix_length) {
    return recordFromKernel(callReal(realMkstemps64, name, suffix_length));
}
LEAKSCOPE_EXPORT int mkostemps(char* name, int suffix_length, int flags) {
    return recordFromKernel(callReal(realMkostemps, name, suffix_length, flags));
}
LEAKSCOPE_EXPORT int mkostemps64(char* name, int suffix_length, int flags) {
    return recordFromKernel(callReal(realMkostemps64, name, suffix_length, flags));
}

LEAKSCOPE_EXPORT FILE* tmpfile() { return recordStreamFromKernel(callReal(realTmpfile)); }
LEAKSCOPE_EXPORT FILE* tmpfile64() { return recordStreamFromKernel(callReal(realTmpfile64)); }

// popen itself is hooked in ProcessHooks.cpp (its shell must get the followed environment); the
// stream it returns is recorded here, with the program's stack, like tmpfile's.
FILE* leakscope::preload::handles::recordPopenedStream(FILE* stream) noexcept { return recordStreamFromKernel(stream); }

// pclose closes the pipe inside libc (then waits for the child), so the record goes first, as fclose's.
LEAKSCOPE_EXPORT int pclose(FILE* stream) {
    // The result is the child's wait status, not a close result: the fd is gone whatever it says.
    TakenHandle taken;
    if (stream && fileno(stream) >= 0) beginClose(fileno(stream), taken);
    return callReal(realPclose, stream);
}

LEAKSCOPE_EXPORT ssize_t recvmsg(int socket, msghdr* message, int flags) {
    const ssize_t result = callReal(realRecvmsg, socket, message, flags);
    if (result >= 0 && message) recordReceivedFds(*message);
    return result;
}

LEAKSCOPE_EXPORT int recvmmsg(int socket, mmsghdr* messages, unsigned int count, int flags, timespec* timeout) {
    const int result = callReal(realRecvmmsg, socket, messages, count, flags, timeout);
    for (int i = 0; i < result; ++i) recordReceivedFds(messages[i].msg_hdr);
    return result;
}
