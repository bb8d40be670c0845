// Forks repeatedly while eight threads hammer malloc/free. The child inherits whatever locks those
// threads held at the instant of fork, so a tracker without fork handlers deadlocks in the child's
// first allocation. Each child allocates, checks its work and exits through exit() (exit snapshot).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 8;
constexpr int kForks = 20;

std::atomic<bool> stop{false};

void churn(int seed) {
    std::vector<void*> held(64, nullptr);
    unsigned state = static_cast<unsigned>(seed);
    while (!stop.load(std::memory_order_relaxed)) {
        state = state * 1103515245u + 12345u;
        size_t slot = (state >> 8) % held.size();
        std::free(held[slot]);
        held[slot] = std::malloc(16 + (state >> 16) % 4096);
    }
    for (void* p : held) std::free(p);
}

// What a child does: real allocation work whose result it can check.
int childWork(int round) {
    std::map<std::string, int> words;
    for (int i = 0; i < 1000 + round; ++i) words["word" + std::to_string(i % 257)] += i;
    long sum = 0;
    for (const auto& [word, value] : words) sum += value + static_cast<long>(word.size());
    std::printf("child %d: %zu words, sum %ld\n", round, words.size(), sum);
    return 0;
}

}  // namespace

int main() {
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) workers.emplace_back(churn, w + 1);
    int failures = 0;
    for (int round = 0; round < kForks; ++round) {
        std::fflush(stdout);  // the child must not repeat the parent's buffered output
        pid_t pid = fork();
        if (pid < 0) {
            std::perror("fork");
            return 1;
        }
        if (pid == 0) std::exit(childWork(round));
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::printf("child %d failed (status 0x%x)\n", round, status);
            ++failures;
        }
    }
    stop = true;
    for (auto& worker : workers) worker.join();
    std::printf("%d forks from %d busy threads, %d failures\n", kForks, kWorkers, failures);
    return failures == 0 ? 0 : 1;
}
