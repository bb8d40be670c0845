#include "core/SymbolCache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/Hex.h"
#include "leakscope/Crc32.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

// The file, in order: "leakscope-symbol-cache <version> <build-id hex> <checksum>\n", "fingerprint
// <text>\n", then per address "a <hex address> <frame count>\n" and per frame "f <known> <inlined>
// <line> <function bytes> <file bytes>\n" followed by the function and file text and "\n", and last
// "end <address count>\n": a file cut short anywhere lacks its end line. Lengths, not separators, bound
// the strings, so any byte in a name reads back as written. The checksum (CRC-32, 8 hex digits) covers
// everything after the first line: an entry edited into another well-formed one (a function name, a
// line number) is corrupt, not trusted.
std::string header(const std::string& build_id) {
    return "leakscope-symbol-cache " + std::to_string(SymbolCache::kFormatVersion) + " " + hexBytes(build_id) + " ";
}

// The snapshot format's CRC-32 (leakscope/Crc32.h), already linked: the cache is a file of ours that a
// person or a crash may damage, not an adversary's, so a checksum that catches edits and damage will do
// (absl::Hash, also linked, is salted per process by design: its value would not survive the run).
std::string checksumText(std::string_view payload) {
    char text[9];
    std::snprintf(text, sizeof(text), "%08x", unsigned(snapshot::crc32(payload.data(), payload.size())));
    return text;
}

// A cursor over the file's text; every read says whether it found what it expected.
class Reader {
public:
    explicit Reader(const std::string& text) : text_(text) {}

    bool literal(const std::string& expected) {
        if (text_.compare(position_, expected.size(), expected) != 0) return false;
        position_ += expected.size();
        return true;
    }
    // The rest of the line (without '\n'), consumed with its '\n'.
    bool line(std::string& out) {
        size_t end = text_.find('\n', position_);
        if (end == std::string::npos) return false;
        out.assign(text_, position_, end - position_);
        position_ = end + 1;
        return true;
    }
    bool number(uint64_t& out, int base) {
        if (position_ >= text_.size()) return false;
        const char* start = text_.c_str() + position_;
        if (*start == '-' || *start == ' ') return false;
        char* end = nullptr;
        errno = 0;
        out = std::strtoull(start, &end, base);
        if (end == start || errno != 0) return false;
        position_ += size_t(end - start);
        return true;
    }
    bool bytes(size_t count, std::string& out) {
        if (text_.size() - position_ < count) return false;
        out.assign(text_, position_, count);
        position_ += count;
        return true;
    }
    bool atEnd() const { return position_ == text_.size(); }
    std::string_view rest() const { return std::string_view(text_).substr(position_); }

private:
    const std::string& text_;
    size_t position_ = 0;
};

bool readFrame(Reader& in, SymbolizedFrame& frame) {
    uint64_t known = 0, inlined = 0, line = 0, function_size = 0, file_size = 0;
    if (!(in.literal("f ") && in.number(known, 10) && in.literal(" ") && in.number(inlined, 10) && in.literal(" ") &&
          in.number(line, 10) && in.literal(" ") && in.number(function_size, 10) && in.literal(" ") &&
          in.number(file_size, 10) && in.literal("\n") && in.bytes(function_size, frame.function) &&
          in.bytes(file_size, frame.file) && in.literal("\n")))
        return false;
    if (known > 1 || inlined > 1 || line > uint64_t(INT32_MAX)) return false;
    frame.known = known == 1;
    frame.inlined = inlined == 1;
    frame.line = int(line);
    return true;
}

// The entries of a whole file, or a reason why it is not one ("" with ok = true: stale, not corrupt).
bool parse(const std::string& text, const std::string& build_id, const std::string& fingerprint,
           SymbolCache::Entries& entries, std::string& problem) {
    Reader in(text);
    std::string found_fingerprint, checksum;
    if (!in.literal(header(build_id))) {
        problem = "not a version " + std::to_string(SymbolCache::kFormatVersion) + " cache file of this build-id";
        // An older or newer leakscope's file: not corrupt, just not ours to read.
        return in.literal("leakscope-symbol-cache ");
    }
    if (!in.line(checksum) || checksum != checksumText(in.rest())) {
        problem = "its checksum does not match its content: edited or damaged";
        return false;
    }
    if (!in.literal("fingerprint ") || !in.line(found_fingerprint)) {
        problem = "no fingerprint line";
        return false;
    }
    if (found_fingerprint != fingerprint) return true;  // the module or its debug files changed: stale
    uint64_t count = 0;
    while (!in.literal("end ")) {
        uint64_t address = 0, frames = 0;
        if (!(in.literal("a ") && in.number(address, 16) && in.literal(" ") && in.number(frames, 10) && in.literal("\n")) ||
            frames > 4096) {
            problem = "entry " + std::to_string(count + 1) + " is cut short or malformed";
            return false;
        }
        std::vector<SymbolizedFrame> described(frames);
        for (auto& frame : described)
            if (!readFrame(in, frame)) {
                problem = "entry " + std::to_string(count + 1) + " is cut short or malformed";
                return false;
            }
        entries[address] = std::move(described);
        ++count;
    }
    uint64_t declared = 0;
    if (!in.number(declared, 10) || !in.literal("\n") || !in.atEnd() || declared != count) {
        problem = "its end line does not match its " + std::to_string(count) + " entries";
        return false;
    }
    return true;
}

void warn(const std::string& message) { std::cerr << "leakscope: warning: symbol cache " << message << "\n"; }

}  // namespace

std::string SymbolCache::defaultDirectory() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/leakscope";
    if (const char* home = std::getenv("HOME"); home && *home == '/') return std::string(home) + "/.cache/leakscope";
    return "";
}

SymbolCache::SymbolCache(std::string directory) : directory_(std::move(directory)) {}

SymbolCache::~SymbolCache() { reportUnreadable(); }

void SymbolCache::reportUnreadable() const {
    if (unreadable_ == 0) return;
    const bool one = unreadable_ == 1;
    warn(directory_ + ": " + std::to_string(unreadable_) + (one ? " entry" : " entries") + " unreadable (" +
         first_unreadable_ + (one ? "" : ", and " + std::to_string(unreadable_ - 1) + " more") + "); ignored, " +
         (one ? "it is" : "they are") + " rebuilt");
    unreadable_ = 0;
    first_unreadable_.clear();
}

std::string SymbolCache::pathOf(const std::string& build_id) const { return directory_ + "/" + hexBytes(build_id); }

SymbolCache::Entries SymbolCache::load(const std::string& build_id, const std::string& fingerprint, bool quiet) const {
    Entries entries;
    if (!enabled() || build_id.empty()) return entries;
    std::ifstream file(pathOf(build_id), std::ios::binary);
    if (!file) return entries;  // not cached yet
    std::ostringstream text;
    text << file.rdbuf();
    std::string problem;
    if (!parse(text.str(), build_id, fingerprint, entries, problem)) {
        // Said once for the report, by reportUnreadable(): a damaged cache is often damaged in many files.
        if (!quiet && unreadable_++ == 0) first_unreadable_ = hexBytes(build_id) + ": " + problem;
        entries.clear();
    } else if (!problem.empty()) {
        entries.clear();  // another format version: rewritten without a word
    }
    return entries;
}

void SymbolCache::store(const std::string& build_id, const std::string& fingerprint, const Entries& entries) const {
    if (!enabled() || build_id.empty()) return;
    std::string text = "fingerprint " + fingerprint + "\n";
    for (const auto& [address, frames] : entries) {
        text += "a " + hexAddress(address).substr(2) + " " + std::to_string(frames.size()) + "\n";
        for (const auto& frame : frames) {
            text += "f " + std::to_string(int(frame.known)) + " " + std::to_string(int(frame.inlined)) + " " +
                    std::to_string(frame.line) + " " + std::to_string(frame.function.size()) + " " +
                    std::to_string(frame.file.size()) + "\n" + frame.function + frame.file + "\n";
        }
    }
    text += "end " + std::to_string(entries.size()) + "\n";
    text = header(build_id) + checksumText(text) + "\n" + text;

    std::error_code ec;
    fs::create_directories(directory_, ec);
    std::string temporary = pathOf(build_id) + ".XXXXXX";
    int fd = mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0) {
        if (!std::exchange(warned_unwritable_, true))
            warn(directory_ + ": cannot write (" + std::strerror(errno) + "); this run stays uncached");
        return;
    }
    size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += size_t(n);
    }
    const bool complete = written == text.size();
    const int write_errno = errno;
    if (::close(fd) != 0 || !complete || std::rename(temporary.c_str(), pathOf(build_id).c_str()) != 0) {
        if (!std::exchange(warned_unwritable_, true))
            warn(pathOf(build_id) + ": cannot write (" + std::strerror(complete ? errno : write_errno) + "); not updated");
        ::unlink(temporary.c_str());
    }
}

}  // namespace leakscope::analyzer
