/* The connect and context loops of lws_native (see native_loops.h). */
#include <leakscope/leakscope.h>

#include "echo_context.h"
#include "native_loops.h"

int lws_native_loop_connect(int cycles, int messages) {
    struct echo_run run = {.messages = messages};
    struct echo_context echo;
    if (echo_context_create(&echo, &run) != 0) return -1;
    leakscope_snapshot("start");

    int result = 0;
    for (int cycle = 1; cycle <= cycles && result == 0; cycle++) {
        result = echo_one_connection(&echo, &run, cycle);
        if (result == 0) leakscope_snapshot("cycle");
    }
    echo_context_destroy(&echo);
    return result;
}

int lws_native_loop_context(int cycles, int messages) {
    struct echo_run run = {.messages = messages};
    leakscope_snapshot("start");

    for (int cycle = 1; cycle <= cycles; cycle++) {
        struct echo_context echo;
        if (echo_context_create(&echo, &run) != 0) return -1;
        int result = echo_one_connection(&echo, &run, cycle);
        echo_context_destroy(&echo);
        if (result != 0) return -1;
        leakscope_snapshot("cycle");
    }
    return 0;
}
