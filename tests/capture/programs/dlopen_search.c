/* dlopens each argument and says whether it loaded, and on failure what dlerror() said. Built with a
 * RUNPATH to the plugin's directory and run with a bare name and a $ORIGIN name: glibc searches and
 * expands both against the *calling* module, so under the preload (whose dlopen slot entry must keep
 * the program as the caller) each must load exactly as in a plain run. "noload:NAME" asks with
 * RTLD_NOLOAD, "null" is dlopen(NULL); a failure's dlerror() text must be a plain run's too. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const char* name = argv[i];
        int mode = RTLD_NOW;
        if (strncmp(name, "noload:", 7) == 0) {
            name += 7;
            mode |= RTLD_NOLOAD;
        }
        void* handle = dlopen(strcmp(name, "null") == 0 ? NULL : name, mode);
        if (handle)
            printf("%s: loaded\n", argv[i]);
        else
            printf("%s: not found: %s\n", argv[i], dlerror());
    }
    return 0;
}
