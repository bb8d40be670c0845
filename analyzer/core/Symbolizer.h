// Offline symbolization with elfutils libdw: each module of a snapshot's module map is opened once
// (per path, build-id and recorded file), checked against the recorded build-id (without one: against
// the file's recorded size, mtime and inode, ModuleFileCheck.h), and asked for function (.symtab,
// else .dynsym; demangled), file:line and the chain of inline frames. Results are cached per module
// file and file-relative address, so an address is looked up once per run however many snapshots and
// processes carry it; callers that only read frames borrow them from that cache (framesAt) instead of
// copying their strings. Given a cache directory, what was described is also kept across runs per
// module build-id (SymbolCache.h): a warm report reads no debug info for the modules it has seen.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/SymbolizedFrame.h"
#include "leakscope/SnapshotReader.h"

namespace leakscope::analyzer {

class ModuleDebugInfo;  // one opened module file (Symbolizer.cpp)
class SymbolCache;

class Symbolizer {
public:
    // `cache_directory` "": no persistent cache (SymbolCache::defaultDirectory() is the usual one).
    explicit Symbolizer(std::string cache_directory = "");
    ~Symbolizer();
    Symbolizer(const Symbolizer&) = delete;
    Symbolizer& operator=(const Symbolizer&) = delete;

    // The frames (inline frames first, then their real function) for one recorded address, as cached:
    // their `address` is not set (it is the caller's `address`). The reference stays valid as long as
    // the Symbolizer. `return_address`: look up address-1 so the call instruction, not the next line, is named.
    const std::vector<SymbolizedFrame>& framesAt(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                 bool return_address);

    // framesAt, copied, with `address` set in every frame.
    std::vector<SymbolizedFrame> symbolizeAddress(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                  bool return_address);

    // The frames of a whole recorded stack as framesAt gives them (inline frames expanded, not
    // trimmed, `address` not set): a stack looked at, not kept, costs no copy.
    std::vector<const SymbolizedFrame*> borrowStack(const std::vector<snapshot::Module>& modules,
                                                    const std::vector<uint64_t>& frames);

    // A whole recorded stack (frame 0 is the hook's caller address, the rest are return addresses),
    // inline frames expanded, not trimmed.
    SymbolizedStack symbolizeStack(const std::vector<snapshot::Module>& modules, const std::vector<uint64_t>& frames);

    // A module whose file at its path is not the one the run loaded (rebuilt or replaced since): none of
    // its frames is named, each is "module+0xoffset" of the run's build. Reported once by callers.
    struct ChangedModule {
        std::string path;
        std::string reason;  // "build-id differs", "size/mtime differ", ... (ModuleFileCheck.h)
        size_t frames = 0;   // distinct addresses in it looked up so far
    };
    std::vector<ChangedModule> changedModules() const;
    // One line per changed module, for a report's notes (docs/cli.md, "Rebuilt binaries"): "<path> changed
    // after the run (<reason>): its N frames are shown unsymbolized".
    std::vector<std::string> changedModuleNotes() const;

    // Writes the frames described in this run to the persistent cache (a no-op without one). Failures
    // are a warning on stderr, never an error: the cache only saves time.
    void saveCache() const;

private:
    ModuleDebugInfo* open(const snapshot::Module& module);
    // The module of the previous frame of the stack being symbolized: consecutive frames are mostly in
    // one module, and finding it by path and build-id was a tenth of a large report. Valid only within
    // one call that walks one `modules` vector.
    struct OwnerMemo {
        const snapshot::Module* module = nullptr;
        ModuleDebugInfo* info = nullptr;
    };
    const std::vector<SymbolizedFrame>& framesAt(const std::vector<snapshot::Module>& modules, uint64_t address,
                                                 bool return_address, OwnerMemo* memo);

    // (recorded, size, mtime_ns, device, inode) of a module without a build-id; all zero otherwise.
    using FileStamp = std::tuple<bool, uint64_t, int64_t, uint64_t, uint64_t>;
    static FileStamp fileStampOf(const snapshot::Module& module);
    // (path, build-id, file stamp); found by string_views, so a lookup per frame copies no string
    struct ModuleKeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return std::make_tuple(std::string_view(std::get<0>(a)), std::string_view(std::get<1>(a)), std::get<2>(a)) <
                   std::make_tuple(std::string_view(std::get<0>(b)), std::string_view(std::get<1>(b)), std::get<2>(b));
        }
    };
    std::map<std::tuple<std::string, std::string, FileStamp>, std::unique_ptr<ModuleDebugInfo>, ModuleKeyLess> modules_;
    // Addresses in no module: their one frame ("0x..."), cached like a module's.
    std::unordered_map<uint64_t, std::vector<SymbolizedFrame>> outside_modules_;
    std::vector<std::pair<std::string, const ModuleDebugInfo*>> changed_;  // (path, its opened file), in order met
    std::unique_ptr<SymbolCache> cache_;
};

// Basename of a path ("/usr/lib/libc.so.6" -> "libc.so.6").
std::string moduleBasename(const std::string& path);

}  // namespace leakscope::analyzer
