// longjmp, _longjmp, siglongjmp, __longjmp_chk (what _FORTIFY_SOURCE builds call): a program's signal
// handler that interrupted the tracker (a hook taking a table lock, walking a stack, writing a
// snapshot) and leaves with a jump abandons the tracker's frames mid-way: their locks stay held (every
// other thread then waits for them for ever) and the thread stays marked "inside the tracker" (it
// records nothing again). When the jump's target lies outside those frames, the thread is made whole
// first (recoverAbandonedTracker, tracker/ThreadState.h); the jump itself is the program's, unchanged.
// Nothing here costs a hook anything: only a jump made while the thread is inside the tracker looks at
// its target. (setcontext/swapcontext out of a handler are not covered.)
#include <cstdint>

#include "hooks/Export.h"
#include "hooks/RealFunctions.h"
#include "tracker/ThreadState.h"

namespace {

// The jmp_buf as glibc lays it out on x86-64: rbx, rbp, r12-r15, rsp, pc; rbp, rsp and pc mangled
// with the thread's pointer guard (PTR_MANGLE: xor with %fs:0x30, then rotate left by 17 bits).
struct JumpBuffer {
    long registers[8];
};

uintptr_t savedStackPointer(const JumpBuffer* buffer) noexcept {
#if defined(__x86_64__)
    uintptr_t guard;
    asm("mov %%fs:0x30, %0" : "=r"(guard));
    const auto mangled = static_cast<uintptr_t>(buffer->registers[6]);
    return ((mangled >> 17) | (mangled << 47)) ^ guard;
#else
    (void)buffer;
    return UINTPTR_MAX;  // layout unknown here: every jump from inside the tracker is taken as leaving it
#endif
}

void beforeJump(const JumpBuffer* buffer) noexcept {
    if (!leakscope::preload::threadInsideTracker()) return;  // the common case: one TLS read
    if (leakscope::preload::jumpLeavesTracker(savedStackPointer(buffer)))
        leakscope::preload::recoverAbandonedTracker();
}

using JumpFunction = void (*)(JumpBuffer*, int);

// Resolved at start (resolveJumpFunctions): a first use inside a signal handler must not call dlsym,
// which takes the loader's lock the interrupted code may hold.
constinit leakscope::preload::RealFunction<JumpFunction> gLongjmp("longjmp");
constinit leakscope::preload::RealFunction<JumpFunction> gUnderscoreLongjmp("_longjmp");
constinit leakscope::preload::RealFunction<JumpFunction> gSiglongjmp("siglongjmp");
constinit leakscope::preload::RealFunction<JumpFunction> gLongjmpChk("__longjmp_chk");

[[noreturn]] void jump(leakscope::preload::RealFunction<JumpFunction>& real, JumpBuffer* buffer, int value) {
    beforeJump(buffer);
    real.get()(buffer, value);
    __builtin_unreachable();
}

}  // namespace

namespace leakscope::preload {
void resolveJumpFunctions() noexcept {
    gLongjmp.get();
    gUnderscoreLongjmp.get();
    gSiglongjmp.get();
    gLongjmpChk.get();
}
}  // namespace leakscope::preload

LEAKSCOPE_EXPORT [[noreturn]] void longjmp(JumpBuffer* buffer, int value) { jump(gLongjmp, buffer, value); }
LEAKSCOPE_EXPORT [[noreturn]] void _longjmp(JumpBuffer* buffer, int value) { jump(gUnderscoreLongjmp, buffer, value); }
LEAKSCOPE_EXPORT [[noreturn]] void siglongjmp(JumpBuffer* buffer, int value) { jump(gSiglongjmp, buffer, value); }
LEAKSCOPE_EXPORT [[noreturn]] void __longjmp_chk(JumpBuffer* buffer, int value) { jump(gLongjmpChk, buffer, value); }
