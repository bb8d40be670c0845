// Leaks one kind of block per cycle through an allocating wrapper, chosen by argv[1], so the report's
// headline can be checked to name the program's own call (the *_site functions), not the wrapper:
//   strdup | asprintf | map | wrapper (libxwrap's xwrap_malloc) | fds (ten /dev/null fds from one line)
//   | runtime (a thread, printf, an exception: only runtime-internal blocks, nothing of the program's)
#include <fcntl.h>
#include <leakscope/leakscope.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "xwrap.h"

static std::vector<void*> kept;
static std::map<std::string, std::vector<int>> registry;

__attribute__((noinline)) static void strdup_site(int i) {
    char text[64];
    snprintf(text, sizeof text, "name-%d-%s", i, "0123456789abcdef0123456789abcdef");
    kept.push_back(strdup(text));
}

__attribute__((noinline)) static void asprintf_site(int i) {
    char* line = nullptr;
    if (asprintf(&line, "line %d of a report that someone has to read", i) > 0) kept.push_back(line);
}

__attribute__((noinline)) static void map_site(int i) { registry["key-" + std::to_string(i) + "-long-enough-to-allocate"].push_back(i); }

__attribute__((noinline)) static void wrapper_site(int i) {
    // Other callers of the wrapper, kept once: the library's allocations mostly pass through xwrap_malloc.
    if (i == 0) {
        kept.push_back(xwrap_label_new("kept once"));
        kept.push_back(xwrap_buffer_new(16));
    }
    kept.push_back(xwrap_node_new(i));
}

__attribute__((noinline)) static void fds_site() {
    for (int i = 0; i < 10; ++i) open("/dev/null", O_RDONLY);  // left open until exit, all from this line
}

static void* thread_main(void*) {
    static thread_local std::string name = std::string(200, 'x');  // a TLS block for the DTV
    try {
        throw std::runtime_error(name);
    } catch (const std::exception&) {
    }
    return nullptr;
}

__attribute__((noinline)) static void runtime_cycle() {
    pthread_t thread;
    if (pthread_create(&thread, nullptr, thread_main, nullptr) == 0) pthread_join(thread, nullptr);
    printf("cycle\n");
    fflush(stdout);
}

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "fds") {
        fds_site();
        return 0;
    }
    for (int i = 0; i < 8; ++i) {
        if (mode == "strdup") strdup_site(i);
        else if (mode == "asprintf") asprintf_site(i);
        else if (mode == "map") map_site(i);
        else if (mode == "wrapper") wrapper_site(i);
        else if (mode == "runtime") runtime_cycle();
        else return 2;
        leakscope_snapshot("cycle");
    }
    return 0;
}
