// The ring buffer between audio elements: whole-chunk transfers, wrap-around, timeouts, end of stream,
// abort and reset (targets/algo_stream/ringbuf.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "ringbuf.h"

namespace {

struct RingbufDeleter {
    void operator()(ringbuf* rb) const { rb_destroy(rb); }
};
using RingbufPtr = std::unique_ptr<ringbuf, RingbufDeleter>;

RingbufPtr makeRingbuf(int size) {
    RingbufPtr rb(rb_create(size, 1));
    REQUIRE(rb);
    return rb;
}

std::vector<char> sequence(int length, int first) {
    std::vector<char> bytes(static_cast<size_t>(length));
    std::iota(bytes.begin(), bytes.end(), static_cast<char>(first));
    return bytes;
}

}  // namespace

TEST_CASE("ringbuf: bytes come out in the order they went in, across the wrap at the end") {
    auto rb = makeRingbuf(10);
    std::vector<char> out(6);
    auto first = sequence(6, 0);
    REQUIRE(rb_write(rb.get(), first.data(), 6, 0) == 6);
    REQUIRE(rb_read(rb.get(), out.data(), 6, 0) == 6);
    CHECK(out == first);
    auto second = sequence(6, 50);  // starts at offset 6 of 10: wraps
    REQUIRE(rb_write(rb.get(), second.data(), 6, 0) == 6);
    CHECK(rb_bytes_filled(rb.get()) == 6);
    CHECK(rb_bytes_available(rb.get()) == 4);
    REQUIRE(rb_read(rb.get(), out.data(), 6, 0) == 6);
    CHECK(out == second);
}

TEST_CASE("ringbuf: a read moves a whole chunk or nothing, and times out when the chunk is not there") {
    auto rb = makeRingbuf(16);
    auto data = sequence(4, 1);
    REQUIRE(rb_write(rb.get(), data.data(), 4, 0) == 4);
    std::vector<char> out(8);
    auto started = std::chrono::steady_clock::now();
    CHECK(rb_read(rb.get(), out.data(), 8, 30) == RB_TIMEOUT);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(25));
    CHECK(rb_bytes_filled(rb.get()) == 4);  // nothing consumed by the failed read
    CHECK(rb_read(rb.get(), out.data(), 4, 0) == 4);
}

TEST_CASE("ringbuf: a write waits for room for the whole chunk") {
    auto rb = makeRingbuf(8);
    auto data = sequence(6, 0);
    REQUIRE(rb_write(rb.get(), data.data(), 6, 0) == 6);
    CHECK(rb_write(rb.get(), data.data(), 4, 10) == RB_TIMEOUT);
    CHECK(rb_bytes_filled(rb.get()) == 6);
    std::thread reader([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::vector<char> out(6);
        rb_read(rb.get(), out.data(), 6, 0);
    });
    CHECK(rb_write(rb.get(), data.data(), 4, 2000) == 4);  // completes once the reader made room
    reader.join();
}

TEST_CASE("ringbuf: after done_write the reader drains what is left, then gets RB_DONE") {
    auto rb = makeRingbuf(16);
    auto data = sequence(4, 0);
    REQUIRE(rb_write(rb.get(), data.data(), 4, 0) == 4);
    REQUIRE(rb_done_write(rb.get()) == RB_OK);
    std::vector<char> out(4);
    CHECK(rb_read(rb.get(), out.data(), 4, 0) == 4);
    CHECK(rb_read(rb.get(), out.data(), 4, OS_WAIT_FOREVER) == RB_DONE);  // returns at once, no hang
    CHECK(rb_write(rb.get(), data.data(), 4, 0) == RB_DONE);
}

TEST_CASE("ringbuf: abort wakes a reader blocked without a time limit, and reset makes the buffer usable again") {
    auto rb = makeRingbuf(16);
    int result = 0;
    std::thread reader([&] {
        std::vector<char> out(4);
        result = rb_read(rb.get(), out.data(), 4, OS_WAIT_FOREVER);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(rb_abort(rb.get()) == RB_OK);
    reader.join();
    CHECK(result == RB_ABORT);
    auto data = sequence(4, 0);
    CHECK(rb_write(rb.get(), data.data(), 4, 0) == RB_ABORT);
    REQUIRE(rb_reset(rb.get()) == RB_OK);
    CHECK(rb_write(rb.get(), data.data(), 4, 0) == 4);
    CHECK(rb_bytes_filled(rb.get()) == 4);
    REQUIRE(rb_reset(rb.get()) == RB_OK);
    CHECK(rb_bytes_filled(rb.get()) == 0);
}

TEST_CASE("ringbuf: bad sizes and chunks larger than the buffer are refused") {
    CHECK(rb_create(0, 4) == nullptr);
    CHECK(rb_create(16, -1) == nullptr);
    auto rb = makeRingbuf(8);
    std::vector<char> big(9);
    CHECK(rb_write(rb.get(), big.data(), 9, 0) == RB_FAIL);
    CHECK(rb_read(rb.get(), big.data(), 9, 0) == RB_FAIL);
    CHECK(rb_read(rb.get(), nullptr, 4, 0) == RB_FAIL);
    CHECK(rb_get_size(rb.get()) == 8);
}
