/* dlopens each argument and says whether it loaded. Built with a RUNPATH to the plugin's directory
 * and run with a bare name and a $ORIGIN name: glibc searches and expands both against the *calling*
 * module, so under the preload (whose dlopen slot entry must keep the program as the caller) each
 * must load exactly as in a plain run. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) printf("%s: %s\n", argv[i], dlopen(argv[i], RTLD_NOW) ? "loaded" : "not found");
    return 0;
}
