// The /proc/self/fd scanner and the kernel-side descriptions, against real fds of this test process.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "handles/HandleDescriptions.h"
#include "handles/ProcFdScanner.h"

using namespace leakscope::preload::handles;
using leakscope::snapshot::HandleKind;

namespace {

std::vector<int> listedFds() {
    std::vector<int> fds;
    ProcFdScanner scanner;
    REQUIRE(scanner.opened());
    for (int fd; scanner.next(fd);) fds.push_back(fd);
    return fds;
}

bool listed(const std::vector<int>& fds, int fd) { return std::find(fds.begin(), fds.end(), fd) != fds.end(); }

HandleEntry describedByKernel(int fd) {
    char target[4096];
    HandleEntry entry;
    entry.fd = fd;
    describeFromKernel(entry, fd, target, readFdTarget(fd, target, sizeof(target)));
    return entry;
}

}  // namespace

TEST_CASE("the scanner lists open fds in increasing order and not closed ones", "[handles][scanner]") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const int high = fcntl(fds[0], F_DUPFD, 300);
    REQUIRE(high >= 300);
    close(fds[1]);
    const auto open_fds = listedFds();
    CHECK(std::is_sorted(open_fds.begin(), open_fds.end()));
    CHECK(listed(open_fds, fds[0]));
    CHECK(listed(open_fds, high));
    CHECK_FALSE(listed(open_fds, fds[1]));
    close(fds[0]);
    close(high);
    CHECK_FALSE(listed(listedFds(), high));
}

TEST_CASE("fds no hook saw are described from the kernel", "[handles][scanner]") {
    SECTION("a UDP socket") {
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const HandleEntry entry = describedByKernel(fd);
        CHECK(entry.kind == HandleKind::Socket);
        CHECK(entry.detail_a == AF_INET);
        CHECK(entry.detail_b == SOCK_DGRAM);
        CHECK((entry.flags & leakscope::snapshot::kHandleCloexec) != 0);
        close(fd);
    }
    SECTION("both ends of a pipe") {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        CHECK(describedByKernel(fds[0]).kind == HandleKind::PipeRead);
        CHECK(describedByKernel(fds[1]).kind == HandleKind::PipeWrite);
        CHECK((describedByKernel(fds[0]).flags & leakscope::snapshot::kHandleCloexec) == 0);
        close(fds[0]);
        close(fds[1]);
    }
    SECTION("an eventfd") {
        const int fd = eventfd(0, 0);
        CHECK(describedByKernel(fd).kind == HandleKind::EventFd);
        close(fd);
    }
    SECTION("a memfd, named without the kernel's decoration") {
        const int fd = memfd_create("scanner-test", 0);
        const HandleEntry entry = describedByKernel(fd);
        CHECK(entry.kind == HandleKind::MemFd);
        CHECK(std::string(entry.path, entry.path_length) == "scanner-test");
        close(fd);
    }
    SECTION("a directory and a file, with their paths") {
        const int directory = open("/", O_RDONLY | O_DIRECTORY);
        const int file = open("/dev/null", O_RDONLY);
        CHECK(describedByKernel(directory).kind == HandleKind::Directory);
        const HandleEntry entry = describedByKernel(file);
        CHECK(entry.kind == HandleKind::File);
        CHECK(std::string(entry.path, entry.path_length) == "/dev/null");
        close(directory);
        close(file);
    }
}

TEST_CASE("readFdTarget of a closed fd reads nothing", "[handles][scanner]") {
    char target[64];
    CHECK(readFdTarget(987654, target, sizeof(target)) == 0);
}
