/* A library with a text relocation (DT_TEXTREL, linked -z notext): non-PIC code whose immediate
 * operand is dlopen's address, an R_X86_64_64 word inside .text. glibc writes it while relocating and
 * makes the page r-x again; the preload's slot redirection (relocation/GotPatcher.cpp) must leave it
 * alone: a store there faults (it did: SIGSEGV in the preload's constructor). */
void* textrel_dlopen_address(void) {
    void* address;
    __asm__("movabs $dlopen, %0" : "=r"(address));
    return address;
}
