/* Calls dlopen(NULL) through the address the text-relocated library holds (textrel_lib.c) and says
 * what it got; run plainly and under the preload, lazily and with LD_BIND_NOW: same output, exit 0. */
#include <dlfcn.h>
#include <stdio.h>

void* textrel_dlopen_address(void);

int main(void) {
    void* (*open_it)(const char*, int) = (void* (*)(const char*, int))textrel_dlopen_address();
    printf("dlopen(NULL) through the text word: %s\n", open_it(NULL, RTLD_NOW) ? "the program's handle" : dlerror());
    return 0;
}
