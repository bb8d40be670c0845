// Loads a plugin, lets it allocate a list, unloads the plugin and keeps the list: the exit snapshot
// holds blocks allocated from code that is no longer mapped. Repeated so the module is loaded at
// (possibly) different addresses and unloaded several times.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

namespace {

struct PluginRecord {
    PluginRecord* next;
    char name[24];
};
using BuildRecords = PluginRecord* (*)(int);

constexpr int kRounds = 3;
constexpr int kRecordsPerRound = 50;

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: dlopen_unload PLUGIN.so\n");
        return 2;
    }
    PluginRecord* kept[kRounds] = {};
    for (int round = 0; round < kRounds; ++round) {
        void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!plugin) {
            std::fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
        auto build = reinterpret_cast<BuildRecords>(dlsym(plugin, "plugin_build_records"));
        if (!build) return 1;
        kept[round] = build(kRecordsPerRound);
        if (dlclose(plugin) != 0) return 1;
        // The plugin must really be gone, or this test proves nothing about unloaded modules.
        void* still_there = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
        std::printf("round %d: plugin %s after dlclose\n", round, still_there ? "STILL LOADED" : "unloaded");
        if (still_there) return 1;
    }
    int records = 0;
    for (PluginRecord* list : kept)
        for (PluginRecord* r = list; r; r = r->next) records += std::strlen(r->name) == 23 ? 1 : 0;
    std::printf("%d records outlived their plugin\n", records);
    return 0;  // the records stay live on purpose: the exit snapshot must attribute them to the plugin
}
