// The dlopen hook of an attached process: a module loaded while attached is redirected at once.
//
// glibc's dlopen finds the calling module from its return address, and searches that module's
// DT_RUNPATH/DT_RPATH for a bare file name. A hook that calls dlopen would make libleakscope.so the
// caller, so a program loading "libplugin.so" through its own RUNPATH could fail under the attach.
// The entry is therefore a tail jump for a bare name (the caller stays the program's; the module is
// redirected at the tool thread's next wake), and calls dlopen itself only for a path (with a '/'),
// whose lookup does not depend on the caller, or for NULL (the main program, nothing is loaded).
#include <cerrno>
#include <cstring>

#include "attach/AttachSession.h"

extern "C" {

// Set by the session before any slot points at leakscope_attach_dlopen.
__attribute__((used, visibility("hidden"))) void* (*leakscope_attach_real_dlopen)(const char*, int) = nullptr;

__attribute__((used, visibility("hidden"))) int leakscope_attach_dlopen_keeps_caller(const char* file) noexcept {
    return file && std::strchr(file, '/') == nullptr;
}

__attribute__((used, visibility("hidden"))) void* leakscope_attach_dlopen_and_redirect(const char* file, int mode) noexcept {
    void* handle = leakscope_attach_real_dlopen(file, mode);
    if (handle) {
        int saved_errno = errno;
        leakscope::preload::attach::redirectNewModules();
        errno = saved_errno;
    }
    return handle;
}

}  // extern "C"

// void* leakscope_attach_dlopen(const char* file, int mode): decides with the arguments preserved,
// then jumps (never calls) so that the stack dlopen sees is the program's.
asm(R"(
    .text
    .globl leakscope_attach_dlopen
    .hidden leakscope_attach_dlopen
    .type leakscope_attach_dlopen, @function
leakscope_attach_dlopen:
    .cfi_startproc
    push %rdi
    .cfi_adjust_cfa_offset 8
    push %rsi
    .cfi_adjust_cfa_offset 8
    sub $8, %rsp
    .cfi_adjust_cfa_offset 8
    call leakscope_attach_dlopen_keeps_caller
    add $8, %rsp
    .cfi_adjust_cfa_offset -8
    pop %rsi
    .cfi_adjust_cfa_offset -8
    pop %rdi
    .cfi_adjust_cfa_offset -8
    test %eax, %eax
    jnz 1f
    jmp leakscope_attach_dlopen_and_redirect
1:
    jmp *leakscope_attach_real_dlopen(%rip)
    .cfi_endproc
    .size leakscope_attach_dlopen, .-leakscope_attach_dlopen
)");
