// The handle table on its own: what a slot says after opens, closes, reuse, dup2 over a live fd, the
// reconciliation's drops and inserts, and fork adoption; and the counters that follow from them.
#include <catch2/catch.hpp>

#include "tables/HandleTable.h"

using namespace leakscope::preload::handles;
using leakscope::snapshot::HandleKind;

namespace {

HandleEntry entryAt(int fd, HandleKind kind, uint64_t sequence, uint16_t flags = 0) {
    HandleEntry entry;
    entry.fd = fd;
    entry.kind = kind;
    entry.sequence = sequence;
    entry.stack_id = 7;
    entry.flags = flags;
    return entry;
}

std::vector<HandleEntry> liveEntries(HandleTable& table) {
    std::vector<HandleEntry> entries;
    table.forEachLive([&](const HandleEntry& entry) { entries.push_back(entry); });
    return entries;
}

}  // namespace

// The table is large (one atomic pointer per chunk of 256 fds); each test gets a fresh one on the heap.
TEST_CASE("an opened fd is live until it is taken for close, then a second close sees it closed", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(5, HandleKind::Socket, 10));
    HandleEntry copy;
    REQUIRE(table->copyLive(5, copy));
    CHECK(copy.kind == HandleKind::Socket);
    CHECK(table->counts().live == 1);

    const TakenHandle first = table->takeForClose(5);
    CHECK(first.previous == SlotState::Live);
    CHECK_FALSE(table->copyLive(5, copy));
    const TakenHandle second = table->takeForClose(5);
    CHECK(second.previous == SlotState::Closed);
    const HandleCounts counts = table->counts();
    CHECK(counts.opened == 1);
    CHECK(counts.closed == 1);
    CHECK(counts.live == 0);
}

TEST_CASE("a failed close of an fd never seen leaves it never seen, and maps nothing for it", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    // The daemon's sweep: close(n) for every n up to RLIMIT_NOFILE, none of them open.
    for (int fd : {9, 5000, HandleTable::kMaxTrackedFd}) {
        INFO("fd " << fd);
        const TakenHandle taken = table->takeLiveForClose(fd);
        CHECK(taken.previous == SlotState::NeverSeen);
        table->finishClose(fd, taken, false);
        CHECK(table->takeLiveForClose(fd).previous == SlotState::NeverSeen);  // a second sweep: the same
    }
    CHECK(table->takeLiveForClose(-1).previous == SlotState::NeverSeen);
    CHECK(table->chunksCreated() == 0);
}

TEST_CASE("a close that released an fd no hook had seen makes its next close a double close", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    const TakenHandle taken = table->takeLiveForClose(40);  // opened by a raw syscall, closed with close()
    CHECK(taken.previous == SlotState::NeverSeen);
    table->finishClose(40, taken, true);
    CHECK(table->takeLiveForClose(40).previous == SlotState::Closed);

    // Another thread got the number back and recorded it between our real close and finishClose:
    // its record stays.
    const TakenHandle racing = table->takeLiveForClose(41);
    table->recordOpened(entryAt(41, HandleKind::Socket, 3));
    table->finishClose(41, racing, true);
    HandleEntry copy;
    CHECK(table->copyLive(41, copy));
}

TEST_CASE("a live record whose close fails with EBADF was held: closing it again stays a bad close", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(12, HandleKind::File, 1));
    const TakenHandle taken = table->takeLiveForClose(12);  // the kernel had closed it behind the hooks' back
    CHECK(taken.previous == SlotState::Live);
    table->finishClose(12, taken, false);
    const TakenHandle again = table->takeLiveForClose(12);
    CHECK(again.previous == SlotState::Vanished);  // not NeverSeen: never an unopened close
    table->finishClose(12, again, false);
    CHECK(table->takeLiveForClose(12).previous == SlotState::Vanished);
    // A double close stays one on every repeat.
    table->recordOpened(entryAt(13, HandleKind::File, 2));
    table->finishClose(13, table->takeLiveForClose(13), true);
    for (int repeat = 0; repeat < 2; ++repeat) {
        const TakenHandle closed = table->takeLiveForClose(13);
        CHECK(closed.previous == SlotState::Closed);
        table->finishClose(13, closed, false);
    }
}

TEST_CASE("a record over a live fd (dup2, reuse) replaces it and counts the old one closed", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(4, HandleKind::File, 1));
    table->recordOpened(entryAt(4, HandleKind::Duplicate, 2));
    const auto live = liveEntries(*table);
    REQUIRE(live.size() == 1);
    CHECK(live[0].kind == HandleKind::Duplicate);
    CHECK(live[0].sequence == 2);
    CHECK(table->counts().opened == 2);
    CHECK(table->counts().closed == 1);
    CHECK(table->counts().live == 1);
}

TEST_CASE("the reconciliation inserts only where nothing is live and drops only older records", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(3, HandleKind::Socket, 5));
    CHECK_FALSE(table->insertIfNotLive(entryAt(3, HandleKind::Unknown, 6, leakscope::snapshot::kHandleUntracked)));
    CHECK(table->insertIfNotLive(entryAt(700, HandleKind::Unknown, 7, leakscope::snapshot::kHandleUntracked)));
    CHECK(table->counts().untracked == 1);
    table->recordOpened(entryAt(1000, HandleKind::PipeRead, 50));

    // A scan that started at sequence 20 did not list fds 3, 700 or 1000: the two older records are
    // gone (closed behind the hooks' back), the one made during the scan stays.
    table->dropVanished(0, HandleTable::kMaxTrackedFd + 1, 20);
    const auto live = liveEntries(*table);
    REQUIRE(live.size() == 1);
    CHECK(live[0].fd == 1000);
    CHECK(table->counts().untracked == 0);
    CHECK(table->counts().closed == 1);  // the socket; an untracked record going away is no close
    // A vanished fd was not closed by the program: closing it later is no double close, but it was held,
    // so it is no close of an fd never opened either.
    CHECK(table->takeForClose(3).previous == SlotState::Vanished);
}

TEST_CASE("fork adoption makes every live record inherited without a stack", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(6, HandleKind::EventFd, 1));
    table->recordOpened(entryAt(300, HandleKind::Epoll, 2));
    table->adoptAfterFork();
    const auto live = liveEntries(*table);
    REQUIRE(live.size() == 2);
    for (const auto& entry : live) {
        CHECK((entry.flags & leakscope::snapshot::kHandleInherited) != 0);
        CHECK(entry.stack_id == 0);
    }
}

TEST_CASE("fds beyond the table and paths longer than a record are handled, not overrun", "[handles][table]") {
    auto table = std::make_unique<HandleTable>();
    table->recordOpened(entryAt(HandleTable::kMaxTrackedFd + 1, HandleKind::File, 1));
    CHECK(liveEntries(*table).empty());
    HandleEntry entry;
    const std::string long_path(1000, 'x');
    entry.setPath(long_path.c_str());
    CHECK(entry.path_length == kHandlePathCapacity);
    entry.setPath(nullptr);
    CHECK(entry.path_length == 0);
}
