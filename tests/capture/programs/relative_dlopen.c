/* dlopen("./<name>") relative to the cwd (argv[1] is the plugin's file name in the cwd), one
 * allocation by the plugin, a snapshot while it is loaded, then chdir("/") and another snapshot:
 * the module must be recorded by its absolute path both times. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
#include <leakscope/leakscope.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char relative[4096];
    snprintf(relative, sizeof(relative), "./%s", argv[1]);
    void *plugin = dlopen(relative, RTLD_NOW);
    if (!plugin) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    void (*allocate)(void) = (void (*)(void))dlsym(plugin, "plugin_allocate");
    if (!allocate) return 1;
    allocate();
    leakscope_snapshot("loaded");
    if (chdir("/") != 0) return 1;
    leakscope_snapshot("moved");
    return 0;
}
