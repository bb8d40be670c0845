// Starts children with posix_spawn, posix_spawnp and vfork+exec. vfork shares the parent's memory until
// exec, so any tracker work done in the child between vfork and exec (an allocation, a lock) corrupts
// the parent; posix_spawn uses clone(CLONE_VM|CLONE_VFORK) internally for the same reason.
// Run as `spawn_children child NAME` it is the child: it allocates a little and prints one line.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

int childMain(const char* name) {
    std::vector<std::string> parts;
    for (int i = 0; i < 100; ++i) parts.push_back(std::string(name) + ":" + std::to_string(i));
    size_t total = 0;
    for (const auto& part : parts) total += part.size();
    std::printf("child %s: %zu parts, %zu bytes\n", name, parts.size(), total);
    return 0;
}

// Waits for pid and reports its status on stdout; returns true when it exited 0.
bool reap(const char* how, pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
        std::printf("%s: waitpid failed\n", how);
        return false;
    }
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::printf("%s: %s\n", how, ok ? "exited 0" : "failed");
    return ok;
}

bool spawnSelf(const char* self, const char* name) {
    char child[] = "child";
    std::vector<char*> argv = {const_cast<char*>(self), child, const_cast<char*>(name), nullptr};
    pid_t pid = 0;
    int error = posix_spawn(&pid, self, nullptr, nullptr, argv.data(), environ);
    if (error != 0) {
        std::printf("posix_spawn: %s\n", std::strerror(error));
        return false;
    }
    return reap("posix_spawn", pid);
}

bool spawnFromPath() {
    char program[] = "true";
    char* argv[] = {program, nullptr};
    pid_t pid = 0;
    int error = posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ);
    if (error != 0) {
        std::printf("posix_spawnp: %s\n", std::strerror(error));
        return false;
    }
    return reap("posix_spawnp true", pid);
}

bool vforkSelf(const char* self, const char* name) {
    pid_t pid = vfork();
    if (pid < 0) return false;
    if (pid == 0) {
        // Only exec or _exit are allowed here.
        execl(self, self, "child", name, static_cast<char*>(nullptr));
        _exit(127);
    }
    return reap("vfork+exec", pid);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "child") == 0) return childMain(argv[2]);
    bool ok = true;
    for (int round = 0; round < 5; ++round) {
        std::string name = "round" + std::to_string(round);
        std::fflush(stdout);
        ok = spawnSelf(argv[0], (name + "-spawn").c_str()) && ok;
        std::fflush(stdout);
        ok = spawnFromPath() && ok;
        std::fflush(stdout);
        ok = vforkSelf(argv[0], (name + "-vfork").c_str()) && ok;
    }
    std::printf("spawning %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
