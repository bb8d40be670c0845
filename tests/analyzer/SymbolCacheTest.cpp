// The persistent symbol cache (core/SymbolCache.h): what is stored reads back exactly, a changed
// fingerprint reads as nothing, and a corrupt, truncated, edited or unwritable cache costs one warning
// per report, never an error or a wrong frame.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/SymbolCache.h"

using namespace leakscope::analyzer;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at the end of the test case.
struct TemporaryDirectory {
    fs::path path;
    TemporaryDirectory() {
        std::string name = (fs::temp_directory_path() / "leakscope-symbol-cache-XXXXXX").string();
        REQUIRE(mkdtemp(name.data()) != nullptr);
        path = name;
    }
    ~TemporaryDirectory() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Everything written to std::cerr while it lives.
struct CapturedStderr {
    std::ostringstream text;
    std::streambuf* previous = std::cerr.rdbuf(text.rdbuf());
    ~CapturedStderr() { std::cerr.rdbuf(previous); }
};

SymbolizedFrame frame(std::string function, std::string file, int line, bool inlined, bool known) {
    SymbolizedFrame f;
    f.function = std::move(function);
    f.file = std::move(file);
    f.line = line;
    f.inlined = inlined;
    f.known = known;
    return f;
}

SymbolCache::Entries sampleEntries() {
    SymbolCache::Entries entries;
    entries[0x1234] = {frame("std::vector<int, std::allocator<int> >::push_back(int const&)", "/usr/include/c++/12/bits/stl_vector.h",
                             1287, true, true),
                       frame("main", "/src/with space/a.c", 7, false, true)};
    entries[0x10] = {};  // described as nothing: the caller makes "module+offset" of it
    entries[0xffffffffffff] = {frame("odd\nname 5 7", "", 0, false, false)};
    return entries;
}

const std::string kBuildId = std::string("\x93\xac\x61\xec\x00\x8e", 6);

}  // namespace

TEST_CASE("symbol cache: stored entries read back exactly under the same fingerprint") {
    TemporaryDirectory dir;
    SymbolCache cache(dir.path.string());
    cache.store(kBuildId, "123:45.6 -", sampleEntries());
    CHECK(fs::path(cache.pathOf(kBuildId)).filename() == "93ac61ec008e");
    SymbolCache::Entries loaded = cache.load(kBuildId, "123:45.6 -");
    REQUIRE(loaded.size() == 3);
    for (const auto& [address, frames] : sampleEntries()) {
        REQUIRE(loaded.count(address) == 1);
        REQUIRE(loaded[address].size() == frames.size());
        for (size_t i = 0; i < frames.size(); ++i) {
            CHECK(loaded[address][i].function == frames[i].function);
            CHECK(loaded[address][i].file == frames[i].file);
            CHECK(loaded[address][i].line == frames[i].line);
            CHECK(loaded[address][i].inlined == frames[i].inlined);
            CHECK(loaded[address][i].known == frames[i].known);
        }
    }
    // No temporary file is left beside it.
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("symbol cache: another fingerprint or build-id reads as nothing, without a warning") {
    TemporaryDirectory dir;
    SymbolCache cache(dir.path.string());
    cache.store(kBuildId, "123:45.6 -", sampleEntries());
    CapturedStderr err;
    CHECK(cache.load(kBuildId, "123:45.6 9:1.0").empty());  // a debug file installed since
    CHECK(cache.load("other", "123:45.6 -").empty());
    fs::copy_file(cache.pathOf(kBuildId), cache.pathOf("other"));  // a file under the wrong name
    CHECK(cache.load("other", "123:45.6 -").empty());
    CHECK(err.text.str().find("warning") == std::string::npos);
}

namespace {

std::string contentOf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

}  // namespace

TEST_CASE("symbol cache: truncated, corrupt and edited files are ignored, with one warning per report") {
    TemporaryDirectory dir;
    CapturedStderr err;  // before the cache: its destructor's warning lands here too
    SymbolCache cache(dir.path.string());
    cache.store(kBuildId, "fp", sampleEntries());
    const std::string text = contentOf(cache.pathOf(kBuildId));
    REQUIRE(cache.load(kBuildId, "fp").size() == 3);
    std::vector<std::string> damaged;
    for (size_t cut : {text.size() - 1, text.size() / 2, size_t(60)}) damaged.push_back(text.substr(0, cut));
    std::string garbled = text;
    garbled[garbled.find("\nf ") + 3] = '7';  // a "known" flag that is neither 0 nor 1
    damaged.push_back(garbled);
    // Edited into another well-formed file: a function renamed (same length), a line number changed.
    // Before the checksum these read back as the cache's word.
    std::string renamed = text;
    renamed.replace(renamed.find("main"), 4, "nami");
    damaged.push_back(renamed);
    std::string moved = text;
    moved.replace(moved.find(" 1287 "), 6, " 1288 ");
    damaged.push_back(moved);
    for (const std::string& content : damaged) {
        std::ofstream(cache.pathOf(kBuildId), std::ios::binary | std::ios::trunc) << content;
        CHECK(cache.load(kBuildId, "fp").empty());
    }
    CHECK(err.text.str().empty());  // nothing per file
    cache.reportUnreadable();
    const std::string warning = err.text.str();
    CHECK(warning == "leakscope: warning: symbol cache " + dir.path.string() + ": 6 entries unreadable (93ac61ec008e: " +
                         "its checksum does not match its content: edited or damaged, and 5 more); ignored, they are rebuilt\n");
    cache.reportUnreadable();
    CHECK(err.text.str() == warning);  // once: nothing new to say
}

TEST_CASE("symbol cache: one edited entry is one warning, said when the report's cache goes") {
    TemporaryDirectory dir;
    CapturedStderr err;
    {
        SymbolCache cache(dir.path.string());
        cache.store(kBuildId, "fp", sampleEntries());
        std::string text = contentOf(cache.pathOf(kBuildId));
        text.replace(text.find("main"), 4, "nami");
        std::ofstream(cache.pathOf(kBuildId), std::ios::binary | std::ios::trunc) << text;
        CHECK(cache.load(kBuildId, "fp").empty());
        CHECK(cache.load(kBuildId, "fp", /*quiet=*/true).empty());  // the save step's reload: not counted twice
        cache.store(kBuildId, "fp", sampleEntries());  // rebuilt
        CHECK(cache.load(kBuildId, "fp").size() == 3);
    }
    CHECK(err.text.str() == "leakscope: warning: symbol cache " + dir.path.string() + ": 1 entry unreadable (93ac61ec008e: " +
                                "its checksum does not match its content: edited or damaged); ignored, it is rebuilt\n");
}

TEST_CASE("symbol cache: disabled or unwritable, nothing is stored and the run goes on") {
    SymbolCache disabled("");
    CHECK_FALSE(disabled.enabled());
    disabled.store(kBuildId, "fp", sampleEntries());
    CHECK(disabled.load(kBuildId, "fp").empty());

    TemporaryDirectory dir;
    std::ofstream(dir.path / "file") << "x";
    SymbolCache unwritable((dir.path / "file" / "cache").string());  // a directory below a regular file
    CapturedStderr err;
    unwritable.store(kBuildId, "fp", sampleEntries());
    unwritable.store("another module", "fp", sampleEntries());
    const std::string warning = err.text.str();
    CHECK(warning.find("leakscope: warning: symbol cache " + (dir.path / "file" / "cache").string() + ": cannot write") == 0);
    CHECK(std::count(warning.begin(), warning.end(), '\n') == 1);  // once per report, not per module
    CHECK(unwritable.load(kBuildId, "fp").empty());
}

TEST_CASE("symbol cache: the default directory follows XDG_CACHE_HOME, then HOME") {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string saved_xdg = xdg ? xdg : "", saved_home = home ? home : "";
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    CHECK(SymbolCache::defaultDirectory() == "/x/cache/leakscope");
    setenv("XDG_CACHE_HOME", "relative", 1);  // the XDG spec: a relative path is invalid, ignored
    setenv("HOME", "/home/u", 1);
    CHECK(SymbolCache::defaultDirectory() == "/home/u/.cache/leakscope");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    CHECK(SymbolCache::defaultDirectory().empty());
    if (xdg) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
    if (home) setenv("HOME", saved_home.c_str(), 1);
}
