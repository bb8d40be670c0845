/* Issue 16, kind 5: a program whose SIGPROF handler leaves with siglongjmp, as interpreters and old
 * timeout code do, while 4 threads churn malloc/free under a 100 us profiling timer. The handler jumps
 * only when the interrupted instruction is outside libc, the dynamic loader and the vDSO, so a plain
 * run is well-defined (it never abandons libc's allocator mid-way); under the preload the instruction
 * is often in the tool's hook (a table lock held, a stack walk, the guard set), and the jump abandons
 * those frames. Each thread then keeps 10 blocks of 4321 bytes (leak_after_storm): the exit snapshot
 * must hold all 40, so every thread records again after its jumps. The main thread also asks for a
 * snapshot every 10th round inside the storm, so jumps abandon snapshots being written too (each
 * abandoned one must give its fd back, or the tool runs out of fd slots and warns on stderr).
 * Prints one fixed line (with the number of fds open at the end); writes how many jumps left the tool's code to jumps-from-tool.txt. */
#define _GNU_SOURCE
#include <dirent.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

#include "leakscope/leakscope.h"

enum { kThreads = 4, kRounds = 300, kOpsPerRound = 400, kRing = 64, kKept = 10 };

struct range { uintptr_t start, end; };
static struct range unsafe[16], tool[4];
static int unsafe_count, tool_count;
static volatile long jumps_from_tool;

static __thread sigjmp_buf jump_back;
static __thread volatile sig_atomic_t armed;
static void *volatile kept[kThreads][kKept];  /* volatile: the blocks must really be allocated */

static int note_module(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size; (void)unused;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    int is_unsafe = strstr(name, "libc.so") || strstr(name, "ld-linux") || strstr(name, "linux-vdso") ||
                    strstr(name, "libpthread") || strstr(name, "libdl");
    int is_tool = strstr(name, "leakscope") != NULL;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[i];
        if (header->p_type != PT_LOAD || !(header->p_flags & PF_X)) continue;
        struct range r = {info->dlpi_addr + header->p_vaddr, info->dlpi_addr + header->p_vaddr + header->p_memsz};
        if (is_unsafe && unsafe_count < 16) unsafe[unsafe_count++] = r;
        if (is_tool && tool_count < 4) tool[tool_count++] = r;
    }
    return 0;
}

static int in_ranges(const struct range *ranges, int count, uintptr_t pc) {
    for (int i = 0; i < count; ++i)
        if (pc >= ranges[i].start && pc < ranges[i].end) return 1;
    return 0;
}

static void on_profile(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)info;
    uintptr_t pc = (uintptr_t)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
    if (!armed || in_ranges(unsafe, unsafe_count, pc)) return;
    if (in_ranges(tool, tool_count, pc)) __atomic_add_fetch(&jumps_from_tool, 1, __ATOMIC_RELAXED);
    armed = 0;
    siglongjmp(jump_back, 1);
}

/* Every step leaves the ring consistent whenever the jump comes: a block is taken out of its slot
 * before it is freed, and a new one is in no slot until malloc returned it (a jump in between loses
 * it: a leak, never a double free). */
static void storm(void *volatile *ring, unsigned *next) {
    for (int i = 0; i < kOpsPerRound; ++i) {
        unsigned slot = (*next)++ % kRing;
        void *old = ring[slot];
        ring[slot] = NULL;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        free(old);
        char *block = malloc(16 + (*next * 37u) % 2000u);
        if (block) block[0] = 1;
        ring[slot] = block;
    }
}

__attribute__((noinline)) static void leak_after_storm(int thread) {
    for (int i = 0; i < kKept; ++i) {
        kept[thread][i] = malloc(4321);
        memset((void *)kept[thread][i], thread, 4321);
    }
}

static void *run(void *argument) {
    int thread = (int)(intptr_t)argument;
    void *volatile ring[kRing] = {0};
    unsigned next = 0;
    for (volatile int round = 0; round < kRounds; ++round) {
        if (sigsetjmp(jump_back, 1) == 0) {
            armed = 1;
            if (thread == 0 && round % 10 == 0) leakscope_snapshot("storm");
            storm(ring, &next);
            armed = 0;
        }
    }
    leak_after_storm(thread);
    for (int slot = 0; slot < kRing; ++slot) free(ring[slot]);
    return NULL;
}

int main(void) {
    dl_iterate_phdr(note_module, NULL);
    leakscope_snapshot("start");  /* resolves the API once, before any handler can jump */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_profile;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGPROF, &action, NULL);
    struct itimerval every = {{0, 100}, {0, 100}};
    setitimer(ITIMER_PROF, &every, NULL);
    pthread_t threads[kThreads - 1];
    for (int i = 1; i < kThreads; ++i) pthread_create(&threads[i - 1], NULL, run, (void *)(intptr_t)i);
    run((void *)0);
    for (int i = 1; i < kThreads; ++i) pthread_join(threads[i - 1], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    FILE *counts = fopen("jumps-from-tool.txt", "w");
    if (counts) {
        fprintf(counts, "%ld\n", jumps_from_tool);
        fclose(counts);
    }
    /* Open fds at the end, as the program sees them: an fd the tool left behind shows here. */
    int open_fds = 0;
    DIR *listing = opendir("/proc/self/fd");
    for (struct dirent *entry; listing && (entry = readdir(listing));) open_fds += entry->d_name[0] != '.';
    if (listing) closedir(listing);
    printf("%d threads x %d rounds done, %d fds open\n", kThreads, kRounds, open_fds);
    return 0;
}
