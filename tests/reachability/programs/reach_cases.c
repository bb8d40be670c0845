/* The reachability cases of issue 20 in one program, each allocated by its own function with its own
 * block size, so a test can tell them apart in a snapshot (by size) and in valgrind's XML (by stack):
 *
 *   1001  lost per cycle: each cycle's block replaces the previous one in a global (the old is lost);
 *         at exit the global is cleared too
 *   1002  a linked list that grows by one node per cycle, from a global head: still reachable
 *   1003  the root of a tree (built in cycle 1) whose only pointer is dropped: definitely lost
 *   1004  its 3 children: indirectly lost
 *   1005  a block only pointed into (block + 16): possibly lost
 *   1006  a block whose only pointer is on another thread's stack (the thread waits in read()): reachable
 *   1007  a block whose only pointer is in a dlopen'ed module's data (argv[1]): still reachable
 *
 * With REACH_DENY_CLONE=1 in the environment the program forbids clone(2) (EPERM; clone3, which
 * pthread_create uses, stays allowed) with a seccomp filter it installs through the raw system call
 * instruction, after its thread started: a filter no hook sees (as a sandbox library making its own
 * system calls would install it), so the process stays tracked and its scan's clone fails.
 *
 * Usage: reach_cases MODULE.so CYCLES [EXTRA]: EXTRA more 64-byte blocks on a second reachable list, to
 * make the heap as large as a test needs (the scan's budget). One leakscope_snapshot("cycle") per cycle (a no-op without the
 * tool, e.g. under valgrind). No pointer to a case block is kept in main's frame: every block is made
 * and stored by a noinline function, and the stack below main is scrubbed before each snapshot. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

enum { kLost = 1001, kList = 1002, kRoot = 1003, kChild = 1004, kInterior = 1005, kThread = 1006, kModule = 1007 };

struct node {
    struct node *next;
};

static void *volatile g_current;       /* the latest lost-per-cycle block */
static struct node *volatile g_head;   /* the growing list */
static struct node *volatile g_extra;  /* EXTRA blocks, reachable */
static char *volatile g_interior;      /* points 16 bytes into its block */
static int g_release[2];               /* the thread waits for a byte here */
static int g_ready[2];                 /* ...after saying it holds its block */

static void *zeroed(size_t size) {
    void *block = malloc(size);
    if (!block) abort();
    memset(block, 0, size);
    return block;
}

__attribute__((noinline)) static void lose_previous_block(void) { g_current = zeroed(kLost); }

__attribute__((noinline)) static void append_list_node(void) {
    struct node *node = zeroed(kList);
    node->next = g_head;
    g_head = node;
}

__attribute__((noinline)) static void add_extra_blocks(long count) {
    for (long i = 0; i < count; ++i) {
        struct node *node = zeroed(64);
        node->next = g_extra;
        g_extra = node;
    }
}

__attribute__((noinline)) static void build_lost_tree(void) {
    void **root = zeroed(kRoot);
    for (int i = 0; i < 3; ++i) root[i] = zeroed(kChild);
    __asm__ volatile("" : : "r"(root) : "memory"); /* built, then its only pointer goes out of scope */
}

__attribute__((noinline)) static void keep_interior_pointer(void) { g_interior = (char *)zeroed(kInterior) + 16; }

static void *thread_holding_block(void *unused) {
    (void)unused;
    void *volatile held = zeroed(kThread); /* volatile: in this thread's stack, not only in a register */
    char byte = 1;
    if (write(g_ready[1], &byte, 1) != 1) abort();
    while (read(g_release[0], &byte, 1) < 0) {
    }
    free(held);
    return NULL;
}

__attribute__((noinline)) static void keep_in_module(void *module) {
    void (*keep)(void *) = (void (*)(void *))dlsym(module, "reach_module_keep");
    if (!keep) abort();
    keep(zeroed(kModule));
}

/* Overwrites the dead frames below the caller, where copies of the pointers just handed out remain. */
__attribute__((noinline)) static void scrub_stack(void) {
    volatile char area[16384];
    memset((char *)area, 0, sizeof(area));
    __asm__ volatile("" : : "r"(area) : "memory");
}

/* prctl through the syscall instruction itself: neither libc's prctl nor syscall() is called. */
static long raw_prctl(long option, long arg2, long arg3) {
    long result;
    register long r10 __asm__("r10") = 0;
    register long r8 __asm__("r8") = 0;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "0"((long)__NR_prctl), "D"(option), "S"(arg2), "d"(arg3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return result;
}

static int deny_clone(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof(filter) / sizeof(filter[0]), filter};
    return raw_prctl(PR_SET_NO_NEW_PRIVS, 1, 0) == 0 && raw_prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)&program) == 0
               ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: reach_cases MODULE.so CYCLES [EXTRA]\n");
        return 2;
    }
    const int cycles = atoi(argv[2]);
    void *module = dlopen(argv[1], RTLD_NOW);
    if (!module || pipe(g_release) != 0 || pipe(g_ready) != 0) return 3;
    pthread_t thread;
    if (pthread_create(&thread, NULL, thread_holding_block, NULL) != 0) return 4;
    char byte;
    if (read(g_ready[0], &byte, 1) != 1) return 5;
    keep_in_module(module);
    const char *deny = getenv("REACH_DENY_CLONE");
    if (deny && deny[0] == '1' && deny_clone() != 0) return 6;
    if (argc == 4) add_extra_blocks(atol(argv[3]));
    for (int cycle = 1; cycle <= cycles; ++cycle) {
        lose_previous_block();
        append_list_node();
        if (cycle == 1) {
            build_lost_tree();
            keep_interior_pointer();
        }
        scrub_stack();
        leakscope_snapshot("cycle");
    }
    g_current = NULL; /* at exit every lost-per-cycle block is lost */
    scrub_stack();
    printf("done %d cycles\n", cycles);
    fflush(stdout);
    exit(0); /* the waiting thread still holds its block */
}
