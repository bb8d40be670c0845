// The classic daemon start: fork, setsid, close every file descriptor (including any the tracker holds),
// reopen stdin/stdout on /dev/null and dup2 a log file over stderr. The daemon then allocates and exits;
// its snapshots must still be written. The parent waits for it and prints the log, so the test sees
// the daemon's stderr.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

char* volatile g_kept = nullptr;

void closeEveryDescriptor() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    int highest = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > 65536 ? 65536 : static_cast<int>(limit.rlim_cur);
    for (int fd = 0; fd < highest; ++fd) close(fd);
}

[[noreturn]] void becomeDaemon(const std::string& log_path) {
    setsid();
    closeEveryDescriptor();
    int null_fd = open("/dev/null", O_RDWR);  // lowest free: 0
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);  // lowest free: 3
    dup2(log_fd, 2);  // replaces the open /dev/null on stderr
    close(log_fd);

    std::vector<std::string> work;
    for (int i = 0; i < 1000; ++i) work.push_back("item " + std::to_string(i));
    std::fprintf(stderr, "daemon: %zu items built\n", work.size());
    // Live at exit: the exit snapshot must show it. Kept in a global, or the compiler may drop the
    // unused malloc altogether.
    g_kept = static_cast<char*>(std::malloc(512));
    std::strcpy(g_kept, "kept");
    std::fprintf(stderr, "daemon: exiting\n");
    std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: closing_daemon LOG_FILE\n");
        return 2;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) becomeDaemon(argv[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream log(argv[1]);
    std::stringstream text;
    text << log.rdbuf();
    std::cout << "daemon status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << "\n" << text.str();
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
