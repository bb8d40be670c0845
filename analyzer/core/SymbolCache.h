// A persistent cache of symbolized frames, one file per module build-id, so a module's debug info is
// read (and libc's compressed .debug_* sections inflated) once per machine rather than once per report.
//
// Where: $XDG_CACHE_HOME/leakscope, else $HOME/.cache/leakscope (defaultDirectory); `leakscope report
// --no-cache` (and run/check/attach) neither reads nor writes it. One file per build-id (lower-case
// hex), named like perf's and debuginfod's build-id caches. What a file holds: for each file-relative
// lookup address of that module, the frames Symbolizer's describe step produced (function, file, line,
// inlined, known; zero frames when nothing named it), plus a fingerprint of the files they came from
// (the module file's and its debug files' size and mtime): another fingerprint makes the file stale,
// read as empty and rewritten — installing a -dbg package after a cached run is seen.
//
// Safe against concurrent runs: a file is written to a temporary name in the same directory and renamed
// over the old one, so a reader sees a whole old or a whole new file; two writers lose at most one's
// additions. A corrupt, truncated or edited file (each file carries a checksum of its content) is
// ignored and rewritten; however many there are, one warning on stderr per report says how many (when
// the cache is destroyed, or at reportUnreadable()). A directory that cannot be created or written costs
// one warning and the run goes on uncached. kFormatVersion changes whenever what the describe step
// produces or the file's layout changes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/SymbolizedFrame.h"

namespace leakscope::analyzer {

class SymbolCache {
public:
    static constexpr int kFormatVersion = 2;  // 2: a checksum in the first line
    // Lookup address (file-relative) -> frames as described (`module`, `address` and `stale` not stored).
    using Entries = std::unordered_map<uint64_t, std::vector<SymbolizedFrame>>;

    // $XDG_CACHE_HOME/leakscope, else $HOME/.cache/leakscope; "" when neither is set (no cache).
    static std::string defaultDirectory();

    // `directory` "": every load is empty and nothing is stored.
    explicit SymbolCache(std::string directory);
    ~SymbolCache();  // reportUnreadable()
    SymbolCache(const SymbolCache&) = delete;
    SymbolCache& operator=(const SymbolCache&) = delete;

    bool enabled() const { return !directory_.empty(); }

    // The entries cached for `build_id` (raw bytes) under `fingerprint`; empty when there is no file, it
    // is stale (another fingerprint), or it is corrupt (counted for reportUnreadable() unless `quiet`).
    Entries load(const std::string& build_id, const std::string& fingerprint, bool quiet = false) const;

    // Replaces the file of `build_id` with `entries` atomically. A failure is a warning on stderr, the
    // first one only: an unwritable directory fails for every module alike.
    void store(const std::string& build_id, const std::string& fingerprint, const Entries& entries) const;

    // The file that holds `build_id`'s entries.
    std::string pathOf(const std::string& build_id) const;

    // One warning line on stderr when loads found corrupt files since the last call: "symbol cache DIR:
    // N entries unreadable (FIRST: PROBLEM, and N-1 more); ignored, they are rebuilt". Nothing otherwise.
    void reportUnreadable() const;

private:
    std::string directory_;
    mutable bool warned_unwritable_ = false;  // one warning per report, not one per module
    mutable size_t unreadable_ = 0;           // corrupt files loaded since the last reportUnreadable()
    mutable std::string first_unreadable_;    // "<file name>: <problem>" of the first of them
};

}  // namespace leakscope::analyzer
