// Everyday programs nobody here wrote, run with and without the preload: same exit codes, same output,
// and the snapshots every process of theirs wrote must be valid. A program that is not installed is
// reported as skipped by CTest (SKIP_RETURN_CODE), never failed and never passed.
#include <catch2/catch.hpp>
#include <filesystem>

#include "ProcessRunner.h"
#include "Skip.h"
#include "TortureRun.h"

using leakscope::testing::TemporaryDirectory;
using leakscope::testing::writeFile;
using namespace leakscope::torture;

namespace {

// Returns the program's path; skips the test when it is not installed.
std::string requireInstalled(const std::string& name) {
    std::string path = findInPath(name);
    if (path.empty()) SKIP_TEST(name << " is not installed");
    return path;
}

void runAndCheck(const Scenario& scenario, size_t min_exited_processes = 1) {
    TemporaryDirectory root;
    ComparedRuns runs = runBothWays(root.path(), scenario);
    requireSameBehaviour(runs, /*compare_stderr=*/true);
    requireValidSnapshots(runs.snapshot_dir, min_exited_processes);
}

}  // namespace

TEST_CASE("python3 running threads that allocate behaves the same under the preload", "[torture]") {
    std::string python = requireInstalled("python3");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        writeFile(dir + "/threads.py", R"SCRIPT(import collections, hashlib, threading
results = [None] * 8
def work(i):
    words = [str(j * (i + 1)) for j in range(20000)]
    counts = collections.Counter(len(w) for w in words)
    digest = hashlib.sha256("".join(words).encode()).hexdigest()
    results[i] = (len(set(words)), sorted(counts.items()), digest[:16])
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
for i, r in enumerate(results): print(i, *r)
blocks = [bytearray(1000 + i % 7) for i in range(20000)]
print("blocks", len(blocks), sum(len(b) for b in blocks))
)SCRIPT");
    };
    scenario.commands = {{python, "threads.py"}};
    runAndCheck(scenario);
}

TEST_CASE("git init, add and commit behave the same under the preload", "[torture]") {
    std::string git = requireInstalled("git");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        writeFile(dir + "/README", "torture\n");
        writeFile(dir + "/main.c", "int main(void) { return 0; }\n");
    };
    // Fixed identities and dates make the commit hash the same in both runs; HOME keeps user config out.
    scenario.options.set_env = {{"GIT_AUTHOR_NAME", "Torture Test"},   {"GIT_AUTHOR_EMAIL", "torture@example.com"},
                                {"GIT_COMMITTER_NAME", "Torture Test"}, {"GIT_COMMITTER_EMAIL", "torture@example.com"},
                                {"GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z"},
                                {"GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"},
                                {"GIT_CONFIG_NOSYSTEM", "1"},          {"HOME", "/nonexistent-torture-home"},
                                {"GIT_TERMINAL_PROMPT", "0"}};
    scenario.commands = {{git, "init", "-q", "-b", "main"},
                         {git, "add", "README", "main.c"},
                         {git, "commit", "-q", "-m", "first commit"},
                         {git, "log", "--format=%H %an %s"},
                         {git, "status", "--porcelain", "--branch"},
                         {git, "show", "--stat", "--format=%T", "HEAD"}};
    runAndCheck(scenario, scenario.commands.size());
}

TEST_CASE("bash with pipes, subshells and command substitution behaves the same under the preload", "[torture]") {
    std::string bash = requireInstalled("bash");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        writeFile(dir + "/script.sh", R"SCRIPT(set -e
upper=$(echo "hello world" | tr a-z A-Z)
echo "$upper"
( cd / && echo "subshell in $PWD" )
echo "sevens: $(seq 1 5000 | grep -c 7)"
seq 1 1000 | sort -rn | head -3
squares=""
for i in $(seq 1 10); do squares="$squares $((i * i))"; done
echo "squares:$squares"
{ echo b; echo a; echo c; } | sort | tr '\n' ' '; echo
echo "nested: $(echo "$(echo inner | sed s/i/I/)" | wc -c)"
declare -A seen
for w in one two three two one; do seen[$w]=$(( ${seen[$w]:-0} + 1 )); done
for k in $(printf '%s\n' "${!seen[@]}" | sort); do echo "$k=${seen[$k]}"; done
while read -r line; do echo "read: $line"; done < <(printf 'x\ny\n')
echo "to stderr" >&2
exit 3
)SCRIPT");
    };
    scenario.commands = {{bash, "script.sh"}};
    runAndCheck(scenario, 2);
}

TEST_CASE("cmake configuring and building a tiny C project behaves the same under the preload", "[torture]") {
    std::string cmake = requireInstalled("cmake");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        std::filesystem::create_directories(dir + "/src");
        writeFile(dir + "/src/CMakeLists.txt",
                  "cmake_minimum_required(VERSION 3.20)\nproject(tiny C)\nadd_executable(tiny main.c)\n");
        writeFile(dir + "/src/main.c", "#include <stdio.h>\nint main(void) { puts(\"tiny ran\"); return 0; }\n");
    };
    scenario.commands = {{cmake, "-S", "src", "-B", "build", "-G", "Unix Makefiles"},
                         {cmake, "--build", "build"},
                         {"./build/tiny"}};
    runAndCheck(scenario, 3);
}

TEST_CASE("gcc compiling a file with a warning behaves the same under the preload", "[torture]") {
    std::string gcc = requireInstalled("gcc");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        writeFile(dir + "/hello.c", R"SCRIPT(#include <stdio.h>
#include <stdlib.h>
int main(void) {
    int unused;
    char *text = malloc(32);
    snprintf(text, 32, "hello from gcc %d", 42);
    puts(text);
    free(text);
    return 0;
}
)SCRIPT");
    };
    scenario.commands = {{gcc, "-Wall", "-O2", "-o", "hello", "hello.c"}, {"./hello"}};
    runAndCheck(scenario, 2);
}

TEST_CASE("perl with hashes, regexes and a pipe behaves the same under the preload", "[torture]") {
    std::string perl = requireInstalled("perl");
    Scenario scenario;
    scenario.prepare = [](const std::string& dir) {
        writeFile(dir + "/script.pl", R"SCRIPT(use strict; use warnings;
my %count;
for my $i (1 .. 50000) { my $key = sprintf("k%03d", $i % 997); $count{$key} += $i; }
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 2];
print "top: @top\n";
my $text = join(" ", map { "word$_" } 1 .. 1000);
my @matches = $text =~ /word(\d*7)\b/g;
print "matches: ", scalar(@matches), "\n";
open(my $pipe, "-|", "echo", "piped line") or die "pipe: $!";
print "from pipe: ", scalar(<$pipe>);
close($pipe);
warn "to stderr\n";
exit 4;
)SCRIPT");
    };
    scenario.commands = {{perl, "script.pl"}};
    runAndCheck(scenario, 2);
}

// Bind-now libraries that reference jemalloc's extended API (issue 16): while libleakscope exported
// mallocx & co. as IFUNCs, glibc printed "Relink `LIB' with `libleakscope.so' for IFUNC symbol" on
// the program's stderr for each reference bound before libleakscope was relocated (host -V: 6 lines,
// LD_BIND_NOW=1 nghttp: 2). stderr must now be the plain run's, byte for byte.
TEST_CASE("host -V (BIND 9's libraries, linked -z now with jemalloc) writes the same stderr under the preload",
          "[torture]") {
    std::string host = requireInstalled("host");
    Scenario scenario;
    scenario.commands = {{host, "-V"}};
    runAndCheck(scenario);
}

TEST_CASE("nghttp --version under LD_BIND_NOW=1 (libjemalloc's own mallocx references) writes the same stderr",
          "[torture]") {
    std::string nghttp = requireInstalled("nghttp");
    Scenario scenario;
    scenario.options.set_env = {{"LD_BIND_NOW", "1"}};
    scenario.commands = {{nghttp, "--version"}};
    runAndCheck(scenario);
}
