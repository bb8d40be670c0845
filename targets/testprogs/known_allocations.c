/* Allocates known counts and sizes from known functions and keeps them live, so a test can check
 * that a snapshot holds exactly these blocks with these functions in their stacks. Temporary blocks
 * are freed again and must not appear. */
#include <stdio.h>
#include <stdlib.h>

#include "leakscope/leakscope.h"

#define ALPHA_COUNT 7
#define ALPHA_SIZE 48
#define BETA_COUNT 5
#define BETA_SIZE 1000
#define GAMMA_COUNT 3
#define GAMMA_SIZE 4096

void* g_alpha[ALPHA_COUNT];
void* g_beta[BETA_COUNT];
void* g_gamma[GAMMA_COUNT];
void* volatile g_last_temporary; /* keeps the compiler from eliding the malloc/free pairs */

/* The store after each call keeps the call from becoming a tail call, so the function's frame is
 * on the stack when malloc runs. */
__attribute__((noinline, visibility("default"))) void known_alpha_allocate(int i) { g_alpha[i] = malloc(ALPHA_SIZE); }

__attribute__((noinline, visibility("default"))) void known_beta_allocate(int i) {
    g_beta[i] = calloc(BETA_SIZE / 4, 4);
}

__attribute__((noinline, visibility("default"))) void known_gamma_allocate(int i) {
    void* grown = realloc(NULL, GAMMA_SIZE / 2);
    g_gamma[i] = realloc(grown, GAMMA_SIZE);
}

__attribute__((noinline, visibility("default"))) void known_temporary_churn(void) {
    for (int i = 0; i < 100; ++i) {
        g_last_temporary = malloc(64 + (size_t)i);
        free(g_last_temporary);
    }
}

int main(void) {
    for (int i = 0; i < ALPHA_COUNT; ++i) known_alpha_allocate(i);
    for (int i = 0; i < BETA_COUNT; ++i) known_beta_allocate(i);
    for (int i = 0; i < GAMMA_COUNT; ++i) known_gamma_allocate(i);
    known_temporary_churn();
    leakscope_snapshot("known");
    printf("allocated %d blocks, preload %s\n", ALPHA_COUNT + BETA_COUNT + GAMMA_COUNT,
           leakscope_active() ? "active" : "absent");
    return 0;
}
