/* Linked against ctorlib: its constructor allocated and opened an fd before main. 12 cycles, each
 * leaking 24 B in ctorlib_leak_cycle. */
#include <leakscope/leakscope.h>

void ctorlib_leak_cycle(void);

int main(void) {
    for (int i = 0; i < 12; ++i) {
        ctorlib_leak_cycle();
        leakscope_snapshot("cycle");
    }
    return 0;
}
